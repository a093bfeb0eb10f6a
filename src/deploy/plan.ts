// Plan: what apply would do in one workspace. Reads what is deployed, keeps only what we manage
// (our marker, or an id we want), and compares field by field.
import { createHash } from 'node:crypto';
import type { DesiredResource, ResourceKind } from './desired.js';
import { diffFields, hashOf, observable, stripServer, type FieldChange } from './compare.js';
import { KIND_ORDER, KINDS, type KindTraits } from './kinds.js';
import { stamp, unstamp, type Marker } from './marker.js';
import type { DeployTarget } from './producers.js';
import type { Remote, RemoteResource } from './remote.js';

export type Action = 'create' | 'update' | 'delete' | 'unchanged';

export interface PlanItem {
  action: Action;
  kind: ResourceKind;
  id: string;
  label: string;
  apiVersion: string;
  /** The exact body apply sends (create/update). */
  body?: Record<string, unknown>;
  /** ETag read from the workspace (update/delete): the write fails rather than overwrite a newer edit. */
  etag?: string;
  dependsOn: string[];
  /** What changes, workspace value -> code value. */
  changes: FieldChange[];
  /** Changed in the workspace since our last apply. */
  drifted: boolean;
  /** Delete first: an analytics rule cannot change kind in place. */
  recreate?: boolean;
  /** A marker we must write: the hashes of the desired body. */
  marker?: Marker;
}

export interface WorkspacePlan {
  workspace: string;
  armId: string;
  items: PlanItem[];
  /** Managed resources gone from the code, left alone because --prune was not given. */
  orphans: number;
}

/** Tag value naming the workspace a resource-group resource belongs to. */
export function workspaceTag(armId: string): string {
  return createHash('sha256').update(armId.toLowerCase()).digest('hex').slice(0, 16);
}

function rgOf(id: string): string | undefined {
  return /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\//i.exec(id)?.[1];
}

function providerPath(type: string): string {
  const [ns, ...rest] = type.split('/');
  return `${ns}/${rest.join('/')}`;
}

/** The marker for a desired body: `applied` over everything, `seen` over what reading back confirms. */
export function markerFor(d: DesiredResource, traits: KindTraits, target: DeployTarget): Marker {
  const applied = hashOf({ apiVersion: d.apiVersion, body: d.body });
  const seen = hashOf(comparable(d.body, traits, target));
  return { applied, seen, ...(traits.marker === 'tags' ? { workspace: workspaceTag(target.armId) } : {}) };
}

/** A body as it reads back once applied: stamped, then the marker and server fields removed. */
function comparable(body: Record<string, unknown>, traits: KindTraits, target: DeployTarget): Record<string, unknown> {
  const probe: Marker = { applied: '0'.repeat(12), seen: '0'.repeat(12), ...(traits.marker === 'tags' ? { workspace: workspaceTag(target.armId) } : {}) };
  return observable(stripServer(unstamp(stamp(body, traits, probe), traits).body, traits), traits);
}

interface Current {
  remote: RemoteResource;
  body: Record<string, unknown>;
  marker?: Marker;
}

function readCurrent(r: RemoteResource, traits: KindTraits): Current {
  const u = unstamp(r.body, traits);
  return { remote: r, body: observable(stripServer(u.body, traits), traits), marker: u.marker };
}

export async function planWorkspace(remote: Remote, target: DeployTarget, desired: DesiredResource[], opts: { prune: boolean }): Promise<WorkspacePlan> {
  const byId = new Map(desired.map((d) => [d.id.toLowerCase(), d]));
  const current = new Map<string, RemoteResource>();
  const managedElsewhere: { r: RemoteResource; traits: KindTraits }[] = [];

  for (const kind of KIND_ORDER) {
    const traits = KINDS[kind];
    const mine = desired.filter((d) => d.kind === kind);
    if (traits.scope === 'workspace') {
      // One list per Sentinel type, at a version that returns every field we send (the preview one for alert rules).
      for (const r of await remote.list(traits, `${target.armId}/providers/${providerPath(traits.type)}`, traits.listVersion)) {
        if (byId.has(r.id.toLowerCase())) current.set(r.id.toLowerCase(), r);
        else if (unstamp(r.body, traits).marker) managedElsewhere.push({ r, traits });
      }
    } else {
      for (const d of mine) {
        const r = await remote.get(traits, d.id, d.apiVersion);
        if (r) current.set(d.id.toLowerCase(), r);
      }
      if (opts.prune) {
        const groups = new Set([target.resourceGroup, ...mine.map((d) => rgOf(d.id)).filter((g): g is string => !!g)].map((g) => g.toLowerCase()));
        const tag = workspaceTag(target.armId);
        for (const g of groups) {
          const path = `/subscriptions/${target.subscriptionId}/resourceGroups/${g}/providers/${providerPath(traits.type)}`;
          for (const r of await remote.list(traits, path, mine[0]?.apiVersion ?? traits.listVersion)) {
            if (byId.has(r.id.toLowerCase())) continue;
            const m = unstamp(r.body, traits).marker;
            if (m && m.workspace === tag) managedElsewhere.push({ r, traits });
          }
        }
      }
    }
  }

  const items: PlanItem[] = [];
  for (const d of desired) {
    const traits = KINDS[d.kind];
    const marker = markerFor(d, traits, target);
    const body = stamp(d.body, traits, marker);
    const base = { kind: d.kind, id: d.id, label: d.label, apiVersion: d.apiVersion, dependsOn: d.dependsOn, marker };
    const found = current.get(d.id.toLowerCase());
    if (!found) {
      items.push({ ...base, action: 'create', body, changes: [], drifted: false });
      continue;
    }
    const cur = readCurrent(found, traits);
    const want = comparable(d.body, traits, target);
    const changes = diffFields(cur.body, want);
    const drifted = !!cur.marker && hashOf(cur.body) !== cur.marker.seen;
    const codeChanged = !cur.marker || cur.marker.applied !== marker.applied;
    if (codeChanged && !changes.length) changes.push({ path: cur.marker ? '(write-only content)' : '(sessionguard marker)', from: cur.marker ? 'changed' : 'absent', to: cur.marker ? 'changed' : 'added' });
    const recreate = found.body.kind !== undefined && d.body.kind !== undefined && found.body.kind !== d.body.kind;
    const action: Action = changes.length || drifted ? 'update' : 'unchanged';
    items.push({ ...base, action, body, etag: found.etag, changes, drifted, ...(recreate ? { recreate } : {}) });
  }
  for (const { r, traits } of managedElsewhere) {
    if (!opts.prune) continue;
    // Drift is counted on what the code keeps; a resource pruned is gone whatever was edited in it.
    items.push({ action: 'delete', kind: traits.kind, id: r.id, label: labelOf(r, traits), apiVersion: traits.listVersion, etag: r.etag, dependsOn: [], changes: [], drifted: false });
  }
  return { workspace: target.name, armId: target.armId, items, orphans: opts.prune ? 0 : managedElsewhere.length };
}

function labelOf(r: RemoteResource, traits: KindTraits): string {
  const p = (unstamp(r.body, traits).body.properties ?? {}) as Record<string, unknown>;
  const name = r.id.split('/').pop();
  return typeof p.displayName === 'string' && p.displayName ? `${p.displayName} (${name})` : `${traits.kind} ${name}`;
}

export interface Counts {
  workspace: string;
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failed: number;
  drifted: number;
}

export function planCounts(p: WorkspacePlan): Counts {
  const n = (a: Action) => p.items.filter((i) => i.action === a).length;
  return { workspace: p.workspace, created: n('create'), updated: n('update'), deleted: n('delete'), unchanged: n('unchanged'), failed: 0, drifted: p.items.filter((i) => i.drifted).length };
}
