// Sentinel's own rules for analytics rules, beyond what the REST specification can say. Each is a
// named check so tests can assert on the one that fired. Limits: Sentinel documentation (scheduled
// and NRT rules, service limits).
import type { SpecIssue } from './specs.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** ISO 8601 duration (PnDTnHnMnS, weeks too) in ms; undefined when it does not parse. */
export function isoDurationMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(v);
  if (!m || v === 'P' || v.endsWith('T')) return undefined;
  const [, w, d, h, mi, s] = m;
  return ((+(w ?? 0) * 7 + +(d ?? 0)) * 24 * 60 + +(h ?? 0) * 60 + +(mi ?? 0)) * MIN + +(s ?? 0) * 1000;
}

export function alertRuleChecks(body: Record<string, unknown>): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const p = (body.properties ?? {}) as Record<string, unknown>;
  const add = (code: string, path: string, message: string) => issues.push({ code, path, message });
  const dur = (name: string): number | undefined => {
    if (p[name] === undefined) return undefined;
    const ms = isoDurationMs(p[name]);
    if (ms === undefined) add('SENTINEL_DURATION', `properties.${name}`, `${name} ${JSON.stringify(p[name])} is not an ISO 8601 duration`);
    return ms;
  };
  const freq = dur('queryFrequency');
  const period = dur('queryPeriod');
  const supp = dur('suppressionDuration');
  if (body.kind === 'NRT') {
    for (const f of ['queryFrequency', 'queryPeriod', 'triggerOperator', 'triggerThreshold']) {
      if (p[f] !== undefined) add('SENTINEL_NRT_SCHEDULE', `properties.${f}`, `NRT rules run every minute: ${f} is not allowed`);
    }
  } else if (body.kind === 'Scheduled') {
    for (const [name, ms] of [['queryFrequency', freq], ['queryPeriod', period]] as const) {
      if (ms !== undefined && (ms < 5 * MIN || ms > 14 * DAY)) add('SENTINEL_SCHEDULE_RANGE', `properties.${name}`, `${name} must be from 5 minutes to 14 days`);
    }
    if (freq !== undefined && period !== undefined && freq > period) add('SENTINEL_FREQUENCY_ABOVE_PERIOD', 'properties.queryFrequency', 'queryFrequency must not exceed queryPeriod');
  }
  if (supp !== undefined && supp > DAY) add('SENTINEL_SUPPRESSION_RANGE', 'properties.suppressionDuration', 'suppressionDuration must be at most 24 hours');
  if (typeof p.query === 'string' && (p.query.length < 1 || p.query.length > 10_000)) add('SENTINEL_QUERY_LENGTH', 'properties.query', `query is ${p.query.length} characters; 1 to 10,000 allowed`);
  if (Array.isArray(p.entityMappings) && p.entityMappings.length > 10) add('SENTINEL_ENTITY_MAPPINGS', 'properties.entityMappings', `${p.entityMappings.length} entity mappings; at most 10 allowed`);
  if (p.customDetails && typeof p.customDetails === 'object' && Object.keys(p.customDetails).length > 20) add('SENTINEL_CUSTOM_DETAILS', 'properties.customDetails', `${Object.keys(p.customDetails).length} custom details; at most 20 allowed`);
  return issues;
}
