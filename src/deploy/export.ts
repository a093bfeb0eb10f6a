// ARM templates of a workspace's desired state, laid out for Sentinel Repositories (one template per
// item, in the content folders it scans) and for `az deployment group create` (combined/azuredeploy.json).
// Bodies carry the same marker apply writes, so a workspace deployed from these templates plans as unchanged.
import { escapeArm, json, template } from '../compile/arm.js';
import type { DesiredResource } from './desired.js';
import { KINDS } from './kinds.js';
import { stamp } from './marker.js';
import { markerFor } from './plan.js';
import type { DeployTarget } from './producers.js';

const FOLDER: Record<DesiredResource['kind'], string> = {
  analyticsRule: 'AnalyticsRules',
  automationRule: 'AutomationRules',
  playbook: 'Playbooks',
  connection: 'Playbooks',
  workbook: 'Workbooks',
  watchlist: 'Watchlists',
};

function fileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'resource';
}

function nameOf(id: string): string {
  return id.split('/').pop()!;
}

function resourceIdExpr(d: DesiredResource): string {
  const traits = KINDS[d.kind];
  if (traits.scope === 'workspace') {
    const tail = d.type.split('/').slice(1).join('/');
    return `[resourceId('Microsoft.OperationalInsights/workspaces/providers/${tail}', parameters('workspace'), 'Microsoft.SecurityInsights', '${nameOf(d.id)}')]`;
  }
  return `[resourceId('${d.type}', '${nameOf(d.id)}')]`;
}

function templateResource(d: DesiredResource, target: DeployTarget, inTemplate: Map<string, DesiredResource>): Record<string, unknown> {
  const traits = KINDS[d.kind];
  const body = escapeArm(stamp(d.body, traits, markerFor(d, traits, target)));
  const deps = d.dependsOn.map((x) => inTemplate.get(x.toLowerCase())).filter((x): x is DesiredResource => !!x);
  const head =
    traits.scope === 'workspace'
      ? { type: `Microsoft.OperationalInsights/workspaces/providers/${d.type.split('/').slice(1).join('/')}`, apiVersion: d.apiVersion, name: `[concat(parameters('workspace'), '/Microsoft.SecurityInsights/', '${nameOf(d.id)}')]` }
      : { type: d.type, apiVersion: d.apiVersion, name: nameOf(d.id) };
  return { ...head, ...(deps.length ? { dependsOn: deps.map(resourceIdExpr) } : {}), ...body };
}

/** Includes what each resource depends on (a playbook's connections), dependencies first. */
function closure(root: DesiredResource, byId: Map<string, DesiredResource>): DesiredResource[] {
  const out: DesiredResource[] = [];
  const visit = (d: DesiredResource) => {
    if (out.includes(d)) return;
    if (d !== root && d.kind !== 'connection') return; // other kinds have their own template
    for (const x of d.dependsOn) {
      const dep = byId.get(x.toLowerCase());
      if (dep) visit(dep);
    }
    out.push(d);
  };
  visit(root);
  return out;
}

function withWorkspaceDefault(t: ReturnType<typeof template>, target: DeployTarget): ReturnType<typeof template> {
  return { ...t, parameters: { workspace: { ...t.parameters.workspace!, defaultValue: target.workspaceName } as { type: string } } };
}

/**
 * Relative path -> content. `stems` names analytics-rule files as build does (by rule file);
 * `extra` are build's own files kept alongside (kql/, models/, manifest.json).
 */
export function exportFiles(target: DeployTarget, desired: DesiredResource[], stems: Map<string, string>, extra: Map<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const [k, v] of extra) if (/^(kql|models)\/|^manifest\.json$/.test(k)) files.set(k, v);
  const byId = new Map(desired.map((d) => [d.id.toLowerCase(), d]));
  const usedByPlaybook = new Set(desired.filter((d) => d.kind === 'playbook').flatMap((d) => d.dependsOn.map((x) => x.toLowerCase())));
  const taken = new Set<string>();
  const prioritized: string[] = [];
  for (const d of desired) {
    if (d.kind === 'connection' && usedByPlaybook.has(d.id.toLowerCase())) continue; // inside its playbook's template
    const members = closure(d, byId);
    const inTemplate = new Map(members.map((m) => [m.id.toLowerCase(), m]));
    let path = `${FOLDER[d.kind]}/${fileName(stems.get(d.id.toLowerCase()) ?? d.label)}.json`;
    for (let n = 2; taken.has(path.toLowerCase()); n++) path = `${FOLDER[d.kind]}/${fileName(stems.get(d.id.toLowerCase()) ?? d.label)}.${n}.json`;
    taken.add(path.toLowerCase());
    files.set(path, json(withWorkspaceDefault(template(members.map((m) => templateResource(m, target, inTemplate)), `${d.label} (${d.kind})`), target)));
    if (d.kind === 'playbook' || d.kind === 'connection' || d.kind === 'watchlist') prioritized.push(path);
  }
  const all = new Map(desired.map((d) => [d.id.toLowerCase(), d]));
  files.set('combined/azuredeploy.json', json(withWorkspaceDefault(template(desired.map((d) => templateResource(d, target, all)), `Everything sessionguard deploys to workspace ${target.name}`), target)));
  // Repositories deploys every template it finds: playbooks and watchlists first, never the combined copy.
  files.set('sentinel-deployment.config', json({ prioritizedcontentfiles: prioritized, excludecontentfiles: ['combined', 'models', 'kql', 'manifest.json'], parameterfilemappings: {} }));
  return files;
}
