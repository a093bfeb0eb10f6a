// An independent, deliberately plain Sigma evaluator over one event (a JS object), used as the
// oracle for the compiled KQL. It shares no code with src/sigma. Two documented choices of the
// compiler are encoded here too: an empty string counts as absent (KQL strings have no null), and a
// number compared with a string field compares as its text.

type Ev = Record<string, unknown>;

export function fieldValue(ev: Ev, name: string): unknown {
  let cur: unknown = ev;
  for (const seg of name.split('.')) {
    if (cur && typeof cur === 'string' && cur.trim().startsWith('{')) cur = JSON.parse(cur);
    if (!cur || typeof cur !== 'object') return undefined;
    const o = cur as Record<string, unknown>;
    const key = seg in o ? seg : Object.keys(o).find((k) => k.toLowerCase() === seg.toLowerCase());
    cur = key === undefined ? undefined : o[key];
  }
  return cur;
}

const absent = (v: unknown) => v === undefined || v === null || v === '';
const text = (v: unknown): string => (typeof v === 'string' ? v : v && typeof v === 'object' ? JSON.stringify(v) : String(v));

function wildcardRegex(pattern: string, flags: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '?' || pattern[i + 1] === '\\')) {
      re += '\\' + pattern[i + 1];
      i++;
    } else if (ch === '*') re += '[\\s\\S]*';
    else if (ch === '?') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp('^' + re + '$', flags);
}

function ipToBig(ip: string): { v: bigint; v6: boolean } | null {
  if (ip.includes(':')) {
    const [head, tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
    return { v: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n), v6: true };
  }
  const p = ip.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return null;
  return { v: p.reduce((a, x) => (a << 8n) | BigInt(Number(x)), 0n), v6: false };
}

function inCidr(value: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const a = ipToBig(value);
  const n = ipToBig(net!);
  if (!a || !n || a.v6 !== n.v6) return false;
  const width = a.v6 ? 128n : 32n;
  const shift = width - BigInt(Number(bits));
  return a.v >> shift === n.v >> shift;
}

/** The base64 text that certainly encodes `value` when it starts at byte offset s (0..2). */
function base64Variants(value: Buffer): string[] {
  const out: string[] = [];
  for (let s = 0; s < 3; s++) {
    const enc = Buffer.concat([Buffer.alloc(s, 0x41), value]).toString('base64');
    const first = Math.ceil((s * 8) / 6);
    const last = Math.floor(((s + value.length) * 8) / 6);
    out.push(enc.slice(first, last));
  }
  return out;
}

function utf16(s: string, kind: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  if (kind === 'utf16le' || kind === 'wide') return le;
  if (kind === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) (be[i] = le[i + 1]!, (be[i + 1] = le[i]!));
  return be;
}

function windash(v: string): string[] {
  const dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
  let out = [''];
  for (let i = 0; i < v.length; i++) {
    const flag = (v[i] === '-' || v[i] === '/') && (i === 0 || /\s/.test(v[i - 1]!));
    out = out.flatMap((o) => (flag ? dashes.map((d) => o + d) : [o + v[i]]));
  }
  return out;
}

function timePart(v: unknown, part: string): number | null {
  const d = new Date(text(v));
  if (Number.isNaN(d.getTime())) return null;
  return { minute: d.getUTCMinutes(), hour: d.getUTCHours(), day: d.getUTCDate(), month: d.getUTCMonth() + 1, year: d.getUTCFullYear() }[part] ?? null;
}

const CMP: Record<string, (a: number, b: number) => boolean> = { gt: (a, b) => a > b, gte: (a, b) => a >= b, lt: (a, b) => a < b, lte: (a, b) => a <= b };

function matchValue(ev: Ev, field: string | null, mods: string[], expected: unknown, placeholders: Record<string, string[]>): boolean {
  const has = (m: string) => mods.includes(m);
  const cased = has('cased');
  if (has('expand') && typeof expected === 'string') {
    const m = /^%(.+)%$/.exec(expected);
    const vals = m ? placeholders[m[1]!] ?? [] : [expected];
    return vals.some((x) => matchValue(ev, field, mods.filter((y) => y !== 'expand'), x, placeholders));
  }
  if (field === null) {
    // keyword: anywhere in any field's text, as a substring
    const all: string[] = [];
    const walk = (v: unknown) => {
      if (v && typeof v === 'object') Object.values(v).forEach(walk);
      else if (!absent(v)) all.push(text(v));
    };
    walk(ev);
    const pattern = `*${String(expected)}*`;
    return all.some((s) => (has('re') ? new RegExp(String(expected)).test(s) : wildcardRegex(pattern, cased ? 's' : 'is').test(s)));
  }
  const v = fieldValue(ev, field);
  const tp = ['minute', 'hour', 'day', 'month', 'year'].find(has);
  if (tp) {
    const n = absent(v) ? null : timePart(v, tp);
    const op = ['gt', 'gte', 'lt', 'lte'].find(has);
    return n !== null && (op ? CMP[op]!(n, Number(expected)) : n === Number(expected));
  }
  if (has('exists')) return expected === !absent(v);
  if (expected === null) return absent(v);
  const op = ['gt', 'gte', 'lt', 'lte'].find(has);
  if (op) {
    if (absent(v)) return false;
    const n = typeof v === 'number' ? v : Number(text(v));
    return !Number.isNaN(n) && CMP[op]!(n, Number(expected));
  }
  if (has('fieldref')) {
    const o = fieldValue(ev, String(expected));
    const a = cased ? text(v ?? '') : text(v ?? '').toLowerCase();
    const b = cased ? text(o ?? '') : text(o ?? '').toLowerCase();
    return has('contains') ? a.includes(b) : has('startswith') ? a.startsWith(b) : has('endswith') ? a.endsWith(b) : a === b;
  }
  if (has('cidr')) return !absent(v) && inCidr(text(v), String(expected));
  if (has('re')) {
    const flags = (has('i') ? 'i' : '') + (has('m') ? 'm' : '') + (has('s') ? 's' : '');
    return !absent(v) && new RegExp(String(expected), flags).test(text(v));
  }
  if (typeof expected === 'boolean') return typeof v === 'boolean' ? v === expected : text(v ?? '').toLowerCase() === String(expected);
  if (typeof expected === 'number' && !mods.some((m) => ['contains', 'startswith', 'endswith'].includes(m))) {
    if (typeof v === 'number') return v === expected;
    return !absent(v) && text(v) === String(expected);
  }
  // Strings: encodings first, then the match.
  let variants = [String(expected)];
  let encoded = false;
  for (const m of mods) {
    if (m === 'windash') variants = variants.flatMap(windash);
    if (['utf16le', 'utf16be', 'utf16', 'wide'].includes(m)) {
      variants = variants.map((x) => utf16(x, m).toString('latin1'));
      encoded = true;
    }
    if (m === 'base64') variants = variants.map((x) => Buffer.from(x, encoded ? 'latin1' : 'utf8').toString('base64'));
    if (m === 'base64offset') variants = variants.flatMap((x) => base64Variants(Buffer.from(x, encoded ? 'latin1' : 'utf8')));
    if (m === 'base64' || m === 'base64offset') encoded = true;
  }
  const s = v === undefined || v === null ? '' : text(v);
  return variants.some((x) => {
    const lit = encoded ? x.replace(/[\\*?]/g, '\\$&') : x;
    const pattern = has('contains') ? `*${lit}*` : has('startswith') ? `${lit}*` : has('endswith') ? `*${lit}` : lit;
    return wildcardRegex(pattern, cased ? 's' : 'is').test(s);
  });
}

function matchItem(ev: Ev, key: string, value: unknown, ph: Record<string, string[]>): boolean {
  const [field, ...mods] = key.split('|');
  const list = Array.isArray(value) ? value : [value];
  const one = (x: unknown) => matchValue(ev, field || null, mods, x, ph);
  if (mods.includes('neq')) return !list.some((x) => matchValue(ev, field || null, mods.filter((m) => m !== 'neq'), x, ph));
  return mods.includes('all') ? list.every(one) : list.some(one);
}

function matchSearch(ev: Ev, s: unknown, ph: Record<string, string[]>): boolean {
  if (Array.isArray(s)) {
    if (s.every((x) => x && typeof x === 'object')) return s.some((m) => matchSearch(ev, m, ph));
    return s.some((k) => matchValue(ev, null, [], k, ph));
  }
  if (s && typeof s === 'object') return Object.entries(s).every(([k, v]) => matchItem(ev, k, v, ph));
  return matchValue(ev, null, [], s, ph);
}

/** Does the Sigma detection match the event? */
export function sigmaMatches(detection: Record<string, unknown>, ev: Ev, ph: Record<string, string[]> = {}): boolean {
  const names = Object.keys(detection).filter((k) => k !== 'condition');
  const conds = Array.isArray(detection.condition) ? detection.condition : [detection.condition];
  return conds.some((c: string) => {
    const toks = c.match(/\(|\)|[^\s()]+/g)!;
    let i = 0;
    const sel = (pat: string) => {
      if (pat === 'them') return names.filter((n) => !n.startsWith('_'));
      const re = new RegExp('^' + pat.replace(/\*/g, '.*') + '$');
      return names.filter((n) => re.test(n));
    };
    const atom = (): boolean => {
      const t = toks[i++]!;
      if (t === 'not') return !atom();
      if (t === '(') {
        const v = disj();
        i++;
        return v;
      }
      if (toks[i] === 'of') {
        i++;
        const ids = sel(toks[i++]!);
        return t === 'all' ? ids.every((n) => matchSearch(ev, detection[n], ph)) : ids.some((n) => matchSearch(ev, detection[n], ph));
      }
      return matchSearch(ev, detection[t], ph);
    };
    const conj = (): boolean => {
      let v = atom();
      while (toks[i] === 'and') {
        i++;
        const w = atom();
        v = v && w;
      }
      return v;
    };
    const disj = (): boolean => {
      let v = conj();
      while (toks[i] === 'or') {
        i++;
        const w = conj();
        v = v || w;
      }
      return v;
    };
    return disj();
  });
}
