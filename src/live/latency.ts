// latency: how late each table's rows reach the workspace (ingestion_time() - TimeGenerated, and
// - CreatedDateTime for sign-ins), and writing the P99 into the workspace's delay profile, which
// the compiler's ingestion-delay window and the replay use.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument } from 'yaml';
import { DEFAULT_DELAYS } from '../compile/ingestion.js';
import { UserError } from '../diagnostics.js';
import type { Remote } from './remote.js';

export interface Lag {
  /** seconds */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface TableLatency {
  table: string;
  rows: number;
  /** ingestion_time() - TimeGenerated */
  timeGenerated: Lag;
  /** ingestion_time() - CreatedDateTime (sign-in tables) */
  created?: Lag;
}

const SIGNIN = new Set(['SigninLogs', 'AADNonInteractiveUserSignInLogs', 'AADServicePrincipalSignInLogs', 'AADManagedIdentitySignInLogs']);

export function latencyQuery(table: string): string {
  const lag = (col: string, p: string) =>
    `${p}n = countif(isnotnull(${col})), ${p}p50 = percentile(${p}lag, 50), ${p}p95 = percentile(${p}lag, 95), ${p}p99 = percentile(${p}lag, 99), ${p}max = max(${p}lag)`;
  const created = SIGNIN.has(table);
  return [
    table,
    `| extend tglag = (ingestion_time() - TimeGenerated) / 1s${created ? ', crlag = (ingestion_time() - CreatedDateTime) / 1s' : ''}`,
    `| summarize ${lag('TimeGenerated', 'tg')}${created ? ', ' + lag('CreatedDateTime', 'cr') : ''}`,
  ].join('\n');
}

export async function measureLatency(remote: Remote, tables: string[], from: number, to: number, warn: (m: string) => void): Promise<TableLatency[]> {
  const out: TableLatency[] = [];
  for (const table of tables) {
    let r;
    try {
      r = await remote.query(latencyQuery(table), from, to);
    } catch (e) {
      // a table the workspace does not have
      warn(`${table}: skipped (${(e as Error).message})`);
      continue;
    }
    if (r.limit) {
      warn(`${table}: skipped (${r.limit}: ${r.message ?? ''}); try fewer --days`);
      continue;
    }
    const row = r.rows[0];
    if (!row) continue;
    const get = (n: string) => {
      const j = r.columns.findIndex((c) => c.name === n);
      const v = j < 0 ? null : row[j];
      return typeof v === 'number' ? v : v === null || v === undefined || v === '' ? null : Number(v);
    };
    const lag = (p: string): Lag | null => {
      if (!get(`${p}n`)) return null;
      return { p50: get(`${p}p50`) ?? 0, p95: get(`${p}p95`) ?? 0, p99: get(`${p}p99`) ?? 0, max: get(`${p}max`) ?? 0 };
    };
    const tg = lag('tg');
    if (!tg) continue;
    const cr = SIGNIN.has(table) ? lag('cr') : null;
    out.push({ table, rows: get('tgn') ?? 0, timeGenerated: tg, ...(cr ? { created: cr } : {}) });
  }
  return out;
}

export const DEFAULT_TABLES = Object.keys(DEFAULT_DELAYS);

/** The delay written for a table: its P99, rounded up to whole minutes (at least 1m). */
export function delayFor(l: TableLatency): string {
  return `${Math.max(1, Math.ceil(l.timeGenerated.p99 / 60))}m`;
}

/** Writes each table's delay into the workspace's `ingestionDelay`, keeping the file's comments and layout. */
export function writeDelays(configFile: string, workspace: string, lat: TableLatency[]): void {
  const text = readFileSync(configFile, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length) throw new UserError(`${configFile}: cannot edit it: ${doc.errors[0]!.message}`);
  const list = doc.get('workspaces');
  if (!isSeq(list)) throw new UserError(`${configFile}: no workspaces list; --write needs a configured workspace`);
  const index = list.items.findIndex((w) => isMap(w) && w.get('name') === workspace);
  if (index < 0) throw new UserError(`${configFile}: no workspace named '${workspace}'; --write needs a configured workspace (pass its name, not its GUID)`);
  for (const l of lat) doc.setIn(['workspaces', index, 'ingestionDelay', l.table], delayFor(l));
  writeFileSync(configFile, doc.toString());
}
