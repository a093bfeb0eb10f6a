// Merges Log Analytics table schemas (column names and types) into src/kql/tables.ts.
// Input: a folder of {"name", "columns":[{"name","type"}]} files, e.g. `Table | getschema` exports or
// the column tables of the Azure Monitor table reference, converted to that shape. The tables read
// replace their old definitions; every other table of tables.ts is kept as it is.
// Usage: tsx scripts/import-schemas.ts <dir> [--out src/kql/tables.ts]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Kusto's scalar type names, and the other spellings schema sources use for them. */
const TYPES: Record<string, string> = {
  string: 'string',
  int: 'int',
  int32: 'int',
  long: 'long',
  int64: 'long',
  real: 'real',
  double: 'real',
  bool: 'bool',
  boolean: 'bool',
  datetime: 'datetime',
  dynamic: 'dynamic',
  object: 'dynamic',
  guid: 'guid',
  timespan: 'timespan',
};

export const HEADER = `// Column names and types of the Log Analytics tables sessionguard knows ("Name:type" pairs), as
// \`Table | getschema\` reports them. Facts about the service, taken from Microsoft's Azure Monitor table
// reference (learn.microsoft.com/azure/azure-monitor/reference/tables/<table>) and \`getschema\` output;
// not generated from one source: scripts/import-schemas.ts merges a folder of schema files in (it
// replaces the tables it reads and keeps the others).
// Every table also has the hidden columns _ItemId, _TimeReceived and ingestion_time().
`;

/** "Name:type ..." per table, from the text of a tables.ts this script wrote. */
export function parseTablesModule(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^ {2}([A-Za-z_][A-Za-z0-9_]*): '([^']*)',$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** One schema file as "Name:type" pairs; throws with the file and the reason when it is not usable. */
export function schemaSpec(file: string, text: string): { name: string; spec: string } {
  let t: { name?: unknown; columns?: unknown };
  try {
    t = JSON.parse(text) as typeof t;
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  if (typeof t.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.name)) throw new Error(`${file}: "name" must be a table name`);
  if (!Array.isArray(t.columns) || !t.columns.length) throw new Error(`${file}: "columns" must be a non-empty list`);
  const seen = new Set<string>();
  const pairs = (t.columns as { name?: unknown; type?: unknown }[]).map((c, i) => {
    if (typeof c?.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(c.name)) throw new Error(`${file}: column ${i + 1}: "name" must be a column name`);
    const type = TYPES[String(c.type).toLowerCase()];
    if (!type) throw new Error(`${file}: column ${c.name}: unknown type '${String(c.type)}' (expected one of string, int, long, real, bool, datetime, dynamic, guid, timespan)`);
    if (seen.has(c.name)) throw new Error(`${file}: column ${c.name} listed twice`);
    seen.add(c.name);
    return `${c.name}:${type}`;
  });
  if (!seen.has('TimeGenerated')) throw new Error(`${file}: no TimeGenerated column (every Log Analytics table has one)`);
  return { name: t.name, spec: pairs.join(' ') };
}

export function renderTablesModule(tables: Map<string, string>): string {
  const names = [...tables.keys()].sort();
  return `${HEADER}export const TABLE_COLUMNS: Record<string, string> = {\n${names.map((n) => `  ${n}: '${tables.get(n)}',`).join('\n')}\n};\n`;
}

export interface MergeReport {
  added: string[];
  updated: string[];
  unchanged: string[];
  kept: string[];
}

/** Reads every .json file of `dir` and merges it into the tables.ts at `out`. */
export function importSchemas(dir: string, out: string): MergeReport {
  const tables = parseTablesModule(readFileSync(out, 'utf8'));
  const report: MergeReport = { added: [], updated: [], unchanged: [], kept: [] };
  const read = new Set<string>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const { name, spec } = schemaSpec(join(dir, f), readFileSync(join(dir, f), 'utf8'));
    if (read.has(name)) throw new Error(`${join(dir, f)}: table ${name} is defined by two files`);
    read.add(name);
    const old = tables.get(name);
    (old === undefined ? report.added : old === spec ? report.unchanged : report.updated).push(name);
    tables.set(name, spec);
  }
  report.kept = [...tables.keys()].filter((n) => !read.has(n)).sort();
  writeFileSync(out, renderTablesModule(tables));
  return report;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const o = args.indexOf('--out');
  const out = o >= 0 ? args[o + 1] : fileURLToPath(new URL('../src/kql/tables.ts', import.meta.url));
  const dir = args.filter((_, i) => o < 0 || (i !== o && i !== o + 1))[0];
  if (!dir || !out) {
    console.error('usage: tsx scripts/import-schemas.ts <folder of table schema JSON files> [--out src/kql/tables.ts]');
    process.exit(1);
  }
  try {
    const r = importSchemas(dir, out);
    const list = (xs: string[]) => (xs.length ? xs.join(', ') : '-');
    console.log(`wrote ${out}: added ${list(r.added)}; updated ${list(r.updated)}; unchanged ${list(r.unchanged)}; kept ${r.kept.length} others`);
  } catch (e) {
    console.error(`import-schemas: ${(e as Error).message}`);
    process.exit(1);
  }
}
