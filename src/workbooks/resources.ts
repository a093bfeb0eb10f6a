// Workbooks as ARM resources: an ARM template per workbook for `build` (dist/<ws>/Workbooks/), and
// the exact PUT body per workbook for deploy. Names are UUID v5 of the workbook id and the workspace.
import { v5 as uuidv5 } from 'uuid';
import { UserError, type Diagnostic } from '../diagnostics.js';
import { escapeArm, json, TEMPLATE_SCHEMA } from '../compile/arm.js';
import { NAMESPACE, workspaceKey } from '../compile/ids.js';
import { MANAGED_TAG, MANAGED_VALUE, type DesiredResource } from '../deploy/desired.js';
import type { KqlCache } from '../kql/cache.js';
import type { SchemaEnv } from '../kql/kusto.js';
import { workspaceResourceId, type WorkspaceConfig } from '../rules/config.js';
import { checkWorkbookKql } from './check.js';
import { loadWorkbooks, type Workbook } from './model.js';
import { notebook } from './notebook.js';

export const WORKBOOK_API_VERSION = '2023-06-01';
export const WORKBOOK_TYPE = 'Microsoft.Insights/workbooks';

export function workbookGuid(id: string, ws: WorkspaceConfig): string {
  return uuidv5(`workbook|${id.toLowerCase()}|${workspaceKey(ws)}`, NAMESPACE);
}

/** Values the build fills in: `packRuleIds` (the alert-rule names of the pack in this workspace). */
export interface WorkbookValues {
  packRuleIds?: string[];
}

function valuesFor(wb: Workbook, v: WorkbookValues): Record<string, unknown> {
  return wb.parameters.some((p) => p.name === 'packRuleIds') && v.packRuleIds ? { packRuleIds: v.packRuleIds } : {};
}

function properties(wb: Workbook, v: WorkbookValues, sourceId: string, fallback: string[]): Record<string, unknown> {
  return {
    displayName: wb.displayName,
    description: wb.description,
    category: 'sentinel',
    version: 'Notebook/1.0',
    sourceId,
    serializedData: JSON.stringify(notebook(wb, valuesFor(wb, v), fallback)),
  };
}

/** One ARM template deploying the workbook next to the workspace named by the `workspace` parameter. */
export function workbookTemplate(wb: Workbook, ws: WorkspaceConfig, v: WorkbookValues = {}): Record<string, unknown> {
  const sourceId = "[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspace'))]";
  // A text starting with '[' would read as an ARM expression: escape every property but sourceId.
  const props = { ...escapeArm(properties(wb, v, sourceId, [])), sourceId };
  return {
    $schema: TEMPLATE_SCHEMA,
    contentVersion: '1.0.0.0',
    metadata: { generator: 'sessionguard', description: `${wb.displayName} (${wb.id})` },
    parameters: { workspace: { type: 'string', metadata: { description: 'Name of the Log Analytics workspace with Microsoft Sentinel' } } },
    resources: [
      {
        type: WORKBOOK_TYPE,
        apiVersion: WORKBOOK_API_VERSION,
        name: workbookGuid(wb.id, ws),
        location: '[resourceGroup().location]',
        kind: 'shared',
        tags: { [MANAGED_TAG]: MANAGED_VALUE },
        properties: props,
      },
    ],
  };
}

/** The workbooks of a workspace as desired resources for deploy. */
export function workbookResources(workbooks: Workbook[], ws: WorkspaceConfig, v: WorkbookValues = {}): DesiredResource[] {
  const armId = workspaceResourceId(ws);
  if (!armId) throw new UserError(`workspace '${ws.name}' has no subscriptionId, resourceGroup and workspaceName; workbooks are deployed beside the workspace`);
  if (!ws.location) throw new UserError(`workspace '${ws.name}' has no location in sessionguard.yaml; a workbook resource needs one`);
  return workbooks.map((wb) => {
    const id = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/${WORKBOOK_TYPE}/${workbookGuid(wb.id, ws)}`;
    return {
      kind: 'workbook' as const,
      id,
      type: WORKBOOK_TYPE,
      apiVersion: WORKBOOK_API_VERSION,
      body: { location: ws.location, kind: 'shared', tags: { [MANAGED_TAG]: MANAGED_VALUE }, properties: properties(wb, v, armId, [armId]) },
      dependsOn: [],
      source: wb.file,
      label: wb.id,
    };
  });
}

/** Loads and checks the workbooks; returns the files `build` writes under dist/<ws>/. */
export function compileWorkbooks(dirs: string[], ws: WorkspaceConfig, env: SchemaEnv, cache: KqlCache, v: WorkbookValues = {}): { files: Map<string, string>; diagnostics: Diagnostic[] } {
  const { workbooks, diagnostics } = loadWorkbooks(dirs);
  for (const wb of workbooks) diagnostics.push(...checkWorkbookKql(wb, env, cache, valuesFor(wb, v)));
  const files = new Map<string, string>();
  for (const wb of workbooks) files.set(`Workbooks/${wb.id}.json`, json(workbookTemplate(wb, ws, v)));
  return { files, diagnostics };
}
