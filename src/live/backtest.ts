// Backtest: how many alerts each rule would have raised over past days in a live workspace. Each
// rule runs window by window as Sentinel schedules it (the replay's grid), "as of" each run time;
// row-local rules run batched (batch.ts). Alerts come from the runner's own logic (alerts.ts).
import type { CompiledRule, RuleInput } from '../compile/build.js';
import { UserError } from '../diagnostics.js';
import type { SchemaEnv } from '../kql/kusto.js';
import { parseDuration } from '../rules/duration.js';
import { alertsFromResult, type Alert } from '../runner/alerts.js';
import { batchBlocker, batchedQuery, inScheduledWindow, IT, scheduledWindowing, SRC, TG, type ScheduledWindowing } from './batch.js';
import { WindowCache, type WindowResult } from './cache.js';
import { asOf, kqlDatetime } from './kql.js';
import type { Remote } from './remote.js';

const MIN = 60_000;
/** Sentinel's delays, as the replay models them. */
export const SCHEDULED_DELAY = 5 * MIN;
export const NRT_DELAY = 2 * MIN;
/** How far back an NRT window's rows may have been generated (the query's time range). */
const NRT_LOOKBACK = 2 * 86_400_000;

export interface BacktestRule {
  input: RuleInput;
  compiled: CompiledRule;
}

export interface BacktestOptions {
  remote: Remote;
  rules: BacktestRule[];
  /** Runs executing in [start, end] (ms). */
  start: number;
  end: number;
  env: SchemaEnv;
  /** The compiler's delay profile for this workspace. */
  delayProfile: Record<string, number>;
  cacheDir: string | null;
  /** Batch row-local rules (default true). */
  batch?: boolean;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface EntityCount {
  type: string;
  identifiers: Record<string, string>;
  alerts: number;
}

export interface RuleBacktest {
  id: string;
  name: string;
  kind: string;
  /** Why the rule ran window by window, or null when batched. */
  unbatchedBecause: string | null;
  windows: number;
  cachedWindows: number;
  queries: number;
  /** Chunks split in two after a result-too-large or timeout answer. */
  splits: number;
  truncatedWindows: number;
  alerts: number;
  /** Runs that raised at least one alert. */
  alertingRuns: number;
  perDay: { day: string; alerts: number }[];
  perEntity: EntityCount[];
}

export interface BacktestResult {
  workspace: string;
  workspaceId: string;
  start: string;
  end: string;
  rules: RuleBacktest[];
}

/** Run times of a rule in [start, end] on Sentinel's grid (the replay's: frequency multiples + delay). */
export function runTimes(c: CompiledRule, start: number, end: number): number[] {
  const out: number[] = [];
  if (c.rule.kind === 'NRT') {
    for (let m = Math.ceil((start - NRT_DELAY) / MIN); m * MIN + NRT_DELAY <= end; m++) out.push(m * MIN + NRT_DELAY);
  } else {
    const f = c.rule.queryFrequency!;
    for (let k = Math.ceil((start - SCHEDULED_DELAY) / f); k * f + SCHEDULED_DELAY <= end; k++) out.push(k * f + SCHEDULED_DELAY);
  }
  return out;
}

function deployedPeriod(c: CompiledRule): number {
  return parseDuration(String(c.model.properties.queryPeriod ?? '')) ?? c.rule.queryPeriod ?? 0;
}

/** One window's query, "as of" its run time, and the time range sent with it. */
function windowQuery(r: BacktestRule, t: number): { kql: string; from: number; to: number } {
  const c = r.compiled;
  if (c.rule.kind === 'NRT') {
    const before = t - NRT_DELAY;
    return { kql: asOf(c.query, r.input.analysis.tables, t, { after: before - MIN, before }), from: before - MIN - NRT_LOOKBACK, to: t };
  }
  return { kql: asOf(c.query, r.input.analysis.tables, t), from: t - deployedPeriod(c), to: t };
}

class Runner {
  queries = 0;
  splits = 0;
  constructor(
    private readonly o: BacktestOptions,
    private readonly tick: (n: number) => void,
  ) {}

  private check(): void {
    if (this.o.signal?.aborted) throw new UserError('backtest interrupted; finished windows are cached, run it again to resume');
  }

  async single(r: BacktestRule, t: number): Promise<WindowResult> {
    this.check();
    const q = windowQuery(r, t);
    this.queries++;
    const res = await this.o.remote.query(q.kql, q.from, q.to);
    if (res.limit === 'timeout') throw new UserError(`rule ${r.compiled.rule.id}: the window at ${new Date(t).toISOString()} timed out in the workspace; a single window cannot be split further`);
    return { t, columns: res.columns, rows: res.rows, ...(res.limit ? { truncated: true } : {}) };
  }

  /** Windows `ts` of a batched rule from as few queries as the limits allow. */
  async batched(r: BacktestRule, ts: number[], win: ScheduledWindowing | null, values: Record<string, unknown>, store: (x: WindowResult[]) => void): Promise<void> {
    this.check();
    const first = ts[0]!;
    const last = ts[ts.length - 1]!;
    let from: number;
    let filter: string;
    if (win) {
      from = first - win.periodMs;
      filter = `${IT} <= ${kqlDatetime(last)}`;
    } else {
      from = first - NRT_DELAY - MIN - NRT_LOOKBACK;
      filter = `${IT} >= ${kqlDatetime(first - NRT_DELAY - MIN)} and ${IT} < ${kqlDatetime(last - NRT_DELAY)}`;
    }
    this.queries++;
    const res = await this.o.remote.query(batchedQuery(r.input, values, filter), from, last);
    if (res.limit) {
      if (ts.length === 1) {
        store([await this.single(r, first)]);
        this.tick(1);
        return;
      }
      this.splits++;
      const mid = Math.ceil(ts.length / 2);
      await this.batched(r, ts.slice(0, mid), win, values, store);
      await this.batched(r, ts.slice(mid), win, values, store);
      return;
    }
    const tgAt = res.columns.findIndex((c) => c.name === TG);
    const itAt = res.columns.findIndex((c) => c.name === IT);
    const srcAt = res.columns.findIndex((c) => c.name === SRC);
    if (tgAt < 0 || itAt < 0 || srcAt < 0) throw new UserError(`rule ${r.compiled.rule.id}: the batched query lost its time columns; run with --no-batch`);
    const keep = res.columns.map((_, j) => j).filter((j) => j !== tgAt && j !== itAt && j !== srcAt);
    const columns = keep.map((j) => res.columns[j]!);
    const rows = res.rows.map((row) => ({ row, tg: Date.parse(String(row[tgAt])), it: Date.parse(String(row[itAt])), src: String(row[srcAt]) })).sort((a, b) => a.tg - b.tg);
    // NRT windows go by ingestion minute: the same rows in ingestion order (stable, so TimeGenerated order within a minute)
    const byIngest = win ? [] : [...rows].sort((a, b) => a.it - b.it);
    const out: WindowResult[] = [];
    let lo = 0;
    for (const t of ts) {
      const mine: unknown[][] = [];
      if (win) {
        // rows sorted by TimeGenerated: skip those before the window, stop after it
        while (lo < rows.length && rows[lo]!.tg < t - win.periodMs) lo++;
        for (let k = lo; k < rows.length && rows[k]!.tg <= t; k++) {
          const x = rows[k]!;
          if (inScheduledWindow(win, t, x.tg, x.it, x.src)) mine.push(keep.map((j) => x.row[j]));
        }
      } else {
        const before = t - NRT_DELAY;
        while (lo < byIngest.length && byIngest[lo]!.it < before - MIN) lo++;
        const hit: (typeof rows)[number][] = [];
        for (let k = lo; k < byIngest.length && byIngest[k]!.it < before; k++) hit.push(byIngest[k]!);
        // as the replay sees them: in TimeGenerated order
        for (const x of hit.sort((a, b) => a.tg - b.tg)) mine.push(keep.map((j) => x.row[j]));
      }
      out.push({ t, columns, rows: mine });
    }
    store(out);
    this.tick(ts.length);
  }
}

function entityKey(e: { type: string; identifiers: Record<string, string> }): string {
  return e.type + JSON.stringify(Object.entries(e.identifiers).sort());
}

/** Alerts per run with the rule's suppression, as the replay applies it. */
export function alertsOf(r: BacktestRule, results: WindowResult[]): { t: number; alerts: Alert[] }[] {
  const rule = r.compiled.rule;
  let suppressedUntil = -Infinity;
  const out: { t: number; alerts: Alert[] }[] = [];
  for (const w of [...results].sort((a, b) => a.t - b.t)) {
    if (suppressedUntil > w.t) continue;
    const alerts = alertsFromResult(rule, { columns: w.columns, rows: w.rows }, new Date(w.t));
    if (alerts.length && rule.suppressionEnabled) suppressedUntil = w.t + rule.suppressionDuration;
    out.push({ t: w.t, alerts });
  }
  return out;
}

function summarize(r: BacktestRule, results: WindowResult[], extra: Omit<RuleBacktest, 'alerts' | 'alertingRuns' | 'perDay' | 'perEntity' | 'truncatedWindows'>): RuleBacktest {
  const days = new Map<string, number>();
  const entities = new Map<string, EntityCount>();
  let alerts = 0;
  let alertingRuns = 0;
  for (const run of alertsOf(r, results)) {
    if (!run.alerts.length) continue;
    alertingRuns++;
    alerts += run.alerts.length;
    const day = new Date(run.t).toISOString().slice(0, 10);
    days.set(day, (days.get(day) ?? 0) + run.alerts.length);
    for (const a of run.alerts) {
      for (const e of a.entities) {
        const k = entityKey(e);
        const prev = entities.get(k);
        if (prev) prev.alerts++;
        else entities.set(k, { type: e.type, identifiers: e.identifiers, alerts: 1 });
      }
    }
  }
  return {
    ...extra,
    alerts,
    alertingRuns,
    truncatedWindows: results.filter((w) => w.truncated).length,
    perDay: [...days].sort(([a], [b]) => a.localeCompare(b)).map(([day, n]) => ({ day, alerts: n })),
    perEntity: [...entities.values()].sort((a, b) => b.alerts - a.alerts || entityKey(a).localeCompare(entityKey(b))),
  };
}

export async function backtest(o: BacktestOptions): Promise<BacktestResult> {
  const plans = o.rules.map((r) => ({ r, ts: runTimes(r.compiled, o.start, o.end) }));
  const total = plans.reduce((n, p) => n + p.ts.length, 0);
  let done = 0;
  const tick = (n: number) => {
    done += n;
    o.onProgress?.(done, total);
  };
  o.onProgress?.(0, total);
  const out: RuleBacktest[] = [];
  for (const { r, ts } of plans) {
    const c = r.compiled;
    const blocker = o.batch === false ? 'batching turned off' : batchBlocker(r.input, c.parameters, o.env);
    const win = c.rule.kind === 'NRT' ? null : scheduledWindowing(r.input, deployedPeriod(c), o.delayProfile);
    // Everything a window's result depends on: a changed rule, parameter or workspace starts afresh.
    const cache = new WindowCache(o.cacheDir, c.rule.id, { ws: o.remote.workspaceId, query: c.query, kind: c.rule.kind, period: win?.periodMs, batched: !blocker });
    const cached = ts.filter((t) => cache.get(t)).length;
    tick(cached);
    const todo = ts.filter((t) => !cache.get(t));
    const runner = new Runner(o, tick);
    if (todo.length) {
      if (!blocker) {
        await runner.batched(r, todo, win, c.parameters, (x) => cache.put(x));
      } else {
        for (const t of todo) {
          cache.put([await runner.single(r, t)]);
          tick(1);
        }
      }
    }
    const results = ts.map((t) => cache.get(t)!);
    out.push(summarize(r, results, { id: c.rule.id, name: c.rule.name, kind: c.rule.kind, unbatchedBecause: blocker, windows: ts.length, cachedWindows: cached, queries: runner.queries, splits: runner.splits }));
  }
  return { workspace: o.remote.target.name, workspaceId: o.remote.workspaceId, start: new Date(o.start).toISOString(), end: new Date(o.end).toISOString(), rules: out };
}
