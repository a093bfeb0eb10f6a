// A watchlist as _GetWatchlist returns it: system columns, SearchKey, then its own columns. The rules
// stage reads the CSV files; the engine only turns their rows into a table.
import type { Column, Table } from './eval.js';

export interface WatchlistRows {
  alias: string;
  searchKey: string;
  columns: string[];
  rows: Record<string, string>[];
}

export function watchlistTable(w: WatchlistRows): Table {
  const rows = w.rows;
  const cols: Column[] = [
    { name: '_DTItemId', type: 'string', data: rows.map((_, i) => String(i + 1)) },
    { name: 'LastUpdatedTimeUTC', type: 'datetime', data: rows.map(() => null) },
    { name: 'SearchKey', type: 'string', data: rows.map((r) => r[w.searchKey] ?? '') },
    ...w.columns.filter((n) => !['SearchKey', '_DTItemId', 'LastUpdatedTimeUTC'].includes(n)).map((n) => ({ name: n, type: 'string' as const, data: rows.map((r) => r[n] ?? '') })),
  ];
  return { cols, n: rows.length };
}
