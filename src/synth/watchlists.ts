// Watchlist CSVs: the generic hosting-ASN default (shipped in rules/watchlists/) and the tenant's
// own lists (trusted egress, excluded accounts) written next to the synthesized logs.
import { HOSTING, SWG } from './catalog.js';
import type { Tenant } from './model.js';

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(header: string[], rows: string[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

export function hostingAsnCsv(): string {
  return toCsv(['ASN', 'Provider'], HOSTING.map((h) => [h.asn, h.provider]));
}

export function trustedEgressCsv(t: Tenant): string {
  const rows = SWG.prefixes.map((p) => [`${p}.0.0/16`, SWG.asn, SWG.provider, 'secure web gateway']);
  for (const o of t.offices) rows.push([`${o.egressIp}/32`, o.network.asn, `${o.network.provider} (${o.name} office)`, 'office egress']);
  return toCsv(['IPRange', 'ASN', 'Provider', 'Kind'], rows);
}

export function excludedAccountsCsv(t: Tenant): string {
  return toCsv(['AadUserId', 'UserPrincipalName', 'Reason'], [[t.breakGlass.id, t.breakGlass.upn, 'break-glass account']]);
}
