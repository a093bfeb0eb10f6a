// Result rendering: JSON ({columns, rows}), CSV and a plain text table.
import type { QueryResult } from './index.js';
import { formatDatetime, toJsonValue, toText, type KType, type Val } from './values.js';

/** Cell text for table and CSV output: datetimes as in the JSON output. */
function cellText(v: Val, t: KType): string {
  return t === 'datetime' && v !== null ? formatDatetime(v as bigint) : toText(v, t);
}

export function toJson(r: QueryResult): string {
  const rows: unknown[][] = [];
  for (let i = 0; i < r.table.n; i++) rows.push(r.table.cols.map((c) => toJsonValue(c.data[i] ?? null, c.type)));
  return JSON.stringify({ columns: r.columns.map((c) => ({ name: c.name, type: c.type })), rows });
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function toCsv(r: QueryResult): string {
  const lines = [r.columns.map((c) => csvCell(c.name)).join(',')];
  for (let i = 0; i < r.table.n; i++) lines.push(r.table.cols.map((c) => csvCell(cellText(c.data[i] ?? null, c.type))).join(','));
  return lines.join('\n') + '\n';
}

export function toTextTable(r: QueryResult, max = 200): string {
  const head = r.columns.map((c) => c.name);
  const rows: string[][] = [];
  for (let i = 0; i < Math.min(r.table.n, max); i++) rows.push(r.table.cols.map((c) => cellText(c.data[i] ?? null, c.type).replace(/\s+/g, ' ')));
  const w = head.map((h, j) => Math.min(60, Math.max(h.length, ...rows.map((x) => x[j]!.length))));
  const fmt = (cells: string[]) => cells.map((s, j) => (s.length > w[j]! ? s.slice(0, w[j]! - 1) + '…' : s.padEnd(w[j]!))).join('  ').trimEnd();
  const out = [fmt(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(fmt)];
  out.push(`(${r.table.n} row${r.table.n === 1 ? '' : 's'}${r.table.n > max ? `, first ${max} shown` : ''})`);
  return out.join('\n') + '\n';
}
