// Evaluates the IR over columnar tables. Scalar expressions are compiled once per operator into
// closures over column arrays (row index in, value out).
import { UserError } from '../diagnostics.js';
import { AGGS, percentileOne, type AggImpl } from './aggregates.js';
import type { Agg, Bind, Col, Expr, Op, Statement, Tab, UnionOpts } from './ir.js';
import { EvalError, SCALARS, STRING_OPS, dyn, dynIndex, floorDiv, maskV4, parseIPv4Prefix, toRegex, type Arg, type Fn } from './scalars.js';
import { compareVals, convert, keyOf, nullOf, toDyn, toText, TICKS_PER_DAY, type Dyn, type KType, type Val } from './values.js';

export interface Column {
  name: string;
  type: KType;
  data: Val[];
}
export interface Table {
  cols: Column[];
  n: number;
}

export interface Runtime {
  now: bigint;
  table(name: string): Table;
  watchlist(alias: string): Table;
  externalData?(urls: string[], cols: Col[], format: string, skipFirst: boolean): Table;
}

type VarVal = { k: 'scalar'; f: Fn; t: KType } | { k: 'table'; get: () => Table };

export class Env {
  private vars = new Map<string, VarVal>();
  constructor(
    readonly rt: Runtime,
    private parent: Env | null = null,
    readonly materialized: Map<number, Table> = parent ? parent.materialized : new Map(),
  ) {}
  child(): Env {
    return new Env(this.rt, this, this.materialized);
  }
  set(name: string, v: VarVal): void {
    this.vars.set(name, v);
  }
  get(name: string): VarVal | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
}

export function emptyTable(cols: Col[]): Table {
  return { cols: cols.map((c) => ({ name: c.name, type: c.type, data: [] })), n: 0 };
}

function col(t: Table, name: string): Column | undefined {
  return t.cols.find((c) => c.name === name);
}

/** Rows of `t` picked by index (a new table). */
export function pick(t: Table, idx: ArrayLike<number>): Table {
  const n = idx.length;
  return {
    n,
    // each column is copied when something reads it: a `where` over a wide table followed by a
    // summarize of two columns copies two (idx is never changed once a table is made from it)
    cols: t.cols.map((c) =>
      lazyColumn(c.name, c.type, () => {
        const d = c.data;
        const nv = nullOf(c.type);
        const out = new Array<Val>(n);
        for (let k = 0; k < n; k++) out[k] = d[idx[k]!] ?? nv;
        return out;
      }),
    ),
  };
}

/** A column whose values are made on first read. */
function lazyColumn(name: string, type: KType, make: () => Val[]): Column {
  let data: Val[] | null = null;
  return {
    name,
    type,
    get data() {
      return (data ??= make());
    },
    set data(v: Val[]) {
      data = v;
    },
  };
}

/** Column c under another name, without reading its values (they may not be made yet). */
function renamed(c: Column, name: string): Column {
  return c.name === name ? c : lazyColumn(name, c.type, () => c.data);
}

function fail(msg: string): never {
  throw new UserError(msg);
}

// ---- expression compiler

interface Ctx {
  t: Table;
  env: Env;
  left?: Table;
  right?: Table;
}

export function compile(e: Expr, cx: Ctx): Arg {
  const f = compileF(e, cx);
  if (e.k === 'lit') return { f, t: e.t, c: e.v, isConst: true };
  return { f, t: typeOf(e), isConst: false };
}

function typeOf(e: Expr): KType {
  switch (e.k) {
    case 'in':
    case 'between':
      return 'bool';
    case 'star':
      return 'dynamic';
    default:
      return e.t;
  }
}

function compileF(e: Expr, cx: Ctx): Fn {
  switch (e.k) {
    case 'lit': {
      const v = e.v;
      return () => v;
    }
    case 'col': {
      const t = e.side === 'left' ? cx.left! : e.side === 'right' ? cx.right! : cx.t;
      const c = col(t, e.name);
      if (!c) {
        const nv = nullOf(e.t);
        return () => nv;
      }
      const d = c.data;
      if (c.type !== e.t && e.t !== 'dynamic') {
        const from = c.type;
        const to = e.t;
        return (i) => convert(d[i] ?? null, from, to);
      }
      return (i) => d[i] ?? null;
    }
    case 'var': {
      const v = cx.env.get(e.name);
      if (!v) return fail(`unknown variable ${e.name}`);
      if (v.k === 'scalar') return v.f;
      return fail(`${e.name} is a table, not a scalar`);
    }
    case 'scope': {
      const env = bindAll(e.binds, cx.env, cx);
      return compileF(e.body, { ...cx, env });
    }
    case 'scalar': {
      let cached: Val | undefined;
      const q = e.q;
      const env = cx.env;
      const t = e.t;
      return () => {
        if (cached === undefined) {
          const tab = evalTab(q, env, null);
          const c = tab.cols[0];
          cached = tab.n && c ? convert(c.data[0] ?? null, c.type, t) : nullOf(t);
        }
        return cached;
      };
    }
    case 'path': {
      const x = compile(e.x, cx);
      const xd = dyn(x);
      if (e.key.k === 'lit') {
        const key = e.key.v;
        return (i) => dynIndex(xd(i), key);
      }
      const k = compileF(e.key, cx);
      return (i) => dynIndex(xd(i), k(i));
    }
    case 'between': {
      const x = compile(e.x, cx);
      const lo = compile(e.lo, cx);
      const hi = compile(e.hi, cx);
      const xt = x.t;
      const lf = coerce(lo, xt);
      const hf = xt === 'datetime' && hi.t === 'timespan' ? (i: number) => add(lf(i), hi.f(i)) : coerce(hi, xt);
      const neg = e.neg;
      const xf = x.f;
      if (xt === lo.t && (xt === 'datetime' || xt === 'timespan' || xt === 'long' || xt === 'real' || xt === 'int') && (hi.t === xt || (xt === 'datetime' && hi.t === 'timespan'))) {
        // same primitive type on both sides: plain comparisons (no generic compare)
        return (i) => {
          const v = xf(i) as number | bigint | null;
          const a = lf(i) as number | bigint | null;
          const b = hf(i) as number | bigint | null;
          if (v === null || a === null || b === null) return null;
          const r = v >= a && v <= b;
          return neg ? !r : r;
        };
      }
      return (i) => {
        const v = xf(i);
        const a = lf(i);
        const b = hf(i);
        if (v === null || a === null || b === null) return null;
        const r = compareVals(v, a) >= 0 && compareVals(v, b) <= 0;
        return neg ? !r : r;
      };
    }
    case 'in':
      return compileIn(e, cx);
    case 'bin':
      return compileBin(e, cx);
    case 'call':
      return compileCall(e, cx);
    case 'star':
      return () => null;
  }
}

function add(a: Val, b: Val): Val {
  if (a === null || b === null) return null;
  return (a as bigint) + (b as bigint);
}

function coerce(a: Arg, t: KType): Fn {
  if (a.t === t) return a.f;
  const f = a.f;
  const from = a.t;
  const to = isNum(t) && isNum(from) ? 'real' : t;
  return (i) => convert(f(i), from, to);
}

function isNum(t: KType) {
  return t === 'int' || t === 'long' || t === 'real' || t === 'decimal';
}

function compileIn(e: Extract<Expr, { k: 'in' }>, cx: Ctx): Fn {
  const x = compile(e.x, cx);
  let values: () => Val[];
  let types: KType[];
  if (e.sub) {
    let cache: Val[] | null = null;
    const q = e.sub;
    const env = cx.env;
    values = () => {
      if (!cache) {
        const t = evalTab(q, env, null);
        const c = t.cols[0];
        cache = [];
        if (c) {
          if (c.type === 'dynamic') for (const v of c.data) Array.isArray(v) ? cache.push(...(v as Dyn[])) : cache.push(v);
          else cache.push(...c.data);
        }
      }
      return cache;
    };
    types = [];
  } else {
    const items = e.list.map((l) => compile(l, cx));
    types = items.map((a) => a.t);
    const allConst = items.every((a) => a.isConst);
    const expand = (i: number): Val[] => {
      const out: Val[] = [];
      for (const a of items) {
        const v = a.f(i);
        if (a.t === 'dynamic' && Array.isArray(v)) out.push(...(v as Dyn[]));
        else out.push(v);
      }
      return out;
    };
    if (allConst) {
      const vs = expand(0);
      values = () => vs;
    } else values = () => expand(0);
  }
  void types;
  const op = e.op;
  const xt = x.t;
  const xf = x.f;
  const norm = (v: Val, ci: boolean): string => {
    const s = typeof v === 'string' ? v : v === null ? '\u0000' : typeof v === 'bigint' ? String(v) : toText(v as Val, typeof v === 'number' ? 'real' : typeof v === 'boolean' ? 'bool' : 'dynamic');
    return ci ? s.toLowerCase() : s;
  };
  if (op === 'has_any' || op === 'has_all') {
    const all = op === 'has_all';
    if (!e.sub && e.list.every((l) => l.k === 'lit')) {
      // constant terms: one test per distinct value (columns repeat values a lot)
      const needles = values().map((v) => norm(v, false));
      const test = (h: string) => (all ? needles.every((n) => STRING_OPS.has!(h, n)) : needles.some((n) => STRING_OPS.has!(h, n)));
      return memoByText(xf, xt, test);
    }
    return (i) => {
      const h = toText(xf(i), xt);
      const vs = values();
      if (all) return vs.every((v) => STRING_OPS.has!(h, norm(v, false)));
      for (const v of vs) if (STRING_OPS.has!(h, norm(v, false))) return true;
      return false;
    };
  }
  const ci = op === 'in~' || op === '!in~';
  const neg = op.startsWith('!');
  let set: Set<string> | null = null;
  const getSet = () => {
    if (!set) {
      set = new Set();
      for (const v of values()) if (v !== null) set.add(norm(v, ci));
    }
    return set;
  };
  return (i) => {
    const v = xf(i);
    if (v === null && xt !== 'string') return neg ? true : false;
    const k = xt === 'dynamic' ? norm(v, ci) : norm(v, ci);
    const r = getSet().has(k);
    return neg ? !r : r;
  };
}

/** A string predicate evaluated once per distinct text (bounded cache). */
function memoByText(f: Fn, t: KType, test: (s: string) => boolean): Fn {
  const memo = new Map<string, boolean>();
  return (i) => {
    const v = f(i);
    const h = t === 'string' ? (v as string) : toText(v, t);
    let r = memo.get(h);
    if (r === undefined) {
      r = test(h);
      if (memo.size < 100_000) memo.set(h, r);
    }
    return r;
  };
}

const CMP = new Set(['<', '<=', '>', '>=', '==', '!=']);

function compileBin(e: Extract<Expr, { k: 'bin' }>, cx: Ctx): Fn {
  const op = e.op;
  if (op === 'and' || op === 'or') {
    const l = compileF(e.l, cx);
    const r = compileF(e.r, cx);
    if (op === 'and')
      return (i) => {
        const a = l(i);
        if (a === false) return false;
        const b = r(i);
        if (b === false) return false;
        return a === null || b === null ? null : true;
      };
    return (i) => {
      const a = l(i);
      if (a === true) return true;
      const b = r(i);
      if (b === true) return true;
      return a === null || b === null ? null : false;
    };
  }
  const L = compile(e.l, cx);
  const R = compile(e.r, cx);
  if (op === 'matches regex') {
    const s = (a: Arg) => (a.t === 'string' ? a.f : (i: number) => toText(a.f(i), a.t));
    const ls = s(L);
    if (R.isConst) {
      const re = toRegex(toText(R.c as Val, R.t));
      return (i) => re.test(ls(i) as string);
    }
    const rs = s(R);
    return (i) => toRegex(rs(i) as string).test(ls(i) as string);
  }
  const neg = op.startsWith('!') && op !== '!=';
  const sop = STRING_OPS[neg ? op.slice(1) : op === '!~' ? '=~' : op];
  if (sop || op === '!~') {
    const g = sop ?? STRING_OPS['=~']!;
    const negate = neg || op === '!~';
    const ls = L.t === 'string' ? L.f : (i: number) => toText(L.f(i), L.t);
    if (R.isConst) {
      const n = toText(R.c as Val, R.t);
      if (op === '=~' || op === '!~') {
        const nl = n.toLowerCase();
        return (i) => {
          const h = ls(i) as string;
          const r = h.length === nl.length && h.toLowerCase() === nl;
          return negate ? !r : r;
        };
      }
      return memoByText(ls, 'string', (h) => {
        const r = g(h, n);
        return negate ? !r : r;
      });
    }
    const rs = R.t === 'string' ? R.f : (i: number) => toText(R.f(i), R.t);
    return (i) => {
      const r = g(ls(i) as string, rs(i) as string);
      return negate ? !r : r;
    };
  }
  if (CMP.has(op)) return compileCmp(op, L, R);
  return compileArith(op, L, R, e.t);
}

function compileCmp(op: string, L: Arg, R: Arg): Fn {
  let lf = L.f;
  let rf = R.f;
  const lt = L.t;
  const rt = R.t;
  if (lt !== rt) {
    if (lt === 'string' && isNum(rt)) rf = (i) => toText(R.f(i), rt);
    else if (rt === 'string' && isNum(lt)) lf = (i) => toText(L.f(i), lt);
    else if (lt === 'dynamic' && rt !== 'dynamic') lf = (i) => convert(L.f(i), 'dynamic', rt === 'int' || rt === 'long' || rt === 'decimal' ? 'real' : rt);
    else if (rt === 'dynamic' && lt !== 'dynamic') rf = (i) => convert(R.f(i), 'dynamic', lt === 'int' || lt === 'long' || lt === 'decimal' ? 'real' : lt);
  }
  const bothStr = (lt === 'string' || rt === 'string') && !(lt === 'dynamic' || rt === 'dynamic');
  switch (op) {
    case '==':
      if (bothStr) return (i) => lf(i) === rf(i);
      return (i) => {
        const a = lf(i);
        const b = rf(i);
        // one null side: == is false; both null: null (reference: scalar-data-types/null-values)
        if (a === null || b === null) return a === null && b === null ? null : false;
        if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
        return a == b; // eslint-disable-line eqeqeq
      };
    case '!=':
      if (bothStr) return (i) => lf(i) !== rf(i);
      return (i) => {
        const a = lf(i);
        const b = rf(i);
        if (a === null || b === null) return a === null && b === null ? null : true;
        if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) !== JSON.stringify(b);
        return a != b; // eslint-disable-line eqeqeq
      };
    default: {
      const prim = (t: KType) => t === 'datetime' || t === 'timespan' || t === 'long' || t === 'int' || t === 'real';
      if (lt === rt && prim(lt)) {
        // same primitive type: the JS operators agree with Kusto (NaN compares false)
        const f = lf as (i: number) => number | bigint | null;
        const g = rf as (i: number) => number | bigint | null;
        const nn = (fn: (a: number | bigint, b: number | bigint) => boolean) => (i: number) => {
          const a = f(i);
          const b = g(i);
          return a === null || b === null ? null : fn(a, b);
        };
        if (op === '<') return nn((a, b) => a < b);
        if (op === '<=') return nn((a, b) => a <= b);
        if (op === '>') return nn((a, b) => a > b);
        return nn((a, b) => a >= b);
      }
      const test = op === '<' ? (c: number) => c < 0 : op === '<=' ? (c: number) => c <= 0 : op === '>' ? (c: number) => c > 0 : (c: number) => c >= 0;
      return (i) => {
        const a = lf(i);
        const b = rf(i);
        if (a === null || b === null) return null;
        return test(compareVals(a, b));
      };
    }
  }
}

function compileArith(op: string, L: Arg, R: Arg, t: KType): Fn {
  const lf = L.f;
  const rf = R.f;
  const lt = L.t;
  const rt = R.t;
  const tick = (x: KType) => x === 'datetime' || x === 'timespan';
  if (tick(lt) || tick(rt)) {
    return (i) => {
      const a = lf(i);
      const b = rf(i);
      if (a === null || b === null) return null;
      if (typeof a === 'bigint' && typeof b === 'bigint') {
        switch (op) {
          case '+':
            return a + b;
          case '-':
            return a - b;
          case '/':
            return b === 0n ? null : Number(a) / Number(b);
          case '%':
            return b === 0n ? null : a % b;
        }
        return null;
      }
      if (typeof a === 'bigint') {
        const n = Number(b);
        if (op === '*') return BigInt(Math.round(Number(a) * n));
        if (op === '/') return n === 0 ? null : BigInt(Math.round(Number(a) / n));
        return null;
      }
      if (typeof b === 'bigint' && op === '*') return BigInt(Math.round(Number(a) * Number(b)));
      return null;
    };
  }
  const intRes = t === 'long' || t === 'int';
  const lnum = lt === 'dynamic' ? (i: number) => convert(lf(i), 'dynamic', 'real') : lt === 'bool' ? (i: number) => convert(lf(i), 'bool', 'long') : lf;
  const rnum = rt === 'dynamic' ? (i: number) => convert(rf(i), 'dynamic', 'real') : rt === 'bool' ? (i: number) => convert(rf(i), 'bool', 'long') : rf;
  switch (op) {
    case '+':
      return (i) => {
        const a = lnum(i);
        const b = rnum(i);
        return a === null || b === null ? null : (a as number) + (b as number);
      };
    case '-':
      return (i) => {
        const a = lnum(i);
        const b = rnum(i);
        return a === null || b === null ? null : (a as number) - (b as number);
      };
    case '*':
      return (i) => {
        const a = lnum(i);
        const b = rnum(i);
        return a === null || b === null ? null : (a as number) * (b as number);
      };
    case '/':
      return (i) => {
        const a = lnum(i) as number | null;
        const b = rnum(i) as number | null;
        if (a === null || b === null) return null;
        if (intRes) return b === 0 ? null : Math.trunc(a / b);
        return a / b;
      };
    case '%':
      return (i) => {
        const a = lnum(i) as number | null;
        const b = rnum(i) as number | null;
        if (a === null || b === null || b === 0) return null;
        // Kusto's modulo is never negative: -14 % 12 == 10
        const r = a % b;
        return r < 0 ? r + Math.abs(b) : r;
      };
  }
  return fail(`unsupported operator ${op}`);
}

function compileCall(e: Extract<Expr, { k: 'call' }>, cx: Ctx): Fn {
  switch (e.fn) {
    case '__neg': {
      const a = compile(e.args[0]!, cx);
      return (i) => {
        const v = a.f(i);
        return v === null ? null : typeof v === 'bigint' ? -v : -(v as number);
      };
    }
    case 'column_ifexists': {
      const name = (e.args[0] as { v: string }).v;
      const c = col(cx.t, name);
      if (c) {
        const d = c.data;
        return (i) => d[i] ?? null;
      }
      return compileF(e.args[1]!, cx);
    }
    case 'ingestion_time': {
      const c = col(cx.t, '_TimeReceived');
      if (!c) return () => null;
      const d = c.data;
      return (i) => d[i] ?? null;
    }
    case 'row_number': {
      const start = e.args[0] ? Number(compile(e.args[0], cx).f(0) ?? 1) : 1;
      return (i) => i + start;
    }
    case 'prev':
    case 'next': {
      const a = compile(e.args[0]!, cx);
      const off = e.args[1] ? Number(compile(e.args[1], cx).f(0) ?? 1) : 1;
      const dflt = e.args[2] ? compile(e.args[2], cx).f : () => nullOf(a.t);
      const n = cx.t.n;
      const d = e.fn === 'prev' ? -off : off;
      return (i) => {
        const j = i + d;
        return j >= 0 && j < n ? a.f(j) : dflt(i);
      };
    }
    case 'row_cumsum': {
      const a = compile(e.args[0]!, cx);
      let last = -1;
      let sum = 0;
      return (i) => {
        if (i !== last + 1) sum = 0;
        last = i;
        sum += Number(a.f(i) ?? 0);
        return sum;
      };
    }
    case 'row_window_session': {
      // sessions over the serialized rows: a new one when the restart condition holds, or the row is
      // further than maxFromFirst from the session start or maxBetween from the previous row
      const x = compile(e.args[0]!, cx);
      const one: Ctx = { t: { cols: [], n: 1 }, env: cx.env };
      const maxFirst = compile(e.args[1]!, one).f(0) as bigint;
      const maxGap = compile(e.args[2]!, one).f(0) as bigint;
      const restart = e.args[3] ? compile(e.args[3], cx).f : () => false;
      let starts: Val[] | null = null;
      const n = cx.t.n;
      return (i) => {
        if (!starts) {
          starts = new Array<Val>(n);
          let start: bigint | null = null;
          let prev: bigint | null = null;
          for (let r = 0; r < n; r++) {
            const t = x.f(r) as bigint | null;
            if (t === null) {
              starts[r] = null;
              continue;
            }
            if (start === null || prev === null || restart(r) === true || t - start > maxFirst || t - prev > maxGap) start = t;
            prev = t;
            starts[r] = start;
          }
        }
        return starts[i] ?? null;
      };
    }
    case 'pack_all':
    case 'bag_pack_columns': {
      const named = e.args.filter((a): a is Extract<Expr, { k: 'col' }> => a.k === 'col').map((a) => a.name);
      const cols = e.fn === 'bag_pack_columns' && named.length ? cx.t.cols.filter((c) => named.includes(c.name)) : cx.t.cols;
      // pack_all(true) leaves out null and empty values
      const skipEmpty = e.fn === 'pack_all' && e.args[0] !== undefined && compile(e.args[0], cx).f(0) === true;
      return (i) => {
        const o: Record<string, Dyn> = {};
        for (const c of cols) {
          const v = c.data[i] ?? null;
          if (skipEmpty && (v === null || v === '')) continue;
          o[c.name] = toDyn(v, c.type);
        }
        return o;
      };
    }
  }
  const impl = SCALARS[e.fn];
  if (!impl) return fail(`unsupported: ${e.fn}() at ${e.at}`);
  const args = e.args.map((a) => compile(a, cx));
  return impl(args, { now: cx.env.rt.now, t: e.t, at: e.at });
}

export const SPECIAL_FNS = ['__neg', 'column_ifexists', 'ingestion_time', 'row_number', 'prev', 'next', 'row_cumsum', 'pack_all', 'bag_pack_columns'];

// ---- let bindings

function bindAll(binds: Bind[], parent: Env, cx?: Ctx): Env {
  const env = parent.child();
  for (const b of binds) {
    if (b.fn) continue;
    if (b.tab) {
      const q = b.tab;
      let cache: Table | null = null;
      const input = cx ? null : null;
      void input;
      env.set(b.name, { k: 'table', get: () => (cache ??= evalTab(q, env, currentInput)) });
    } else if (b.expr) {
      const ex = b.expr;
      if (cx) {
        const a = compile(ex, { ...cx, env });
        env.set(b.name, { k: 'scalar', f: a.f, t: a.t });
      } else {
        const one: Table = { cols: [], n: 1 };
        const a = compile(ex, { t: one, env });
        const v = a.f(0);
        env.set(b.name, { k: 'scalar', f: () => v, t: a.t });
      }
    }
  }
  return env;
}

let currentInput: Table | null = null;

// ---- tabular evaluation

export function run(st: Statement, rt: Runtime): Table {
  const env = bindAll(st.binds, new Env(rt));
  if (!st.query) return { cols: [], n: 0 };
  return evalTab(st.query, env, null);
}

export function evalTab(q: Tab, env: Env, input: Table | null): Table {
  switch (q.k) {
    case 'table':
      return env.rt.table(q.name);
    case 'ref': {
      const v = env.get(q.name);
      if (!v || v.k !== 'table') return fail(`unknown table ${q.name}`);
      return v.get();
    }
    case 'input':
      if (!input) return fail('no input table');
      return input;
    case 'watchlist': {
      const a = compile(q.alias, { t: { cols: [], n: 1 }, env });
      return env.rt.watchlist(toText(a.f(0), a.t));
    }
    case 'datatable': {
      const w = q.cols.length;
      const one: Table = { cols: [], n: 1 };
      const vals = q.rows.map((r) => compile(r, { t: one, env }));
      const n = Math.floor(vals.length / w);
      const cols = q.cols.map((c, j) => {
        const data: Val[] = [];
        for (let r = 0; r < n; r++) {
          const a = vals[r * w + j]!;
          data.push(convert(a.f(0), a.t, c.type));
        }
        return { name: c.name, type: c.type, data };
      });
      return { cols, n };
    }
    case 'externaldata':
      if (!env.rt.externalData) return fail('externaldata: no folder of local copies configured');
      return env.rt.externalData(q.urls, q.cols, q.format, q.skipFirst);
    case 'print': {
      const one: Table = { cols: [], n: 1 };
      const cols = q.cols.map((c, j) => {
        const a = compile(q.exprs[j]!, { t: one, env });
        return { name: c.name, type: c.type, data: [convert(a.f(0), a.t, c.type)] };
      });
      return { cols, n: 1 };
    }
    case 'range': {
      const one: Table = { cols: [], n: 1 };
      const from = compile(q.from, { t: one, env }).f(0);
      const to = compile(q.to, { t: one, env }).f(0);
      const step = compile(q.step, { t: one, env }).f(0);
      const data: Val[] = [];
      if (from !== null && to !== null && step !== null) {
        if (typeof from === 'bigint') {
          const s = step as bigint;
          if (s > 0n) for (let v = from; v <= (to as bigint) && data.length < 1e7; v += s) data.push(v);
          else if (s < 0n) for (let v = from; v >= (to as bigint) && data.length < 1e7; v += s) data.push(v);
        } else {
          const s = Number(step);
          const f = Number(from);
          const t = Number(to);
          if (s > 0) for (let k = 0; f + k * s <= t && data.length < 1e7; k++) data.push(f + k * s);
          else if (s < 0) for (let k = 0; f + k * s >= t && data.length < 1e7; k++) data.push(f + k * s);
        }
      }
      return { cols: [{ name: q.col.name, type: q.col.type, data }], n: data.length };
    }
    case 'scope': {
      const saved = currentInput;
      currentInput = input;
      try {
        const e2 = bindAll(q.binds, env);
        return evalTab(q.body, e2, input);
      } finally {
        currentInput = saved;
      }
    }
    case 'materialize': {
      const m = env.materialized.get(q.id);
      if (m) return m;
      const t = evalTab(q.q, env, input);
      env.materialized.set(q.id, t);
      return t;
    }
    case 'union':
      return union(q.inputs.map((x) => tryEval(x, env, input, q.opts.isfuzzy)), q.opts);
    case 'pipe': {
      const src = evalTab(q.src, env, input);
      return applyOp(q.op, src, env);
    }
  }
}

function tryEval(q: Tab, env: Env, input: Table | null, fuzzy: boolean): Table | null {
  if (!fuzzy) return evalTab(q, env, input);
  try {
    return evalTab(q, env, input);
  } catch (e) {
    if (e instanceof UserError && /unknown table/.test(e.message)) return null;
    throw e;
  }
}

const TYPE_SUFFIX: Record<KType, string> = { bool: 'bool', int: 'int', long: 'long', real: 'real', decimal: 'decimal', string: 'string', datetime: 'datetime', timespan: 'timespan', guid: 'guid', dynamic: 'dynamic' };

function union(tables: (Table | null)[], o: UnionOpts): Table {
  const present = tables.map((t, i) => ({ t, name: o.names[i] ?? `union_arg${i}` })).filter((x) => x.t) as { t: Table; name: string }[];
  // column name -> types seen
  const order: string[] = [];
  const types = new Map<string, KType[]>();
  for (const { t } of present)
    for (const c of t.cols) {
      if (!types.has(c.name)) {
        types.set(c.name, []);
        order.push(c.name);
      }
      const ts = types.get(c.name)!;
      if (!ts.includes(c.type)) ts.push(c.type);
    }
  const outCols: { name: string; src: string; type: KType }[] = [];
  for (const name of order) {
    const ts = types.get(name)!;
    if (o.kind === 'inner' && !present.every(({ t }) => t.cols.some((c) => c.name === name))) continue;
    if (ts.length === 1) outCols.push({ name, src: name, type: ts[0]! });
    else for (const t of ts) outCols.push({ name: `${name}_${TYPE_SUFFIX[t]}`, src: name, type: t });
  }
  // a renamed column that meets an existing name gets a number (x_long1)
  const taken = new Set(outCols.filter((c) => c.name === c.src).map((c) => c.name));
  for (const c of outCols)
    if (c.name !== c.src && taken.has(c.name)) {
      let k = 1;
      while (taken.has(c.name + k)) k++;
      c.name = c.name + k;
      taken.add(c.name);
    }
  const cols: Column[] = outCols.map((c) => ({ name: c.name, type: c.type, data: [] }));
  let srcCol: Column | null = null;
  if (o.withsource) {
    srcCol = { name: o.withsource, type: 'string', data: [] };
    cols.unshift(srcCol);
  }
  let n = 0;
  // Whole column arrays are concatenated (native copies) rather than pushed row by row.
  const parts: Val[][][] = cols.map(() => []);
  for (const { t, name } of present) {
    outCols.forEach((oc, j) => {
      const c = t.cols.find((x) => x.name === oc.src && x.type === oc.type);
      const part = c ? (c.data.length === t.n ? c.data : c.data.slice(0, t.n)) : new Array<Val>(t.n).fill(nullOf(oc.type));
      parts[j + (srcCol ? 1 : 0)]!.push(part);
    });
    if (srcCol) parts[0]!.push(new Array<Val>(t.n).fill(name));
    n += t.n;
  }
  cols.forEach((c, j) => {
    const ps = parts[j]!;
    c.data = ps.length === 1 ? ps[0]!.slice() : ([] as Val[]).concat(...ps);
  });
  return { cols, n };
}

function packsRow(e: Expr): boolean {
  let hit = false;
  const walk = (x: unknown): void => {
    if (hit || !x || typeof x !== 'object') return;
    if (Array.isArray(x)) return x.forEach(walk);
    const o = x as Record<string, unknown>;
    if (o.k === 'call' && o.fn === 'pack_all') hit = true;
    for (const v of Object.values(o)) walk(v);
  };
  walk(e);
  return hit;
}

function filterIdx(t: Table, f: Fn): number[] {
  const idx: number[] = [];
  for (let i = 0; i < t.n; i++) if (f(i) === true) idx.push(i);
  return idx;
}

function withCol(t: Table, c: Column): Table {
  const cols = t.cols.slice();
  const k = cols.findIndex((x) => x.name === c.name);
  if (k >= 0) cols[k] = c;
  else cols.push(c);
  return { cols, n: t.n };
}

function materializeCol(name: string, a: Arg, n: number, type: KType): Column {
  const data = new Array<Val>(n);
  const f = a.f;
  if (type === 'string') for (let i = 0; i < n; i++) data[i] = a.t === 'string' ? (f(i) ?? '') : toText(f(i), a.t);
  else if (a.t === type) for (let i = 0; i < n; i++) data[i] = f(i);
  else for (let i = 0; i < n; i++) data[i] = convert(f(i), a.t, type);
  return { name, type, data };
}

export function applyOp(op: Op, t: Table, env: Env): Table {
  const cx: Ctx = { t, env };
  switch (op.k) {
    case 'where': {
      const f = compileF(op.cond, cx);
      const idx = filterIdx(t, f);
      return idx.length === t.n ? t : pick(t, idx);
    }
    case 'extend': {
      let out = t;
      for (const it of op.items) {
        // pack_all() packs the input row, not the columns the same extend adds (pack-all-function.md)
        const a = compile(it.e, { t: packsRow(it.e) ? t : out, env });
        out = withCol(out, materializeCol(it.name, a, t.n, typeOf(it.e)));
      }
      return out;
    }
    case 'project': {
      const cols: Column[] = [];
      for (const it of op.items) {
        if (it.e.k === 'col' && !it.e.side) {
          const c = col(t, it.e.name);
          if (c) {
            cols.push({ name: it.name, type: c.type, data: c.data });
            continue;
          }
        }
        const a = compile(it.e, cx);
        cols.push(materializeCol(it.name, a, t.n, typeOf(it.e)));
      }
      return { cols, n: t.n };
    }
    case 'project-away': {
      const drop = new Set(op.names);
      return { cols: t.cols.filter((c) => !drop.has(c.name)), n: t.n };
    }
    case 'project-keep':
    case 'project-reorder': {
      const cols = op.names.map((n) => col(t, n)).filter((c): c is Column => !!c);
      if (op.k === 'project-reorder') for (const c of t.cols) if (!cols.includes(c)) cols.push(c);
      return { cols, n: t.n };
    }
    case 'project-rename': {
      const map = new Map(op.pairs.map((p) => [p.from, p.to]));
      return { cols: t.cols.map((c) => (map.has(c.name) ? renamed(c, map.get(c.name)!) : c)), n: t.n };
    }
    case 'summarize':
      return summarize(op, t, env);
    case 'join':
      return join(op, t, env);
    case 'union':
      return union([t, ...op.others.map((x) => tryEval(x, env, null, op.opts.isfuzzy))], op.opts);
    case 'mv-expand':
      return mvExpand(op, t, env);
    case 'mv-apply':
      return mvApply(op, t, env);
    case 'parse':
      return parseOp(op, t, env);
    case 'sort':
      return sortTable(t, op.keys.map((k) => ({ f: compile(k.e, cx).f, desc: k.desc, nullsFirst: k.nullsFirst })));
    case 'take': {
      const n = Number(compile(op.n, cx).f(0) ?? 0);
      if (n >= t.n) return t;
      return pick(t, Array.from({ length: Math.max(0, n) }, (_, i) => i));
    }
    case 'top': {
      const n = Number(compile(op.n, cx).f(0) ?? 0);
      const s = sortTable(t, [{ f: compile(op.key.e, cx).f, desc: op.key.desc, nullsFirst: op.key.nullsFirst }]);
      return n >= s.n ? s : pick(s, Array.from({ length: Math.max(0, n) }, (_, i) => i));
    }
    case 'distinct': {
      const src = op.all ? t : applyOp({ k: 'project', items: op.items }, t, env);
      const seen = new Set<string>();
      const idx: number[] = [];
      for (let i = 0; i < src.n; i++) {
        let k = '';
        for (const c of src.cols) k += keyOf(c.data[i] ?? null) + '\u0001';
        if (!seen.has(k)) {
          seen.add(k);
          idx.push(i);
        }
      }
      return pick(src, idx);
    }
    case 'count':
      return { cols: [{ name: op.name, type: 'long', data: [t.n] }], n: 1 };
    case 'serialize':
      return op.items.length ? applyOp({ k: 'extend', items: op.items }, t, env) : t;
    case 'getschema':
      return {
        n: t.cols.length,
        cols: [
          { name: 'ColumnName', type: 'string', data: t.cols.map((c) => c.name) },
          { name: 'ColumnOrdinal', type: 'int', data: t.cols.map((_, i) => i) },
          { name: 'DataType', type: 'string', data: t.cols.map((c) => DOTNET[c.type]) },
          { name: 'ColumnType', type: 'string', data: t.cols.map((c) => c.type) },
        ],
      };
    case 'as':
      return t;
    case 'invoke':
      return evalTab(op.body, env, t);
    case 'bag_unpack':
      return bagUnpack(op, t);
    case 'make-series':
      return makeSeries(op, t, env);
    case 'pivot':
      return pivot(op, t, env);
    case 'ipv4_lookup':
      return ipv4Lookup(op, t, env);
    case 'top-nested':
      return topNested(op, t, env);
  }
}

const DOTNET: Record<KType, string> = {
  bool: 'System.SByte',
  int: 'System.Int32',
  long: 'System.Int64',
  real: 'System.Double',
  decimal: 'System.Data.SqlTypes.SqlDecimal',
  string: 'System.String',
  datetime: 'System.DateTime',
  timespan: 'System.TimeSpan',
  guid: 'System.Guid',
  dynamic: 'System.Object',
};

function sortTable(t: Table, keys: { f: Fn; desc: boolean; nullsFirst: boolean }[]): Table {
  const idx = Array.from({ length: t.n }, (_, i) => i);
  const vals = keys.map((k) => {
    const a = new Array<Val>(t.n);
    for (let i = 0; i < t.n; i++) a[i] = k.f(i);
    return a;
  });
  idx.sort((x, y) => {
    for (let j = 0; j < keys.length; j++) {
      const a = vals[j]![x]!;
      const b = vals[j]![y]!;
      const k = keys[j]!;
      const an = a === null || a === undefined;
      const bn = b === null || b === undefined;
      if (an || bn) {
        if (an && bn) continue;
        return an === k.nullsFirst ? -1 : 1;
      }
      const c = compareVals(a, b);
      if (c) return k.desc ? -c : c;
    }
    return x - y;
  });
  return pick(t, idx);
}

// ---- summarize

interface AggRun {
  impl: AggImpl;
  cols: Col[];
  argRow?: { sign: number; f: Fn; names: string[] };
}

function aggRuns(aggs: Agg[], cx: Ctx, byNames: string[]): AggRun[] {
  const t = cx.t;
  return aggs.map((a) => {
    if (a.fn === 'arg_max' || a.fn === 'arg_min') {
      const key = compile(a.args[0]!, cx);
      const sign = a.fn === 'arg_max' ? 1 : -1;
      const names = a.out.map((c) => c.name);
      // output columns: the key expression, then the named columns or all columns
      const src = a.star ? t.cols.filter((c) => !byNames.includes(c.name)).map((c) => c.name) : [];
      void src;
      const impl: AggImpl = {
        init: () => ({ row: -1, v: null as Val }),
        add: (st, i) => {
          const s = st as { row: number; v: Val };
          const v = key.f(i);
          if (v === null || v === undefined) {
            if (s.row < 0) s.row = i;
            return s;
          }
          if (s.v === null || compareVals(v, s.v) * sign > 0) {
            s.v = v;
            s.row = i;
          }
          return s;
        },
        done: (st) => (st as { row: number }).row,
      };
      const exprs = a.args.map((e) => compile(e, cx));
      return { impl, cols: a.out, argRow: { sign, f: key.f, names, exprs, star: a.star } } as AggRun & { argRow: { exprs: Arg[]; star?: boolean } };
    }
    if (a.fn === 'percentiles') {
      const x = compile(a.args[0]!, cx);
      const ps = a.args.slice(1).map((e) => Number(compile(e, cx).f(0)));
      const impls = ps.map((p) => percentileOne([x], p));
      const impl: AggImpl = {
        init: () => impls.map((m) => m.init()),
        add: (st, i) => {
          const s = st as unknown[];
          impls.forEach((m, k) => (s[k] = m.add(s[k], i)));
          return s;
        },
        done: (st) => (st as unknown[]).map((s, k) => impls[k]!.done(s)) as unknown as Val,
      };
      return { impl, cols: a.out, multi: true } as AggRun;
    }
    const maker = AGGS[a.fn];
    if (!maker) return fail(`unsupported: ${a.fn}() at ${a.at}`);
    const args = a.args.map((e) => compile(e, cx));
    return { impl: maker(args, a.out[0]?.type ?? 'dynamic'), cols: a.out };
  });
}

function summarize(op: Extract<Op, { k: 'summarize' }>, t: Table, env: Env): Table {
  const cx: Ctx = { t, env };
  const keys = op.by.map((b) => compile(b.e, cx));
  const runs = aggRuns(op.aggs, cx, op.by.map((b) => b.name));
  const groupRows: number[] = [];
  const states: unknown[][] = [];
  const grouper = makeGrouper(keys.map((k) => k.f));
  for (let i = 0; i < t.n; i++) {
    let g = grouper.get(i);
    if (g === undefined) {
      g = groupRows.length;
      grouper.set(i, g);
      groupRows.push(i);
      states.push(runs.map((r) => r.impl.init()));
    }
    const st = states[g]!;
    for (let j = 0; j < runs.length; j++) st[j] = runs[j]!.impl.add(st[j], i);
  }
  // no by-clause on empty input still yields one row
  if (keys.length === 0 && groupRows.length === 0) {
    groupRows.push(-1);
    states.push(runs.map((r) => r.impl.init()));
  }
  const ng = groupRows.length;
  const cols: Column[] = op.by.map((b, j) => {
    const type = typeOf(b.e);
    const data = new Array<Val>(ng);
    for (let g = 0; g < ng; g++) data[g] = convert(keys[j]!.f(groupRows[g]!), keys[j]!.t, type);
    return { name: b.name, type, data };
  });
  runs.forEach((r, j) => {
    const res = states.map((s) => r.impl.done(s[j]));
    const ar = (r as AggRun & { argRow?: { exprs: Arg[]; star?: boolean } }).argRow;
    if (ar) {
      // first output is the key expression, then the other arguments or all columns (star)
      const outs = r.cols;
      const srcFns: { f: Fn; t: KType }[] = [];
      if (ar.star) {
        srcFns.push({ f: ar.exprs[0]!.f, t: ar.exprs[0]!.t });
        const byNames = new Set(op.by.map((b) => b.name));
        const keyName = outs[0]?.name;
        for (const c of t.cols) if (!byNames.has(c.name) && c.name !== keyName) srcFns.push({ f: (i) => c.data[i] ?? null, t: c.type });
        for (const c of t.cols) if (c.name === keyName && ar.exprs.length && !(ar.exprs[0] && (ar.exprs[0] as Arg).isConst)) void c;
      } else for (const e of ar.exprs) srcFns.push({ f: e.f, t: e.t });
      outs.forEach((oc, k) => {
        const s = srcFns[k];
        const data = res.map((row) => (s && (row as number) >= 0 ? convert(s.f(row as number), s.t, oc.type) : nullOf(oc.type)));
        cols.push({ name: oc.name, type: oc.type, data });
      });
      return;
    }
    if ((r as { multi?: boolean }).multi) {
      r.cols.forEach((oc, k) => cols.push({ name: oc.name, type: oc.type, data: res.map((v) => (v as unknown as Val[])[k] ?? null) }));
      return;
    }
    const oc = r.cols[0]!;
    cols.push({ name: oc.name, type: oc.type, data: res.map((v) => (typeof v === 'bigint' && oc.type !== 'datetime' && oc.type !== 'timespan' ? Number(v) : v)) });
  });
  return { cols, n: ng };
}

/** Maps rows to group numbers by their key values: nested Maps on primitive values (no key strings). */
function makeGrouper(fs: Fn[]): { get(i: number): number | undefined; set(i: number, g: number): void } {
  const prim = (v: Val): unknown => (v !== null && typeof v === 'object' ? keyOf(v) : v);
  if (fs.length === 0) {
    let only: number | undefined;
    return { get: () => only, set: (_i, g) => (only = g) };
  }
  const root = new Map<unknown, unknown>();
  const last = fs.length - 1;
  let cache: Map<unknown, unknown> | null = null;
  let cacheRow = -1;
  const leaf = (i: number, create: boolean): Map<unknown, unknown> | null => {
    if (cacheRow === i) return cache;
    let m = root;
    for (let k = 0; k < last; k++) {
      const v = prim(fs[k]!(i));
      let next = m.get(v) as Map<unknown, unknown> | undefined;
      if (!next) {
        if (!create) return null;
        next = new Map();
        m.set(v, next);
      }
      m = next;
    }
    cacheRow = i;
    cache = m;
    return m;
  };
  return {
    get(i) {
      const m = leaf(i, true);
      return m!.get(prim(fs[last]!(i))) as number | undefined;
    },
    set(i, g) {
      leaf(i, true)!.set(prim(fs[last]!(i)), g);
    },
  };
}

// ---- join

function join(op: Extract<Op, { k: 'join' }>, left: Table, env: Env): Table {
  const right = evalTab(op.right, env, null);
  const lk = op.keys.map((k) => compile(k.l, { t: left, env, left, right }));
  const rk = op.keys.map((k) => compile(k.r, { t: right, env, left, right }));
  const keyAt = (fs: Arg[], i: number): string | null => {
    let s = '';
    for (const f of fs) {
      const v = f.f(i);
      if (v === null || v === undefined) return null; // null keys never match
      s += keyOf(typeof v === 'number' ? v : v) + '\u0001';
    }
    return s;
  };
  let kind = op.kind;
  let L = left;
  if (kind === 'innerunique') {
    // left side de-duplicated on the join keys (first row per key), then inner
    const seen = new Set<string>();
    const idx: number[] = [];
    for (let i = 0; i < left.n; i++) {
      const k = keyAt(lk, i) ?? '\u0002null' + i;
      if (!seen.has(k)) {
        seen.add(k);
        idx.push(i);
      }
    }
    L = pick(left, idx);
    kind = 'inner';
  }
  const lkeys = kind === 'innerunique' ? lk : op.kind === 'innerunique' ? op.keys.map((k) => compile(k.l, { t: L, env, left: L, right })) : lk;
  const index = new Map<string, number[]>();
  for (let j = 0; j < right.n; j++) {
    const k = keyAt(rk, j);
    if (k === null) continue;
    const a = index.get(k);
    if (a) a.push(j);
    else index.set(k, [j]);
  }
  const li: number[] = [];
  const ri: number[] = [];
  const rightUsed = new Uint8Array(right.n);
  for (let i = 0; i < L.n; i++) {
    const k = keyAt(lkeys, i);
    const m = k === null ? undefined : index.get(k);
    switch (kind) {
      case 'inner':
      case 'leftouter':
      case 'rightouter':
      case 'fullouter':
        if (m) {
          for (const j of m) {
            li.push(i);
            ri.push(j);
            rightUsed[j] = 1;
          }
        } else if (kind === 'leftouter' || kind === 'fullouter') {
          li.push(i);
          ri.push(-1);
        }
        break;
      case 'leftsemi':
        if (m) li.push(i);
        break;
      case 'leftanti':
        if (!m) li.push(i);
        break;
      case 'rightsemi':
      case 'rightanti':
        if (m) for (const j of m) rightUsed[j] = 1;
        break;
    }
  }
  if (kind === 'leftsemi' || kind === 'leftanti') return renameTo(pick(L, li), op.out);
  if (kind === 'rightsemi' || kind === 'rightanti') {
    const want = kind === 'rightsemi' ? 1 : 0;
    const idx: number[] = [];
    for (let j = 0; j < right.n; j++) if (rightUsed[j] === want) idx.push(j);
    return renameTo(pick(right, idx), op.out);
  }
  if (kind === 'rightouter' || kind === 'fullouter') {
    for (let j = 0; j < right.n; j++)
      if (!rightUsed[j]) {
        li.push(-1);
        ri.push(j);
      }
  }
  const lp = pick(L, li);
  const rp = pick(right, ri);
  if (op.lookup) {
    // lookup: the right side's key columns are not repeated
    const keyNames = new Set(op.keys.map((k) => (k.r.k === 'col' ? k.r.name : '')));
    const rcols = rp.cols.filter((c) => !keyNames.has(c.name));
    // key columns take the right value when the left is absent (not for leftouter lookup)
    return renameTo({ cols: [...lp.cols, ...rcols], n: lp.n }, op.out);
  }
  return renameTo({ cols: [...lp.cols, ...rp.cols], n: lp.n }, op.out);
}

/** Names (and types) from the analyzer's schema, by position; duplicates get the `1` suffix there. */
function renameTo(t: Table, out: Col[]): Table {
  if (out.length !== t.cols.length) {
    // fall back: suffix duplicate names
    const seen = new Set<string>();
    return {
      n: t.n,
      cols: t.cols.map((c) => {
        let name = c.name;
        let k = 1;
        while (seen.has(name)) name = c.name + k++;
        seen.add(name);
        return renamed(c, name);
      }),
    };
  }
  return { n: t.n, cols: t.cols.map((c, i) => renamed(c, out[i]!.name)) };
}

// ---- mv-expand / mv-apply

function expandRows(items: { name: string; e: Expr; t: KType }[], t: Table, env: Env, limit: number, kindArray: boolean, withIdx?: string) {
  const cx: Ctx = { t, env };
  const fs = items.map((it) => dyn(compile(it.e, cx)));
  const rows: number[] = [];
  const vals: Dyn[][] = items.map(() => []);
  const idxs: number[] = [];
  for (let i = 0; i < t.n; i++) {
    const lists = fs.map((f) => {
      const v = f(i);
      if (Array.isArray(v)) return v;
      if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => (kindArray ? [k, x] : { [k]: x })) as Dyn[];
      if (v === null) return [];
      return [v];
    });
    const n = Math.min(limit, Math.max(0, ...lists.map((l) => l.length)));
    // a row whose arrays are all empty or null yields no rows
    if (n === 0) continue;
    for (let k = 0; k < n; k++) {
      rows.push(i);
      idxs.push(k);
      lists.forEach((l, j) => vals[j]!.push(k < l.length ? l[k]! : null));
    }
  }
  void withIdx;
  return { rows, vals, idxs };
}

function mvExpand(op: Extract<Op, { k: 'mv-expand' }>, t: Table, env: Env): Table {
  const limit = op.limit ? Number(compile(op.limit, { t, env }).f(0) ?? Infinity) : Infinity;
  const { rows, vals, idxs } = expandRows(op.items, t, env, limit, !!op.kindArray);
  let out = pick(t, rows);
  op.items.forEach((it, j) => {
    const data = vals[j]!.map((v) => (it.t === 'dynamic' ? v : convert(v, 'dynamic', it.t)));
    out = withCol(out, { name: it.name, type: it.t, data });
  });
  if (op.withItemIndex) out = withCol(out, { name: op.withItemIndex, type: 'long', data: idxs });
  return out;
}

function mvApply(op: Extract<Op, { k: 'mv-apply' }>, t: Table, env: Env): Table {
  const cx: Ctx = { t, env };
  const fs = op.items.map((it) => dyn(compile(it.e, cx)));
  const parts: Table[] = [];
  for (let i = 0; i < t.n; i++) {
    const lists = fs.map((f) => {
      const v = f(i);
      if (Array.isArray(v)) return v;
      if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => ({ [k]: x })) as Dyn[];
      return v === null ? [] : [v];
    });
    const n = Math.max(0, ...lists.map((l) => l.length));
    // the subquery sees the row's columns plus the expanded items
    const rowIdx = new Array<number>(n).fill(i);
    let sub = pick(t, rowIdx);
    op.items.forEach((it, j) => {
      const data = Array.from({ length: n }, (_, k) => {
        const v = k < lists[j]!.length ? lists[j]![k]! : null;
        return it.t === 'dynamic' ? v : convert(v, 'dynamic', it.t);
      });
      sub = withCol(sub, { name: it.name, type: it.t, data });
    });
    if (op.withItemIndex) sub = withCol(sub, { name: op.withItemIndex, type: 'long', data: Array.from({ length: n }, (_, k) => k) });
    const res = evalTab(op.sub, env, sub);
    if (res.n === 0) continue;
    // columns of the source row that the subquery dropped come back from the row
    const cols: Column[] = op.out.map((oc) => {
      const c = col(res, oc.name);
      if (c) return { name: oc.name, type: oc.type, data: c.data.map((v) => (c.type === oc.type ? v : convert(v, c.type, oc.type))) };
      const s = col(t, oc.name);
      const v = s ? (s.data[i] ?? null) : nullOf(oc.type);
      return { name: oc.name, type: oc.type, data: new Array<Val>(res.n).fill(v) };
    });
    parts.push({ cols, n: res.n });
  }
  if (!parts.length) return emptyTable(op.out);
  return concat(parts, op.out);
}

function concat(parts: Table[], out: Col[]): Table {
  const cols: Column[] = out.map((c, j) => ({ name: c.name, type: c.type, data: parts.flatMap((p) => p.cols[j]!.data) }));
  return { cols, n: parts.reduce((s, p) => s + p.n, 0) };
}

// ---- parse

function parseOp(op: Extract<Op, { k: 'parse' }>, t: Table, env: Env): Table {
  const src = compile(op.src, { t, env });
  const re = buildParseRegex(op);
  const caps = op.pattern.filter((p): p is { k: 'cap'; name: string; t: KType } => p.k === 'cap');
  const data: Val[][] = caps.map(() => new Array<Val>(t.n));
  const keep: number[] = [];
  for (let i = 0; i < t.n; i++) {
    const s = toText(src.f(i), src.t);
    const m = re.exec(s);
    let ok = !!m;
    caps.forEach((c, j) => {
      const raw = m ? (m.groups?.['c' + j] ?? '') : null;
      const v = raw === null ? nullOf(c.t) : c.t === 'string' ? raw : convert(raw, 'string', c.t);
      // relaxed: a capture that does not convert is null, the others keep their values
      if (m && c.t !== 'string' && v === null && !op.relaxed) ok = false;
      data[j]![i] = v;
    });
    if (ok) keep.push(i);
    // a row that does not match, or whose typed capture does not convert, gets no values at all
    else caps.forEach((c, j) => (data[j]![i] = nullOf(c.t)));
  }
  let out = t;
  caps.forEach((c, j) => {
    out = withCol(out, { name: c.name, type: c.t, data: data[j]! });
  });
  return op.where ? pick(out, keep) : out;
}

/** Swaps greedy and lazy quantifiers of a regular expression (RE2's U flag). */
export function swapGreed(re: string): string {
  let out = '';
  for (let i = 0; i < re.length; i++) {
    const ch = re[i]!;
    if (ch === '\\') {
      out += ch + (re[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '[') {
      // a character class, copied as is (a ] right after [ or [^ is a literal)
      let j = i + 1;
      if (re[j] === '^') j++;
      if (re[j] === ']') j++;
      while (j < re.length && re[j] !== ']') j += re[j] === '\\' ? 2 : 1;
      out += re.slice(i, j + 1);
      i = j;
      continue;
    }
    let q = '';
    if (ch === '*' || ch === '+' || (ch === '?' && re[i - 1] !== '(')) q = ch;
    else if (ch === '{') {
      const m = /^\{\d+(?:,\d*)?\}/.exec(re.slice(i));
      if (m) q = m[0];
    }
    if (!q) {
      out += ch;
      continue;
    }
    out += q;
    i += q.length - 1;
    if (re[i + 1] === '?') i++;
    else out += '?';
  }
  return out;
}

function buildParseRegex(op: Extract<Op, { k: 'parse' }>): RegExp {
  const parts = op.pattern;
  const regex = op.regex;
  const flags = op.flags ?? '';
  const ungreedy = flags.includes('U');
  let s = '';
  let n = 0;
  parts.forEach((p, k) => {
    if (p.k === 'lit') {
      if (!regex) s += p.s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      else {
        const r = p.s.replace(/\(\?P</g, '(?<');
        s += ungreedy ? swapGreed(r) : r;
      }
    } else if (p.k === 'star') s += regex && ungreedy ? '.*' : '.*?';
    else {
      const last = k === parts.length - 1;
      const g = `(?<c${n++}>`;
      // relaxed: a typed capture that does not look like its type still matches up to the next delimiter
      const other = op.relaxed ? (last ? '|.*' : '|.*?') : '';
      if (p.t === 'long' || p.t === 'int') s += g + '-?\\d+' + other + ')';
      else if (p.t === 'real' || p.t === 'decimal') s += g + '-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?' + other + ')';
      // regex mode: other captures are greedy (.*) unless the U flag makes them lazy; simple and
      // relaxed modes: lazy up to the next delimiter, the last one takes the rest
      else if (regex) s += g + (ungreedy ? '.*?)' : '.*)');
      else s += g + (last ? '.*)' : '.*?)');
    }
  });
  if (!regex) return new RegExp('^' + s, 's');
  // RE2 defaults: . does not match \n, ^/$ match at the text ends only
  return new RegExp(s, (flags.includes('i') ? 'i' : '') + (flags.includes('m') ? 'm' : '') + (flags.includes('s') ? 's' : ''));
}

// ---- evaluate bag_unpack

function bagUnpack(op: Extract<Op, { k: 'bag_unpack' }>, t: Table): Table {
  const c = col(t, op.col);
  const bagAt = (i: number, k: string): Dyn => {
    const v = c?.data[i];
    return v && typeof v === 'object' && !Array.isArray(v) ? ((v as Record<string, Dyn>)[k] ?? null) : null;
  };
  let rest = t.cols.filter((x) => x.name !== op.col);
  if (op.schema) {
    // an output schema fixes the columns and their types
    const cols = op.out.map((oc) => {
      const src = rest.find((x) => x.name === oc.name);
      if (src) return src;
      const key = op.prefix && oc.name.startsWith(op.prefix) ? oc.name.slice(op.prefix.length) : oc.name;
      return { name: oc.name, type: oc.type, data: Array.from({ length: t.n }, (_, i) => convert(bagAt(i, key), 'dynamic', oc.type)) };
    });
    return { cols, n: t.n };
  }
  const keys: string[] = [];
  if (c)
    for (const v of c.data)
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v)) if (!keys.includes(k) && !op.ignored?.includes(k)) keys.push(k);
  // the plugin's new columns come in name order (bag-unpack-plugin.md examples)
  keys.sort();
  const added: Column[] = [];
  for (const k of keys) {
    const name = op.prefix + k;
    if (rest.some((x) => x.name === name)) {
      if (op.conflict === 'keep_source') continue;
      if (op.conflict === 'replace_source') {
        // the new values take the old column's place
        rest = rest.map((x) => (x.name === name ? { name, type: 'dynamic' as KType, data: Array.from({ length: t.n }, (_, i) => bagAt(i, k)) } : x));
        continue;
      } else fail(`bag_unpack: the column ${name} already exists (columnsConflict='error')`);
    }
    added.push({ name, type: 'dynamic', data: Array.from({ length: t.n }, (_, i) => bagAt(i, k)) });
  }
  return { cols: [...rest, ...added], n: t.n };
}

// ---- evaluate ipv4_lookup

/**
 * Each input row with every lookup row whose IPv4 address or range (IP-prefix notation) contains the
 * row's IPv4 address and whose extra keys are equal to the row's, in lookup-table order; with
 * return_unmatched, a row without a match once with empty lookup columns. Text that is not an IPv4
 * address or range matches nothing, on either side. The ranges are indexed by prefix length (network
 * -> rows): a row costs one probe per prefix length present, never a scan of the lookup table.
 */
function ipv4Lookup(op: Extract<Op, { k: 'ipv4_lookup' }>, t: Table, env: Env): Table {
  const lk = evalTab(op.lookup, env, null);
  const sc = col(t, op.src);
  const kc = col(lk, op.key);
  if (!sc) return fail(`ipv4_lookup: no column ${op.src} in the input`);
  if (!kc) return fail(`ipv4_lookup: no column ${op.key} in the lookup table`);
  const pairs = op.extra.map((name) => {
    const a = col(t, name);
    const b = col(lk, name);
    if (!a || !b) return fail(`ipv4_lookup: no column ${name} in the ${a ? 'lookup table' : 'input'}`);
    return [a, b] as const;
  });
  // the extra keys of a row as one text; null keys never match (as in join)
  const extraKey = (side: 0 | 1, i: number): string | null => {
    let s = '';
    for (const p of pairs) {
      const v = p[side].data[i];
      if (v === null || v === undefined) return null;
      s += keyOf(v) + '\u0001';
    }
    return s;
  };
  const byBits = new Map<number, Map<number | string, number[]>>();
  for (let j = 0; j < lk.n; j++) {
    const v = kc.data[j];
    const r = typeof v === 'string' ? parseIPv4Prefix(v) : null;
    if (!r) continue;
    let k: number | string = r.net;
    if (pairs.length) {
      const e = extraKey(1, j);
      if (e === null) continue;
      k = r.net + '\u0001' + e;
    }
    let m = byBits.get(r.bits);
    if (!m) byBits.set(r.bits, (m = new Map()));
    const a = m.get(k);
    if (a) a.push(j);
    else m.set(k, [j]);
  }
  const levels = [...byBits.entries()];
  const li: number[] = [];
  const ri: number[] = [];
  for (let i = 0; i < t.n; i++) {
    const v = sc.data[i];
    const s = typeof v === 'string' ? parseIPv4Prefix(v) : null;
    // the page lets a source value carry a prefix but does not say which ranges then match it
    if (s && s.bits < 32) return fail(`unsupported: ipv4_lookup of a source value in IP-prefix notation (${JSON.stringify(v)}) at ${op.at}`);
    let found: number[] | null = null;
    let merged = false;
    const e = s && pairs.length ? extraKey(0, i) : '';
    if (s && e !== null)
      for (const [bits, m] of levels) {
        const net = maskV4(s.net, bits);
        const hit = m.get(pairs.length ? net + '\u0001' + e : net);
        if (!hit) continue;
        if (found) {
          found = found.concat(hit);
          merged = true;
        } else found = hit;
      }
    if (found) {
      if (merged) found.sort((a, b) => a - b);
      for (const j of found) {
        li.push(i);
        ri.push(j);
      }
    } else if (op.unmatched) {
      li.push(i);
      ri.push(-1);
    }
  }
  const lp = pick(t, li);
  const rp = pick(lk, ri);
  const drop = new Set(op.extra);
  return renameTo({ cols: [...lp.cols, ...rp.cols.filter((c) => !drop.has(c.name))], n: li.length }, op.out);
}

// ---- top-nested

function topNested(op: Extract<Op, { k: 'top-nested' }>, t: Table, env: Env): Table {
  const cx: Ctx = { t, env };
  const one: Ctx = { t: { cols: [], n: 1 }, env };
  const levels = op.levels.map((l) => {
    const maker = AGGS[l.agg.fn];
    if (!maker) return fail(`unsupported: ${l.agg.fn}() at ${l.agg.at}`);
    return { n: l.n ? Number(compile(l.n, one).f(0) ?? 0) : Infinity, key: compile(l.key, cx), impl: maker(l.agg.args.map((e) => compile(e, cx)), l.agg.out[0]!.type), desc: l.desc };
  });
  const out: Val[][] = op.out.map(() => []);
  const walk = (depth: number, rows: number[], prefix: Val[]) => {
    const lv = levels[depth]!;
    const groups = new Map<unknown, { key: Val; rows: number[] }>();
    for (const i of rows) {
      const v = lv.key.f(i);
      const k = v !== null && typeof v === 'object' ? keyOf(v) : v;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { key: v, rows: [] }));
      g.rows.push(i);
    }
    const scored = [...groups.values()].map((g) => {
      let st = lv.impl.init();
      for (const i of g.rows) st = lv.impl.add(st, i);
      return { ...g, value: lv.impl.done(st) };
    });
    scored.sort((a, b) => {
      if (a.value === null || b.value === null) return a.value === b.value ? 0 : a.value === null ? 1 : -1;
      const c = compareVals(a.value, b.value);
      return lv.desc ? -c : c;
    });
    for (const g of scored.slice(0, lv.n)) {
      const p = [...prefix, g.key, typeof g.value === 'bigint' && op.out[depth * 2 + 1]!.type !== 'datetime' && op.out[depth * 2 + 1]!.type !== 'timespan' ? Number(g.value) : g.value];
      if (depth + 1 < levels.length) walk(depth + 1, g.rows, p);
      else p.forEach((v, j) => out[j]!.push(v));
    }
  };
  if (t.n > 0) walk(0, Array.from({ length: t.n }, (_, i) => i), []);
  return { n: out[0]?.length ?? 0, cols: op.out.map((c, j) => ({ name: c.name, type: c.type, data: out[j]! })) };
}

// ---- evaluate pivot

function pivot(op: Extract<Op, { k: 'pivot' }>, t: Table, env: Env): Table {
  const cx: Ctx = { t, env };
  const pc = col(t, op.col);
  if (!pc) return fail(`pivot: no column ${op.col}`);
  const aggCols = new Set<string>();
  const walk = (x: unknown): void => {
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.k === 'col' && typeof o.name === 'string') aggCols.add(o.name);
    for (const v of Object.values(o)) walk(v);
  };
  if (op.agg) walk(op.agg.args);
  // grouping columns: the ones named, else every column but the pivot and aggregated ones
  const by = op.by ? op.by.map((n) => col(t, n)).filter((c): c is Column => !!c) : t.cols.filter((c) => c.name !== op.col && !aggCols.has(c.name));
  const keyFns = by.map((c) => (i: number) => c.data[i] ?? null);
  const maker = op.agg ? AGGS[op.agg.fn] : AGGS.count;
  if (!maker) return fail(`unsupported: ${op.agg!.fn}() at ${op.agg!.at}`);
  const args = op.agg ? op.agg.args.map((e) => compile(e, cx)) : [];
  const aggType: KType = !op.agg || /^(count|dcount)/.test(op.agg.fn) ? 'long' : /^make_/.test(op.agg.fn) ? 'dynamic' : op.agg.fn.startsWith('avg') ? 'real' : (args[0]?.t ?? 'dynamic');
  const impl = maker(args, aggType);
  const names: string[] = [];
  const nameIdx = new Map<string, number>();
  const grouper = makeGrouper(keyFns);
  const groupRows: number[] = [];
  const states: Map<number, unknown>[] = [];
  for (let i = 0; i < t.n; i++) {
    let g = grouper.get(i);
    if (g === undefined) {
      g = groupRows.length;
      grouper.set(i, g);
      groupRows.push(i);
      states.push(new Map());
    }
    const pv = toText(pc.data[i] ?? null, pc.type);
    if (!nameIdx.has(pv)) {
      nameIdx.set(pv, names.length);
      names.push(pv);
    }
    const k = nameIdx.get(pv)!;
    const m = states[g]!;
    m.set(k, impl.add(m.has(k) ? m.get(k) : impl.init(), i));
  }
  const order = names.map((n, k) => ({ n, k })).sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
  const cols: Column[] = by.map((c) => ({ name: c.name, type: c.type, data: groupRows.map((r) => c.data[r] ?? null) }));
  for (const { n, k } of order) cols.push({ name: n, type: aggType, data: states.map((m) => impl.done(m.has(k) ? m.get(k) : impl.init())) });
  return { cols, n: groupRows.length };
}

// ---- make-series

function makeSeries(op: Extract<Op, { k: 'make-series' }>, t: Table, env: Env): Table {
  const cx: Ctx = { t, env };
  const one: Ctx = { t: { cols: [], n: 1 }, env };
  const on = compile(op.on, cx);
  const step = compile(op.step, one).f(0);
  const onVals = Array.from({ length: t.n }, (_, i) => on.f(i));
  const ticksAxis = on.t === 'datetime' || on.t === 'timespan';
  let from = op.from ? compile(op.from, one).f(0) : null;
  let to = op.to ? compile(op.to, one).f(0) : null;
  const present = onVals.filter((v) => v !== null) as (bigint | number)[];
  if (from === null) from = present.length ? present.reduce((a, b) => (a < b ? a : b)) : null;
  if (to === null) to = present.length ? (ticksAxis ? (present.reduce((a, b) => (a > b ? a : b)) as bigint) + 1n : (present.reduce((a, b) => (a > b ? a : b)) as number) + 1) : null;
  if (from === null || to === null || step === null) return emptyTable([]);
  const nb = ticksAxis ? Number(((to as bigint) - (from as bigint) + (step as bigint) - 1n) / (step as bigint)) : Math.ceil((Number(to) - Number(from)) / Number(step));
  const bucketOf = (v: Val): number => (ticksAxis ? Number(floorDiv((v as bigint) - (from as bigint), step as bigint)) : Math.floor((Number(v) - Number(from)) / Number(step)));
  const axis: Dyn[] = Array.from({ length: Math.max(0, nb) }, (_, k) => (ticksAxis ? toDyn((from as bigint) + BigInt(k) * (step as bigint), on.t) : Number(from) + k * Number(step)));
  const keys = op.by.map((b) => compile(b.e, cx));
  const groups = new Map<string, number[]>();
  for (let i = 0; i < t.n; i++) {
    const b = onVals[i] === null ? -1 : bucketOf(onVals[i]!);
    if (b < 0 || b >= nb) continue;
    const k = keys.map((kf) => keyOf(kf.f(i))).join('\u0001');
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  const aggMakers = op.aggs.map((a) => {
    const maker = AGGS[a.agg.fn];
    if (!maker) return fail(`unsupported: ${a.agg.fn}() at ${a.agg.at}`);
    return { impl: maker(a.agg.args.map((e) => compile(e, cx)), 'long'), dflt: compile(a.dflt, one).f(0) };
  });
  const rowsOut: { key: number; series: Dyn[][] }[] = [];
  for (const rows of groups.values()) {
    const series = aggMakers.map((m) => {
      const st: unknown[] = Array.from({ length: nb }, () => m.impl.init());
      const seen = new Uint8Array(nb);
      for (const i of rows) {
        const b = bucketOf(onVals[i]!);
        st[b] = m.impl.add(st[b], i);
        seen[b] = 1;
      }
      return st.map((s, b) => (seen[b] ? toDyn(m.impl.done(s), 'real') : toDyn(m.dflt, 'real')));
    });
    rowsOut.push({ key: rows[0]!, series });
  }
  const cols: Column[] = [];
  op.by.forEach((b, j) => cols.push({ name: b.name, type: keys[j]!.t, data: rowsOut.map((r) => keys[j]!.f(r.key)) }));
  op.aggs.forEach((a, j) => cols.push({ name: a.name, type: 'dynamic', data: rowsOut.map((r) => r.series[j]!) }));
  cols.push({ name: op.onName, type: 'dynamic', data: rowsOut.map(() => axis) });
  // Kusto orders: by columns, then the series columns and the axis in the order written; axis after aggregates
  void TICKS_PER_DAY;
  return { cols, n: rowsOut.length };
}

export { EvalError };
