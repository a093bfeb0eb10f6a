// The ingestion-delay pattern of the Sentinel documentation, emitted for Scheduled rules: widen the
// TimeGenerated look-back by the table's delay and keep only rows ingested since the previous run,
// so a late row is still seen, and seen once.
import { humanDuration, toKqlTimespan } from '../rules/duration.js';
import type { Rule } from '../rules/model.js';
import { LIMITS } from '../rules/sentinel.js';

/** Expected ingestion delay per table (about P99), from the research notes §3.3. */
export const DEFAULT_DELAYS: Record<string, number> = {
  SigninLogs: 5 * 60_000,
  AADNonInteractiveUserSignInLogs: 5 * 60_000,
  AADServicePrincipalSignInLogs: 5 * 60_000,
  AuditLogs: 5 * 60_000,
  AADUserRiskEvents: 10 * 60_000,
  AADRiskyUsers: 10 * 60_000,
  SecurityAlert: 5 * 60_000,
  SecurityIncident: 5 * 60_000,
  CloudAppEvents: 10 * 60_000,
  MicrosoftGraphActivityLogs: 30 * 60_000,
  OfficeActivity: 90 * 60_000,
  BehaviorAnalytics: 30 * 60_000,
};

/** Reference tables hold state, not events: never windowed by ingestion time. */
export const REFERENCE_TABLES = new Set(['IdentityInfo', 'Watchlist']);

export interface DelayPlan {
  /** queryPeriod to deploy (ms). */
  queryPeriod: number;
  /** `let` statements to put ahead of the query (may be empty). */
  prelude: string;
  /** What was done, for the build report. */
  note: string | null;
}

/**
 * Plans the ingestion-delay handling of a Scheduled rule reading `tables`.
 * Windowed rules (queryPeriod == queryFrequency) get the full pattern: each event table is
 * shadowed by a `let` that widens TimeGenerated and keeps rows ingested in the last interval.
 * Rules that look further back only get queryPeriod widened when they use ingestion_time()
 * themselves; otherwise the query is left alone and a note says so.
 */
export function planDelay(rule: Rule, tables: string[], callsIngestionTime: boolean, profile: Record<string, number>): DelayPlan {
  const frequency = rule.queryFrequency!;
  const period = rule.queryPeriod!;
  const unchanged = (note: string | null): DelayPlan => ({ queryPeriod: period, prelude: '', note });
  if (rule.kind !== 'Scheduled' || rule.ingestionDelay === 'off') return unchanged(null);
  const events = tables.filter((t) => !REFERENCE_TABLES.has(t));
  const delayOf = (t: string) => (typeof rule.ingestionDelay === 'number' ? rule.ingestionDelay : (profile[t] ?? DEFAULT_DELAYS[t] ?? 0));
  const delays = events.map((t) => [t, delayOf(t)] as const).filter(([, d]) => d > 0);
  if (!delays.length) return unchanged(null);
  const maxDelay = Math.max(...delays.map(([, d]) => d));
  const widened = Math.min(period + maxDelay, LIMITS.maxSchedule);
  const capped = widened < period + maxDelay ? ` (capped at 14d, ${humanDuration(period + maxDelay - widened)} short)` : '';
  if (period === frequency && !callsIngestionTime) {
    const lets = delays.map(
      ([t, d]) => `let ${t} = ${t} | where TimeGenerated >= ago(${toKqlTimespan(Math.min(period + d, LIMITS.maxSchedule))}) | where ingestion_time() > ago(${toKqlTimespan(frequency)});\n`,
    );
    const head = `// sessionguard: ingestion-delay window: rows ingested in the last ${humanDuration(frequency)}, up to ${humanDuration(maxDelay)} late\n`;
    return {
      queryPeriod: widened,
      prelude: head + lets.join(''),
      note: `ingestion window applied to ${delays.map(([t]) => t).join(', ')}; queryPeriod ${humanDuration(period)} -> ${humanDuration(widened)}${capped}`,
    };
  }
  if (callsIngestionTime) {
    return { queryPeriod: widened, prelude: '', note: `query uses ingestion_time(); queryPeriod ${humanDuration(period)} -> ${humanDuration(widened)}${capped}` };
  }
  return unchanged(
    `looks back ${humanDuration(period)} every ${humanDuration(frequency)}: not windowed automatically; rows up to ${humanDuration(maxDelay)} late may be missed unless the query filters on ingestion_time()`,
  );
}
