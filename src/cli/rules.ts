// validate, build, fmt: the rule compiler's commands.
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import pc from 'picocolors';
import { compileWorkspace, type WorkspaceOutput } from '../compile/build.js';
import { writeTrees } from '../compile/write.js';
import { formatDiagnostic, sortDiagnostics, UserError, type Diagnostic } from '../diagnostics.js';
import { formatRuleFile } from '../kql/fmt.js';
import { openProject, type Project } from '../project.js';
import { findRuleFiles } from '../rules/load.js';
import { loadConfig, type WorkspaceConfig } from '../rules/config.js';
import { action } from './run.js';

function printDiagnostics(ds: Diagnostic[]): void {
  for (const d of sortDiagnostics(ds)) {
    const line = formatDiagnostic(d);
    console.error(d.severity === 'error' ? line.replace(': error: ', `: ${pc.red('error')}: `) : line.replace(': warning: ', `: ${pc.yellow('warning')}: `));
  }
}

function summary(ds: Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === 'error').length;
  const w = ds.length - e;
  return `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`;
}

/** Opens the project and fails with every diagnostic when anything is wrong. */
export function openValid(paths: string[], opts: { cache?: boolean } = {}): Project {
  const project = openProject(process.cwd(), { paths, noCache: opts.cache === false });
  const errors = project.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    printDiagnostics(project.diagnostics);
    throw new UserError(`✖ ${summary(project.diagnostics)}`);
  }
  printDiagnostics(project.diagnostics);
  return project;
}

export function selectWorkspaces(project: Project, name: string | undefined): { ws: WorkspaceConfig; index: number }[] {
  const all = project.config.workspaces.map((ws, index) => ({ ws, index }));
  if (!name || name === 'all') return all;
  const found = all.filter((w) => w.ws.name === name);
  if (!found.length) throw new UserError(`no workspace named '${name}' (configured: ${all.map((w) => w.ws.name).join(', ')})`);
  return found;
}

export function compileAll(project: Project, workspace: string | undefined): WorkspaceOutput[] {
  const outputs = selectWorkspaces(project, workspace).map(({ ws, index }) =>
    compileWorkspace({
      workspace: ws,
      workspaceIndex: index,
      configSource: project.config.source,
      delayProfile: project.config.ingestionDelay,
      rules: project.rules,
      cache: project.cache,
      workbooks: { dirs: project.config.workbooks, env: project.env },
      playbooks: project.playbooks,
      watchlists: project.watchlists,
    }),
  );
  project.cache.save();
  const ds = outputs.flatMap((o) => o.diagnostics);
  printDiagnostics(ds);
  if (ds.some((d) => d.severity === 'error')) throw new UserError(`✖ ${summary(ds)}; nothing written`);
  return outputs;
}

export function registerRuleCommands(program: Command): void {
  program
    .command('validate')
    .description('check every rule (YAML, Sentinel limits, KQL against the table schemas) and report all problems at once')
    .argument('[paths...]', 'rule files or folders (default: the rules of sessionguard.yaml, or ./rules)')
    .option('--no-cache', 'do not use the KQL analysis cache in .sessionguard/')
    .action(
      action((paths: string[], opts: { cache: boolean }) => {
        const project = openValid(paths, opts);
        const w = project.diagnostics.length;
        console.log(pc.green(`✓ ${project.rules.length} rule${project.rules.length === 1 ? '' : 's'} valid`) + (w ? ` (${summary(project.diagnostics)})` : ''));
      }),
    );

  program
    .command('build')
    .description('compile rules into Sentinel alert-rule models, ARM templates and formatted KQL, per workspace')
    .argument('[paths...]', 'rule files or folders (default: the rules of sessionguard.yaml, or ./rules)')
    .option('-w, --workspace <name>', "a configured workspace, or 'all'", 'all')
    .option('-o, --out <dir>', 'output folder', 'dist')
    .option('-v, --verbose', 'print what was done to each rule')
    .option('--no-cache', 'do not use the KQL analysis cache in .sessionguard/')
    .action(
      action((paths: string[], opts: { workspace: string; out: string; verbose?: boolean; cache: boolean }) => {
        const project = openValid(paths, opts);
        const outputs = compileAll(project, opts.workspace);
        const out = resolve(opts.out);
        writeTrees(outputs.map((o) => ({ target: join(out, o.workspace.name), files: o.files })));
        for (const o of outputs) {
          const dir = relative(process.cwd(), join(out, o.workspace.name)) || '.';
          const enabled = o.rules.filter((r) => r.enabled).length;
          console.log(`${pc.bold(o.workspace.name)}: ${o.rules.length} rules (${enabled} enabled) -> ${dir}/`);
          console.log(`  ${o.rules.length} ARM templates in AnalyticsRules/, combined/azuredeploy.json, models/, kql/, manifest.json`);
          const pbs = [...o.files.keys()].filter((k) => k.startsWith('Playbooks/')).length;
          const autos = [...o.files.keys()].filter((k) => k.startsWith('AutomationRules/')).length;
          if (pbs || autos) console.log(`  ${pbs} playbooks in Playbooks/, ${autos} automation rules in AutomationRules/`);
          if (opts.verbose) {
            for (const r of o.rules) {
              console.log(`  ${r.rule.id} ${pc.dim(r.guid)} ${r.rule.kind} ${r.model.apiVersion}${r.enabled ? '' : ' (disabled)'}`);
              for (const n of r.notes) console.log(`    ${pc.dim(n)}`);
            }
          }
        }
      }),
    );

  program
    .command('fmt')
    .description('format the KQL inside rule files in place with the official Kusto formatter, keeping YAML comments and layout')
    .argument('[paths...]', 'rule files or folders (default: the rules of sessionguard.yaml, or ./rules)')
    .option('--check', 'do not write; exit 1 if any file would change')
    .action(
      action((paths: string[], opts: { check?: boolean }) => {
        const { config, diagnostics: cfg } = loadConfig(process.cwd());
        if (cfg.some((d) => d.severity === 'error')) {
          printDiagnostics(cfg);
          throw new UserError(`✖ ${summary(cfg)}`);
        }
        const targets = paths.length ? paths : config.rules;
        const { files, missing } = findRuleFiles(targets);
        if (missing.length) throw new UserError(`no such file or folder: ${missing.join(', ')}`);
        const diagnostics: Diagnostic[] = [];
        const changes: { file: string; text: string }[] = [];
        for (const f of files) {
          const shown = relative(process.cwd(), f) || f;
          const r = formatRuleFile(f, shown, readFileSync(f, 'utf8'));
          diagnostics.push(...r.diagnostics);
          if (r.text !== null && r.changed) changes.push({ file: f, text: r.text });
        }
        printDiagnostics(diagnostics);
        if (diagnostics.some((d) => d.severity === 'error')) throw new UserError(`✖ ${summary(diagnostics)}; no file changed`);
        if (opts.check) {
          for (const c of changes) console.log(`would reformat ${relative(process.cwd(), c.file)}`);
          if (changes.length) throw new UserError(`${changes.length} file(s) need formatting (run sessionguard fmt)`);
          console.log(pc.green(`✓ ${files.length} files formatted`));
          return;
        }
        for (const c of changes) {
          writeFileSync(c.file, c.text);
          console.log(`formatted ${relative(process.cwd(), c.file)}`);
        }
        console.log(pc.green(`✓ ${files.length} files checked, ${changes.length} reformatted`));
      }),
    );
}
