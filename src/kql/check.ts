// KQL checks of a rule: the query (with its parameters declared) parsed and analyzed by
// Kusto.Language against the table schemas, and every column the rule names found in its output.
import type { Diagnostic } from '../diagnostics.js';
import type { Rule } from '../rules/model.js';
import { positionInScalar, positionOf, type Path } from '../rules/source.js';
import type { KqlCache } from './cache.js';
import type { Analysis, SchemaEnv } from './kusto.js';
import { prelude } from './literals.js';

export interface RuleKql {
  analysis: Analysis;
  diagnostics: Diagnostic[];
}

export function checkRuleKql(rule: Rule, env: SchemaEnv, cache: KqlCache, values: Record<string, unknown> = {}): RuleKql {
  const pre = prelude(rule.parameters, values);
  const analysis = cache.analyze(pre.text + rule.query, env);
  const out: Diagnostic[] = [];
  const at = (path: Path, message: string, severity: 'error' | 'warning' = 'error') => {
    const p = positionOf(rule.source, path);
    out.push({ file: rule.file, line: p.line, col: p.col, severity, message });
  };
  for (const d of analysis.diagnostics) {
    if (d.start >= pre.text.length) {
      const p = positionInScalar(rule.source, ['query'], d.start - pre.text.length);
      out.push({ file: rule.file, line: p.line, col: p.col, severity: d.severity, message: `${d.message} (${d.code})` });
    } else {
      const name = [...pre.spans].find(([, [s, e]]) => d.start >= s && d.start < e)?.[0];
      at(name ? ['parameters', name, 'default'] : ['parameters'], `parameter ${name ?? ''}: ${d.message} (${d.code})`, d.severity);
    }
  }
  if (/\b(search|union)\s+\*/.test(rule.query)) at(['query'], 'Sentinel rejects `search *` and `union *` in analytics rules; name the tables');
  if (out.some((d) => d.severity === 'error')) return { analysis, diagnostics: out };
  if (!analysis.columns) {
    at(['query'], 'the query does not produce a table; an analytics rule must end in a tabular expression');
    return { analysis, diagnostics: out };
  }
  if (analysis.openResult) return { analysis, diagnostics: out };

  const names = new Set(analysis.columns.map((c) => c.name));
  const available = () => {
    const list = analysis.columns!.map((c) => c.name);
    return list.length > 15 ? `${list.slice(0, 15).join(', ')}, …` : list.join(', ');
  };
  const need = (path: Path, column: string, what: string) => {
    if (!names.has(column)) at(path, `${what} names column '${column}', which the query does not output (it outputs: ${available()})`);
  };
  rule.entityMappings.forEach((m, i) =>
    m.fieldMappings.forEach((f, j) => need(['entityMappings', i, 'fieldMappings', j, 'columnName'], f.columnName, `${m.entityType}.${f.identifier}`)),
  );
  rule.sentinelEntitiesMappings.forEach((m, i) => need(['sentinelEntitiesMappings', i, 'columnName'], m.columnName, 'sentinelEntitiesMappings'));
  for (const [key, column] of Object.entries(rule.customDetails)) need(['customDetails', key], column, `custom detail ${key}`);
  const ado = rule.alertDetailsOverride;
  if (ado) {
    for (const f of ['alertDisplayNameFormat', 'alertDescriptionFormat'] as const) {
      for (const m of (ado[f] ?? '').matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) need(['alertDetailsOverride', f], m[1]!, `${f} placeholder`);
    }
    if (ado.alertTacticsColumnName) need(['alertDetailsOverride', 'alertTacticsColumnName'], ado.alertTacticsColumnName, 'alertTacticsColumnName');
    if (ado.alertSeverityColumnName) need(['alertDetailsOverride', 'alertSeverityColumnName'], ado.alertSeverityColumnName, 'alertSeverityColumnName');
    (ado.alertDynamicProperties ?? []).forEach((p, i) => need(['alertDetailsOverride', 'alertDynamicProperties', i, 'value'], p.value, `alert property ${p.alertProperty}`));
  }
  return { analysis, diagnostics: out };
}
