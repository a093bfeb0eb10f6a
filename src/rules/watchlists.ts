// Local watchlists: one CSV per watchlist, named <alias>.csv; the first column is the SearchKey
// unless a `# searchKey: Column` comment line comes first.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Diagnostic } from '../diagnostics.js';
import { decodeText } from './source.js';

export interface Watchlist {
  alias: string;
  file: string;
  searchKey: string;
  columns: string[];
  rows: Record<string, string>[];
}

export function loadWatchlists(dirs: string[], cwd = process.cwd()): { watchlists: Watchlist[]; diagnostics: Diagnostic[] } {
  const watchlists: Watchlist[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) continue;
      names = readdirSync(dir).filter((n) => extname(n).toLowerCase() === '.csv').sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      const shown = relative(cwd, file) || file;
      const r = readWatchlist(file, shown);
      if ('error' in r) diagnostics.push(r.error);
      else if (watchlists.some((w) => w.alias === r.alias)) diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: `watchlist alias '${r.alias}' is defined twice` });
      else watchlists.push(r);
    }
  }
  return { watchlists, diagnostics };
}

function readWatchlist(file: string, shown: string): Watchlist | { error: Diagnostic } {
  const fail = (message: string, line = 1, col = 1) => ({ error: { file: shown, line, col, severity: 'error' as const, message } });
  const decoded = decodeText(readFileSync(file));
  if ('error' in decoded) return fail(decoded.error.replace('YAML', 'CSV'));
  let text = decoded.text;
  let searchKey: string | undefined;
  const directive = /^#\s*searchKey:\s*(.+?)\s*\r?\n/.exec(text);
  if (directive) {
    searchKey = directive[1];
    text = text.slice(directive[0].length).replace(/^/, '\n'); // keep line numbers
  }
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: false, bom: true, trim: true }) as string[][];
  } catch (e) {
    const err = e as { message: string; lines?: number };
    return fail(`invalid CSV: ${err.message.replace(/^Invalid Record Length: /, '')}`, err.lines ?? 1);
  }
  const header = records[0];
  if (!header || !header.length || header.some((h) => !h)) return fail('expected a header row naming every column');
  const alias = basename(file, extname(file));
  searchKey ??= header[0]!;
  if (!header.includes(searchKey)) return fail(`searchKey '${searchKey}' is not a column (columns: ${header.join(', ')})`);
  const rows = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
  return { alias, file: shown, searchKey, columns: header, rows };
}
