// Queries against a live Log Analytics workspace through the real LogsQueryClient: the workspace
// id from --workspace, results as plain rows, and the service limits handled by splitting the time
// range and asking again.
import type { LogsQueryClient, LogsTable, QueryTimeInterval } from '@azure/monitor-query-logs';
import { azureContext, logsClient, resourcesClient, type AzureContext } from '../azure/context.js';
import type { Env } from '../azure/endpoints.js';
import { resolveWorkspaces, type WorkspaceTarget } from '../azure/workspace.js';
import { UserError } from '../diagnostics.js';
import type { Config } from '../rules/config.js';

export interface Rows {
  columns: { name: string; type: string }[];
  /** Cells as JSON values: datetimes ISO text, dynamic parsed. */
  rows: unknown[][];
}

/** Why a query came back incomplete, when it did. */
export type Limit = 'too-large' | 'timeout' | null;

export interface RemoteResult extends Rows {
  limit: Limit;
  /** The service's message for a partial or failed result. */
  message?: string;
}

export interface Remote {
  target: WorkspaceTarget;
  workspaceId: string;
  /** Runs one query over [from, to] (ms); an over-limit answer comes back with `limit` set. */
  query(kql: string, from: number, to: number): Promise<RemoteResult>;
  /** Runs one query over the last `isoDuration` by the service's clock. */
  queryLast(kql: string, isoDuration: string): Promise<RemoteResult>;
  /** How many requests were sent (for progress and reports). */
  sent: number;
}

const ARM_API = '2022-10-01';

/** The workspace id to query: the GUID given, the configured one, or the ARM workspace's customerId. */
async function workspaceIdOf(ctx: AzureContext, t: WorkspaceTarget): Promise<string> {
  if (t.workspaceId) return t.workspaceId;
  if (!t.armId || !t.subscriptionId) throw new UserError(`workspace '${t.name}' has neither workspaceId nor subscriptionId, resourceGroup and workspaceName; add one of them to sessionguard.yaml`);
  let res: { properties?: Record<string, unknown> };
  try {
    // the client puts its own '/' ahead of the id
    res = await resourcesClient(ctx, t.subscriptionId).resources.getById(t.armId.replace(/^\/+/, ''), ARM_API);
  } catch (e) {
    throw new UserError(`workspace '${t.name}': cannot read ${t.armId} (${describe(e)}); set its workspaceId in sessionguard.yaml or pass the GUID`);
  }
  const id = res.properties?.customerId;
  if (typeof id !== 'string' || !id) throw new UserError(`workspace '${t.name}': ${t.armId} has no properties.customerId`);
  return id;
}

export function describe(e: unknown): string {
  const x = e as { statusCode?: number; code?: string; message?: string };
  return [x.statusCode, x.code, x.message?.split('\n')[0]].filter((v) => v !== undefined && v !== '').join(' ');
}

function toRows(t: LogsTable | undefined): Rows {
  if (!t) return { columns: [], rows: [] };
  const columns = t.columnDescriptors.map((c) => ({ name: c.name ?? '', type: c.type ?? 'string' }));
  const rows = t.rows.map((r) => r.map((v) => (v instanceof Date ? v.toISOString() : v)));
  return { columns, rows };
}

function limitOf(code: string, message: string): Limit {
  const text = `${code} ${message}`;
  if (/E_QUERY_RESULT_SET_TOO_LARGE|exceeded the internal (record count|data size) limit|ResponsePayloadTooLarge/i.test(text)) return 'too-large';
  if (/GatewayTimeout|timeout|E_RUNAWAY_QUERY|exceeded the allowed/i.test(text)) return 'timeout';
  return null;
}

function errorText(err: { code?: string; message?: string; details?: unknown[]; innererror?: unknown }): string {
  return JSON.stringify(err);
}

export async function openRemote(config: Config, arg: string, env: Env = process.env): Promise<Remote> {
  const [target] = resolveWorkspaces(config, arg, { allowGuid: true });
  const ctx = azureContext({ cloud: target!.config.cloud, env });
  const workspaceId = await workspaceIdOf(ctx, target!);
  const client: LogsQueryClient = logsClient(ctx);
  const remote: Remote = {
    target: target!,
    workspaceId,
    sent: 0,
    query: (kql, from, to) => send(kql, { startTime: new Date(from), endTime: new Date(to) }),
    queryLast: (kql, duration) => send(kql, { duration }),
  };
  // A partial result and a timeout come back as data (the caller splits); everything else is a UserError.
  async function send(kql: string, timespan: QueryTimeInterval): Promise<RemoteResult> {
    remote.sent++;
    try {
      const r = await client.queryWorkspace(workspaceId, kql, timespan, { serverTimeoutInSeconds: 600 });
      if (r.status === 'PartialFailure') {
        const text = errorText(r.partialError as never);
        return { ...toRows(r.partialTables[0]), limit: limitOf(r.partialError.code ?? '', text) ?? 'too-large', message: r.partialError.message };
      }
      return { ...toRows(r.tables[0]), limit: null };
    } catch (e) {
      const x = e as { statusCode?: number; code?: string; message?: string };
      if (x.statusCode === 504 || x.statusCode === 408 || limitOf(x.code ?? '', x.message ?? '') === 'timeout') return { columns: [], rows: [], limit: 'timeout', message: describe(e) };
      if (x.statusCode === 400) throw new UserError(`the workspace refused the query: ${describe(e)}`);
      if (x.statusCode === 401 || x.statusCode === 403) throw new UserError(`not allowed to query workspace ${workspaceId}: ${describe(e)} (the identity needs Log Analytics Reader or Microsoft Sentinel Reader)`);
      throw new UserError(`query to workspace ${workspaceId} failed: ${describe(e)}`);
    }
  }
  return remote;
}

/**
 * Rows of a query that is a pure time filter, over [from, to): chunks are half-open and disjoint
 * (the query gets `{range}` replaced by the chunk's bounds), and a chunk over the limits is split in
 * two until it fits or is `minMs` long.
 */
export async function chunkedRows(
  remote: Remote,
  kqlFor: (from: number, to: number) => string,
  from: number,
  to: number,
  opts: { minMs?: number; onChunk?: (from: number, to: number, rows: number) => void } = {},
): Promise<Rows & { splits: number }> {
  const min = opts.minMs ?? 60_000;
  const out: Rows & { splits: number } = { columns: [], rows: [], splits: 0 };
  const stack: [number, number][] = [[from, to]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    // the service's range is closed; the query's own filter makes the chunk half-open
    const r = await remote.query(kqlFor(a, b), a, b);
    if (r.limit) {
      if (b - a <= min) throw new UserError(`a ${Math.round((b - a) / 1000)}s chunk from ${new Date(a).toISOString()} is still over the service limits (${r.limit}: ${r.message ?? ''}); narrow it with --where`);
      const mid = a + Math.floor((b - a) / 2);
      out.splits++;
      stack.push([mid, b], [a, mid]);
      continue;
    }
    if (!out.columns.length) out.columns = r.columns;
    const map = r.columns.map((c) => out.columns.findIndex((x) => x.name === c.name));
    for (const row of r.rows) {
      if (map.every((j, i) => j === i) && r.columns.length === out.columns.length) out.rows.push(row);
      else {
        const full = new Array(out.columns.length).fill(null);
        map.forEach((j, i) => {
          if (j >= 0) full[j] = row[i];
        });
        out.rows.push(full);
      }
    }
    opts.onChunk?.(a, b, r.rows.length);
  }
  return out;
}
