// The main job (npm start): synthesize a tenant with attacks, validate and build the pack, run its
// tests, replay the tenant through rules and playbooks, and report time to detect and respond.
import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import pc from 'picocolors';
import { writeTrees } from '../compile/write.js';
import { UserError, type Diagnostic } from '../diagnostics.js';
import { loadPlaybooks } from '../playbooks/model.js';
import { loadCases } from '../runner/cases.js';
import { renderReport } from '../runner/report.js';
import { runCase } from '../runner/ruletests.js';
import { simulate } from '../runner/simulate.js';
import { printReport } from './runner.js';
import { compileAll, openValid } from './rules.js';
import { action } from './run.js';
import { runSynth } from './synth.js';

export const DEMO = { users: '200', days: '2', seed: 'sessionguard-demo' };

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the whole story on the embedded default: synthesize a tenant with attacks, validate, build and test the pack, replay, report')
    .option('-o, --out <dir>', 'build output folder', 'dist')
    .option('--work <dir>', 'where the synthesized tenant and the report go', '.sessionguard/demo')
    .option('--users <n>', 'ordinary users in the synthesized tenant', DEMO.users)
    .option('--days <n>', 'days of logs', DEMO.days)
    .action(
      action(async (opts: { out: string; work: string; users: string; days: string }) => {
        const step = (n: number, text: string) => console.log(`\n${pc.bold(`${n}.`)} ${pc.bold(text)}`);
        const work = resolve(opts.work);
        mkdirSync(work, { recursive: true });

        step(1, `Synthesize a tenant: ${opts.users} users, ${opts.days} days, token-theft attacks and benign look-alikes`);
        const tenant = join(work, 'tenant');
        await runSynth({ users: opts.users, days: opts.days, seed: DEMO.seed, out: tenant, force: true }, (s) => console.log(`   ${s}`));

        step(2, 'Validate and build the rule pack');
        const project = openValid([]);
        console.log(`   ${pc.green(`✓ ${project.rules.length} rules valid`)}`);
        const outputs = compileAll(project, 'all');
        const out = resolve(opts.out);
        writeTrees(outputs.map((o) => ({ target: join(out, o.workspace.name), files: o.files })));
        for (const o of outputs) console.log(`   workspace ${o.workspace.name}: ${o.rules.length} analytics rules -> ${relative(process.cwd(), join(out, o.workspace.name)) || '.'}/`);
        for (const r of outputs[0]!.rules) console.log(`     ${r.rule.id.padEnd(6)} ${r.rule.kind.padEnd(9)} ${r.rule.severity.padEnd(6)} ${r.rule.name}`);

        step(3, 'Run the rule tests (recorded rows, replayed as Sentinel schedules each rule)');
        const diagnostics: Diagnostic[] = [];
        let passed = 0;
        let failed = 0;
        for (const { rule } of project.rules) {
          const { cases, diagnostics: d } = loadCases(rule, resolve(rule.file));
          diagnostics.push(...d);
          const compiled = outputs[0]!.rules.find((r) => r.rule.id === rule.id)!;
          for (const tc of cases) {
            const r = await runCase(compiled, tc, project.env, project.watchlists);
            if (r.passed) passed++;
            else {
              failed++;
              console.log(`   ${pc.red('✗')} ${rule.id} › ${tc.name}: ${r.failures.join('; ')}`);
            }
          }
        }
        if (diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid test cases', diagnostics);
        console.log(`   ${failed ? pc.red(`${passed} passed, ${failed} failed`) : pc.green(`${passed} passed, 0 failed`)}`);

        step(4, 'Replay the tenant through the rules and the response playbooks');
        const pbs = loadPlaybooks(project.config.playbooks);
        if (pbs.diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid playbooks', pbs.diagnostics);
        const logs = readdirSync(tenant)
          .filter((f) => f.endsWith('.ndjson'))
          .map((f) => join(tenant, f));
        const report = await simulate({ project, output: outputs[0]!, playbooks: pbs.playbooks, logs, labels: join(tenant, 'labels.json') });
        printReport(report);
        const html = join(work, 'report.html');
        writeFileSync(html, renderReport(report));
        console.log(`\n${pc.bold('report:')} ${html}`);
        if (!existsSync(html)) throw new UserError(`could not write ${html}`);
        if (failed) process.exitCode = 1;
      }),
    );
}
