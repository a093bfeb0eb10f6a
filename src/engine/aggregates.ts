// Aggregation functions: per-group state, fed row indexes.
import { compareVals, keyOf, toDyn, type Dyn, type KType, type Val } from './values.js';
import type { Fn } from './scalars.js';

export interface AggArg {
  f: Fn;
  t: KType;
}
export interface AggImpl {
  init(): unknown;
  add(s: unknown, i: number): unknown;
  done(s: unknown): Val;
}
type Maker = (a: AggArg[], t: KType) => AggImpl;

const isNull = (v: Val) => v === null || v === undefined;

function pred(a: AggArg | undefined): (i: number) => boolean {
  if (!a) return () => true;
  const f = a.f;
  return (i) => f(i) === true;
}

function sumLike(kind: 'sum' | 'avg', a: AggArg[], t: KType, p?: AggArg): AggImpl {
  const f = a[0]!.f;
  const ok = pred(p);
  const ticks = a[0]!.t === 'timespan';
  return {
    init: () => ({ s: ticks ? 0n : 0, n: 0 }),
    add: (st, i) => {
      const s = st as { s: number | bigint; n: number };
      if (!ok(i)) return s;
      const v = f(i);
      if (isNull(v)) return s;
      if (ticks) s.s = (s.s as bigint) + (v as bigint);
      else s.s = (s.s as number) + Number(v);
      s.n++;
      return s;
    },
    done: (st) => {
      const s = st as { s: number | bigint; n: number };
      if (kind === 'avg') return s.n ? (ticks ? (s.s as bigint) / BigInt(s.n) : (s.s as number) / s.n) : null;
      if (s.n === 0) return t === 'timespan' ? 0n : 0;
      return s.s;
    },
  };
}

function minMax(sign: number, a: AggArg[], p?: AggArg): AggImpl {
  const f = a[0]!.f;
  const ok = pred(p);
  return {
    init: () => ({ v: null as Val }),
    add: (st, i) => {
      const s = st as { v: Val };
      if (!ok(i)) return s;
      const v = f(i);
      if (isNull(v) || (a[0]!.t === 'string' && v === '')) return s;
      if (s.v === null || compareVals(v, s.v) * sign > 0) s.v = v;
      return s;
    },
    done: (st) => {
      const v = (st as { v: Val }).v;
      return v === null && a[0]!.t === 'string' ? '' : v;
    },
  };
}

function countIf(p?: AggArg): AggImpl {
  const ok = pred(p);
  return {
    init: () => ({ n: 0 }),
    add: (st, i) => {
      const s = st as { n: number };
      if (ok(i)) s.n++;
      return s;
    },
    done: (st) => (st as { n: number }).n,
  };
}

function dcount(a: AggArg[], p?: AggArg): AggImpl {
  const f = a[0]!.f;
  const ok = pred(p);
  return {
    init: () => new Set<string>(),
    add: (st, i) => {
      const s = st as Set<string>;
      if (!ok(i)) return s;
      const v = f(i);
      if (!isNull(v)) s.add(keyOf(v));
      return s;
    },
    done: (st) => (st as Set<string>).size,
  };
}

function makeList(set: boolean, a: AggArg[], p: AggArg | undefined, limitArg: AggArg | undefined, withNulls = false): AggImpl {
  const f = a[0]!.f;
  const t = a[0]!.t;
  const ok = pred(p);
  const limit = limitArg ? Number(limitArg.f(0) ?? 1048576) : 1048576;
  return {
    init: () => ({ out: [] as Dyn[], seen: set ? new Set<string>() : null }),
    add: (st, i) => {
      const s = st as { out: Dyn[]; seen: Set<string> | null };
      if (s.out.length >= limit || !ok(i)) return s;
      const v = f(i);
      if (isNull(v) && !withNulls) return s;
      const d = toDyn(v, t);
      if (!withNulls && t === 'dynamic' && Array.isArray(d) && !set) {
        // make_list of a dynamic array appends the array itself
      }
      if (s.seen) {
        if (t === 'dynamic' && Array.isArray(d)) {
          for (const x of d) {
            const k = JSON.stringify(x);
            if (!s.seen.has(k) && s.out.length < limit) {
              s.seen.add(k);
              s.out.push(x);
            }
          }
          return s;
        }
        const k = JSON.stringify(d);
        if (s.seen.has(k)) return s;
        s.seen.add(k);
      }
      s.out.push(d);
      return s;
    },
    done: (st) => (st as { out: Dyn[] }).out,
  };
}

function makeBag(a: AggArg[], p?: AggArg): AggImpl {
  const f = a[0]!.f;
  const ok = pred(p);
  return {
    init: () => ({} as Record<string, Dyn>),
    add: (st, i) => {
      const s = st as Record<string, Dyn>;
      if (!ok(i)) return s;
      const v = f(i) as Dyn;
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) if (!(k in s)) s[k] = x;
      return s;
    },
    done: (st) => st as Dyn,
  };
}

function takeAny(a: AggArg[], p?: AggArg): AggImpl {
  const f = a[0]!.f;
  const ok = pred(p);
  return {
    init: () => ({ v: undefined as Val | undefined }),
    add: (st, i) => {
      const s = st as { v: Val | undefined };
      if (s.v === undefined && ok(i)) {
        const v = f(i);
        if (!isNull(v) && v !== '') s.v = v;
      }
      return s;
    },
    done: (st) => {
      const v = (st as { v: Val | undefined }).v;
      return v === undefined ? (a[0]!.t === 'string' ? '' : null) : v;
    },
  };
}

function stdev(a: AggArg[], sample: boolean, variance: boolean, p?: AggArg): AggImpl {
  const f = a[0]!.f;
  const ok = pred(p);
  return {
    init: () => ({ n: 0, s: 0, q: 0 }),
    add: (st, i) => {
      const s = st as { n: number; s: number; q: number };
      if (!ok(i)) return s;
      const v = f(i);
      if (isNull(v)) return s;
      const x = Number(v);
      s.n++;
      s.s += x;
      s.q += x * x;
      return s;
    },
    done: (st) => {
      const s = st as { n: number; s: number; q: number };
      const d = sample ? s.n - 1 : s.n;
      if (d <= 0) return 0;
      const varr = Math.max(0, (s.q - (s.s * s.s) / s.n) / d);
      return variance ? varr : Math.sqrt(varr);
    },
  };
}

/** Nearest-rank percentile over the collected values (Kusto documents an estimate; exact for small sets). */
function percentiles(a: AggArg[], asArray: boolean): AggImpl {
  const f = a[0]!.f;
  const ps = a.slice(1).map((x) => Number(x.f(0)));
  return {
    init: () => [] as Val[],
    add: (st, i) => {
      const v = f(i);
      if (!isNull(v)) (st as Val[]).push(v);
      return st;
    },
    done: (st) => {
      const vs = (st as Val[]).sort(compareVals);
      const pick = (p: number): Val => {
        if (!vs.length) return null;
        const idx = Math.max(0, Math.ceil((p / 100) * vs.length) - 1);
        return vs[Math.min(idx, vs.length - 1)]!;
      };
      if (asArray) return ps.map((p) => toDyn(pick(p), a[0]!.t));
      return pick(ps[0]!);
    },
  };
}

/** Multi-output percentiles(x, p1, p2...) produce one column per p; handled by the evaluator. */
export function percentileOne(a: AggArg[], p: number): AggImpl {
  return percentiles([a[0]!, { f: () => p, t: 'real' }], false);
}

export const AGGS: Record<string, Maker> = {
  count: () => countIf(undefined),
  countif: (a) => countIf(a[0]),
  count_distinct: (a) => dcount(a),
  count_distinctif: (a) => dcount(a, a[1]),
  dcount: (a) => dcount(a),
  dcountif: (a) => dcount(a, a[1]),
  sum: (a, t) => sumLike('sum', a, t),
  sumif: (a, t) => sumLike('sum', a, t, a[1]),
  avg: (a, t) => sumLike('avg', a, t),
  avgif: (a, t) => sumLike('avg', a, t, a[1]),
  min: (a) => minMax(-1, a),
  minif: (a) => minMax(-1, a, a[1]),
  max: (a) => minMax(1, a),
  maxif: (a) => minMax(1, a, a[1]),
  make_list: (a) => makeList(false, a, undefined, a[1]),
  makelist: (a) => makeList(false, a, undefined, a[1]),
  make_list_if: (a) => makeList(false, a, a[1], a[2]),
  make_list_with_nulls: (a) => makeList(false, a, undefined, undefined, true),
  make_set: (a) => makeList(true, a, undefined, a[1]),
  makeset: (a) => makeList(true, a, undefined, a[1]),
  make_set_if: (a) => makeList(true, a, a[1], a[2]),
  make_bag: (a) => makeBag(a),
  make_bag_if: (a) => makeBag(a, a[1]),
  take_any: (a) => takeAny(a),
  any: (a) => takeAny(a),
  take_anyif: (a) => takeAny(a, a[1]),
  anyif: (a) => takeAny(a, a[1]),
  stdev: (a) => stdev(a, true, false),
  stdevif: (a) => stdev(a, true, false, a[1]),
  stdevp: (a) => stdev(a, false, false),
  variance: (a) => stdev(a, true, true),
  varianceif: (a) => stdev(a, true, true, a[1]),
  variancep: (a) => stdev(a, false, true),
  percentile: (a) => percentiles(a, false),
  percentiles_array: (a) => percentiles(a, true),
};
