// The what-if over a tenant's recorded sign-ins: every policy against every successful sign-in,
// per policy who would be blocked or challenged, and per recorded attack whether the set stops it.
import { readFileSync } from 'node:fs';
import { UserError } from '../diagnostics.js';
import { checkSchema } from '../rules/check.js';
import { positionOf, readYamlFile } from '../rules/source.js';
import { readLabels } from '../runner/simulate.js';
import { attackerPasses, compilePolicy, type Decision, type EvalContext } from './evaluate.js';
import type { CaSet, NamedLocation } from './model.js';
import { MEMBERSHIP_SCHEMA, NAMED_LOCATIONS_EXPORT_SCHEMA, NAMED_LOCATIONS_GRAPH_LIST_SCHEMA } from './schema.js';
import { cidrProblem } from './load.js';
import { userRiskAt, type RecordedLogs, type RiskEvent, type SignIn } from './signins.js';

export interface AttackLabel {
  id: string;
  account: string;
  start: string;
  /** The attacker's addresses, when the labels carry them (the synthesizer's do). */
  ips?: string[];
}

export interface PolicyEffect {
  name: string;
  file: string;
  state: string;
  blocked: number;
  challenged: number;
  sessionLimited: number;
  usersAffected: string[];
  /** The sign-ins it would block or challenge, in time order. */
  signIns: AffectedSignIn[];
}

export interface AffectedSignIn {
  where: string;
  at: string;
  user: string;
  app: string;
  resource: string;
  outcome: 'block' | 'challenge';
  why: string[];
}

export interface AttackEffect {
  id: string;
  account: string;
  /** The attacker's successful sign-ins found in the logs. */
  signIns: number;
  /** Of those, how many would have failed. */
  stoppedSignIns: number;
  /** Policy name -> attacker sign-ins it would have stopped. */
  stoppedBy: Record<string, number>;
  /** The first attacker sign-in that would still have succeeded. */
  firstThrough?: { where: string; at: string; app: string; resource: string };
  stopped: boolean;
}

export interface WhatIfReport {
  evaluated: number;
  skippedFailed: number;
  policies: PolicyEffect[];
  attacks: AttackEffect[];
  notes: string[];
}

/** --groups: group (or role) object id -> members (user object ids or UPNs). */
export function readMembership(file: string): Map<string, Set<string>> {
  const r = readYamlFile(file);
  if (!r.ok) throw new UserError('cannot read --groups', r.diagnostics.map((d) => ({ ...d, file })));
  const src = { ...r.source, file };
  if (src.data === null || typeof src.data !== 'object' || Array.isArray(src.data)) throw new UserError(`${file}:1:1: expected a mapping of group or role id to a list of members (user object ids or UPNs)`);
  const ds = checkSchema(src, MEMBERSHIP_SCHEMA);
  if (ds.length) throw new UserError('invalid --groups file', ds);
  const out = new Map<string, Set<string>>();
  for (const [g, members] of Object.entries(src.data as Record<string, string[]>)) out.set(g.toLowerCase(), new Set(members.map((m) => m.toLowerCase())));
  return out;
}

/** --named-locations: a list in our format or Graph's list response, ids kept. */
export function readNamedLocations(file: string): (NamedLocation & { id?: string })[] {
  const r = readYamlFile(file);
  if (!r.ok) throw new UserError('cannot read --named-locations', r.diagnostics.map((d) => ({ ...d, file })));
  const src = { ...r.source, file };
  const isList = Array.isArray(src.data);
  if (!isList && !(src.data && typeof src.data === 'object')) throw new UserError(`${file}:1:1: expected a list of named locations, or Graph's { "value": [...] }`);
  const ds = checkSchema(src, isList ? NAMED_LOCATIONS_EXPORT_SCHEMA : NAMED_LOCATIONS_GRAPH_LIST_SCHEMA);
  if (ds.length) throw new UserError('invalid --named-locations file', ds);
  const list = (isList ? src.data : (src.data as { value: unknown }).value) as (NamedLocation & { id?: string })[];
  const problems = list.flatMap((l, i) =>
    l['@odata.type'] !== '#microsoft.graph.ipNamedLocation'
      ? []
      : l.ipRanges.flatMap((range, j) => {
          const p = cidrProblem(range.cidrAddress);
          const pos = positionOf(src, [...(isList ? [] : ['value']), i, 'ipRanges', j, 'cidrAddress']);
          return p ? [{ file, line: pos.line, col: pos.col, severity: 'error' as const, message: `${p}; expected address/prefix` }] : [];
        }),
  );
  if (problems.length) throw new UserError('invalid --named-locations file', problems);
  return list;
}

/** Labels in the runner's format ({id, account, start}); the synthesizer's extra `ips` are used when present. */
export function readAttackLabels(file: string): AttackLabel[] {
  const base = readLabels(file);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
  return base.map((l, i) => {
    const ips = raw[i]?.ips;
    return Array.isArray(ips) && ips.every((x) => typeof x === 'string') ? { ...l, ips: ips as string[] } : l;
  });
}

function riskIndex(events: RiskEvent[]): (userId: string, at: number) => string {
  const by = new Map<string, RiskEvent[]>();
  for (const e of events) by.set(e.userId, [...(by.get(e.userId) ?? []), e]);
  return (userId, at) => userRiskAt(by.get(userId) ?? [], at);
}

/** Attacker sign-ins of a label: the account's, from the start on, from the attacker's addresses. */
function attackerRows(label: AttackLabel, signIns: SignIn[]): SignIn[] {
  const account = label.account.toLowerCase();
  const start = Date.parse(label.start);
  const mine = signIns.filter((s) => s.upn === account);
  // Without addresses in the label: addresses the account had not used before the attack began.
  const known = new Set(mine.filter((s) => s.at < start).map((s) => s.ip));
  const ips = label.ips ? new Set(label.ips) : null;
  return mine.filter((s) => s.at >= start && (ips ? ips.has(s.ip) : !known.has(s.ip)));
}

export function whatIf(set: CaSet, logs: RecordedLogs, opts: { members?: Map<string, Set<string>>; namedLocations?: (NamedLocation & { id?: string })[]; labels?: AttackLabel[] } = {}): WhatIfReport {
  const lastFresh = new Map<string, number>();
  const ctx: EvalContext = {
    members: opts.members ?? new Map(),
    namedLocations: [...set.namedLocations, ...(opts.namedLocations ?? [])],
    userRisk: riskIndex(logs.riskEvents),
    sinceFreshAuth: (s) => {
      const t = s.sessionId ? lastFresh.get(s.sessionId) : undefined;
      return t === undefined ? null : s.at - t;
    },
  };
  const notes: string[] = [];
  const active = set.policies.filter((p) => p.policy.state !== 'disabled');
  for (const p of set.policies) if (p.policy.state === 'disabled') notes.push(`${p.policy.displayName}: disabled, not evaluated`);
  for (const p of active) {
    const a = p.policy.conditions.applications;
    if (!a.includeApplications?.length && a.includeUserActions?.length) notes.push(`${p.policy.displayName}: user actions do not appear in sign-in logs; not evaluated`);
  }
  const compiled = active.map((p) => ({ loaded: p, c: compilePolicy(p.policy, ctx) }));
  const effects = compiled.map(({ loaded }) => ({ name: loaded.policy.displayName, file: loaded.file, state: loaded.policy.state, blocked: 0, challenged: 0, sessionLimited: 0, users: new Set<string>(), signIns: [] as AffectedSignIn[] }));
  const decisions = new Map<SignIn, Decision[]>();
  let evaluated = 0;
  let skippedFailed = 0;
  for (const s of logs.signIns) {
    // A failed sign-in got no token; an interrupt (50074, …) is followed by the flow's success row.
    if (!s.success) {
      skippedFailed++;
      continue;
    }
    evaluated++;
    const ds = compiled.map(({ c }) => c.evaluate(s));
    decisions.set(s, ds);
    ds.forEach((d, i) => {
      const e = effects[i]!;
      if (d.outcome === 'block') e.blocked++;
      else if (d.outcome === 'challenge') e.challenged++;
      else if (d.outcome === 'session') e.sessionLimited++;
      if (d.outcome === 'block' || d.outcome === 'challenge') {
        e.users.add(s.upn || s.userId);
        e.signIns.push({ where: s.where, at: new Date(s.at).toISOString(), user: s.upn || s.userId, app: s.appName || s.appId, resource: s.resourceName || s.resourceId, outcome: d.outcome, why: d.outcome === 'block' ? d.blocks : d.challenges });
      }
    });
    if (s.freshAuth && s.sessionId) lastFresh.set(s.sessionId, s.at);
  }
  const attacks: AttackEffect[] = (opts.labels ?? []).map((l) => {
    const rows = attackerRows(l, logs.signIns).filter((s) => decisions.has(s));
    const stoppedBy: Record<string, number> = {};
    let stopped = 0;
    let firstThrough: AttackEffect['firstThrough'];
    for (const s of rows) {
      const ds = decisions.get(s)!;
      const by = ds.map((d, i) => (attackerPasses(d, s) ? null : effects[i]!.name)).filter((x): x is string => x !== null);
      if (by.length) {
        stopped++;
        for (const n of by) stoppedBy[n] = (stoppedBy[n] ?? 0) + 1;
      } else firstThrough ??= { where: s.where, at: new Date(s.at).toISOString(), app: s.appName || s.appId, resource: s.resourceName || s.resourceId };
    }
    return { id: l.id, account: l.account, signIns: rows.length, stoppedSignIns: stopped, stoppedBy, firstThrough, stopped: rows.length > 0 && stopped === rows.length };
  });
  return {
    evaluated,
    skippedFailed,
    policies: effects.map(({ users, ...e }) => ({ ...e, usersAffected: [...users].sort() })),
    attacks,
    notes,
  };
}

/** The documented JSON shape of `ca whatif --format json`. */
export function whatIfJson(r: WhatIfReport): { policies: { name: string; blocked: number; challenged: number; usersAffected: string[] }[]; attacksStopped: string[]; attacksNotStopped: string[] } {
  return {
    policies: r.policies.map((p) => ({ name: p.name, blocked: p.blocked, challenged: p.challenged, usersAffected: p.usersAffected })),
    attacksStopped: r.attacks.filter((a) => a.stopped).map((a) => a.id),
    attacksNotStopped: r.attacks.filter((a) => !a.stopped).map((a) => a.id),
  };
}
