// Small text rewrites of KQL for running a rule "as of" a past time in a live workspace: Log
// Analytics evaluates now() at request time, so now() and ago() become a fixed datetime, and each
// table read is cut at that time's ingestion state. A tokenizer keeps string literals and comments
// out of the way.

interface Token {
  kind: 'ident' | 'string' | 'comment' | 'space' | 'punct' | 'other';
  text: string;
  start: number;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const start = i;
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out.push({ kind: 'comment', text: text.slice(start, i), start });
    } else if (c === '"' || c === "'" || ((c === '@' || c === 'h' || c === 'H') && (text[i + 1] === '"' || text[i + 1] === "'"))) {
      const verbatim = c === '@';
      if (c !== '"' && c !== "'") i++;
      const q = text[i]!;
      i++;
      while (i < text.length && text[i] !== q) {
        if (!verbatim && text[i] === '\\') i++;
        i++;
      }
      i++;
      out.push({ kind: 'string', text: text.slice(start, i), start });
    } else if (c === '`' && text.startsWith('```', i)) {
      const end = text.indexOf('```', i + 3);
      i = end < 0 ? text.length : end + 3;
      out.push({ kind: 'string', text: text.slice(start, i), start });
    } else if (/[A-Za-z_$]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_$]/.test(text[i]!)) i++;
      out.push({ kind: 'ident', text: text.slice(start, i), start });
    } else if (/\s/.test(c)) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      out.push({ kind: 'space', text: text.slice(start, i), start });
    } else if ('()[]{}|,;'.includes(c)) {
      i++;
      out.push({ kind: 'punct', text: c, start });
    } else {
      i++;
      out.push({ kind: 'other', text: c, start });
    }
  }
  return out;
}

function nextCode(tokens: Token[], i: number): number {
  let j = i;
  while (j < tokens.length && (tokens[j]!.kind === 'space' || tokens[j]!.kind === 'comment')) j++;
  return j;
}

/** Index of the token closing the bracket opened at `open`. */
function closing(tokens: Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.kind !== 'punct') continue;
    if ('([{'.includes(t.text)) depth++;
    else if (')]}'.includes(t.text) && --depth === 0) return j;
  }
  return tokens.length - 1;
}

export const NOW_VAR = '__sg_now';

/** Replaces now() by __sg_now, now(d) by (__sg_now + d) and ago(d) by (__sg_now - d). */
export function fixNow(text: string): string {
  const tokens = tokenize(text);
  const rewrite = (from: number, to: number): string => {
    let s = '';
    for (let i = from; i < to; i++) {
      const t = tokens[i]!;
      const isFn = t.kind === 'ident' && (t.text === 'now' || t.text === 'ago');
      const open = isFn ? nextCode(tokens, i + 1) : -1;
      const prev = i > 0 ? tokens[i - 1]! : null;
      if (isFn && tokens[open]?.text === '(' && !(prev && prev.text === '.')) {
        const close = closing(tokens, open);
        const inner = rewrite(open + 1, close).trim();
        if (t.text === 'now') s += inner ? `(${NOW_VAR} + (${inner}))` : NOW_VAR;
        else s += `(${NOW_VAR} - (${inner}))`;
        i = close;
        continue;
      }
      s += t.text;
    }
    return s;
  };
  return rewrite(0, tokens.length);
}

export function usesNow(text: string): boolean {
  return tokenize(text).some((t, i, all) => t.kind === 'ident' && (t.text === 'now' || t.text === 'ago') && all[nextCode(all, i + 1)]?.text === '(');
}

export const kqlDatetime = (ms: number) => `datetime(${new Date(ms).toISOString()})`;

export const cutName = (table: string) => `__sg_${table}`;

/**
 * Points the query's reads of `tables` at `__sg_<table>` instead. A `let T = …` of the query's own
 * (the compiler's ingestion-delay window) still reads the cut table on its right-hand side; after
 * it, T means that let and is left alone. (A name cannot be declared twice, so the cut has its own.)
 */
export function readCut(text: string, tables: string[]): string {
  const tokens = tokenize(text);
  const open = new Set(tables);
  let declaring: string | null = null;
  let depth = 0;
  let s = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct') {
      if ('([{'.includes(t.text)) depth++;
      else if (')]}'.includes(t.text)) depth--;
      else if (t.text === ';' && depth === 0 && declaring) {
        open.delete(declaring);
        declaring = null;
      }
    }
    if (t.kind === 'ident' && t.text === 'let' && depth === 0) {
      const n = nextCode(tokens, i + 1);
      const eq = nextCode(tokens, n + 1);
      if (tokens[n]?.kind === 'ident' && open.has(tokens[n]!.text) && tokens[eq]?.text === '=' && tokens[eq + 1]?.text !== '=') {
        declaring = tokens[n]!.text;
        s += text.slice(t.start, tokens[eq]!.start + 1);
        i = eq;
        continue;
      }
    }
    const prev = i > 0 ? tokens[i - 1]! : null;
    if (t.kind === 'ident' && open.has(t.text) && prev?.text !== '.') s += cutName(t.text);
    else s += t.text;
  }
  return s;
}

/**
 * The query as it would have run at `at`: now() fixed, and each table cut to the rows ingested by
 * then, or (NRT) ingested in [after, before).
 */
export function asOf(query: string, tables: string[], at: number, ingested?: { after: number; before: number }): string {
  const head = [`let ${NOW_VAR} = ${kqlDatetime(at)};`];
  for (const t of tables) {
    head.push(
      ingested === undefined
        ? `let ${cutName(t)} = ${t} | where ingestion_time() <= ${NOW_VAR};`
        : `let ${cutName(t)} = ${t} | where ingestion_time() >= ${kqlDatetime(ingested.after)} and ingestion_time() < ${kqlDatetime(ingested.before)};`,
    );
  }
  return head.join('\n') + '\n' + fixNow(readCut(query, tables));
}

/** Top-level pipe segments of the last statement (after the final `;`), with their offsets. */
export function pipeSegments(text: string): { start: number; end: number }[] {
  const tokens = tokenize(text);
  let depth = 0;
  let stmtStart = 0;
  const cuts: number[] = [];
  for (const t of tokens) {
    if (t.kind !== 'punct') continue;
    if ('([{'.includes(t.text)) depth++;
    else if (')]}'.includes(t.text)) depth--;
    else if (depth === 0 && t.text === ';') {
      stmtStart = t.start + 1;
      cuts.length = 0;
    } else if (depth === 0 && t.text === '|') cuts.push(t.start);
  }
  const bounds = [stmtStart, ...cuts.map((c) => c + 1)];
  const ends = [...cuts, text.length];
  return bounds.map((b, i) => ({ start: b, end: ends[i]! }));
}

/**
 * Adds columns to every top-level `project` (and `project-keep`) of the final statement, so that
 * carried columns survive the rule's own projection. Trailing whitespace and comments stay in place.
 */
export function keepColumns(text: string, cols: string[]): string {
  const segs = pipeSegments(text);
  let out = text;
  for (const s of [...segs].reverse()) {
    const body = text.slice(s.start, s.end);
    if (!/^\s*project(-keep)?\s/.test(body)) continue;
    // end of the segment's code: before trailing spaces and line comments
    const code = body.replace(/(\s|\/\/[^\n]*)*$/, '');
    const at = s.start + code.length;
    out = out.slice(0, at) + ', ' + cols.join(', ') + out.slice(at);
  }
  return out;
}
