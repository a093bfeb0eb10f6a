// ca plan / apply: the policies and named locations of ca/ against what the tenant has, through
// Microsoft Graph. Ours carry MANAGED_PREFIX in their displayName (policies have no tags); nothing
// else is ever changed. Policies go out report-only unless enabling is asked for explicitly.
import type { Client } from '@microsoft/microsoft-graph-client';
import { UserError } from '../diagnostics.js';
import { MANAGED_PREFIX, REPORT_ONLY, type CaPolicy, type CaSet, type NamedLocation } from './model.js';

type Obj = Record<string, unknown>;
export type Action = 'create' | 'update' | 'delete' | 'unchanged';

export interface Change {
  kind: 'policy' | 'namedLocation';
  action: Action;
  /** displayName without the prefix. */
  name: string;
  id?: string;
  body?: Obj;
  /** Fields that differ, for updates. */
  fields?: string[];
  /** The policy goes out in its own state (not report-only). */
  enforce?: boolean;
}

export interface Deployed {
  policies: Obj[];
  locations: Obj[];
}

export interface Plan {
  policyVersion: 'v1.0' | 'beta';
  changes: Change[];
  /** displayNames of policies that are not ours (never touched). */
  unmanaged: string[];
  /** Deployed managed policies missing a break-glass exclusion. */
  drift: string[];
}

const POLICY_FIELDS = ['displayName', 'state', 'conditions', 'grantControls', 'sessionControls'];
const LOCATION_FIELDS = ['@odata.type', 'displayName', 'isTrusted', 'ipRanges', 'countriesAndRegions', 'includeUnknownCountriesAndRegions', 'countryLookupMethod'];

/** Graph fills unset properties with null and empty lists; compare what is actually set. */
export function canon(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(canon).filter((x) => x !== undefined);
    if (!items.length) return undefined;
    return items.every((x) => typeof x === 'string') ? [...(items as string[])].sort() : items;
  }
  if (v && typeof v === 'object') {
    const out: Obj = {};
    for (const k of Object.keys(v as Obj).sort()) {
      if (k.startsWith('@odata.') && k !== '@odata.type') continue;
      const c = canon((v as Obj)[k]);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

function pick(o: Obj, keys: string[]): Obj {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

function differing(a: Obj, b: Obj, keys: string[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const x = canon(a[k]);
    const y = canon(b[k]);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x)) {
      const sub = [...new Set([...Object.keys(x as Obj), ...Object.keys(y as Obj)])].filter((s) => JSON.stringify((x as Obj)[s]) !== JSON.stringify((y as Obj)[s]));
      out.push(...sub.map((s) => `${k}.${s}`));
    } else out.push(k);
  }
  return out;
}

export const isManaged = (o: Obj) => typeof o.displayName === 'string' && o.displayName.startsWith(MANAGED_PREFIX);
const bare = (o: Obj) => String(o.displayName).slice(MANAGED_PREFIX.length);

export function locationBody(l: NamedLocation): Obj {
  if (l['@odata.type'] === '#microsoft.graph.ipNamedLocation') {
    return {
      '@odata.type': l['@odata.type'],
      displayName: MANAGED_PREFIX + l.displayName,
      isTrusted: l.isTrusted ?? false,
      ipRanges: l.ipRanges.map((r) => ({ '@odata.type': r['@odata.type'] ?? (r.cidrAddress.includes(':') ? '#microsoft.graph.iPv6CidrRange' : '#microsoft.graph.iPv4CidrRange'), cidrAddress: r.cidrAddress })),
    };
  }
  return {
    '@odata.type': l['@odata.type'],
    displayName: MANAGED_PREFIX + l.displayName,
    countriesAndRegions: l.countriesAndRegions,
    includeUnknownCountriesAndRegions: l.includeUnknownCountriesAndRegions ?? false,
    countryLookupMethod: l.countryLookupMethod ?? 'clientIpAddress',
  };
}

/** The body Graph gets: prefixed name, report-only unless enabling, location names as ids. */
export function policyBody(p: CaPolicy, enable: boolean, locationId: (name: string) => string): Obj {
  const state = p.state === 'disabled' ? 'disabled' : enable ? p.state : REPORT_ONLY;
  const c = p.conditions;
  const loc = c.locations;
  const mapRef = (r: string) => (r === 'All' || r === 'AllTrusted' ? r : locationId(r));
  return {
    displayName: MANAGED_PREFIX + p.displayName,
    state,
    conditions: { ...c, ...(loc ? { locations: { includeLocations: (loc.includeLocations ?? []).map(mapRef), excludeLocations: (loc.excludeLocations ?? []).map(mapRef) } } : {}) },
    grantControls: p.grantControls ?? null,
    sessionControls: p.sessionControls ?? null,
  };
}

export function usesBetaOnly(set: CaSet): boolean {
  return set.policies.some((p) => p.policy.sessionControls?.secureSignInSession);
}

function excludesBreakGlass(body: Obj, breakGlass: string[]): boolean {
  const ex = new Set((((body.conditions as Obj | undefined)?.users as Obj | undefined)?.excludeUsers as string[] | undefined ?? []).map((x) => x.toLowerCase()));
  return breakGlass.every((b) => ex.has(b));
}

/** Resolves a policy's location reference (a local name or an id) to the id deployed for it. */
function resolver(set: CaSet, deployedLocations: Obj[], created: Map<string, string> = new Map()): (ref: string) => string {
  const local = new Set(set.namedLocations.map((l) => l.displayName.toLowerCase()));
  return (ref) => {
    if (!local.has(ref.toLowerCase())) return ref;
    const hit = created.get(ref.toLowerCase()) ?? (deployedLocations.find((l) => isManaged(l) && bare(l).toLowerCase() === ref.toLowerCase())?.id as string | undefined);
    return hit ?? `(new named location ${ref})`;
  };
}

export function makePlan(set: CaSet, deployed: Deployed, enable: boolean): Plan {
  const changes: Change[] = [];
  const desiredLocs = new Map(set.namedLocations.map((l) => [l.displayName.toLowerCase(), l]));
  for (const l of set.namedLocations) {
    const body = locationBody(l);
    const cur = deployed.locations.find((d) => isManaged(d) && bare(d).toLowerCase() === l.displayName.toLowerCase());
    if (!cur) changes.push({ kind: 'namedLocation', action: 'create', name: l.displayName, body });
    else {
      const fields = differing(body, pick(cur, LOCATION_FIELDS), LOCATION_FIELDS);
      changes.push({ kind: 'namedLocation', action: fields.length ? 'update' : 'unchanged', name: l.displayName, id: cur.id as string, body, fields });
    }
  }
  const resolve = resolver(set, deployed.locations);
  const desired = new Map(set.policies.map((p) => [p.policy.displayName.toLowerCase(), p.policy]));
  for (const { policy } of set.policies) {
    const cur = deployed.policies.find((d) => isManaged(d) && bare(d).toLowerCase() === policy.displayName.toLowerCase());
    // Enforcement someone switched on with --enable stays on; it is never switched on implicitly.
    const enforce = enable || (cur?.state === 'enabled' && policy.state === 'enabled');
    const body = policyBody(policy, enforce, resolve);
    if (!cur) changes.push({ kind: 'policy', action: 'create', name: policy.displayName, body, enforce });
    else {
      const fields = differing(body, pick(cur, POLICY_FIELDS), POLICY_FIELDS);
      changes.push({ kind: 'policy', action: fields.length ? 'update' : 'unchanged', name: policy.displayName, id: cur.id as string, body, fields, enforce });
    }
  }
  for (const d of deployed.policies) if (isManaged(d) && !desired.has(bare(d).toLowerCase())) changes.push({ kind: 'policy', action: 'delete', name: bare(d), id: d.id as string });
  for (const d of deployed.locations) if (isManaged(d) && !desiredLocs.has(bare(d).toLowerCase())) changes.push({ kind: 'namedLocation', action: 'delete', name: bare(d), id: d.id as string });
  return {
    policyVersion: usesBetaOnly(set) ? 'beta' : 'v1.0',
    changes,
    unmanaged: [...deployed.policies, ...deployed.locations].filter((d) => !isManaged(d)).map((d) => String(d.displayName)),
    drift: deployed.policies.filter((d) => isManaged(d) && !excludesBreakGlass(d, set.breakGlass)).map(bare),
  };
}

function graphFailure(what: string, e: unknown): UserError {
  const g = e as { statusCode?: number; code?: string; message?: string };
  if (e instanceof UserError) return e;
  if (!g.statusCode || g.statusCode < 0) return new UserError(`could not reach Microsoft Graph for ${what}: ${g.message ?? String(e)}`);
  return new UserError(`Microsoft Graph refused ${what}: ${g.statusCode ?? ''} ${g.code ?? ''} ${g.message ?? String(e)}`.replace(/\s+/g, ' ').trim());
}

async function listAll(client: Client, path: string, version: string): Promise<Obj[]> {
  const out: Obj[] = [];
  let res: { value?: Obj[]; '@odata.nextLink'?: string };
  try {
    res = (await client.api(path).version(version).get()) as typeof res;
    out.push(...(res.value ?? []));
    for (let guard = 0; res['@odata.nextLink'] && guard < 1000; guard++) {
      res = (await client.api(res['@odata.nextLink']).get()) as typeof res;
      out.push(...(res.value ?? []));
    }
  } catch (e) {
    throw graphFailure(`GET ${path}`, e);
  }
  return out;
}

export async function readDeployed(client: Client, policyVersion: string): Promise<Deployed> {
  return {
    policies: await listAll(client, '/identity/conditionalAccess/policies', policyVersion),
    locations: await listAll(client, '/identity/conditionalAccess/namedLocations', 'v1.0'),
  };
}

export interface ApplyLog {
  writes: number;
  lines: string[];
}

/**
 * Applies a plan: named locations first (policies refer to them), then policies, then deletions.
 * Every body is checked for the break-glass exclusion before the first write.
 */
export async function applyPlan(client: Client, set: CaSet, plan: Plan, deployed: Deployed): Promise<ApplyLog> {
  const log: ApplyLog = { writes: 0, lines: [] };
  const lacking = plan.changes.filter((c) => c.kind === 'policy' && c.body && c.action !== 'unchanged' && !excludesBreakGlass(c.body, set.breakGlass));
  if (lacking.length) throw new UserError(`refusing to apply: ${lacking.map((c) => `'${c.name}'`).join(', ')} would not exclude the break-glass accounts (${set.breakGlass.join(', ')}); nothing written`);
  const call = async (what: string, fn: () => Promise<unknown>) => {
    try {
      const r = await fn();
      log.writes++;
      log.lines.push(what);
      return r as Obj | undefined;
    } catch (e) {
      const err = graphFailure(what, e);
      err.message += log.lines.length ? ` (done before the failure: ${log.lines.join('; ')})` : ' (nothing written)';
      throw err;
    }
  };
  const created = new Map<string, string>();
  const locBase = '/identity/conditionalAccess/namedLocations';
  for (const c of plan.changes.filter((x) => x.kind === 'namedLocation')) {
    if (c.action === 'create') {
      const r = await call(`create named location '${c.name}'`, () => client.api(locBase).version('v1.0').post(c.body));
      created.set(c.name.toLowerCase(), String(r?.id));
    } else if (c.action === 'update') await call(`update named location '${c.name}'`, () => client.api(`${locBase}/${c.id}`).version('v1.0').patch(c.body));
  }
  const resolve = resolver(set, deployed.locations, created);
  const polBase = '/identity/conditionalAccess/policies';
  for (const c of plan.changes.filter((x) => x.kind === 'policy' && (x.action === 'create' || x.action === 'update'))) {
    const policy = set.policies.find((p) => p.policy.displayName === c.name)!.policy;
    const body = policyBody(policy, !!c.enforce, resolve);
    if (c.action === 'create') await call(`create policy '${c.name}' (${body.state})`, () => client.api(polBase).version(plan.policyVersion).post(body));
    else await call(`update policy '${c.name}' (${c.fields?.join(', ')})`, () => client.api(`${polBase}/${c.id}`).version(plan.policyVersion).patch(body));
  }
  for (const c of plan.changes.filter((x) => x.action === 'delete' && x.kind === 'policy')) await call(`delete policy '${c.name}'`, () => client.api(`${polBase}/${c.id}`).version(plan.policyVersion).delete());
  for (const c of plan.changes.filter((x) => x.action === 'delete' && x.kind === 'namedLocation')) await call(`delete named location '${c.name}'`, () => client.api(`${locBase}/${c.id}`).version('v1.0').delete());
  return log;
}
