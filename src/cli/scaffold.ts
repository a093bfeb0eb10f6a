// init, import and demo: getting rules into a detection repository, and the embedded default run.
import type { Command } from 'commander';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';
import { UserError, formatDiagnostic, type Diagnostic } from '../diagnostics.js';
import { loadRuleFile } from '../rules/load.js';
import { importFile } from '../rules/import.js';
import { action } from './run.js';

/** The package's own folder (bundled rules, playbooks, workbooks). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const CONFIG_TEMPLATE = `# sessionguard configuration: where the rules are and the Sentinel workspaces they deploy to.
rules: rules
watchlists: rules/watchlists

# Expected ingestion delay per table (about P99); Scheduled rules are widened by it.
# Measure yours with \`sessionguard latency\` or the query in the README.
# ingestionDelay:
#   SigninLogs: 5m
#   OfficeActivity: 90m

workspaces:
  - name: default
    # subscriptionId: 00000000-0000-0000-0000-000000000000
    # resourceGroup: rg-sentinel
    # workspaceName: law-sentinel
    # location: westeurope
    # parameters:            # overrides for every rule that declares them
    #   newSince: 10m
    # rules:
    #   disabled: [SG-09]
    #   overrides:
    #     SG-03: { parameters: { ignoredAsns: ["8075", "12345"] } }
`;

function copyTree(from: string, to: string, created: string[], skipped: string[]): void {
  if (!existsSync(from)) return;
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    if (statSync(src).isDirectory()) copyTree(src, dst, created, skipped);
    else if (existsSync(dst)) skipped.push(dst);
    else {
      mkdirSync(dirname(dst), { recursive: true });
      copyFileSync(src, dst);
      created.push(dst);
    }
  }
}

function writeNew(file: string, content: string, created: string[], skipped: string[]): void {
  if (existsSync(file)) skipped.push(file);
  else {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    created.push(file);
  }
}

function printDiagnostics(ds: Diagnostic[]): void {
  for (const d of ds) console.error(formatDiagnostic(d));
}

export function registerScaffoldCommands(program: Command): void {
  program
    .command('init')
    .description('scaffold a detection repository here: sessionguard.yaml, the token-theft rule pack, watchlists, playbooks, workbooks, Conditional Access policies')
    .argument('[dir]', 'folder to set up', '.')
    .action(
      action((dir: string) => {
        const root = resolve(dir);
        mkdirSync(root, { recursive: true });
        const created: string[] = [];
        const skipped: string[] = [];
        writeNew(join(root, 'sessionguard.yaml'), CONFIG_TEMPLATE, created, skipped);
        copyTree(join(PACKAGE_ROOT, 'rules'), join(root, 'rules'), created, skipped);
        copyTree(join(PACKAGE_ROOT, 'playbooks'), join(root, 'playbooks'), created, skipped);
        copyTree(join(PACKAGE_ROOT, 'workbooks'), join(root, 'workbooks'), created, skipped);
        copyTree(join(PACKAGE_ROOT, 'ca'), join(root, 'ca'), created, skipped);
        for (const d of ['playbooks', 'workbooks']) mkdirSync(join(root, d), { recursive: true });
        writeNew(join(root, '.gitignore'), 'node_modules/\ndist/\n.sessionguard/\n', created, skipped);
        const version = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
        writeNew(
          join(root, 'package.json'),
          JSON.stringify(
            {
              name: 'detections',
              private: true,
              type: 'module',
              scripts: { validate: 'sessionguard validate', build: 'sessionguard build', fmt: 'sessionguard fmt' },
              devDependencies: { sessionguard: `^${version}` },
            },
            null,
            2,
          ) + '\n',
          created,
          skipped,
        );
        for (const f of created) console.log(`${pc.green('created')} ${relative(process.cwd(), f) || f}`);
        for (const f of skipped) console.log(`${pc.dim('kept   ')} ${relative(process.cwd(), f) || f} (already there)`);
        console.log(`\nNext: ${pc.bold('npx sessionguard validate')} then ${pc.bold('npx sessionguard build')}`);
      }),
    );

  program
    .command('import')
    .description('turn rules exported from the Sentinel portal (ARM template JSON) or Azure-Sentinel YAML into rule files')
    .argument('<files...>', 'ARM template (.json) or rule (.yaml) files')
    .option('-o, --out <dir>', 'folder for the rule files', 'rules')
    .option('--force', 'overwrite existing rule files')
    .action(
      action((files: string[], opts: { out: string; force?: boolean }) => {
        const diagnostics: Diagnostic[] = [];
        const planned: { path: string; text: string; from: string; id: string }[] = [];
        for (const f of files) {
          const shown = relative(process.cwd(), f) || f;
          let bytes: Buffer;
          try {
            if (statSync(f).size > 4 * 1024 * 1024) {
              diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: 'file is too large (over 4 MB) for a rule export' });
              continue;
            }
            bytes = readFileSync(f);
          } catch (e) {
            diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
            continue;
          }
          const r = importFile(shown, bytes);
          diagnostics.push(...r.diagnostics);
          for (const rule of r.rules) {
            let path = join(opts.out, rule.fileName);
            for (let n = 2; planned.some((p) => p.path === path); n++) path = join(opts.out, rule.fileName.replace(/\.yaml$/, `-${n}.yaml`));
            planned.push({ path, text: rule.text, from: shown, id: rule.id });
          }
        }
        if (diagnostics.some((d) => d.severity === 'error')) {
          printDiagnostics(diagnostics);
          throw new UserError('nothing imported');
        }
        const exists = planned.filter((p) => existsSync(p.path));
        if (exists.length && !opts.force) throw new UserError(`would overwrite ${exists.map((p) => p.path).join(', ')} (use --force)`);
        printDiagnostics(diagnostics);
        // Check every imported rule loads as ours before writing any.
        const staged = join(tmpdir(), `sg-import-${process.pid}`);
        const problems: Diagnostic[] = [];
        for (const p of planned) {
          const tmp = join(staged, p.path.replace(/[\\/]/g, '_'));
          mkdirSync(staged, { recursive: true });
          writeFileSync(tmp, p.text);
          const loaded = loadRuleFile(tmp, p.path);
          problems.push(...loaded.diagnostics.filter((d) => d.severity === 'error'));
        }
        if (problems.length) {
          printDiagnostics(problems);
          throw new UserError('the imported rules do not validate; nothing written');
        }
        for (const p of planned) {
          mkdirSync(dirname(p.path), { recursive: true });
          writeFileSync(p.path, p.text);
          console.log(`${pc.green('imported')} ${p.from} -> ${p.path} (${p.id})`);
        }
        console.log(`${planned.length} rule(s) imported; run ${pc.bold('sessionguard validate')} to check their KQL`);
      }),
    );
}
