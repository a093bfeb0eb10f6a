// Comparing a desired body with what the service returned: strip server-owned fields, hash in a
// canonical form, and list the differences field by field.
import { createHash } from 'node:crypto';
import { SERVER_OWNED, type KindTraits } from './kinds.js';

type Json = unknown;

function removePath(obj: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  let cur: unknown = obj;
  for (const p of parts.slice(0, -1)) {
    if (!cur || typeof cur !== 'object') return;
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur && typeof cur === 'object') delete (cur as Record<string, unknown>)[parts[parts.length - 1]!];
}

function dropNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== null && x !== undefined)
        .map(([k, x]) => [k, dropNulls(x)]),
    );
  }
  return v;
}

/** The body without server-owned fields and nulls (a service returns absent optionals as null). */
export function stripServer(body: Record<string, unknown>, traits: KindTraits): Record<string, unknown> {
  const out = dropNulls(structuredClone(body)) as Record<string, unknown>;
  for (const p of [...SERVER_OWNED, ...(traits.serverOwned ?? [])]) removePath(out, p);
  if (out.identity && typeof out.identity === 'object' && !Object.keys(out.identity).length) delete out.identity;
  return out;
}

/** The part of a body that reading it back can confirm (write-only fields removed). */
export function observable(body: Record<string, unknown>, traits: KindTraits): Record<string, unknown> {
  const out = structuredClone(body);
  for (const p of traits.writeOnly) removePath(out, p);
  return out;
}

function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** 12 hex digits of SHA-256 over the canonical JSON: enough to tell versions of one resource apart. */
export function hashOf(v: Json): string {
  return createHash('sha256').update(canonical(v)).digest('hex').slice(0, 12);
}

export function sameJson(a: Json, b: Json): boolean {
  return canonical(a) === canonical(b);
}

export interface FieldChange {
  /** Dotted path, array items as [i]. */
  path: string;
  /** Value in the workspace (undefined: absent). */
  from?: unknown;
  /** Value in the code (undefined: absent). */
  to?: unknown;
}

/** Field-level differences from `current` to `desired`; arrays of scalars and short arrays compare whole. */
export function diffFields(current: Json, desired: Json, path = ''): FieldChange[] {
  if (sameJson(current, desired)) return [];
  const isObj = (x: Json) => !!x && typeof x === 'object' && !Array.isArray(x);
  if (isObj(current) && isObj(desired)) {
    const c = current as Record<string, unknown>;
    const d = desired as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(d), ...Object.keys(c)])].sort();
    return keys.flatMap((k) => diffFields(c[k], d[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(current) && Array.isArray(desired) && current.length === desired.length && desired.some(isObj)) {
    return desired.flatMap((d, i) => diffFields(current[i], d, `${path}[${i}]`));
  }
  return [{ path, from: current, to: desired }];
}
