// Loads recorded rows (NDJSON, JSON array, portal CSV) into typed columns, one streaming pass per file.
import { closeSync, createReadStream, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { basename, extname, join } from 'node:path';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { UserError } from '../diagnostics.js';
import type { Table } from './eval.js';
import { convert, normType, parseDatetime, type Dyn, type KType, type Val } from './values.js';
import * as fs from 'node:fs';
import { NULL_TICKS, OTHER_TICKS, parseRange, workerSource, type RangeJob, type RangeResult } from './load-worker.js';

export interface LoadOptions {
  /** Table name -> column name/type list. */
  schemas: Record<string, { name: string; type: string }[]>;
  /** Columns to keep (all when null). */
  needed?: Set<string> | null;
  /** Keep rows whose TimeGenerated lies in [from, to]. */
  window?: { from: bigint; to: bigint } | null;
  warn?: (msg: string) => void;
  /** NDJSON files at least this big (bytes) are parsed by worker threads, one byte range each
   * (default 32 MB; Infinity: never). */
  parallelMinBytes?: number;
  /** Byte ranges (threads) per file (default: the cores, at most 4; fewer than 2: one thread). */
  workers?: number;
  /** Filled in: files read in parallel (with their range count), and files whose workers gave up (why). */
  info?: { parallel: { file: string; ranges: number; threadCpuMs: number[] }[]; fellBack: { file: string; why: string }[] };
}

interface Builder {
  name: string;
  cols: Map<string, { type: KType; data: Val[]; known: boolean; conv: (raw: unknown) => Val }>;
  n: number;
  /** Needed columns not in the schema, typed when first seen. */
  pending: string[];
  list: { name: string; type: KType; data: Val[]; conv: (raw: unknown) => Val }[] | null;
}

const EXT = new Set(['.ndjson', '.jsonl', '.json', '.csv']);

/** Files in a log folder that are not rows (written by `sessionguard synth`). */
const NOT_ROWS = new Set(['labels.json', 'lookalikes.json', 'manifest.json']);

/** Files under the given paths (directories one level deep and their subfolders). */
export function listFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, explicit: boolean) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new UserError(`${p}: no such file or directory`);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) {
        // A recorded tenant folder may hold its ground truth and watchlists beside the tables.
        if (e.startsWith('.') || e === 'watchlists' || NOT_ROWS.has(e)) continue;
        walk(join(p, e), false);
      }
    } else if (explicit || EXT.has(extname(p).toLowerCase())) out.push(p);
  };
  for (const p of paths) walk(p, true);
  return out;
}

export function tableForFile(file: string, schemas: LoadOptions['schemas']): string | null {
  const stem = basename(file).replace(/\.(ndjson|jsonl|json|csv)$/i, '');
  if (schemas[stem]) return stem;
  const head = stem.split(/[_.\- ]/)[0]!;
  return schemas[head] ? head : null;
}

function jsType(v: unknown): KType {
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'real';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return 'dynamic';
}

const TPMS = 10_000n;

/** Fast path for the ISO form Log Analytics writes (2024-01-01T00:00:00.1234567Z); else the general parser. */
export function fastDatetime(s: string): bigint | null {
  const n = s.length;
  if (n >= 20 && s.charCodeAt(4) === 45 && s.charCodeAt(10) === 84 && s.charCodeAt(n - 1) === 90) {
    const ms = Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10), +s.slice(11, 13), +s.slice(14, 16), +s.slice(17, 19));
    if (!Number.isNaN(ms) && +s.slice(0, 4) >= 100) {
      if (n === 20) return BigInt(ms) * TPMS;
      if (s.charCodeAt(19) === 46 && n <= 28) {
        const f = s.slice(20, n - 1);
        if (/^\d+$/.test(f)) return BigInt(ms) * TPMS + BigInt((f + '000000').slice(0, 7));
      }
    }
  }
  return parseDatetime(s);
}

/** A datetime cell that does not parse is a bad row: the load stops there (an empty cell is null). */
function badTime(where: string, column: string, raw: unknown): void {
  if (raw === null || raw === undefined || raw === '') return;
  throw new UserError(`${where}:1: ${column}: ${JSON.stringify(raw).slice(0, 60)} is not a datetime (expected ISO 8601, such as 2026-03-02T10:00:00Z)`);
}

/** A converter from raw JSON/CSV cells to values of type t. */
export function converter(t: KType): (raw: unknown) => Val {
  switch (t) {
    case 'string':
      return interned((v) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)));
    case 'datetime':
      return (v) => (typeof v === 'string' && v !== '' ? fastDatetime(v) : null);
    case 'dynamic': {
      // equal property bags and arrays share one object (values are never mutated): far fewer
      // live objects for the collector to trace on big loads
      let pool: Map<string, Dyn> | null = new Map();
      let misses = 0;
      return (v) => {
        const d = cell(v, t) as Dyn;
        if (pool === null || d === null || typeof d !== 'object') return d;
        const key = JSON.stringify(d);
        if (key.length > 2000) return d;
        const hit = pool.get(key);
        if (hit !== undefined) return hit;
        if (++misses === 20_000 && pool.size > 10_000) pool = null;
        else if (pool.size < 100_000) pool.set(key, d);
        return d;
      };
    }
    default:
      return (v) => cell(v, t);
  }
}

/** A raw JSON/CSV cell as a value of column type t. */
export function cell(raw: unknown, t: KType): Val {
  if (raw === null || raw === undefined) return t === 'string' ? '' : null;
  switch (t) {
    case 'string':
      return typeof raw === 'string' ? raw : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
    case 'datetime':
      return typeof raw === 'string' ? (raw === '' ? null : parseDatetime(raw)) : null;
    case 'dynamic':
      if (typeof raw === 'string') {
        const s = raw.trim();
        if (s === '') return null;
        if (s[0] === '{' || s[0] === '[') {
          try {
            return JSON.parse(s) as Dyn;
          } catch {
            return raw;
          }
        }
        return raw;
      }
      return raw as Dyn;
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === '') return null;
      return convert(String(raw), 'string', 'bool');
    case 'guid':
      return raw === '' ? null : convert(String(raw), 'string', 'guid');
    default:
      if (typeof raw === 'number') return t === 'int' || t === 'long' ? Math.trunc(raw) : raw;
      if (raw === '') return null;
      return convert(typeof raw === 'string' ? raw : JSON.stringify(raw), 'string', t);
  }
}

/** Shares equal strings of a column (most columns repeat a few values): less memory, less GC. */
function interned(conv: (raw: unknown) => Val): (raw: unknown) => Val {
  let pool: Map<string, string> | null = new Map<string, string>();
  let seen = 0;
  return (raw) => {
    const v = conv(raw);
    if (pool === null || typeof v !== 'string' || v.length > 200) return v;
    const hit = pool.get(v);
    if (hit !== undefined) return hit;
    // a column of mostly distinct values (IDs, addresses) gains nothing: stop pooling it
    if (++seen === 20_000 && pool.size > 10_000) {
      pool = null;
      return v;
    }
    if (pool.size < 200_000) pool.set(v, v);
    return v;
  };
}

export class Loader {
  private tables = new Map<string, Builder>();
  private reported = new Set<string>();
  constructor(private opts: LoadOptions) {}

  private builder(name: string): Builder {
    let b = this.tables.get(name);
    if (!b) {
      b = { name, cols: new Map(), n: 0, pending: [], list: null };
      const schema = this.opts.schemas[name] ?? [];
      for (const c of schema) if (!this.opts.needed || this.opts.needed.has(c.name)) b.cols.set(c.name, { type: normType(c.type), data: [], known: true, conv: converter(normType(c.type)) });
      if (this.opts.needed) for (const k of this.opts.needed) if (!schema.some((c) => c.name === k)) b.pending.push(k);
      this.tables.set(name, b);
    }
    return b;
  }

  private add(b: Builder, row: Record<string, unknown>, where: string): void {
    const win = this.opts.window;
    if (win) {
      const tg = row.TimeGenerated;
      const t = typeof tg === 'string' ? fastDatetime(tg) : null;
      if (t === null || t < win.from || t > win.to) return;
    }
    if (!this.opts.needed) {
      // every column is kept: look for columns outside the schema
      for (const k in row) {
        if (b.cols.has(k)) continue;
        if (!this.reported.has(b.name + '.' + k)) {
          this.reported.add(b.name + '.' + k);
          this.opts.warn?.(`${where}: column ${k} is not in the ${b.name} schema; kept as ${jsType(row[k])}`);
        }
        const type = jsType(row[k]);
        b.cols.set(k, { type, data: new Array<Val>(b.n).fill(type === 'string' ? '' : null), known: false, conv: converter(type) });
        b.list = null;
      }
    } else if (b.pending.length) {
      // needed columns outside the schema take their type from their first value
      for (const k of b.pending.slice()) {
        const v = row[k];
        if (v === undefined || v === null) continue;
        const type = jsType(v);
        this.opts.warn?.(`${where}: column ${k} is not in the ${b.name} schema; kept as ${type}`);
        b.cols.set(k, { type, data: new Array<Val>(b.n).fill(type === 'string' ? '' : null), known: false, conv: converter(type) });
        b.pending.splice(b.pending.indexOf(k), 1);
        b.list = null;
      }
    }
    const list = (b.list ??= [...b.cols.entries()].map(([name, c]) => ({ name, type: c.type, data: c.data, conv: c.conv })));
    for (let j = 0; j < list.length; j++) {
      const c = list[j]!;
      const raw = row[c.name];
      const v = c.conv(raw);
      if (v === null && c.type === 'datetime') badTime(where, c.name, raw);
      c.data.push(v);
    }
    b.n++;
  }

  private target(file: string, row: Record<string, unknown>, where: string): Builder {
    const byFile = tableForFile(file, this.opts.schemas);
    if (byFile) return this.builder(byFile);
    const t = row.Type;
    if (typeof t === 'string' && t) {
      if (!this.opts.schemas[t]) throw new UserError(`${where}: unknown table ${t} (Type column)`);
      return this.builder(t);
    }
    throw new UserError(`${where}: cannot tell the table: name the file after it (SigninLogs.ndjson) or give a Type column`);
  }

  async loadFile(file: string): Promise<void> {
    const ext = extname(file).toLowerCase();
    if (ext === '.csv') return await this.loadCsv(file);
    if (ext === '.json') {
      const text = readFileSync(file, 'utf8');
      const trimmed = text.trimStart();
      if (trimmed.startsWith('[')) {
        let rows: unknown;
        try {
          rows = JSON.parse(text);
        } catch (e) {
          throw new UserError(`${file}:1:1: not valid JSON: ${(e as Error).message}`);
        }
        (rows as unknown[]).forEach((r, i) => {
          if (!r || typeof r !== 'object' || Array.isArray(r)) throw new UserError(`${file}: element ${i + 1} is not an object`);
          this.add(this.target(file, r as Record<string, unknown>, `${file}: element ${i + 1}`), r as Record<string, unknown>, file);
        });
        return;
      }
    }
    let tgt: Builder | null = null;
    const byFile = tableForFile(file, this.opts.schemas);
    if (byFile) tgt = this.builder(byFile);
    let line = 0;
    // fast path: a table known from the file name, with a fixed set of needed columns
    const fast = tgt && this.opts.needed ? tgt : null;
    const fastNames = fast ? [...new Set([...fast.cols.keys(), ...fast.pending, 'TimeGenerated'])] : [];
    // columns in key order (null for TimeGenerated when it is only read for the time window, and for
    // needed names outside the schema: a line that has one takes the slow path, which adds the column)
    let fastCols = fast ? fastNames.map((n) => fast.cols.get(n) ?? null) : null;
    let pendingIdx = fast ? fast.pending.map((n) => fastNames.indexOf(n)) : [];
    const tgIdx = fastNames.indexOf('TimeGenerated');
    const win = this.opts.window;
    if (fast && statSync(file).size >= (this.opts.parallelMinBytes ?? 32 << 20) && (await this.loadParallel(file, fast, fastNames))) return;
    const vals: unknown[] = new Array(fastNames.length);
    const onLine = (chunk: string, start: number, end: number) => {
      line++;
      if (end > start && chunk.charCodeAt(end - 1) === 13) end--;
      if (end <= start) return;
      // JSON.parse makes fresh strings, so the slice does not keep the chunk alive
      const text = chunk.slice(start, end);
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        if (!text.trim()) return;
        throw new UserError(`${file}:${line}:1: not a JSON object: ${(e as Error).message}`);
      }
      if (!row || typeof row !== 'object' || Array.isArray(row)) throw new UserError(`${file}:${line}:1: not a JSON object`);
      if (fastCols && pendingIdx.every((k) => row[fastNames[k]!] === undefined)) {
        for (let k = 0; k < fastNames.length; k++) vals[k] = row[fastNames[k]!];
        if (win) {
          const tg = vals[tgIdx];
          const t = typeof tg === 'string' ? fastDatetime(tg) : null;
          if (t === null || t < win.from || t > win.to) return;
        }
        for (let k = 0; k < fastCols.length; k++) {
          const c = fastCols[k]!;
          if (!c) continue;
          const v = c.conv(vals[k]);
          if (v === null && c.type === 'datetime') badTime(`${file}:${line}`, fastNames[k]!, vals[k]);
          c.data.push(v);
        }
        fast!.n++;
        return;
      }
      this.add(tgt ?? this.target(file, row, `${file}:${line}`), row, `${file}:${line}`);
      if (fast) {
        fastCols = fastNames.map((n) => fast.cols.get(n) ?? null);
        pendingIdx = fast.pending.map((n) => fastNames.indexOf(n));
      }
    };
    // 4 MB byte chunks, decoded up to their last newline (a newline byte never sits inside a
    // multi-byte character) and split by hand: cheaper than readline
    let rest: Buffer | null = null;
    const stream = createReadStream(file, { highWaterMark: 1 << 22 });
    try {
      for await (const chunk of stream) {
        const buf: Buffer = rest ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
        const last = buf.lastIndexOf(10);
        if (last < 0) {
          rest = Buffer.from(buf);
          continue;
        }
        const text = buf.toString('utf8', 0, last + 1);
        let start = 0;
        for (;;) {
          const nl = text.indexOf('\n', start);
          if (nl < 0) break;
          onLine(text, start, nl);
          start = nl + 1;
        }
        rest = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : null;
      }
      if (rest) {
        const text = rest.toString('utf8');
        onLine(text, 0, text.length);
      }
    } finally {
      stream.destroy();
    }
  }

  /**
   * Parses the file in worker threads (one byte range of whole lines each) and appends the rows to b.
   * False, with b untouched, when a worker met something only the one-thread reader handles.
   */
  private async loadParallel(file: string, b: Builder, names: string[]): Promise<boolean> {
    const size = statSync(file).size;
    const k = this.opts.workers ?? Math.max(1, Math.min(4, availableParallelism()));
    if (k < 2) return false;
    // split points: just after a newline near each k-th of the file
    const cuts = [0];
    const fd = openSync(file, 'r');
    try {
      const probe = Buffer.allocUnsafe(1 << 16);
      for (let i = 1; i < k; i++) {
        let pos = Math.max(cuts[cuts.length - 1]!, Math.floor((i * size) / k));
        for (;;) {
          const got = readSync(fd, probe, 0, probe.length, pos);
          if (got <= 0) {
            pos = size;
            break;
          }
          const nl = probe.subarray(0, got).indexOf(10);
          if (nl >= 0) {
            pos += nl + 1;
            break;
          }
          pos += got;
        }
        if (pos > cuts[cuts.length - 1]! && pos < size) cuts.push(pos);
      }
    } finally {
      closeSync(fd);
    }
    cuts.push(size);
    if (cuts.length < 3) return false;
    const kinds = names.map((n) => {
      const c = b.cols.get(n);
      if (!c) return b.pending.includes(n) ? ('raw' as const) : ('skip' as const);
      return c.type === 'string' || c.type === 'datetime' || c.type === 'dynamic' ? c.type : ('raw' as const);
    });
    const win = this.opts.window;
    const src = workerSource();
    const jobs = cuts.slice(0, -1).map(
      (start, i): RangeJob => ({
        file,
        start,
        end: cuts[i + 1]!,
        cols: names.map((name, j) => ({ name, kind: kinds[j]! })),
        window: win ? { col: names.indexOf('TimeGenerated'), from: String(win.from), to: String(win.to) } : null,
      }),
    );
    // workers take the later ranges; this thread reads the first one meanwhile (no copy to hand back)
    const pending = jobs.slice(1).map(
      (job) =>
        new Promise<RangeResult>((resolve) => {
          // the worker runs plain JavaScript: no loader flags of the parent (tsx) to initialise
          const w = new Worker(src, { eval: true, workerData: job, execArgv: [] });
          let done = false;
          w.once('message', (m: RangeResult) => {
            done = true;
            resolve(m);
          });
          w.once('error', (e) => {
            done = true;
            resolve({ ok: false, why: e.message });
          });
          w.once('exit', () => {
            if (!done) resolve({ ok: false, why: 'the worker stopped' });
          });
        }),
    );
    const results = [parseRange(jobs[0]!, fs).result, ...(await Promise.all(pending))];
    const parts = results.filter((r): r is Extract<RangeResult, { ok: true }> => r.ok);
    const failed = results.find((r): r is Extract<RangeResult, { ok: false }> => !r.ok);
    if (failed) {
      this.opts.info?.fellBack.push({ file, why: failed.why });
      return false;
    }
    // datetimes the fast reader left as text: parsed here; one that does not parse is reported by the
    // one-thread reader, with its line
    const otherTicks = parts.map((p) =>
      p.cols.map((c) => {
        if (c.kind !== 'datetime' || !c.other.length) return null;
        const m = new Map<number, bigint>();
        for (const o of c.other) {
          const t = parseDatetime(o.raw);
          if (t === null) return undefined;
          m.set(o.row, t);
        }
        return m;
      }),
    );
    if (otherTicks.some((cs) => cs.includes(undefined))) {
      this.opts.info?.fellBack.push({ file, why: 'a datetime that does not parse' });
      return false;
    }
    const total = parts.reduce((s, p) => s + p.n, 0);
    names.forEach((name, j) => {
      const c = b.cols.get(name);
      if (!c) return;
      const data = c.data;
      parts.forEach((p, pi) => {
        const pc = p.cols[j]!;
        if (pc.kind === 'string') {
          const { dict, codes } = pc;
          for (let i = 0; i < codes.length; i++) data.push(dict[codes[i]!]!);
        } else if (pc.kind === 'plain') {
          for (const v of pc.values) data.push(v);
        } else if (pc.kind === 'dynamic') {
          const vals = pc.dict.map((t) => cell(JSON.parse(t), 'dynamic'));
          const { codes } = pc;
          for (let i = 0; i < codes.length; i++) {
            const code = codes[i]!;
            data.push(code < 0 ? null : vals[code]!);
          }
        } else if (pc.kind === 'datetime') {
          const { ticks } = pc;
          const other = otherTicks[pi]![j];
          for (let i = 0; i < ticks.length; i++) {
            const t = ticks[i]!;
            data.push(t === NULL_TICKS ? null : t === OTHER_TICKS ? other!.get(i)! : t);
          }
        } else if (pc.kind === 'raw') for (const v of pc.values) data.push(c.conv(v));
      });
    });
    // needed columns outside the schema, typed by their first value, in the order they first appear
    const before = b.n;
    let linesBefore = 0;
    const seen: { name: string; j: number; line: number; v: unknown }[] = [];
    parts.forEach((p) => {
      names.forEach((name, j) => {
        const pc = p.cols[j]!;
        if (pc.kind !== 'raw' || b.cols.has(name) || !pc.firstLine || seen.some((x) => x.name === name)) return;
        seen.push({ name, j, line: linesBefore + pc.firstLine, v: pc.values.find((v) => v !== undefined && v !== null) });
      });
      linesBefore += p.lines;
    });
    seen.sort((x, y) => x.line - y.line || x.j - y.j);
    for (const { name, j, line, v } of seen) {
      const type = jsType(v);
      this.opts.warn?.(`${file}:${line}: column ${name} is not in the ${b.name} schema; kept as ${type}`);
      const conv = converter(type);
      const data = new Array<Val>(before).fill(type === 'string' ? '' : null);
      for (const p of parts) for (const x of (p.cols[j] as { values: unknown[] }).values) data.push(conv(x));
      b.cols.set(name, { type, data, known: false, conv });
      b.pending.splice(b.pending.indexOf(name), 1);
    }
    b.list = null;
    b.n += total;
    this.opts.info?.parallel.push({ file, ranges: results.length, threadCpuMs: parts.map((p) => p.cpuMs) });
    return true;
  }

  private async loadCsv(file: string): Promise<void> {
    let names: string[] | null = null;
    const onRow = (r: string[], line: number) => {
      if (!names) {
        // portal exports name columns like "TimeGenerated [UTC]"
        names = r.map((h, k) => (k === 0 ? h.replace(/^\uFEFF/, '') : h).replace(/\s*\[UTC\]$/, ''));
        return;
      }
      if (r.length === 1 && r[0] === '') return;
      if (r.length !== names.length) throw new UserError(`${file}:${line}:1: ${r.length} cells, the header has ${names.length}`);
      const obj: Record<string, unknown> = {};
      names.forEach((n, k) => (obj[n] = r[k]));
      this.add(this.target(file, obj, `${file}:${line}`), obj, `${file}:${line}`);
    };
    // csv-parse streams RFC 4180 (quoted cells may hold commas, quotes and line breaks).
    const parser = createReadStream(file).pipe(parse({ bom: true, relax_column_count: true, info: true, skip_empty_lines: false }));
    try {
      for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) onRow(rec.record, rec.info.lines);
    } catch (e) {
      if (e instanceof UserError) throw e;
      const err = e as { message: string; lines?: number };
      throw new UserError(`${file}:${err.lines ?? 1}:1: invalid CSV: ${err.message.replace(/^Invalid Record Length: |^Quote Not Closed: /, '')}`);
    } finally {
      parser.destroy();
    }
  }

  /** Every known table (empty when no rows were recorded). */
  result(): Map<string, Table> {
    const out = new Map<string, Table>();
    for (const name of Object.keys(this.opts.schemas)) this.builder(name);
    for (const [name, b] of this.tables) {
      out.set(name, { n: b.n, cols: [...b.cols.entries()].map(([cname, c]) => ({ name: cname, type: c.type, data: c.data })) });
    }
    return out;
  }
}

export function parseCsv(text: string, file: string): string[][] {
  try {
    return parseSync(text, { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch (e) {
    const err = e as { message: string; lines?: number };
    throw new UserError(`${file}:${err.lines ?? 1}:1: invalid CSV: ${err.message}`);
  }
}

export async function loadLogs(paths: string[], opts: LoadOptions): Promise<Map<string, Table>> {
  const loader = new Loader(opts);
  for (const f of listFiles(paths)) await loader.loadFile(f);
  return loader.result();
}

