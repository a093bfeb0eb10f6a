// Reads a YAML file and keeps what is needed to point at any value by line and column.
import { readFileSync, statSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';

export const MAX_FILE_BYTES = 1024 * 1024;

export type Path = (string | number)[];

export interface Position {
  line: number;
  col: number;
}

export interface YamlSource {
  file: string;
  text: string;
  doc: Document;
  lines: LineCounter;
  data: unknown;
}

export type ReadResult = { ok: true; source: YamlSource; warnings: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

function diag(file: string, line: number, col: number, message: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
  return { file, line, col, message, severity };
}

/** Decodes bytes as UTF-8 text, or says why they are not a text file. */
export function decodeText(bytes: Uint8Array): { text: string } | { error: string } {
  if (bytes.includes(0)) return { error: 'not a text file (it contains NUL bytes); expected UTF-8 YAML' };
  try {
    let text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { text };
  } catch {
    return { error: 'not valid UTF-8 text; expected UTF-8 YAML' };
  }
}

export function readYamlFile(file: string): ReadResult {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    return { ok: false, diagnostics: [diag(file, 1, 1, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)] };
  }
  if (size > MAX_FILE_BYTES) {
    const mb = (size / 1024 / 1024).toFixed(1);
    return { ok: false, diagnostics: [diag(file, 1, 1, `file is too large (${mb} MB); a rule file may be at most 1 MB`)] };
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return { ok: false, diagnostics: [diag(file, 1, 1, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)] };
  }
  const decoded = decodeText(bytes);
  if ('error' in decoded) return { ok: false, diagnostics: [diag(file, 1, 1, decoded.error)] };
  return parseYaml(file, decoded.text);
}

export function parseYaml(file: string, text: string): ReadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number) => lines.linePos(offset);
  if (doc.errors.length) {
    return {
      ok: false,
      diagnostics: doc.errors.map((e) => {
        const p = at(e.pos[0]);
        return diag(file, p.line, p.col, yamlMessage(e.code, e.message));
      }),
    };
  }
  const warnings = doc.warnings.map((w) => {
    const p = at(w.pos[0]);
    return diag(file, p.line, p.col, yamlMessage(w.code, w.message), 'warning');
  });
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, diagnostics: [diag(file, 1, 1, `invalid YAML: ${(e as Error).message}`)] };
  }
  return { ok: true, source: { file, text, doc, lines, data }, warnings };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return `duplicate key: ${first.replace(/^Map keys must be unique;?\s*/i, '') || 'each key may appear once'}`.replace(/: $/, '');
  return `invalid YAML: ${first}`;
}

/** The YAML node at a path (values), or null. */
export function nodeAt(src: YamlSource, path: Path): Node | null {
  let node: unknown = src.doc.contents;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      node = pair ? pair.value : null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] ?? null;
    } else {
      return null;
    }
    if (!node) return null;
  }
  return (node as Node) ?? null;
}

/** The key node of the last path segment, when it names a map entry. */
export function keyAt(src: YamlSource, path: Path): Node | null {
  if (!path.length) return null;
  const parent = nodeAt(src, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!isMap(parent)) return null;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last));
  return pair && isScalar(pair.key) ? (pair.key as Node) : null;
}

/** Line and column of a path: the value, else its key, else the closest ancestor that exists. */
export function positionOf(src: YamlSource, path: Path, prefer: 'value' | 'key' = 'value'): Position {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const key = keyAt(src, sub);
    const value = nodeAt(src, sub);
    const node = prefer === 'key' && n === path.length ? key ?? value : value ?? key;
    if (node?.range) return src.lines.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/**
 * Maps an offset inside a string value back to the YAML source. Exact for block literals (`|`) and
 * single-line scalars; other styles fall back to the place where the same text appears.
 */
export function positionInScalar(src: YamlSource, path: Path, offset: number): Position {
  const node = nodeAt(src, path);
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return positionOf(src, path);
  const value = node.value;
  const start = node.range[0];
  const type = (node as Scalar).type;
  const head = src.lines.linePos(start);
  const before = value.slice(0, offset);
  const lineIdx = before.split('\n').length - 1;
  const colInLine = offset - (before.lastIndexOf('\n') + 1);
  const srcLines = src.text.split('\n');
  if (type === Scalar.BLOCK_LITERAL) {
    const header = srcLines[head.line - 1] ?? '';
    const explicit = /[|>][+-]?([1-9])|[|>]([1-9])[+-]?/.exec(header.slice(head.col - 1));
    let indent = -1;
    for (let l = head.line; l < srcLines.length; l++) {
      const s = srcLines[l]!.replace(/\r$/, '');
      if (s.trim() === '') continue;
      indent = s.length - s.trimStart().length;
      break;
    }
    if (explicit) {
      const parentIndent = header.length - header.trimStart().length;
      indent = parentIndent + Number(explicit[1] ?? explicit[2]);
    }
    if (indent < 0) return head;
    return { line: head.line + 1 + lineIdx, col: indent + colInLine + 1 };
  }
  if (type === Scalar.PLAIN || type === Scalar.QUOTE_SINGLE || type === Scalar.QUOTE_DOUBLE) {
    if (!value.includes('\n') && !src.text.slice(start, node.range[1]).includes('\n')) {
      const quote = type === Scalar.PLAIN ? 0 : 1;
      const raw = src.text.slice(start + quote, node.range[1]);
      // Escapes shift columns in quoted scalars; find the text itself where possible.
      const needle = value.slice(offset, offset + 12);
      const i = needle ? raw.indexOf(needle) : -1;
      return src.lines.linePos(start + quote + (i >= 0 ? i : offset));
    }
  }
  // Folded or multi-line flow scalars: search for the line's text within the node's source.
  const valueLine = value.split('\n')[lineIdx] ?? '';
  const region = src.text.slice(start, node.range[1]);
  const probe = valueLine.slice(colInLine, colInLine + 16) || valueLine;
  const i = probe ? region.indexOf(probe) : -1;
  if (i >= 0) return src.lines.linePos(start + i);
  return head;
}
