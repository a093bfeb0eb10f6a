// `grant`: after deployment, give each playbook's managed identity the Microsoft Graph application
// permissions its steps need, and no more. Graph app roles are directory objects, outside ARM, so
// no template can grant them: this runs after deploy, reading each identity from its Logic App.
import { graphPermissions } from '../playbooks/permissions.js';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { LogicManagementClient } from '@azure/arm-logic';
import type { Playbook, Step } from '../playbooks/model.js';
import { describeGraphError } from './graph-errors.js';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** The first-party app Sentinel runs playbooks as ("Azure Security Insights"). */
export const SECURITY_INSIGHTS_APP_ID = '98785600-1bb7-4fb9-b9fa-19afe2c8a360';
export const ROLE_AUTOMATION_CONTRIBUTOR = { name: 'Microsoft Sentinel Automation Contributor', id: 'f4c81013-99ee-4d62-a7ee-b3f1f648599a' };
export const ROLE_RESPONDER = { name: 'Microsoft Sentinel Responder', id: '3e150937-b8fe-4cfb-8069-0eaf05ecd056' };

/** Least-privilege Graph application permissions per playbook step. */
/** The playbook's permissions: one table, shared with the generator that emits its Graph calls. */
export function permissionsFor(p: Playbook): string[] {
  return graphPermissions(p);
}

export interface GrantTarget {
  subscriptionId: string;
  /** Where the playbooks' Logic Apps are. */
  resourceGroup: string;
  /** The Log Analytics workspace ARM id (scope of the Responder role). */
  workspaceArmId: string;
}

export interface PlaybookGrant {
  playbook: string;
  workflow: string;
  principalId?: string;
  permissions: { value: string; appRoleId?: string; status: 'present' | 'granted' | 'would grant' | 'failed'; detail?: string }[];
  /** Set when the playbook could not be handled at all (not deployed, no identity). */
  problem?: string;
}

export interface GrantReport {
  dryRun: boolean;
  graphServicePrincipalId?: string;
  playbooks: PlaybookGrant[];
  /** az role assignment commands the Sentinel automation needs (ARM roles, printed, not run). */
  azCommands: string[];
  ok: boolean;
  message?: string;
}

interface AppRoleAssignment {
  principalId: string;
  appRoleId: string;
}

interface GraphSp {
  id: string;
  appRoles: { id: string; value: string; allowedMemberTypes?: string[] }[];
}

async function listAll<T>(graph: Client, path: string): Promise<T[]> {
  const out: T[] = [];
  let page = (await graph.api(path).get()) as { value: T[]; '@odata.nextLink'?: string };
  out.push(...page.value);
  while (page['@odata.nextLink']) {
    page = (await graph.api(page['@odata.nextLink']).get()) as typeof page;
    out.push(...page.value);
  }
  return out;
}

export async function grant(graph: Client, logic: LogicManagementClient, playbooks: Playbook[], target: GrantTarget, dryRun: boolean): Promise<GrantReport> {
  const report: GrantReport = { dryRun, playbooks: [], azCommands: [], ok: true };
  // 1. Each playbook's identity, from its deployed Logic App (every playbook needs the Responder role).
  for (const p of playbooks) {
    const g: PlaybookGrant = { playbook: p.name, workflow: p.name, permissions: permissionsFor(p).map((value) => ({ value, status: 'failed' as const })) };
    report.playbooks.push(g);
    try {
      const wf = await logic.workflows.get(target.resourceGroup, p.name);
      g.principalId = wf.identity?.principalId;
      if (!g.principalId) g.problem = `the Logic App ${p.name} has no system-assigned managed identity; redeploy it with identity SystemAssigned`;
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode;
      g.problem =
        status === 404
          ? `the Logic App ${p.name} is not deployed in resource group ${target.resourceGroup}; deploy the playbooks first`
          : `could not read the Logic App ${p.name}: ${status ? `${status} ` : ''}${(e as Error).message.split('\n')[0]}`;
    }
  }

  // 2. The Graph service principal, its app roles, and what is granted already.
  const withIdentity = report.playbooks.filter((g) => g.principalId && g.permissions.length);
  if (withIdentity.length) {
    let sp: GraphSp | undefined;
    let existing: AppRoleAssignment[] = [];
    try {
      const found = (await graph.api('/servicePrincipals').filter(`appId eq '${GRAPH_APP_ID}'`).select(['id', 'appId', 'appRoles']).get()) as { value: GraphSp[] };
      sp = found.value[0];
      if (!sp) report.message = 'the Microsoft Graph service principal was not found in the tenant';
      else existing = await listAll<AppRoleAssignment>(graph, `/servicePrincipals/${sp.id}/appRoleAssignedTo`);
    } catch (e) {
      report.message = `could not read the Microsoft Graph service principal: ${describeGraphError(e, 'Application.Read.All').text}`;
      sp = undefined;
    }
    if (sp) {
      report.graphServicePrincipalId = sp.id;
      const have = new Set(existing.map((a) => `${a.principalId.toLowerCase()}|${a.appRoleId.toLowerCase()}`));
      // 3. POST only the missing ones.
      for (const g of withIdentity) {
        for (const perm of g.permissions) {
          const role = sp.appRoles.find((r) => r.value === perm.value && (r.allowedMemberTypes ?? ['Application']).includes('Application'));
          if (!role) {
            perm.detail = `Microsoft Graph has no application permission ${perm.value}`;
            continue;
          }
          perm.appRoleId = role.id;
          if (have.has(`${g.principalId!.toLowerCase()}|${role.id.toLowerCase()}`)) {
            perm.status = 'present';
            continue;
          }
          if (dryRun) {
            perm.status = 'would grant';
            continue;
          }
          try {
            await graph.api(`/servicePrincipals/${sp.id}/appRoleAssignedTo`).post({ principalId: g.principalId, resourceId: sp.id, appRoleId: role.id });
            perm.status = 'granted';
          } catch (e) {
            perm.detail = describeGraphError(e, 'AppRoleAssignment.ReadWrite.All and Application.Read.All').text;
          }
        }
      }
    } else {
      for (const g of withIdentity) for (const perm of g.permissions) perm.detail = report.message;
    }
  }

  // 4. The ARM roles: printed, because granting them needs Owner or User Access Administrator.
  const rgScope = `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}`;
  report.azCommands.push(`az role assignment create --assignee ${SECURITY_INSIGHTS_APP_ID} --role ${ROLE_AUTOMATION_CONTRIBUTOR.id} --scope ${rgScope}`);
  for (const g of report.playbooks) {
    if (g.principalId) report.azCommands.push(`az role assignment create --assignee-object-id ${g.principalId} --assignee-principal-type ServicePrincipal --role ${ROLE_RESPONDER.id} --scope ${target.workspaceArmId}`);
  }

  report.ok = !report.message && report.playbooks.every((g) => !g.problem && g.permissions.every((p) => p.status !== 'failed'));
  return report;
}
