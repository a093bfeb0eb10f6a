// When many Sentinel windows of a rule can be answered by one query, and how the rows are put back
// into their windows.
//
// Batching is safe when every output row comes from exactly one input row of one table and does not
// depend on the run time: then the rows a window would return are exactly the batched rows whose
// source row lies in that window. So the rule must
//   - read its event tables once each, directly or through one `union` of them at the start;
//   - use only row-by-row operators: where, extend, project(-away/-keep/-rename/-reorder), parse,
//     mv-expand, and join/lookup against a right side that reads no table (a watchlist, a
//     datatable: it does not change between runs); no summarize, distinct, top, take, sort, count,
//     serialize, make-series, and no subquery over a table;
//   - not call now(), ago() or ingestion_time() itself.
// Each source row then carries its TimeGenerated and ingestion time through the query, and the
// client assigns it to every window whose time range and ingestion cut (and ingestion-delay window,
// if the compiler added one) contain it.
import type { RuleInput } from '../compile/build.js';
import { planDelay, REFERENCE_TABLES } from '../compile/ingestion.js';
import type { Statement, Tab } from '../engine/ir.js';
import { translate } from '../engine/translate.js';
import type { SchemaEnv } from '../kql/kusto.js';
import { prelude } from '../kql/literals.js';
import { parseDuration } from '../rules/duration.js';
import { cutName, keepColumns, readCut, usesNow } from './kql.js';

const ROW_LOCAL = new Set(['where', 'extend', 'project', 'project-away', 'project-keep', 'project-rename', 'project-reorder', 'parse', 'mv-expand']);
export const TG = '__sg_tg';
export const IT = '__sg_it';
export const SRC = '__sg_src';

function countTables(x: unknown): number {
  if (!x || typeof x !== 'object') return 0;
  if (Array.isArray(x)) return x.reduce((n: number, y) => n + countTables(y), 0);
  const o = x as Record<string, unknown>;
  let n = o.k === 'table' ? 1 : 0;
  for (const v of Object.values(o)) n += countTables(v);
  return n;
}

/** Why the rule cannot be batched, or null when it can. */
export function batchBlocker(input: RuleInput, values: Record<string, unknown>, env: SchemaEnv): string | null {
  const { rule, analysis } = input;
  const events = analysis.tables.filter((t) => !REFERENCE_TABLES.has(t));
  if (!events.length || events.length !== analysis.tables.length) return 'reads a reference table';
  if (analysis.callsIngestionTime) return 'calls ingestion_time()';
  if (usesNow(rule.query)) return 'calls now() or ago()';
  let st: Statement;
  try {
    st = translate(prelude(rule.parameters, values).text + rule.query, { env });
  } catch (e) {
    return `not understood locally (${(e as Error).message.split('\n')[0]})`;
  }
  if (st.binds.some((b) => b.fn)) return 'declares a function';
  if (st.binds.some((b) => b.tab && countTables(b.tab) > 0)) return 'binds a let over a table';
  if (countTables(st) !== events.length) return 'reads a table more than once';
  let t: Tab | null = st.query;
  while (t && t.k === 'pipe') {
    const op = t.op;
    if (op.k === 'join') {
      if (countTables(op.right) > 0) return 'joins two tables';
    } else if (op.k === 'union') {
      if (!op.others.every((x) => x.k === 'table')) return 'unions a subquery';
    } else if (!ROW_LOCAL.has(op.k)) return `uses ${op.k}`;
    t = t.src;
  }
  if (!t || !(t.k === 'table' || (t.k === 'union' && t.inputs.every((x) => x.k === 'table')))) return 'does not start from its tables';
  return null;
}

/** The batched query: the rule over its tables, each row carrying its table, TimeGenerated and ingestion time. */
export function batchedQuery(input: RuleInput, values: Record<string, unknown>, ingestFilter: string): string {
  const tables = input.analysis.tables;
  const cuts = tables.map((t) => `let ${cutName(t)} = ${t} | extend ${TG} = TimeGenerated, ${IT} = ingestion_time(), ${SRC} = "${t}" | where ${ingestFilter};\n`);
  return prelude(input.rule.parameters, values).text + cuts.join('') + readCut(keepColumns(input.rule.query, [TG, IT, SRC]), tables);
}

/** Which source rows a window of a Scheduled rule sees: the deployed period, the run's ingestion cut, and the compiler's ingestion window. */
export interface ScheduledWindowing {
  periodMs: number;
  /** When the compiler windows the tables by ingestion: TimeGenerated look-back per table, and the ingestion interval. */
  delayWindow: { lookBackMs: Record<string, number>; frequencyMs: number } | null;
}

export function scheduledWindowing(input: RuleInput, deployedPeriodMs: number, profile: Record<string, number>): ScheduledWindowing {
  const plan = planDelay(input.rule, input.analysis.tables, input.analysis.callsIngestionTime, profile);
  if (!plan.prelude) return { periodMs: deployedPeriodMs, delayWindow: null };
  // Per table: `let T = T | where TimeGenerated >= ago(min(period + delay, 14d)) | where ingestion_time() > ago(frequency);`
  const lookBackMs: Record<string, number> = {};
  for (const m of plan.prelude.matchAll(/let (\w+) = \1 \| where TimeGenerated >= ago\(([^)]+)\)/g)) lookBackMs[m[1]!] = parseDuration(m[2]!.trim()) ?? deployedPeriodMs;
  return { periodMs: deployedPeriodMs, delayWindow: { lookBackMs, frequencyMs: input.rule.queryFrequency! } };
}

/** Does a source row of table `src` (TimeGenerated tg, ingested it) belong to the Scheduled run at t? */
export function inScheduledWindow(w: ScheduledWindowing, t: number, tg: number, it: number, src: string): boolean {
  if (tg < t - w.periodMs || tg > t || it > t) return false;
  const d = w.delayWindow;
  // a table the compiler did not window (no delay for it) is read over the period alone
  if (d && d.lookBackMs[src] !== undefined && (tg < t - d.lookBackMs[src]! || it <= t - d.frequencyMs)) return false;
  return true;
}
