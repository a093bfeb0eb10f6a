// `import sigma`: Sigma rules to rule files. Every rule is converted and validated on its own; the
// ones that pass are written, the others are reported with file:line:col, and the exit code is 1
// when any failed.
import type { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pc from 'picocolors';
import { formatDiagnostic, sortDiagnostics, UserError, type Diagnostic } from '../diagnostics.js';
import { readYamlFile } from '../rules/source.js';
import type { Placeholders } from '../sigma/detection.js';
import { importSigma } from '../sigma/import.js';
import { loadMapping } from '../sigma/mapping.js';
import { action } from './run.js';

function print(ds: Diagnostic[]): void {
  for (const d of sortDiagnostics(ds)) console.error(formatDiagnostic(d).replace(': error: ', `: ${pc.red('error')}: `));
}

/** A placeholders file: name -> value or list of values (`%name%` or `name`). */
export function loadPlaceholders(file: string | undefined): { placeholders: Placeholders; diagnostics: Diagnostic[] } {
  if (!file) return { placeholders: {}, diagnostics: [] };
  const read = readYamlFile(file);
  if (!read.ok) return { placeholders: {}, diagnostics: read.diagnostics };
  const data = read.source.data;
  const bad = (message: string): { placeholders: Placeholders; diagnostics: Diagnostic[] } => ({ placeholders: {}, diagnostics: [{ file, line: 1, col: 1, severity: 'error', message }] });
  if (!data || typeof data !== 'object' || Array.isArray(data)) return bad('expected a mapping of placeholder names to a value or a list of values');
  const out: Placeholders = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    const vals = Array.isArray(v) ? v : [v];
    if (!vals.length || vals.some((x) => typeof x !== 'string' && typeof x !== 'number')) return bad(`placeholder ${k}: expected a string or a list of strings`);
    out[k.replace(/^%|%$/g, '')] = vals.map(String);
  }
  return { placeholders: out, diagnostics: [] };
}

export function registerSigmaCommands(program: Command): void {
  const parent = program.commands.find((c) => c.name() === 'import');
  if (!parent) throw new Error('the import command must be registered first');
  // Options after `sigma` are its own, not `import`'s (both have --out and --force).
  program.enablePositionalOptions();
  parent.enablePositionalOptions();
  parent
    .command('sigma')
    .description('convert Sigma rules (specification 2.1) into rule files; rules that fail are reported and not written')
    .argument('<paths...>', 'Sigma rule files or folders')
    .option('-o, --out <dir>', 'folder for the rule files', 'rules')
    .option('--mapping <file>', 'YAML mapping of logsources to tables and fields to columns, merged over the defaults')
    .option('--placeholders <file>', 'YAML map of placeholder names to values, for the expand modifier')
    .option('--force', 'overwrite existing rule files')
    .action(
      action((paths: string[], opts: { out: string; mapping?: string; placeholders?: string; force?: boolean }) => {
        const m = loadMapping(opts.mapping);
        const p = loadPlaceholders(opts.placeholders);
        if (m.diagnostics.length || p.diagnostics.length) throw new UserError('nothing imported', [...m.diagnostics, ...p.diagnostics]);
        const r = importSigma(paths, { mapping: m.mapping, placeholders: p.placeholders });
        const failedDiags = r.failed.flatMap((f) => f.diagnostics);
        print([...r.diagnostics, ...failedDiags]);
        const planned = r.converted.map((c) => ({ ...c, path: join(opts.out, c.fileName) }));
        const exists = planned.filter((c) => existsSync(c.path));
        if (exists.length && !opts.force) throw new UserError(`would overwrite ${exists.map((c) => c.path).join(', ')} (use --force); nothing written`);
        for (const c of planned) {
          mkdirSync(opts.out, { recursive: true });
          writeFileSync(c.path, c.text);
          console.log(`${pc.green('converted')} ${c.from} -> ${c.path} (${c.id})`);
        }
        for (const s of r.skipped) console.log(`${pc.dim('skipped  ')} ${s.from}: ${s.title} (${s.why})`);
        const failedFiles = r.failed.length + r.diagnostics.filter((d) => d.severity === 'error').length;
        const summary = `${planned.length} rule(s) converted, ${r.failed.length} failed${r.diagnostics.length ? `, ${r.diagnostics.length} file problem(s)` : ''}`;
        if (failedFiles) {
          for (const f of r.failed) console.error(`${pc.red('failed   ')} ${f.from}: ${f.title}`);
          throw new UserError(`${summary}; the failed rules were not written`);
        }
        if (!planned.length) throw new UserError('no Sigma rules found');
        console.log(pc.green(`✓ ${summary}`));
      }),
    );
}
