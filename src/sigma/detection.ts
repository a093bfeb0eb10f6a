// Sigma search identifiers (maps, lists of maps, keyword lists) with their value modifiers, turned
// into a small boolean IR (Cond) that knows nothing about KQL or tables.
import type { Path, YamlSource } from '../rules/source.js';
import { SigmaError } from './model.js';

/** A piece of a Sigma string value: literal text or a live wildcard. */
export type Part = { t: 'lit'; s: string } | { t: 'any' } | { t: 'one' };

/** field null = keyword search over the whole event. */
export type Cond =
  | { k: 'and' | 'or'; xs: Cond[] }
  | { k: 'not'; x: Cond }
  | { k: 'const'; v: boolean }
  | { k: 'str'; field: string | null; op: 'eq' | 'contains' | 'startswith' | 'endswith'; value: string; cased: boolean }
  | { k: 'glob'; field: string | null; parts: Part[]; cased: boolean }
  | { k: 're'; field: string | null; pattern: string; flags: string }
  | { k: 'num'; field: string; op: '==' | '<' | '<=' | '>' | '>='; n: number }
  | { k: 'bool'; field: string; v: boolean }
  | { k: 'null'; field: string }
  | { k: 'exists'; field: string; v: boolean }
  | { k: 'cidr'; field: string; cidr: string; v6: boolean }
  | { k: 'fieldref'; field: string; other: string; op: 'eq' | 'contains' | 'startswith' | 'endswith'; cased: boolean }
  | { k: 'timepart'; field: string; part: string; op: '==' | '<' | '<=' | '>' | '>='; n: number };

/** Placeholder name (without %) -> values. */
export type Placeholders = Record<string, string[]>;

export interface DetectionContext {
  src: YamlSource;
  placeholders: Placeholders;
}

const MATCH_MODS = new Set(['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'gt', 'gte', 'lt', 'lte', 'fieldref']);
const TIME_MODS: Record<string, string> = { minute: 'minute', hour: 'hour', day: 'day', week: 'week_of_year', month: 'month', year: 'year' };
const RE_FLAGS: Record<string, string> = { i: 'i', ignorecase: 'i', m: 'm', multiline: 'm', s: 's', dotall: 's' };
const ENCODERS = new Set(['base64', 'base64offset', 'utf16le', 'wide', 'utf16be', 'utf16', 'windash']);
const KNOWN = new Set([...MATCH_MODS, ...Object.keys(TIME_MODS), ...Object.keys(RE_FLAGS), ...ENCODERS, 'all', 'cased', 'expand', 'neq']);
const CMP: Record<string, '<' | '<=' | '>' | '>='> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** Splits a Sigma string into literal text and wildcards (`\*`, `\?`, `\\` escape; a lone `\` is literal). */
export function parseWildcards(s: string): Part[] {
  const out: Part[] = [];
  let lit = '';
  const flush = () => {
    if (lit) out.push({ t: 'lit', s: lit });
    lit = '';
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && '*?\\'.includes(s[i + 1]!)) {
      lit += s[++i];
    } else if (c === '*' || c === '?') {
      flush();
      out.push({ t: c === '*' ? 'any' : 'one' });
    } else lit += c;
  }
  flush();
  return out;
}

const litText = (parts: Part[]): string | null => (parts.every((p) => p.t === 'lit') ? parts.map((p) => (p as { s: string }).s).join('') : null);

/** The narrowest string test for a wildcard pattern: equality, startswith/endswith/contains, or a glob. */
export function patternCond(field: string | null, parts: Part[], cased: boolean): Cond {
  const ps = [...parts];
  let lead = false;
  let trail = false;
  while (ps[0]?.t === 'any') (ps.shift(), (lead = true));
  while (ps.length && ps[ps.length - 1]!.t === 'any') (ps.pop(), (trail = true));
  const text = litText(ps);
  if (text !== null) {
    if (!text) return lead || trail ? { k: 'glob', field, parts: [{ t: 'any' }], cased } : { k: 'str', field, op: 'eq', value: '', cased };
    const op = lead && trail ? 'contains' : lead ? 'endswith' : trail ? 'startswith' : 'eq';
    return { k: 'str', field, op, value: text, cased };
  }
  return { k: 'glob', field, parts, cased };
}

type Raw = string | number | boolean | null;

interface Item {
  field: string | null;
  mods: string[];
  values: Raw[];
  path: Path;
}

function fail(ctx: DetectionContext, path: Path, msg: string, key = false): never {
  throw new SigmaError(ctx.src, path, msg, { key });
}

/** One search identifier (`detection.<name>`) as a Cond. */
export function searchCond(ctx: DetectionContext, name: string, value: unknown): Cond {
  const path: Path = ['detection', name];
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => v && typeof v === 'object' && !Array.isArray(v)))
      return or(value.map((m, i) => mapCond(ctx, m as Record<string, unknown>, [...path, i])));
    if (value.some((v) => v && typeof v === 'object')) fail(ctx, path, `search identifier '${name}' mixes maps and plain values; use a list of maps or a list of keywords`);
    return itemCond(ctx, { field: null, mods: [], values: value as Raw[], path });
  }
  if (value && typeof value === 'object') return mapCond(ctx, value as Record<string, unknown>, path);
  if (value === undefined) fail(ctx, path, `search identifier '${name}' is empty`);
  return itemCond(ctx, { field: null, mods: [], values: [value as Raw], path });
}

function mapCond(ctx: DetectionContext, m: Record<string, unknown>, path: Path): Cond {
  const keys = Object.keys(m);
  if (!keys.length) fail(ctx, path, 'an empty map matches nothing; remove it');
  return and(
    keys.map((key) => {
      const [field, ...mods] = key.split('|');
      const v = m[key];
      if (v && typeof v === 'object' && !Array.isArray(v)) fail(ctx, [...path, key], `the value of '${key}' is a map; Sigma values are strings, numbers, booleans, null or lists of them`);
      const values = (Array.isArray(v) ? v : [v]) as Raw[];
      if (Array.isArray(v) && v.some((x) => x && typeof x === 'object')) fail(ctx, [...path, key], `the list under '${key}' holds a map or list; only plain values are allowed`);
      if (Array.isArray(v) && !v.length) fail(ctx, [...path, key], `the list under '${key}' is empty`);
      return itemCond(ctx, { field: field ? field : null, mods: mods.map((x) => x.toLowerCase()), values, path: [...path, key] });
    }),
  );
}

export function and(xs: Cond[]): Cond {
  return xs.length === 1 ? xs[0]! : { k: 'and', xs };
}
export function or(xs: Cond[]): Cond {
  return xs.length === 1 ? xs[0]! : { k: 'or', xs };
}

function itemCond(ctx: DetectionContext, it: Item): Cond {
  const { field, mods, path } = it;
  const keyErr = (msg: string): never => fail(ctx, path, msg, typeof path[path.length - 1] === 'string');
  for (const m of mods) {
    if (!KNOWN.has(m)) keyErr(`unknown modifier '${m}'${m === 'endwith' ? " (did you mean 'endswith'?)" : m === 'startwith' ? " (did you mean 'startswith'?)" : ''}`);
  }
  const matchMods = mods.filter((m) => MATCH_MODS.has(m));
  const timeMods = mods.filter((m) => m in TIME_MODS);
  if (matchMods.length > 1 && !(matchMods.length === 2 && matchMods.includes('fieldref') && ['contains', 'startswith', 'endswith'].some((x) => matchMods.includes(x))))
    keyErr(`modifiers ${matchMods.join(' and ')} cannot be combined`);
  const match = matchMods.find((m) => m !== 'fieldref') ?? null;
  const fieldref = mods.includes('fieldref');
  const cased = mods.includes('cased');
  const all = mods.includes('all');
  const neq = mods.includes('neq');
  const reFlags = mods.filter((m) => m in RE_FLAGS);
  if (reFlags.length && match !== 're') keyErr(`modifier '${reFlags[0]}' applies to 're' only`);
  if (all && it.values.length < 2) keyErr("'all' needs a list of at least two values");
  if (it.values.includes(null) && it.values.length > 1) fail(ctx, path, 'null may not appear in a value list; put field: null in its own selection');
  if (field === null && (timeMods.length || fieldref || ['cidr', 'exists', 'gt', 'gte', 'lt', 'lte'].includes(match ?? '')))
    keyErr(`modifier '${timeMods[0] ?? (fieldref ? 'fieldref' : match)}' needs a field; keyword searches take string modifiers only`);
  if (timeMods.length > 1) keyErr(`only one time-part modifier may be used (${timeMods.join(', ')})`);

  // Values, placeholders resolved and encodings applied (left to right).
  let values: Raw[] = it.values;
  if (mods.includes('expand')) values = values.flatMap((v): Raw[] => (typeof v === 'string' ? expand(ctx, v, path) : [v]));
  const encoders = mods.filter((m) => ENCODERS.has(m));
  const lastEnc = encoders.filter((e) => e !== 'windash').pop();
  if (lastEnc && !lastEnc.startsWith('base64')) keyErr(`'${lastEnc}' re-encodes text for base64; follow it with 'base64' or 'base64offset'`);
  let raw = false; // values are final byte-level text: wildcards no longer apply
  for (const enc of encoders) {
    if (values.some((v) => typeof v !== 'string')) fail(ctx, path, `modifier '${enc}' applies to strings only`);
    values = (values as string[]).flatMap((v) => encode(ctx, path, enc, v, raw));
    if (enc !== 'windash') raw = true;
  }

  const one = (v: Raw): Cond => valueCond(ctx, { field, match, fieldref, cased, raw, flags: [...new Set(reFlags.map((f) => RE_FLAGS[f]!))].join(''), time: timeMods[0] ? TIME_MODS[timeMods[0]]! : null, path }, v);
  if (match === 'exists') {
    if (values.length !== 1 || typeof values[0] !== 'boolean') fail(ctx, path, "'exists' takes true or false");
    return { k: 'exists', field: field!, v: values[0] as boolean };
  }
  if (neq) {
    const c = or(values.map(one));
    return { k: 'not', x: c };
  }
  // base64offset yields three variants per value: they are alternatives even under 'all'.
  if (all && encoders.includes('base64offset')) {
    const groups = it.values.map((v) => or(encodeAll(ctx, path, encoders, v).map(one)));
    return and(groups);
  }
  const cs = values.map(one);
  return all ? and(cs) : or(cs);
}

function encodeAll(ctx: DetectionContext, path: Path, encoders: string[], v: Raw): Raw[] {
  let vs: Raw[] = [v];
  let raw = false;
  for (const enc of encoders) {
    vs = (vs as string[]).flatMap((x) => encode(ctx, path, enc, x, raw));
    if (enc !== 'windash') raw = true;
  }
  return vs;
}

interface ValueOpts {
  field: string | null;
  match: string | null;
  fieldref: boolean;
  cased: boolean;
  raw: boolean;
  flags: string;
  time: string | null;
  path: Path;
}

function valueCond(ctx: DetectionContext, o: ValueOpts, v: Raw): Cond {
  const { field, match, cased, path } = o;
  const f = field!;
  if (o.time) {
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(ctx, path, `a time-part modifier compares whole numbers; got ${JSON.stringify(v)}`);
    const op = match && CMP[match] ? CMP[match] : '==';
    if (match && !CMP[match]) fail(ctx, path, `'${match}' cannot be combined with a time-part modifier`);
    return { k: 'timepart', field: f, part: o.time, op, n: v };
  }
  if (match && CMP[match]) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : NaN;
    if (Number.isNaN(n)) fail(ctx, path, `'${match}' compares numbers; got ${JSON.stringify(v)}`);
    return { k: 'num', field: f, op: CMP[match], n };
  }
  if (o.fieldref) {
    if (typeof v !== 'string') fail(ctx, path, "'fieldref' takes the name of another field");
    return { k: 'fieldref', field: f, other: v, op: (match ?? 'eq') as 'eq', cased };
  }
  if (match === 'cidr') {
    if (typeof v !== 'string' || !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(v)) fail(ctx, path, `'cidr' takes a network in CIDR notation (10.0.0.0/8, 2001:db8::/32); got ${JSON.stringify(v)}`);
    const v6 = v.includes(':');
    const bits = Number(v.split('/')[1]);
    if (bits > (v6 ? 128 : 32)) fail(ctx, path, `prefix length /${bits} is too long for ${v6 ? 'IPv6' : 'IPv4'}`);
    return { k: 'cidr', field: f, cidr: v, v6 };
  }
  if (match === 're') {
    if (typeof v !== 'string') fail(ctx, path, "'re' takes a regular expression string");
    checkRegex(ctx, path, v);
    return { k: 're', field, pattern: v, flags: o.flags };
  }
  if (v === null) {
    if (match) fail(ctx, path, `'${match}' cannot be applied to null`);
    if (field === null) fail(ctx, path, 'a keyword cannot be null');
    return { k: 'null', field: f };
  }
  if (typeof v === 'boolean' || typeof v === 'number') {
    if (!match && field !== null) return typeof v === 'boolean' ? { k: 'bool', field: f, v } : { k: 'num', field: f, op: '==', n: v };
    v = String(v);
  }
  const parts: Part[] = o.raw ? [{ t: 'lit', s: v }] : parseWildcards(v);
  const wrapped: Part[] =
    match === 'contains' || (field === null && !match) ? [{ t: 'any' }, ...parts, { t: 'any' }] : match === 'startswith' ? [...parts, { t: 'any' }] : match === 'endswith' ? [{ t: 'any' }, ...parts] : parts;
  return patternCond(field, wrapped, cased);
}

function checkRegex(ctx: DetectionContext, path: Path, v: string): void {
  // RE2 (Kusto) rejects look-around and back-references; say so here rather than in the analyzer.
  if (/\(\?<?[=!]/.test(v)) fail(ctx, path, "look-around '(?=', '(?!', '(?<=', '(?<!' is not supported by Kusto's RE2 regular expressions");
  if (/\\[1-9]/.test(v)) fail(ctx, path, 'back-references (\\1 …) are not supported by Kusto’s RE2 regular expressions');
  try {
    new RegExp(v.replace(/^\(\?[imsU]+\)/, '').replace(/\(\?P</g, '(?<'));
  } catch (e) {
    fail(ctx, path, `invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

function expand(ctx: DetectionContext, v: string, path: Path): string[] {
  // %name% placeholders; \% is a literal percent sign.
  const re = /(?<!\\)%([^%\s]+)%/g;
  const names = [...v.matchAll(re)].map((m) => m[1]!);
  if (!names.length) return [v.replace(/\\%/g, '%')];
  let out = [''];
  let last = 0;
  for (const m of v.matchAll(re)) {
    const lit = v.slice(last, m.index).replace(/\\%/g, '%');
    const vals = lookupPlaceholder(ctx.placeholders, m[1]!);
    if (!vals) fail(ctx, path, `placeholder %${m[1]}% has no value; give it one in a placeholders file (--placeholders FILE)`);
    out = out.flatMap((o) => vals.map((x) => o + lit + x));
    last = m.index + m[0].length;
  }
  const tail = v.slice(last).replace(/\\%/g, '%');
  return out.map((o) => o + tail);
}

function lookupPlaceholder(p: Placeholders, name: string): string[] | null {
  if (p[name]) return p[name]!;
  const k = Object.keys(p).find((x) => x.toLowerCase() === name.toLowerCase());
  return k ? p[k]! : null;
}

const WINDASH = ['-', '/', '\u2013', '\u2014', '\u2015'];

function encode(ctx: DetectionContext, path: Path, enc: string, v: string, raw: boolean): string[] {
  if (enc === 'windash') {
    // Every dash or slash that starts a word (a command-line flag) in each of the five spellings.
    const at = [...v.matchAll(/(?<=^|\s)[-/]/g)].map((m) => m.index);
    if (!at.length) return [v];
    if (at.length > 4) fail(ctx, path, `'windash' on a value with ${at.length} flags would make ${5 ** at.length} variants; split the value`);
    let out = [''];
    let last = 0;
    for (const i of at) {
      out = out.flatMap((o) => WINDASH.map((d) => o + v.slice(last, i) + d));
      last = i + 1;
    }
    return out.map((o) => o + v.slice(last));
  }
  if (!raw && parseWildcards(v).some((p) => p.t !== 'lit')) fail(ctx, path, `'${enc}' cannot be applied to a value with wildcards (the encoded text would not keep them)`);
  const text = raw ? v : litText(parseWildcards(v))!;
  if (enc === 'utf16le' || enc === 'wide') return [latin(Buffer.from(text, 'utf16le'))];
  if (enc === 'utf16be') return [latin(swap(Buffer.from(text, 'utf16le')))];
  if (enc === 'utf16') return [latin(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))];
  const bytes = raw ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
  if (enc === 'base64') return [bytes.toString('base64')];
  // base64offset: the three encodings of the value at byte offsets 0, 1, 2, cut to the stable part.
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const start = [0, 2, 3][shift]!;
    const end = b64.length - [0, 3, 2][(bytes.length + shift) % 3]!;
    out.push(b64.slice(start, end));
  }
  return out;
}

/** Bytes kept as one char per byte until base64 encodes them. */
function latin(b: Buffer): string {
  return b.toString('latin1');
}

function swap(b: Buffer): Buffer {
  const o = Buffer.alloc(b.length);
  for (let i = 0; i + 1 < b.length; i += 2) (o[i] = b[i + 1]!, (o[i + 1] = b[i]!));
  return o;
}
