// A self-contained HTML report of a replay: a timeline per attack as inline SVG (malicious events,
// alert, incident, response, exposure window) and the incident table. No external assets.
import { incidentAccounts } from './replay.js';
import type { SimulateReport } from './simulate.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const t = (iso: string | null) => (iso ? iso.slice(0, 19).replace('T', ' ') : '–');
const mins = (s: number | null) => (s === null ? '–' : `${(s / 60).toFixed(1)} min`);

function timeline(r: SimulateReport, i: number): string {
  const a = r.attacks[i]!;
  const start = Date.parse(a.start);
  const points: { at: number; label: string; color: string }[] = [{ at: start, label: 'first malicious event', color: '#c0392b' }];
  const ingested = r.firstIngested.get(a.id);
  if (ingested) points.push({ at: ingested, label: 'first row ingested', color: '#8e44ad' });
  const acct = a.account.toLowerCase();
  const runs = new Set<string>();
  for (const inc of r.result.incidents) {
    if (inc.createdAt.getTime() < start || !incidentAccounts(inc, r.directory).some((x) => x.upn.toLowerCase() === acct)) continue;
    if (!runs.has(inc.ruleId)) points.push({ at: inc.createdAt.getTime(), label: `incident #${inc.id} (${inc.ruleId} run)`, color: '#d35400' });
    runs.add(inc.ruleId);
  }
  if (a.respondedAt) points.push({ at: Date.parse(a.respondedAt), label: 'sessions revoked', color: '#27ae60' });
  const end = a.worstCaseRevokedBy ? Date.parse(a.worstCaseRevokedBy) : Math.max(...points.map((p) => p.at)) + 15 * 60_000;
  const span = Math.max(end - start, 60_000);
  const W = 860;
  const x = (at: number) => 20 + ((at - start) / span) * (W - 40);
  points.sort((x, y) => x.at - y.at);
  const rows = points.map((p, k) => {
    const px = x(p.at).toFixed(1);
    const y = 44 + (k % 6) * 12;
    return `<line x1="${px}" y1="30" x2="${px}" y2="${y - 4}" stroke="${p.color}"/><circle cx="${px}" cy="30" r="4" fill="${p.color}"/><text x="${px}" y="${y + 6}" font-size="10" fill="${p.color}">${esc(p.label)}</text>`;
  });
  const exposure = a.respondedAt
    ? `<rect x="${x(Date.parse(a.respondedAt)).toFixed(1)}" y="22" width="${(x(Date.parse(a.caeRevokedBy!)) - x(Date.parse(a.respondedAt))).toFixed(1)}" height="16" fill="#f1c40f" opacity="0.35"><title>CAE services: revoked within 15 minutes</title></rect>` +
      `<rect x="${x(Date.parse(a.caeRevokedBy!)).toFixed(1)}" y="26" width="${(x(Date.parse(a.worstCaseRevokedBy!)) - x(Date.parse(a.caeRevokedBy!))).toFixed(1)}" height="8" fill="#95a5a6" opacity="0.35"><title>services without CAE: access token may live up to 90 minutes</title></rect>`
    : '';
  return `<svg class="timeline" role="img" aria-label="timeline of ${esc(a.id)}" width="${W}" height="124" viewBox="0 0 ${W} 124" xmlns="http://www.w3.org/2000/svg">
<line x1="20" y1="30" x2="${W - 20}" y2="30" stroke="#555"/>${exposure}${rows.join('')}
<text x="20" y="120" font-size="10" fill="#555">${esc(t(a.start))}</text><text x="${W - 20}" y="120" font-size="10" fill="#555" text-anchor="end">${esc(t(new Date(end).toISOString()))}</text></svg>`;
}

export function renderReport(r: SimulateReport): string {
  const attacks = r.attacks
    .map(
      (a, i) => `<section class="attack"><h3>${esc(a.id)} <small>${esc(a.account)}</small></h3>
<p>start ${esc(t(a.start))} · detected ${esc(t(a.detectedAt))} (${mins(a.timeToDetectSeconds)}, ${esc(a.firstRule ?? 'no rule')}) · revoked ${esc(t(a.respondedAt))} (${mins(a.timeToRespondSeconds)}${a.tokenUseToRespondSeconds !== null ? `; ${a.tokenUseToRespondSeconds < 0 ? `${mins(-a.tokenUseToRespondSeconds)} before` : `${mins(a.tokenUseToRespondSeconds)} after`} the first use of the stolen token at ${esc(t(a.firstTokenUse))}` : ''}) · CAE services by ${esc(t(a.caeRevokedBy))} · worst case ${esc(t(a.worstCaseRevokedBy))}</p>
${timeline(r, i)}</section>`,
    )
    .join('\n');
  const incidents = r.result.incidents
    .map((inc) => {
      const accts = incidentAccounts(inc, r.directory).map((a) => a.upn);
      const ips = [...new Set(inc.alerts.flatMap((a) => a.entities.filter((e) => e.type === 'IP').map((e) => e.identifiers.Address ?? '')))];
      const benign = r.labels.length && r.benignIncidents.includes(inc.id) ? ' class="benign"' : '';
      return `<tr${benign}><td>${inc.id}</td><td>${esc(t(inc.createdAt.toISOString()))}</td><td>${esc(inc.severity)}</td><td>${esc(inc.ruleId)}</td><td>${esc(inc.title)}</td><td>${esc(accts.join(', '))}</td><td>${esc(ips.slice(0, 5).join(' '))}</td><td>${inc.alerts.length}</td></tr>`;
    })
    .join('\n');
  const responses = r.result.responses
    .map((x) => `<tr${x.skipped ? ' class="skipped"' : ''}><td>${x.incident}</td><td>${esc(t(x.at.toISOString()))}</td><td>${esc(x.playbook)}</td><td>${esc(x.action)}</td><td>${esc(x.account)}</td><td>${esc(x.skipped ?? '')}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sessionguard replay: ${esc(r.workspace)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;font-size:12px}
tr.benign td{background:#fff6e0}tr.skipped td{color:#888}section.attack{margin:12px 0;padding:8px;border:1px solid #eee}small{color:#666;font-weight:normal}
</style></head><body>
<h1>sessionguard replay — workspace ${esc(r.workspace)}</h1>
<p>${esc(t(r.start.toISOString()))} → ${esc(t(r.end.toISOString()))} · ${r.result.runs.length} rule runs · ${r.result.alerts.length} alerts · ${r.result.incidents.length} incidents · ${r.benignIncidents.length} on accounts not attacked</p>
<h2>Attacks</h2>
${attacks || '<p>No labels given.</p>'}
<h2>Incidents</h2>
<table id="incidents"><thead><tr><th>#</th><th>created</th><th>severity</th><th>rule</th><th>title</th><th>accounts</th><th>IPs</th><th>alerts</th></tr></thead><tbody>
${incidents}
</tbody></table>
<h2>Responses</h2>
<table id="responses"><thead><tr><th>incident</th><th>at</th><th>playbook</th><th>action</th><th>account</th><th>skipped</th></tr></thead><tbody>
${responses}
</tbody></table>
</body></html>
`;
}
