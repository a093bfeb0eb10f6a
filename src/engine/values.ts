// Kusto scalar values as plain JS values.
// bool: boolean | null; int, long, real, decimal: number | null; string: string (never null);
// datetime, timespan: bigint ticks (100 ns; datetime counted from the Unix epoch) | null;
// guid: lower-case string | null; dynamic: JSON-like value (null, boolean, number, string, array, object).

export type KType = 'bool' | 'int' | 'long' | 'real' | 'decimal' | 'string' | 'datetime' | 'timespan' | 'guid' | 'dynamic';
export type Dyn = null | boolean | number | string | Dyn[] | { [k: string]: Dyn };
export type Val = null | boolean | number | string | bigint | Dyn;

export const TICKS_PER_MS = 10_000n;
export const TICKS_PER_SEC = 10_000_000n;
export const TICKS_PER_DAY = 864_000_000_000n;

export function normType(t: string): KType {
  switch (t) {
    case 'boolean':
      return 'bool';
    case 'date':
      return 'datetime';
    case 'time':
      return 'timespan';
    case 'double':
    case 'float':
      return 'real';
    case 'uniqueid':
      return 'guid';
    case 'bool':
    case 'int':
    case 'long':
    case 'real':
    case 'decimal':
    case 'string':
    case 'datetime':
    case 'timespan':
    case 'guid':
    case 'dynamic':
      return t;
    default:
      return 'dynamic';
  }
}

export function isNumericType(t: KType): boolean {
  return t === 'int' || t === 'long' || t === 'real' || t === 'decimal';
}

export function nullOf(t: KType): Val {
  return t === 'string' ? '' : null;
}

const DT_RE = /^(-?\d{4,})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO-like datetime into ticks; null when it cannot. */
export function parseDatetime(s: string): bigint | null {
  const t = s.trim();
  const m = DT_RE.exec(t);
  if (m) {
    const y = Number(m[1]);
    const d = new Date(0);
    d.setUTCFullYear(y, Number(m[2]) - 1, Number(m[3]));
    d.setUTCHours(Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), 0);
    const ms = d.getTime();
    if (Number.isNaN(ms)) return null;
    let ticks = BigInt(ms) * TICKS_PER_MS;
    if (m[7]) ticks += BigInt((m[7] + '000000').slice(0, 7));
    const z = m[8];
    if (z && z[0] !== 'Z' && z[0] !== 'z' && z !== 'UTC' && z !== 'GMT') {
      const sign = z[0] === '-' ? -1n : 1n;
      const hh = BigInt(z.slice(1, 3));
      const mm = BigInt(z.slice(-2));
      ticks -= sign * (hh * 60n + mm) * 60n * TICKS_PER_SEC;
    }
    return ticks;
  }
  // US form, as the portal's CSV export writes it: 4/19/2021, 12:13:19.483 PM (also 12-02-2022)
  const us = /^(\d{1,2})([/-])(\d{1,2})\2(\d{4}),?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?\s*([AaPp][Mm])?)?$/.exec(t);
  if (us && +us[1]! >= 1 && +us[1]! <= 12 && +us[3]! >= 1 && +us[3]! <= 31) {
    let h = Number(us[5] ?? 0);
    if (us[9]) h = (h % 12) + (/^p/i.test(us[9]) ? 12 : 0);
    const ms = Date.UTC(Number(us[4]), Number(us[1]) - 1, Number(us[3]), h, Number(us[6] ?? 0), Number(us[7] ?? 0));
    return BigInt(ms) * TICKS_PER_MS + BigInt(((us[8] ?? '') + '0000000').slice(0, 7));
  }
  if (!/[a-zA-Z]{3}/.test(t)) return null;
  const ms = Date.parse(/(GMT|UTC|Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : t + ' GMT');
  return Number.isNaN(ms) ? null : BigInt(ms) * TICKS_PER_MS;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** ISO 8601 UTC with Z; 7 fractional digits when the value has a fraction (or always, with `full`). */
export function formatDatetime(t: bigint, full = false): string {
  let ms = t / TICKS_PER_MS;
  let rem = t % TICKS_PER_MS;
  if (rem < 0n) {
    rem += TICKS_PER_MS;
    ms -= 1n;
  }
  const d = new Date(Number(ms));
  const y = d.getUTCFullYear();
  const frac = Number(ms % 1000n < 0n ? (ms % 1000n) + 1000n : ms % 1000n) * 10000 + Number(rem);
  const base = `${y < 0 ? '-' + pad(-y, 4) : pad(y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return frac || full ? `${base}.${pad(frac, 7)}Z` : `${base}Z`;
}

/** Kusto's timespan text: [-][d.]hh:mm:ss[.fffffff]. */
export function formatTimespan(t: bigint): string {
  const neg = t < 0n;
  let a = neg ? -t : t;
  const days = a / TICKS_PER_DAY;
  a %= TICKS_PER_DAY;
  const h = a / (3600n * TICKS_PER_SEC);
  a %= 3600n * TICKS_PER_SEC;
  const m = a / (60n * TICKS_PER_SEC);
  a %= 60n * TICKS_PER_SEC;
  const s = a / TICKS_PER_SEC;
  const f = a % TICKS_PER_SEC;
  let out = `${neg ? '-' : ''}${days ? days + '.' : ''}${pad(Number(h), 2)}:${pad(Number(m), 2)}:${pad(Number(s), 2)}`;
  if (f) out += '.' + pad(Number(f), 7);
  return out;
}

const UNIT_TICKS: Record<string, bigint> = {
  d: TICKS_PER_DAY,
  day: TICKS_PER_DAY,
  days: TICKS_PER_DAY,
  h: 3600n * TICKS_PER_SEC,
  hr: 3600n * TICKS_PER_SEC,
  hrs: 3600n * TICKS_PER_SEC,
  hour: 3600n * TICKS_PER_SEC,
  hours: 3600n * TICKS_PER_SEC,
  m: 60n * TICKS_PER_SEC,
  min: 60n * TICKS_PER_SEC,
  minute: 60n * TICKS_PER_SEC,
  minutes: 60n * TICKS_PER_SEC,
  s: TICKS_PER_SEC,
  sec: TICKS_PER_SEC,
  second: TICKS_PER_SEC,
  seconds: TICKS_PER_SEC,
  ms: TICKS_PER_MS,
  milli: TICKS_PER_MS,
  millis: TICKS_PER_MS,
  millisecond: TICKS_PER_MS,
  milliseconds: TICKS_PER_MS,
  microsecond: 10n,
  microseconds: 10n,
  tick: 1n,
  ticks: 1n,
};

/** Exact decimal text times a tick count (no float rounding). */
function scaleDecimal(num: string, unit: bigint): bigint {
  const neg = num.startsWith('-');
  const s = neg ? num.slice(1) : num;
  const [i, f = ''] = s.split('.');
  const scale = 10n ** BigInt(f.length);
  const v = (BigInt(i || '0') * scale + BigInt(f || '0')) * unit;
  const r = v / scale;
  return neg ? -r : r;
}

/** Timespan literal (`3d`, `1.5h`, `time(1.02:03:04)`) or text (`1.02:03:04.5`); null when unknown. */
export function parseTimespan(src: string): bigint | null {
  let s = src.trim();
  const wrapped = /^(?:time|timespan)\((.*)\)$/i.exec(s);
  if (wrapped) s = wrapped[1]!.trim();
  if (s === '' || s === 'null') return null;
  let m = /^(-?\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(s);
  if (m) {
    const unit = UNIT_TICKS[m[2]!.toLowerCase()];
    return unit === undefined ? null : scaleDecimal(m[1]!, unit);
  }
  m = /^(-)?(?:(\d+)\.)?(\d+):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(s);
  if (m) {
    const v =
      BigInt(m[2] ?? '0') * TICKS_PER_DAY +
      BigInt(m[3]!) * 3600n * TICKS_PER_SEC +
      BigInt(m[4]!) * 60n * TICKS_PER_SEC +
      BigInt(m[5] ?? '0') * TICKS_PER_SEC +
      BigInt(((m[6] ?? '') + '0000000').slice(0, 7));
    return m[1] ? -v : v;
  }
  m = /^(-?\d+)$/.exec(s);
  if (m) return BigInt(m[1]!) * TICKS_PER_DAY;
  return null;
}

/** Kusto's text form of a real. */
export function formatReal(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const s = String(x);
  // .NET writes exponents as E+XX / E-XX
  return s.replace(/e([+-])(\d+)$/, (_, sg: string, d: string) => `E${sg}${d.padStart(2, '0')}`);
}

/** Converts a typed value into its `tostring()` text. */
export function toText(v: Val, t: KType): string {
  if (v === null || v === undefined) return '';
  switch (t) {
    case 'string':
      return v as string;
    case 'bool':
      return v ? 'true' : 'false';
    case 'int':
    case 'long':
    case 'decimal':
      return typeof v === 'number' && !Number.isInteger(v) ? formatReal(v) : String(v);
    case 'real':
      return formatReal(v as number);
    case 'datetime':
      // tostring() writes all 7 fractional digits (reverse-function.md shows them)
      return formatDatetime(v as bigint, true);
    case 'timespan':
      return formatTimespan(v as bigint);
    case 'guid':
      return v as string;
    case 'dynamic':
      return dynText(v as Dyn);
  }
}

/** tostring() of a dynamic value: strings unquoted, everything else as JSON. */
export function dynText(v: Dyn): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatReal(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

/** A typed value as a dynamic (datetimes and timespans become their text). */
export function toDyn(v: Val, t: KType): Dyn {
  if (v === null || v === undefined) return null;
  switch (t) {
    case 'datetime':
      // inside dynamic values Kusto writes datetimes with all 7 fractional digits
      return formatDatetime(v as bigint, true);
    case 'timespan':
      return formatTimespan(v as bigint);
    case 'dynamic':
      return v as Dyn;
    default:
      if (typeof v === 'bigint') return Number(v);
      return v as Dyn;
  }
}

export function parseGuid(s: string): string | null {
  const t = s.trim().replace(/^\{|\}$/g, '');
  if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(t)) return null;
  const h = t.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function parseNumber(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  if (/^(nan)$/i.test(t)) return NaN;
  if (/^[+]?inf(inity)?$/i.test(t)) return Infinity;
  if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !/^0x[0-9a-f]+$/i.test(t)) return null;
  const n = Number(t);
  return Number.isNaN(n) ? null : n;
}

/** Converts any value of type `from` into type `to` (Kusto's to*() rules; null when not convertible). */
export function convert(v: Val, from: KType, to: KType): Val {
  if (from === to) return v;
  if (v === null || v === undefined) return nullOf(to);
  if (to === 'string') return toText(v, from);
  if (to === 'dynamic') return toDyn(v, from);
  if (from === 'dynamic') {
    const d = v as Dyn;
    if (typeof d === 'string') return convert(d, 'string', to);
    if (typeof d === 'number') return convert(d, 'real', to === 'int' || to === 'long' ? to : to);
    if (typeof d === 'boolean') return convert(d, 'bool', to);
    return null;
  }
  switch (to) {
    case 'bool':
      if (from === 'string') {
        const s = (v as string).trim().toLowerCase();
        if (s === 'true') return true;
        if (s === 'false') return false;
        const n = parseNumber(s);
        return n === null ? null : n !== 0;
      }
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'bigint') return v !== 0n;
      return null;
    case 'int':
    case 'long': {
      let n: number | null;
      if (from === 'string') n = parseNumber(v as string);
      else if (from === 'bool') n = v ? 1 : 0;
      else if (typeof v === 'bigint') n = Number(v);
      else if (typeof v === 'number') n = v;
      else n = null;
      if (n === null || !Number.isFinite(n)) return null;
      const r = Math.trunc(n);
      return to === 'int' ? (r > 2147483647 || r < -2147483648 ? null : r) : r;
    }
    case 'real':
    case 'decimal': {
      if (from === 'string') return parseNumber(v as string);
      if (from === 'bool') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'number') return v;
      return null;
    }
    case 'datetime':
      if (from === 'string') return parseDatetime(v as string);
      if (from === 'long' || from === 'int') return null;
      return null;
    case 'timespan':
      if (from === 'string') return parseTimespan(v as string);
      if (from === 'long' || from === 'int') return BigInt(Math.trunc(v as number));
      if (from === 'real') return BigInt(Math.trunc(v as number));
      return null;
    case 'guid':
      if (from === 'string') return parseGuid(v as string);
      return null;
  }
  return null;
}

/** Total order used by sort, min/max and comparisons of same-typed values; nulls handled by callers. */
export function compareVals(a: Val, b: Val): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
    if (Number.isNaN(b)) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Key text for grouping/joining: equal values give equal keys. */
export function keyOf(v: Val): string {
  if (v === null || v === undefined) return '\u0000n';
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'number':
      return 'n' + v;
    case 'bigint':
      return 'b' + v;
    case 'boolean':
      return v ? 't' : 'f';
    default:
      return 'j' + JSON.stringify(v);
  }
}

/** Value for JSON output: datetimes/timespans as text, longs as numbers, dynamic as is. */
export function toJsonValue(v: Val, t: KType): unknown {
  if (v === null || v === undefined) return t === 'string' ? '' : null;
  if (t === 'datetime') return formatDatetime(v as bigint);
  if (t === 'timespan') return formatTimespan(v as bigint);
  if (t === 'real' && typeof v === 'number' && !Number.isFinite(v)) return formatReal(v);
  return v;
}
