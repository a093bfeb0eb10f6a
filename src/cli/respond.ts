// `respond` (contain one account from the command line) and `grant` (Graph permissions for the
// playbooks' managed identities, after deployment).
import type { Command } from 'commander';
import pc from 'picocolors';
import { UserError, errorsOf } from '../diagnostics.js';
import { azureContext, graphClient, logicClient } from '../azure/context.js';
import { resolveWorkspaces } from '../azure/workspace.js';
import { loadConfig, type Config } from '../rules/config.js';
import { loadPlaybooks } from '../playbooks/model.js';
import { loadExclusions } from '../respond/exclusions.js';
import { respond, type RespondAction, type RespondReport } from '../respond/respond.js';
import { grant, ROLE_AUTOMATION_CONTRIBUTOR, ROLE_RESPONDER, type GrantReport } from '../respond/grant.js';
import { action } from './run.js';

interface RespondOpts {
  user: string;
  revoke?: boolean;
  disable?: boolean;
  confirmCompromised?: boolean;
  requirePasswordChange?: boolean;
  removeAuthMethodsSince?: string;
  workspace?: string;
  dryRun?: boolean;
  format: string;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

function config(cwd: string): Config {
  const { config, diagnostics } = loadConfig(cwd);
  const errors = errorsOf(diagnostics);
  if (errors.length) throw new UserError('invalid configuration; nothing was done', errors);
  return config;
}

/** The cloud to talk to: the named workspace's, or the one all configured workspaces share. */
function cloudOf(cfg: Config, workspace?: string) {
  if (workspace) return resolveWorkspaces(cfg, workspace)[0]!.config.cloud;
  const clouds = [...new Set(cfg.workspaces.map((w) => w.cloud))];
  if (clouds.length > 1) throw new UserError(`the configured workspaces are in different clouds (${clouds.join(', ')}); pass --workspace NAME to choose one`);
  return clouds[0] ?? 'AzurePublic';
}

function printRespond(r: RespondReport): void {
  const who = r.user ? `${r.user.userPrincipalName} (${r.user.id})` : r.input;
  console.log(`${pc.bold('respond')} ${who}${r.dryRun ? pc.yellow(' [dry run: nothing changed]') : ''}`);
  if (r.message) console.log(`  ${r.outcome === 'ok' ? r.message : pc.red(r.message)}`);
  const colour = { done: pc.green, already: pc.dim, would: pc.yellow, failed: pc.red, skipped: pc.dim } as const;
  for (const s of r.steps) {
    console.log(`  ${s.action.padEnd(24)} ${colour[s.status](s.status.padEnd(8))} ${s.detail}`);
    if (r.dryRun) for (const c of s.calls) console.log(`    ${pc.dim(c)}`);
  }
}

function printGrant(r: GrantReport): void {
  console.log(`${pc.bold('grant')} Microsoft Graph application permissions${r.dryRun ? pc.yellow(' [dry run: nothing granted]') : ''}`);
  if (r.message) console.log(`  ${pc.red(r.message)}`);
  for (const g of r.playbooks) {
    console.log(`  ${pc.bold(g.playbook)}${g.principalId ? pc.dim(` identity ${g.principalId}`) : ''}`);
    if (g.problem) {
      console.log(`    ${pc.red(g.problem)}`);
      continue;
    }
    if (!g.permissions.length) console.log(`    ${pc.dim('no Graph permission needed')}`);
    for (const p of g.permissions) console.log(`    ${p.value.padEnd(40)} ${p.status}${p.detail ? `: ${p.detail}` : ''}`);
  }
  console.log(`\nAzure roles the Sentinel automation needs (run as Owner or User Access Administrator):`);
  console.log(`  # ${ROLE_AUTOMATION_CONTRIBUTOR.name} for Azure Security Insights on the playbooks' resource group; ${ROLE_RESPONDER.name} for each playbook on the workspace`);
  for (const c of r.azCommands) console.log(`  ${c}`);
}

export function registerRespondCommands(program: Command): void {
  program
    .command('respond')
    .description('contain one account now through Microsoft Graph: the playbooks\' actions and guardrails, from the command line')
    .requiredOption('--user <upnOrObjectId>', 'the account: user principal name or object id')
    .option('--revoke', 'revoke every refresh token and session cookie')
    .option('--disable', 'disable the account')
    .option('--confirm-compromised', 'confirm the user compromised in Identity Protection (user risk high)')
    .option('--require-password-change', 'require a password change at next sign-in')
    .option('--remove-auth-methods-since <iso>', 'remove authentication methods registered at or after this time (ISO 8601)')
    .option('-w, --workspace <name>', 'configured workspace whose cloud to use')
    .option('--dry-run', 'read only: print what would be done')
    .option('--format <format>', 'text or json', 'text')
    .action(
      action(async (o: RespondOpts) => {
        if (!['text', 'json'].includes(o.format)) throw new UserError(`--format: expected text or json, got ${JSON.stringify(o.format)}`);
        const user = o.user.trim();
        // Guest UPNs carry '#EXT#'; the path segment is encoded, but '/' and '\' are never part of a user.
        if (!user || /[\s/\\]/.test(user)) throw new UserError(`--user ${JSON.stringify(o.user)}: expected a user principal name (name@domain) or an object id (GUID)`);
        let since: Date | undefined;
        if (o.removeAuthMethodsSince !== undefined) {
          since = new Date(o.removeAuthMethodsSince);
          if (!ISO.test(o.removeAuthMethodsSince) || Number.isNaN(since.getTime()))
            throw new UserError(`--remove-auth-methods-since ${JSON.stringify(o.removeAuthMethodsSince)}: expected an ISO 8601 time with a zone, e.g. 2026-03-02T09:00:00Z`);
        }
        const actions: RespondAction[] = [
          ...(o.disable ? (['disable'] as const) : []),
          ...(o.revoke ? (['revoke'] as const) : []),
          ...(o.confirmCompromised ? (['confirmCompromised'] as const) : []),
          ...(o.requirePasswordChange ? (['requirePasswordChange'] as const) : []),
          ...(since ? (['removeAuthMethodsSince'] as const) : []),
        ];
        if (!actions.length) throw new UserError('nothing to do: give at least one of --revoke, --disable, --confirm-compromised, --require-password-change, --remove-auth-methods-since');
        const cfg = config(process.cwd());
        const ex = loadExclusions(cfg);
        for (const m of ex.missing) console.error(pc.yellow(`warning: watchlist '${m}' of excluded accounts was not found in ${cfg.watchlists.join(', ')}`));
        const ctx = azureContext({ cloud: cloudOf(cfg, o.workspace) });
        const report = await respond(graphClient(ctx), { user, actions, since, dryRun: o.dryRun === true }, ex);
        if (o.format === 'json') console.log(JSON.stringify(report, null, 2));
        else printRespond(report);
        if (report.outcome !== 'ok') process.exitCode = 1;
      }),
    );

  program
    .command('grant')
    .description("after deployment: give each playbook's managed identity its Microsoft Graph permissions; print the Azure roles Sentinel needs")
    .requiredOption('-w, --workspace <name>', 'configured workspace (or its ARM id) whose playbooks to grant')
    .option('--resource-group <name>', "the playbooks' resource group (default: the workspace's)")
    .option('--dry-run', 'read only: print what would be granted')
    .option('--format <format>', 'text or json', 'text')
    .action(
      action(async (o: { workspace: string; resourceGroup?: string; dryRun?: boolean; format: string }) => {
        if (!['text', 'json'].includes(o.format)) throw new UserError(`--format: expected text or json, got ${JSON.stringify(o.format)}`);
        const cfg = config(process.cwd());
        const ws = resolveWorkspaces(cfg, o.workspace, { needArm: true })[0]!;
        const pbs = loadPlaybooks(cfg.playbooks);
        const errors = errorsOf(pbs.diagnostics);
        if (errors.length) throw new UserError('invalid playbooks; nothing was granted', errors);
        if (!pbs.playbooks.length) throw new UserError(`no playbooks found in ${cfg.playbooks.join(', ')}; expected playbooks/*.yaml`);
        const rg = o.resourceGroup ?? ws.resourceGroup!;
        if (!/^[-\w._()]{1,90}$/.test(rg)) throw new UserError(`--resource-group ${JSON.stringify(rg)}: expected a resource group name`);
        const ctx = azureContext({ cloud: ws.config.cloud });
        const report = await grant(graphClient(ctx), logicClient(ctx, ws.subscriptionId!), pbs.playbooks, { subscriptionId: ws.subscriptionId!, resourceGroup: rg, workspaceArmId: ws.armId! }, o.dryRun === true);
        if (o.format === 'json') console.log(JSON.stringify(report, null, 2));
        else printGrant(report);
        if (!report.ok) process.exitCode = 1;
      }),
    );
}
