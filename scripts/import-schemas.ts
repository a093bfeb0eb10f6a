// Encodes Log Analytics table schemas (column names and types) into src/kql/tables.ts.
// Input: a folder of {"name", "columns":[{"name","type"}]} files, e.g. `Table | getschema` exports
// converted to that shape. Usage: tsx scripts/import-schemas.ts <dir>
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: tsx scripts/import-schemas.ts <folder of table schema JSON files>');
  process.exit(1);
}
const out: string[] = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const t = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { name?: string; columns?: { name: string; type: string }[] };
  if (!t.name || !Array.isArray(t.columns)) continue;
  const cols = t.columns.map((c) => `${c.name}:${c.type}`).join(' ');
  out.push(`  ${t.name}: '${cols}',`);
}
const text = `// Column names and types of the Log Analytics tables sessionguard knows ("Name:type" pairs).
// Facts about the service; regenerate with scripts/import-schemas.ts from \`Table | getschema\` output.
// Every table also has the hidden columns _ItemId, _TimeReceived and ingestion_time().
export const TABLE_COLUMNS: Record<string, string> = {
${out.join('\n')}
};
`;
writeFileSync(new URL('../src/kql/tables.ts', import.meta.url), text);
console.log(`wrote src/kql/tables.ts (${out.length} tables)`);
