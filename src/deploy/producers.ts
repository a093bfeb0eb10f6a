// The producers of a workspace's desired state. Each stage that deploys something adds one line
// to PRODUCERS; deploy only sees DesiredResource[].
import type { WorkspaceOutput } from '../compile/build.js';
import { UserError } from '../diagnostics.js';
import type { Project } from '../project.js';
import type { WorkspaceConfig } from '../rules/config.js';
import { analyticsRuleResources } from './analytics.js';
import type { DesiredResource } from './desired.js';
import { KINDS } from './kinds.js';
import { watchlistResources } from './watchlists.js';

/** A workspace with every ARM coordinate known. */
export interface DeployTarget {
  name: string;
  config: WorkspaceConfig;
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
  /** /subscriptions/…/providers/Microsoft.OperationalInsights/workspaces/NAME */
  armId: string;
}

export interface ProducerInput {
  project: Project;
  target: DeployTarget;
  /** The compiler's output for this workspace (analytics rule models, ids). */
  compiled: WorkspaceOutput;
}

export type Producer = (input: ProducerInput) => DesiredResource[];

export const PRODUCERS: Producer[] = [
  analyticsRuleResources,
  watchlistResources,
  // merge: playbookResources, automationRuleResources (src/playbooks/resources.ts), workbookResources (src/workbooks/resources.ts)
];

/** Everything the producers want in the workspace; ids unique, kinds known. */
export function desiredState(input: ProducerInput, producers: Producer[] = PRODUCERS): DesiredResource[] {
  const all = producers.flatMap((p) => p(input));
  const seen = new Map<string, DesiredResource>();
  for (const r of all) {
    const key = r.id.toLowerCase();
    const other = seen.get(key);
    if (other) throw new UserError(`${r.source}: ${r.label} and ${other.label} (${other.source}) would both deploy ${r.id}`);
    if (!KINDS[r.kind]) throw new UserError(`${r.source}: ${r.label} has an unknown resource kind '${String(r.kind)}'`);
    seen.set(key, r);
  }
  return all;
}
