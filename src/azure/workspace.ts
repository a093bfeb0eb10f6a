// --workspace: a configured name, `all`, a Log Analytics workspace ARM id, or (for queries) its GUID.
import { UserError } from '../diagnostics.js';
import type { Config, WorkspaceConfig } from '../rules/config.js';

export interface WorkspaceTarget {
  /** The configured name, or the workspace name from an ARM id, or the GUID. */
  name: string;
  config: WorkspaceConfig;
  /** ARM coordinates, when known. */
  subscriptionId?: string;
  resourceGroup?: string;
  workspaceName?: string;
  /** /subscriptions/…/providers/Microsoft.OperationalInsights/workspaces/NAME, when known. */
  armId?: string;
  /** Log Analytics workspace id (customer id GUID), when known. */
  workspaceId?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ARM_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.OperationalInsights\/workspaces\/([^/]+)\/?$/i;

export function workspaceArmId(sub: string, rg: string, ws: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.OperationalInsights/workspaces/${ws}`;
}

function fromConfig(w: WorkspaceConfig): WorkspaceTarget {
  const arm = w.subscriptionId && w.resourceGroup && w.workspaceName ? workspaceArmId(w.subscriptionId, w.resourceGroup, w.workspaceName) : undefined;
  return { name: w.name, config: w, subscriptionId: w.subscriptionId, resourceGroup: w.resourceGroup, workspaceName: w.workspaceName, armId: arm, workspaceId: w.workspaceId };
}

function blank(name: string): WorkspaceConfig {
  return { name, cloud: 'AzurePublic', parameters: {}, disabledRules: [], overrides: {}, ingestionDelay: {} };
}

/**
 * The workspaces an argument names. `allowAll` for commands that fan out (plan, apply);
 * `allowGuid` for data-plane commands (query, backtest, record, latency).
 */
export function resolveWorkspaces(config: Config, arg: string, opts: { allowAll?: boolean; allowGuid?: boolean; needArm?: boolean } = {}): WorkspaceTarget[] {
  const forms = ['a configured workspace name', ...(opts.allowAll ? ['all'] : []), 'a workspace ARM id (/subscriptions/…/resourceGroups/…/providers/Microsoft.OperationalInsights/workspaces/NAME)', ...(opts.allowGuid ? ['a workspace id (GUID)'] : [])];
  const expected = `expected ${forms.join(', or ')}`;
  const a = arg.trim();
  let out: WorkspaceTarget[];
  if (a === 'all' && opts.allowAll) {
    out = config.workspaces.map(fromConfig);
  } else if (ARM_ID.test(a)) {
    const [, sub, rg, ws] = ARM_ID.exec(a)!;
    const configured = config.workspaces.find((w) => w.subscriptionId?.toLowerCase() === sub.toLowerCase() && w.resourceGroup?.toLowerCase() === rg.toLowerCase() && w.workspaceName?.toLowerCase() === ws.toLowerCase());
    out = [configured ? fromConfig(configured) : { name: ws, config: blank(ws), subscriptionId: sub, resourceGroup: rg, workspaceName: ws, armId: workspaceArmId(sub, rg, ws) }];
  } else if (GUID.test(a) && opts.allowGuid) {
    const configured = config.workspaces.find((w) => w.workspaceId?.toLowerCase() === a.toLowerCase());
    out = [configured ? fromConfig(configured) : { name: a, config: blank(a), workspaceId: a }];
  } else {
    const w = config.workspaces.find((x) => x.name === a);
    if (!w) {
      const names = config.workspaces.map((x) => x.name);
      throw new UserError(`--workspace ${JSON.stringify(arg)}: no such workspace; ${expected}${names.length ? ` (configured: ${names.join(', ')})` : ''}`);
    }
    out = [fromConfig(w)];
  }
  if (opts.needArm) {
    const missing = out.filter((t) => !t.armId);
    if (missing.length) {
      throw new UserError(
        `workspace ${missing.map((m) => `'${m.name}'`).join(', ')} has no subscriptionId, resourceGroup and workspaceName in ${config.file ?? 'sessionguard.yaml'}; add them or pass the workspace ARM id`,
      );
    }
  }
  return out;
}
