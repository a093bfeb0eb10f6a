// Compares synthesized rows with the public recorded samples in ../shared/samples (development
// material, never shipped): column names, datetime precision, GUID shapes, JSON shapes of the
// structured columns. Usage: tsx scripts/check-synth.ts [--samples DIR] [--logs DIR]
// Without --logs it synthesizes a small tenant into a temporary directory first.
import { parse } from 'csv-parse/sync';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runSynth } from '../src/cli/synth.js';
import { TABLE_COLUMNS } from '../src/kql/tables.js';

export type Row = Record<string, unknown>;

export interface Finding {
  table: string;
  sample: string;
  kind: 'missing-column' | 'format' | 'shape' | 'encoding';
  column: string;
  detail: string;
}

export const DEFAULT_SAMPLES = resolve(process.env.SG_SAMPLES_DIR ?? new URL('../../shared/samples', import.meta.url).pathname);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readCsv(file: string): Row[] {
  const recs = parse(readFileSync(file), { bom: true, columns: (h: string[]) => h.map((c) => c.replace(/ \[UTC\]$/, '')), relax_column_count: true }) as Record<string, string>[];
  // Portal exports of custom-log copies split dynamic columns into <Name>_dynamic / <Name>_string.
  return recs.map((r) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(r)) {
      const m = /^(.*)_(dynamic|string)$/.exec(k);
      const name = m && !k.endsWith('_V2') ? m[1]! : k;
      if (v !== '' || !(name in out)) out[name] = v;
    }
    return out;
  });
}

function readJsonLines(file: string): Row[] {
  return readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);
}

/** Raw diagnostic-setting records: the `properties` bag, camelCase mapped to the table's column names. */
function readRawProperties(file: string, table: string): Row[] {
  const cols = new Map(TABLE_COLUMNS[table]!.split(' ').map((p) => p.split(':')[0]!).map((c) => [c.toLowerCase(), c]));
  return readJsonLines(file).map((r) => {
    const out: Row = {};
    for (const [k, v] of Object.entries((r.properties ?? {}) as Row)) out[cols.get(k.toLowerCase()) ?? k] = v;
    return out;
  });
}

function readLogs(dir: string, table: string): Row[] {
  return readJsonLines(join(dir, `${table}.ndjson`));
}

function present(v: unknown): boolean {
  return v !== null && v !== undefined && v !== '';
}

function dtKind(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (/^\d{1,2}\/\d{1,2}\/\d{4}, /.test(v)) return 'US-locale text';
  const m = /^\d{4}-\d{2}-\d{2}T\d{1,2}:\d{2}:\d{2}(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(v);
  if (!m) return undefined;
  return m[1] ? `${m[1].length} fractional digits` : 'whole seconds';
}

function asJson(v: unknown): { value: unknown; text: boolean } | undefined {
  if (v !== null && typeof v === 'object') return { value: v, text: false };
  if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
    try {
      return { value: JSON.parse(v), text: true };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function keysOf(v: unknown, prefix = ''): string[] {
  const o = Array.isArray(v) ? v[0] : v;
  if (o === null || typeof o !== 'object') return [];
  const out: string[] = [];
  for (const [k, x] of Object.entries(o as Row)) {
    out.push(prefix + k);
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) out.push(...keysOf(x, `${prefix}${k}.`));
  }
  return out;
}

interface Pair {
  table: string;
  sample: string; // path under samples/
  load: (file: string) => Row[];
  sampleFilter?: (r: Row) => boolean;
  oursFilter?: (r: Row) => boolean;
}

const PAIRS: Pair[] = [
  { table: 'SigninLogs', sample: 'azure-sentinel-training-lab/sign-in_adelete.csv', load: readCsv },
  { table: 'AuditLogs', sample: 'otrf-security-datasets/GoldenSAMLADFSMailAccess/AADAuditEvents.json', load: readJsonLines },
  { table: 'OfficeActivity', sample: 'otrf-security-datasets/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json', load: readJsonLines, oursFilter: (r) => r.Operation === 'MailItemsAccessed' },
  { table: 'OfficeActivity', sample: 'azure-sentinel-training-lab/office_activity.csv', load: readCsv, sampleFilter: (r) => r.Operation === 'FileAccessed' || r.Operation === 'FileDownloaded', oursFilter: (r) => r.Operation === 'FileAccessed' || r.Operation === 'FileDownloaded' },
  { table: 'OfficeActivity', sample: 'azure-sentinel-training-lab/office_activity_inbox_rule.csv', load: readCsv, oursFilter: (r) => r.Operation === 'New-InboxRule' },
  { table: 'AADUserRiskEvents', sample: 'elastic-integrations/azure/identity_protection/test-userriskevents-raw.log', load: (f) => readRawProperties(f, 'AADUserRiskEvents') },
  { table: 'MicrosoftGraphActivityLogs', sample: 'elastic-integrations/azure/graphactivitylogs/test-activitylogs-raw.log', load: (f) => readRawProperties(f, 'MicrosoftGraphActivityLogs') },
  { table: 'CloudAppEvents', sample: 'otrf-security-datasets/GoldenSAMLADFSMailAccess/Microsoft365DefenderEvents.json', load: readJsonLines, sampleFilter: (r) => r.ActionType === 'MailItemsAccessed', oursFilter: (r) => r.ActionType === 'MailItemsAccessed' },
];

export function compare(samplesDir: string, logsDir: string): Finding[] {
  const findings: Finding[] = [];
  for (const p of PAIRS) {
    const file = join(samplesDir, p.sample);
    if (!existsSync(file)) continue;
    const schema = new Set(TABLE_COLUMNS[p.table]!.split(' ').map((c) => c.split(':')[0]!));
    const sample = p.load(file).filter(p.sampleFilter ?? (() => true));
    const ours = readLogs(logsDir, p.table).filter(p.oursFilter ?? (() => true));
    if (!sample.length || !ours.length) continue;
    const add = (kind: Finding['kind'], column: string, detail: string) => findings.push({ table: p.table, sample: p.sample, kind, column, detail });
    const sampleCols = [...new Set(sample.flatMap((r) => Object.keys(r).filter((k) => present(r[k]))))].filter((c) => schema.has(c)).sort();
    for (const c of sampleCols) {
      const ourVals = ours.map((r) => r[c]).filter(present);
      if (!ourVals.length) {
        add('missing-column', c, `sample has values, e.g. ${JSON.stringify(sample.find((r) => present(r[c]))![c]).slice(0, 80)}`);
        continue;
      }
      const sv = sample.map((r) => r[c]).find(present);
      const ov = ourVals[0];
      const sd = dtKind(sv);
      const od = dtKind(ov);
      if (sd && od && sd !== od) add('format', c, `sample datetime ${sd}, ours ${od}`);
      if (typeof sv === 'string' && GUID.test(sv) && !(typeof ov === 'string' && GUID.test(ov))) add('format', c, `sample is a GUID (${sv}), ours ${JSON.stringify(ov)}`);
      if (typeof sv !== 'string' && typeof sv !== typeof ov) add('format', c, `sample JSON type ${typeof sv}, ours ${typeof ov}`);
      const sj = asJson(sv);
      const oj = asJson(ov);
      if (sj && oj) {
        if (sj.text !== oj.text && p.sample.endsWith('.json')) add('encoding', c, `sample stores it as ${sj.text ? 'JSON text' : 'an object'}, ours as ${oj.text ? 'JSON text' : 'an object'}`);
        const sk = new Set(sample.map((r) => asJson(r[c])).filter((x) => x).flatMap((x) => keysOf(x!.value)));
        const ok = new Set(ours.map((r) => asJson(r[c])).filter((x) => x).flatMap((x) => keysOf(x!.value)));
        const miss = [...sk].filter((k) => !ok.has(k));
        const extra = [...ok].filter((k) => !sk.has(k));
        if (miss.length) add('shape', c, `keys in the sample, not ours: ${miss.join(', ')}`);
        if (extra.length) add('shape', c, `keys in ours, not the sample: ${extra.join(', ')}`);
      } else if (sj && !oj) add('shape', c, 'sample value is JSON, ours is not');
    }
  }
  return findings;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (n: string) => {
    const i = args.indexOf(n);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const samples = resolve(opt('--samples') ?? DEFAULT_SAMPLES);
  if (!existsSync(samples)) {
    console.log(`samples not found at ${samples}; nothing to check`);
    return;
  }
  let logs = opt('--logs');
  let tmp: string | undefined;
  if (!logs) {
    tmp = mkdtempSync(join(tmpdir(), 'sg-check-synth-'));
    logs = join(tmp, 'out');
    await runSynth({ users: '40', days: '5', seed: 'check', out: logs }, () => {});
  }
  try {
    const f = compare(samples, logs);
    let last = '';
    for (const x of f) {
      const head = `${x.table} vs ${x.sample}`;
      if (head !== last) console.log(`\n${head}`);
      last = head;
      console.log(`  ${x.kind.padEnd(14)} ${x.column}: ${x.detail}`);
    }
    console.log(`\n${f.length} differences`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
