// Replays recorded logs through the rules as Sentinel schedules them: Scheduled rules every
// queryFrequency on a 5-minute delay, NRT rules every minute over the rows ingested in the minute
// before, on a 2-minute delay. A row is visible only from its ingestion time. Alerts become
// incidents; automation runs the rule's playbooks after a latency, within the guardrails.
import type { CompiledRule } from '../compile/build.js';
import { parseDuration } from '../rules/duration.js';
import { playbooksForRule } from '../playbooks/automation.js';
import { CONTAINMENT_STEPS, type Playbook, type Step } from '../playbooks/model.js';
import { alertsFromResult, type Alert, type QueryResult } from './alerts.js';
import { Incidents, type Incident } from './incidents.js';

/** The window one rule run sees: TimeGenerated in [from, now] and ingestion time <= ingestedUntil; or,
 * with ingestedAfter (NRT), ingestion time in [ingestedAfter, ingestedUntil). */
export interface RunWindow {
  now: Date;
  timeGeneratedFrom?: Date;
  ingestedAfter?: Date;
  ingestedUntil: Date;
}

export interface PreparedQuery {
  run(window: RunWindow): QueryResult;
}

/** What replay needs from a query engine: prepare once, run for many windows. */
export interface ReplayEngine {
  prepare(kql: string): PreparedQuery;
  /** Minutes (epoch ms / 60000) in which any row was ingested; lets NRT skip empty minutes. */
  ingestionMinutes?(): Set<number>;
  /** Makes raised alerts queryable as SecurityAlert rows, as Sentinel does. */
  recordAlerts?(rows: Record<string, unknown>[]): void;
}

export interface ResponseAction {
  incident: number;
  playbook: string;
  action: Step;
  account: string;
  at: Date;
  skipped: string | null;
}

export interface ReplayOptions {
  engine: ReplayEngine;
  rules: CompiledRule[];
  playbooks: Playbook[];
  /** Account object ids never to act on (break-glass, service accounts). */
  excludedAccountIds: Set<string>;
  /** AadUserId -> UPN, to name accounts. */
  directory: Map<string, string>;
  start: Date;
  end: Date;
  scheduledDelayMs?: number;
  nrtDelayMs?: number;
  playbookLatencyMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RuleRun {
  ruleId: string;
  at: Date;
  rows: number;
  alerts: number;
}

export interface ReplayResult {
  alerts: Alert[];
  incidents: Incident[];
  responses: ResponseAction[];
  runs: RuleRun[];
}

const MIN = 60_000;

interface Scheduled {
  rule: CompiledRule;
  prepared: PreparedQuery;
  /** Execution times. */
  times: number[];
}


const reverse = new WeakMap<Map<string, string>, Map<string, string>>();
/** UPN (lower case) -> AadUserId, built once per directory. */
function idOfUpn(directory: Map<string, string>, upn: string): string | null {
  let r = reverse.get(directory);
  if (!r) {
    r = new Map([...directory].map(([id, u]) => [u.toLowerCase(), id]));
    reverse.set(directory, r);
  }
  return r.get(upn.toLowerCase()) ?? null;
}

/** The account object ids and UPNs an incident's alerts name. */
export function incidentAccounts(inc: Incident, directory: Map<string, string>): { id: string | null; upn: string }[] {
  const out = new Map<string, { id: string | null; upn: string }>();
  for (const a of inc.alerts) {
    for (const e of a.entities) {
      if (e.type !== 'Account') continue;
      const id = e.identifiers.AadUserId ?? null;
      const upn =
        (id && directory.get(id)) ||
        e.identifiers.FullName ||
        (e.identifiers.Name && e.identifiers.UPNSuffix ? `${e.identifiers.Name}@${e.identifiers.UPNSuffix}` : e.identifiers.Name) ||
        id ||
        '';
      if (!upn) continue;
      out.set(upn.toLowerCase(), { id: id ?? idOfUpn(directory, upn), upn });
    }
  }
  return [...out.values()];
}

export function replay(o: ReplayOptions): ReplayResult {
  const scheduledDelay = o.scheduledDelayMs ?? 5 * MIN;
  const nrtDelay = o.nrtDelayMs ?? 2 * MIN;
  const latency = o.playbookLatencyMs ?? MIN;
  const start = o.start.getTime();
  const end = o.end.getTime();
  const busyMinutes = o.engine.ingestionMinutes?.();

  const plans: Scheduled[] = o.rules
    .filter((r) => r.enabled)
    .map((rule) => {
      const times: number[] = [];
      if (rule.rule.kind === 'NRT') {
        // The run at minute m looks at rows ingested in [m-1, m) and executes at m + delay.
        for (let m = Math.floor(start / MIN) + 1; m * MIN <= end; m++) {
          if (busyMinutes && !busyMinutes.has(m - 1)) continue;
          times.push(m * MIN + nrtDelay);
        }
      } else {
        // Runs are on the frequency's grid; the first one that executes after the data starts.
        const f = rule.rule.queryFrequency!;
        for (let t = Math.ceil((start - scheduledDelay) / f) * f; t + scheduledDelay <= end + f; t += f) times.push(t + scheduledDelay);
      }
      return { rule, prepared: o.engine.prepare(rule.query), times };
    });

  // Every run of every rule, in time order (rule order breaks ties, as Sentinel's order is arbitrary).
  const queue: { t: number; plan: Scheduled }[] = [];
  for (const p of plans) for (const t of p.times) queue.push({ t, plan: p });
  queue.sort((a, b) => a.t - b.t || o.rules.indexOf(a.plan.rule) - o.rules.indexOf(b.plan.rule));

  const incidents = new Incidents();
  const alerts: Alert[] = [];
  const responses: ResponseAction[] = [];
  const runs: RuleRun[] = [];
  const suppressedUntil = new Map<string, number>();
  const contained: { t: number; account: string }[] = [];

  queue.forEach(({ t, plan }, i) => {
    if (o.onProgress && i % 200 === 0) o.onProgress(i, queue.length);
    const rule = plan.rule.rule;
    if ((suppressedUntil.get(rule.id) ?? -Infinity) > t) return;
    const now = new Date(t);
    const window: RunWindow =
      rule.kind === 'NRT'
        ? { now, ingestedAfter: new Date(t - nrtDelay - MIN), ingestedUntil: new Date(t - nrtDelay) }
        : { now, timeGeneratedFrom: new Date(t - (parseDuration(String(plan.rule.model.properties.queryPeriod)) ?? rule.queryPeriod!)), ingestedUntil: now };
    const result = plan.prepared.run(window);
    const raised = alertsFromResult(rule, result, now);
    runs.push({ ruleId: rule.id, at: now, rows: result.rows.length, alerts: raised.length });
    if (!raised.length) return;
    if (rule.suppressionEnabled) suppressedUntil.set(rule.id, t + rule.suppressionDuration);
    o.engine.recordAlerts?.(raised.map((a) => securityAlertRow(plan.rule, a, o.directory)));
    for (const alert of raised) {
      alerts.push(alert);
      const filed = incidents.add(rule, alert);
      if (!filed) continue;
      const trigger = filed.created || rule.response?.onAlertAdded === true;
      if (!trigger) continue;
      const at = new Date(t + latency);
      for (const pb of playbooksForRule(plan.rule.rule, o.playbooks)) {
        for (const acct of incidentAccounts(filed.incident, o.directory)) {
          const excluded = (acct.id && (o.excludedAccountIds.has(acct.id) || pb.excludedAccountIds.includes(acct.id))) || false;
          const recent = new Set(contained.filter((c) => c.t > at.getTime() - 60 * MIN).map((c) => c.account));
          const overLimit = !recent.has(acct.upn.toLowerCase()) && recent.size >= pb.maxAccountsPerHour;
          let acted = false;
          for (const step of pb.steps) {
            const containment = CONTAINMENT_STEPS.includes(step);
            let skipped: string | null = null;
            if (excluded) skipped = 'excluded account';
            else if (containment && overLimit) skipped = `blast radius limit (${pb.maxAccountsPerHour} accounts per hour)`;
            else if (containment && pb.dryRun) skipped = 'dry run';
            if (containment && !skipped) acted = true;
            responses.push({ incident: filed.incident.id, playbook: pb.name, action: step, account: acct.upn, at, skipped });
          }
          if (acted) contained.push({ t: at.getTime(), account: acct.upn.toLowerCase() });
        }
      }
    }
  });
  o.onProgress?.(queue.length, queue.length);
  return { alerts, incidents: incidents.all, responses, runs };
}

/** The SecurityAlert row Sentinel writes for an analytics-rule alert (the columns rules read). */
export function securityAlertRow(rule: CompiledRule, a: Alert, directory: Map<string, string>): Record<string, unknown> {
  const entities = a.entities.map((e, i) => ({ $id: String(i + 2), Type: e.type.toLowerCase(), ...e.identifiers }));
  const account = a.entities.find((e) => e.type === 'Account');
  const compromised = account ? (directory.get(account.identifiers.AadUserId ?? '') ?? account.identifiers.FullName ?? account.identifiers.Name ?? '') : '';
  const at = a.createdAt.toISOString();
  return {
    TimeGenerated: at,
    _TimeReceived: new Date(a.createdAt.getTime() + 30_000).toISOString(),
    AlertName: a.displayName,
    DisplayName: a.displayName,
    AlertSeverity: a.severity,
    Description: a.description,
    ProviderName: rule.rule.kind === 'NRT' ? 'NRT Alerts' : 'ASI Scheduled Alerts',
    ProductName: 'Azure Sentinel',
    VendorName: 'Microsoft',
    AlertType: `${rule.rule.kind === 'NRT' ? 'NRT' : 'Scheduled'}_${rule.guid}`,
    SystemAlertId: `${rule.guid}-${a.createdAt.getTime()}-${a.rows[0] ?? 0}`,
    Status: 'New',
    Tactics: a.tactics.join(', '),
    Techniques: JSON.stringify(rule.rule.techniques),
    SubTechniques: JSON.stringify(rule.rule.subTechniques),
    Entities: JSON.stringify(entities),
    CompromisedEntity: compromised,
    StartTime: at,
    EndTime: at,
    ExtendedProperties: JSON.stringify({
      'Analytic Rule Ids': JSON.stringify([rule.guid]),
      'Analytic Rule Name': rule.rule.name,
      'Event Grouping': rule.rule.aggregationKind,
      'Custom Details': JSON.stringify(a.customDetails),
    }),
  };
}

export interface AttackLabel {
  id: string;
  account: string;
  start: string;
  /** Optional: when the attacker first used the stolen session or token (the synthesizer writes it). */
  firstTokenUse?: string;
}

export interface AttackOutcome {
  id: string;
  account: string;
  start: string;
  detectedAt: string | null;
  respondedAt: string | null;
  timeToDetectSeconds: number | null;
  timeToRespondSeconds: number | null;
  /** From the label's firstTokenUse, when given; negative when revoked before the token was used. */
  firstTokenUse: string | null;
  tokenUseToRespondSeconds: number | null;
  firstRule: string | null;
  /** Revocation reaches CAE-capable services (Exchange, SharePoint, Teams) by then at the latest. */
  caeRevokedBy: string | null;
  /** Worst case for services without CAE: an access token issued just before revocation lives 90 minutes. */
  worstCaseRevokedBy: string | null;
}

const CAE_MS = 15 * MIN;
const TOKEN_LIFETIME_MS = 90 * MIN;

export function attackOutcomes(labels: AttackLabel[], r: ReplayResult, directory: Map<string, string>): AttackOutcome[] {
  return labels.map((l) => {
    const start = Date.parse(l.start);
    const acct = l.account.toLowerCase();
    const mine = r.incidents
      .filter((inc) => incidentAccounts(inc, directory).some((a) => a.upn.toLowerCase() === acct))
      .flatMap((inc) => inc.alerts.filter((a) => a.createdAt.getTime() >= start && incidentAccountsOfAlert(a, directory).includes(acct)));
    mine.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const first = mine[0];
    const revoked = r.responses
      .filter((x) => x.account.toLowerCase() === acct && x.action === 'revokeSessions' && !x.skipped && x.at.getTime() >= start)
      .sort((a, b) => a.at.getTime() - b.at.getTime())[0];
    const secs = (t: number | undefined) => (t === undefined ? null : Math.round((t - start) / 1000));
    const use = l.firstTokenUse ? Date.parse(l.firstTokenUse) : NaN;
    return {
      id: l.id,
      account: l.account,
      start: new Date(start).toISOString(),
      detectedAt: first ? first.createdAt.toISOString() : null,
      respondedAt: revoked ? revoked.at.toISOString() : null,
      timeToDetectSeconds: secs(first?.createdAt.getTime()),
      timeToRespondSeconds: secs(revoked?.at.getTime()),
      firstTokenUse: Number.isNaN(use) ? null : new Date(use).toISOString(),
      tokenUseToRespondSeconds: revoked && !Number.isNaN(use) ? Math.round((revoked.at.getTime() - use) / 1000) : null,
      firstRule: first?.ruleId ?? null,
      caeRevokedBy: revoked ? new Date(revoked.at.getTime() + CAE_MS).toISOString() : null,
      worstCaseRevokedBy: revoked ? new Date(revoked.at.getTime() + TOKEN_LIFETIME_MS).toISOString() : null,
    };
  });
}

function incidentAccountsOfAlert(a: Alert, directory: Map<string, string>): string[] {
  return incidentAccounts({ id: 0, ruleId: a.ruleId, title: '', severity: a.severity, createdAt: a.createdAt, updatedAt: a.createdAt, alerts: [a] }, directory).map((x) =>
    x.upn.toLowerCase(),
  );
}
