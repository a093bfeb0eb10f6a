// Scalar built-in functions over compiled argument closures. Each implementation is chosen once per
// call site; the returned closure runs per row.
import { createHash } from 'node:crypto';
import { kustoHash, kustoHashTicks } from './xxhash.js';
import { UserError } from '../diagnostics.js';
import {
  TICKS_PER_DAY,
  TICKS_PER_MS,
  TICKS_PER_SEC,
  compareVals,
  convert,
  dynText,
  formatDatetime,
  parseDatetime,
  toDyn,
  toText,
  type Dyn,
  type KType,
  type Val,
} from './values.js';

export type Fn = (i: number) => Val;

/** 0001-01-01 (the .NET epoch) to 1970-01-01, in 100-ns ticks. */
const DOTNET_EPOCH_TICKS = 621355968000000000n;
export interface Arg {
  f: Fn;
  t: KType;
  /** Set when the argument is the same for every row. */
  c?: Val;
  isConst: boolean;
}
export interface FnCtx {
  now: bigint;
  t: KType;
  at: string;
}
export type Impl = (a: Arg[], ctx: FnCtx) => Fn;

/** A problem met while evaluating (an invalid regular expression, …): reported like any user error. */
export class EvalError extends UserError {}

const isNull = (v: Val) => v === null || v === undefined;

/** Null-propagating unary helper. */
function u(g: (x: Val, t: KType) => Val): Impl {
  return (a) => {
    const f = a[0]!.f;
    const t = a[0]!.t;
    return (i) => {
      const x = f(i);
      return isNull(x) ? null : g(x, t);
    };
  };
}

function str(a: Arg): (i: number) => string {
  const f = a.f;
  const t = a.t;
  if (t === 'string') return f as (i: number) => string;
  return (i) => toText(f(i), t);
}

/** Any value as dynamic. */
export function dyn(a: Arg): (i: number) => Dyn {
  const f = a.f;
  const t = a.t;
  if (t === 'dynamic') return f as (i: number) => Dyn;
  return (i) => toDyn(f(i), t);
}

function num(a: Arg): (i: number) => number | null {
  const f = a.f;
  const t = a.t;
  if (t === 'int' || t === 'long' || t === 'real' || t === 'decimal') return f as (i: number) => number | null;
  return (i) => convert(f(i), t, 'real') as number | null;
}

function ticks(a: Arg): (i: number) => bigint | null {
  const f = a.f;
  const t = a.t;
  if (t === 'datetime' || t === 'timespan') return f as (i: number) => bigint | null;
  return (i) => convert(f(i), t, 'datetime') as bigint | null;
}

function regex(a: Arg, flags = ''): (i: number) => RegExp | null {
  if (a.isConst) {
    const r = toRegex(toText(a.c as Val, a.t), flags);
    return () => r;
  }
  const s = str(a);
  return (i) => toRegex(s(i), flags);
}

/** RE2 syntax mostly maps onto JS; named groups (?P<n>...) become (?<n>...). */
export function toRegex(src: string, flags = ''): RegExp {
  let s = src.replace(/\(\?P</g, '(?<');
  let f = flags;
  const inline = /^\(\?([imsU]+)\)/.exec(s);
  if (inline) {
    s = s.slice(inline[0].length);
    for (const ch of inline[1]!) if ('ims'.includes(ch) && !f.includes(ch)) f += ch;
  }
  try {
    return new RegExp(s, f);
  } catch {
    throw new EvalError(`invalid regular expression: ${src}`);
  }
}

// ---- string matching (term semantics for has)

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c > 127;
}

/** `has`: the needle occurs as a whole term (bounded by non-alphanumerics), case-insensitive. */
export function hasTerm(hay: string, needle: string, cs = false): boolean {
  if (needle === '') return true;
  const h = cs ? hay : hay.toLowerCase();
  const n = cs ? needle : needle.toLowerCase();
  const startWord = isWordChar(n.charCodeAt(0));
  const endWord = isWordChar(n.charCodeAt(n.length - 1));
  let from = 0;
  for (;;) {
    const p = h.indexOf(n, from);
    if (p < 0) return false;
    const before = p === 0 || !startWord || !isWordChar(h.charCodeAt(p - 1));
    const e = p + n.length;
    const after = e >= h.length || !endWord || !isWordChar(h.charCodeAt(e));
    if (before && after) return true;
    from = p + 1;
  }
}

function hasPrefix(hay: string, needle: string, cs: boolean): boolean {
  const h = cs ? hay : hay.toLowerCase();
  const n = cs ? needle : needle.toLowerCase();
  let from = 0;
  for (;;) {
    const p = h.indexOf(n, from);
    if (p < 0) return false;
    if (p === 0 || !isWordChar(h.charCodeAt(p - 1))) return true;
    from = p + 1;
  }
}

function hasSuffix(hay: string, needle: string, cs: boolean): boolean {
  const h = cs ? hay : hay.toLowerCase();
  const n = cs ? needle : needle.toLowerCase();
  let from = 0;
  for (;;) {
    const p = h.indexOf(n, from);
    if (p < 0) return false;
    const e = p + n.length;
    if (e >= h.length || !isWordChar(h.charCodeAt(e))) return true;
    from = p + 1;
  }
}

/** String operators: (haystack, needle) -> bool. */
export const STRING_OPS: Record<string, (h: string, n: string) => boolean> = {
  has: (h, n) => hasTerm(h, n),
  has_cs: (h, n) => hasTerm(h, n, true),
  hasprefix: (h, n) => hasPrefix(h, n, false),
  hasprefix_cs: (h, n) => hasPrefix(h, n, true),
  hassuffix: (h, n) => hasSuffix(h, n, false),
  hassuffix_cs: (h, n) => hasSuffix(h, n, true),
  contains: (h, n) => h.toLowerCase().includes(n.toLowerCase()),
  contains_cs: (h, n) => h.includes(n),
  startswith: (h, n) => h.toLowerCase().startsWith(n.toLowerCase()),
  startswith_cs: (h, n) => h.startsWith(n),
  endswith: (h, n) => h.toLowerCase().endsWith(n.toLowerCase()),
  endswith_cs: (h, n) => h.endsWith(n),
  '=~': (h, n) => h.length === n.length && h.toLowerCase() === n.toLowerCase(),
  like: (h, n) => likeRe(n, 'i').test(h),
  like_cs: (h, n) => likeRe(n, '').test(h),
};

function likeRe(p: string, flags: string): RegExp {
  let s = '';
  for (const ch of p) s += ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp('^' + s + '$', flags + 's');
}

// ---- IP helpers

// Rules test the same few addresses and ranges against every row: parse each text once.
const MEMO_LIMIT = 200_000;
function memo<T>(fn: (s: string) => T): (s: string) => T {
  const cache = new Map<string, T>();
  return (s: string) => {
    let v = cache.get(s);
    if (v === undefined && !cache.has(s)) {
      v = fn(s);
      if (cache.size >= MEMO_LIMIT) cache.clear();
      cache.set(s, v);
    }
    return v as T;
  };
}

export const parseIPv4 = memo((s: string): number | null => {
  const m = /^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*$/.exec(s);
  if (!m) return null;
  const p = m.slice(1, 5).map(Number);
  if (p.some((x) => x > 255)) return null;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
});

const parseIPv4Cidr = memo((s: string): { ip: number; bits: number } | null => {
  const [a, b] = s.split('/');
  const ip = parseIPv4(a ?? '');
  if (ip === null) return null;
  const bits = b === undefined ? 32 : Number(b);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return null;
  return { ip, bits };
});

export function maskV4(ip: number, bits: number): number {
  return bits === 0 ? 0 : (ip & (~0 << (32 - bits))) >>> 0;
}

function ipv4InRange(ip: string, range: string): boolean | null {
  const a = parseIPv4Cidr(ip);
  const r = parseIPv4Cidr(range);
  if (!a || !r) return null;
  return maskV4(a.ip, r.bits) === maskV4(r.ip, r.bits);
}

/** An IPv4 address or IP-prefix range `a.b.c.d[/n]`, n a whole number from 0 to 32, as its network
 *  (the address masked to n bits) and n; null when the text is neither. Stricter than the scalar
 *  functions' reading about the prefix (`10.0.0.0/` is no range here). */
export function parseIPv4Prefix(s: string): { net: number; bits: number } | null {
  const i = s.indexOf('/');
  const ip = parseIPv4(i < 0 ? s : s.slice(0, i));
  if (ip === null) return null;
  if (i < 0) return { net: ip, bits: 32 };
  const b = s.slice(i + 1).trim();
  if (!/^\d{1,2}$/.test(b)) return null;
  const bits = Number(b);
  return bits > 32 ? null : { net: maskV4(ip, bits), bits };
}

const PRIVATE_V4: [number, number][] = [
  [parseIPv4('10.0.0.0')!, 8],
  [parseIPv4('172.16.0.0')!, 12],
  [parseIPv4('192.168.0.0')!, 16],
];

export function parseIPv6(s: string): bigint | null {
  let t = s.trim();
  const pct = t.indexOf('%');
  if (pct >= 0) t = t.slice(0, pct);
  if (t.includes('.')) {
    const lastColon = t.lastIndexOf(':');
    const v4 = parseIPv4(t.slice(lastColon + 1));
    if (v4 === null) return null;
    if (lastColon < 0) return (0xffffn << 32n) | BigInt(v4);
    t = t.slice(0, lastColon + 1) + ((v4 >>> 16) & 0xffff).toString(16) + ':' + (v4 & 0xffff).toString(16);
  }
  const parts = t.split('::');
  if (parts.length > 2) return null;
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
  const fill = parts.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (parts.length === 1 && head.length !== 8)) return null;
  const groups = [...head, ...Array(fill).fill('0'), ...tail];
  if (groups.length !== 8) return null;
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

function parseIPv6Cidr(s: string): { ip: bigint; bits: number } | null {
  const i = s.lastIndexOf('/');
  const a = i >= 0 ? s.slice(0, i) : s;
  const ip = parseIPv6(a);
  if (ip === null) return null;
  let bits = i >= 0 ? Number(s.slice(i + 1)) : 128;
  if (!Number.isInteger(bits) || bits < 0 || bits > 128) return null;
  if (a.includes('.') && !a.includes(':') && i >= 0) bits += 96;
  return { ip, bits };
}

function maskV6(ip: bigint, bits: number): bigint {
  if (bits === 0) return 0n;
  const m = ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
  return ip & m;
}

function ipv6Compare(a: string, b: string, prefix?: number): number | null {
  const x = parseIPv6Cidr(a);
  const y = parseIPv6Cidr(b);
  if (!x || !y) return null;
  const bits = Math.min(x.bits, y.bits, prefix ?? 128);
  const p = maskV6(x.ip, bits);
  const q = maskV6(y.ip, bits);
  return p < q ? -1 : p > q ? 1 : 0;
}

// ---- datetime helpers

function dtParts(t: bigint) {
  const ms = Number(t / TICKS_PER_MS - (t % TICKS_PER_MS < 0n ? 1n : 0n));
  const d = new Date(ms);
  return { d, y: d.getUTCFullYear(), mo: d.getUTCMonth(), day: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), sub: Number(((t % TICKS_PER_SEC) + TICKS_PER_SEC) % TICKS_PER_SEC) };
}

function fromUtc(y: number, mo: number, d = 1, h = 0, mi = 0, s = 0): bigint {
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo, d);
  dt.setUTCHours(h, mi, s, 0);
  return BigInt(dt.getTime()) * TICKS_PER_MS;
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && a < 0n !== b < 0n) ? q - 1n : q;
}

function startOfDay(t: bigint): bigint {
  return floorDiv(t, TICKS_PER_DAY) * TICKS_PER_DAY;
}

function startOfWeek(t: bigint): bigint {
  const day = startOfDay(t);
  const dow = Number(((floorDiv(day, TICKS_PER_DAY) + 4n) % 7n + 7n) % 7n); // 1970-01-01 was a Thursday
  return day - BigInt(dow) * TICKS_PER_DAY;
}

const PART_TICKS: Record<string, bigint> = {
  day: TICKS_PER_DAY,
  hour: 3600n * TICKS_PER_SEC,
  minute: 60n * TICKS_PER_SEC,
  second: TICKS_PER_SEC,
  millisecond: TICKS_PER_MS,
  microsecond: 10n,
  nanosecond: 1n,
  week: 7n * TICKS_PER_DAY,
};

function addPart(part: string, n: number, t: bigint): bigint | null {
  const p = part.toLowerCase();
  if (p === 'year' || p === 'quarter' || p === 'month') {
    const months = p === 'year' ? n * 12 : p === 'quarter' ? n * 3 : n;
    const x = dtParts(t);
    const total = x.y * 12 + x.mo + months;
    const y = Math.floor(total / 12);
    const mo = total - y * 12;
    const dim = new Date(Date.UTC(2000, mo + 1, 0)).getUTCDate();
    const last = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) && mo === 1 ? 29 : mo === 1 ? 28 : dim;
    return fromUtc(y, mo, Math.min(x.day, last), x.h, x.mi, x.s) + BigInt(x.sub);
  }
  const unit = p === 'nanosecond' ? null : PART_TICKS[p];
  if (p === 'nanosecond') return t + BigInt(Math.trunc(n / 100));
  if (unit === undefined || unit === null) return null;
  return t + BigInt(n) * unit;
}

function diffPart(part: string, a: bigint, b: bigint): number | null {
  const p = part.toLowerCase();
  if (p === 'year') return dtParts(a).y - dtParts(b).y;
  if (p === 'quarter') {
    const x = dtParts(a);
    const y = dtParts(b);
    return x.y * 4 + Math.floor(x.mo / 3) - (y.y * 4 + Math.floor(y.mo / 3));
  }
  if (p === 'month') {
    const x = dtParts(a);
    const y = dtParts(b);
    return x.y * 12 + x.mo - (y.y * 12 + y.mo);
  }
  if (p === 'week') return Number((startOfWeek(a) - startOfWeek(b)) / (7n * TICKS_PER_DAY));
  if (p === 'nanosecond') return Number((a - b) * 100n);
  const unit = PART_TICKS[p];
  if (!unit) return null;
  return Number(floorDiv(a, unit) - floorDiv(b, unit));
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function formatDt(t: bigint, fmt: string): string {
  const x = dtParts(t);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return fmt.replace(/yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|f{1,7}|F{1,7}|tt|t/g, (tok) => {
    switch (tok) {
      case 'yyyy':
        return String(x.y).padStart(4, '0');
      case 'yy':
        return p2(x.y % 100);
      case 'MMMM':
        return MONTHS[x.mo]!;
      case 'MMM':
        return MONTHS[x.mo]!.slice(0, 3);
      case 'MM':
        return p2(x.mo + 1);
      case 'M':
        return String(x.mo + 1);
      case 'dddd':
        return DAYS[x.d.getUTCDay()]!;
      case 'ddd':
        return DAYS[x.d.getUTCDay()]!.slice(0, 3);
      case 'dd':
        return p2(x.day);
      case 'd':
        return String(x.day);
      case 'HH':
        return p2(x.h);
      case 'H':
        return String(x.h);
      case 'hh':
        return p2(x.h % 12 || 12);
      case 'h':
        return String(x.h % 12 || 12);
      case 'mm':
        return p2(x.mi);
      case 'm':
        return String(x.mi);
      case 'ss':
        return p2(x.s);
      case 's':
        return String(x.s);
      case 'tt':
        return x.h < 12 ? 'AM' : 'PM';
      case 't':
        return x.h < 12 ? 'A' : 'P';
      default: {
        const digits = String(x.sub).padStart(7, '0').slice(0, tok.length);
        return tok[0] === 'F' ? digits.replace(/0+$/, '') : digits;
      }
    }
  });
}

// ---- dynamic helpers

export function dynIndex(x: Dyn, key: Val): Dyn {
  if (x === null || x === undefined) return null;
  if (typeof x === 'string' && (x.startsWith('{') || x.startsWith('['))) {
    try {
      x = JSON.parse(x) as Dyn;
    } catch {
      return null;
    }
  }
  if (Array.isArray(x)) {
    if (typeof key !== 'number' && typeof key !== 'bigint') return null;
    let i = Number(key);
    if (i < 0) i += x.length;
    const v = x[i];
    return v === undefined ? null : v;
  }
  if (typeof x === 'object' && x !== null) {
    if (typeof key !== 'string') return null;
    const v = (x as Record<string, Dyn>)[key];
    return v === undefined ? null : v;
  }
  return null;
}

function parseJson(s: string): Dyn {
  try {
    return JSON.parse(s) as Dyn;
  } catch {
    return s;
  }
}

function dynEq(a: Dyn, b: Dyn): boolean {
  if (a === b) return true;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

function arr(x: Dyn): Dyn[] | null {
  return Array.isArray(x) ? x : null;
}

function gettype(v: Val, t: KType): string {
  if (t !== 'dynamic') return v === null ? 'null' : ({ bool: 'bool', int: 'int', long: 'long', real: 'real', decimal: 'decimal', string: 'string', datetime: 'datetime', timespan: 'timespan', guid: 'guid' } as Record<string, string>)[t]!;
  const d = v as Dyn;
  if (d === null) return 'null';
  if (Array.isArray(d)) return 'array';
  if (typeof d === 'object') return 'dictionary';
  if (typeof d === 'string') return 'string';
  if (typeof d === 'boolean') return 'bool';
  if (typeof d === 'number') return Number.isInteger(d) ? 'long' : 'real';
  return 'null';
}

// ---- the table of implementations

const conv = (to: KType): Impl => (a) => {
  const f = a[0]!.f;
  const t = a[0]!.t;
  return (i) => convert(f(i), t, to);
};

function variadicStr(a: Arg[]): ((i: number) => string)[] {
  return a.map(str);
}

function condImpl(a: Arg[], ctx: FnCtx): Fn {
  // iff(c, a, b); case(c1, v1, c2, v2, ..., else)
  const fs = a.map((x) => castTo(x, ctx.t));
  const n = fs.length;
  return (i) => {
    let k = 0;
    for (; k + 1 < n; k += 2) if (fs[k]!(i) === true) return fs[k + 1]!(i);
    return k < n ? fs[k]!(i) : null;
  };
}

/** An argument converted to the call's result type (iff/case/coalesce branches of mixed numeric types). */
function castTo(a: Arg, t: KType): Fn {
  if (a.t === t || a.t === 'bool') return a.f;
  const f = a.f;
  const from = a.t;
  return (i) => convert(f(i), from, t);
}

const ROUND = (x: number, d: number) => {
  const m = 10 ** d;
  const v = x * m;
  const r = Math.sign(v) * Math.round(Math.abs(v));
  return r / m;
};

export const SCALARS: Record<string, Impl> = {
  tostring: (a) => str(a[0]!),
  toint: conv('int'),
  tolong: conv('long'),
  toreal: conv('real'),
  todouble: conv('real'),
  todecimal: conv('decimal'),
  tobool: conv('bool'),
  toboolean: conv('bool'),
  todatetime: conv('datetime'),
  totimespan: conv('timespan'),
  totime: conv('timespan'),
  toguid: conv('guid'),
  todynamic: (a) => {
    if (a[0]!.t !== 'string') return dyn(a[0]!);
    const s = str(a[0]!);
    return (i) => parseJson(s(i));
  },
  parse_json: (a) => SCALARS.todynamic!(a, {} as FnCtx),
  tolower: (a) => {
    const s = str(a[0]!);
    return (i) => s(i).toLowerCase();
  },
  toupper: (a) => {
    const s = str(a[0]!);
    return (i) => s(i).toUpperCase();
  },
  strlen: (a) => {
    const s = str(a[0]!);
    return (i) => [...s(i)].length;
  },
  strcat: (a) => {
    const ss = variadicStr(a);
    return (i) => {
      let r = '';
      for (const s of ss) r += s(i);
      return r;
    };
  },
  strcat_delim: (a) => {
    const ss = variadicStr(a);
    return (i) => ss.slice(1).map((s) => s(i)).join(ss[0]!(i));
  },
  strcat_array: (a) => {
    const d = dyn(a[0]!);
    const sep = str(a[1]!);
    return (i) => {
      const x = arr(d(i));
      return x ? x.map((v) => dynText(v)).join(sep(i)) : '';
    };
  },
  strrep: (a) => {
    const s = str(a[0]!);
    const n = num(a[1]!);
    const d = a[2] ? str(a[2]) : () => '';
    return (i) => {
      const k = n(i) ?? 0;
      return Array(Math.max(0, Math.min(k, 1024))).fill(s(i)).join(d(i));
    };
  },
  reverse: (a) => {
    const s = str(a[0]!);
    return (i) => [...s(i)].reverse().join('');
  },
  substring: (a) => {
    const s = str(a[0]!);
    const st = num(a[1]!);
    const ln = a[2] ? num(a[2]) : () => null;
    return (i) => {
      const chars = [...s(i)];
      let b = st(i) ?? 0;
      if (b < 0) b = Math.max(0, chars.length + b);
      const l = ln(i);
      return chars.slice(b, l === null ? undefined : b + Math.max(0, l)).join('');
    };
  },
  split: (a) => {
    const s = str(a[0]!);
    const d = str(a[1]!);
    const idx = a[2] ? num(a[2]) : null;
    return (i) => {
      const parts: Dyn[] = s(i).split(d(i));
      if (!idx) return parts;
      const k = idx(i);
      if (k === null || k < 0 || k >= parts.length) return [];
      return [parts[k]!];
    };
  },
  trim: (a) => trimImpl(a, true, true),
  trim_start: (a) => trimImpl(a, true, false),
  trim_end: (a) => trimImpl(a, false, true),
  indexof: (a) => {
    const s = str(a[0]!);
    const l = str(a[1]!);
    const st = a[2] ? num(a[2]) : () => 0;
    const ln = a[3] ? num(a[3]) : () => -1;
    const oc = a[4] ? num(a[4]) : () => 1;
    return (i) => {
      const h = s(i);
      const n = l(i);
      let from = st(i) ?? 0;
      if (from < 0) from = Math.max(0, h.length + from);
      if (from > h.length) return -1;
      const len = ln(i) ?? -1;
      let occ = oc(i) ?? 1;
      // each occurrence is looked for in `length` characters from where the search resumes: the
      // reference's examples give 9 for indexof("abcdefgabcdefg", "cde", 1, 10, 2) and -1 for
      // indexof("abcdefg", "cde", 1, 2)
      let p = from - 1;
      while (occ-- > 0) {
        const start = p + 1;
        const lim = len < 0 ? h.length : Math.min(h.length, start + len);
        p = h.indexOf(n, start);
        if (p < 0 || p + n.length > lim) return -1;
      }
      return p;
    };
  },
  replace_string: (a) => {
    const s = str(a[0]!);
    const l = str(a[1]!);
    const r = str(a[2]!);
    return (i) => {
      const n = l(i);
      return n === '' ? s(i) : s(i).split(n).join(r(i));
    };
  },
  replace_regex: (a) => replaceRegex(a[0]!, a[1]!, a[2]!),
  replace: (a) => replaceRegex(a[2]!, a[0]!, a[1]!),
  extract: (a, ctx) => {
    const re = regex(a[0]!);
    const g = num(a[1]!);
    const s = str(a[2]!);
    const target = a[3] ? ctx.t : 'string';
    return (i) => {
      const r = re(i);
      if (!r) return nullOfT(target);
      const m = r.exec(s(i));
      const k = g(i) ?? 0;
      if (!m || m[k] === undefined) return nullOfT(target);
      return target === 'string' ? m[k]! : convert(m[k]!, 'string', target);
    };
  },
  extract_all: (a) => {
    const re = regex(a[0]!, 'g');
    const groups = a.length === 3 ? dyn(a[1]!) : null;
    const s = str(a[a.length - 1]!);
    return (i) => {
      const r = re(i);
      if (!r) return null;
      const out: Dyn[] = [];
      r.lastIndex = 0;
      const text = s(i);
      let m: RegExpExecArray | null;
      const sel = groups ? (arr(groups(i)) ?? []) : null;
      while ((m = r.exec(text))) {
        if (m[0] === '') r.lastIndex++;
        if (sel) out.push(sel.map((g) => (typeof g === 'number' ? (m![g] ?? '') : (m!.groups?.[String(g)] ?? ''))));
        else if (m.length > 2) out.push(m.slice(1).map((x) => x ?? ''));
        else out.push(m[1] ?? m[0]);
      }
      return out.length ? out : null;
    };
  },
  extractjson: (a, ctx) => {
    const p = str(a[0]!);
    const s = str(a[1]!);
    const target = ctx.t;
    return (i) => {
      const path = p(i);
      let v: Dyn = parseJson(s(i));
      const steps = path.replace(/^\$/, '').match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? [];
      for (const st of steps) {
        if (st.startsWith('.')) v = dynIndex(v, st.slice(1));
        else {
          const k = st.slice(1, -1).replace(/^['"]|['"]$/g, '');
          v = dynIndex(v, /^-?\d+$/.test(k) ? Number(k) : k);
        }
        if (v === null) break;
      }
      if (target === 'string') return v === null ? '' : dynText(v);
      return convert(v, 'dynamic', target);
    };
  },
  countof: (a) => {
    const s = str(a[0]!);
    const sub = str(a[1]!);
    const kind = a[2] ? str(a[2]) : () => 'normal';
    return (i) => {
      const h = s(i);
      const n = sub(i);
      if (kind(i) === 'regex') return (h.match(toRegex(n, 'g')) ?? []).length;
      if (!n) return 0;
      let c = 0;
      for (let p = h.indexOf(n); p >= 0; p = h.indexOf(n, p + 1)) c++;
      return c;
    };
  },
  isempty: (a) => {
    const f = a[0]!.f;
    return (i) => {
      const v = f(i);
      return v === null || v === '' || v === undefined;
    };
  },
  isnotempty: (a) => {
    const f = a[0]!.f;
    return (i) => {
      const v = f(i);
      return !(v === null || v === '' || v === undefined);
    };
  },
  isnull: (a) => {
    const f = a[0]!.f;
    return (i) => isNull(f(i));
  },
  isnotnull: (a) => {
    const f = a[0]!.f;
    return (i) => !isNull(f(i));
  },
  not: (a) => {
    const f = a[0]!.f;
    return (i) => {
      const v = f(i);
      return v === null ? null : !v;
    };
  },
  iff: condImpl,
  iif: condImpl,
  case: condImpl,
  coalesce: (a, ctx) => {
    const fs = a.map((x) => castTo(x, ctx.t));
    return (i) => {
      for (const f of fs) {
        const v = f(i);
        if (!isNull(v) && !(ctx.t === 'string' && v === '')) return v;
      }
      return ctx.t === 'string' ? '' : null;
    };
  },
  now: (a, ctx) => {
    const off = a[0] ? ticks(a[0]) : () => 0n;
    // a constant offset (the usual case) is added once, not as a new BigInt per row
    if (!a[0] || a[0].isConst) {
      const v = ctx.now + (off(0) ?? 0n);
      return () => v;
    }
    return (i) => ctx.now + (off(i) ?? 0n);
  },
  ago: (a, ctx) => {
    const d = ticks(a[0]!);
    if (a[0]!.isConst) {
      const x = d(0);
      const v = x === null ? null : ctx.now - x;
      return () => v;
    }
    return (i) => {
      const x = d(i);
      return x === null ? null : ctx.now - x;
    };
  },
  bin: (a, ctx) => binImpl(a, ctx.t),
  floor: (a, ctx) => binImpl(a, ctx.t),
  bin_at: (a, ctx) => {
    const b = binImpl(a.slice(0, 2), ctx.t);
    const x = a[0]!.f;
    const sz = a[1]!.f;
    const at = a[2]!.f;
    if (ctx.t === 'datetime' || ctx.t === 'timespan')
      return (i) => {
        const v = x(i) as bigint | null;
        const s = sz(i) as bigint | null;
        const f = at(i) as bigint | null;
        if (v === null || s === null || f === null || s === 0n) return null;
        return floorDiv(v - f, s) * s + f;
      };
    void b;
    return (i) => {
      const v = x(i) as number | null;
      const s = sz(i) as number | null;
      const f = at(i) as number | null;
      if (v === null || s === null || f === null || s <= 0) return null;
      return Math.floor((v - f) / s) * s + f;
    };
  },
  startofday: (a) => dtShift(a, 'day', (t) => startOfDay(t)),
  endofday: (a) => dtShift(a, 'day', (t) => startOfDay(t) + TICKS_PER_DAY - 1n),
  startofweek: (a) => dtShift(a, 'week', (t) => startOfWeek(t)),
  endofweek: (a) => dtShift(a, 'week', (t) => startOfWeek(t) + 7n * TICKS_PER_DAY - 1n),
  startofmonth: (a) => dtShift(a, 'month', (t) => fromUtc(dtParts(t).y, dtParts(t).mo)),
  endofmonth: (a) => dtShift(a, 'month', (t) => fromUtc(dtParts(t).y, dtParts(t).mo + 1) - 1n),
  startofyear: (a) => dtShift(a, 'year', (t) => fromUtc(dtParts(t).y, 0)),
  endofyear: (a) => dtShift(a, 'year', (t) => fromUtc(dtParts(t).y + 1, 0) - 1n),
  dayofweek: u((t) => startOfDay(t as bigint) - startOfWeek(t as bigint)),
  dayofmonth: u((t) => dtParts(t as bigint).day),
  dayofyear: u((t) => Number((startOfDay(t as bigint) - fromUtc(dtParts(t as bigint).y, 0)) / TICKS_PER_DAY) + 1),
  hourofday: u((t) => dtParts(t as bigint).h),
  monthofyear: u((t) => dtParts(t as bigint).mo + 1),
  getmonth: u((t) => dtParts(t as bigint).mo + 1),
  getyear: u((t) => dtParts(t as bigint).y),
  datetime_part: (a) => {
    const p = str(a[0]!);
    const d = ticks(a[1]!);
    return (i) => {
      const t = d(i);
      if (t === null) return null;
      const x = dtParts(t);
      switch (p(i).toLowerCase()) {
        case 'year':
          return x.y;
        case 'quarter':
          return Math.floor(x.mo / 3) + 1;
        case 'month':
          return x.mo + 1;
        case 'day':
          return x.day;
        case 'week_of_year': {
          // ISO 8601 week number
          const d = new Date(Date.UTC(x.y, x.mo, x.day));
          const dow = d.getUTCDay() || 7;
          d.setUTCDate(d.getUTCDate() + 4 - dow);
          const y0 = new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
          return Math.ceil(((d.getTime() - y0.getTime()) / 86400000 + 1) / 7);
        }
        case 'dayofyear':
          return Number((startOfDay(t) - fromUtc(x.y, 0)) / TICKS_PER_DAY) + 1;
        case 'hour':
          return x.h;
        case 'minute':
          return x.mi;
        case 'second':
          return x.s;
        case 'millisecond':
          return Math.floor(x.sub / 10000);
        case 'microsecond':
          return Math.floor(x.sub / 10);
        case 'nanosecond':
          return x.sub * 100;
        default:
          return null;
      }
    };
  },
  datetime_diff: (a) => {
    const p = str(a[0]!);
    const x = ticks(a[1]!);
    const y = ticks(a[2]!);
    return (i) => {
      const u1 = x(i);
      const u2 = y(i);
      return u1 === null || u2 === null ? null : diffPart(p(i), u1, u2);
    };
  },
  datetime_add: (a) => {
    const p = str(a[0]!);
    const n = num(a[1]!);
    const d = ticks(a[2]!);
    return (i) => {
      const k = n(i);
      const t = d(i);
      return k === null || t === null ? null : addPart(p(i), k, t);
    };
  },
  format_datetime: (a) => {
    const d = ticks(a[0]!);
    const f = str(a[1]!);
    return (i) => {
      const t = d(i);
      return t === null ? '' : formatDt(t, f(i));
    };
  },
  make_datetime: (a) => {
    const ns = a.map(num);
    return (i) => {
      const v = ns.map((f) => f(i) ?? 0);
      const sec = v[5] ?? 0;
      return fromUtc(v[0]!, v[1]! - 1, v[2] ?? 1, v[3] ?? 0, v[4] ?? 0, Math.floor(sec)) + BigInt(Math.round((sec - Math.floor(sec)) * 1e7));
    };
  },
  make_timespan: (a) => {
    const ns = a.map(num);
    return (i) => {
      const v = ns.map((f) => f(i) ?? 0);
      if (v.length === 2) return BigInt(v[0]! * 3600 + v[1]! * 60) * TICKS_PER_SEC;
      if (v.length === 3) return BigInt(Math.round((v[0]! * 3600 + v[1]! * 60 + v[2]!) * 1e7));
      return BigInt(Math.round((v[0]! * 86400 + v[1]! * 3600 + v[2]! * 60 + v[3]!) * 1e7));
    };
  },
  unixtime_seconds_todatetime: u((x) => BigInt(Math.round((x as number) * 1e7))),
  unixtime_milliseconds_todatetime: u((x) => BigInt(Math.round((x as number) * 1e4))),
  unixtime_microseconds_todatetime: u((x) => BigInt(Math.round((x as number) * 10))),
  unixtime_nanoseconds_todatetime: u((x) => BigInt(Math.round((x as number) / 100))),
  todatetime_ticks: u((x) => BigInt(x as number)),
  abs: u((x, t) => (t === 'timespan' ? ((x as bigint) < 0n ? -(x as bigint) : x) : Math.abs(x as number))),
  round: (a) => {
    const x = num(a[0]!);
    const d = a[1] ? num(a[1]) : () => 0;
    return (i) => {
      const v = x(i);
      return v === null ? null : ROUND(v, d(i) ?? 0);
    };
  },
  ceiling: u((x) => Math.ceil(x as number)),
  sqrt: u((x) => Math.sqrt(x as number)),
  exp: u((x) => Math.exp(x as number)),
  exp2: u((x) => 2 ** (x as number)),
  exp10: u((x) => 10 ** (x as number)),
  log: u((x) => Math.log(x as number)),
  log2: u((x) => Math.log2(x as number)),
  log10: u((x) => Math.log10(x as number)),
  sign: u((x) => Math.sign(x as number)),
  pow: (a) => {
    const x = num(a[0]!);
    const y = num(a[1]!);
    return (i) => {
      const p = x(i);
      const q = y(i);
      return p === null || q === null ? null : p ** q;
    };
  },
  pi: () => () => Math.PI,
  isnan: u((x) => Number.isNaN(x as number)),
  isinf: u((x) => !Number.isFinite(x as number) && !Number.isNaN(x as number)),
  isfinite: u((x) => Number.isFinite(x as number)),
  max_of: (a, ctx) => minMaxOf(a, ctx, 1),
  min_of: (a, ctx) => minMaxOf(a, ctx, -1),
  gettype: (a) => {
    const f = a[0]!.f;
    const t = a[0]!.t;
    return (i) => gettype(f(i), t);
  },
  array_length: (a) => {
    const d = dyn(a[0]!);
    return (i) => {
      const x = d(i);
      return Array.isArray(x) ? x.length : null;
    };
  },
  pack_array: (a) => {
    const ds = a.map(dyn);
    return (i) => ds.map((d) => d(i));
  },
  bag_pack: (a) => packImpl(a),
  pack: (a) => packImpl(a),
  bag_keys: (a) => {
    const d = dyn(a[0]!);
    return (i) => {
      const x = d(i);
      return x && typeof x === 'object' && !Array.isArray(x) ? Object.keys(x) : null;
    };
  },
  bag_merge: (a) => {
    const ds = a.map(dyn);
    return (i) => {
      const o: Record<string, Dyn> = {};
      for (const d of ds) {
        const x = d(i);
        if (x && typeof x === 'object' && !Array.isArray(x)) for (const [k, v] of Object.entries(x)) if (!(k in o)) o[k] = v;
      }
      return o;
    };
  },
  bag_has_key: (a) => {
    const d = dyn(a[0]!);
    const k = str(a[1]!);
    return (i) => {
      const x = d(i);
      const key = k(i);
      if (key.startsWith('$')) {
        // a JSONPath: $.a.b or $['a']
        let v: Dyn = x;
        for (const st of key.slice(1).match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? []) {
          const name = st.startsWith('.') ? st.slice(1) : st.slice(1, -1).replace(/^['"]|['"]$/g, '');
          if (!v || typeof v !== 'object' || Array.isArray(v) || !(name in v)) return false;
          v = (v as Record<string, Dyn>)[name]!;
        }
        return true;
      }
      return !!x && typeof x === 'object' && !Array.isArray(x) && key in x;
    };
  },
  set_has_element: (a) => {
    const d = dyn(a[0]!);
    const e = dyn(a[1]!);
    return (i) => {
      const x = arr(d(i));
      if (!x) return null;
      const v = e(i);
      return x.some((y) => dynEq(y, v));
    };
  },
  array_index_of: (a) => {
    const d = dyn(a[0]!);
    const e = dyn(a[1]!);
    const st = a[2] ? num(a[2]) : () => 0;
    const ln = a[3] ? num(a[3]) : () => -1;
    const oc = a[4] ? num(a[4]) : () => 1;
    return (i) => {
      const x = arr(d(i));
      if (!x) return null;
      const v = e(i);
      let from = st(i) ?? 0;
      if (from < 0) from = Math.max(0, x.length + from);
      const len = ln(i) ?? -1;
      const lim = len < 0 ? x.length : Math.min(x.length, from + len);
      let occ = oc(i) ?? 1;
      for (let k = from; k < lim; k++) if (dynEq(x[k]!, v) && --occ === 0) return k;
      return -1;
    };
  },
  array_slice: (a) => {
    const d = dyn(a[0]!);
    const s = num(a[1]!);
    const e = num(a[2]!);
    return (i) => {
      const x = arr(d(i));
      if (!x) return null;
      let b = s(i) ?? 0;
      let en = e(i) ?? x.length - 1;
      if (b < 0) b += x.length;
      if (en < 0) en += x.length;
      return x.slice(Math.max(0, b), Math.max(0, en + 1));
    };
  },
  array_concat: (a) => {
    const ds = a.map(dyn);
    return (i) => {
      const out: Dyn[] = [];
      for (const d of ds) {
        const x = arr(d(i));
        if (!x) return null;
        out.push(...x);
      }
      return out;
    };
  },
  array_reverse: (a) => {
    const d = dyn(a[0]!);
    return (i) => {
      const x = arr(d(i));
      return x ? [...x].reverse() : null;
    };
  },
  array_sum: (a) => {
    const d = dyn(a[0]!);
    return (i) => {
      const x = arr(d(i));
      return x ? x.reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0) : null;
    };
  },
  set_difference: (a) => setOp(a, (first, rest) => first.filter((v) => !rest.some((r) => r.some((y) => dynEq(y, v))))),
  set_union: (a) => setOp(a, (first, rest) => [first, ...rest].flat()),
  set_intersect: (a) => setOp(a, (first, rest) => first.filter((v) => rest.every((r) => r.some((y) => dynEq(y, v))))),
  ipv4_is_in_range: (a) => {
    const x = str(a[0]!);
    const r = str(a[1]!);
    return (i) => ipv4InRange(x(i), r(i));
  },
  ipv4_is_in_any_range: (a) => {
    const x = str(a[0]!);
    const rs = a.slice(1).map(dyn);
    return (i) => {
      const ip = x(i);
      if (parseIPv4Cidr(ip) === null) return null;
      const ranges: Dyn[] = [];
      for (const r of rs) {
        const v = r(i);
        if (Array.isArray(v)) ranges.push(...v);
        else ranges.push(v);
      }
      return ranges.some((r) => typeof r === 'string' && ipv4InRange(ip, r) === true);
    };
  },
  ipv4_is_private: (a) => {
    const x = str(a[0]!);
    return (i) => {
      const c = parseIPv4Cidr(x(i));
      if (!c) return null;
      return PRIVATE_V4.some(([net, bits]) => c.bits >= bits && maskV4(c.ip, bits) === net);
    };
  },
  ipv4_is_match: (a) => {
    const x = str(a[0]!);
    const y = str(a[1]!);
    const p = a[2] ? num(a[2]) : () => 32;
    return (i) => {
      const c = parseIPv4Cidr(x(i));
      const d = parseIPv4Cidr(y(i));
      if (!c || !d) return null;
      const bits = Math.min(c.bits, d.bits, p(i) ?? 32);
      return maskV4(c.ip, bits) === maskV4(d.ip, bits);
    };
  },
  ipv4_compare: (a) => {
    const x = str(a[0]!);
    const y = str(a[1]!);
    const p = a[2] ? num(a[2]) : () => 32;
    return (i) => {
      const c = parseIPv4Cidr(x(i));
      const d = parseIPv4Cidr(y(i));
      if (!c || !d) return null;
      const bits = Math.min(c.bits, d.bits, p(i) ?? 32);
      const m = maskV4(c.ip, bits);
      const n = maskV4(d.ip, bits);
      return m < n ? -1 : m > n ? 1 : 0;
    };
  },
  parse_ipv4: (a) => {
    const x = str(a[0]!);
    return (i) => {
      const c = parseIPv4Cidr(x(i));
      return c ? maskV4(c.ip, c.bits) : null;
    };
  },
  parse_ipv4_mask: (a) => {
    const x = str(a[0]!);
    const m = num(a[1]!);
    return (i) => {
      const c = parseIPv4Cidr(x(i));
      const b = m(i);
      return c && b !== null ? maskV4(c.ip, Math.min(c.bits, b)) : null;
    };
  },
  ipv6_compare: (a) => {
    const x = str(a[0]!);
    const y = str(a[1]!);
    const p = a[2] ? num(a[2]) : () => 128;
    return (i) => ipv6Compare(x(i), y(i), p(i) ?? 128);
  },
  ipv6_is_match: (a) => {
    const x = str(a[0]!);
    const y = str(a[1]!);
    const p = a[2] ? num(a[2]) : () => 128;
    return (i) => {
      const c = ipv6Compare(x(i), y(i), p(i) ?? 128);
      return c === null ? null : c === 0;
    };
  },
  ipv6_is_in_range: (a) => {
    const x = str(a[0]!);
    const r = str(a[1]!);
    return (i) => {
      const c = parseIPv6Cidr(r(i));
      const ip = parseIPv6Cidr(x(i));
      if (!c || !ip) return null;
      return maskV6(ip.ip, c.bits) === maskV6(c.ip, c.bits);
    };
  },
  ipv6_is_in_any_range: (a) => {
    const x = str(a[0]!);
    const rs = a.slice(1).map(dyn);
    return (i) => {
      const ip = parseIPv6Cidr(x(i));
      if (!ip) return null;
      const ranges: Dyn[] = [];
      for (const r of rs) {
        const v = r(i);
        if (Array.isArray(v)) ranges.push(...v);
        else ranges.push(v);
      }
      return ranges.some((r) => {
        const c = typeof r === 'string' ? parseIPv6Cidr(r) : null;
        return !!c && maskV6(ip.ip, c.bits) === maskV6(c.ip, c.bits);
      });
    };
  },
  parse_ipv6: (a) => {
    const x = str(a[0]!);
    return (i) => {
      const c = parseIPv6Cidr(x(i));
      if (!c) return null;
      const v = maskV6(c.ip, c.bits);
      const g: string[] = [];
      for (let k = 7; k >= 0; k--) g.push(((v >> BigInt(k * 16)) & 0xffffn).toString(16).padStart(4, '0'));
      return g.join(':');
    };
  },
  hash: (a) => {
    // strings: XXH64 of the UTF-8 bytes; datetimes: of the 8 little-endian bytes of .NET ticks (0001-01-01)
    const key: (i: number) => bigint | null =
      a[0]!.t === 'datetime'
        ? ((f) => (i: number) => {
            const t = f(i) as bigint | null;
            return t === null ? null : kustoHashTicks(t + DOTNET_EPOCH_TICKS);
          })(a[0]!.f)
        : ((s) => (i: number) => kustoHash(s(i)))(str(a[0]!));
    const mod = a[1] ? num(a[1]) : null;
    return (i) => {
      const h = key(i);
      if (h === null) return null;
      if (!mod) return Number(h); // beyond 2^53 the JS number is approximate (documented limitation)
      const m = mod(i);
      if (!m) return null;
      const r = h % BigInt(m);
      return Number(r < 0n ? r + BigInt(m) : r);
    };
  },
  hash_sha256: (a) => hashImpl(a, 'sha256'),
  hash_sha1: (a) => hashImpl(a, 'sha1'),
  hash_md5: (a) => hashImpl(a, 'md5'),
  base64_encode_tostring: (a) => {
    const s = str(a[0]!);
    return (i) => Buffer.from(s(i), 'utf8').toString('base64');
  },
  base64_decode_tostring: (a) => {
    const s = str(a[0]!);
    const dec = new TextDecoder('utf-8', { fatal: true });
    return (i) => {
      try {
        return dec.decode(Buffer.from(s(i), 'base64'));
      } catch {
        return ''; // not valid UTF-8
      }
    };
  },
  url_decode: (a) => {
    const s = str(a[0]!);
    return (i) => {
      try {
        return decodeURIComponent(s(i).replace(/\+/g, ' '));
      } catch {
        return '';
      }
    };
  },
  url_encode_component: (a) => {
    const s = str(a[0]!);
    return (i) => encodeURIComponent(s(i));
  },
  sin: u((x) => Math.sin(x as number)),
  cos: u((x) => Math.cos(x as number)),
  tan: u((x) => Math.tan(x as number)),
  cot: u((x) => 1 / Math.tan(x as number)),
  asin: u((x) => Math.asin(x as number)),
  acos: u((x) => Math.acos(x as number)),
  atan: u((x) => Math.atan(x as number)),
  atan2: (a) => {
    const y = num(a[0]!);
    const x = num(a[1]!);
    return (i) => {
      const p = y(i);
      const q = x(i);
      return p === null || q === null ? null : Math.atan2(p, q);
    };
  },
  degrees: u((x) => ((x as number) * 180) / Math.PI),
  radians: u((x) => ((x as number) * Math.PI) / 180),
  week_of_year: (a) => {
    const d = ticks(a[0]!);
    return (i) => {
      const t = d(i);
      if (t === null) return null;
      const x = dtParts(t);
      const dt = new Date(Date.UTC(x.y, x.mo, x.day));
      const dow = dt.getUTCDay() || 7;
      dt.setUTCDate(dt.getUTCDate() + 4 - dow);
      const y0 = Date.UTC(dt.getUTCFullYear(), 0, 1);
      return Math.ceil(((dt.getTime() - y0) / 86400000 + 1) / 7);
    };
  },
  strcmp: (a) => {
    const x = str(a[0]!);
    const y = str(a[1]!);
    return (i) => {
      const p = x(i);
      const q = y(i);
      return p < q ? -1 : p > q ? 1 : 0;
    };
  },
  repeat: (a) => {
    const v = dyn(a[0]!);
    const n = num(a[1]!);
    return (i) => {
      const k = n(i);
      if (k === null || k < 0) return null;
      return Array(Math.min(k, 1_000_000)).fill(v(i));
    };
  },
  set_equals: (a) => {
    const x = dyn(a[0]!);
    const y = dyn(a[1]!);
    return (i) => {
      const p = arr(x(i));
      const q = arr(y(i));
      if (!p || !q) return null;
      const s1 = new Set(p.map((v) => JSON.stringify(v)));
      const s2 = new Set(q.map((v) => JSON.stringify(v)));
      return s1.size === s2.size && [...s1].every((k) => s2.has(k));
    };
  },
  regex_quote: (a) => {
    const s = str(a[0]!);
    return (i) => s(i).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  },
  bag_remove_keys: (a) => {
    const d = dyn(a[0]!);
    const k = dyn(a[1]!);
    return (i) => {
      const x = d(i);
      const keys = arr(k(i)) ?? [];
      if (!x || typeof x !== 'object' || Array.isArray(x)) return null;
      const o: Record<string, Dyn> = { ...x };
      for (const key of keys) {
        if (typeof key !== 'string') continue;
        // a JSONPath ('$.key2.prop1', "$['a']") removes a nested key; the bags on the way are copied
        const path = key.startsWith('$') ? jsonPathKeys(key) : [key];
        if (!path || !path.length) continue;
        let cur: Record<string, Dyn> = o;
        for (let j = 0; j < path.length - 1 && cur; j++) {
          const next = cur[path[j]!];
          if (!next || typeof next !== 'object' || Array.isArray(next)) {
            cur = null as unknown as Record<string, Dyn>;
            break;
          }
          cur = cur[path[j]!] = { ...(next as Record<string, Dyn>) };
        }
        if (cur) delete cur[path[path.length - 1]!];
      }
      return o;
    };
  },
  array_sort_asc: (a) => arraySort(a, 1),
  array_sort_desc: (a) => arraySort(a, -1),
  range: (a) => {
    const f0 = a[0]!;
    const isTicks = f0.t === 'datetime' || f0.t === 'timespan';
    const start = a[0]!.f;
    const stop = a[1]!.f;
    const step = a[2] ? a[2].f : () => (isTicks ? null : 1);
    return (i) => {
      const x = start(i);
      const y = stop(i);
      const z = step(i);
      if (x === null || y === null || z === null) return null;
      const out: Dyn[] = [];
      if (isTicks) {
        const st = z as bigint;
        if (st === 0n) return null;
        for (let v = x as bigint; st > 0n ? v <= (y as bigint) : v >= (y as bigint); v += st) {
          out.push(toDyn(v, f0.t));
          if (out.length >= 1_048_576) break;
        }
        return out;
      }
      const st = Number(z);
      if (st === 0) return null;
      for (let k = 0; ; k++) {
        const v = Number(x) + k * st;
        if (st > 0 ? v > Number(y) : v < Number(y)) break;
        out.push(v);
        if (out.length >= 1_048_576) break;
      }
      return out;
    };
  },
  bag_zip: (a) => {
    const k = dyn(a[0]!);
    const v = dyn(a[1]!);
    return (i) => {
      const ks = arr(k(i));
      const vs = arr(v(i)) ?? [];
      if (!ks) return null;
      const o: Record<string, Dyn> = {};
      ks.forEach((key, j) => {
        if (typeof key === 'string') o[key] = j < vs.length ? vs[j]! : null;
      });
      return o;
    };
  },
  unicode_codepoints_from_string: (a) => {
    const s = str(a[0]!);
    return (i) => [...s(i)].map((ch) => ch.codePointAt(0)!);
  },
  unicode_codepoints_to_string: (a) => {
    // any mix of code points and arrays of them
    const ds = a.map(dyn);
    return (i) => {
      const cps: number[] = [];
      for (const d of ds) {
        const x = d(i);
        for (const n of Array.isArray(x) ? x : [x]) if (typeof n === 'number') cps.push(n);
      }
      try {
        return String.fromCodePoint(...cps);
      } catch {
        return '';
      }
    };
  },
  has_ipv4: (a) => ipTextImpl(a, false),
  has_any_ipv4: (a) => ipTextImpl(a, false),
  has_ipv4_prefix: (a) => ipTextImpl(a, true),
  has_any_ipv4_prefix: (a) => ipTextImpl(a, true),
  array_shift_left: (a) => shiftImpl(a, -1),
  array_shift_right: (a) => shiftImpl(a, 1),
  array_rotate_left: (a) => rotateImpl(a, -1),
  array_rotate_right: (a) => rotateImpl(a, 1),
  isascii: (a) => {
    const s = str(a[0]!);
    return (i) => /^[\x00-\x7f]*$/.test(s(i));
  },
};

function arraySort(a: Arg[], sign: number): Fn {
  if (a.length > 1 && a.slice(1).some((x) => x.t === 'dynamic')) throw new EvalError('array_sort with several arrays is not supported');
  const d = dyn(a[0]!);
  const nullsLastArg = a[1] ? a[1].f : () => true;
  return (i) => {
    const x = arr(d(i));
    if (!x) return null;
    const nullsLast = nullsLastArg(i) !== false;
    const vals = x.filter((v) => v !== null);
    const nulls = x.length - vals.length;
    vals.sort((p, q) => sign * compareVals(p as Val, q as Val));
    const ns = Array<Dyn>(nulls).fill(null);
    return nullsLast ? [...vals, ...ns] : [...ns, ...vals];
  };
}

/** IPv4 addresses written in a text: maximal runs of digits and dots, not touching a letter. */
function ipv4sIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[0-9.]+/g)) {
    const before = text[m.index! - 1] ?? '';
    const after = text[m.index! + m[0].length] ?? '';
    if (/[A-Za-z_]/.test(before) || /[A-Za-z_]/.test(after)) continue;
    if (parseIPv4(m[0]) !== null) out.push(m[0]);
  }
  return out;
}

/** has_ipv4 / has_any_ipv4 and their _prefix forms (a prefix ends with a dot). */
function ipTextImpl(a: Arg[], prefix: boolean): Fn {
  const text = str(a[0]!);
  const rest = a.slice(1).map(dyn);
  return (i) => {
    const wanted: string[] = [];
    for (const r of rest) {
      const v = r(i);
      for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string') wanted.push(x);
    }
    const found = ipv4sIn(text(i));
    return wanted.some((w) => (prefix ? (w.endsWith('.') ? found.some((ip) => ip.startsWith(w)) : found.includes(w)) : parseIPv4(w) !== null && found.includes(w)));
  };
}

function shiftImpl(a: Arg[], dir: number): Fn {
  const d = dyn(a[0]!);
  const n = num(a[1]!);
  const fill = a[2] ? dyn(a[2]) : () => null;
  return (i) => {
    const x = arr(d(i));
    const k = n(i);
    if (!x || k === null) return null;
    const len = x.length;
    const by = Math.trunc(k) * dir; // > 0 moves elements right
    return Array.from({ length: len }, (_, j) => {
      const src = j - by;
      return src >= 0 && src < len ? x[src]! : fill(i);
    });
  };
}

function rotateImpl(a: Arg[], dir: number): Fn {
  const d = dyn(a[0]!);
  const n = num(a[1]!);
  return (i) => {
    const x = arr(d(i));
    const k = n(i);
    if (!x || k === null) return null;
    const len = x.length;
    if (!len) return [];
    const by = (((Math.trunc(k) * dir) % len) + len) % len;
    return Array.from({ length: len }, (_, j) => x[(j - by + len) % len]!);
  };
}

function nullOfT(t: KType): Val {
  return t === 'string' ? '' : null;
}

function trimImpl(a: Arg[], start: boolean, end: boolean): Fn {
  const re = regex(a[0]!);
  const s = str(a[1]!);
  return (i) => {
    const r = re(i);
    let v = s(i);
    if (!r) return v;
    const src = r.source;
    if (start) v = v.replace(new RegExp('^(?:' + src + ')+', r.flags), '');
    if (end) v = v.replace(new RegExp('(?:' + src + ')+$', r.flags), '');
    return v;
  };
}

function replaceRegex(text: Arg, re: Arg, rep: Arg): Fn {
  const r = regex(re, 'g');
  const s = str(text);
  const p = str(rep);
  return (i) => {
    const x = r(i);
    if (!x) return s(i);
    // Kusto uses \1 for groups; JS uses $1
    const repl = p(i).replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
    return s(i).replace(x, repl);
  };
}

function binImpl(a: Arg[], t: KType): Fn {
  const x = a[0]!.f;
  const sz = a[1]!.f;
  const st = a[1]!.t;
  if (t === 'datetime' || t === 'timespan') {
    return (i) => {
      const v = x(i) as bigint | null;
      const s = sz(i);
      if (v === null || s === null) return null;
      const size = typeof s === 'bigint' ? s : BigInt(Math.round(Number(s) * Number(TICKS_PER_DAY)));
      if (size <= 0n) return null;
      return floorDiv(v, size) * size;
    };
  }
  void st;
  return (i) => {
    const v = x(i);
    const s = sz(i);
    if (v === null || s === null) return null;
    const size = Number(s);
    if (size <= 0) return null;
    const r = Math.floor(Number(v) / size) * size;
    return t === 'long' || t === 'int' ? Math.trunc(r) : r;
  };
}

type Period = 'day' | 'week' | 'month' | 'year';

/** startof.../endof... with an optional offset in whole periods. */
function dtShift(a: Arg[], unit: Period, g: (t: bigint) => bigint): Fn {
  const d = ticks(a[0]!);
  const off = a[1] ? num(a[1]) : null;
  return (i) => {
    const t = d(i);
    if (t === null) return null;
    const k = off ? (off(i) ?? 0) : 0;
    if (k === 0) return g(t);
    const x = dtParts(t);
    switch (unit) {
      case 'day':
        return g(t + BigInt(k) * TICKS_PER_DAY);
      case 'week':
        return g(t + BigInt(k) * 7n * TICKS_PER_DAY);
      case 'month':
        return g(fromUtc(x.y, x.mo + k));
      case 'year':
        return g(fromUtc(x.y + k, 0));
    }
  };
}

function minMaxOf(a: Arg[], ctx: FnCtx, sign: number): Fn {
  const fs = a.map((x) => castTo(x, ctx.t));
  return (i) => {
    let best: Val = null;
    for (const f of fs) {
      const v = f(i);
      if (isNull(v)) continue;
      if (best === null || compareVals(v, best) * sign > 0) best = v;
    }
    return best;
  };
}

function packImpl(a: Arg[]): Fn {
  const pairs: [(i: number) => string, (i: number) => Dyn][] = [];
  for (let k = 0; k + 1 < a.length; k += 2) pairs.push([str(a[k]!), dyn(a[k + 1]!)]);
  return (i) => {
    const o: Record<string, Dyn> = {};
    for (const [kf, vf] of pairs) o[kf(i)] = vf(i);
    return o;
  };
}

function setOp(a: Arg[], g: (first: Dyn[], rest: Dyn[][]) => Dyn[]): Fn {
  const ds = a.map(dyn);
  return (i) => {
    const xs = ds.map((d) => arr(d(i)));
    if (xs.some((x) => !x)) return null;
    const r = g(xs[0]!, xs.slice(1) as Dyn[][]);
    const out: Dyn[] = [];
    const seen = new Set<string>();
    for (const v of r) {
      const k = JSON.stringify(v);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(v);
      }
    }
    return out;
  };
}

/** Keys of a JSONPath made of names only ($.a.b, $['a'].b); null for anything else. */
function jsonPathKeys(p: string): string[] | null {
  const out: string[] = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < p.length) {
    const m = re.exec(p);
    if (!m) return null;
    out.push(m[1] ?? m[2] ?? m[3]!);
  }
  return out;
}

function hashImpl(a: Arg[], alg: string): Fn {
  const s = str(a[0]!);
  return (i) => createHash(alg).update(s(i), 'utf8').digest('hex');
}

export { parseDatetime, formatDatetime };
