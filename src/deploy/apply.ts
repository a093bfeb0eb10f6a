// Apply: carries out a plan in dependency order with bounded concurrency. A write that finds the
// resource changed since it was read (ETag) is reported as a conflict and not retried.
import { hashOf, observable, stripServer } from './compare.js';
import { KINDS } from './kinds.js';
import { unstamp } from './marker.js';
import { planCounts, type Counts, type PlanItem, type WorkspacePlan } from './plan.js';
import { RemoteError, type Remote } from './remote.js';

export interface ItemResult {
  item: PlanItem;
  ok: boolean;
  error?: string;
  conflict?: boolean;
}

export interface ApplyOptions {
  concurrency: number;
  /** Called after each write or delete (progress display). */
  onDone?: (r: ItemResult) => void;
}

/** Runs `fn` over `items`, at most `n` at a time. */
export async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

function errorOf(body: unknown, status: number): string {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return e?.message ? `${status} ${e.code ?? 'error'}: ${e.message}` : `HTTP ${status}`;
}

/** Levels: a resource runs after its kind's predecessors and after everything it depends on. */
function levels(items: PlanItem[]): PlanItem[][] {
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i]));
  const level = new Map<PlanItem, number>();
  const visit = (i: PlanItem, stack: Set<PlanItem>): number => {
    const known = level.get(i);
    if (known !== undefined) return known;
    if (stack.has(i)) return KINDS[i.kind].rank; // a cycle: fall back to the kind order
    stack.add(i);
    let l = KINDS[i.kind].rank;
    for (const d of i.dependsOn) {
      const dep = byId.get(d.toLowerCase());
      if (dep) l = Math.max(l, visit(dep, stack) + 1);
    }
    stack.delete(i);
    level.set(i, l);
    return l;
  };
  for (const i of items) visit(i, new Set());
  const out: PlanItem[][] = [];
  for (const i of items) (out[level.get(i)!] ??= []).push(i);
  return out.filter(Boolean);
}

export async function applyPlan(remote: Remote, plan: WorkspacePlan, opts: ApplyOptions): Promise<{ results: ItemResult[]; counts: Counts }> {
  const results: ItemResult[] = [];
  const failed = new Set<string>();
  const done = (r: ItemResult) => {
    results.push(r);
    if (!r.ok) failed.add(r.item.id.toLowerCase());
    opts.onDone?.(r);
  };

  const writes = plan.items.filter((i) => i.action === 'create' || i.action === 'update');
  for (const level of levels(writes)) {
    await pool(level, opts.concurrency, async (item) => {
      const blocked = item.dependsOn.find((d) => failed.has(d.toLowerCase()));
      if (blocked) return done({ item, ok: false, error: `not applied: it depends on ${blocked}, which failed` });
      done(await write(remote, item));
    });
  }
  // Deletes last, dependents first (workbooks and rules before the playbooks they use).
  const deletes = plan.items.filter((i) => i.action === 'delete').sort((a, b) => KINDS[b.kind].rank - KINDS[a.kind].rank);
  const byRank = new Map<number, PlanItem[]>();
  for (const d of deletes) byRank.set(KINDS[d.kind].rank, [...(byRank.get(KINDS[d.kind].rank) ?? []), d]);
  for (const group of byRank.values()) {
    await pool(group, opts.concurrency, async (item) => {
      try {
        await remote.delete(KINDS[item.kind], item.id, item.apiVersion);
        done({ item, ok: true });
      } catch (e) {
        done({ item, ok: false, error: (e as Error).message });
      }
    });
  }

  const base = planCounts(plan);
  const ok = (a: string) => results.filter((r) => r.ok && r.item.action === a).length;
  const counts: Counts = { ...base, created: ok('create'), updated: ok('update'), deleted: ok('delete'), failed: results.filter((r) => !r.ok).length };
  return { results, counts };
}

async function write(remote: Remote, item: PlanItem): Promise<ItemResult> {
  const traits = KINDS[item.kind];
  try {
    if (item.recreate) await remote.delete(traits, item.id, item.apiVersion);
    const etag = item.action === 'update' && !item.recreate ? item.etag : undefined;
    const r = await remote.put(traits, item.id, item.apiVersion, item.body!, etag);
    if (r.status === 200 || r.status === 201) return { item, ok: true };
    if (r.status === 409 || r.status === 412) {
      // After a retried PUT the first attempt may have landed: then the resource is already ours as planned.
      if (r.attempts > 1 && (await landed(remote, item))) return { item, ok: true };
      if (etag) return { item, ok: false, conflict: true, error: `conflict: ${item.label} was changed in the workspace after it was read (${errorOf(r.body, r.status)}); not overwritten. Run plan to see the change, then apply again.` };
    }
    return { item, ok: false, error: errorOf(r.body, r.status) };
  } catch (e) {
    return { item, ok: false, error: e instanceof RemoteError ? e.message : `unexpected: ${(e as Error).message}` };
  }
}

async function landed(remote: Remote, item: PlanItem): Promise<boolean> {
  const traits = KINDS[item.kind];
  const now = await remote.get(traits, item.id, item.apiVersion);
  if (!now || !item.marker) return false;
  const u = unstamp(now.body, traits);
  return u.marker?.applied === item.marker.applied && hashOf(observable(stripServer(u.body, traits), traits)) === item.marker.seen;
}
