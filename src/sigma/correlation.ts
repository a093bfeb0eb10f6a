// Sigma correlation rules -> KQL over the referenced rules' queries.
// The window is the rule's look-back (queryPeriod = timespan, run every quarter of it), so no
// clock-aligned bins split a burst; only a timespan under Sentinel's 5-minute minimum uses bin().
import { stringLiteral } from '../kql/literals.js';
import { humanDuration } from '../rules/duration.js';
import type { Path } from '../rules/source.js';
import { baseQuery, ruleHeader, type Options } from './convert.js';
import { MappingError, type TableContext } from './kql.js';
import { SigmaError, type SigmaDoc } from './model.js';

const TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile'];
const CRITERIA: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '==', neq: '!=' };
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MIN = 5 * 60_000;
const MAX = 14 * 86_400_000;

interface Branch {
  doc: SigmaDoc;
  name: string;
  query: string;
  table: TableContext;
}

const ident = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');

export function convertCorrelation(doc: SigmaDoc, opts: Options, byRef: (ref: string) => SigmaDoc | undefined, filtersFor: (d: SigmaDoc) => SigmaDoc[], file: string): { rule: Record<string, unknown>; used: SigmaDoc[] } {
  const c = doc.data.correlation as Record<string, unknown>;
  const at = (path: Path, msg: string): never => {
    throw new SigmaError(doc.src, ['correlation', ...path], msg);
  };
  const type = c.type;
  if (typeof type !== 'string' || !TYPES.includes(type)) at(['type'], `correlation type must be one of ${TYPES.join(', ')}`);
  const refs = c.rules;
  if (!Array.isArray(refs) || !refs.length || refs.some((r) => typeof r !== 'string')) at(['rules'], 'rules must list the ids or names of the rules to correlate');
  if (typeof c.timespan !== 'string') at(['timespan'], 'timespan is required (a number and s, m, h or d, e.g. 1h)');
  const tm = /^(\d+)([smhd])$/.exec(c.timespan as string);
  if (!tm) at(['timespan'], `timespan '${String(c.timespan)}' is not a number followed by s, m, h or d`);
  const span = Number(tm![1]) * UNIT_MS[tm![2]!]!;
  if (span > MAX) at(['timespan'], `timespan ${humanDuration(span)} exceeds Sentinel's longest look-back of 14 days`);
  const groupBy = c['group-by'] === undefined ? [] : c['group-by'];
  if (!Array.isArray(groupBy) || groupBy.some((g) => typeof g !== 'string')) at(['group-by'], 'group-by must be a list of field names');
  const aliases = (c.aliases ?? {}) as Record<string, Record<string, string>>;
  if (typeof aliases !== 'object' || Array.isArray(aliases)) at(['aliases'], 'aliases must map each alias to {rule: field}');

  const branches: Branch[] = (refs as string[]).map((ref, i) => {
    const d = byRef(ref);
    if (!d) return at(['rules', i], `no rule with id or name '${ref}' among the imported files`);
    if (d.kind === 'correlation') return at(['rules', i], `'${ref}' is a correlation; chained correlations are not supported`);
    if (d.kind !== 'rule') return at(['rules', i], `'${ref}' is not a detection rule`);
    const { query, table } = baseQuery(d, opts, filtersFor(d));
    return { doc: d, name: d.name ?? d.id ?? ref, query, table };
  });

  // Group-by fields per branch (aliases name a different field per rule).
  const groups = (groupBy as string[]).map((g) => ({ sigma: g, col: ident(g) }));
  const fieldIn = (b: Branch, sigma: string, path: Path): string => {
    const alias = aliases[sigma];
    const field = alias ? (alias[b.doc.name ?? ''] ?? alias[b.doc.id ?? ''] ?? sigma) : sigma;
    try {
      return b.table.resolve(field).expr;
    } catch (e) {
      if (e instanceof MappingError) return at(path, `${e.message} (rule '${b.name}')`);
      throw e;
    }
  };
  const valueField = c.condition && typeof c.condition === 'object' ? (c.condition as Record<string, unknown>).field : undefined;
  const needsField = type === 'value_count' || type?.toString().startsWith('value_');
  if (needsField && typeof valueField !== 'string') at(['condition'], `${type} needs condition.field (the field whose values are counted or summed)`);

  const branchText = (b: Branch, extra: string[] = []): string => {
    const ext = [...groups.map((g, i) => `${g.col} = ${fieldIn(b, g.sigma, ['group-by', i])}`), ...extra];
    return `${b.query}\n| extend ${ext.length ? ext.join(', ') : 'SigmaRule = ' + stringLiteral(b.name)}`;
  };
  const useBin = span < MIN;
  const by = [...groups.map((g) => g.col), ...(useBin ? [`bin(TimeGenerated, ${timespanLiteral(span)})`] : [])];
  const byText = by.length ? ` by ${by.join(', ')}` : '';
  const unioned = (texts: string[]) => (texts.length === 1 ? texts[0]! : `union\n${texts.map((t) => `    (${t.replace(/\n/g, '\n    ')})`).join(',\n')}`);

  let query: string;
  const criteria = (col: string, defaults?: string): string => {
    const cond = (c.condition ?? {}) as Record<string, unknown>;
    const parts = Object.entries(cond)
      .filter(([k]) => k !== 'field' && k !== 'percentile')
      .map(([k, v]) => {
        if (!(k in CRITERIA)) at(['condition', k], `unknown condition '${k}'; use gt, gte, lt, lte, eq or neq`);
        if (typeof v !== 'number') at(['condition', k], `condition ${k} must be a number`);
        return `${col} ${CRITERIA[k]} ${v}`;
      });
    if (parts.length > 2) at(['condition'], 'at most two criteria (a range) may be combined');
    if (!parts.length) {
      if (!defaults) at(['condition'], `${type} needs a condition (e.g. gte: 10)`);
      return defaults!;
    }
    return parts.join(' and ');
  };

  if (type === 'event_count') {
    query = `${unioned(branches.map((b) => branchText(b)))}\n| summarize EventCount = count()${byText}\n| where ${criteria('EventCount')}`;
  } else if (type === 'value_count' || type === 'value_sum' || type === 'value_avg' || type === 'value_percentile') {
    const texts = branches.map((b) => branchText(b, [`SigmaValue = ${fieldIn(b, valueField as string, ['condition', 'field'])}`]));
    const agg =
      type === 'value_count'
        ? 'ValueCount = count_distinct(SigmaValue)'
        : type === 'value_sum'
          ? 'ValueSum = sum(toreal(SigmaValue))'
          : type === 'value_avg'
            ? 'ValueAvg = avg(toreal(SigmaValue))'
            : `ValuePercentile = percentile(toreal(SigmaValue), ${percentileOf(c, at)})`;
    const col = agg.split(' ')[0]!;
    query = `${unioned(texts)}\n| summarize ${agg}${byText}\n| where ${criteria(col)}`;
  } else if (type === 'temporal') {
    const texts = branches.map((b) => branchText(b, [`SigmaRule = ${stringLiteral(b.name)}`]));
    query = `${unioned(texts)}\n| summarize Rules = count_distinct(SigmaRule), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated)${byText}\n| where ${criteria('Rules', `Rules == ${branches.length}`)}`;
  } else {
    if (c.condition !== undefined && !(typeof c.condition === 'object' && Object.keys(c.condition as object).every((k) => k === 'field')))
      at(['condition'], 'temporal_ordered requires every rule in order; a count condition is not supported for it');
    // Without group-by every event may follow every other: join on a constant key.
    query = groups.length ? orderedQuery(branches, groups.map((g) => g.col), span, (b) => branchText(b)) : orderedQuery(branches, ['SigmaAll'], span, (b) => branchText(b, ['SigmaAll = 1']));
  }

  const rule = ruleHeader(doc, file);
  // Windows overlap (a run every quarter of the timespan) so a burst is not split between two runs;
  // a group can therefore alert in more than one run while its events stay in the window.
  const period = Math.max(span, MIN);
  let freq = Math.max(MIN, Math.floor(period / 4 / 60_000) * 60_000);
  if (period >= 2 * 86_400_000) freq = Math.max(freq, 3_600_000);
  rule.queryFrequency = shortDuration(freq);
  rule.queryPeriod = shortDuration(period);
  // Entities from group-by fields that the first rule's table maps to an entity column.
  const first = branches[0]!;
  const entityCols = new Set<string>();
  const entityMappings: unknown[] = [];
  for (const e of first.table.spec.entities) {
    const fm = e.fieldMappings
      .map((f) => {
        const g = groups.find((gr) => {
          const alias = aliases[gr.sigma];
          const field = alias ? (alias[first.doc.name ?? ''] ?? alias[first.doc.id ?? ''] ?? gr.sigma) : gr.sigma;
          try {
            const r = first.table.resolve(field);
            return r.plain && r.column === f.columnName;
          } catch {
            return false;
          }
        });
        return g ? { identifier: f.identifier, columnName: g.col } : null;
      })
      .filter((x): x is { identifier: string; columnName: string } => !!x);
    if (fm.length) (entityMappings.push({ entityType: e.entityType, fieldMappings: fm }), fm.forEach((f) => entityCols.add(f.columnName)));
  }
  rule.query = query + '\n';
  if (entityMappings.length) rule.entityMappings = entityMappings;
  (rule.source as Record<string, unknown>).correlation = { type, rules: refs, timespan: c.timespan, ...(groups.length ? { groupBy } : {}) };
  return { rule, used: branches.map((b) => b.doc) };
}

function percentileOf(c: Record<string, unknown>, at: (p: Path, m: string) => never): number {
  const p = (c.condition as Record<string, unknown>).percentile ?? c.percentile;
  if (typeof p !== 'number' || p < 0 || p > 100) return at(['condition'], 'value_percentile needs percentile: 0..100');
  return p;
}

function orderedQuery(branches: Branch[], keys: string[], span: number, branchText: (b: Branch) => string): string {
  // For every occurrence of the first rule, the earliest occurrence of each next rule after the
  // previous one and within the timespan of the first: a chain exists exactly when this finds one.
  const ts = timespanLiteral(span);
  const lets = branches.map((b, i) => `let step${i + 1} = ${branchText(b).replace(/\n/g, '\n    ')}\n    | project ${[...keys, 'T = TimeGenerated'].join(', ')};`);
  const on = keys.join(', ');
  const lines = [...lets, `step1`, `| project ${[...keys, 'T1 = T'].join(', ')}`];
  for (let i = 2; i <= branches.length; i++) {
    lines.push(`| join kind=inner (step${i}) on ${on}`);
    lines.push(`| where T > T${i - 1} and T <= T1 + ${ts}`);
    lines.push(`| summarize T${i} = min(T) by ${[...keys, ...Array.from({ length: i - 1 }, (_, j) => `T${j + 1}`)].join(', ')}`);
  }
  lines.push(`| summarize StartTime = min(T1), EndTime = min(T${branches.length}) by ${keys.join(', ')}`);
  return lines.join('\n');
}

function timespanLiteral(ms: number): string {
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % f === 0) return `${ms / f}${u}`;
  return `${ms}ms`;
}

function shortDuration(ms: number): string {
  return timespanLiteral(ms);
}
