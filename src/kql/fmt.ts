// Formats the KQL of a rule file in place: only the query's lines change; comments, key order and
// every other byte of the YAML stay as they were.
import { isMap, isPair, isScalar, Scalar } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { parseYaml, positionInScalar } from '../rules/source.js';
import { format, syntaxErrors } from './kusto.js';

export interface FmtResult {
  text: string | null;
  changed: boolean;
  diagnostics: Diagnostic[];
}

export function formatRuleFile(path: string, shown: string, text: string): FmtResult {
  const read = parseYaml(shown, text);
  if (!read.ok) return { text: null, changed: false, diagnostics: read.diagnostics };
  const src = read.source;
  const root = src.doc.contents;
  if (!isMap(root)) return { text, changed: false, diagnostics: [] };
  const pair = root.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === 'query');
  const node = pair?.value;
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return { text, changed: false, diagnostics: [] };
  const query = node.value;
  const errors = syntaxErrors(query);
  if (errors.length) {
    return {
      text: null,
      changed: false,
      diagnostics: errors.map((e) => {
        const p = positionInScalar(src, ['query'], e.start);
        return { file: shown, line: p.line, col: p.col, severity: 'error' as const, message: `${e.message} (${e.code}); not formatted` };
      }),
    };
  }
  const formatted = format(query);
  if (formatted === query.replace(/\s+$/, '')) return { text, changed: false, diagnostics: [] };

  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split('\n');
  const keyPos = src.lines.linePos((pair!.key as Scalar).range![0]);
  const keyIndent = keyPos.col - 1;
  const valuePos = src.lines.linePos(node.range[0]);
  const headerLine = valuePos.line - 1; // 0-based
  let indent = keyIndent + 2;
  let first = headerLine + 1;
  let last = headerLine; // last content line (0-based, inclusive)
  if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
    for (let l = first; l < lines.length; l++) {
      const s = lines[l]!.replace(/\r$/, '');
      if (s.trim() === '') continue;
      const ind = s.length - s.trimStart().length;
      if (last === headerLine) indent = ind;
      if (ind < indent) break;
      last = l;
    }
  }
  const body = formatted.split('\n').map((l) => (l ? ' '.repeat(indent) + l : ''));
  if (node.type === Scalar.BLOCK_LITERAL) {
    const out = [...lines.slice(0, first), ...body.map((l) => l + (eol === '\r\n' ? '\r' : '')), ...lines.slice(last + 1)];
    return { text: out.join('\n'), changed: true, diagnostics: [] };
  }
  // Folded, plain or quoted: replace the value with a literal block.
  const start = node.range[0];
  const end = node.range[1];
  const block = `|${eol}${body.join(eol)}${eol}`;
  let after = text.slice(end);
  after = after.replace(/^[ \t]*\r?\n/, '');
  return { text: text.slice(0, start) + block + after, changed: true, diagnostics: [] };
}
