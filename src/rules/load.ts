// Loads rule files: YAML, schema, Sentinel limits and cross-field checks. Every problem at once.
import { readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { checkSchema, suggest } from './check.js';
import { humanDuration, parseDuration } from './duration.js';
import type { AlertDetailsOverride, EntityMapping, ParameterType, Rule, RuleParameter, Severity } from './model.js';
import { RULE_SCHEMA } from './schema.js';
import { ENTITY_IDENTIFIERS, LIMITS, TECHNIQUE_TACTICS, TRIGGER_OPERATORS } from './sentinel.js';
import { positionOf, readYamlFile, type Path, type YamlSource } from './source.js';

export interface LoadResult {
  rules: Rule[];
  diagnostics: Diagnostic[];
}

const RULE_EXT = new Set(['.yaml', '.yml']);

/** Rule files under the given files or folders; `*.tests.yaml` companions and `watchlists/` are not rules. */
/**
 * Every YAML file below `paths` that parses and passes `schema`, as positioned sources named relative
 * to `cwd`; the problems of the others in `diagnostics`. Playbooks and workbooks load through this.
 */
export function readSchemaFiles(paths: string[], schema: object, cwd = process.cwd()): { sources: YamlSource[]; diagnostics: Diagnostic[] } {
  const { files } = findRuleFiles(paths);
  const sources: YamlSource[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const shown = relative(cwd, f) || f;
    const read = readYamlFile(f);
    if (!read.ok) {
      diagnostics.push(...read.diagnostics.map((d) => ({ ...d, file: shown })));
      continue;
    }
    const src = { ...read.source, file: shown };
    const errs = checkSchema(src, schema);
    diagnostics.push(...errs);
    if (!errs.length) sources.push(src);
  }
  return { sources, diagnostics };
}

/** YAML files under the given files or folders (explicitly named files are taken whatever their name). */
export function findYamlFiles(paths: string[], skip: { dirs?: string[]; files?: RegExp } = {}): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (p: string, explicit: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      missing.push(p);
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.') || name === 'node_modules' || skip.dirs?.includes(name)) continue;
        walk(join(p, name), false);
      }
    } else if (explicit || (RULE_EXT.has(extname(p).toLowerCase()) && !skip.files?.test(p))) {
      files.push(p);
    }
  };
  for (const p of paths) walk(p, true);
  return { files: [...new Set(files)], missing };
}

/** Rule files: watchlist folders and test-case files are not rules. */
export function findRuleFiles(paths: string[]): { files: string[]; missing: string[] } {
  return findYamlFiles(paths, { dirs: ['watchlists'], files: /\.tests\.ya?ml$/i });
}

export function loadRules(paths: string[], cwd = process.cwd()): LoadResult {
  const { files, missing } = findRuleFiles(paths);
  const diagnostics: Diagnostic[] = missing.map((m) => ({
    file: relative(cwd, m) || m,
    line: 1,
    col: 1,
    severity: 'error',
    message: /(^|[\\/])rules$/.test(m) ? 'no such folder: put rules here (npx sessionguard init scaffolds a repository) or name rule files or folders' : 'no such file or folder',
  }));
  const rules: Rule[] = [];
  for (const f of files) {
    const shown = relative(cwd, f) || f;
    const r = loadRuleFile(f, shown);
    diagnostics.push(...r.diagnostics);
    if (r.rule) rules.push(r.rule);
  }
  diagnostics.push(...checkUniqueIds(rules));
  return { rules, diagnostics };
}

export function loadRuleFile(path: string, shown = path): { rule: Rule | null; diagnostics: Diagnostic[] } {
  const read = readYamlFile(path);
  if (!read.ok) return { rule: null, diagnostics: read.diagnostics.map((d) => ({ ...d, file: shown })) };
  const src: YamlSource = { ...read.source, file: shown };
  const diagnostics = read.warnings.map((d) => ({ ...d, file: shown }));
  if (!src.data || typeof src.data !== 'object' || Array.isArray(src.data)) {
    diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: 'expected a mapping with the rule fields (id, name, severity, query, …)' });
    return { rule: null, diagnostics };
  }
  const schemaErrors = checkSchema(src, RULE_SCHEMA);
  diagnostics.push(...schemaErrors);
  const { rule, diagnostics: semantic } = normalize(src, schemaErrors.length > 0);
  diagnostics.push(...semantic);
  return { rule: diagnostics.some((d) => d.severity === 'error') ? null : rule, diagnostics };
}

type Raw = Record<string, unknown>;

function normalize(src: YamlSource, schemaFailed: boolean): { rule: Rule | null; diagnostics: Diagnostic[] } {
  const raw = src.data as Raw;
  const out: Diagnostic[] = [];
  const err = (path: Path, message: string, severity: 'error' | 'warning' = 'error', key = false) => {
    const p = positionOf(src, path, key ? 'key' : 'value');
    out.push({ file: src.file, line: p.line, col: p.col, severity, message });
  };
  const dur = (path: Path): number | undefined => {
    let v: unknown = raw;
    for (const s of path) v = v && typeof v === 'object' ? (v as Raw)[s as string] : undefined;
    return typeof v === 'string' ? (parseDuration(v) ?? undefined) : undefined;
  };

  const kind = (raw.kind as Rule['kind'] | undefined) ?? 'Scheduled';
  const frequency = dur(['queryFrequency']);
  const period = dur(['queryPeriod']);
  if (kind === 'Scheduled') {
    if (raw.queryFrequency === undefined) err([], "missing required field 'queryFrequency' (how often a Scheduled rule runs, 5m to 14d)");
    if (raw.queryPeriod === undefined) err([], "missing required field 'queryPeriod' (how far back a Scheduled rule looks, 5m to 14d)");
    const range = (path: string, v: number | undefined) => {
      if (v === undefined) return;
      if (v < LIMITS.minSchedule || v > LIMITS.maxSchedule) err([path], `${path}: ${humanDuration(v)} is outside Sentinel's range of 5m to 14d`);
    };
    range('queryFrequency', frequency);
    range('queryPeriod', period);
    if (frequency !== undefined && period !== undefined) {
      if (period < frequency) err(['queryPeriod'], `queryPeriod (${humanDuration(period)}) must be at least queryFrequency (${humanDuration(frequency)}), or rows between runs are never looked at`);
      if (period >= LIMITS.longPeriod && frequency < LIMITS.longPeriodMinFrequency)
        err(['queryFrequency'], `a look-back of 2 days or more (${humanDuration(period)}) needs queryFrequency of at least 1h; got ${humanDuration(frequency)}`);
    }
  } else {
    for (const f of ['queryFrequency', 'queryPeriod', 'triggerOperator', 'triggerThreshold']) {
      if (raw[f] !== undefined) err([f], `${f} is not allowed on an NRT rule: NRT rules run every minute over newly ingested rows and alert on any result`, 'error', true);
    }
  }

  const suppression = dur(['suppressionDuration']) ?? 5 * 3_600_000;
  if (suppression > LIMITS.maxSuppression) err(['suppressionDuration'], `suppressionDuration: ${humanDuration(suppression)} exceeds Sentinel's maximum of 24h`);

  // Entity mappings: identifiers valid for the type, each at most once.
  const mappings = (Array.isArray(raw.entityMappings) ? raw.entityMappings : []) as EntityMapping[];
  mappings.forEach((m, i) => {
    const ids = ENTITY_IDENTIFIERS[m?.entityType];
    if (!ids || !Array.isArray(m.fieldMappings)) return;
    if (m.fieldMappings.length > LIMITS.fieldMappingsPerEntity)
      err(['entityMappings', i, 'fieldMappings'], `${m.fieldMappings.length} identifiers in one entity mapping; Sentinel documents at most ${LIMITS.fieldMappingsPerEntity}`, 'warning');
    const seen = new Set<string>();
    m.fieldMappings.forEach((fm, j) => {
      if (!fm || typeof fm.identifier !== 'string') return;
      const id = fm.identifier;
      if (!ids.includes(id)) {
        const hint = suggest(id, ids);
        err(['entityMappings', i, 'fieldMappings', j, 'identifier'], `'${id}' is not an identifier of entity type ${m.entityType}${hint ? `; did you mean '${hint}'?` : ''} (valid: ${ids.join(', ')})`);
      }
      if (seen.has(id)) err(['entityMappings', i, 'fieldMappings', j, 'identifier'], `identifier '${id}' is mapped twice in this entity; Sentinel keeps one`, 'warning');
      seen.add(id);
    });
  });

  // Tactics and techniques.
  const tactics = (Array.isArray(raw.tactics) ? raw.tactics : []) as string[];
  const techniqueIds = (Array.isArray(raw.relevantTechniques) ? raw.relevantTechniques : []) as string[];
  const techniques: string[] = [];
  const subTechniques: string[] = [];
  techniqueIds.forEach((t, i) => {
    if (typeof t !== 'string' || !/^T\d{4}(\.\d{3})?$/.test(t)) return;
    const parent = t.slice(0, 5);
    if (!techniques.includes(parent)) techniques.push(parent);
    if (t.length > 5 && !subTechniques.includes(t)) subTechniques.push(t);
    const known = TECHNIQUE_TACTICS[parent];
    if (!known) {
      err(['relevantTechniques', i], `technique ${t} is not in sessionguard's ATT&CK table; its tactics cannot be checked`, 'warning');
    } else if (tactics.length && !known.some((k) => tactics.includes(k))) {
      err(['relevantTechniques', i], `technique ${t} belongs to ${known.join(' or ')}, none of which is in tactics (${tactics.join(', ')})`);
    }
  });
  if (techniqueIds.length && !tactics.length) err(['relevantTechniques'], 'techniques are listed but tactics is empty; add the tactics they belong to');

  // Custom details and grouping.
  const customDetails = (raw.customDetails && typeof raw.customDetails === 'object' ? raw.customDetails : {}) as Record<string, string>;
  const ic = (raw.incidentConfiguration ?? {}) as Raw;
  const gc = (ic.groupingConfiguration ?? {}) as Raw;
  const lookback = dur(['incidentConfiguration', 'groupingConfiguration', 'lookbackDuration']) ?? 5 * 3_600_000;
  if (lookback < LIMITS.minGroupingLookback || lookback > LIMITS.maxGroupingLookback)
    err(['incidentConfiguration', 'groupingConfiguration', 'lookbackDuration'], `lookbackDuration: ${humanDuration(lookback)} is outside Sentinel's range of 5m to 7d`);
  const groupByEntities = (Array.isArray(gc.groupByEntities) ? gc.groupByEntities : []) as string[];
  const groupByCustomDetails = (Array.isArray(gc.groupByCustomDetails) ? gc.groupByCustomDetails : []) as string[];
  const groupByAlertDetails = (Array.isArray(gc.groupByAlertDetails) ? gc.groupByAlertDetails : []) as string[];
  const matchingMethod = (gc.matchingMethod as Rule['grouping']['matchingMethod'] | undefined) ?? 'AllEntities';
  const groupingEnabled = gc.enabled === true;
  if (groupingEnabled) {
    groupByEntities.forEach((e, i) => {
      if (!mappings.some((m) => m?.entityType === e)) err(['incidentConfiguration', 'groupingConfiguration', 'groupByEntities', i], `groups by entity ${e}, but no entity mapping produces one`);
    });
    groupByCustomDetails.forEach((c, i) => {
      if (!(c in customDetails)) err(['incidentConfiguration', 'groupingConfiguration', 'groupByCustomDetails', i], `groups by custom detail '${c}', which customDetails does not define`);
    });
    if (matchingMethod === 'Selected' && !groupByEntities.length && !groupByCustomDetails.length && !groupByAlertDetails.length)
      err(['incidentConfiguration', 'groupingConfiguration', 'matchingMethod'], 'matchingMethod Selected needs at least one of groupByEntities, groupByAlertDetails, groupByCustomDetails');
  }

  // Alert details override: Sentinel resolves at most three {{Column}} placeholders per field.
  const ado = raw.alertDetailsOverride as AlertDetailsOverride | undefined;
  for (const f of ['alertDisplayNameFormat', 'alertDescriptionFormat'] as const) {
    const text = ado?.[f];
    if (typeof text === 'string' && (text.match(/\{\{[^}]+\}\}/g) ?? []).length > 3)
      err(['alertDetailsOverride', f], `${f} has more than 3 {{column}} placeholders; Sentinel fills in only the first 3`, 'warning');
  }

  // Parameters: default values of the declared type.
  const parameters: RuleParameter[] = [];
  const params = (raw.parameters && typeof raw.parameters === 'object' ? raw.parameters : {}) as Record<string, Raw>;
  for (const [name, p] of Object.entries(params)) {
    if (!p || typeof p !== 'object') continue;
    const type = p.type as ParameterType;
    const problem = checkParameterValue(type, p.default);
    if (problem) err(['parameters', name, 'default'], `parameter ${name}: ${problem}`);
    parameters.push({ name, type, default: p.default, description: typeof p.description === 'string' ? p.description : undefined });
  }

  const delayRaw = raw.ingestionDelay;
  const ingestionDelay: Rule['ingestionDelay'] = delayRaw === undefined || delayRaw === 'auto' ? 'auto' : delayRaw === 'off' ? 'off' : (parseDuration(String(delayRaw)) ?? 'auto');
  if (kind === 'NRT' && delayRaw !== undefined) err(['ingestionDelay'], 'ingestionDelay applies to Scheduled rules; NRT rules already run on ingestion time', 'warning', true);

  if (schemaFailed) return { rule: null, diagnostics: out };
  const trigger = TRIGGER_OPERATORS[(raw.triggerOperator as string | undefined) ?? 'gt'] ?? 'GreaterThan';
  const rule: Rule = {
    file: src.file,
    source: src,
    id: String(raw.id),
    name: String(raw.name),
    description: typeof raw.description === 'string' ? raw.description : '',
    severity: raw.severity as Severity,
    kind,
    enabled: raw.enabled !== false,
    status: typeof raw.status === 'string' ? raw.status.trim() : undefined,
    version: raw.version !== undefined ? String(raw.version).trim() : undefined,
    requiredDataConnectors: (raw.requiredDataConnectors as Rule['requiredDataConnectors'] | undefined) ?? [],
    queryFrequency: kind === 'Scheduled' ? frequency : undefined,
    queryPeriod: kind === 'Scheduled' ? period : undefined,
    triggerOperator: trigger,
    triggerThreshold: typeof raw.triggerThreshold === 'number' ? raw.triggerThreshold : 0,
    tactics,
    techniques,
    subTechniques,
    query: String(raw.query),
    entityMappings: mappings,
    sentinelEntitiesMappings: (raw.sentinelEntitiesMappings as Rule['sentinelEntitiesMappings'] | undefined) ?? [],
    customDetails,
    alertDetailsOverride: ado,
    createIncident: ic.createIncident !== false,
    grouping: {
      enabled: groupingEnabled,
      reopenClosedIncident: gc.reopenClosedIncident === true,
      lookbackDuration: lookback,
      matchingMethod,
      groupByEntities,
      groupByAlertDetails,
      groupByCustomDetails,
    },
    aggregationKind: ((raw.eventGroupingSettings as Raw | undefined)?.aggregationKind as Rule['aggregationKind'] | undefined) ?? 'SingleAlert',
    suppressionDuration: suppression,
    suppressionEnabled: raw.suppressionEnabled === true,
    parameters,
    ingestionDelay,
    response: raw.response as Rule['response'],
    tests: raw.tests,
  };
  return { rule, diagnostics: out };
}

/** Why a value does not fit a parameter type, or null when it does. */
export function checkParameterValue(type: ParameterType, v: unknown): string | null {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? null : `expected a string, got ${JSON.stringify(v)}`;
    case 'int':
    case 'long':
      return typeof v === 'number' && Number.isInteger(v) ? null : `expected a whole number, got ${JSON.stringify(v)}`;
    case 'real':
      return typeof v === 'number' ? null : `expected a number, got ${JSON.stringify(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? null : `expected true or false, got ${JSON.stringify(v)}`;
    case 'timespan':
      return typeof v === 'string' && parseDuration(v) !== null ? null : `expected a duration such as 5m, 1h or 14d, got ${JSON.stringify(v)}`;
    case 'datetime':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? null : `expected an ISO 8601 date-time, got ${JSON.stringify(v)}`;
    case 'dynamic':
      return v === undefined ? 'expected a value' : null;
    default:
      return `unknown type ${String(type)}`;
  }
}

function checkUniqueIds(rules: Rule[]): Diagnostic[] {
  const first = new Map<string, Rule>();
  const out: Diagnostic[] = [];
  for (const r of rules) {
    const prev = first.get(r.id.toLowerCase());
    if (prev) {
      const p = positionOf(r.source, ['id']);
      out.push({ file: r.file, line: p.line, col: p.col, severity: 'error', message: `rule id '${r.id}' is already used by ${prev.file}; ids must be unique` });
    } else first.set(r.id.toLowerCase(), r);
  }
  return out;
}
