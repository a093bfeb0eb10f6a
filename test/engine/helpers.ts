import { runQuery, type QueryOptions } from '../../src/engine/index.js';
import { toJson } from '../../src/engine/output.js';
import { parseDatetime } from '../../src/engine/values.js';

export const NOW = parseDatetime('2024-01-10T12:00:00Z')!;

/** Runs a query and returns its JSON output (columns and rows). */
export async function q(text: string, opts: QueryOptions = {}): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
  const r = await runQuery(text, { now: NOW, tables: {}, ...opts });
  return JSON.parse(toJson(r)) as { columns: { name: string; type: string }[]; rows: unknown[][] };
}

/** Rows only, sorted by their JSON text when the order is not defined by the query. */
export async function rows(text: string, sorted = false, opts: QueryOptions = {}): Promise<unknown[][]> {
  const r = (await q(text, opts)).rows;
  return sorted ? [...r].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : r;
}

export async function value(text: string): Promise<unknown> {
  return (await q(text)).rows[0]?.[0];
}
