// The producers of a workspace's desired state. Each stage that deploys something adds one line
// to PRODUCERS; deploy only sees DesiredResource[].
import type { WorkspaceOutput } from '../compile/build.js';
import { UserError, type Diagnostic } from '../diagnostics.js';
import type { Project } from '../project.js';
import type { WorkspaceConfig } from '../rules/config.js';
import { analyticsRuleResources } from './analytics.js';
import type { DesiredResource } from './desired.js';
import { KINDS } from './kinds.js';
import { watchlistResources } from './watchlists.js';
import { automationRuleResources, playbookResources } from '../playbooks/resources.js';
import { loadWorkbooks } from '../workbooks/model.js';
import { workbookResources } from '../workbooks/resources.js';

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
  /** Problems that do not stop the deployment; shown to the user. */
  warnings?: Diagnostic[];
}

export type Producer = (input: ProducerInput) => DesiredResource[];

export const PRODUCERS: Producer[] = [
  analyticsRuleResources,
  watchlistResources,
  playbooks,
  automationRules,
  workbooks,
];

/** The Teams webhook URL is a secret: taken from the environment at apply time, never from the repository. */
export const TEAMS_WEBHOOK_ENV = 'SESSIONGUARD_TEAMS_WEBHOOK_URL';

/** Logic Apps and workbooks are placed by location: a workspace given only by ARM id has none. */
function located(input: ProducerInput, what: string): boolean {
  if (input.target.config.location) return true;
  const file = input.project.config.file ?? 'sessionguard.yaml';
  input.warnings?.push({ file, line: 1, col: 1, severity: 'warning', message: `workspace '${input.target.name}' has no location: ${what} not deployed (configure the workspace with its location in ${file})` });
  return false;
}

function playbooks(input: ProducerInput): DesiredResource[] {
  const { project, target } = input;
  if (project.playbooks.length === 0 || !located(input, 'playbooks and their automation rules')) return [];
  const out = playbookResources({ workspace: target.config, playbooks: project.playbooks, watchlists: project.watchlists });
  const url = process.env[TEAMS_WEBHOOK_ENV];
  for (const r of out) {
    const props = r.body.properties as { definition?: { parameters?: Record<string, unknown> }; parameters?: Record<string, unknown> };
    // Without a value here a redeploy would reset the parameter to its empty default; the value is
    // kept out of plans, diffs and hashes (see KINDS.playbook.serverOwned).
    if (r.kind === 'playbook' && url && props.definition?.parameters?.teamsWebhookUrl) props.parameters = { ...props.parameters, teamsWebhookUrl: { value: url } };
  }
  return out;
}

function automationRules({ project, target, compiled }: ProducerInput): DesiredResource[] {
  // They run the playbooks: without the playbooks (no location) there is nothing to run.
  if (project.playbooks.length === 0 || !target.config.location) return [];
  return automationRuleResources({ workspace: target.config, playbooks: project.playbooks, watchlists: project.watchlists, rules: compiled.rules });
}

function workbooks(input: ProducerInput): DesiredResource[] {
  const { project, target, compiled } = input;
  const { workbooks: wbs, diagnostics } = loadWorkbooks(project.config.workbooks);
  if (diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid workbook', diagnostics);
  if (wbs.length === 0 || !located(input, 'workbooks')) return [];
  return workbookResources(wbs, target.config, { packRuleIds: compiled.rules.map((c) => c.guid) });
}

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
