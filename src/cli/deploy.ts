// plan, apply, export: deploy the desired state of each workspace through the Azure SDKs.
import type { Command } from 'commander';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { writeTrees } from '../compile/write.js';
import { formatDiagnostic, UserError, type Diagnostic } from '../diagnostics.js';
import { applyPlan } from '../deploy/apply.js';
import { exportFiles } from '../deploy/export.js';
import { planCounts, planWorkspace, type Counts, type WorkspacePlan } from '../deploy/plan.js';
import { RemoteError, remoteFor, type Remote } from '../deploy/remote.js';
import { applyText, countsJson, countsLine, planText } from '../deploy/report.js';
import { deployments, type Deployment } from '../deploy/targets.js';
import { openValid } from './rules.js';
import { action } from './run.js';

interface Common {
  workspace: string;
  prune?: boolean;
  format: string;
}

function checkFormat(f: string): 'text' | 'json' {
  if (f !== 'text' && f !== 'json') throw new UserError(`--format ${JSON.stringify(f)}: expected text or json`);
  return f;
}

function concurrency(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new UserError(`--concurrency ${JSON.stringify(v)}: expected a whole number from 1 to 32`);
  return n;
}

interface Planned {
  dep: Deployment;
  remote?: Remote;
  plan?: WorkspacePlan;
  error?: string;
}

function failedCounts(dep: Deployment): Counts {
  return { workspace: dep.target.name, created: 0, updated: 0, deleted: 0, unchanged: 0, failed: dep.desired.length || 1, drifted: 0 };
}

async function planAll(deps: Deployment[], prune: boolean): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const dep of deps) {
    // Credentials and endpoints per workspace: its cloud picks them.
    const remote = remoteFor(dep.target);
    try {
      out.push({ dep, remote, plan: await planWorkspace(remote, dep.target, dep.desired, { prune }) });
    } catch (e) {
      if (!(e instanceof RemoteError)) throw e;
      out.push({ dep, error: `cannot read workspace ${dep.target.name}: ${e.message}` });
    }
  }
  return out;
}

function printPlans(planned: Planned[], format: 'text' | 'json'): Counts[] {
  const counts = planned.map((p) => (p.plan ? planCounts(p.plan) : failedCounts(p.dep)));
  if (format === 'json') console.log(countsJson(counts));
  else {
    for (const p of planned) console.log(p.plan ? planText(p.plan, planCounts(p.plan)) : `${pc.bold(`workspace ${p.dep.target.name}`)}\n  ${pc.red(p.error!)}`);
  }
  for (const p of planned) if (p.error && format === 'json') console.error(p.error);
  return counts;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerDeployCommands(program: Command): void {
  program
    .command('plan')
    .description('show what apply would create, update (field by field), delete (with --prune) or leave alone, and what drifted')
    .requiredOption('-w, --workspace <name>', "a configured workspace, 'all', or a workspace ARM id")
    .option('--prune', 'also plan deleting managed resources that are gone from the code')
    .option('--format <format>', 'text or json', 'text')
    .action(
      action(async (o: Common) => {
        const format = checkFormat(o.format);
        const project = openValid([]);
        const planned = await planAll(warned(deployments(project, o.workspace)), !!o.prune);
        printPlans(planned, format);
        if (planned.some((p) => p.error)) process.exitCode = 1;
      }),
    );

  program
    .command('apply')
    .description('create, update and (with --prune) delete resources in dependency order; ETag conflicts are reported, not overwritten')
    .requiredOption('-w, --workspace <name>', "a configured workspace, 'all', or a workspace ARM id")
    .option('--prune', 'delete managed resources that are gone from the code (never anything we did not create)')
    .option('-y, --yes', 'apply without asking (required when not on a terminal)')
    .option('--format <format>', 'text or json', 'text')
    .option('--concurrency <n>', 'writes in flight at once per workspace', '4')
    .action(
      action(async (o: Common & { yes?: boolean; concurrency: string }) => {
        const format = checkFormat(o.format);
        const n = concurrency(o.concurrency);
        const project = openValid([]);
        const planned = await planAll(warned(deployments(project, o.workspace)), !!o.prune);
        const pending = planned.reduce((s, p) => s + (p.plan?.items.filter((i) => i.action !== 'unchanged').length ?? 0), 0);
        if (!o.yes && pending > 0) {
          printPlans(planned, format);
          if (!process.stdin.isTTY) throw new UserError('nothing applied: not on a terminal, so pass --yes to apply this plan');
          if (!(await confirm(`apply ${pending} change${pending === 1 ? '' : 's'}? [y/N] `))) throw new UserError('nothing applied');
        }
        const bar =
          format === 'text' && process.stderr.isTTY && pending >= 10
            ? new cliProgress.SingleBar({ format: 'applying [{bar}] {value}/{total} {label}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
            : undefined;
        bar?.start(pending, 0, { label: '' });
        const all: Counts[] = [];
        const texts: string[] = [];
        for (const p of planned) {
          if (!p.plan || !p.remote) {
            all.push(failedCounts(p.dep));
            texts.push(`${pc.bold(`workspace ${p.dep.target.name}`)}\n  ${pc.red(p.error!)}`);
            continue;
          }
          const { results, counts } = await applyPlan(p.remote, p.plan, { concurrency: n, onDone: (r) => bar?.increment(1, { label: r.item.label }) });
          all.push(counts);
          texts.push(applyText(p.plan, results, counts));
        }
        bar?.stop();
        if (format === 'json') console.log(countsJson(all));
        else {
          console.log(texts.join('\n'));
          if (all.length > 1) {
            console.log(pc.bold('\nsummary'));
            for (const c of all) console.log(`  ${c.workspace}: ${countsLine(c, 'apply')}`);
          }
        }
        const failed = all.reduce((s, c) => s + c.failed, 0);
        if (failed) {
          console.error(pc.red(`${failed} failed; fix the cause and run apply again (it picks up where it stopped)`));
          process.exitCode = 1;
        }
      }),
    );

  program
    .command('export')
    .description('write ARM templates for Sentinel Repositories and az deployment group create, per workspace')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('-w, --workspace <name>', "a configured workspace, 'all', or a workspace ARM id", 'all')
    .action(
      action((o: { out: string; workspace: string }) => {
        const project = openValid([]);
        const deps = warned(deployments(project, o.workspace, { needArm: false }));
        const out = resolve(o.out);
        writeTrees(
          deps.map((d) => {
            const stems = new Map(d.compiled.rules.map((c) => [`${d.target.armId}/providers/Microsoft.SecurityInsights/alertRules/${c.guid}`.toLowerCase(), c.stem]));
            return { target: join(out, d.target.name), files: exportFiles(d.target, d.desired, stems, d.compiled.files) };
          }),
        );
        for (const d of deps) {
          const count = (k: string) => d.desired.filter((x) => x.kind === k).length;
          console.log(`${pc.bold(d.target.name)} -> ${relative(process.cwd(), join(out, d.target.name)) || '.'}/: ${count('analyticsRule')} analytics rules, ${count('watchlist')} watchlists, ${count('playbook')} playbooks, ${count('automationRule')} automation rules, ${count('workbook')} workbooks`);
          if (!d.target.config.subscriptionId && d.desired.some((x) => x.kind !== 'analyticsRule' && x.kind !== 'watchlist')) {
            console.error(pc.yellow(`warning: workspace ${d.target.name} has no subscriptionId/resourceGroup/workspaceName; resource ids inside its playbooks and workbooks are placeholders`));
          }
        }
      }),
    );
}

/** Warnings of the deployments (compiler notes, parts that cannot be placed) go to stderr. */
function warned<T extends { warnings: Diagnostic[] }>(deps: T[]): T[] {
  for (const d of deps) for (const w of d.warnings) process.stderr.write(formatDiagnostic(w) + '\n');
  return deps;
}
