// Loaded logs that many queries run against, each in its own time window: the replay and rule tests
// use it. Rows are indexed by TimeGenerated and by ingestion time once, so a run touches only its
// window instead of rescanning the timeline.
import { UserError } from '../diagnostics.js';
import { builtinTables, type SchemaEnv } from '../kql/kusto.js';
import { emptyTable, run, type Column, type Table } from './eval.js';
import { neededColumns } from './index.js';
import type { Statement } from './ir.js';
import { cell, loadLogs } from './load.js';
import { translate } from './translate.js';
import { watchlistTable, type WatchlistRows } from './watchlist.js';
import { normType, TICKS_PER_MS, type Val } from './values.js';

/** What one run sees: TimeGenerated in [from, now] and ingestion time <= ingestedUntil; or, when
 * ingestedAfter is given (NRT), ingestion time in [ingestedAfter, ingestedUntil). */
export interface Window {
  now: bigint;
  from?: bigint;
  ingestedAfter?: bigint;
  ingestedUntil: bigint;
}

interface Indexed {
  table: Table;
  /** Row ids sorted by TimeGenerated, and those times. */
  byTime: Int32Array;
  times: BigInt64Array;
  /** Row ids sorted by ingestion time, and those times. */
  byIngest: Int32Array;
  ingests: BigInt64Array;
  /** Ingestion time per row id. */
  ingestOf: BigInt64Array;
  /** Largest ingestion lag: rows not yet ingested at time u all have TimeGenerated > u - maxLag. */
  maxLag: bigint;
}

export type { WatchlistRows } from './watchlist.js';

export interface SessionOptions {
  env?: SchemaEnv;
  /** Table -> ingestion delay (ms) for rows recorded without _TimeReceived. */
  delays?: Record<string, number>;
  watchlists?: WatchlistRows[];
  warn?: (m: string) => void;
}

export interface Prepared {
  statement: Statement;
  needed: Set<string> | null;
}

const MIN_TICKS = BigInt(Number.MIN_SAFE_INTEGER);
const PREPARED = new Map<string, Prepared>();

/** Reorders a table by TimeGenerated (stable) and indexes it: a time window is then a contiguous range. */
function index(input: Table, delayMs = 0): Indexed {
  const n = input.n;
  const tg = input.cols.find((c) => c.name === 'TimeGenerated')?.data;
  const tr = input.cols.find((c) => c.name === '_TimeReceived')?.data;
  const timeOf = (i: number) => (tg?.[i] as bigint | null | undefined) ?? MIN_TICKS;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const x = timeOf(a);
    const y = timeOf(b);
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const times = BigInt64Array.from(order, (i) => timeOf(i));
  const delay = BigInt(Math.round(delayMs)) * TICKS_PER_MS;
  const ingestOf = BigInt64Array.from(order, (i) => (tr?.[i] as bigint | null | undefined) ?? (timeOf(i) === MIN_TICKS ? MIN_TICKS : timeOf(i) + delay));
  // Every row in a workspace has an ingestion time: a recorded row without one arrived after the
  // table's modelled delay (none unless the caller gives one).
  const cols = input.cols.filter((c) => c.name !== '_TimeReceived').map((c) => ({ name: c.name, type: c.type, data: Array.from(order, (i) => c.data[i] ?? (c.type === 'string' ? '' : null)) }));
  cols.push({ name: '_TimeReceived', type: 'datetime', data: Array.from(ingestOf, (t) => (t === MIN_TICKS ? null : t)) });
  const table: Table = { n, cols };
  const byIngest = Int32Array.from({ length: n }, (_, i) => i);
  byIngest.sort((a, b) => (ingestOf[a]! < ingestOf[b]! ? -1 : ingestOf[a]! > ingestOf[b]! ? 1 : a - b));
  let maxLag = 0n;
  for (let i = 0; i < n; i++) if (times[i]! !== MIN_TICKS && ingestOf[i]! - times[i]! > maxLag) maxLag = ingestOf[i]! - times[i]!;
  return { table, byTime: Int32Array.from({ length: n }, (_, i) => i), times, byIngest, ingests: BigInt64Array.from(byIngest, (i) => ingestOf[i]!), ingestOf, maxLag };
}

/** First position whose value is >= v (or > v when strict). */
function lowerBound(a: BigInt64Array, v: bigint, strict = false): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? a[mid]! <= v : a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function pickColumns(t: Table, idx: ArrayLike<number>, needed: Set<string> | null): Table {
  const n = idx.length;
  const cols: Column[] = [];
  for (const c of t.cols) {
    if (needed && !needed.has(c.name)) continue;
    const d = c.data;
    const out = new Array<Val>(n);
    const nv = c.type === 'string' ? '' : null;
    for (let k = 0; k < n; k++) out[k] = d[idx[k]!] ?? nv;
    cols.push({ name: c.name, type: c.type, data: out });
  }
  return { cols, n };
}

// Columns the query never names are left out of a view: neededColumns() is null whenever the
// query could observe the full column list (project-away, *, getschema, join, …).
function sliceColumns(t: Table, a: number, b: number, needed: Set<string> | null): Table {
  return { n: b - a, cols: t.cols.filter((c) => !needed || needed.has(c.name)).map((c) => ({ name: c.name, type: c.type, data: c.data.slice(a, b) })) };
}

export class LogSession {
  private constructor(
    private readonly tables: Map<string, Indexed>,
    private readonly schemas: Record<string, { name: string; type: string }[]>,
    private readonly watchlists: Map<string, Table>,
    readonly env: SchemaEnv,
  ) {}

  /** Loads every row of the given files or folders (all columns: many queries will run). */
  static async open(paths: string[], opts: SessionOptions = {}): Promise<LogSession> {
    const schemas = opts.env?.tables ?? builtinTables();
    const loaded = paths.length ? await loadLogs(paths, { schemas, needed: null, window: null, warn: opts.warn }) : new Map<string, Table>();
    return LogSession.fromTables(loaded, opts);
  }

  /** A session over tables already in memory (test cases). */
  static fromTables(tables: Map<string, Table>, opts: SessionOptions = {}): LogSession {
    const env = opts.env ?? {};
    const idx = new Map<string, Indexed>();
    for (const [name, t] of tables) idx.set(name, index(t, opts.delays?.[name] ?? 0));
    const wl = new Map<string, Table>();
    for (const w of opts.watchlists ?? []) wl.set(w.alias, watchlistTable(w));
    return new LogSession(idx, env.tables ?? builtinTables(), wl, env);
  }

  /** Translates once per query text and schema: rule tests prepare the same rule for every case. */
  prepare(kql: string, file?: string): Prepared {
    const key = `${file ?? ''}\u0000${JSON.stringify(this.env.watchlists ?? {})}\u0000${this.env.tables ? JSON.stringify(this.env.tables) : ''}\u0000${kql}`;
    let p = PREPARED.get(key);
    if (!p) {
      const statement = translate(kql, { env: this.env, file });
      p = { statement, needed: neededColumns(statement) };
      if (PREPARED.size >= 500) PREPARED.clear();
      PREPARED.set(key, p);
    }
    return p;
  }

  /** Adds rows to a table (replay writes raised alerts into SecurityAlert, as Sentinel does). */
  append(name: string, rows: Record<string, unknown>[]): void {
    const schema = this.schemas[name];
    if (!schema) throw new UserError(`unknown table ${name}`);
    const prev = this.tables.get(name)?.table;
    const cols: Column[] = schema.map((c) => {
      const type = normType(c.type);
      const old = prev?.cols.find((x) => x.name === c.name)?.data ?? Array.from({ length: prev?.n ?? 0 }, () => (type === 'string' ? '' : null));
      return { name: c.name, type, data: [...old, ...rows.map((r) => cell(r[c.name], type))] };
    });
    if (!cols.some((c) => c.name === '_TimeReceived')) {
      const old = prev?.cols.find((x) => x.name === '_TimeReceived')?.data ?? Array.from({ length: prev?.n ?? 0 }, () => null);
      cols.push({ name: '_TimeReceived', type: 'datetime', data: [...old, ...rows.map((r) => cell(r._TimeReceived, 'datetime'))] });
    }
    this.tables.set(name, index({ n: (prev?.n ?? 0) + rows.length, cols }));
  }

  table(name: string): Table | undefined {
    return this.tables.get(name)?.table;
  }

  /** Time range covered: earliest TimeGenerated and latest ingestion over all tables (ticks). */
  span(): { first: bigint; last: bigint } | null {
    let first: bigint | null = null;
    let last: bigint | null = null;
    for (const t of this.tables.values()) {
      if (!t.table.n) continue;
      const f = t.times[0]!;
      const l = t.ingests[t.ingests.length - 1]!;
      if (f !== MIN_TICKS && (first === null || f < first)) first = f;
      if (last === null || l > last) last = l;
    }
    return first === null || last === null ? null : { first, last };
  }

  /** Minutes (epoch ms / 60000) in which some row was ingested. */
  ingestionMinutes(): Set<number> {
    const out = new Set<number>();
    const perMin = 60_000n * TICKS_PER_MS;
    for (const t of this.tables.values()) for (const v of t.ingests) out.add(Number(v / perMin));
    return out;
  }

  private view(name: string, w: Window, needed: Set<string> | null): Table {
    const t = this.tables.get(name);
    if (!t) {
      const s = this.schemas[name];
      if (s) return emptyTable(s.map((c) => ({ name: c.name, type: normType(c.type) })));
      throw new UserError(`unknown table ${name}`);
    }
    const ids: number[] = [];
    if (w.ingestedAfter !== undefined) {
      // Ingestion minute windows are half-open, [after, until), so each row falls in exactly one.
      const a = lowerBound(t.ingests, w.ingestedAfter);
      const b = lowerBound(t.ingests, w.ingestedUntil);
      for (let k = a; k < b; k++) ids.push(t.byIngest[k]!);
      ids.sort((x, y) => x - y);
    } else {
      // Rows are stored in TimeGenerated order: the window is one range, minus rows not yet ingested.
      const a = w.from === undefined ? 0 : lowerBound(t.times, w.from);
      const b = lowerBound(t.times, w.now, true);
      const c = Math.max(a, lowerBound(t.times, w.ingestedUntil - t.maxLag, true));
      let late = false;
      for (let k = c; k < b && !late; k++) if (t.ingestOf[k]! > w.ingestedUntil) late = true;
      if (!late) return sliceColumns(t.table, a, b, needed);
      // Everything before c is ingested: copy it whole, and pick only among the recent rows.
      const head = sliceColumns(t.table, a, c, needed);
      for (let k = c; k < b; k++) if (t.ingestOf[k]! <= w.ingestedUntil) ids.push(k);
      const tail = pickColumns(t.table, ids, needed);
      return { n: head.n + tail.n, cols: head.cols.map((col, j) => ({ name: col.name, type: col.type, data: col.data.concat(tail.cols[j]!.data) })) };
    }
    return pickColumns(t.table, ids, needed);
  }

  private watchlist(alias: string): Table {
    const t = this.watchlists.get(alias);
    if (!t) throw new UserError(`no watchlist '${alias}' (known: ${[...this.watchlists.keys()].join(', ') || 'none'}); add ${alias}.csv to a watchlist folder`);
    return t;
  }

  /** Runs a prepared query over the window; tables read keep row order (as recorded). */
  run(p: Prepared, w: Window): Table {
    const views = new Map<string, Table>();
    return run(p.statement, {
      now: w.now,
      table: (name) => {
        let v = views.get(name);
        if (!v) {
          v = this.view(name, w, p.needed);
          views.set(name, v);
        }
        return v;
      },
      watchlist: (alias) => this.watchlist(alias),
    });
  }
}

export { watchlistTable } from './watchlist.js';
