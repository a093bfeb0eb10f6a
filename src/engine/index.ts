// The local KQL engine: translate once, load what the query needs, evaluate.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinTables, type SchemaEnv } from '../kql/kusto.js';
import { UserError } from '../diagnostics.js';
import { emptyTable, run, type Runtime, type Table } from './eval.js';
import type { Col, Statement } from './ir.js';
import { cell, loadLogs, parseCsv } from './load.js';
import { watchlistTable, type WatchlistRows } from './watchlist.js';
import { translate } from './translate.js';
import { TICKS_PER_MS, normType } from './values.js';

export interface QueryOptions {
  /** Evaluation time (ticks); defaults to the current time. */
  now?: bigint;
  /** Query time range: only rows with TimeGenerated in [now - timespan, now] are read. */
  timespan?: bigint | null;
  /** Files or folders of recorded rows. */
  logs?: string[];
  /** Tables given directly (tests); take precedence over logs. */
  tables?: Record<string, Table>;
  /** Watchlists for _GetWatchlist (read by the rules stage from <alias>.csv files). */
  watchlists?: WatchlistRows[];
  /** Folder of local copies of externaldata URLs, each named after the last segment of its URL path. */
  externalData?: string;
  file?: string;
  env?: SchemaEnv;
  warn?: (msg: string) => void;
}

export interface QueryResult {
  columns: Col[];
  table: Table;
}

export function nowTicks(): bigint {
  return BigInt(Date.now()) * TICKS_PER_MS;
}

/** Column names a query reads; null when it may read every column. */
export function neededColumns(st: Statement): Set<string> | null {
  // TimeGenerated for the query time range; the ingestion time only when ingestion_time() is called
  const names = new Set<string>(['TimeGenerated']);
  let all = false;
  const walk = (x: unknown): void => {
    if (all || !x || typeof x !== 'object') return;
    if (Array.isArray(x)) {
      for (const y of x) walk(y);
      return;
    }
    const o = x as Record<string, unknown>;
    if (o.k === 'col' && typeof o.name === 'string') names.add(o.name);
    if (o.k === 'star' || o.star === true || o.k === 'getschema' || o.k === 'bag_unpack' || o.k === 'pivot' || (o.k === 'distinct' && o.all)) all = true;
    if (o.k === 'call' && (o.fn === 'pack_all' || o.fn === 'bag_pack_columns' || o.fn === 'column_ifexists')) all = true;
    if (o.k === 'call' && o.fn === 'ingestion_time') names.add('_TimeReceived');
    if (o.k === 'lit') return;
    for (const v of Object.values(o)) walk(v);
  };
  walk(st.binds);
  walk(st.query);
  for (const c of st.out) names.add(c.name);
  // join renames duplicate right columns (TimeGenerated1), union same-name columns of different
  // types (LocationDetails_dynamic): read the source columns of such names too
  for (const n of [...names]) {
    names.add(n.replace(/\d+$/, ''));
    names.add(n.replace(/_(bool|int|long|real|decimal|string|datetime|timespan|guid|dynamic)$/, ''));
  }
  return all ? null : names;
}

export async function runQuery(text: string, opts: QueryOptions = {}): Promise<QueryResult> {
  const schemas = opts.env?.tables ?? builtinTables();
  const lists = new Map((opts.watchlists ?? []).map((w) => [w.alias, w]));
  const env: SchemaEnv | undefined = lists.size ? { ...opts.env, watchlists: { ...opts.env?.watchlists, ...Object.fromEntries([...lists].map(([a, w]) => [a, w.columns])) } } : opts.env;
  const st = translate(text, { file: opts.file, env, externalData: opts.externalData });
  const now = opts.now ?? nowTicks();
  let tables: Map<string, Table>;
  if (opts.tables) tables = new Map(Object.entries(opts.tables));
  else
    tables = await loadLogs(opts.logs ?? [], {
      schemas,
      needed: neededColumns(st),
      window: opts.timespan ? { from: now - opts.timespan, to: now } : null,
      warn: opts.warn,
    });
  const rt: Runtime = {
    now,
    table(name) {
      const t = tables.get(name);
      if (t) return t;
      const s = schemas[name];
      if (s) return emptyTable(s.map((c) => ({ name: c.name, type: normType(c.type) })));
      throw new UserError(`unknown table ${name}`);
    },
    externalData(urls, cols, format, skipFirst) {
      const out: Table = { n: 0, cols: cols.map((c) => ({ name: c.name, type: c.type, data: [] })) };
      for (const url of urls) {
        let name: string;
        try {
          name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
        } catch {
          name = url.split(/[\\/]/).pop() ?? url;
        }
        const f = join(opts.externalData!, name);
        if (!name || !existsSync(f)) throw new UserError(`externaldata: no local copy of ${url} (expected ${f}); it is never downloaded`);
        const text = readFileSync(f, 'utf8').replace(/^\uFEFF/, '');
        let rows: unknown[][];
        if (format === 'json' || format === 'multijson') {
          rows = text.split(/\r?\n/).filter((l) => l.trim()).map((l) => {
            const o = JSON.parse(l) as Record<string, unknown>;
            return cols.map((c) => o[c.name]);
          });
        } else if (format === 'txt') rows = text.split(/\r?\n/).filter((l) => l !== '').map((l) => [l]);
        else rows = parseCsv(format === 'tsv' ? text.replace(/\t/g, ',') : text, f).filter((r) => !(r.length === 1 && r[0] === ''));
        if (skipFirst) rows = rows.slice(1);
        for (const r of rows) {
          cols.forEach((c, j) => out.cols[j]!.data.push(cell(r[j], normType(c.type))));
          out.n++;
        }
      }
      return out;
    },
    watchlist(alias) {
      const w = lists.get(alias);
      if (!w) throw new UserError(`unknown table: no watchlist file for '${alias}'${lists.size ? ` (known: ${[...lists.keys()].join(', ')})` : ' (pass --watchlists DIR)'}`);
      return watchlistTable(w);
    },
  };
  const table = run(st, rt);
  const columns = table.cols.map((c) => ({ name: c.name, type: c.type }));
  return { columns, table };
}
