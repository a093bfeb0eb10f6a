// Deterministic resource names: the same rule in the same workspace always gets the same GUID,
// so rebuilds and redeploys update in place instead of creating duplicates.
import { v5 as uuidv5 } from 'uuid';
import { workspaceResourceId, type WorkspaceConfig } from '../rules/config.js';

/** sessionguard's own UUID namespace (a fixed random v4). */
export const NAMESPACE = '1b0f8e0e-6a43-4a4d-9a8e-3f1c2b7d5e90';

/** The workspace key names hash into: its ARM id when known (stable across renames in the file), else its name. */
export function workspaceKey(ws: WorkspaceConfig): string {
  return (workspaceResourceId(ws) ?? `name:${ws.name}`).toLowerCase();
}

export function alertRuleGuid(ruleId: string, ws: WorkspaceConfig): string {
  return uuidv5(`alertRule|${ruleId.toLowerCase()}|${workspaceKey(ws)}`, NAMESPACE);
}
