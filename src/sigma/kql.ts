// Cond -> a KQL predicate over one table. Sigma strings match case-insensitively (=~, in~, contains,
// startswith, endswith; `cased` uses the _cs forms), numbers compare as numbers against numeric
// columns and as their text against string columns, nested paths read dynamic or JSON-text columns.
import type { KqlColumn } from '../kql/kusto.js';
import { stringLiteral } from '../kql/literals.js';
import type { Cond, Part } from './detection.js';
import type { FieldSpec, TableSpec, ValueTarget } from './mapping.js';

/** A Sigma field read from the table: a KQL expression and its type. */
export interface Resolved {
  expr: string;
  type: string;
  /** The column it reads (for entity mappings and group-by). */
  column: string;
  /** A plain column reference (not a path or conversion). */
  plain: boolean;
  array?: boolean;
  values?: Record<string, ValueTarget>;
  ignore?: boolean;
  /** Every row of the table has this value (the mapping's `constant`). */
  constant?: { value: string; reason?: string };
}

export class MappingError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const NUMERIC = new Set(['int', 'long', 'real', 'decimal']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function columnRef(name: string): string {
  return IDENT.test(name) ? name : `['${name.replace(/'/g, "\\'")}']`;
}

export class TableContext {
  private readonly cols: Map<string, KqlColumn>;
  constructor(
    readonly table: string,
    readonly columns: KqlColumn[],
    readonly spec: TableSpec,
    /** A predicate the logsource mapping puts ahead of the detection (`isnotempty(ThreatTypes)`). */
    readonly where?: string,
  ) {
    this.cols = new Map(columns.map((c) => [c.name, c]));
  }

  column(name: string): KqlColumn | null {
    return this.cols.get(name) ?? this.columns.find((c) => c.name.toLowerCase() === name.toLowerCase()) ?? null;
  }

  /** Resolves a Sigma field name through the mapping, then by column name, then as a path. */
  resolve(field: string): Resolved {
    const specKey = Object.keys(this.spec.fields).find((k) => k === field) ?? Object.keys(this.spec.fields).find((k) => k.toLowerCase() === field.toLowerCase());
    if (specKey !== undefined) return this.fromSpec(this.spec.fields[specKey]!, field);
    const direct = this.path(field);
    if (direct) return direct;
    if (/^properties\./i.test(field)) {
      const inner = this.path(field.slice('properties.'.length));
      if (inner) return inner;
    }
    throw new MappingError(`field '${field}' has no column in ${this.table}; map it in a mapping file (--mapping FILE, see docs/sigma.md)`, field);
  }

  private fromSpec(spec: FieldSpec, field: string): Resolved {
    if (spec === 'ignore') return { expr: 'true', type: 'bool', column: '', plain: false, ignore: true };
    if (typeof spec === 'object' && 'unsupported' in spec) throw new MappingError(`field '${field}' cannot be read from ${this.table}: ${spec.unsupported}`, field);
    if (typeof spec === 'object' && 'constant' in spec) return { expr: stringLiteral(spec.constant), type: 'string', column: '', plain: false, constant: { value: spec.constant, reason: spec.reason } };
    if (typeof spec === 'object' && 'coalesce' in spec) {
      const cols = spec.coalesce.map((c) => {
        const col = this.column(c);
        if (!col || col.type !== 'string') throw new MappingError(`the mapping reads field '${field}' from '${c}', which is not a string column of ${this.table}`, field);
        return col.name;
      });
      return { expr: `coalesce(${cols.map(columnRef).join(', ')})`, type: 'string', column: cols[0]!, plain: false };
    }
    const s = typeof spec === 'string' ? { field: spec } : spec;
    const r = this.path(s.field);
    if (!r) throw new MappingError(`the mapping sends field '${field}' to '${s.field}', which is not a column of ${this.table}`, field);
    if (s.array) return { ...r, expr: `tostring(${columnRef(r.column)})`, type: 'string', plain: false, array: true, values: undefined };
    return { ...r, values: s.values };
  }

  /** `Col`, `Col.a.b`, `Col[0].a`: a column or a path into a dynamic or JSON-text column. */
  path(spec: string): Resolved | null {
    const segs = splitPath(spec);
    if (!segs) return null;
    const col = this.column(segs[0] as string);
    if (!col) return null;
    const ref = columnRef(col.name);
    if (segs.length === 1) {
      if (col.type === 'dynamic') return { expr: `tostring(${ref})`, type: 'string', column: col.name, plain: false };
      return { expr: ref, type: col.type, column: col.name, plain: true };
    }
    if (col.type !== 'dynamic' && col.type !== 'string') return null;
    const base = col.type === 'dynamic' ? ref : `parse_json(${ref})`;
    const tail = segs
      .slice(1)
      .map((s) => (typeof s === 'number' ? `[${s}]` : IDENT.test(s) ? `.${s}` : `[${stringLiteral(s)}]`))
      .join('');
    return { expr: `tostring(${base}${tail})`, type: 'string', column: col.name, plain: false };
  }
}

function splitPath(spec: string): (string | number)[] | null {
  const out: (string | number)[] = [];
  for (const part of spec.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return null;
    if (m[1]) out.push(m[1]);
    else if (!m[2]) return null;
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out.length && typeof out[0] === 'string' ? out : null;
}

/** Binding strength of the text produced, for minimal parentheses. */
type Prec = 0 | 1 | 2; // or, and, atom
interface Out {
  text: string;
  prec: Prec;
}

const atom = (text: string): Out => ({ text, prec: 2 });
const paren = (o: Out, min: Prec): string => (o.prec < min ? `(${o.text})` : o.text);

export function globRegex(parts: Part[], anchored: boolean, anyChar = '.'): string {
  const body = parts.map((p) => (p.t === 'lit' ? p.s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : p.t === 'any' ? `${anyChar}*` : anyChar)).join('');
  return anchored ? `^${body}$` : body;
}

export interface KeywordSource {
  /** The expression keywords are searched in (all text columns joined). */
  expr: string;
}

export function toKql(c: Cond, t: TableContext, keywords: KeywordSource | null): string {
  return render(c, t, keywords, false).text;
}

/** `neg`: the item is under an odd number of `not`s (a test on a constant may then be false). */
function render(c: Cond, t: TableContext, kw: KeywordSource | null, neg: boolean): Out {
  switch (c.k) {
    case 'const':
      return atom(c.v ? 'true' : 'false');
    case 'and':
    case 'or': {
      const xs = c.k === 'or' ? mergeIn(c.xs, t) : c.xs;
      // Items the mapping ignores render as `true`: fold them away.
      let parts = xs.map((x) => render(x, t, kw, neg));
      const unit = c.k === 'and' ? 'true' : 'false';
      if (parts.some((o) => o.text === (c.k === 'and' ? 'false' : 'true'))) return atom(c.k === 'and' ? 'false' : 'true');
      parts = parts.filter((o) => o.text !== unit);
      if (!parts.length) return atom(unit);
      if (parts.length === 1) return parts[0]!;
      const p: Prec = c.k === 'and' ? 1 : 0;
      return { text: parts.map((o) => paren(o, c.k === 'and' ? 2 : 1)).join(` ${c.k} `), prec: p };
    }
    case 'not': {
      const x = render(c.x, t, kw, !neg);
      if (x.text === 'true' || x.text === 'false') return atom(x.text === 'true' ? 'false' : 'true');
      return atom(`not(${x.text})`);
    }
    default:
      return atom(leaf(c, t, kw, neg));
  }
}

/** OR-ed case-insensitive equalities on one field become `in~ (…)`. */
function mergeIn(xs: Cond[], t: TableContext): Cond[] {
  const groups = new Map<string, Extract<Cond, { k: 'str' }>[]>();
  const out: (Cond | string)[] = [];
  for (const x of xs) {
    if (x.k === 'str' && x.op === 'eq' && x.field !== null && x.value !== '' && !hasValueMap(x.field, t)) {
      const key = `${x.field}\u0000${x.cased}`;
      if (!groups.has(key)) (groups.set(key, []), out.push(key));
      groups.get(key)!.push(x);
    } else out.push(x);
  }
  return out.map((o) => {
    if (typeof o !== 'string') return o;
    const g = groups.get(o)!;
    return g.length === 1 ? g[0]! : ({ k: 'in', field: g[0]!.field, values: g.map((x) => x.value), cased: g[0]!.cased } as unknown as Cond);
  });
}

function hasValueMap(field: string, t: TableContext): boolean {
  try {
    return !!t.resolve(field).values;
  } catch {
    return false;
  }
}

const strOp = (op: string, cased: boolean): string => (op === 'eq' ? (cased ? '==' : '=~') : cased ? `${op}_cs` : op);

function asString(r: Resolved): string {
  return r.type === 'string' ? r.expr : `tostring(${r.expr})`;
}

function leaf(c: Cond, t: TableContext, kw: KeywordSource | null, neg: boolean): string {
  const anyc = c as unknown as { k: string; field: string | null; values?: string[]; cased?: boolean };
  if (anyc.k === 'in') {
    const r = t.resolve(anyc.field!);
    if (r.ignore) return 'true';
    if (r.constant) return constantLeaf(anyc.field!, r.constant, t, neg, anyc.values!.map((v) => ({ v, ok: same(r.constant!.value, v, !!anyc.cased) })));
    if (r.array) return anyc.values!.map((v) => `${r.expr} ${anyc.cased ? 'contains_cs' : 'contains'} ${stringLiteral(v)}`).join(' or ');
    return `${asString(r)} ${anyc.cased ? 'in' : 'in~'} (${anyc.values!.map(stringLiteral).join(', ')})`;
  }
  if ('field' in c && c.field === null) {
    if (!kw) throw new MappingError('keyword searches need a table whose text columns are known');
    return keywordLeaf(c, kw.expr);
  }
  const r = t.resolve((c as { field: string }).field);
  if (r.ignore) return 'true';
  if (r.constant) {
    const ok = constantTest(c, r.constant.value);
    if (ok !== null) return constantLeaf((c as { field: string }).field, r.constant, t, neg, [{ v: describeTest(c), ok }]);
  }
  // Value maps apply to plain equality, whatever the YAML type of the value.
  const plain = c.k === 'str' && c.op === 'eq' ? c.value : c.k === 'bool' ? String(c.v) : c.k === 'num' && c.op === '==' ? String(c.n) : null;
  if (r.values && plain !== null) {
    const key = Object.keys(r.values).find((k) => k.toLowerCase() === plain.toLowerCase());
    if (key) return valueTarget(r.values[key]!, t, c.k === 'str' && c.cased);
  }
  switch (c.k) {
    case 'str': {
      if (NUMERIC.has(r.type) && c.op === 'eq' && /^-?\d+(\.\d+)?$/.test(c.value)) return `${r.expr} == ${c.value}`;
      if (r.type === 'bool' && c.op === 'eq' && /^(true|false)$/i.test(c.value)) return `${r.expr} == ${c.value.toLowerCase()}`;
      if (c.op === 'eq' && c.value === '') return `isempty(${asString(r)})`;
      // Arrays of objects are matched on their JSON text: every test becomes containment.
      const op = r.array ? 'contains' : c.op;
      return `${asString(r)} ${strOp(op, c.cased)} ${stringLiteral(c.value)}`;
    }
    case 'glob': {
      if (c.parts.length === 1 && c.parts[0]!.t === 'any') return r.type === 'string' ? `isnotempty(${r.expr})` : `isnotnull(${r.expr})`;
      const re = globRegex(c.parts, !r.array);
      return `${asString(r)} matches regex ${stringLiteral((c.cased ? '(?s)' : '(?is)') + re)}`;
    }
    case 're':
      return `${asString(r)} matches regex ${stringLiteral((c.flags ? `(?${c.flags})` : '') + c.pattern)}`;
    case 'num':
      if (NUMERIC.has(r.type)) return `${r.expr} ${c.op} ${c.n}`;
      if (c.op === '==') return r.type === 'bool' ? `${r.expr} == ${c.n !== 0}` : `${asString(r)} == ${stringLiteral(String(c.n))}`;
      return `toreal(${asString(r)}) ${c.op} ${c.n}`;
    case 'bool':
      if (r.type === 'bool') return `${r.expr} == ${c.v}`;
      return `${asString(r)} =~ ${stringLiteral(String(c.v))}`;
    case 'null':
      return r.type === 'string' ? `isempty(${r.expr})` : `isnull(${r.expr})`;
    case 'exists': {
      const test = r.type === 'string' ? 'isnotempty' : 'isnotnull';
      return c.v ? `${test}(${r.expr})` : `not(${test}(${r.expr}))`;
    }
    case 'cidr':
      return `${c.v6 ? 'ipv6_is_in_range' : 'ipv4_is_in_range'}(${asString(r)}, ${stringLiteral(c.cidr)})`;
    case 'fieldref': {
      const o = t.resolve(c.other);
      if (o.ignore) throw new MappingError(`fieldref: field '${c.other}' is ignored by the mapping for ${t.table}`);
      if (c.op === 'eq' && NUMERIC.has(r.type) && NUMERIC.has(o.type)) return `${r.expr} == ${o.expr}`;
      return `${asString(r)} ${strOp(c.op, c.cased)} ${asString(o)}`;
    }
    case 'timepart': {
      const d = r.type === 'datetime' ? r.expr : `todatetime(${asString(r)})`;
      return `datetime_part(${stringLiteral(c.part)}, ${d}) ${c.op} ${c.n}`;
    }
  }
  throw new Error(`unexpected condition ${c.k}`);
}

const same = (a: string, b: string, cased: boolean) => (cased ? a === b : a.toLowerCase() === b.toLowerCase());

/** A test on a field every row has the same value of, decided here; null when KQL must decide (regular expressions, numbers, …). */
function constantTest(c: Cond, value: string): boolean | null {
  switch (c.k) {
    case 'str': {
      const a = c.cased ? value : value.toLowerCase();
      const b = c.cased ? c.value : c.value.toLowerCase();
      return c.op === 'eq' ? a === b : c.op === 'contains' ? a.includes(b) : c.op === 'startswith' ? a.startsWith(b) : a.endsWith(b);
    }
    case 'glob':
      return new RegExp(globRegex(c.parts, true), c.cased ? 's' : 'is').test(value);
    case 'null':
      return value === '';
    case 'exists':
      return c.v === (value !== '');
    default:
      return null;
  }
}

function describeTest(c: Cond): string {
  if (c.k === 'str') return c.op === 'eq' ? c.value : `${c.op} '${c.value}'`;
  if (c.k === 'glob') return c.parts.map((p) => (p.t === 'lit' ? p.s : p.t === 'any' ? '*' : '?')).join('');
  return c.k === 'null' ? 'null' : c.k === 'exists' ? `exists: ${String((c as { v: boolean }).v)}` : c.k;
}

/**
 * A decided test on a constant field: true or false. A test that cannot hold where the rule asks for
 * it to hold (not under `not`) is an error: those events are not in this table, and dropping the
 * test would silently miss them.
 */
function constantLeaf(field: string, k: { value: string; reason?: string }, t: TableContext, neg: boolean, tests: { v: string; ok: boolean }[]): string {
  const bad = tests.find((x) => !x.ok);
  if (bad && !neg)
    throw new MappingError(`field '${field}' is always '${k.value}' in ${t.table}, so '${bad.v}' never matches there${k.reason ? ` (${k.reason})` : ''}; such events are not in this table`, field);
  return tests.some((x) => x.ok) ? 'true' : 'false';
}

function valueTarget(v: ValueTarget, t: TableContext, cased: boolean): string {
  const r = t.resolve(v.field);
  const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);
  const test = (vals: string[]) =>
    NUMERIC.has(r.type) && vals.every((x) => /^-?\d+(\.\d+)?$/.test(x))
      ? vals.length === 1
        ? `${r.expr} == ${vals[0]}`
        : `${r.expr} in (${vals.join(', ')})`
      : vals.length === 1
        ? `${asString(r)} ${cased ? '==' : '=~'} ${stringLiteral(vals[0]!)}`
        : `${asString(r)} ${cased ? 'in' : 'in~'} (${vals.map(stringLiteral).join(', ')})`;
  const parts: string[] = [];
  if (v.equals !== undefined) parts.push(test(list(v.equals)));
  if (v.not !== undefined) parts.push(`not(${test(list(v.not))})`);
  if (v.matches !== undefined) parts.push(`${asString(r)} matches regex ${stringLiteral('(?i)' + v.matches)}`);
  return parts.length ? parts.join(' and ') : 'true';
}

function keywordLeaf(c: Cond, text: string): string {
  switch (c.k) {
    case 'str':
      return `${text} ${strOp(c.op === 'eq' ? 'contains' : 'contains', c.cased)} ${stringLiteral(c.value)}`;
    case 'glob':
      // Keywords are searched in all text columns joined by newlines: wildcards stay within a column.
      return `${text} matches regex ${stringLiteral((c.cased ? '' : '(?i)') + globRegex(trimAny(c.parts), false, '[^\\n]'))}`;
    case 're':
      return `${text} matches regex ${stringLiteral((c.flags ? `(?${c.flags})` : '') + c.pattern)}`;
  }
  throw new MappingError(`a keyword search cannot use '${c.k}'`);
}

function trimAny(parts: Part[]): Part[] {
  const ps = [...parts];
  while (ps[0]?.t === 'any') ps.shift();
  while (ps.length && ps[ps.length - 1]!.t === 'any') ps.pop();
  return ps;
}

/** The text columns a keyword search reads, joined into one string. */
export function keywordText(t: TableContext): string {
  const names = t.spec.keywordColumns ?? t.columns.filter((c) => (c.type === 'string' || c.type === 'dynamic') && !c.name.startsWith('_') && !['TenantId', 'Type', 'SourceSystem'].includes(c.name)).map((c) => c.name);
  const parts = names.map((n) => {
    const col = t.column(n);
    if (!col) throw new MappingError(`keyword column '${n}' is not a column of ${t.table}`);
    return col.type === 'string' ? columnRef(col.name) : `tostring(${columnRef(col.name)})`;
  });
  // strcat_delim takes at most 64 arguments: join in chunks.
  const chunks: string[] = [];
  for (let i = 0; i < parts.length; i += 60) chunks.push(`strcat_delim("\\n", ${parts.slice(i, i + 60).join(', ')})`);
  return chunks.length === 1 ? chunks[0]! : `strcat_delim("\\n", ${chunks.join(', ')})`;
}
