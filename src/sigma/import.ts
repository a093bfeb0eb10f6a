// Imports a set of Sigma files: every rule converted and validated on its own, so one bad rule
// never stops the others; correlations and meta filters see every document of the set.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { KqlCache } from '../kql/cache.js';
import { checkRuleKql } from '../kql/check.js';
import { format } from '../kql/kusto.js';
import { slug } from '../rules/import.js';
import { findYamlFiles, loadRuleFile } from '../rules/load.js';
import { decodeText, MAX_FILE_BYTES } from '../rules/source.js';
import { convertRule, type Options } from './convert.js';
import { convertCorrelation } from './correlation.js';
import { diagnosticOf, logsourceOf, parseSigmaText, SigmaError, type SigmaDoc } from './model.js';

export interface Converted {
  /** The Sigma file and title the rule came from. */
  from: string;
  title: string;
  fileName: string;
  id: string;
  text: string;
  rule: Record<string, unknown>;
}

export interface Failed {
  from: string;
  title: string;
  diagnostics: Diagnostic[];
}

export interface SigmaImport {
  converted: Converted[];
  failed: Failed[];
  /** Problems not tied to one rule (unreadable files, YAML errors). */
  diagnostics: Diagnostic[];
  /** Documents that are not emitted on their own: meta filters, rules used only by correlations. */
  skipped: { from: string; title: string; why: string }[];
}

/** Sigma files under the given files or folders (.yml and .yaml). */
export function findSigmaFiles(paths: string[]): { files: string[]; missing: string[] } {
  return findYamlFiles(paths);
}

export function importSigma(paths: string[], opts: Options, cwd = process.cwd()): { converted: Converted[]; failed: Failed[]; diagnostics: Diagnostic[]; skipped: SigmaImport['skipped'] } {
  const out: SigmaImport = { converted: [], failed: [], diagnostics: [], skipped: [] };
  const { files, missing } = findSigmaFiles(paths);
  for (const m of missing) out.diagnostics.push({ file: relative(cwd, m) || m, line: 1, col: 1, severity: 'error', message: 'no such file or folder' });
  const docs: SigmaDoc[] = [];
  for (const f of files) {
    const shown = relative(cwd, f) || f;
    let bytes: Buffer;
    try {
      if (statSync(f).size > MAX_FILE_BYTES) {
        out.diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: 'file is too large (over 1 MB) for a Sigma rule' });
        continue;
      }
      bytes = readFileSync(f);
    } catch (e) {
      out.diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      continue;
    }
    const text = decodeText(bytes);
    if ('error' in text) {
      out.diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: text.error.replace('UTF-8 YAML', 'a UTF-8 Sigma rule (YAML)') });
      continue;
    }
    const r = parseSigmaText(shown, text.text);
    out.diagnostics.push(...r.diagnostics);
    docs.push(...r.docs);
  }
  const c = convertDocs(docs, opts);
  return { ...c, diagnostics: [...out.diagnostics, ...c.diagnostics] };
}

/** Converts parsed documents (the unit of an import: correlations and filters see all of them). */
export function convertDocs(docs: SigmaDoc[], opts: Options): SigmaImport {
  const out: SigmaImport = { converted: [], failed: [], diagnostics: [], skipped: [] };

  const byRef = (ref: string) => docs.find((d) => d.kind !== 'filter' && (d.id === ref || d.name === ref));
  const filters = docs.filter((d) => d.kind === 'filter');
  const filtersFor = (d: SigmaDoc): SigmaDoc[] =>
    filters.filter((f) => {
      const fl = logsourceOf(f);
      const rl = logsourceOf(d);
      const sameSource = (['product', 'service', 'category'] as const).every((k) => !fl[k] || fl[k] === rl[k]);
      const rules = (f.data.filter as Record<string, unknown>).rules;
      const applies = rules === undefined || rules === 'any' || (Array.isArray(rules) && (!rules.length || rules.some((r) => r === d.id || r === d.name)));
      return sameSource && applies;
    });

  // Rules used by a correlation are emitted only when it says generate: true.
  const hidden = new Set<SigmaDoc>();
  for (const d of docs.filter((x) => x.kind === 'correlation')) {
    const c = d.data.correlation as Record<string, unknown>;
    if (c.generate === true) continue;
    for (const ref of Array.isArray(c.rules) ? c.rules : []) {
      const r = typeof ref === 'string' ? byRef(ref) : undefined;
      if (r) hidden.add(r);
    }
  }
  for (const f of filters) out.skipped.push({ from: f.src.file, title: f.title, why: 'meta filter (applied to the rules it names)' });

  const names = new Set<string>();
  const ids = new Set<string>();
  const staging = mkdtempSync(join(tmpdir(), 'sg-sigma-'));
  const cache = new KqlCache(null);
  try {
    for (const d of docs) {
      if (d.kind === 'filter') continue;
      if (hidden.has(d)) {
        out.skipped.push({ from: d.src.file, title: d.title, why: 'used by a correlation (set generate: true to emit it too)' });
        continue;
      }
      const fail = (ds: Diagnostic[]) => out.failed.push({ from: d.src.file, title: d.title, diagnostics: ds });
      let rule: Record<string, unknown>;
      try {
        rule = d.kind === 'correlation' ? convertCorrelation(d, opts, byRef, filtersFor, d.src.file).rule : convertRule(d, opts, filtersFor(d), d.src.file);
      } catch (e) {
        // A rule the checks did not foresee still fails alone, never the whole import.
        fail([e instanceof SigmaError ? diagnosticOf(e) : { file: d.src.file, line: 1, col: 1, severity: 'error', message: `cannot convert this rule: ${(e as Error).message}` }]);
        continue;
      }
      rule.query = prettyQuery(String(rule.query));
      if (ids.has(String(rule.id))) {
        fail([{ ...diagnosticOf(new SigmaError(d.src, ['id'], `another imported rule has the id ${String(rule.id)}`)) }]);
        continue;
      }
      let fileName = `${slug(d.title)}.yaml`;
      for (let n = 2; names.has(fileName); n++) fileName = `${slug(d.title)}-${n}.yaml`;
      const text = `# Converted by sessionguard from the Sigma rule ${d.src.file}${d.id ? ` (${d.id})` : ''}\n` + stringify(rule, { blockQuote: 'literal', lineWidth: 0 });
      // The rule must load and its KQL must analyze, exactly as `sessionguard validate` checks it.
      const tmp = join(staging, fileName);
      mkdirSync(staging, { recursive: true });
      writeFileSync(tmp, text);
      const loaded = loadRuleFile(tmp, fileName);
      const problems = loaded.diagnostics.filter((x) => x.severity === 'error');
      if (loaded.rule) problems.push(...checkRuleKql(loaded.rule, {}, cache).diagnostics.filter((x) => x.severity === 'error'));
      if (problems.length) {
        fail(problems.map((p) => ({ ...p, file: d.src.file, line: 1, col: 1, message: `the converted rule does not validate (${p.file}:${p.line}:${p.col}: ${p.message})` })));
        continue;
      }
      names.add(fileName);
      ids.add(String(rule.id));
      out.converted.push({ from: d.src.file, title: d.title, fileName, id: String(rule.id), text, rule });
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return out;
}

/** The official formatter's layout, so imported rules read like hand-written ones. */
function prettyQuery(q: string): string {
  try {
    const f = format(q);
    return f.endsWith('\n') ? f : f + '\n';
  } catch {
    return q;
  }
}
