// The pure WDL functions our playbooks use (the ones that read run state live in the executor).
import { ExprError, stringOf, type Value } from './expr.js';

function equal(a: Value, b: Value): boolean {
  // WDL string equality is case-insensitive; objects compare by content.
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function num(v: Value, fn: string): number {
  if (typeof v === 'number') return v;
  throw new ExprError(`${fn}() expects a number, got ${JSON.stringify(v)}`);
}

function date(v: Value, fn: string): Date {
  const d = typeof v === 'string' ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) throw new ExprError(`${fn}() expects a timestamp, got ${JSON.stringify(v)}`);
  return d;
}

/** WDL timestamps: ISO 8601 with seven fractional digits, as Logic Apps prints them. */
function iso(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

function shift(ms: number) {
  return (args: Value[], fn: string) => iso(new Date(date(args[0], fn).getTime() + num(args[1], fn) * ms));
}

function compare(a: Value, b: Value, fn: string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new ExprError(`${fn}() compares two numbers or two strings, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
}

type Fn = (args: Value[], name: string, now: () => Date) => Value;

export const FUNCTIONS: Record<string, Fn> = {
  concat: (a) => (a.every(Array.isArray) ? (a as Value[][]).flat() : a.map(stringOf).join('')),
  encodeURIComponent: (a) => encodeURIComponent(stringOf(a[0])),
  equals: (a) => equal(a[0], a[1]),
  and: (a) => a.every((x) => x === true),
  or: (a) => a.some((x) => x === true),
  not: (a) => a[0] !== true,
  contains: (a, fn) => {
    const [c, v] = a;
    if (typeof c === 'string') return c.toLowerCase().includes(stringOf(v).toLowerCase());
    if (Array.isArray(c)) return c.some((x) => equal(x, v));
    if (c && typeof c === 'object') return Object.keys(c).some((k) => k.toLowerCase() === stringOf(v).toLowerCase());
    if (c === null || c === undefined) throw new ExprError(`${fn}() on null`);
    return false;
  },
  startsWith: (a) => stringOf(a[0]).toLowerCase().startsWith(stringOf(a[1]).toLowerCase()),
  length: (a, fn) => {
    const v = a[0];
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    throw new ExprError(`${fn}() expects a string or an array, got ${JSON.stringify(v)}`);
  },
  empty: (a) => {
    const v = a[0];
    if (v === null || v === undefined) return true;
    if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
    if (typeof v === 'object') return Object.keys(v).length === 0;
    return false;
  },
  utcNow: (_a, _fn, now) => iso(now()),
  addHours: shift(3_600_000),
  addMinutes: shift(60_000),
  addSeconds: shift(1000),
  formatDateTime: (a, fn) => {
    const d = date(a[0], fn);
    const f = a[1] === undefined ? 'o' : stringOf(a[1]);
    if (f === 'o') return iso(d);
    if (f === 'u') return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    if (f === 's') return d.toISOString().replace(/\.\d+Z$/, '');
    throw new ExprError(`${fn}(): format '${f}' is not supported here (o, s, u are)`);
  },
  coalesce: (a) => a.find((x) => x !== null && x !== undefined) ?? null,
  json: (a, fn) => {
    try {
      return JSON.parse(stringOf(a[0]));
    } catch {
      throw new ExprError(`${fn}(): not JSON: ${stringOf(a[0]).slice(0, 40)}`);
    }
  },
  string: (a) => stringOf(a[0]),
  int: (a, fn) => {
    const n = typeof a[0] === 'number' ? a[0] : Number(stringOf(a[0]));
    if (!Number.isInteger(n)) throw new ExprError(`${fn}(): not an integer: ${JSON.stringify(a[0])}`);
    return n;
  },
  first: (a) => {
    const v = a[0];
    if (typeof v === 'string') return v.slice(0, 1);
    return Array.isArray(v) ? (v[0] ?? null) : null;
  },
  last: (a) => {
    const v = a[0];
    if (typeof v === 'string') return v.slice(-1);
    return Array.isArray(v) ? (v[v.length - 1] ?? null) : null;
  },
  union: (a) => {
    if (a.every(Array.isArray)) {
      const out: Value[] = [];
      for (const x of (a as Value[][]).flat()) if (!out.some((y) => equal(x, y))) out.push(x);
      return out;
    }
    return Object.assign({}, ...(a as object[]));
  },
  greater: (a, fn) => compare(a[0], a[1], fn) > 0,
  greaterOrEquals: (a, fn) => compare(a[0], a[1], fn) >= 0,
  less: (a, fn) => compare(a[0], a[1], fn) < 0,
  lessOrEquals: (a, fn) => compare(a[0], a[1], fn) <= 0,
  ticks: (a, fn) => date(a[0], fn).getTime() * 10_000 + 621_355_968_000_000_000,
  add: (a, fn) => num(a[0], fn) + num(a[1], fn),
  sub: (a, fn) => num(a[0], fn) - num(a[1], fn),
  toLower: (a) => stringOf(a[0]).toLowerCase(),
  split: (a) => stringOf(a[0]).split(stringOf(a[1])),
  join: (a, fn) => {
    if (!Array.isArray(a[0])) throw new ExprError(`${fn}() expects an array`);
    return a[0].map(stringOf).join(stringOf(a[1]));
  },
  replace: (a) => stringOf(a[0]).split(stringOf(a[1])).join(stringOf(a[2])),
  createArray: (a) => a,
  guid: () => globalThis.crypto.randomUUID(),
};
