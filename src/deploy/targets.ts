// From --workspace to the workspaces to deploy, each compiled and with its desired resources.
import { compileWorkspace, type WorkspaceOutput } from '../compile/build.js';
import { resolveWorkspaces } from '../azure/workspace.js';
import { UserError, type Diagnostic } from '../diagnostics.js';
import type { Project } from '../project.js';
import type { DesiredResource } from './desired.js';
import { desiredState, PRODUCERS, type DeployTarget, type Producer } from './producers.js';

export interface Deployment {
  target: DeployTarget;
  desired: DesiredResource[];
  compiled: WorkspaceOutput;
  warnings: Diagnostic[];
}

/** Stands in for a workspace without ARM coordinates (export only); Sentinel resources use the template's workspace parameter. */
export const PLACEHOLDER_SUB = '00000000-0000-0000-0000-000000000000';

export function deployments(project: Project, arg: string, opts: { needArm?: boolean; producers?: Producer[] } = {}): Deployment[] {
  const needArm = opts.needArm ?? true;
  const targets = resolveWorkspaces(project.config, arg, { allowAll: true, needArm });
  const out: Deployment[] = [];
  const errors: Diagnostic[] = [];
  for (const t of targets) {
    // An ARM id that is not configured deploys with the defaults; its ids hash the ARM id like a configured one.
    const config = { ...t.config, subscriptionId: t.subscriptionId, resourceGroup: t.resourceGroup, workspaceName: t.workspaceName };
    const index = project.config.workspaces.indexOf(t.config);
    const compiled = compileWorkspace({
      workspace: config,
      workspaceIndex: index,
      configSource: index >= 0 ? project.config.source : null,
      delayProfile: project.config.ingestionDelay,
      rules: project.rules,
      cache: project.cache,
      // The same checks as build: a workbook or playbook that would not build is not deployed.
      workbooks: { dirs: project.config.workbooks, env: project.env },
      playbooks: project.playbooks,
      watchlists: project.watchlists,
    });
    errors.push(...compiled.diagnostics.filter((d) => d.severity === 'error'));
    const sub = t.subscriptionId ?? PLACEHOLDER_SUB;
    const rg = t.resourceGroup ?? 'resourceGroup';
    const ws = t.workspaceName ?? t.name;
    const armId = t.armId ?? `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.OperationalInsights/workspaces/${ws}`;
    const target: DeployTarget = { name: t.name, config, subscriptionId: sub, resourceGroup: rg, workspaceName: ws, armId };
    const warnings = compiled.diagnostics.filter((d) => d.severity !== 'error');
    const desired = desiredState({ project, target, compiled, warnings }, opts.producers ?? PRODUCERS);
    out.push({ target, desired, compiled, warnings });
  }
  project.cache.save();
  if (errors.length) throw new UserError(`✖ ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing deployed`, errors);
  return out;
}
