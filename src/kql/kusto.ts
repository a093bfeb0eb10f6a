// The one place that touches the Bridge.NET object model of the official Kusto.Language
// (@kusto/language-service-next). Everything leaving this module is plain data.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TABLE_COLUMNS } from './tables.js';
import { ASIM_PARSERS, ASIM_TABLE_COLUMNS, asimBody, asimParameterList, type AsimParser } from './asim.js';

/** Every table sessionguard knows: the Log Analytics tables and the ASIM native tables. */
export const KNOWN_TABLE_COLUMNS: Record<string, string> = { ...TABLE_COLUMNS, ...ASIM_TABLE_COLUMNS };

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface KqlColumn {
  name: string;
  type: string;
}

export interface KqlDiagnostic {
  start: number;
  length: number;
  code: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface TableRef {
  name: string;
  start: number;
  length: number;
}

export interface Analysis {
  diagnostics: KqlDiagnostic[];
  /** Output columns of the query, or null when it does not end in a tabular expression. */
  columns: KqlColumn[] | null;
  /** Database tables read, by name, in order of first reference. */
  tables: string[];
  /** Every reference to a database table by name (not through table()). */
  tableRefs: TableRef[];
  callsIngestionTime: boolean;
  /** Literal aliases passed to _GetWatchlist(). */
  watchlists: string[];
  /** The output schema is open (it joins an unknown watchlist): column names cannot be checked. */
  openResult: boolean;
}

/** Names of the tables and watchlists the analyzer knows; columns are "Name:type" pairs. */
export interface SchemaEnv {
  tables?: Record<string, KqlColumn[]>;
  /** Watchlist alias -> its CSV column names (all string). */
  watchlists?: Record<string, string[]>;
}

let K: Any;
let B: Any;

function load(): Any {
  if (K) return K;
  const req = createRequire(import.meta.url);
  const dir = dirname(req.resolve('@kusto/language-service-next/package.json'));
  req(join(dir, 'bridge.min.js'));
  req(join(dir, 'Kusto.Language.Bridge.min.js'));
  const g = globalThis as Any;
  K = g.Kusto.Language;
  B = g.Bridge;
  return K;
}

const list = (l: Any): Any[] => (l ? B.toArray(l) : []);

/** Columns every Log Analytics table has beyond its documented schema. */
const HIDDEN_COLUMNS: KqlColumn[] = [
  { name: '_ItemId', type: 'string' },
  { name: '_TimeReceived', type: 'datetime' },
];

export function builtinTables(): Record<string, KqlColumn[]> {
  const out: Record<string, KqlColumn[]> = {};
  for (const [name, spec] of Object.entries(KNOWN_TABLE_COLUMNS)) {
    const cols = spec.split(' ').map((p) => {
      const i = p.lastIndexOf(':');
      return { name: p.slice(0, i), type: p.slice(i + 1) };
    });
    for (const h of HIDDEN_COLUMNS) if (!cols.some((c) => c.name === h.name)) cols.push(h);
    out[name] = cols;
  }
  return out;
}

/** Columns _GetWatchlist() returns besides the watchlist's own. */
export const WATCHLIST_SYSTEM_COLUMNS: KqlColumn[] = [
  { name: '_DTItemId', type: 'string' },
  { name: 'LastUpdatedTimeUTC', type: 'datetime' },
  { name: 'SearchKey', type: 'string' },
];

function schemaText(cols: KqlColumn[]): string {
  return '(' + cols.map((c) => `['${c.name.replace(/'/g, "\\'")}']:${c.type}`).join(', ') + ')';
}

const globalsCache = new WeakMap<object, Any>();
/** The ASIM parser each declared ASIM function symbol calls. */
const asimSymbols = new WeakMap<object, AsimParser>();

/** The ASIM parser a function symbol of the analyzed tree calls (for the engine's translator). */
export function asimParserOf(symbol: unknown): AsimParser | undefined {
  return symbol && typeof symbol === 'object' ? asimSymbols.get(symbol) : undefined;
}
const defaultEnv: SchemaEnv = {};

function globalsFor(env: SchemaEnv): Any {
  const cached = globalsCache.get(env);
  if (cached) return cached;
  const k = load();
  const S = k.Symbols;
  const tables = env.tables ?? builtinTables();
  const members: Any[] = Object.entries(tables).map(([name, cols]) => new S.TableSymbol.$ctor7(name, schemaText(cols), null));
  const watchlists = env.watchlists ?? {};
  // _GetWatchlist('alias'): the known watchlist's columns, or an open table for an unknown alias.
  const getWatchlist = new S.FunctionSymbol.ctor(
    '_GetWatchlist',
    (info: Any) => {
      const arg = list(info.Arguments)[0];
      const alias = arg && typeof arg.ConstantValue === 'string' ? (arg.ConstantValue as string) : null;
      const own = alias !== null ? watchlists[alias] : undefined;
      const cols = [...WATCHLIST_SYSTEM_COLUMNS, ...(own ?? []).filter((c) => !WATCHLIST_SYSTEM_COLUMNS.some((s) => s.name === c)).map((c) => ({ name: c, type: 'string' }))];
      const t = new S.TableSymbol.$ctor7('watchlist', schemaText(cols), null);
      return own ? t : t.WithIsOpen(true);
    },
    S.Tabularity.Tabular,
    [new S.Parameter.$ctor2('watchlistAlias', S.ScalarTypes.String)],
  );
  members.push(getWatchlist);
  // ASIM unifying parsers (asim.ts): database functions over their native table, when it is known
  for (const p of ASIM_PARSERS) {
    if (!tables[p.table]) continue;
    for (const name of p.names) {
      const f = new S.FunctionSymbol.$ctor16(name, asimParameterList(p), asimBody(p), null);
      asimSymbols.set(f, p);
      members.push(f);
    }
  }
  const db = new S.DatabaseSymbol.$ctor1('sentinel', members, false);
  const globals = k.GlobalState.Default.WithDatabase(db);
  globalsCache.set(env, globals);
  return globals;
}

function rethrow(e: unknown): never {
  // Bridge exceptions carry the minified bundle in their stack: keep the message only.
  const msg = e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  throw new Error(`Kusto.Language: ${msg}`);
}

function typeName(t: Any): string {
  const n: string = t?.Name ?? 'unknown';
  return n;
}

/**
 * ParseAndAnalyze, with one correction. Kusto.Language types `column_ifexists(name, default)` as its
 * default even where the column exists, while the service returns the column itself (with its type):
 * Sentinel rules rely on that after a union renames a column by type (`LocationDetails_dynamic`).
 * So the text is analyzed again with each such call replaced by a reference to the named column,
 * padded with spaces to the call's length (every offset stays where it was); a call whose column is
 * not in scope there is put back.
 */
function parseAndAnalyze(text: string, env: SchemaEnv): Any {
  const k = load();
  const globals = globalsFor(env);
  const code = k.KustoCode.ParseAndAnalyze(text, globals);
  if (!/column_?ifexists/i.test(text)) return code;
  const Syn = k.Syntax;
  const calls: { start: number; width: number; ref: string }[] = [];
  Syn.SyntaxElement.WalkElements(
    code.Syntax,
    (e: Any) => {
      if (e.IsToken || e.Kind !== Syn.SyntaxKind.FunctionCallExpression) return;
      const name: string = e.Name?.SimpleName ?? '';
      if (name !== 'column_ifexists' && name !== 'columnifexists') return;
      const arg = list(e.ArgumentList?.Expressions)[0]?.Element;
      if (!arg || typeof arg.ConstantValue !== 'string') return;
      const ref = `['${(arg.ConstantValue as string).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
      if (ref.length <= e.Width) calls.push({ start: e.TextStart, width: e.Width, ref });
    },
    null,
    null,
  );
  const errorsIn = (c: Any, span: { start: number; width: number }) =>
    list(c.GetDiagnostics()).some((d: Any) => d.Severity === 'Error' && d.Start >= span.start && d.Start < span.start + span.width);
  let keep = calls;
  // at most two more analyses: all calls replaced, then only those whose column was found
  for (let round = 0; round < 2 && keep.length; round++) {
    let t = text;
    for (const c of keep) t = t.slice(0, c.start) + c.ref.padEnd(c.width) + t.slice(c.start + c.width);
    const again = k.KustoCode.ParseAndAnalyze(t, globals);
    const found = keep.filter((c) => !errorsIn(again, c));
    if (found.length === keep.length) return again;
    keep = found;
  }
  return code;
}

/**
 * The analyzer's diagnostics, with one report dropped and ASIM argument types checked.
 * - Dropped: KS107 "A value of type string expected" on the argument of todynamic()/parse_json() when
 *   that argument is dynamic. Kusto.Language 12.4.1 declares a string parameter, while the service
 *   accepts a dynamic value and returns it as is (Sentinel rules pass `toscalar(... make_list())`).
 * - Added: Kusto.Language does not check the argument types of database functions; an argument of an
 *   ASIM parser whose type is not the declared parameter's is an error (code ASIM1).
 */
const ASIM_CALL_OR_TODYNAMIC = new RegExp(`\\b(todynamic|parse_?json|${ASIM_PARSERS.flatMap((p) => p.names).join('|')})\\b`, 'i');

function diagnosticsOf(code: Any, text: string): KqlDiagnostic[] {
  const k = load();
  const Syn = k.Syntax;
  const dynArgs = new Set<number>();
  const extra: KqlDiagnostic[] = [];
  const typeOf = (e: Any): string | null => {
    const t = e?.ResultType;
    if (!t || !t.IsScalar) return null;
    const n = String(t.Name);
    if (n === 'unknown' || n === 'error') return null;
    return n.startsWith('dynamic') ? 'dynamic' : n;
  };
  // the walk only matters for the calls it looks at (most rules have none)
  if (ASIM_CALL_OR_TODYNAMIC.test(text)) Syn.SyntaxElement.WalkElements(
    code.Syntax,
    (e: Any) => {
      if (e.IsToken || e.Kind !== Syn.SyntaxKind.FunctionCallExpression) return;
      const name: string = e.Name?.SimpleName ?? '';
      const args = list(e.ArgumentList?.Expressions).map((x: Any) => x.Element);
      if ((name === 'todynamic' || name === 'parse_json' || name === 'parsejson') && args.length === 1 && typeOf(args[0]) === 'dynamic') dynArgs.add(args[0].TextStart);
      const p = asimParserOf(e.ReferencedSymbol);
      if (!p) return;
      args.forEach((a: Any, i: number) => {
        const named = a.Kind === Syn.SyntaxKind.SimpleNamedExpression;
        const param = named ? p.params.find((x) => x.name === String(a.Name.SimpleName)) : p.params[i];
        const t = typeOf(named ? a.Expression : a);
        if (!param || !t || t === param.type) return;
        extra.push({ start: a.TextStart, length: a.Width, code: 'ASIM1', severity: 'error', message: `${name}: parameter ${param.name} takes a ${param.type} value, not ${t}` });
      });
    },
    null,
    null,
  );
  const own: KqlDiagnostic[] = list(code.GetDiagnostics())
    .filter((d: Any) => d.Severity === 'Error' || d.Severity === 'Warning')
    .filter((d: Any) => !(d.Code === 'KS107' && dynArgs.has(d.Start)))
    .map((d: Any) => ({
      start: d.Start,
      length: d.Length,
      code: d.Code,
      severity: d.Severity === 'Error' ? ('error' as const) : ('warning' as const),
      message: d.Message,
    }));
  return [...own, ...extra].sort((a, b) => a.start - b.start);
}

/** Parses and analyzes a query against the table schemas. */
export function analyze(text: string, env: SchemaEnv = defaultEnv): Analysis {
  const k = load();
  try {
    const code = parseAndAnalyze(text, env);
    const diagnostics = diagnosticsOf(code, text);
    const S = k.Symbols;
    const Syn = k.Syntax;
    const tableRefs: TableRef[] = [];
    const tables: string[] = [];
    const watchlists: string[] = [];
    let callsIngestionTime = false;
    const known = new Set(Object.keys(env.tables ?? KNOWN_TABLE_COLUMNS));
    Syn.SyntaxElement.WalkElements(
      code.Syntax,
      (e: Any) => {
        if (e.IsToken) return;
        if (e.Kind === Syn.SyntaxKind.NameReference) {
          const sym = e.ReferencedSymbol;
          if (sym && sym.Kind === S.SymbolKind.Table && known.has(sym.Name)) {
            tableRefs.push({ name: sym.Name, start: e.TextStart, length: e.Width });
            if (!tables.includes(sym.Name)) tables.push(sym.Name);
          }
        } else if (e.Kind === Syn.SyntaxKind.FunctionCallExpression) {
          const name: string = e.Name?.SimpleName ?? '';
          if (name === 'ingestion_time') callsIngestionTime = true;
          if (name === '_GetWatchlist') {
            const arg = list(e.ArgumentList?.Expressions)[0]?.Element;
            if (arg && typeof arg.ConstantValue === 'string' && !watchlists.includes(arg.ConstantValue)) watchlists.push(arg.ConstantValue);
          }
          if (name === 'table') {
            const arg = list(e.ArgumentList?.Expressions)[0]?.Element;
            const t = arg && typeof arg.ConstantValue === 'string' ? (arg.ConstantValue as string) : null;
            if (t && !tables.includes(t) && known.has(t)) tables.push(t);
          }
        }
      },
      null,
      null,
    );
    const rt = code.ResultType;
    const columns: KqlColumn[] | null =
      rt && rt.Kind === S.SymbolKind.Table ? list(rt.Columns).map((c: Any) => ({ name: c.Name as string, type: typeName(c.Type) })) : null;
    const openResult = !!(rt && rt.Kind === S.SymbolKind.Table && rt.IsOpen);
    return { diagnostics, columns, tables, tableRefs, callsIngestionTime, watchlists, openResult };
  } catch (e) {
    rethrow(e);
  }
}

/** Syntax errors only: no schema needed. */
export function syntaxErrors(text: string): KqlDiagnostic[] {
  const k = load();
  try {
    const code = k.KustoCode.Parse(text, globalsFor(defaultEnv));
    return list(code.GetSyntaxDiagnostics()).map((d: Any) => ({
      start: d.Start,
      length: d.Length,
      code: d.Code,
      severity: 'error' as const,
      message: d.Message,
    }));
  } catch (e) {
    rethrow(e);
  }
}

export interface FormatOptions {
  indentation?: number;
}

/** Formats a query with the official formatter (pipes on their own lines). */
export function format(text: string, opts: FormatOptions = {}): string {
  const k = load();
  try {
    const E = k.Editor;
    let o = E.FormattingOptions.Default.WithPipeOperatorStyle(E.PlacementStyle.NewLine);
    if (opts.indentation) o = o.WithIndentationSize(opts.indentation);
    const code = k.KustoCode.Parse(text, globalsFor(defaultEnv));
    const out: string = E.KustoFormatter.GetFormattedText(code.Syntax, o, 0).Text;
    return out
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''))
      .join('\n')
      .trim();
  } catch (e) {
    rethrow(e);
  }
}

/** Converts a 0-based offset into 1-based line and column of `text`. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

/** The analyzed tree for the local engine; only src/engine/translate.ts looks inside. */
export interface AnalyzedTree {
  /** The raw KustoCode (Bridge object). */
  code: unknown;
  /** The Kusto.Language namespace and the Bridge runtime, for kind names and list conversion. */
  kusto: unknown;
  bridge: unknown;
  diagnostics: KqlDiagnostic[];
}

export function analyzedTree(text: string, env: SchemaEnv = defaultEnv): AnalyzedTree {
  const k = load();
  try {
    const code = parseAndAnalyze(text, env);
    const diagnostics = diagnosticsOf(code, text).filter((d) => d.severity === 'error');
    return { code, kusto: k, bridge: B, diagnostics };
  } catch (e) {
    rethrow(e);
  }
}
