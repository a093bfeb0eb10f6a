// A Sigma rule document -> the KQL of its detection and a sessionguard rule object.
import { builtinTables } from '../kql/kusto.js';
import { slug } from '../rules/import.js';
import { TACTICS, TECHNIQUE_TACTICS } from '../rules/sentinel.js';
import type { Path } from '../rules/source.js';
import { ConditionError, parseCondition, selectIdentifiers, type CondAst } from './condition.js';
import { and, or, searchCond, type Cond, type Placeholders } from './detection.js';
import { MappingError, TableContext, keywordText, toKql } from './kql.js';
import { tableFor, type Mapping } from './mapping.js';
import { SigmaError, describeLogsource, logsourceOf, type SigmaDoc } from './model.js';

export interface Options {
  mapping: Mapping;
  placeholders: Placeholders;
}

export const KEYWORD_COLUMN = 'SigmaKeywordText';

/** The table a rule reads, with its columns and mapping. */
export function tableOf(doc: SigmaDoc, opts: Options): TableContext {
  const ls = logsourceOf(doc);
  let cond: Cond | undefined;
  // A mapping entry with `detection` applies when the rule's condition requires those field values.
  const pins = (field: string, value: string) => requires((cond ??= detectionCond(doc, opts)), field, value);
  const r = tableFor(opts.mapping, ls, pins);
  if (!r || !r.table) throw new SigmaError(doc.src, ['logsource'], `no Sentinel table for logsource (${describeLogsource(ls) || 'empty'}): ${r?.reason ?? 'it is not in the mapping; add it with --mapping FILE (see docs/sigma.md)'}`);
  const columns = builtinTables()[r.table];
  if (!columns) throw new SigmaError(doc.src, ['logsource'], `the mapping sends this logsource to ${r.table}, a table sessionguard has no schema for`);
  return new TableContext(r.table, columns, opts.mapping.tables[r.table] ?? { fields: {}, entities: [] }, r.where);
}

/** Whether a condition holds only when `field` (case-insensitive) equals `value` (case-insensitive). */
export function requires(c: Cond, field: string, value: string): boolean {
  switch (c.k) {
    case 'and':
      return c.xs.some((x) => requires(x, field, value));
    case 'or':
      return c.xs.length > 0 && c.xs.every((x) => requires(x, field, value));
    case 'str':
      return c.op === 'eq' && c.field !== null && c.field.toLowerCase() === field.toLowerCase() && (c.cased ? c.value === value : c.value.toLowerCase() === value.toLowerCase());
    default:
      return false;
  }
}

/** The detection's condition as one Cond (a condition list is OR-ed). */
export function detectionCond(doc: SigmaDoc, opts: Options, section: 'detection' | 'filter' = 'detection'): Cond {
  const det = doc.data[section] as Record<string, unknown>;
  const ctx = { src: doc.src, placeholders: opts.placeholders };
  const ids = Object.keys(det).filter((k) => k !== 'condition' && !(section === 'filter' && k === 'rules'));
  const cache = new Map<string, Cond>();
  const search = (name: string): Cond => {
    if (!cache.has(name)) {
      try {
        cache.set(name, searchCond(ctx, name, det[name]));
      } catch (e) {
        if (e instanceof SigmaError && section === 'filter') throw new SigmaError(e.src, ['filter', ...e.path.slice(1)], e.message, e.at);
        throw e;
      }
    }
    return cache.get(name)!;
  };
  const conds = Array.isArray(det.condition) ? det.condition : [det.condition];
  const out = conds.map((text, i) => {
    const path: Path = Array.isArray(det.condition) ? [section, 'condition', i] : [section, 'condition'];
    if (typeof text !== 'string') throw new SigmaError(doc.src, path, 'a condition is a string such as "selection and not filter"');
    let ast: CondAst;
    try {
      ast = parseCondition(text);
    } catch (e) {
      if (e instanceof ConditionError) throw new SigmaError(doc.src, path, `condition: ${e.message}`, { offset: e.offset });
      throw e;
    }
    const resolve = (a: CondAst): Cond => {
      switch (a.k) {
        case 'id':
          if (!ids.includes(a.name)) throw new SigmaError(doc.src, path, `condition: no search identifier named '${a.name}' (defined: ${ids.join(', ') || 'none'})`, { offset: a.at });
          return search(a.name);
        case 'of': {
          const sel = selectIdentifiers(a.pattern, ids);
          if (!sel.length) throw new SigmaError(doc.src, path, `condition: '${a.pattern}' matches no search identifier`, { offset: a.at });
          return a.all ? and(sel.map(search)) : or(sel.map(search));
        }
        case 'not':
          return { k: 'not', x: resolve(a.x) };
        default:
          return a.k === 'and' ? and(a.xs.map(resolve)) : or(a.xs.map(resolve));
      }
    };
    return resolve(ast);
  });
  // Every identifier is checked even when the condition does not use it.
  for (const id of ids) search(id);
  return or(out);
}

export function usesKeywords(c: Cond): boolean {
  if (c.k === 'and' || c.k === 'or') return c.xs.some(usesKeywords);
  if (c.k === 'not') return usesKeywords(c.x);
  return 'field' in c && c.field === null;
}

/** `Table | where …` for a rule (plus the meta filters that apply to it). */
export function baseQuery(doc: SigmaDoc, opts: Options, filters: SigmaDoc[]): { query: string; table: TableContext } {
  const table = tableOf(doc, opts);
  let cond = detectionCond(doc, opts);
  for (const f of filters) cond = and([cond, detectionCond(f, opts, 'filter')]);
  const kw = usesKeywords(cond);
  let where: string;
  try {
    where = toKql(cond, table, kw ? { expr: KEYWORD_COLUMN } : null);
  } catch (e) {
    if (e instanceof MappingError) {
      const path = e.field ? fieldPath(doc, e.field) : ['detection'];
      throw new SigmaError(doc.src, path, e.message, { key: path.length > 1 });
    }
    throw e;
  }
  if (where === 'false') throw new SigmaError(doc.src, ['detection'], `the detection can never match in ${table.table}: with the mapping, its condition is always false`);
  const lines = [table.table];
  if (table.where) lines.push(`| where ${table.where}`);
  if (kw) lines.push(`| extend ${KEYWORD_COLUMN} = ${keywordText(table)}`);
  lines.push(`| where ${where}`);
  if (kw) lines.push(`| project-away ${KEYWORD_COLUMN}`);
  return { query: lines.join('\n'), table };
}

/** Where in a field's YAML a mapping error belongs: the first use of the field in the detection. */
export function fieldPath(doc: SigmaDoc, field: string): Path {
  const det = doc.data.detection as Record<string, unknown>;
  for (const [name, v] of Object.entries(det)) {
    const maps = Array.isArray(v) ? v : [v];
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i];
      if (!m || typeof m !== 'object') continue;
      for (const [k, x] of Object.entries(m)) {
        const [f, ...mods] = k.split('|');
        const refers = mods.includes('fieldref') && (Array.isArray(x) ? x : [x]).includes(field);
        if (f === field || refers) return Array.isArray(v) ? ['detection', name, i, k] : ['detection', name, k];
      }
    }
  }
  return ['detection'];
}

const SEVERITY: Record<string, string> = { informational: 'Informational', low: 'Low', medium: 'Medium', high: 'High', critical: 'High' };

export function attack(tags: unknown): { tactics: string[]; techniques: string[] } {
  const list = Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
  const tactics: string[] = [];
  const techniques: string[] = [];
  for (const tag of list) {
    const m = /^attack\.(.+)$/i.exec(tag.trim());
    if (!m) continue;
    const t = /^t(\d{4})(\.\d{3})?$/i.exec(m[1]!);
    if (t) {
      const id = `T${t[1]}${t[2] ?? ''}`;
      if (TECHNIQUE_TACTICS[`T${t[1]}`] && !techniques.includes(id)) techniques.push(id);
      continue;
    }
    const name = m[1]!
      .split(/[-_]/)
      .map((w) => (w === 'and' ? 'And' : w.charAt(0).toUpperCase() + w.slice(1)))
      .join('');
    if ((TACTICS as readonly string[]).includes(name) && !tactics.includes(name)) tactics.push(name);
  }
  // A technique whose tactics the tags do not name brings its first tactic (Sentinel requires one).
  for (const id of techniques) {
    const known = TECHNIQUE_TACTICS[id.slice(0, 5)]!;
    if (!known.some((k) => tactics.includes(k))) tactics.push(known[0]!);
  }
  return { tactics, techniques };
}

/** Metadata shared by rules and correlations: name, severity, ATT&CK, attribution. */
export function ruleHeader(doc: SigmaDoc, file: string): Record<string, unknown> {
  const d = doc.data;
  const id = doc.id && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(doc.id) ? doc.id : `sigma-${slug(doc.title)}`.slice(0, 128);
  const author = typeof d.author === 'string' ? d.author : undefined;
  const license = typeof d.license === 'string' ? d.license : 'DRL-1.1';
  const attribution = `Sigma rule "${doc.title}"${doc.id ? ` (${doc.id})` : ''}${author ? ` by ${author}` : ''}; ${license === 'DRL-1.1' ? 'Detection Rule License (DRL) 1.1, https://github.com/SigmaHQ/Detection-Rule-License' : `license ${license}`}.`;
  const base = typeof d.description === 'string' ? d.description.trim() : doc.title;
  const description = `${base.slice(0, 4990 - attribution.length)}\n\n${attribution}`;
  const { tactics, techniques } = attack(d.tags);
  const source: Record<string, unknown> = { kind: 'sigma', id: doc.id, title: doc.title, author, license, file };
  for (const k of ['status', 'date', 'modified', 'references', 'tags', 'falsepositives'] as const) if (d[k] !== undefined) source[k] = d[k] instanceof Date ? (d[k] as Date).toISOString().slice(0, 10) : d[k];
  for (const [k, v] of Object.entries(source)) if (v === undefined) delete source[k];
  const rule: Record<string, unknown> = {
    id,
    name: doc.title,
    description,
    severity: SEVERITY[String(d.level ?? 'medium').toLowerCase()] ?? 'Medium',
    kind: 'Scheduled',
    queryFrequency: '5m',
    queryPeriod: '5m',
    triggerOperator: 'gt',
    triggerThreshold: 0,
  };
  if (d.status === 'deprecated' || d.status === 'unsupported') rule.enabled = false;
  if (tactics.length) rule.tactics = tactics;
  if (techniques.length) rule.relevantTechniques = techniques;
  rule.source = source;
  return rule;
}

/** Entity mappings (and the columns they need) for a table's output. */
export function entitiesFor(table: TableContext, available?: Set<string>): { extend: string[]; entityMappings: unknown[] } {
  const extend = Object.entries(table.spec.extend ?? {}).map(([k, v]) => `${k} = ${v}`);
  const cols = available ?? new Set([...table.columns.map((c) => c.name), ...Object.keys(table.spec.extend ?? {})]);
  const entityMappings = table.spec.entities
    .map((e) => ({ entityType: e.entityType, fieldMappings: e.fieldMappings.filter((f) => cols.has(f.columnName)) }))
    .filter((e) => e.fieldMappings.length);
  return { extend: available ? [] : extend, entityMappings };
}

/** One detection rule as a sessionguard rule object. */
export function convertRule(doc: SigmaDoc, opts: Options, filters: SigmaDoc[], file: string): Record<string, unknown> {
  const { query, table } = baseQuery(doc, opts, filters);
  const rule = ruleHeader(doc, file);
  const { extend, entityMappings } = entitiesFor(table);
  rule.query = query + (extend.length ? `\n| extend ${extend.join(', ')}` : '') + '\n';
  if (entityMappings.length) rule.entityMappings = entityMappings;
  if (filters.length) (rule.source as Record<string, unknown>).filters = filters.map((f) => f.id ?? f.title);
  return rule;
}
