// The one engine module that reads the Bridge.NET syntax tree of Kusto.Language; it produces the
// plain IR of ir.ts. Built-ins are recognised by the analyzer's symbols, never by name alone.
import { analyzedTree, asimParserOf, builtinTables, lineCol, type SchemaEnv } from '../kql/kusto.js';
import { UserError } from '../diagnostics.js';
import { SCALARS } from './scalars.js';
import { AGGS } from './aggregates.js';
import type { Agg, Bind, Col, Expr, Op, ParsePart, SortKey, Statement, Tab, UnionOpts } from './ir.js';
import { formatDatetime, formatTimespan, normType, parseDatetime, parseGuid, parseTimespan, type Dyn, type KType, type Val } from './values.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type N = any;

export interface TranslateOptions {
  file?: string;
  env?: SchemaEnv;
  /** Folder of local copies of externaldata URLs; without it externaldata is unsupported. */
  externalData?: string;
}

/** Deprecated spellings the analyzer still knows, mapped to the current function. */
const ALIASES: Record<string, string> = {
  parsejson: 'parse_json',
  extract_json: 'extractjson',
  extractall: 'extract_all',
  columnifexists: 'column_ifexists',
  notempty: 'isnotempty',
  notnull: 'isnotnull',
  arraylength: 'array_length',
  datepart: 'datetime_part',
  weekofyear: 'week_of_year',
  base64_encodestring: 'base64_encode_tostring',
  base64_decodestring: 'base64_decode_tostring',
  parseurl: 'parse_url',
  hash_xxhash64: 'hash',
};

/** Scalar functions the evaluator implements (scalars.ts, eval.ts); the translator rejects the others. */
export const SCALAR_FNS = new Set<string>([...Object.keys(SCALARS), 'column_ifexists', 'ingestion_time', 'row_number', 'prev', 'next', 'row_cumsum', 'row_window_session', 'pack_all', 'bag_pack_columns']);
export const AGG_FNS = new Set<string>([...Object.keys(AGGS), 'arg_max', 'arg_min', 'percentiles']);

export class Translator {
  private K: N;
  private B: N;
  private kinds: Record<number, string> = {};
  private builtinFns = new Set<unknown>();
  private builtinAggs = new Set<unknown>();
  private materializeIds = 0;
  /** Position offset when translating a function expansion: errors point at the call. */
  private callSite: N = null;

  constructor(
    private text: string,
    private opts: TranslateOptions,
  ) {}

  translate(): Statement {
    const tree = analyzedTree(this.text, this.opts.env);
    this.K = tree.kusto;
    this.B = tree.bridge;
    const { fuzzy, bagIgnored } = this.tolerated((tree.code as N).Syntax);
    // Two analyzer reports the service does not make: `union isfuzzy=true X*` where X* matches
    // nothing (isfuzzy exists for absent tables), and bag_unpack's ignoredProperties given as the
    // dynamic array its reference page documents (the analyzer 12.4.1 declares a string)
    const errs = tree.diagnostics.filter((d) => !(d.code === 'KS142' && fuzzy.has(d.start)) && !(d.code === 'KS107' && bagIgnored.has(d.start)));
    if (errs.length) {
      const file = this.opts.file ?? '<query>';
      const diags = errs.map((d) => ({ file, ...lineCol(this.text, d.start), severity: 'error' as const, message: `${d.code} ${d.message}` }));
      throw new UserError(`the query does not analyze (${errs.length} error${errs.length > 1 ? 's' : ''})`, diags);
    }
    this.K = tree.kusto;
    this.B = tree.bridge;
    const SK = this.K.Syntax.SyntaxKind;
    for (const [name, v] of Object.entries(SK)) if (typeof v === 'number') this.kinds[v] = name;
    for (const f of this.list(this.K.Functions.All)) this.builtinFns.add(f);
    for (const f of this.list(this.K.Aggregates.All)) this.builtinAggs.add(f);
    const code: N = tree.code;
    const root = code.Syntax;
    const binds: Bind[] = [];
    let query: Tab | null = null;
    for (const st of this.seps(root.Statements)) {
      const k = this.kind(st);
      if (k === 'LetStatement') binds.push(this.letBind(st));
      else if (k === 'ExpressionStatement') {
        const e = st.Expression;
        if (this.isTabular(e)) query = this.tab(e);
        else query = { k: 'print', cols: [{ name: 'print_0', type: this.type(e) }], exprs: [this.expr(e)] };
      } else if (k === 'QueryParametersStatement' || k === 'SetOptionStatement') continue;
      else this.unsupported(this.firstToken(st), st);
    }
    const rt = code.ResultType;
    const out: Col[] = rt && rt.Columns ? this.list(rt.Columns).map((c: N) => ({ name: c.Name, type: normType(c.Type.Name) })) : [];
    return { binds, query, out };
  }

  /** Start positions of wildcarded names inside `union isfuzzy=true`, and of bag_unpack ignoredProperties values. */
  private tolerated(root: N): { fuzzy: Set<number>; bagIgnored: Set<number> } {
    const fuzzy = new Set<number>();
    const bagIgnored = new Set<number>();
    const SK = this.K.Syntax.SyntaxKind;
    this.K.Syntax.SyntaxElement.WalkElements(
      root,
      (e: N) => {
        if (e.IsToken) return;
        if (e.Kind === SK.UnionOperator && (this.paramText(e, 'isfuzzy') ?? '').toLowerCase() === 'true') {
          for (const x of this.seps(e.Expressions)) if (x.Kind === SK.NameReference && x.Name && x.Name.Kind === SK.WildcardedName) fuzzy.add(x.TextStart);
        }
        if (e.Kind === SK.EvaluateOperator && e.FunctionCall?.Name?.SimpleName === 'bag_unpack') {
          for (const a of this.seps(e.FunctionCall.ArgumentList?.Expressions))
            if (a.Kind === SK.SimpleNamedExpression && String(a.Name.SimpleName).toLowerCase() === 'ignoredproperties') {
              bagIgnored.add(a.Expression.TextStart);
              bagIgnored.add(a.TextStart);
            }
        }
      },
      null,
      null,
    );
    return { fuzzy, bagIgnored };
  }

  // ---- helpers over the Bridge object model

  private list(l: N): N[] {
    return l ? this.B.toArray(l) : [];
  }
  private seps(l: N): N[] {
    return this.list(l).map((s: N) => (s && s.Element !== undefined ? s.Element : s));
  }
  private kind(n: N): string {
    return this.kinds[n.Kind] ?? 'Unknown';
  }
  private at(n: N): string {
    const site = this.callSite ?? n;
    const { line, col } = lineCol(this.text, site.TextStart);
    return `${line}:${col}`;
  }
  private firstToken(n: N): string {
    return n.GetFirstToken(false)?.Text ?? this.kind(n);
  }
  unsupported(what: string, n: N): never {
    const site = this.callSite ?? n;
    const { line, col } = lineCol(this.text, site.TextStart);
    const file = this.opts.file ?? '<query>';
    throw new UserError(`unsupported: ${what} at ${line}:${col}`, [{ file, line, col, severity: 'error', message: `unsupported: ${what}` }]);
  }
  private type(n: N): KType {
    const rt = n?.ResultType;
    return normType(rt?.Name ?? 'dynamic');
  }
  private isTabular(n: N): boolean {
    const rt = n?.ResultType;
    return !!rt && rt.Kind === this.K.Symbols.SymbolKind.Table;
  }
  private cols(n: N): Col[] {
    const rt = n?.ResultType;
    if (!rt || !rt.Columns) return [];
    return this.list(rt.Columns).map((c: N) => ({ name: c.Name, type: normType(c.Type?.Name ?? 'dynamic') }));
  }
  private symName(n: N): string | null {
    return n?.ReferencedSymbol?.Name ?? null;
  }
  private symKind(n: N): string {
    const s = n?.ReferencedSymbol;
    if (!s) return '';
    const SK = this.K.Symbols.SymbolKind;
    for (const [k, v] of Object.entries(SK)) if (v === s.Kind) return k;
    return '';
  }
  private param(op: N, name: string): N | null {
    for (const p of this.seps(op.Parameters)) {
      if (p.Name?.SimpleName?.toLowerCase() === name) return p.Expression;
    }
    return null;
  }
  private paramText(op: N, name: string): string | null {
    const e = this.param(op, name);
    if (!e) return null;
    const c = e.ConstantValue;
    if (typeof c === 'string') return c;
    if (e.SimpleName) return e.SimpleName;
    return e.ToString().trim();
  }

  // ---- statements

  private letBind(st: N): Bind {
    const name: string = st.Name.SimpleName;
    const e = st.Expression;
    const k = this.kind(e);
    if (k === 'FunctionDeclaration') return { name, fn: true };
    if (this.isTabular(e) || k === 'MaterializeExpression') return { name, tab: this.tab(e) };
    return { name, expr: this.expr(e) };
  }

  // ---- tabular expressions

  tab(n: N): Tab {
    const k = this.kind(n);
    switch (k) {
      case 'ParenthesizedExpression':
        return this.tab(n.Expression);
      case 'PipeExpression':
        return this.pipe(n);
      case 'NameReference': {
        const sk = this.symKind(n);
        if (sk === 'Table') return { k: 'table', name: this.symName(n)! };
        if (sk === 'Variable' || sk === 'Parameter' || sk === 'Group') return { k: 'ref', name: n.SimpleName };
        if (sk === 'Function') return this.callTab(n, n);
        // an unknown table inside union isfuzzy=true: absent at run time
        if (!n.ReferencedSymbol) return { k: 'table', name: n.SimpleName };
        return this.unsupported(`reference to ${n.SimpleName}`, n);
      }
      case 'FunctionCallExpression':
        return this.callTab(n, n);
      case 'DataTableExpression':
        return this.datatable(n);
      case 'ExternalDataExpression':
        return this.externalData(n);
      case 'MaterializeExpression':
        return { k: 'materialize', id: ++this.materializeIds, q: this.tab(n.Expression) };
      case 'UnionOperator':
      case 'PrintOperator':
      case 'RangeOperator':
        return this.sourceOp(n);
      case 'FunctionBody':
        return this.body(n);
      default:
        if (this.kind(n).endsWith('Operator')) return this.sourceOp(n);
        return this.unsupported(this.firstToken(n), n);
    }
  }

  private body(b: N): Tab {
    const binds: Bind[] = this.seps(b.Statements).map((s: N) => {
      if (this.kind(s) !== 'LetStatement') this.unsupported(this.firstToken(s), s);
      return this.letBind(s);
    });
    const body = this.tab(b.Expression);
    return binds.length ? { k: 'scope', binds, body } : body;
  }

  private callTab(n: N, nameNode: N): Tab {
    const sym = n.ReferencedSymbol;
    const name: string = sym?.Name ?? nameNode.SimpleName;
    if (name === 'table' && this.builtinFns.has(sym)) {
      const rt = n.ResultType;
      if (rt && rt.Kind === this.K.Symbols.SymbolKind.Table && rt.Name && rt.Name !== 'table') return { k: 'table', name: rt.Name };
      const arg = this.seps(n.ArgumentList?.Expressions)[0];
      if (arg && typeof arg.ConstantValue === 'string') return { k: 'table', name: arg.ConstantValue };
      return this.unsupported('table() with a non-constant name', n);
    }
    if (name === '_GetWatchlist') {
      const arg = this.seps(n.ArgumentList?.Expressions)[0];
      return { k: 'watchlist', alias: this.expr(arg) };
    }
    if (this.builtinFns.has(sym)) return this.unsupported(`${name}()`, n);
    const asim = asimParserOf(sym);
    if (asim) {
      // an ASIM parser: its expansion (asim.ts) reads the native table and applies the parameters it
      // implements; a parameter it does not implement is rejected, never ignored
      this.seps(n.ArgumentList?.Expressions).forEach((a: N, i: number) => {
        const named = this.kind(a) === 'SimpleNamedExpression';
        const p = named ? asim.params.find((x) => x.name === String(a.Name.SimpleName)) : asim.params[i];
        if (p && !p.filter && !p.noEffect) this.unsupported(`${name} parameter ${p.name}`, a);
      });
    }
    const { binds, bodyNode } = this.expandCall(n);
    const saved = this.callSite;
    this.callSite = this.callSite ?? n;
    try {
      return { k: 'scope', binds, body: this.tab(bodyNode) };
    } finally {
      this.callSite = saved;
    }
  }

  /** A call of a user function: its arguments bound to its parameters, and the analyzer's expansion. */
  private expandCall(n: N): { binds: Bind[]; bodyNode: N } {
    const exp = n.GetExpansion ? n.GetExpansion() : null;
    if (!exp) return this.unsupported(`call of ${this.symName(n) ?? 'function'}`, n);
    const sym = n.ReferencedSymbol;
    const sigs = sym ? this.list(sym.Signatures) : [];
    const params = sigs.length ? this.list(sigs[0].Parameters) : [];
    const args = this.seps(n.ArgumentList?.Expressions);
    // arguments by position, then by name (f(12, c=7)); a parameter without one takes its default
    const named = new Map<string, N>();
    const positional: N[] = [];
    for (const a of args) {
      if (this.kind(a) === 'SimpleNamedExpression') named.set(String(a.Name.SimpleName), a.Expression);
      else positional.push(a);
    }
    const binds: Bind[] = [];
    params.forEach((p: N, i: number) => {
      const pname: string = p.Name;
      const a = named.get(pname) ?? positional[i];
      if (a) {
        if (this.isTabular(a)) binds.push({ name: pname, tab: this.tab(a) });
        else binds.push({ name: pname, expr: this.expr(a) });
      } else if (p.DefaultValue) {
        binds.push({ name: pname, expr: this.expr(p.DefaultValue) });
      }
    });
    // The expansion body may have its own let statements; its final expression is the result.
    return { binds, bodyNode: exp };
  }

  private datatable(n: N): Tab {
    const cols: Col[] = this.list(n.Schema.Columns).map((c: N) => {
      const d = c.Element ?? c;
      return { name: d.Name.SimpleName, type: normType(d.Type.ToString().trim()) };
    });
    const rows = this.seps(n.Values).map((v: N) => this.expr(v));
    return { k: 'datatable', cols, rows };
  }

  private externalData(n: N): Tab {
    // never fetched: read from a local copy of each URL, when a folder of copies is configured
    if (!this.opts.externalData) return this.unsupported('externaldata (pass --externaldata DIR with local copies)', n);
    const cols: Col[] = this.list(n.Schema.Columns).map((c: N) => {
      const d = c.Element ?? c;
      return { name: d.Name.SimpleName, type: normType(d.Type.ToString().trim()) };
    });
    const urls = this.seps(n.URIs).map((u: N) => String(u.ConstantValue ?? ''));
    let format = 'csv';
    let skipFirst = false;
    for (const p of n.WithClause ? this.seps(n.WithClause.Properties) : []) {
      const name = String(p.Name?.SimpleName ?? '').toLowerCase();
      const v = p.Expression?.ConstantValue ?? p.Expression?.SimpleName ?? p.Expression?.ToString().trim();
      if (name === 'format') format = String(v).toLowerCase();
      else if (name === 'ignorefirstrecord') skipFirst = String(v).toLowerCase() === 'true';
      else return this.unsupported(`externaldata property ${name}`, p);
    }
    if (!['csv', 'txt', 'tsv', 'json', 'multijson'].includes(format)) return this.unsupported(`externaldata format ${format}`, n);
    return { k: 'externaldata', cols, urls, format, skipFirst };
  }

  private sourceOp(n: N): Tab {
    const k = this.kind(n);
    if (k === 'PrintOperator') {
      const cols = this.cols(n);
      const exprs = this.seps(n.Expressions).map((e: N) => this.expr(this.unname(e)));
      return { k: 'print', cols, exprs };
    }
    if (k === 'RangeOperator') {
      const col = this.cols(n)[0]!;
      return { k: 'range', col, from: this.expr(n.From), to: this.expr(n.To), step: this.expr(n.Step) };
    }
    if (k === 'UnionOperator') {
      const inputs = this.seps(n.Expressions).flatMap((e: N, i: number) => this.unionInputs(e, i));
      return { k: 'union', inputs: inputs.map((x) => x.tab), opts: this.unionOpts(n, inputs.map((x) => x.name)) };
    }
    return this.unsupported(this.firstToken(n), n);
  }

  /** The name withsource gives a union input: a table or variable name, the name of a trailing `as`, else union_argN. */
  private sourceName(e: N, i: number): string {
    const k = this.kind(e);
    if (k === 'NameReference') return e.SimpleName as string;
    if (k === 'ParenthesizedExpression') return this.sourceName(e.Expression, i);
    if (k === 'PipeExpression' && this.kind(e.Operator) === 'AsOperator') return e.Operator.Name.SimpleName as string;
    return `union_arg${i}`;
  }

  private unionInputs(e: N, i: number): { tab: Tab; name: string }[] {
    const k = this.kind(e);
    if (k === 'NameReference' && e.Name && this.kind(e.Name) === 'WildcardedName') {
      // wildcard: the analyzer resolves it to the matching tables and views (a group symbol)
      const sym = e.ReferencedSymbol;
      const isGroup = sym && this.B.getTypeName(sym).endsWith('GroupSymbol');
      if (isGroup || (sym && this.B.getTypeName(sym).endsWith('FunctionSymbol'))) {
        const members = (isGroup ? this.list(sym.Members) : [sym]).sort((a: N, b: N) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
        if (members.some((m: N) => this.B.getTypeName(m).endsWith('FunctionSymbol'))) {
          return members.map((m: N) => {
            if (this.B.getTypeName(m).endsWith('TableSymbol')) return { tab: { k: 'table', name: m.Name } as Tab, name: m.Name as string };
            const sig = this.list(m.Signatures)[0];
            if (!sig || this.list(sig.Parameters).length || !sig.Declaration || this.kind(sig.Declaration) !== 'FunctionBody') return this.unsupported(`union over ${m.Name}`, e);
            return { tab: this.body(sig.Declaration), name: m.Name as string };
          });
        }
      }
      if (!sym) return [];
      const pat = e.SimpleName as string;
      const re = new RegExp('^' + pat.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
      const tables = Object.keys(this.opts.env?.tables ?? builtinTables());
      return tables.filter((t) => re.test(t)).sort().map((t) => ({ tab: { k: 'table', name: t } as Tab, name: t }));
    }
    return [{ tab: this.tab(e), name: this.sourceName(e, i) }];
  }

  private unionOpts(n: N, names: string[]): UnionOpts {
    const kind = (this.paramText(n, 'kind') ?? 'outer').toLowerCase() === 'inner' ? 'inner' : 'outer';
    const ws = this.paramText(n, 'withsource') ?? undefined;
    const fz = (this.paramText(n, 'isfuzzy') ?? 'false').toLowerCase() === 'true';
    return { kind, withsource: ws, isfuzzy: fz, names };
  }

  private pipe(n: N): Tab {
    const src = this.tab(n.Expression);
    const op = this.op(n.Operator, n, n.Expression);
    // Kusto pushes a filter that follows an innerunique join and reads only left-side columns to
    // the left side, before its rows are de-duplicated: `where value == "x"` then always keeps the
    // left rows with x (join-innerunique.md)
    if (op.k === 'where' && src.k === 'pipe' && src.op.k === 'join' && src.op.kind === 'innerunique' && this.kind(n.Expression) === 'PipeExpression') {
      const leftNames = new Set(this.cols(n.Expression.Expression).map((c) => c.name));
      if (leftOnly(op.cond, leftNames)) return { k: 'pipe', src: { k: 'pipe', src: src.src, op }, op: src.op };
    }
    return { k: 'pipe', src, op };
  }

  private unname(e: N): N {
    return this.kind(e) === 'SimpleNamedExpression' ? e.Expression : e;
  }

  /** Names for unnamed expressions come from the analyzer's result schema. */
  private namer(pipeNode: N, inputNode: N) {
    const out = this.cols(pipeNode).map((c) => c.name);
    const input = new Set(this.cols(inputNode).map((c) => c.name));
    const used = new Set<string>();
    return (e: N, i: number | null): string => {
      if (this.kind(e) === 'SimpleNamedExpression') {
        const nm = e.Name.SimpleName as string;
        used.add(nm);
        return nm;
      }
      if (i !== null && out[i] !== undefined) return out[i]!;
      if (this.kind(e) === 'NameReference') return e.SimpleName;
      const nm = out.find((c) => !input.has(c) && !used.has(c)) ?? 'Column1';
      used.add(nm);
      return nm;
    };
  }

  private op(o: N, pipeNode: N, inputNode: N): Op {
    const k = this.kind(o);
    switch (k) {
      case 'FilterOperator':
        return { k: 'where', cond: this.expr(o.Condition) };
      case 'ExtendOperator': {
        const name = this.namer(pipeNode, inputNode);
        const items = this.seps(o.Expressions).map((e: N) => {
          if (this.kind(e) === 'CompoundNamedExpression') this.compound(e);
          return { name: name(e, null), e: this.expr(this.unname(e)) };
        });
        return { k: 'extend', items };
      }
      case 'ProjectOperator': {
        const out = this.cols(pipeNode);
        const items = this.seps(o.Expressions).map((e: N, i: number) => {
          if (this.kind(e) === 'CompoundNamedExpression') this.compound(e);
          return { name: this.kind(e) === 'SimpleNamedExpression' ? e.Name.SimpleName : (out[i]?.name ?? e.ToString().trim()), e: this.expr(this.unname(e)) };
        });
        return { k: 'project', items };
      }
      case 'ProjectAwayOperator':
      case 'ProjectKeepOperator': {
        const inCols = this.cols(inputNode).map((c) => c.name);
        const outCols = new Set(this.cols(pipeNode).map((c) => c.name));
        if (k === 'ProjectAwayOperator') return { k: 'project-away', names: inCols.filter((c) => !outCols.has(c)) };
        return { k: 'project-keep', names: this.cols(pipeNode).map((c) => c.name) };
      }
      case 'ProjectRenameOperator': {
        const pairs = this.seps(o.Expressions).map((e: N) => ({ to: e.Name.SimpleName as string, from: (e.Expression.SimpleName ?? e.Expression.ToString().trim()) as string }));
        return { k: 'project-rename', pairs };
      }
      case 'ProjectReorderOperator':
        return { k: 'project-reorder', names: this.cols(pipeNode).map((c) => c.name) };
      case 'SummarizeOperator':
        return this.summarize(o, pipeNode, inputNode);
      case 'JoinOperator':
      case 'LookupOperator':
        return this.join(o, pipeNode, inputNode, k === 'LookupOperator');
      case 'UnionOperator': {
        const inputs = this.seps(o.Expressions).flatMap((e: N, i: number) => this.unionInputs(e, i + 1));
        const leftName = this.sourceName(inputNode, 0);
        return { k: 'union', others: inputs.map((x) => x.tab), opts: this.unionOpts(o, [leftName, ...inputs.map((x) => x.name)]) };
      }
      case 'MvExpandOperator': {
        const items = this.mvItems(o, pipeNode, inputNode);
        const lim = this.seps(o.Parameters).length ? null : null;
        void lim;
        const withIdx = this.paramText(o, 'with_itemindex') ?? undefined;
        if (o.RowLimitClause) return { k: 'mv-expand', items, limit: this.expr(o.RowLimitClause.Expression), withItemIndex: withIdx };
        const bagexp = (this.paramText(o, 'kind') ?? this.paramText(o, 'bagexpansion') ?? 'bag').toLowerCase();
        return { k: 'mv-expand', items, withItemIndex: withIdx, kindArray: bagexp === 'array' };
      }
      case 'MvApplyOperator': {
        const items = this.mvItems(o, pipeNode, inputNode);
        const withIdx = this.paramText(o, 'with_itemindex') ?? undefined;
        if (o.RowLimitClause || o.ContextIdClause) this.unsupported('mv-apply with limit or id', o);
        const sub = this.subquery(o.Subquery.Expression);
        return { k: 'mv-apply', items, sub, withItemIndex: withIdx, out: this.cols(pipeNode) };
      }
      case 'ParseOperator':
      case 'ParseWhereOperator':
        return this.parse(o, k === 'ParseWhereOperator');
      case 'SortOperator': {
        const keys = this.seps(o.Expressions).map((e: N) => this.sortKey(e));
        return { k: 'sort', keys };
      }
      case 'TakeOperator':
        return { k: 'take', n: this.expr(o.Expression) };
      case 'TopOperator':
        return { k: 'top', n: this.expr(o.Expression), key: this.sortKey(o.ByExpression) };
      case 'DistinctOperator': {
        const exprs = this.seps(o.Expressions);
        if (exprs.length === 1 && this.kind(exprs[0]) === 'StarExpression') return { k: 'distinct', items: [], all: true };
        const out = this.cols(pipeNode);
        return { k: 'distinct', items: exprs.map((e: N, i: number) => ({ name: out[i]?.name ?? 'Column' + (i + 1), e: this.expr(this.unname(e)) })), all: false };
      }
      case 'CountOperator':
        return { k: 'count', name: this.cols(pipeNode)[0]?.name ?? 'Count' };
      case 'SerializeOperator': {
        const name = this.namer(pipeNode, inputNode);
        return { k: 'serialize', items: this.seps(o.Expressions).map((e: N) => ({ name: name(e, null), e: this.expr(this.unname(e)) })) };
      }
      case 'GetSchemaOperator':
        return { k: 'getschema' };
      case 'AsOperator':
        return { k: 'as', name: o.Name.SimpleName };
      case 'EvaluateOperator': {
        const call = o.FunctionCall;
        const fname = call.Name?.SimpleName;
        if (fname === 'bag_unpack') {
          const args = this.seps(call.ArgumentList?.Expressions);
          const col = args[0];
          if (!col || this.kind(col) !== 'NameReference') this.unsupported('bag_unpack of an expression', call);
          let prefix = '';
          let conflict = 'error';
          let ignored: string[] = [];
          args.slice(1).forEach((a: N, i: number) => {
            const named = this.kind(a) === 'SimpleNamedExpression';
            const name = named ? String(a.Name.SimpleName).toLowerCase() : i === 0 ? 'outputcolumnprefix' : i === 1 ? 'columnsconflict' : 'ignoredproperties';
            if (name === 'ignoredproperties') {
              const x = this.expr(named ? a.Expression : a);
              if (x.k !== 'lit' || !Array.isArray(x.v) || !x.v.every((k) => typeof k === 'string')) this.unsupported('bag_unpack ignoredProperties other than a dynamic array of names', a);
              ignored = x.v as string[];
              return;
            }
            const v = named ? a.Expression.ConstantValue : a.ConstantValue;
            if (typeof v !== 'string') this.unsupported(`bag_unpack argument ${name}`, a);
            if (name === 'outputcolumnprefix') prefix = v;
            else if (name === 'columnsconflict' && ['error', 'replace_source', 'keep_source'].includes(v)) conflict = v;
            else this.unsupported(`bag_unpack ${name}`, a);
          });
          return { k: 'bag_unpack', col: col.SimpleName, prefix, conflict, ignored, out: this.cols(pipeNode), schema: !!o.Schema };
        }
        if (fname === 'pivot') {
          const args = this.seps(call.ArgumentList?.Expressions);
          const col = args[0];
          if (!col || this.kind(col) !== 'NameReference') return this.unsupported('pivot of an expression', call);
          let agg: Agg | null = null;
          let rest = args.slice(1);
          if (rest[0] && this.kind(rest[0]) === 'FunctionCallExpression') {
            agg = this.aggOf(rest[0], [{ name: 'value', type: this.type(rest[0]) }], new Set());
            rest = rest.slice(1);
          }
          if (rest.some((a: N) => this.kind(a) !== 'NameReference')) return this.unsupported('pivot grouping by expressions', call);
          return { k: 'pivot', col: col.SimpleName, agg, by: rest.length ? rest.map((a: N) => a.SimpleName as string) : null };
        }
        if (fname === 'ipv4_lookup') return this.ipv4Lookup(o, call, pipeNode, inputNode);
        return this.unsupported(`evaluate ${fname}`, o);
      }
      case 'InvokeOperator': {
        const call = o.Function;
        const exp = call.GetExpansion ? call.GetExpansion() : null;
        if (!exp) return this.unsupported('invoke', o);
        const sym = call.ReferencedSymbol;
        const params = this.list(this.list(sym.Signatures)[0].Parameters);
        const args = this.seps(call.ArgumentList?.Expressions);
        const binds: Bind[] = [{ name: params[0].Name, tab: { k: 'input' } }];
        params.slice(1).forEach((p: N, i: number) => {
          const a = args[i];
          if (a) binds.push(this.isTabular(a) ? { name: p.Name, tab: this.tab(a) } : { name: p.Name, expr: this.expr(a) });
          else if (p.DefaultValue) binds.push({ name: p.Name, expr: this.expr(p.DefaultValue) });
        });
        return { k: 'invoke', body: { k: 'scope', binds, body: this.tab(exp) } };
      }
      case 'MakeSeriesOperator':
        return this.makeSeries(o, pipeNode);
      case 'TopNestedOperator': {
        const out = this.cols(pipeNode);
        const levels = this.seps(o.Clauses).map((c: N, i: number) => {
          if (c.WithOthersClause) this.unsupported('top-nested with others', c);
          let by = c.ByExpression;
          let desc = true;
          if (this.kind(by) === 'OrderedExpression') {
            desc = !/\basc\b/i.test(by.Ordering ? by.Ordering.ToString() : '');
            by = by.Expression;
          }
          const agg = this.aggOf(by, [out[2 * i + 1] ?? { name: 'aggregated', type: this.type(this.unname(by)) }], new Set());
          if (agg.fn === 'arg_max' || agg.fn === 'arg_min' || agg.fn === 'percentiles') this.unsupported(`top-nested by ${agg.fn}()`, by);
          return { n: c.Expression ? this.expr(c.Expression) : null, key: this.expr(this.unname(c.OfExpression)), agg, desc };
        });
        if (out.length !== levels.length * 2) return this.unsupported('top-nested output', o);
        return { k: 'top-nested', levels, out };
      }
      case 'RenderOperator':
        return { k: 'as', name: '' };
      default:
        return this.unsupported(this.firstToken(o), o);
    }
  }

  /** `evaluate ipv4_lookup(LookupTable, SourceIPv4Key, IPv4LookupKey [, ExtraKey1 .. [, return_unmatched]])`
   *  (ipv4-lookup-plugin.md). The output columns are the analyzer's: the input's, then the lookup
   *  table's without the extra keys (a name already taken gets the suffix 1). */
  private ipv4Lookup(o: N, call: N, pipeNode: N, inputNode: N): Op {
    // evaluate's distribution hints change where the plugin runs, not what it returns
    for (const p of this.seps(o.Parameters)) {
      const name = String(p.Name?.SimpleName ?? this.firstToken(p));
      if (!/^hint\.(distribution|remote)$/i.test(name)) this.unsupported(`evaluate ${name} ipv4_lookup`, p);
    }
    const args = this.seps(call.ArgumentList?.Expressions);
    const [lk, src, key] = args;
    if (!lk || !src || !key || !this.isTabular(lk)) return this.unsupported('ipv4_lookup arguments', call);
    if (this.kind(src) !== 'NameReference' || this.kind(key) !== 'NameReference') return this.unsupported('ipv4_lookup key other than a column name', call);
    const inCols = this.cols(inputNode);
    const lkCols = this.cols(lk);
    const typeOf = (cols: Col[], name: string) => cols.find((c) => c.name === name)?.type;
    const srcType = typeOf(inCols, src.SimpleName);
    const keyType = typeOf(lkCols, key.SimpleName);
    // SourceIPv4Key and IPv4LookupKey are "IPv4 string" columns
    if (srcType !== 'string') return this.unsupported(`ipv4_lookup of a ${srcType ?? 'missing'} source column ${src.SimpleName}`, src);
    if (keyType !== 'string') return this.unsupported(`ipv4_lookup of a ${keyType ?? 'missing'} lookup column ${key.SimpleName}`, key);
    let unmatched = false;
    let seenFlag = false;
    const extra: string[] = [];
    for (const a of args.slice(3)) {
      const named = this.kind(a) === 'SimpleNamedExpression';
      if (seenFlag) return this.unsupported('ipv4_lookup argument after return_unmatched', a);
      if (named && String(a.Name.SimpleName) !== 'return_unmatched') return this.unsupported(`ipv4_lookup argument ${a.Name.SimpleName}`, a);
      if (!named && this.kind(a) === 'NameReference') {
        const name = a.SimpleName as string;
        const ts = typeOf(inCols, name);
        const tl = typeOf(lkCols, name);
        // records with equal values match, as in join: the two columns must have one type
        if (!ts || !tl || ts !== tl) return this.unsupported(`ipv4_lookup extra key ${name} of types ${ts ?? 'missing'} and ${tl ?? 'missing'}`, a);
        if (!extra.includes(name)) extra.push(name);
        continue;
      }
      const x = this.expr(named ? a.Expression : a);
      if (x.k !== 'lit' || typeof x.v !== 'boolean') return this.unsupported('ipv4_lookup return_unmatched other than true or false', a);
      unmatched = x.v;
      seenFlag = true;
    }
    const out = this.cols(pipeNode);
    const mine = [...inCols, ...lkCols.filter((c) => !extra.includes(c.name))];
    if (out.length !== mine.length || out.some((c, i) => c.type !== mine[i]!.type)) return this.unsupported('ipv4_lookup output schema', call);
    return { k: 'ipv4_lookup', lookup: this.tab(lk), src: src.SimpleName, key: key.SimpleName, extra, unmatched, out, at: this.at(call) };
  }

  private compound(e: N): never {
    const call = e.Expression;
    const fname = call?.Name?.SimpleName ?? this.firstToken(call ?? e);
    return this.unsupported(`${fname}()`, call ?? e);
  }

  private subquery(e: N): Tab {
    // Operators of a subquery start from the implicit input.
    const k = this.kind(e);
    if (k === 'PipeExpression') return { k: 'pipe', src: this.subquery(e.Expression), op: this.op(e.Operator, e, e.Expression) };
    if (k.endsWith('Operator')) return { k: 'pipe', src: { k: 'input' }, op: this.op(e, e, e) };
    return this.tab(e);
  }

  private mvItems(o: N, pipeNode: N, inputNode: N): { name: string; e: Expr; t: KType }[] {
    void pipeNode;
    void inputNode;
    return this.seps(o.Expressions).map((m: N) => {
      const inner = m.Expression;
      const name = this.kind(inner) === 'SimpleNamedExpression' ? inner.Name.SimpleName : (inner.SimpleName ?? inner.ToString().trim());
      const tt = m.ToTypeOf ? normType(m.ToTypeOf.TypeOf.ToString().replace(/^typeof\(|\)$/g, '').trim()) : 'dynamic';
      return { name, e: this.expr(this.unname(inner)), t: tt };
    });
  }

  private sortKey(e: N): SortKey {
    if (this.kind(e) !== 'OrderedExpression') return { e: this.expr(e), desc: true, nullsFirst: false };
    const ord = e.Ordering;
    const txt: string = ord ? ord.ToString().toLowerCase() : '';
    const desc = !/\basc\b/.test(txt);
    let nullsFirst = !desc;
    if (/nulls\s*first/.test(txt)) nullsFirst = true;
    if (/nulls\s*last/.test(txt)) nullsFirst = false;
    return { e: this.expr(e.Expression), desc, nullsFirst };
  }

  private parse(o: N, where: boolean): Op {
    const kindTxt = (this.paramText(o, 'kind') ?? 'simple').toLowerCase();
    if (kindTxt !== 'simple' && kindTxt !== 'regex' && kindTxt !== 'relaxed') this.unsupported(`parse kind=${kindTxt}`, o);
    const flags = this.paramText(o, 'flags') ?? '';
    // RE2 flags: U ungreedy, i case-insensitive, m multi-line, s dot matches \n
    if (flags && (kindTxt !== 'regex' || !/^[Uims]+$/.test(flags))) this.unsupported(`parse flags=${flags}`, o);
    const pattern: ParsePart[] = this.list(o.Patterns).map((p: N) => {
      const pk = this.kind(p);
      if (pk === 'StarExpression') return { k: 'star' } as ParsePart;
      if (pk === 'StringLiteralExpression' || pk === 'CompoundStringLiteralExpression') return { k: 'lit', s: String(p.ConstantValue) } as ParsePart;
      if (pk === 'NameAndTypeDeclaration') return { k: 'cap', name: p.Name.SimpleName, t: normType(p.Type.ToString().trim()) } as ParsePart;
      if (pk === 'NameDeclaration') return { k: 'cap', name: p.SimpleName, t: 'string' } as ParsePart;
      return this.unsupported('parse pattern element', p);
    });
    return { k: 'parse', src: this.expr(o.Expression), pattern, where, regex: kindTxt === 'regex', relaxed: kindTxt === 'relaxed', flags };
  }

  private aggOf(e: N, out: Col[], byNames: Set<string>): Agg {
    const call = this.unname(e);
    if (this.kind(call) !== 'FunctionCallExpression') return this.unsupported('aggregate expression', call);
    const sym = call.ReferencedSymbol;
    const fn: string = sym?.Name ?? '';
    if (!this.builtinAggs.has(sym) || !AGG_FNS.has(fn)) return this.unsupported(`${fn}()`, call);
    const argNodes = this.seps(call.ArgumentList?.Expressions);
    const star = argNodes.some((a: N) => this.kind(a) === 'StarExpression');
    const args = argNodes.filter((a: N) => this.kind(a) !== 'StarExpression').map((a: N) => this.expr(this.unname(a)));
    void byNames;
    return { fn, args, out, star, at: this.at(call) };
  }

  private summarize(o: N, pipeNode: N, inputNode: N): Op {
    if (this.seps(o.Parameters).length) {
      /* hints such as hint.strategy do not change results */
    }
    const out = this.cols(pipeNode);
    const byNodes = o.ByClause ? this.seps(o.ByClause.Expressions) : [];
    const by = byNodes.map((e: N, i: number) => ({ name: out[i]?.name ?? 'Column' + (i + 1), e: this.expr(this.unname(e)) }));
    const byNames = new Set(by.map((b) => b.name));
    let pos = by.length;
    const inCols = this.cols(inputNode);
    const aggs = this.seps(o.Aggregates).map((e: N) => {
      const call = this.unname(e);
      const rt = call.ResultType;
      let width = 1;
      if (rt && rt.Columns && rt.Kind !== this.K.Symbols.SymbolKind.Table) width = this.list(rt.Columns).length;
      const fname = call.ReferencedSymbol?.Name ?? '';
      if ((fname === 'arg_max' || fname === 'arg_min') && this.seps(call.ArgumentList?.Expressions).some((a: N) => this.kind(a) === 'StarExpression')) {
        width = out.length - pos - (this.seps(o.Aggregates).length - 1 - this.seps(o.Aggregates).indexOf(e));
        void inCols;
      }
      const cols = out.slice(pos, pos + width);
      pos += width;
      return this.aggOf(e, cols, byNames);
    });
    return { k: 'summarize', by, aggs };
  }

  private makeSeries(o: N, pipeNode: N): Op {
    const out = this.cols(pipeNode);
    const aggs = this.seps(o.Aggregates).map((a: N, i: number) => {
      const e = a.Expression;
      // absent buckets default to 0 unless `default=` says otherwise
      const dflt = a.DefaultExpression ? this.expr(a.DefaultExpression.Expression) : ({ k: 'lit', t: 'long', v: 0 } as Expr);
      const name = this.kind(e) === 'SimpleNamedExpression' ? e.Name.SimpleName : out[i]?.name;
      const agg = this.aggOf(e, [{ name, type: 'dynamic' }], new Set());
      return { name, agg, dflt };
    });
    const onClause = o.OnClause;
    const onExpr = onClause.Expression;
    const onName = this.kind(onExpr) === 'NameReference' ? onExpr.SimpleName : 'x';
    const range = o.RangeClause;
    const rk = this.kind(range);
    let from: Expr | undefined;
    let to: Expr | undefined;
    let step: Expr;
    if (rk === 'MakeSeriesFromToStepClause') {
      from = range.MakeSeriesFromClause ? this.expr(range.MakeSeriesFromClause.Expression) : undefined;
      to = range.MakeSeriesToClause ? this.expr(range.MakeSeriesToClause.Expression) : undefined;
      step = this.expr(range.MakeSeriesStepClause.Expression);
    } else return this.unsupported('make-series in range()', o);
    const byNodes = o.ByClause ? this.seps(o.ByClause.Expressions) : [];
    const by = byNodes.map((e: N) => ({ name: this.kind(e) === 'SimpleNamedExpression' ? e.Name.SimpleName : (e.SimpleName ?? 'Column1'), e: this.expr(this.unname(e)) }));
    return { k: 'make-series', aggs, on: this.expr(onExpr), onName, from, to, step, by };
  }

  private join(o: N, pipeNode: N, inputNode: N, lookup: boolean): Op {
    let kind = (this.paramText(o, 'kind') ?? (lookup ? 'leftouter' : 'innerunique')).toLowerCase();
    if (kind === 'left') kind = 'leftouter';
    if (kind === 'anti' || kind === 'leftantisemi') kind = 'leftanti';
    if (kind === 'rightantisemi') kind = 'rightanti';
    if (kind === 'semi') kind = 'leftsemi';
    if (kind === 'outer') kind = 'fullouter';
    const known = ['inner', 'innerunique', 'leftouter', 'rightouter', 'fullouter', 'leftsemi', 'rightsemi', 'leftanti', 'rightanti'];
    if (!known.includes(kind)) this.unsupported(`join kind=${kind}`, o);
    const right = this.tab(o.Expression);
    const cond = o.ConditionClause ?? o.LookupClause;
    if (!cond || this.kind(cond) !== 'JoinOnClause') return this.unsupported('join where', o);
    const leftCols = new Set(this.cols(inputNode).map((c) => c.name));
    void leftCols;
    const keys: { l: Expr; r: Expr }[] = [];
    for (const c of this.seps(cond.Expressions)) {
      const ck = this.kind(c);
      if (ck === 'NameReference') {
        const t = this.type(c);
        keys.push({ l: { k: 'col', name: c.SimpleName, t }, r: { k: 'col', name: c.SimpleName, t } });
      } else if (ck === 'EqualExpression') {
        const l = this.expr(c.Left);
        const r = this.expr(c.Right);
        const side = (x: Expr) => (x.k === 'col' ? x.side : undefined);
        if (side(l) === 'left' && side(r) === 'right') keys.push({ l, r });
        else if (side(l) === 'right' && side(r) === 'left') keys.push({ l: r, r: l });
        else return this.unsupported('join condition', c);
      } else return this.unsupported('join condition', c);
    }
    return { k: 'join', kind, right, keys, out: this.cols(pipeNode), lookup };
  }

  // ---- scalar expressions

  expr(n: N): Expr {
    const k = this.kind(n);
    const t = this.type(n);
    switch (k) {
      case 'ParenthesizedExpression':
        if (this.isTabular(n.Expression)) return { k: 'scalar', q: this.tab(n.Expression), t };
        return this.expr(n.Expression);
      case 'LongLiteralExpression':
      case 'IntLiteralExpression':
      case 'RealLiteralExpression':
      case 'DecimalLiteralExpression':
      case 'BooleanLiteralExpression':
      case 'StringLiteralExpression':
      case 'CompoundStringLiteralExpression':
      case 'DateTimeLiteralExpression':
      case 'TimespanLiteralExpression':
      case 'GuidLiteralExpression':
      case 'NullLiteralExpression':
        return this.literal(n, k, t);
      case 'TypeOfLiteralExpression':
        return { k: 'lit', t: 'string', v: n.ToString().trim() };
      case 'DynamicExpression':
        return { k: 'lit', t: 'dynamic', v: this.dynamicLiteral(n.Expression) };
      case 'NameReference':
        return this.nameRef(n, t);
      case 'PathExpression': {
        const base = n.Expression;
        const bk = this.kind(base);
        if (bk === 'NameReference' && (base.SimpleName === '$left' || base.SimpleName === '$right')) {
          return { k: 'col', name: n.Selector.SimpleName, t, side: base.SimpleName === '$left' ? 'left' : 'right' };
        }
        const sel = n.Selector;
        const key = sel.SimpleName ?? (this.kind(sel) === 'BracketedName' ? sel.Name?.ConstantValue : null) ?? sel.ToString().trim().replace(/^\['|'\]$|^\["|"\]$/g, '');
        if (this.isTabular(base)) return this.unsupported('table.column path', n);
        return { k: 'path', x: this.expr(base), key: { k: 'lit', t: 'string', v: key }, t };
      }
      case 'ElementExpression': {
        const sel = n.Selector;
        return { k: 'path', x: this.expr(n.Expression), key: this.expr(sel.Expression), t };
      }
      case 'UnaryMinusExpression':
        return { k: 'call', fn: '__neg', args: [this.expr(n.Expression)], t, at: this.at(n) };
      case 'UnaryPlusExpression':
        return this.expr(n.Expression);
      case 'BetweenExpression':
      case 'NotBetweenExpression':
        return { k: 'between', neg: k === 'NotBetweenExpression', x: this.expr(n.Left), lo: this.expr(n.Right.First), hi: this.expr(n.Right.Second) };
      case 'InExpression':
      case 'NotInExpression':
      case 'InCsExpression':
      case 'NotInCsExpression': {
        const op = this.opText(n);
        const items = this.seps(n.Right.Expressions);
        if (items.length === 1 && this.isTabular(items[0])) return { k: 'in', op, x: this.expr(n.Left), list: [], sub: this.tab(items[0]) };
        return { k: 'in', op, x: this.expr(n.Left), list: items.map((e: N) => this.expr(e)) };
      }
      case 'HasAnyExpression':
      case 'HasAllExpression': {
        const items = this.seps(n.Right.Expressions);
        if (items.length === 1 && this.isTabular(items[0])) return { k: 'in', op: k === 'HasAnyExpression' ? 'has_any' : 'has_all', x: this.expr(n.Left), list: [], sub: this.tab(items[0]) };
        return { k: 'in', op: k === 'HasAnyExpression' ? 'has_any' : 'has_all', x: this.expr(n.Left), list: items.map((e: N) => this.expr(e)) };
      }
      case 'FunctionCallExpression':
        return this.call(n, t);
      case 'ToScalarExpression':
        // toscalar(2): a scalar argument is its own value
        if (!this.isTabular(n.Expression)) return this.expr(n.Expression);
        return { k: 'scalar', q: this.tab(n.Expression), t };
      case 'StarExpression':
        return { k: 'star' };
      case 'MaterializeExpression':
        return this.unsupported('materialize as scalar', n);
      default:
        if (BIN_OPS[k]) return { k: 'bin', op: BIN_OPS[k]!, l: this.expr(n.Left), r: this.expr(n.Right), t };
        if (this.isTabular(n)) return { k: 'scalar', q: this.tab(n), t };
        return this.unsupported(k.replace(/Expression$/, ''), n);
    }
  }

  private opText(n: N): string {
    const k = this.kind(n);
    return { InExpression: 'in', NotInExpression: '!in', InCsExpression: 'in~', NotInCsExpression: '!in~' }[k as 'InExpression']!;
  }

  private nameRef(n: N, t: KType): Expr {
    const sk = this.symKind(n);
    const name: string = n.SimpleName;
    if (sk === 'Column') return { k: 'col', name: this.symName(n) ?? name, t };
    if (sk === 'Variable' || sk === 'Parameter') {
      if (this.isTabular(n)) return { k: 'scalar', q: { k: 'ref', name }, t };
      return { k: 'var', name, t };
    }
    if (sk === 'Function') return this.call(n, t);
    if (sk === 'Table') return { k: 'scalar', q: { k: 'table', name }, t };
    return this.unsupported(`name ${name}`, n);
  }

  private literal(n: N, k: string, t: KType): Expr {
    const txt: string = n.ToString().trim();
    const inner = /^[a-z]+\((.*)\)$/is.exec(txt);
    const body = inner ? inner[1]!.trim() : txt;
    if (body === 'null' || k === 'NullLiteralExpression') return { k: 'lit', t: k === 'NullLiteralExpression' ? 'dynamic' : t, v: t === 'string' ? '' : null };
    let v: Val;
    switch (k) {
      case 'StringLiteralExpression':
      case 'CompoundStringLiteralExpression':
        v = String(n.ConstantValue ?? '');
        break;
      case 'BooleanLiteralExpression':
        v = /true/i.test(body);
        break;
      case 'LongLiteralExpression':
      case 'IntLiteralExpression':
      case 'RealLiteralExpression':
      case 'DecimalLiteralExpression': {
        const s = body.replace(/^\+/, '');
        if (/^0x/i.test(s)) v = Number(BigInt(s));
        else if (/^(-?)inf(inity)?$/i.test(s)) v = s.startsWith('-') ? -Infinity : Infinity;
        else if (/^nan$/i.test(s)) v = NaN;
        else v = Number(s);
        break;
      }
      case 'DateTimeLiteralExpression':
        v = parseDatetime(body.replace(/^(["'])(.*)\1$/s, '$2'));
        if (v === null) this.unsupported(`datetime literal ${txt}`, n);
        break;
      case 'TimespanLiteralExpression':
        v = parseTimespan(txt);
        if (v === null) v = parseTimespan(body);
        if (v === null) this.unsupported(`timespan literal ${txt}`, n);
        break;
      case 'GuidLiteralExpression':
        v = parseGuid(body);
        break;
      default:
        v = null;
    }
    return { k: 'lit', t, v };
  }

  private dynamicLiteral(n: N): Dyn {
    const k = this.kind(n);
    switch (k) {
      case 'JsonArrayExpression':
        return this.seps(n.Values).map((v: N) => this.dynamicLiteral(v));
      case 'JsonObjectExpression': {
        const o: { [k: string]: Dyn } = {};
        for (const p of this.seps(n.Pairs)) o[String(p.Name.ConstantValue ?? p.Name.ToString().trim().replace(/^["']|["']$/g, ''))] = this.dynamicLiteral(p.Value);
        return o;
      }
      default: {
        if (this.kind(n) === 'UnaryMinusExpression') {
          const inner = this.dynamicLiteral(n.Expression);
          if (typeof inner === 'number') return -inner;
        }
        const e = this.expr(n);
        if (e.k !== 'lit') return this.unsupported('non-literal inside dynamic()', n);
        if (e.v === null) return null;
        if (typeof e.v === 'bigint') return e.t === 'datetime' ? formatDatetime(e.v, true) : formatTimespan(e.v);
        return e.v as Dyn;
      }
    }
  }

  private call(n: N, t: KType): Expr {
    const sym = n.ReferencedSymbol;
    const name0: string = sym?.Name ?? n.Name?.SimpleName ?? '?';
    const fn: string = this.builtinFns.has(sym) ? (ALIASES[name0] ?? name0) : name0;
    const argNodes = this.seps(n.ArgumentList?.Expressions);
    if (this.builtinFns.has(sym)) {
      if (!SCALAR_FNS.has(fn)) return this.unsupported(`${fn}()`, n);
      if ((fn === 'array_sort_asc' || fn === 'array_sort_desc') && argNodes.slice(1).some((a: N) => this.type(a) === 'dynamic')) return this.unsupported(`${fn}() of several arrays`, n);
      if (fn === 'hash' && argNodes[0] && !['string', 'datetime'].includes(this.type(argNodes[0]))) return this.unsupported(`hash() of a ${this.type(argNodes[0])} value`, n);
      if (fn === 'column_ifexists') {
        const name = String(argNodes[0]?.ConstantValue ?? '');
        return { k: 'call', fn, args: [{ k: 'lit', t: 'string', v: name }, this.expr(argNodes[1])], t, at: this.at(n) };
      }
      const args = argNodes.map((a: N) => (this.kind(a) === 'StarExpression' ? ({ k: 'star' } as Expr) : this.isTabular(a) ? ({ k: 'scalar', q: this.tab(a), t: 'dynamic' } as Expr) : this.expr(a)));
      return { k: 'call', fn, args, t, at: this.at(n) };
    }
    if (this.builtinAggs.has(sym)) return this.unsupported(`aggregate ${fn}() outside summarize`, n);
    if (!sym || !n.GetExpansion) return this.unsupported(`${fn}()`, n);
    const { binds, bodyNode } = this.expandCall(n);
    const saved = this.callSite;
    this.callSite = this.callSite ?? n;
    try {
      const lets = this.seps(bodyNode.Statements).map((s: N) => this.letBind(s));
      const body = this.expr(bodyNode.Expression);
      return { k: 'scope', binds: [...binds, ...lets], body, t };
    } finally {
      this.callSite = saved;
    }
  }
}

/** True when a condition reads only the given (left-side) columns and nothing that depends on row order. */
function leftOnly(e: Expr, names: Set<string>): boolean {
  let ok = true;
  const walk = (x: unknown): void => {
    if (!ok || !x || typeof x !== 'object') return;
    if (Array.isArray(x)) return x.forEach(walk);
    const o = x as Record<string, unknown>;
    if (o.k === 'col' && (o.side !== undefined || !names.has(o.name as string))) ok = false;
    if (o.k === 'star' || o.k === 'scalar' || o.k === 'scope' || (o.k === 'in' && o.sub)) ok = false;
    if (o.k === 'call' && ['row_number', 'prev', 'next', 'row_cumsum', 'row_window_session', 'column_ifexists', 'pack_all', 'bag_pack_columns', 'ingestion_time'].includes(o.fn as string)) ok = false;
    for (const v of Object.values(o)) walk(v);
  };
  walk(e);
  return ok;
}

const BIN_OPS: Record<string, string> = {
  AddExpression: '+',
  SubtractExpression: '-',
  MultiplyExpression: '*',
  DivideExpression: '/',
  ModuloExpression: '%',
  LessThanExpression: '<',
  LessThanOrEqualExpression: '<=',
  GreaterThanExpression: '>',
  GreaterThanOrEqualExpression: '>=',
  EqualExpression: '==',
  NotEqualExpression: '!=',
  EqualTildeExpression: '=~',
  BangTildeExpression: '!~',
  AndExpression: 'and',
  OrExpression: 'or',
  HasExpression: 'has',
  NotHasExpression: '!has',
  HasCsExpression: 'has_cs',
  NotHasCsExpression: '!has_cs',
  HasPrefixExpression: 'hasprefix',
  NotHasPrefixExpression: '!hasprefix',
  HasPrefixCsExpression: 'hasprefix_cs',
  NotHasPrefixCsExpression: '!hasprefix_cs',
  HasSuffixExpression: 'hassuffix',
  NotHasSuffixExpression: '!hassuffix',
  HasSuffixCsExpression: 'hassuffix_cs',
  NotHasSuffixCsExpression: '!hassuffix_cs',
  ContainsExpression: 'contains',
  NotContainsExpression: '!contains',
  ContainsCsExpression: 'contains_cs',
  NotContainsCsExpression: '!contains_cs',
  StartsWithExpression: 'startswith',
  NotStartsWithExpression: '!startswith',
  StartsWithCsExpression: 'startswith_cs',
  NotStartsWithCsExpression: '!startswith_cs',
  EndsWithExpression: 'endswith',
  NotEndsWithExpression: '!endswith',
  EndsWithCsExpression: 'endswith_cs',
  NotEndsWithCsExpression: '!endswith_cs',
  MatchesRegexExpression: 'matches regex',
  LikeExpression: 'like',
  NotLikeExpression: '!like',
  LikeCsExpression: 'like_cs',
  NotLikeCsExpression: '!like_cs',
};

export function translate(text: string, opts: TranslateOptions = {}): Statement {
  return new Translator(text, opts).translate();
}
