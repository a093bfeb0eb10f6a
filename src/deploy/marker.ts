// The marker that says "sessionguard manages this", with two hashes of what we last applied:
// `applied` over the whole body (tells a code change), `seen` over what a read can confirm (tells drift).
// Tagged resources carry it in tags; Sentinel resources have no tags, so it ends their description
// (analytics rules, watchlists) or displayName (automation rules).
import { MANAGED_TAG, MANAGED_VALUE } from './desired.js';
import type { KindTraits } from './kinds.js';

export const HASH_TAG = 'sessionguard-hash';
export const WORKSPACE_TAG = 'sessionguard-workspace';

export interface Marker {
  applied: string;
  seen: string;
  /** Tagged resources only: the workspace they were deployed for (resource groups are shared). */
  workspace?: string;
}

const TEXT = /(?:\n\n|\s)?\[managed by sessionguard ([0-9a-f]{12})(?:\/([0-9a-f]{12}))?\]$/;

function hashes(m: Marker): string {
  return m.seen === m.applied ? m.applied : `${m.applied}/${m.seen}`;
}

function props(body: Record<string, unknown>): Record<string, unknown> {
  return (body.properties ??= {}) as Record<string, unknown>;
}

/** A copy of `body` carrying the marker. */
export function stamp(body: Record<string, unknown>, traits: KindTraits, m: Marker): Record<string, unknown> {
  const out = structuredClone(body);
  const text = `[managed by sessionguard ${hashes(m)}]`;
  if (traits.marker === 'tags') {
    out.tags = { ...((out.tags as Record<string, string>) ?? {}), [MANAGED_TAG]: MANAGED_VALUE, [HASH_TAG]: hashes(m), ...(m.workspace ? { [WORKSPACE_TAG]: m.workspace } : {}) };
  } else if (traits.marker === 'description') {
    const d = String(props(out).description ?? '');
    props(out).description = d ? `${d}\n\n${text}` : text;
  } else {
    props(out).displayName = `${String(props(out).displayName ?? '')} ${text}`;
  }
  return out;
}

/** Reads and removes the marker from a body the service returned; marker undefined when it is not ours. */
export function unstamp(body: Record<string, unknown>, traits: KindTraits): { body: Record<string, unknown>; marker?: Marker } {
  const out = structuredClone(body);
  if (traits.marker === 'tags') {
    const tags = (out.tags ?? {}) as Record<string, string>;
    if (tags[MANAGED_TAG] !== MANAGED_VALUE) return { body: out };
    const [applied = '', seen = applied] = String(tags[HASH_TAG] ?? '').split('/');
    const workspace = tags[WORKSPACE_TAG];
    const rest = { ...tags };
    delete rest[MANAGED_TAG];
    delete rest[HASH_TAG];
    delete rest[WORKSPACE_TAG];
    if (Object.keys(rest).length) out.tags = rest;
    else delete out.tags;
    return { body: out, marker: { applied, seen, ...(workspace ? { workspace } : {}) } };
  }
  const field = traits.marker === 'description' ? 'description' : 'displayName';
  const p = (out.properties ?? {}) as Record<string, unknown>;
  const text = typeof p[field] === 'string' ? (p[field] as string) : '';
  const m = TEXT.exec(text);
  if (!m) return { body: out };
  const rest = text.slice(0, m.index);
  if (rest || field === 'displayName') p[field] = rest;
  else delete p[field];
  return { body: out, marker: { applied: m[1]!, seen: m[2] ?? m[1]! } };
}
