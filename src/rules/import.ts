// Turns rules from elsewhere into rule files: ARM templates exported from the Sentinel portal, and
// Azure-Sentinel repository YAML (already our format: kept byte for byte).
import { stringify } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { parseDuration, toKqlTimespan } from './duration.js';
import { parseYaml } from './source.js';
import { decodeText } from './source.js';

export interface ImportedRule {
  /** Suggested file name (without folder). */
  fileName: string;
  text: string;
  id: string;
  name: string;
}

export interface ImportResult {
  rules: ImportedRule[];
  diagnostics: Diagnostic[];
}

const OPERATORS: Record<string, string> = { GreaterThan: 'gt', LessThan: 'lt', Equal: 'eq', NotEqual: 'ne' };
const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;

export function slug(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/[\s_]+/g, '-')
      .replace(/-+/g, '-')
      .toLowerCase()
      .slice(0, 80) || 'rule'
  );
}

/** ARM escapes a leading `[` as `[[`. */
function unescapeArm(v: unknown): unknown {
  if (typeof v === 'string') return v.startsWith('[[') ? v.slice(1) : v;
  if (Array.isArray(v)) return v.map(unescapeArm);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeArm(x)]));
  return v;
}

function shortDuration(iso: unknown): string | undefined {
  if (typeof iso !== 'string') return undefined;
  const ms = parseDuration(iso);
  return ms === null ? iso : toKqlTimespan(ms);
}

/** One alert-rule resource of an ARM template (portal export) as rule YAML text. */
export function ruleFromArmResource(resource: Record<string, unknown>): { rule: Record<string, unknown> } | { error: string } {
  const kind = resource.kind;
  if (kind !== 'Scheduled' && kind !== 'NRT') return { error: `alert rule of kind ${String(kind)} is not supported (Scheduled and NRT are)` };
  const p = unescapeArm(resource.properties ?? {}) as Record<string, unknown>;
  if (typeof p.query !== 'string' || typeof p.displayName !== 'string') return { error: 'alert rule without displayName or query' };
  const id = (GUID.exec(String(resource.name ?? ''))?.[0] ?? slug(p.displayName)).toLowerCase();
  const r: Record<string, unknown> = { id, name: p.displayName };
  if (p.description) r.description = p.description;
  r.severity = p.severity;
  r.kind = kind;
  if (kind === 'Scheduled') {
    r.queryFrequency = shortDuration(p.queryFrequency);
    r.queryPeriod = shortDuration(p.queryPeriod);
    r.triggerOperator = OPERATORS[String(p.triggerOperator)] ?? p.triggerOperator;
    r.triggerThreshold = p.triggerThreshold;
  }
  if (p.enabled === false) r.enabled = false;
  if (Array.isArray(p.tactics) && p.tactics.length) r.tactics = p.tactics;
  const techniques = [...((p.techniques as string[] | undefined) ?? []), ...((p.subTechniques as string[] | undefined) ?? [])];
  // A parent technique listed only because a sub-technique is present stays implied.
  const subs = techniques.filter((t) => t.includes('.'));
  const listed = [...new Set(techniques)].filter((t) => t.includes('.') || !subs.some((s) => s.startsWith(t + '.')));
  if (listed.length) r.relevantTechniques = listed;
  r.query = p.query.endsWith('\n') ? p.query : p.query + '\n';
  for (const k of ['entityMappings', 'sentinelEntitiesMappings', 'customDetails', 'alertDetailsOverride', 'eventGroupingSettings'] as const) {
    const v = p[k];
    if (v && (!Array.isArray(v) || v.length) && (typeof v !== 'object' || Object.keys(v).length)) r[k] = v;
  }
  const ic = p.incidentConfiguration as Record<string, unknown> | undefined;
  if (ic) {
    const gc = ic.groupingConfiguration as Record<string, unknown> | undefined;
    r.incidentConfiguration = gc ? { ...ic, groupingConfiguration: { ...gc, lookbackDuration: shortDuration(gc.lookbackDuration) } } : ic;
  }
  if (p.suppressionDuration !== undefined) r.suppressionDuration = shortDuration(p.suppressionDuration);
  if (p.suppressionEnabled !== undefined) r.suppressionEnabled = p.suppressionEnabled;
  if (p.templateVersion) r.version = p.templateVersion;
  for (const [k, v] of Object.entries(r)) if (v === undefined) delete r[k];
  return { rule: r };
}

export function ruleYaml(rule: Record<string, unknown>, source: string): string {
  return `# Imported by sessionguard from ${source}\n` + stringify(rule, { blockQuote: 'literal', lineWidth: 0 });
}

/** Imports one file: an ARM template (JSON) or an Azure-Sentinel rule (YAML). */
export function importFile(shown: string, bytes: Uint8Array): ImportResult {
  const fail = (message: string, line = 1, col = 1): ImportResult => ({ rules: [], diagnostics: [{ file: shown, line, col, severity: 'error', message }] });
  const decoded = decodeText(bytes);
  if ('error' in decoded) return fail(decoded.error.replace('UTF-8 YAML', 'an ARM template (JSON) or a rule (YAML)'));
  const text = decoded.text;
  if (/^\s*[{[]/.test(text)) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      const m = /position (\d+)/.exec((e as Error).message);
      const pos = m ? Number(m[1]) : 0;
      const before = text.slice(0, pos);
      return fail(`invalid JSON: ${(e as Error).message.replace(/ in JSON at position \d+.*$/, '')}`, before.split('\n').length, pos - before.lastIndexOf('\n'));
    }
    const resources = (json as { resources?: unknown }).resources;
    if (!Array.isArray(resources)) return fail('expected an ARM template with a resources array (export the rule from the Sentinel portal)');
    const rules: ImportedRule[] = [];
    const diagnostics: Diagnostic[] = [];
    resources.forEach((res, i) => {
      const type = String((res as Record<string, unknown>)?.type ?? '');
      if (!/alertRules$/i.test(type)) {
        diagnostics.push({ file: shown, line: 1, col: 1, severity: 'warning', message: `resources[${i}] (${type || 'no type'}) is not an alert rule; skipped` });
        return;
      }
      const r = ruleFromArmResource(res as Record<string, unknown>);
      if ('error' in r) {
        diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: `resources[${i}]: ${r.error}` });
        return;
      }
      rules.push({ fileName: `${slug(String(r.rule.name))}.yaml`, text: ruleYaml(r.rule, shown), id: String(r.rule.id), name: String(r.rule.name) });
    });
    if (!rules.length && !diagnostics.some((d) => d.severity === 'error')) diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: 'the template has no alert rules' });
    return { rules, diagnostics };
  }
  const read = parseYaml(shown, text);
  if (!read.ok) return { rules: [], diagnostics: read.diagnostics };
  const data = read.source.data as Record<string, unknown> | null;
  if (!data || typeof data !== 'object' || typeof data.query !== 'string' || typeof data.name !== 'string')
    return fail('expected an analytics rule (a mapping with name and query)');
  const base = shown.split(/[\\/]/).pop()!.replace(/\.ya?ml$/i, '');
  return { rules: [{ fileName: `${slug(base)}.yaml`, text, id: String(data.id ?? ''), name: data.name }], diagnostics: read.warnings };
}
