// What Sentinel does with a rule's query result: the trigger threshold, event grouping, entity
// mapping, custom details and alert-details overrides, turning rows into alerts.
import type { Rule, Severity } from '../rules/model.js';
import { LIMITS, SEVERITIES, TACTICS } from '../rules/sentinel.js';

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface Entity {
  type: string;
  /** Identifier -> value, as text. */
  identifiers: Record<string, string>;
}

export interface Alert {
  ruleId: string;
  ruleName: string;
  displayName: string;
  description: string;
  severity: Severity;
  tactics: string[];
  /** When the rule run that raised it happened. */
  createdAt: Date;
  entities: Entity[];
  /** Custom detail -> its values (at most 50 each). */
  customDetails: Record<string, string[]>;
  /** Indexes of the result rows this alert stands for. */
  rows: number[];
  /** True for the summary alert Sentinel adds when per-result alerts exceed the cap. */
  summary?: boolean;
  /** The first result rows behind the alert (for test failures and reports). */
  sample: Record<string, unknown>[];
}

/** A cell as Sentinel shows it in alerts: text; dynamic values as JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function triggered(rule: Rule, resultCount: number): boolean {
  if (rule.kind === 'NRT') return resultCount > 0;
  const t = rule.triggerThreshold;
  switch (rule.triggerOperator) {
    case 'GreaterThan':
      return resultCount > t;
    case 'LessThan':
      return resultCount < t;
    case 'Equal':
      return resultCount === t;
    case 'NotEqual':
      return resultCount !== t;
  }
}

function columnIndex(result: QueryResult): Map<string, number> {
  return new Map(result.columns.map((c, i) => [c.name, i]));
}

export function entitiesOf(rule: Rule, result: QueryResult, rows: number[]): Entity[] {
  const idx = columnIndex(result);
  const out: Entity[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const m of rule.entityMappings) {
      const identifiers: Record<string, string> = {};
      for (const f of m.fieldMappings) {
        const i = idx.get(f.columnName);
        const v = i === undefined ? '' : cellText(result.rows[r]![i]);
        if (v !== '') identifiers[f.identifier] = v;
      }
      if (!Object.keys(identifiers).length) continue;
      const key = m.entityType + JSON.stringify(Object.entries(identifiers).sort());
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ type: m.entityType, identifiers });
      if (out.length >= 500) return out; // Sentinel's per-alert entity cap
    }
  }
  return out;
}

function customDetailsOf(rule: Rule, result: QueryResult, rows: number[]): Record<string, string[]> {
  const idx = columnIndex(result);
  const out: Record<string, string[]> = {};
  for (const [key, column] of Object.entries(rule.customDetails)) {
    const i = idx.get(column);
    const values: string[] = [];
    for (const r of rows) {
      if (i === undefined) break;
      const v = cellText(result.rows[r]![i]);
      if (v !== '' && !values.includes(v)) values.push(v);
      if (values.length >= 50) break;
    }
    out[key] = values;
  }
  return out;
}

/** Fills `{{Column}}` placeholders from one row; Sentinel resolves the first three. */
export function fillTemplate(template: string, result: QueryResult, row: number): string {
  const idx = columnIndex(result);
  let n = 0;
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, name: string) => {
    if (++n > 3) return whole;
    const i = idx.get(name);
    return i === undefined ? whole : cellText(result.rows[row]![i]);
  });
}

function alertFor(rule: Rule, result: QueryResult, rows: number[], createdAt: Date): Alert {
  const first = rows[0] ?? 0;
  const ado = rule.alertDetailsOverride;
  const idx = columnIndex(result);
  let severity: Severity = rule.severity;
  let tactics = rule.tactics;
  if (ado?.alertSeverityColumnName && result.rows.length) {
    const v = cellText(result.rows[first]![idx.get(ado.alertSeverityColumnName) ?? -1]);
    const s = SEVERITIES.find((x) => x.toLowerCase() === v.toLowerCase());
    if (s) severity = s;
  }
  if (ado?.alertTacticsColumnName && result.rows.length) {
    const v = cellText(result.rows[first]![idx.get(ado.alertTacticsColumnName) ?? -1]);
    const list = v.split(/[,\s]+/).filter((t) => (TACTICS as readonly string[]).includes(t));
    if (list.length) tactics = list;
  }
  return {
    ruleId: rule.id,
    ruleName: rule.name,
    displayName: ado?.alertDisplayNameFormat && result.rows.length ? fillTemplate(ado.alertDisplayNameFormat.trim(), result, first) : rule.name,
    description: ado?.alertDescriptionFormat && result.rows.length ? fillTemplate(ado.alertDescriptionFormat.trim(), result, first) : rule.description.trim(),
    severity,
    tactics,
    createdAt,
    entities: entitiesOf(rule, result, rows),
    customDetails: customDetailsOf(rule, result, rows),
    rows,
    sample: rows.slice(0, 3).map((r) => Object.fromEntries(result.columns.map((c, j) => [c.name, result.rows[r]![j]]))),
  };
}

/** The alerts one run of the rule raises from its query result. */
export function alertsFromResult(rule: Rule, result: QueryResult, createdAt: Date): Alert[] {
  const n = result.rows.length;
  if (!triggered(rule, n)) return [];
  const all = Array.from({ length: n }, (_, i) => i);
  if (rule.aggregationKind === 'SingleAlert' || n === 0) return [alertFor(rule, result, all, createdAt)];
  const cap = rule.kind === 'NRT' ? LIMITS.alertsPerRunNrt : LIMITS.alertsPerRunScheduled;
  if (n <= cap) return all.map((r) => alertFor(rule, result, [r], createdAt));
  // Over the cap: cap-1 single alerts and one summary alert for the rest.
  const singles = all.slice(0, cap - 1).map((r) => alertFor(rule, result, [r], createdAt));
  const rest = alertFor(rule, result, all.slice(cap - 1), createdAt);
  return [...singles, { ...rest, summary: true }];
}
