// Generates events for a Sigma detection: for every field it names, values derived from the rule's
// own values (exact, other case, with text around, cut short, unrelated, empty) plus per-case extras.
import { detectionOf, prng } from './helpers.js';

type Ev = Record<string, unknown>;

/** A Sigma string with its wildcards filled in (`\*` stays a literal star). */
export function instantiate(v: string, fill: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && '*?\\'.includes(v[i + 1] ?? '')) out += v[++i];
    else if (c === '*') out += fill;
    else if (c === '?') out += 'q';
    else out += c;
  }
  return out;
}

function variants(v: unknown, placeholders: Record<string, string[]>): unknown[] {
  if (v === null) return ['', 'something'];
  if (typeof v === 'boolean') return [v, !v, String(v), String(!v).toUpperCase()];
  if (typeof v === 'number') return [v, v + 1, v - 1, String(v), `0${v}`];
  const s = String(v);
  const ph = /^%(.+)%$/.exec(s);
  if (ph) return (placeholders[ph[1]!] ?? []).flatMap((x) => variants(x, {}));
  // The exact value comes first and again at the end, so AND-ed items still meet often enough.
  const out = new Set<unknown>();
  const exact = instantiate(s, '');
  for (const fill of ['', 'Zz', 'a b']) {
    const x = instantiate(s, fill);
    for (const y of [x, x.toUpperCase(), x.toLowerCase(), `pre ${x}`, `${x} post`, `pre${x}post`, x.slice(1), x.slice(0, -1)]) out.add(y);
  }
  out.add('unrelated');
  out.add('');
  return [...out, exact, exact, exact, exact, exact];
}

/** Field name (as written, before modifiers) -> candidate values, for every item of the detection. */
const NO_VARIANTS = new Set(['cidr', 're', 'base64', 'base64offset', 'fieldref', 'minute', 'hour', 'day', 'week', 'month', 'year', 'gt', 'gte', 'lt', 'lte', 'windash']);

export function pools(yamlText: string, extras: Record<string, unknown[]>, placeholders: Record<string, string[]>, keywordFields: string[], extrasOnly = false): Record<string, unknown[]> {
  const det = detectionOf(yamlText);
  const out: Record<string, unknown[]> = {};
  const add = (f: string, vs: unknown[]) => vs.forEach((v) => (out[f] ??= []).push(v));
  const visit = (m: unknown) => {
    if (Array.isArray(m)) return m.forEach((x) => (x && typeof x === 'object' ? visit(x) : keywordFields.forEach((k) => add(k, variants(x, placeholders)))));
    if (!m || typeof m !== 'object') return keywordFields.forEach((k) => add(k, variants(m, placeholders)));
    for (const [key, v] of Object.entries(m)) {
      const [field = '', ...mods] = key.split('|');
      const vals = Array.isArray(v) ? v : [v];
      // Text variants of a CIDR, a regex or an encoded value are not data such a field holds.
      if (mods.some((m) => NO_VARIANTS.has(m)) || extrasOnly) continue;
      if (!field) keywordFields.forEach((k) => add(k, vals.flatMap((x) => variants(x, placeholders))));
      else add(field, vals.flatMap((x) => variants(x, placeholders)));
    }
  };
  for (const [k, v] of Object.entries(det)) if (k !== 'condition') visit(v);
  for (const [f, vs] of Object.entries(extras)) add(f, vs);
  return out;
}

function setPath(ev: Ev, path: string, v: unknown): void {
  const segs = path.split('.');
  let cur = ev;
  for (const s of segs.slice(0, -1)) cur = (cur[s] ??= {}) as Ev;
  cur[segs[segs.length - 1]!] = v;
}

/** n events; each field takes a random candidate or stays absent. */
export function events(p: Record<string, unknown[]>, n: number, seed: number, idColumn = 'Id'): Ev[] {
  const rnd = prng(seed);
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    const ev: Ev = { [idColumn]: `e${String(i).padStart(4, '0')}` };
    for (const [f, vs] of Object.entries(p)) {
      if (rnd() < 0.12) continue;
      setPath(ev, f, vs[Math.floor(rnd() * vs.length)]);
    }
    out.push(ev);
  }
  return out;
}
