// Playbooks and automation rules as what a workspace should contain: ARM PUT bodies for deploy
// (DesiredResource) and ARM templates for `build` (dist/<ws>/Playbooks, dist/<ws>/AutomationRules).
import { escapeArm, json, TEMPLATE_SCHEMA } from '../compile/arm.js';
import { alertRuleGuid } from '../compile/ids.js';
import { MANAGED_TAG, MANAGED_VALUE, type DesiredResource } from '../deploy/desired.js';
import { UserError, type Diagnostic } from '../diagnostics.js';
import { endpointsFor } from '../azure/endpoints.js';
import { workspaceResourceId, type WorkspaceConfig } from '../rules/config.js';
import type { Rule } from '../rules/model.js';
import type { Watchlist } from '../rules/watchlists.js';
import { AUTOMATION_API, automationRules, type AutomationRef } from './automation.js';
import { CONTAINMENT_STEPS, type Playbook } from './model.js';
import { checkWorkflow } from './wdl/check.js';
import { OFFICE365_KEY, SENTINEL_KEY, workflowDefinition, type WorkflowDefinition } from './workflow.js';

export const LOGIC_API = '2019-05-01';
export const CONNECTIONS_API = '2016-06-01';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface PlaybookInput {
  workspace: WorkspaceConfig;
  playbooks: Playbook[];
  watchlists: Watchlist[];
}

/**
 * The object ids a playbook never touches: its watchlist's rows and its own list. Baked into the
 * workflow as a parameter at build time, not read at run time: the playbook then has no run-time
 * dependency (and no extra permission) for its most important guard, and a failed read can never
 * turn into "nobody is excluded". The cost: a watchlist change needs a rebuild and redeploy.
 */
export function excludedObjectIds(pb: Playbook, watchlists: Watchlist[]): { ids: string[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const ids = new Set(pb.excludedAccountIds);
  const wl = watchlists.find((w) => w.alias === pb.excludedAccountsWatchlist);
  if (!wl) {
    if (CONTAINMENT_STEPS.some((s) => pb.steps.includes(s))) {
      diagnostics.push({ file: pb.file, line: 1, col: 1, severity: 'warning', message: `watchlist '${pb.excludedAccountsWatchlist}' (excluded accounts) has no local definition; only guardrails.excludedAccounts.objectIds are excluded` });
    }
  } else {
    const column = wl.columns.includes('AadUserId') ? 'AadUserId' : wl.columns.includes('ObjectId') ? 'ObjectId' : wl.searchKey;
    wl.rows.forEach((r, i) => {
      const v = (r[column] ?? '').trim().toLowerCase();
      if (GUID.test(v)) ids.add(v);
      else diagnostics.push({ file: wl.file, line: i + 2, col: 1, severity: 'error', message: `${column} '${r[column] ?? ''}' is not an object id (GUID); an excluded account must be named by its object id` });
    });
  }
  return { ids: [...ids].sort(), diagnostics };
}

function definitionFor(pb: Playbook, ws: WorkspaceConfig, ids: string[]): WorkflowDefinition {
  // The cloud's own endpoints: overrides (SESSIONGUARD_*_ENDPOINT) are for this machine, not for Azure.
  const e = endpointsFor(ws.cloud, {});
  return workflowDefinition({ playbook: pb, excludedObjectIds: ids, graphEndpoint: e.graph, armEndpoint: e.arm });
}

function connectionKeys(pb: Playbook): string[] {
  return pb.steps.includes('notifyEmail') ? [SENTINEL_KEY, OFFICE365_KEY] : [SENTINEL_KEY];
}

/** Checks a generated definition; a problem here is a generator bug, reported like any error. */
function checked(pb: Playbook, ws: WorkspaceConfig, def: WorkflowDefinition): Diagnostic[] {
  const graph = endpointsFor(ws.cloud, {}).graph;
  return checkWorkflow(def, { connections: connectionKeys(pb), graphAudience: graph }).map((m) => ({ file: pb.file, line: 1, col: 1, severity: 'error' as const, message: `generated workflow: ${m}` }));
}

function requireArm(ws: WorkspaceConfig): { sub: string; rg: string; location: string; wsId: string } {
  const wsId = workspaceResourceId(ws);
  if (!wsId || !ws.location) throw new UserError(`workspace ${ws.name}: subscriptionId, resourceGroup, workspaceName and location are needed to place playbooks and automation rules (sessionguard.yaml)`);
  return { sub: ws.subscriptionId!, rg: ws.resourceGroup!, location: ws.location, wsId };
}

/** The Logic Apps (and their connections) a workspace should have, as exact ARM PUT bodies. */
export function playbookResources(input: PlaybookInput): DesiredResource[] {
  const { sub, rg, location } = requireArm(input.workspace);
  const out: DesiredResource[] = [];
  const rgId = `/subscriptions/${sub}/resourceGroups/${rg}`;
  for (const pb of input.playbooks) {
    const ex = excludedObjectIds(pb, input.watchlists);
    if (ex.diagnostics.some((d) => d.severity === 'error')) throw new UserError(`playbook ${pb.name}: invalid excluded accounts`, ex.diagnostics);
    const def = definitionFor(pb, input.workspace, ex.ids);
    const problems = checked(pb, input.workspace, def);
    if (problems.length) throw new UserError(`playbook ${pb.name}: the generated workflow is invalid`, problems);
    const value: Record<string, unknown> = {};
    const deps: string[] = [];
    for (const key of connectionKeys(pb)) {
      const name = `${key}-${pb.name}`;
      const id = `${rgId}/providers/Microsoft.Web/connections/${name}`;
      const api = `/subscriptions/${sub}/providers/Microsoft.Web/locations/${location}/managedApis/${key}`;
      const msi = key === SENTINEL_KEY;
      out.push({
        kind: 'connection',
        id,
        type: 'Microsoft.Web/connections',
        apiVersion: CONNECTIONS_API,
        body: {
          location,
          kind: 'V1',
          tags: { [MANAGED_TAG]: MANAGED_VALUE },
          properties: { displayName: `${pb.name} ${key}`, api: { id: api }, ...(msi ? { parameterValueType: 'Alternative' } : {}) },
        },
        dependsOn: [],
        source: pb.file,
        label: `${pb.name} ${key} connection`,
      });
      deps.push(id);
      value[key] = { connectionId: id, connectionName: name, id: api, ...(msi ? { connectionProperties: { authentication: { type: 'ManagedServiceIdentity' } } } : {}) };
    }
    out.push({
      kind: 'playbook',
      id: `${rgId}/providers/Microsoft.Logic/workflows/${pb.name}`,
      type: 'Microsoft.Logic/workflows',
      apiVersion: LOGIC_API,
      body: {
        location,
        tags: { [MANAGED_TAG]: MANAGED_VALUE },
        identity: { type: 'SystemAssigned' },
        properties: { state: 'Enabled', definition: def, parameters: { $connections: { value } } },
      },
      dependsOn: deps,
      source: pb.file,
      label: pb.name,
    });
  }
  return out;
}

function excludedFor(input: PlaybookInput): (pb: Playbook) => string[] {
  return (pb) => excludedObjectIds(pb, input.watchlists).ids;
}

/** The automation rules a workspace should have, as exact ARM PUT bodies. */
export function automationRuleResources(input: PlaybookInput & { rules: { rule: Rule; enabled: boolean }[] }): DesiredResource[] {
  const { sub, rg, wsId } = requireArm(input.workspace);
  const ref: AutomationRef = {
    alertRuleId: (id) => `${wsId}/providers/Microsoft.SecurityInsights/alertRules/${alertRuleGuid(id, input.workspace)}`,
    playbookId: (name) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Logic/workflows/${name}`,
    tenantId: input.workspace.tenantId,
  };
  return automationRules({ workspace: input.workspace, rules: input.rules, playbooks: input.playbooks, excluded: excludedFor(input), ref }).map((a) => ({
    kind: 'automationRule',
    id: `${wsId}/providers/Microsoft.SecurityInsights/automationRules/${a.guid}`,
    type: 'Microsoft.SecurityInsights/automationRules',
    apiVersion: AUTOMATION_API,
    body: a.body,
    dependsOn: [...a.playbooks.map(ref.playbookId), ref.alertRuleId(a.ruleId)],
    source: input.rules.find((r) => r.rule.id === a.ruleId)!.rule.file,
    label: `${a.ruleId} (${a.trigger === 'created' ? 'incident created' : 'alert added'})`,
  }));
}

/** ARM template of one playbook: its connections, the workflow, and the identity's principal id as output. */
function playbookTemplate(pb: Playbook, def: WorkflowDefinition): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  const value: Record<string, unknown> = {};
  for (const key of connectionKeys(pb)) {
    const name = `${key}-${pb.name}`;
    const api = `[subscriptionResourceId('Microsoft.Web/locations/managedApis', resourceGroup().location, '${key}')]`;
    const msi = key === SENTINEL_KEY;
    resources.push({
      type: 'Microsoft.Web/connections',
      apiVersion: CONNECTIONS_API,
      name,
      location: '[resourceGroup().location]',
      kind: 'V1',
      tags: { [MANAGED_TAG]: MANAGED_VALUE },
      properties: { displayName: `${pb.name} ${key}`, api: { id: api }, ...(msi ? { parameterValueType: 'Alternative' } : {}) },
    });
    value[key] = { connectionId: `[resourceId('Microsoft.Web/connections', '${name}')]`, connectionName: name, id: api, ...(msi ? { connectionProperties: { authentication: { type: 'ManagedServiceIdentity' } } } : {}) };
  }
  const parameters: Record<string, unknown> = {};
  const workflowParams: Record<string, unknown> = { $connections: { value } };
  const deployParam = (name: string, type: string, description: string) => {
    parameters[name] = { type, defaultValue: escapeArm(def.parameters[name]?.defaultValue ?? ''), metadata: { description } };
    workflowParams[name] = { value: `[parameters('${name}')]` };
  };
  if (def.parameters.teamsWebhookUrl) deployParam('teamsWebhookUrl', 'securestring', 'Teams incoming-webhook URL for the SOC channel (a secret: pass it at deployment, never commit it)');
  if (def.parameters.socEmailTo) deployParam('socEmailTo', 'string', 'SOC e-mail recipients, separated by ;');
  if (def.parameters.notifySender) deployParam('notifySender', 'string', 'Mailbox the user notification is sent from (the identity needs Mail.Send, scoped by an application access policy)');
  resources.push({
    type: 'Microsoft.Logic/workflows',
    apiVersion: LOGIC_API,
    name: pb.name,
    location: '[resourceGroup().location]',
    tags: { [MANAGED_TAG]: MANAGED_VALUE, 'hidden-SentinelTemplateName': pb.name },
    identity: { type: 'SystemAssigned' },
    dependsOn: connectionKeys(pb).map((k) => `[resourceId('Microsoft.Web/connections', '${k}-${pb.name}')]`),
    properties: { state: 'Enabled', definition: escapeArm(def), parameters: workflowParams },
  });
  return {
    $schema: TEMPLATE_SCHEMA,
    contentVersion: '1.0.0.0',
    metadata: { generator: 'sessionguard', description: `Playbook ${pb.name}: ${pb.description}` },
    parameters,
    resources,
    outputs: {
      principalId: { type: 'string', value: `[reference(resourceId('Microsoft.Logic/workflows', '${pb.name}'), '${LOGIC_API}', 'full').identity.principalId]` },
    },
  };
}

/** Files `build` writes for a workspace: one template per playbook and one per automation rule. */
export function playbookFiles(input: PlaybookInput & { rules: { rule: Rule; enabled: boolean }[] }): { files: Map<string, string>; diagnostics: Diagnostic[] } {
  const files = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const ids = new Map<string, string[]>();
  for (const pb of input.playbooks) {
    const ex = excludedObjectIds(pb, input.watchlists);
    diagnostics.push(...ex.diagnostics);
    ids.set(pb.name, ex.ids);
    const def = definitionFor(pb, input.workspace, ex.ids);
    diagnostics.push(...checked(pb, input.workspace, def));
    files.set(`Playbooks/${pb.name}.json`, json(playbookTemplate(pb, def)));
  }
  const ref: AutomationRef = {
    alertRuleId: (id) => `[resourceId('Microsoft.OperationalInsights/workspaces/providers/alertRules', parameters('workspace'), 'Microsoft.SecurityInsights', '${alertRuleGuid(id, input.workspace)}')]`,
    playbookId: (name) => `[resourceId('Microsoft.Logic/workflows', '${name}')]`,
    tenantId: input.workspace.tenantId ?? '[subscription().tenantId]',
  };
  const autos = automationRules({ workspace: input.workspace, rules: input.rules, playbooks: input.playbooks, excluded: (pb) => ids.get(pb.name) ?? [], ref });
  const resources = autos.map((a) => ({
    type: 'Microsoft.OperationalInsights/workspaces/providers/automationRules',
    apiVersion: AUTOMATION_API,
    name: `[concat(parameters('workspace'), '/Microsoft.SecurityInsights/', '${a.guid}')]`,
    properties: a.body.properties,
  }));
  for (const [i, a] of autos.entries()) {
    files.set(`AutomationRules/${a.ruleId.replace(/[^A-Za-z0-9._-]+/g, '_')}.${a.trigger}.json`, json(automationTemplate([resources[i]!], `Automation rule for ${a.ruleId} (${a.trigger})`)));
  }
  return { files, diagnostics };
}

function automationTemplate(resources: Record<string, unknown>[], description: string): Record<string, unknown> {
  return {
    $schema: TEMPLATE_SCHEMA,
    contentVersion: '1.0.0.0',
    metadata: { generator: 'sessionguard', description },
    parameters: { workspace: { type: 'string', metadata: { description: 'Name of the Log Analytics workspace with Microsoft Sentinel' } } },
    resources,
  };
}
