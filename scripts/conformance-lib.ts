// Runs one documentation example and compares the result with the page's table (rules in
// ../shared/kql-conformance/README.md); runs one query of the Sentinel rule corpus.
import { writeFileSync } from 'node:fs';
import { UserError } from '../src/diagnostics.js';
import type { Table } from '../src/engine/eval.js';
import { runQuery } from '../src/engine/index.js';
import { normType, parseDatetime, parseTimespan, toText, type KType, type Val } from '../src/engine/values.js';
import { toJsonValue } from '../src/engine/values.js';
import { builtinTables } from '../src/kql/kusto.js';

export interface DocExample {
  id: string;
  query: string;
  expected: { columns: string[]; rows: string[][] };
  ordered: boolean;
  family: string;
  uses: { operators: string[]; functions: string[]; plugins: string[] };
  flags: string[];
  column_types?: string[];
}

export interface DocResult {
  status: 'pass' | 'fail' | 'unsupported' | 'skip';
  detail: string;
}

const isNullText = (s: string) => s === '' || s === 'null' || s === '(null)';

function sigDigits(s: string): number {
  const m = /^-?(\d*)\.?(\d*)(?:[eE].*)?$/.exec(s.trim());
  if (!m) return 17;
  return (m[1]!.replace(/^0+/, '') + m[2]!).replace(/^0+/, '').length || 1;
}

function dynEqual(a: unknown, b: unknown, unordered: boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    if (typeof a === 'number' && typeof b === 'string') return String(a) === b;
    return a === b;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    if (!unordered) return a.every((x, i) => dynEqual(x, b[i], unordered));
    const used = new Set<number>();
    return a.every((x) => {
      const k = b.findIndex((y, i) => !used.has(i) && dynEqual(x, y, unordered));
      if (k < 0) return false;
      used.add(k);
      return true;
    });
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => dynEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], unordered));
}

export function cellEqual(v: Val, t: KType, exp: string, unordered: boolean): boolean {
  const e = exp.trim();
  if (t !== 'string' && isNullText(e)) return v === null || v === undefined || (t === 'dynamic' && v === '');
  switch (t) {
    case 'string': {
      const got = String(v ?? '').trim();
      if (got === e || ((v ?? '') === '' && isNullText(e))) return true;
      // a markdown cell cannot hold a line break: the page shows a multi-line value on one line
      return !e.includes('\n') && /\n/.test(got) && got.replace(/\s*\n\s*/g, ' ') === e;
    }
    case 'bool':
      // some pages print bools as 1 and 0
      return String(v) === e.toLowerCase() || (v !== null && (v ? '1' : '0') === e);
    case 'int':
    case 'long': {
      if (v === null) return false;
      // thousands separators as some pages print them (1,048,576)
      if (/^-?\d{1,3}(,\d{3})+$/.test(e)) return cellEqual(v, t, e.replace(/,/g, ''), unordered);
      if (/^-?\d+$/.test(e)) return BigInt(Math.round(v as number)) === BigInt(e) || Math.abs((v as number) - Number(e)) <= Math.abs(Number(e)) * 1e-15;
      return Number(e) === v;
    }
    case 'real':
    case 'decimal': {
      if (v === null) return false;
      const x = v as number;
      const y = /^nan$/i.test(e) ? NaN : /^-?(infinity|∞)$/i.test(e) ? (e.startsWith('-') ? -Infinity : Infinity) : Number(e.replace(/,/g, ''));
      if (Number.isNaN(x) && Number.isNaN(y)) return true;
      if (x === y) return true;
      if (!Number.isFinite(y)) return false;
      const rel = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-300);
      if (rel <= 1e-9) return true;
      const d = sigDigits(e);
      return Number(x.toPrecision(Math.min(17, Math.max(1, d)))) === y;
    }
    case 'datetime': {
      if (v === null) return false;
      const p = parseDatetime(e);
      if (p === null) return false;
      if (p === v) return true;
      const frac = /\.(\d+)/.exec(e);
      const digits = frac ? frac[1]!.length : 0;
      if (digits >= 7) return false;
      const unit = 10n ** BigInt(7 - digits);
      return (v as bigint) / unit === p / unit;
    }
    case 'timespan': {
      if (v === null) return false;
      const p = parseTimespan(e);
      return p === v;
    }
    case 'guid':
      return v !== null && (v as string).toLowerCase() === e.toLowerCase();
    case 'dynamic': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(e);
      } catch {
        // some pages write dynamic values with single quotes: {'a': 1}
        try {
          return dynEqual(v, JSON.parse(e.replace(/'/g, '"')), unordered);
        } catch {
          /* compare as text below */
        }
        const got = typeof v === 'string' ? v : JSON.stringify(toJsonValue(v, 'dynamic'));
        return got.replace(/\s+/g, '') === e.replace(/\s+/g, '');
      }
      return dynEqual(v, parsed, unordered) || (typeof v === 'string' && v === e);
    }
  }
}

export async function runDocExample(ex: DocExample): Promise<DocResult> {
  if (ex.flags.includes('nondeterministic') || ex.flags.includes('take-without-order') || ex.flags.includes('doc-erratum')) return { status: 'skip', detail: 'flagged' };
  let r;
  try {
    r = await runQuery(ex.query, { now: parseDatetime('2024-01-01T00:00:00Z')!, tables: {}, file: ex.id });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/^unsupported:/.test(msg)) return { status: 'unsupported', detail: msg };
    const diag = (e as { diagnostics?: { message: string }[] }).diagnostics?.[0]?.message;
    return { status: 'fail', detail: `error: ${msg}${diag ? ' — ' + diag : ''}` };
  }
  const exp = ex.expected;
  const got = r.table;
  if (got.cols.length !== exp.columns.length) return { status: 'fail', detail: `columns: got ${r.columns.map((c) => c.name).join(',')}, expected ${exp.columns.join(',')}` };
  if (!ex.flags.includes('columns-differ-from-analyzer')) {
    const names = r.columns.map((c) => c.name);
    if (names.some((n, i) => n !== exp.columns[i])) return { status: 'fail', detail: `column names: got ${names.join(',')}, expected ${exp.columns.join(',')}` };
  }
  if (got.n !== exp.rows.length) return { status: 'fail', detail: `rows: got ${got.n}, expected ${exp.rows.length}; first got: ${rowText(r, 0)}` };
  const unordered = ex.flags.includes('array-order-unspecified');
  const rowMatches = (i: number, er: string[]) => got.cols.every((c, j) => cellEqual(c.data[i] ?? null, c.type, er[j] ?? '', unordered));
  if (ex.ordered) {
    for (let i = 0; i < got.n; i++) if (!rowMatches(i, exp.rows[i]!)) return { status: 'fail', detail: `row ${i + 1}: got ${rowText(r, i)}, expected ${JSON.stringify(exp.rows[i])}` };
    return { status: 'pass', detail: '' };
  }
  const used = new Set<number>();
  for (const er of exp.rows) {
    let found = -1;
    for (let i = 0; i < got.n; i++)
      if (!used.has(i) && rowMatches(i, er)) {
        found = i;
        break;
      }
    if (found < 0) return { status: 'fail', detail: `no row matches expected ${JSON.stringify(er).slice(0, 200)}; got e.g. ${rowText(r, 0)}` };
    used.add(found);
  }
  return { status: 'pass', detail: '' };
}

function rowText(r: Awaited<ReturnType<typeof runQuery>>, i: number): string {
  return JSON.stringify(r.table.cols.map((c) => toText(c.data[i] ?? null, c.type))).slice(0, 200);
}

/** Two small synthetic rows per known table, so that queries run their per-row code. */
export function smallTables(now: bigint): Record<string, Table> {
  const out: Record<string, Table> = {};
  for (const [name, cols] of Object.entries(builtinTables())) {
    const val = (t: string, k: number, col: string): Val => {
      switch (normType(t)) {
        case 'string':
          return col === 'ResultType' ? (k ? '50126' : '0') : col === 'Type' ? name : k ? 'user@contoso.com' : '10.0.0.1';
        case 'datetime':
          return now - BigInt(k + 1) * 36_000_000_000n;
        case 'timespan':
          return 0n;
        case 'bool':
          return k === 0;
        case 'dynamic':
          return k ? { countryOrRegion: 'FR', city: 'Paris', displayName: 'x', value: 'v' } : [{ displayName: 'x', newValue: '"a"', oldValue: '' }];
        case 'guid':
          return '00000000-0000-0000-0000-00000000000' + k;
        default:
          return k;
      }
    };
    out[name] = { n: 2, cols: cols.map((c) => ({ name: c.name, type: normType(c.type), data: [val(c.type, 0, c.name), val(c.type, 1, c.name)] })) };
  }
  return out;
}

export interface CorpusResult {
  status: 'run' | 'unsupported' | 'error';
  message: string;
  /** The analyzer's errors, "line:col KSnnn message", for a query that does not analyze. */
  diagnostics: string[];
}

/** Runs one rule query of the corpus at 2026-01-15 over empty tables or two synthetic rows per table;
 * externaldata sources get empty local copies in `externalData` (they are inputs like tables). */
export async function runCorpusQuery(query: string, opts: { file: string; small: boolean; externalData: string }): Promise<CorpusResult> {
  const now = parseDatetime('2026-01-15T00:00:00Z')!;
  try {
    const ro = { now, tables: opts.small ? smallTables(now) : {}, file: opts.file, externalData: opts.externalData };
    for (let attempt = 0; ; attempt++) {
      try {
        await runQuery(query, ro);
        break;
      } catch (e) {
        const m = /no local copy of .* \(expected (.+)\); it is never downloaded/.exec(e instanceof Error ? e.message : '');
        if (!m || attempt > 5) throw e;
        writeFileSync(m[1]!, '');
      }
    }
    return { status: 'run', message: '', diagnostics: [] };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/^unsupported:/.test(msg)) return { status: 'unsupported', message: msg, diagnostics: [] };
    const diagnostics = e instanceof UserError ? e.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`) : [];
    return { status: 'error', message: msg, diagnostics };
  }
}
