// ca validate | whatif | plan | apply: Conditional Access policies kept in ca/, replayed over
// recorded sign-ins, and deployed through Microsoft Graph (report-only unless --enable).
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pc from 'picocolors';
import { UserError, formatDiagnostic, sortDiagnostics } from '../diagnostics.js';
import { azureContext, graphClient } from '../azure/context.js';
import { resolveWorkspaces } from '../azure/workspace.js';
import { applyPlan, makePlan, readDeployed, usesBetaOnly, type Plan } from '../ca/deploy.js';
import { loadCaSet } from '../ca/load.js';
import type { CaSet, NamedLocation } from '../ca/model.js';
import { readLogs } from '../ca/signins.js';
import { readAttackLabels, readMembership, readNamedLocations, whatIf, whatIfJson, type WhatIfReport } from '../ca/whatif.js';
import { loadConfig, type Config } from '../rules/config.js';
import { loadWatchlists } from '../rules/watchlists.js';
import { action } from './run.js';

const EXCLUDED = 'sg_excluded_accounts';

function format(f: string): 'text' | 'json' {
  if (f !== 'text' && f !== 'json') throw new UserError(`--format: expected text or json, got '${f}'`);
  return f;
}

function config(cwd: string): Config {
  const { config, diagnostics } = loadConfig(cwd);
  if (diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid sessionguard.yaml', diagnostics);
  return config;
}

/** Break-glass ids from the sg_excluded_accounts watchlist; a tenant's own (beside its logs) wins. */
function watchlistBreakGlass(cfg: Config, logDirs: string[], cwd: string): string[] {
  const dirs = [...cfg.watchlists];
  for (const l of logDirs) {
    const base = existsSync(l) && statSync(l).isDirectory() ? l : dirname(l);
    if (existsSync(join(base, 'watchlists'))) dirs.push(join(base, 'watchlists'));
  }
  let ids: string[] = [];
  for (const d of dirs) {
    const r = loadWatchlists([d], cwd);
    if (r.diagnostics.some((x) => x.severity === 'error')) throw new UserError('invalid watchlist', r.diagnostics);
    const w = r.watchlists.find((x) => x.alias === EXCLUDED);
    if (w?.rows.length) ids = w.rows.map((row) => row.AadUserId ?? '').filter(Boolean);
  }
  return ids;
}

function loadSet(cwd: string, logDirs: string[], extraLocations?: (NamedLocation & { id?: string })[]): CaSet {
  const cfg = config(cwd);
  const { set, diagnostics } = loadCaSet(join(cfg.root, 'ca'), { watchlistBreakGlass: watchlistBreakGlass(cfg, logDirs, cwd), extraLocations, cwd });
  if (diagnostics.some((d) => d.severity === 'error')) throw new UserError('ca/ has errors; nothing done', diagnostics);
  for (const d of sortDiagnostics(diagnostics)) console.error(formatDiagnostic(d));
  return set;
}

function printWhatIf(r: WhatIfReport, verbose: boolean): void {
  console.log(`${pc.bold('what-if')}: ${r.evaluated} successful sign-ins (${r.skippedFailed} failed ones skipped) through ${r.policies.length} policies, each as if enforced\n`);
  console.log(pc.dim(`  ${'policy'.padEnd(66)} ${'blocked'.padStart(8)} ${'challenged'.padStart(10)} ${'session'.padStart(8)} ${'users'.padStart(6)}`));
  for (const p of r.policies) {
    console.log(`  ${p.name.slice(0, 66).padEnd(66)} ${String(p.blocked).padStart(8)} ${String(p.challenged).padStart(10)} ${String(p.sessionLimited).padStart(8)} ${String(p.usersAffected.length).padStart(6)}`);
    if (p.usersAffected.length) console.log(pc.dim(`      users: ${p.usersAffected.slice(0, 8).join(', ')}${p.usersAffected.length > 8 ? `, … ${p.usersAffected.length - 8} more` : ''}`));
    const shown = verbose ? p.signIns : p.signIns.slice(0, 3);
    for (const s of shown) console.log(pc.dim(`      ${s.outcome === 'block' ? 'block    ' : 'challenge'} ${s.at.slice(0, 19).replace('T', ' ')} ${s.user} ${s.app} -> ${s.resource}: ${s.why.join(', ')} (${s.where})`));
    if (shown.length < p.signIns.length) console.log(pc.dim(`      … ${p.signIns.length - shown.length} more sign-ins (-v lists them all)`));
  }
  for (const n of r.notes) console.log(pc.yellow(`  note: ${n}`));
  if (!r.attacks.length) return;
  const stopped = r.attacks.filter((a) => a.stopped).length;
  console.log(`\n${pc.bold(`Attacks: ${stopped} of ${r.attacks.length} stopped`)} ${pc.dim('(every attacker sign-in would have failed)')}`);
  for (const a of r.attacks) {
    const by = Object.entries(a.stoppedBy).map(([n, k]) => `${n.split(' ')[0]} (${k})`).join(', ');
    if (a.stopped) console.log(`  ${pc.green('stopped')}      ${a.id.padEnd(28)} ${a.account}: ${a.signIns} attacker sign-ins, by ${by}`);
    else if (!a.signIns) console.log(`  ${pc.red('not stopped')}  ${a.id.padEnd(28)} ${a.account}: no attacker sign-in found in the logs`);
    else console.log(`  ${pc.red('not stopped')}  ${a.id.padEnd(28)} ${a.account}: ${a.stoppedSignIns} of ${a.signIns} stopped${by ? ` (by ${by})` : ''}; first through: ${a.firstThrough!.app} -> ${a.firstThrough!.resource} at ${a.firstThrough!.at} (${a.firstThrough!.where})`);
  }
}

function printPlan(p: Plan): void {
  const sign = { create: pc.green('+ create'), update: pc.yellow('~ update'), delete: pc.red('- delete'), unchanged: pc.dim('= same  ') };
  for (const c of p.changes) {
    const kind = c.kind === 'policy' ? 'policy' : 'named location';
    const state = c.kind === 'policy' && c.body && c.action !== 'delete' ? ` [${String(c.body.state)}]` : '';
    const fields = c.action === 'update' && c.fields?.length ? `: ${c.fields.join(', ')}` : '';
    console.log(`${sign[c.action]} ${kind} '${c.name}'${state}${fields}`);
  }
  for (const d of p.drift) console.log(pc.red(`drift: policy '${d}' no longer excludes the break-glass accounts; apply restores the exclusion`));
  if (p.unmanaged.length) console.log(pc.dim(`not ours, left alone: ${p.unmanaged.length} (${p.unmanaged.slice(0, 5).join(', ')}${p.unmanaged.length > 5 ? ', …' : ''})`));
  const n = p.changes.filter((c) => c.action !== 'unchanged').length;
  console.log(n ? `${n} change(s)` : 'no changes');
}

function planJson(p: Plan) {
  return {
    policyVersion: p.policyVersion,
    changes: p.changes.map((c) => ({ kind: c.kind, action: c.action, name: c.name, ...(c.body?.state ? { state: c.body.state } : {}), ...(c.fields?.length ? { fields: c.fields } : {}) })),
    drift: p.drift,
    unmanaged: p.unmanaged,
  };
}

async function planFor(workspace: string, enable: boolean) {
  const cwd = process.cwd();
  const set = loadSet(cwd, []);
  const [target] = resolveWorkspaces(config(cwd), workspace);
  const client = graphClient(azureContext({ cloud: target!.config.cloud }));
  const deployed = await readDeployed(client, usesBetaOnly(set) ? 'beta' : 'v1.0');
  return { set, client, deployed, plan: makePlan(set, deployed, enable) };
}

export function registerCaCommands(program: Command): void {
  const ca = program.command('ca').description('Conditional Access as code: validate ca/, what-if over recorded sign-ins, plan and apply through Microsoft Graph');

  ca.command('validate')
    .description('check the policies and named locations in ca/, every problem at once')
    .action(
      action(() => {
        const set = loadSet(process.cwd(), []);
        console.log(`${set.policies.length} policies, ${set.namedLocations.length} named locations; every policy excludes ${set.breakGlass.length} break-glass account(s)`);
      }),
    );

  ca.command('whatif')
    .description('replay recorded sign-ins through the policies: who each would block or challenge, which attacks they would stop')
    .requiredOption('--logs <paths...>', 'folders or files of SigninLogs, AADNonInteractiveUserSignInLogs (and AADUserRiskEvents) rows')
    .option('--labels <file>', 'recorded attacks: JSON array of {"id","account","start"} (labels.json)')
    .option('--groups <file>', 'group and role membership: YAML/JSON mapping of group or role id to member ids or UPNs')
    .option('--named-locations <file>', 'named locations (our list, or Graph\'s {"value":[...]} export) for policies that refer to them by id')
    .option('--format <format>', 'text or json', 'text')
    .option('-v, --verbose', 'list every sign-in each policy would block or challenge')
    .action(
      action(async (opts: { logs: string[]; labels?: string; groups?: string; namedLocations?: string; format: string; verbose?: boolean }) => {
        const fmt = format(opts.format);
        const logDirs = opts.logs.map((l) => resolve(l));
        const extra = opts.namedLocations ? readNamedLocations(opts.namedLocations) : undefined;
        const set = loadSet(process.cwd(), logDirs, extra);
        const members = opts.groups ? readMembership(opts.groups) : undefined;
        const labels = opts.labels ? readAttackLabels(opts.labels) : undefined;
        const logs = await readLogs(logDirs);
        if (logs.skipped.count) console.error(pc.yellow(`skipped ${logs.skipped.count} unreadable row(s): ${logs.skipped.examples.join('; ')}`));
        const report = whatIf(set, logs, { members, namedLocations: extra, labels });
        if (fmt === 'json') console.log(JSON.stringify(whatIfJson(report)));
        else printWhatIf(report, !!opts.verbose);
      }),
    );

  ca.command('plan')
    .description('what apply would change in the tenant (policies and named locations we manage); nothing is written')
    .requiredOption('-w, --workspace <name>', 'configured workspace (its cloud and tenant)')
    .option('--enable', 'plan for enforcing the policies instead of report-only')
    .option('--format <format>', 'text or json', 'text')
    .action(
      action(async (opts: { workspace: string; enable?: boolean; format: string }) => {
        const fmt = format(opts.format);
        const { plan } = await planFor(opts.workspace, !!opts.enable);
        if (fmt === 'json') console.log(JSON.stringify(planJson(plan)));
        else printPlan(plan);
      }),
    );

  ca.command('apply')
    .description('create, update and delete our policies and named locations; report-only unless --enable')
    .requiredOption('-w, --workspace <name>', 'configured workspace (its cloud and tenant)')
    .option('--enable', 'enforce the policies (state from each file) instead of report-only')
    .option('--format <format>', 'text or json', 'text')
    .action(
      action(async (opts: { workspace: string; enable?: boolean; format: string }) => {
        const fmt = format(opts.format);
        const { set, client, deployed, plan } = await planFor(opts.workspace, !!opts.enable);
        const log = await applyPlan(client, set, plan, deployed);
        if (fmt === 'json') console.log(JSON.stringify({ ...planJson(plan), writes: log.writes, done: log.lines }));
        else {
          for (const l of log.lines) console.log(`${pc.green('done')} ${l}`);
          for (const d of plan.drift) console.log(pc.yellow(`restored the break-glass exclusion of '${d}'`));
          console.log(`${log.writes} write(s)${plan.unmanaged.length ? `; ${plan.unmanaged.length} policies and locations not ours left alone` : ''}`);
        }
      }),
    );
}
