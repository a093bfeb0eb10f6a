// Plan and apply output: text for people, the counts JSON for pipelines.
import pc from 'picocolors';
import type { FieldChange } from './compare.js';
import type { Counts, PlanItem, WorkspacePlan } from './plan.js';
import type { ItemResult } from './apply.js';

function short(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

function change(c: FieldChange): string {
  return `      ${c.path}: ${short(c.from)} -> ${short(c.to)}`;
}

const SIGN = { create: pc.green('+ create'), update: pc.yellow('~ update'), delete: pc.red('- delete'), unchanged: '  same  ' };

function itemLine(i: PlanItem): string {
  const tags = [i.drifted ? pc.magenta('drifted: changed in the workspace since the last apply') : '', i.recreate ? 'kind changes: deleted and created again' : ''].filter(Boolean);
  return `  ${SIGN[i.action]} ${i.kind} ${i.label} ${pc.dim(i.id.split('/').pop() ?? '')}${tags.length ? ` (${tags.join('; ')})` : ''}`;
}

export function countsLine(c: Counts, verb: 'plan' | 'apply'): string {
  const v = verb === 'plan' ? ['to create', 'to update', 'to delete'] : ['created', 'updated', 'deleted'];
  return `${c.created} ${v[0]}, ${c.updated} ${v[1]}, ${c.deleted} ${v[2]}, ${c.unchanged} unchanged, ${c.drifted} drifted${verb === 'apply' ? `, ${c.failed} failed` : ''}`;
}

export function planText(p: WorkspacePlan, c: Counts): string {
  const lines = [pc.bold(`workspace ${p.workspace}`) + pc.dim(` ${p.armId}`)];
  for (const i of p.items.filter((x) => x.action !== 'unchanged')) {
    lines.push(itemLine(i));
    for (const ch of i.changes) lines.push(change(ch));
  }
  if (p.orphans) lines.push(`  ${p.orphans} managed resource${p.orphans === 1 ? ' is' : 's are'} no longer in the code; pass --prune to delete ${p.orphans === 1 ? 'it' : 'them'}`);
  lines.push(`  plan: ${countsLine(c, 'plan')}`);
  return lines.join('\n');
}

export function applyText(p: WorkspacePlan, results: ItemResult[], c: Counts): string {
  const lines = [pc.bold(`workspace ${p.workspace}`) + pc.dim(` ${p.armId}`)];
  for (const r of results) {
    lines.push(`${itemLine(r.item)} ${r.ok ? pc.green('done') : pc.red('FAILED')}`);
    if (!r.ok) lines.push(`      ${r.error}`);
  }
  lines.push(`  apply: ${countsLine(c, 'apply')}`);
  return lines.join('\n');
}

export function countsJson(all: Counts[]): string {
  return JSON.stringify({ workspaces: all.map((c) => ({ workspace: c.workspace, created: c.created, updated: c.updated, deleted: c.deleted, unchanged: c.unchanged, failed: c.failed, drifted: c.drifted })) });
}
