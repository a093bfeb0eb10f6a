// record: pull a table's rows from a live workspace in time chunks under the service limits, with
// each row's ingestion time, into NDJSON the runner reads; optionally anonymized and then checked.
import { createReadStream, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { UserError } from '../diagnostics.js';
import { Anonymizer, loadSalt } from './anonymize.js';
import { kqlDatetime } from './kql.js';
import { chunkedRows, type Remote } from './remote.js';

export interface RecordOptions {
  remote: Remote;
  table: string;
  from: number;
  to: number;
  where?: string;
  out: string;
  anonymize?: { saltFile: string };
  onChunk?: (from: number, to: number, rows: number) => void;
}

export interface RecordResult {
  rows: number;
  queries: number;
  splits: number;
  /** Distinct values replaced, when anonymized. */
  mapped?: number;
}

const TABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The query for one chunk: half-open on TimeGenerated, ingestion time kept as _TimeReceived. */
export function recordQuery(table: string, from: number, to: number, where?: string): string {
  return [`${table}`, `| where TimeGenerated >= ${kqlDatetime(from)} and TimeGenerated < ${kqlDatetime(to)}`, ...(where ? [`| where ${where}`] : []), '| extend _TimeReceived = ingestion_time()'].join('\n');
}

function rowObject(columns: { name: string }[], row: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  columns.forEach((c, j) => {
    const v = row[j];
    if (v !== null && v !== undefined && v !== '') o[c.name] = v;
  });
  return o;
}

export async function record(o: RecordOptions): Promise<RecordResult> {
  if (!TABLE.test(o.table)) throw new UserError(`--table ${JSON.stringify(o.table)}: expected a table name such as SigninLogs`);
  if (o.anonymize && resolve(o.anonymize.saltFile) === resolve(o.out)) throw new UserError('--salt-file must not be the output file');
  const salt = o.anonymize ? loadSalt(o.anonymize.saltFile) : null;
  const before = o.remote.sent;
  const got = await chunkedRows(o.remote, (a, b) => recordQuery(o.table, a, b, o.where), o.from, o.to, { onChunk: o.onChunk });
  const tgAt = got.columns.findIndex((c) => c.name === 'TimeGenerated');
  const rows = got.rows.map((r) => rowObject(got.columns, r));
  if (tgAt >= 0) rows.sort((a, b) => String(a.TimeGenerated).localeCompare(String(b.TimeGenerated)));
  let lines: string[];
  let anon: Anonymizer | null = null;
  if (salt) {
    anon = new Anonymizer(salt);
    for (const r of rows) anon.collect(r);
    lines = rows.map((r) => JSON.stringify(anon!.row(r)));
  } else lines = rows.map((r) => JSON.stringify(r));
  // Written whole to a temporary file and renamed: never a partial output.
  if (!existsSync(dirname(resolve(o.out)))) throw new UserError(`--out ${o.out}: no such folder ${dirname(o.out)}`);
  const tmp = `${o.out}.partial`;
  writeFileSync(tmp, lines.length ? lines.join('\n') + '\n' : '');
  if (anon) {
    const leaks = await verify(tmp, anon);
    if (leaks.length) {
      rmSync(tmp, { force: true });
      // name how many, never the values themselves
      throw new UserError(`anonymization check failed: ${leaks.length} original value(s) still present in the output; nothing was written`);
    }
  }
  renameSync(tmp, o.out);
  return { rows: rows.length, queries: o.remote.sent - before, splits: got.splits, ...(anon ? { mapped: anon.map.size } : {}) };
}

/** Re-reads the written file and lists the original values still in it. */
export async function verify(file: string, anon: Anonymizer): Promise<string[]> {
  const leaks = new Set<string>();
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    for (const l of anon.leaks(JSON.parse(line) as Record<string, unknown>)) leaks.add(l);
  }
  return [...leaks];
}
