import { parse } from 'yaml';
import { runQuery } from '../../src/engine/index.js';
import type { Table } from '../../src/engine/eval.js';
import { cell } from '../../src/engine/load.js';
import { normType, parseDatetime } from '../../src/engine/values.js';
import { builtinTables } from '../../src/kql/kusto.js';
import type { Placeholders } from '../../src/sigma/detection.js';
import { convertDocs, type SigmaImport } from '../../src/sigma/import.js';
import { DEFAULT_MAPPING, type Mapping } from '../../src/sigma/mapping.js';
import { parseSigmaText } from '../../src/sigma/model.js';

export const NOW = parseDatetime('2026-03-02T12:00:00Z')!;

export function convertText(text: string, opts: { placeholders?: Placeholders; mapping?: Mapping; file?: string } = {}): SigmaImport {
  const { docs, diagnostics } = parseSigmaText(opts.file ?? 'rule.yml', text);
  const r = convertDocs(docs, { mapping: opts.mapping ?? DEFAULT_MAPPING, placeholders: opts.placeholders ?? {} });
  return { ...r, diagnostics: [...diagnostics, ...r.diagnostics] };
}

/** The KQL of the only rule in a Sigma text; throws with the diagnostics when it does not convert. */
export function kqlOf(text: string, opts: { placeholders?: Placeholders; mapping?: Mapping } = {}): string {
  const r = convertText(text, opts);
  if (r.converted.length !== 1) throw new Error(JSON.stringify([...r.diagnostics, ...r.failed.flatMap((f) => f.diagnostics)]));
  return String(r.converted[0]!.rule.query);
}

/** The first error message for a Sigma text that must fail. */
export function errorOf(text: string, opts: { placeholders?: Placeholders } = {}): { message: string; line: number; col: number } {
  const r = convertText(text, opts);
  const d = [...r.diagnostics, ...r.failed.flatMap((f) => f.diagnostics)][0];
  if (!d) throw new Error('expected an error; converted: ' + r.converted.map((c) => c.rule.query).join('\n'));
  return { message: d.message, line: d.line, col: d.col };
}

/** Rows (objects, nested values allowed) as an engine table typed by the table's schema. */
export function tableOf(name: string, rows: Record<string, unknown>[]): Table {
  const schema = builtinTables()[name]!;
  const cols = schema.map((c) => ({ name: c.name, type: normType(c.type), data: [] as unknown[] }));
  for (const r of rows) {
    for (const c of cols) {
      const key = Object.keys(r).find((k) => k.toLowerCase() === c.name.toLowerCase());
      c.data.push(cell(key === undefined ? undefined : r[key], c.type));
    }
  }
  return { n: rows.length, cols } as Table;
}

/** Runs a query over rows of tables and returns the values of one column. */
export async function runIds(query: string, tables: Record<string, Record<string, unknown>[]>, idColumn = 'Id'): Promise<string[]> {
  const t = Object.fromEntries(Object.entries(tables).map(([n, rows]) => [n, tableOf(n, rows)]));
  const r = await runQuery(query, { now: NOW, tables: t });
  const col = r.table.cols.find((c) => c.name === idColumn);
  if (!col) throw new Error(`no ${idColumn} in the output (${r.table.cols.map((c) => c.name).join(', ')})`);
  return col.data.map(String).sort();
}

export function detectionOf(text: string): Record<string, unknown> {
  return (parse(text) as { detection: Record<string, unknown> }).detection;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
