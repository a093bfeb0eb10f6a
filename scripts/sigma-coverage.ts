// Converts every Azure and Microsoft 365 Sigma rule in ../shared/sigma-rules (development material,
// when present) and prints the share that compiles and passes KQL validation, then the rest with
// reasons. Usage: npm run sigma:coverage [-- <folder>]
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlaceholders } from '../src/cli/sigma.js';
import { importSigma, findSigmaFiles, type SigmaImport } from '../src/sigma/import.js';
import { DEFAULT_MAPPING, tableFor } from '../src/sigma/mapping.js';
import { logsourceOf, parseSigmaText, type SigmaDoc } from '../src/sigma/model.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const dir = process.argv[2] ?? join(ROOT, '..', 'shared', 'sigma-rules');
if (!existsSync(dir)) {
  console.log(`sigma coverage: ${dir} is absent; nothing to measure (skipped)`);
  process.exit(0);
}

const cloud = (d: SigmaDoc) => ['azure', 'm365'].includes(logsourceOf(d).product ?? '');
const files: string[] = [];
const docs: SigmaDoc[] = [];
for (const f of findSigmaFiles([dir]).files) {
  const ds = parseSigmaText(relative(dir, f), readFileSync(f, 'utf8')).docs.filter((d) => d.kind === 'rule' && cloud(d));
  if (ds.length) (files.push(f), docs.push(...ds));
}
const mapped = (d: SigmaDoc) => !!tableFor(DEFAULT_MAPPING, logsourceOf(d))?.table;
const retired = (d: SigmaDoc) => d.data.status === 'deprecated' || d.data.status === 'unsupported';

const run = (placeholders: Record<string, string[]>): SigmaImport => importSigma(files, { mapping: DEFAULT_MAPPING, placeholders }, dir);
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
const okTitles = (r: SigmaImport) => new Set(r.converted.map((c) => `${c.from}\u0000${c.title}`));
const key = (d: SigmaDoc) => `${d.src.file}\u0000${d.title}`;

function report(label: string, r: SigmaImport): void {
  const ok = okTitles(r);
  const count = (sel: SigmaDoc[]) => `${sel.filter((d) => ok.has(key(d))).length}/${sel.length} (${pct(sel.filter((d) => ok.has(key(d))).length, sel.length)})`;
  const m = docs.filter(mapped);
  console.log(`\n${label}`);
  console.log(`  all Azure and Microsoft 365 rules:              ${count(docs)}`);
  console.log(`  with a mapped logsource:                        ${count(m)}`);
  console.log(`  mapped, not deprecated or unsupported:          ${count(m.filter((d) => !retired(d)))}`);
}

console.log(`Sigma rules for Azure and Microsoft 365 in ${relative(process.cwd(), dir) || dir}: ${docs.length} in ${files.length} files`);
const bare = run({});
report('compiled and valid, without a placeholders file:', bare);
const examples = loadPlaceholders(join(ROOT, 'docs', 'examples', 'sigma-placeholders.yaml'));
const withValues = run(examples.placeholders);
report('compiled and valid, with docs/examples/sigma-placeholders.yaml:', withValues);

console.log('\nnot converted (with the example placeholders), and why:');
const byLogsource = new Map<string, string[]>();
for (const f of withValues.failed) {
  const d = docs.find((x) => key(x) === `${f.from}\u0000${f.title}`);
  const ls = d ? `${logsourceOf(d).product}/${logsourceOf(d).service}${d && !mapped(d) ? ' (no table)' : ''}${d && retired(d) ? ` [${String(d.data.status)}]` : ''}` : '?';
  const lines = byLogsource.get(ls) ?? [];
  for (const x of f.diagnostics) lines.push(`  ${x.file}:${x.line}:${x.col}: ${x.message}`);
  byLogsource.set(ls, lines);
}
for (const [ls, lines] of [...byLogsource].sort()) {
  console.log(`${ls}:`);
  for (const l of lines) console.log(`  ${l}`);
}
for (const d of withValues.diagnostics) console.log(`  ${d.file}:${d.line}:${d.col}: ${d.message}`);
