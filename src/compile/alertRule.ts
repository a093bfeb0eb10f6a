// The Sentinel alert-rule resource (the body of PUT …/alertRules/{id}) for a compiled rule.
import { toIsoDuration } from '../rules/duration.js';
import type { Rule } from '../rules/model.js';

/** Microsoft.SecurityInsights api-versions, from the REST specifications. */
export const API_VERSIONS = {
  /** Newest stable: Scheduled rules; no NRT, no subTechniques. */
  stable: '2025-12-01',
  /** Newest preview: adds NRT, subTechniques, sentinelEntitiesMappings. */
  preview: '2025-07-01-preview',
} as const;

export interface AlertRuleModel {
  /** Resource name: the rule's deterministic GUID. */
  name: string;
  kind: 'Scheduled' | 'NRT';
  apiVersion: string;
  properties: Record<string, unknown>;
}

export interface CompiledQuery {
  query: string;
  /** ms; Scheduled only. */
  queryPeriod?: number;
}

/** Whether the rule needs the preview api-version to be deployed as written. */
export function needsPreview(rule: Rule): boolean {
  return (
    rule.kind === 'NRT' ||
    rule.subTechniques.length > 0 ||
    rule.sentinelEntitiesMappings.length > 0 ||
    (rule.alertDetailsOverride?.alertDynamicProperties ?? []).some((p) => p.alertProperty === 'SubTechniques')
  );
}

export function alertRuleModel(rule: Rule, guid: string, compiled: CompiledQuery, enabled: boolean): AlertRuleModel {
  const preview = needsPreview(rule);
  const p: Record<string, unknown> = {
    displayName: rule.name,
    description: rule.description.trim(),
    severity: rule.severity,
    enabled,
    query: compiled.query,
  };
  if (rule.kind === 'Scheduled') {
    p.queryFrequency = toIsoDuration(rule.queryFrequency!);
    p.queryPeriod = toIsoDuration(compiled.queryPeriod ?? rule.queryPeriod!);
    p.triggerOperator = rule.triggerOperator;
    p.triggerThreshold = rule.triggerThreshold;
  }
  p.suppressionDuration = toIsoDuration(rule.suppressionDuration);
  p.suppressionEnabled = rule.suppressionEnabled;
  p.tactics = rule.tactics;
  p.techniques = rule.techniques;
  if (preview) p.subTechniques = rule.subTechniques;
  if (rule.entityMappings.length) p.entityMappings = rule.entityMappings.map((m) => ({ entityType: m.entityType, fieldMappings: m.fieldMappings.map((f) => ({ identifier: f.identifier, columnName: f.columnName })) }));
  if (preview && rule.sentinelEntitiesMappings.length) p.sentinelEntitiesMappings = rule.sentinelEntitiesMappings.map((m) => ({ columnName: m.columnName }));
  if (Object.keys(rule.customDetails).length) p.customDetails = { ...rule.customDetails };
  const ado = rule.alertDetailsOverride;
  if (ado) {
    const o: Record<string, unknown> = {};
    if (ado.alertDisplayNameFormat) o.alertDisplayNameFormat = ado.alertDisplayNameFormat.trim();
    if (ado.alertDescriptionFormat) o.alertDescriptionFormat = ado.alertDescriptionFormat.trim();
    if (ado.alertTacticsColumnName) o.alertTacticsColumnName = ado.alertTacticsColumnName;
    if (ado.alertSeverityColumnName) o.alertSeverityColumnName = ado.alertSeverityColumnName;
    const dyn = (ado.alertDynamicProperties ?? []).filter((d) => preview || d.alertProperty !== 'SubTechniques');
    if (dyn.length) o.alertDynamicProperties = dyn.map((d) => ({ alertProperty: d.alertProperty, value: d.value }));
    if (Object.keys(o).length) p.alertDetailsOverride = o;
  }
  p.eventGroupingSettings = { aggregationKind: rule.aggregationKind };
  const g = rule.grouping;
  p.incidentConfiguration = {
    createIncident: rule.createIncident,
    groupingConfiguration: {
      enabled: g.enabled,
      reopenClosedIncident: g.reopenClosedIncident,
      lookbackDuration: toIsoDuration(g.lookbackDuration),
      matchingMethod: g.matchingMethod,
      groupByEntities: g.groupByEntities,
      groupByAlertDetails: g.groupByAlertDetails,
      groupByCustomDetails: g.groupByCustomDetails,
    },
  };
  if (rule.version) p.templateVersion = rule.version;
  return { name: guid, kind: rule.kind, apiVersion: preview ? API_VERSIONS.preview : API_VERSIONS.stable, properties: p };
}
