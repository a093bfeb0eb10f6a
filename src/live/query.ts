// `query --workspace`: the query command run in a live workspace, its result in the engine's shape so
// the same table, JSON and CSV output applies.
import type { Table } from '../engine/eval.js';
import type { QueryResult } from '../engine/index.js';
import { cell } from '../engine/load.js';
import { normType } from '../engine/values.js';
import { UserError } from '../diagnostics.js';
import { loadConfig } from '../rules/config.js';
import { parseDuration, toIsoDuration } from '../rules/duration.js';
import { openRemote } from './remote.js';

export async function remoteQuery(workspace: string, text: string, timespan: string): Promise<QueryResult> {
  const ms = parseDuration(timespan);
  if (ms === null || ms <= 0) throw new UserError(`--timespan ${timespan}: expected a duration such as 1d, 12h or PT30M`);
  const { config, diagnostics } = loadConfig(process.cwd());
  if (diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid configuration', diagnostics);
  const remote = await openRemote(config, workspace);
  const r = await remote.queryLast(text, toIsoDuration(ms));
  if (r.limit) console.error(`warning: partial result (${r.limit}): ${r.message ?? ''}`);
  const columns = r.columns.map((c) => ({ name: c.name, type: normType(c.type) }));
  const table: Table = { n: r.rows.length, cols: columns.map((c, j) => ({ name: c.name, type: c.type, data: r.rows.map((row) => cell(row[j], c.type)) })) };
  return { columns, table };
}
