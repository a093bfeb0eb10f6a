// sessionguard test: every rule's test cases, run on the local engine exactly as Sentinel runs the rule.
import type { Command } from 'commander';
import { watch, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pc from 'picocolors';
import { UserError, type Diagnostic } from '../diagnostics.js';
import { loadCases, type TestCase } from '../runner/cases.js';
import { junit, runCase, type CaseResult } from '../runner/ruletests.js';
import { compileAll, openValid } from './rules.js';
import { action, fail } from './run.js';

async function runAll(paths: string[], reporter: string, out?: string): Promise<boolean> {
  const project = openValid(paths);
  const diagnostics: Diagnostic[] = [];
  const work: { ruleId: string; file: string; cases: TestCase[] }[] = [];
  for (const { rule } of project.rules) {
    const { cases, diagnostics: d } = loadCases(rule, resolve(rule.file));
    diagnostics.push(...d);
    work.push({ ruleId: rule.id, file: rule.file, cases });
  }
  if (diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid test cases', diagnostics);
  const outputs = new Map(compileAll(project, 'all').map((o) => [o.workspace.name, o]));
  const first = project.config.workspaces[0]!.name;
  const results: CaseResult[] = [];
  const untested: string[] = [];
  for (const w of work) {
    if (!w.cases.length) untested.push(w.ruleId);
    for (const tc of w.cases) {
      const ws = tc.workspace ?? first;
      const output = outputs.get(ws);
      if (!output) throw new UserError(`${tc.file}:${tc.line}:1: test '${tc.name}' names workspace '${ws}', which is not configured`);
      const compiled = output.rules.find((r) => r.rule.id === w.ruleId)!;
      const r = await runCase(compiled, tc, project.env, project.watchlists);
      results.push(r);
      if (reporter === 'default') printCase(r);
    }
  }
  const failed = results.filter((r) => !r.passed).length;
  if (reporter === 'junit') {
    const text = junit(results);
    if (out) writeFileSync(out, text);
    else process.stdout.write(text);
  } else if (reporter === 'json') {
    const json = {
      passed: results.length - failed,
      failed,
      untested,
      cases: results.map((r) => ({
        rule: r.rule.rule.id,
        name: r.case.name,
        file: r.case.file,
        line: r.case.line,
        passed: r.passed,
        failures: r.failures,
        alerts: r.alerts.map((a) => ({ name: a.displayName, createdAt: a.createdAt.toISOString(), entities: a.entities, customDetails: a.customDetails })),
      })),
    };
    const text = JSON.stringify(json, null, 2) + '\n';
    if (out) writeFileSync(out, text);
    else process.stdout.write(text);
  }
  if (reporter === 'default' || out) {
    if (untested.length) console.log(pc.yellow(`rules without tests: ${untested.join(', ')}`));
    // The plain closing line CI reads.
    console.log(`${results.length - failed} passed, ${failed} failed`);
  }
  return failed === 0;
}

function printCase(r: CaseResult): void {
  const mark = r.passed ? pc.green('✓') : pc.red('✗');
  console.log(`${mark} ${r.rule.rule.id} › ${r.case.name} ${pc.dim(`(${r.alerts.length} alert${r.alerts.length === 1 ? '' : 's'}, ${r.seconds.toFixed(2)} s)`)}`);
  if (r.passed) return;
  console.log(`    ${pc.dim(`${r.case.file}:${r.case.line}`)}`);
  for (const f of r.failures) console.log(`    ${pc.red(f)}`);
  for (const a of r.alerts.slice(0, 5)) {
    console.log(`    alert at ${a.createdAt.toISOString()}: ${a.displayName}`);
    console.log(`      entities: ${a.entities.map((e) => `${e.type}(${Object.entries(e.identifiers).map(([k, v]) => `${k}=${v}`).join(', ')})`).join('; ') || 'none'}`);
    for (const row of a.sample) console.log(`      row: ${pc.dim(JSON.stringify(row).slice(0, 300))}`);
  }
  if (r.alerts.length > 5) console.log(`    … ${r.alerts.length - 5} more alerts`);
}

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description("run every rule's test cases on the local engine, as Sentinel would run the rule")
    .argument('[paths...]', 'rule files or folders (default: the rules of sessionguard.yaml, or ./rules)')
    .option('--reporter <name>', 'default, junit or json', 'default')
    .option('--out <file>', 'write the junit/json report to a file')
    .option('--watch', 'run again when a rule or sample changes')
    .action(
      action(async (paths: string[], opts: { reporter: string; out?: string; watch?: boolean }) => {
        if (!['default', 'junit', 'json'].includes(opts.reporter)) throw new UserError(`--reporter: expected default, junit or json, got '${opts.reporter}'`);
        if (!opts.watch) {
          if (!(await runAll(paths, opts.reporter, opts.out))) process.exit(1);
          return;
        }
        const once = async () => {
          try {
            await runAll(paths, opts.reporter, opts.out);
          } catch (e) {
            if (e instanceof UserError) {
              for (const d of e.diagnostics) console.error(`${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`);
              console.error(pc.red(e.message));
            } else fail(e);
          }
          console.log(pc.dim('watching for changes… (Ctrl-C to stop)'));
        };
        await once();
        let timer: NodeJS.Timeout | null = null;
        let running = false;
        const targets = paths.length ? paths : ['.'];
        for (const t of targets) {
          watch(t, { recursive: true }, (_e, name) => {
            if (name && /(^|[\\/])(dist|node_modules|\.sessionguard|\.git)([\\/]|$)/.test(String(name))) return;
            if (timer) clearTimeout(timer);
            timer = setTimeout(async () => {
              if (running) return;
              running = true;
              console.clear();
              await once();
              running = false;
            }, 200);
          });
        }
      }),
    );
}
