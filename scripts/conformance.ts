// npm run conformance: runs the KQL reference examples (../shared/kql-conformance) and the Sentinel rule
// corpus (../shared/sentinel-rules) through the local engine and prints what passes.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runCorpusQuery, runDocExample, type DocExample } from './conformance-lib.js';
import { inCoverage } from './conformance-coverage.js';

const root = new URL('../../shared/', import.meta.url).pathname;
const docs = join(root, 'kql-conformance/docs-examples.jsonl');
const rulesDir = join(root, 'sentinel-rules');
const verbose = process.argv.includes('--verbose');

type Tally = { pass: number; fail: number; unsupported: number; error: number; skip: number };
const bump = (m: Map<string, Tally>, k: string, r: keyof Tally) => {
  const t = m.get(k) ?? { pass: 0, fail: 0, unsupported: 0, error: 0, skip: 0 };
  t[r]++;
  m.set(k, t);
};
const show = (title: string, m: Map<string, Tally>) => {
  console.log(`\n${title}`);
  const rows = [...m.entries()].sort((a, b) => b[1].pass + b[1].fail + b[1].unsupported - (a[1].pass + a[1].fail + a[1].unsupported));
  for (const [k, t] of rows) console.log(`  ${k.padEnd(46)} pass ${String(t.pass).padStart(4)}  fail ${String(t.fail).padStart(4)}  unsupported ${String(t.unsupported).padStart(4)}`);
};

async function runDocs(): Promise<void> {
  if (!existsSync(docs)) {
    console.log(`conformance: ${docs} not found; skipping the documentation examples`);
    return;
  }
  const examples = readFileSync(docs, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DocExample);
  const byFamily = new Map<string, Tally>();
  const byUse = new Map<string, Tally>();
  const failures: string[] = [];
  const unsupportedWhat = new Map<string, number>();
  const total: Tally = { pass: 0, fail: 0, unsupported: 0, error: 0, skip: 0 };
  const covered: Tally = { pass: 0, fail: 0, unsupported: 0, error: 0, skip: 0 };
  const coveredMisses: string[] = [];
  for (const ex of examples) {
    const r = await runDocExample(ex);
    const key: keyof Tally = r.status === 'pass' ? 'pass' : r.status === 'unsupported' ? 'unsupported' : r.status === 'skip' ? 'skip' : 'fail';
    total[key]++;
    if (inCoverage(ex.uses)) {
      covered[key]++;
      if (key === 'fail' || key === 'unsupported') coveredMisses.push(`${key.padEnd(11)} ${ex.id}: ${r.detail.split('\n')[0]!.slice(0, 160)}`);
    }
    bump(byFamily, ex.family, key);
    for (const u of [...ex.uses.operators, ...ex.uses.functions.map((f) => f + '()'), ...ex.uses.plugins.map((p) => 'evaluate ' + p)]) bump(byUse, u, key);
    if (r.status === 'unsupported') {
      const w = (r.detail.match(/unsupported: ([^\n]*?) at \d/) ?? [])[1] ?? r.detail;
      unsupportedWhat.set(w, (unsupportedWhat.get(w) ?? 0) + 1);
    }
    if (key === 'fail') failures.push(`${ex.id}${ex.flags.length ? ' [' + ex.flags.join(',') + ']' : ''}: ${r.detail.split('\n')[0]!.slice(0, 300)}`);
  }
  show('Documentation examples by family', byFamily);
  if (verbose) show('Documentation examples by operator/function', byUse);
  console.log('\nMost frequent unsupported constructs:');
  for (const [w, n] of [...unsupportedWhat.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${String(n).padStart(4)}  ${w}`);
  console.log('\nFailures:');
  for (const f of failures) console.log('  ' + f);
  const ran = total.pass + total.fail;
  const cov = covered.pass + covered.fail + covered.unsupported;
  console.log(`\nExamples inside the issue's coverage (scripts/conformance-coverage.ts) that fail or are unsupported:`);
  for (const m of coveredMisses) console.log('  ' + m);
  console.log(
    `Inside the coverage: ${cov + covered.skip} examples: passed ${covered.pass}, failed ${covered.fail}, unsupported ${covered.unsupported}, skipped ${covered.skip}; ` +
      `pass rate (unsupported counted as not passing, skipped left out): ${((100 * covered.pass) / Math.max(1, cov)).toFixed(1)}% (target 95%)`,
  );
  console.log(`\nDocumentation examples: ${examples.length}: passed ${total.pass}, failed ${total.fail}, unsupported ${total.unsupported}, skipped ${total.skip} (nondeterministic or doc errata) (pass rate of those run: ${((100 * total.pass) / Math.max(1, ran)).toFixed(1)}%)`);
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/i.test(e)) out.push(p);
  }
  return out.sort();
}

async function runRules(small: boolean): Promise<void> {
  if (!existsSync(rulesDir)) {
    console.log(`conformance: ${rulesDir} not found; skipping the Sentinel rule corpus`);
    return;
  }
  let runs = 0;
  let unsupported = 0;
  let errors = 0;
  let noQuery = 0;
  const why = new Map<string, number>();
  const lines: string[] = [];
  const extDir = mkdtempSync(join(tmpdir(), 'sg-externaldata-'));
  process.on('exit', () => rmSync(extDir, { recursive: true, force: true }));
  for (const f of yamlFiles(rulesDir)) {
    let doc: { query?: string } | null;
    try {
      doc = parseYaml(readFileSync(f, 'utf8')) as { query?: string };
    } catch {
      doc = null;
    }
    const q = doc?.query;
    if (!q) {
      noQuery++;
      continue;
    }
    const r = await runCorpusQuery(q, { file: relative(rulesDir, f), small, externalData: extDir });
    if (r.status === 'run') runs++;
    else if (r.status === 'unsupported') {
      unsupported++;
      const w = r.message.replace(/ at \d+:\d+$/, '');
      why.set(w, (why.get(w) ?? 0) + 1);
      lines.push(`  unsupported  ${relative(rulesDir, f)}: ${r.message}`);
    } else {
      errors++;
      const d = r.diagnostics[0] ? ` (${r.diagnostics[0].slice(0, 140)})` : '';
      lines.push(`  error        ${relative(rulesDir, f)}: ${r.message.slice(0, 160)}${d}`);
    }
  }
  console.log(`\nSentinel rule corpus (each query over ${small ? 'two synthetic rows per table' : 'empty tables'}):`);
  for (const l of lines) console.log(l);
  for (const [w, n] of [...why.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(3)} × ${w}`);
  const total = runs + unsupported + errors;
  const analyzable = runs + unsupported;
  console.log(
    `Rules with a query: ${total} (${noQuery} files without one): run ${runs}, unsupported ${unsupported}, errors ${errors} (the analyzer rejects them: unknown tables, typos); ` +
      `share that runs: ${((100 * runs) / Math.max(1, total)).toFixed(1)}% of all, ${((100 * runs) / Math.max(1, analyzable)).toFixed(1)}% of those that analyze`,
  );
}

await runDocs();
await runRules(false);
await runRules(true);
