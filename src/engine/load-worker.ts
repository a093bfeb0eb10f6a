// Parallel NDJSON loading: each worker thread parses one byte range of a file (whole lines) and hands
// back compact columns, so JSON.parse (most of a big load) runs on every core. The worker body is
// self-contained (it runs from its own source text, without imports); anything unusual in its range
// (a line that is not an object, a column the schema does not know, a cell of the wrong kind) makes it
// give up, and the caller loads the file on one thread, which reports the problem exactly.

/** What a worker is asked to do. */
export interface RangeJob {
  file: string;
  start: number;
  end: number;
  /** Columns to read, in output order: name and kind ('string', 'datetime', 'dynamic' or 'raw'). */
  cols: { name: string; kind: 'string' | 'datetime' | 'dynamic' | 'raw' | 'skip' }[];
  /** Keep rows whose TimeGenerated (index into cols) lies in [from, to] (ticks as decimal text). */
  window: { col: number; from: string; to: string } | null;
}

/** One column as a worker returns it. */
export type RangeColumn =
  | { kind: 'string'; dict: string[]; codes: Int32Array }
  /** A column of mostly distinct strings: the values themselves. */
  | { kind: 'plain'; values: string[] }
  /** Ticks; NULL_TICKS for an absent value, OTHER_TICKS for text the main thread must parse (in `other`). */
  | { kind: 'datetime'; ticks: BigInt64Array; other: { row: number; raw: string }[] }
  /** JSON text of each distinct value; code -1 for an absent one. */
  | { kind: 'dynamic'; dict: string[]; codes: Int32Array }
  /** Cells as parsed; firstLine: line (1-based, in the range) of the first non-null cell, 0 when none. */
  | { kind: 'raw'; values: unknown[]; firstLine: number }
  | { kind: 'skip' };

/** n rows kept out of `lines` lines read; cpuMs: CPU time of the thread that read them (Linux), or -1. */
export type RangeResult = { ok: true; n: number; lines: number; cpuMs: number; cols: RangeColumn[] } | { ok: false; why: string };

export const NULL_TICKS = -(2n ** 63n);
export const OTHER_TICKS = -(2n ** 63n) + 1n;

/**
 * Reads one byte range. The calling thread runs it for the first range; workers run it from its
 * source text (see workerSource), so it must not close over anything: fs comes in as a parameter.
 */
export function parseRange(job: RangeJob, fs: typeof import('node:fs')): { result: RangeResult; transfer: ArrayBuffer[] } {
  // this thread's CPU time (utime + stime, in 1/100 s), from /proc; -1 elsewhere
  const threadCpuMs = (): number => {
    try {
      const f = fs.readFileSync('/proc/thread-self/stat', 'utf8');
      const after = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(after[11]) + Number(after[12])) * 10;
    } catch {
      return -1;
    }
  };
  const cpu0 = threadCpuMs();
  const NULLT = -(2n ** 63n);
  const OTHERT = NULLT + 1n;
  const TPMS = 10000n;

  // Digits of an ISO time (2024-01-01T00:00:00.1234567Z) read by char code; the ticks are written as
  // two 32-bit halves, exactly, without making a BigInt per cell.
  const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
  const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
  const isoMs = (s: string): number => {
    const n = s.length;
    if (n < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(n - 1) !== 90) return NaN;
    for (let j = 0; j < DIGITS.length; j++) {
      const c = s.charCodeAt(DIGITS[j]!);
      if (c < 48 || c > 57) return NaN;
    }
    const y = d2(s, 0) * 100 + d2(s, 2);
    const mo = d2(s, 5);
    const d = d2(s, 8);
    const h = d2(s, 11);
    const mi = d2(s, 14);
    const sec = d2(s, 17);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return NaN;
    const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
    // Date.UTC rolls 31 April over into May: such a day is not a date
    return new Date(ms).getUTCDate() === d ? ms : NaN;
  };
  /** Sub-millisecond ticks (0..9999) after the seconds, or -1 when the fraction is not digits. */
  const subMs = (s: string): number => {
    const n = s.length;
    if (n === 20) return 0;
    if (s.charCodeAt(19) !== 46 || n > 28 || n < 22) return -1;
    let f = 0;
    for (let i = 20; i < 27; i++) {
      const c = i < n - 1 ? s.charCodeAt(i) : 48;
      if (c < 48 || c > 57) return -1;
      f = f * 10 + c - 48;
    }
    return f;
  };
  const fastTicks = (s: string): bigint | null => {
    const ms = isoMs(s);
    const f = subMs(s);
    return Number.isNaN(ms) || f < 0 ? null : BigInt(ms) * TPMS + BigInt(f);
  };
  /** Writes the ticks of s into slot k of a BigInt64Array's 32-bit view; false when s is not the ISO form. */
  const writeTicks = (s: string, u32: Uint32Array, k: number): boolean => {
    const ms = isoMs(s);
    const f = subMs(s);
    if (Number.isNaN(ms) || f < 0) return false;
    // ticks = ms * 10^7 / 1000 + f = (a * 2^16 + b) * 10^4 + f
    const a = Math.floor(ms / 65536);
    const b = ms - a * 65536;
    const y = a * 10000;
    const low = (y % 65536) * 65536 + b * 10000 + f;
    u32[2 * k] = low % 4294967296;
    u32[2 * k + 1] = Math.floor(y / 65536) + Math.floor(low / 4294967296);
    return true;
  };

  class Codes {
    a = new Int32Array(1 << 16);
    n = 0;
    push(v: number): void {
      if (this.n === this.a.length) {
        const b = new Int32Array(this.a.length * 2);
        b.set(this.a);
        this.a = b;
      }
      this.a[this.n++] = v;
    }
    done(): Int32Array {
      return this.a.slice(0, this.n);
    }
  }
  class Ticks {
    a = new BigInt64Array(1 << 16);
    u = new Uint32Array(this.a.buffer);
    n = 0;
    room(): void {
      if (this.n === this.a.length) {
        const b = new BigInt64Array(this.a.length * 2);
        b.set(this.a);
        this.a = b;
        this.u = new Uint32Array(b.buffer);
      }
    }
    push(v: bigint): void {
      this.room();
      this.a[this.n++] = v;
    }
    /** Appends the ticks of an ISO time; false (nothing appended) when s is not one. */
    pushIso(s: string): boolean {
      this.room();
      if (!writeTicks(s, this.u, this.n)) return false;
      this.n++;
      return true;
    }
    done(): BigInt64Array {
      return this.a.slice(0, this.n);
    }
  }
  type Acc =
    | { kind: 'string'; map: Map<string, number>; dict: string[]; codes: Codes; plain: string[] | null }
    | { kind: 'dynamic'; map: Map<string, number>; dict: string[]; codes: Codes }
    | { kind: 'datetime'; ticks: Ticks; other: { row: number; raw: string }[] }
    | { kind: 'raw'; values: unknown[]; firstLine: number }
    | { kind: 'skip' };
  const accs: Acc[] = job.cols.map((c) => {
    switch (c.kind) {
      case 'string':
        return { kind: 'string', map: new Map<string, number>(), dict: [], codes: new Codes(), plain: null };
      case 'dynamic':
        return { kind: 'dynamic', map: new Map<string, number>(), dict: [], codes: new Codes() };
      case 'datetime':
        return { kind: 'datetime', ticks: new Ticks(), other: [] };
      case 'raw':
        return { kind: 'raw', values: [], firstLine: 0 };
      default:
        return { kind: 'skip' };
    }
  });
  const names = job.cols.map((c) => c.name);
  const from = job.window ? BigInt(job.window.from) : 0n;
  const to = job.window ? BigInt(job.window.to) : 0n;
  const vals: unknown[] = new Array(names.length);
  let n = 0;
  let line = 0;
  let why = '';

  const onLine = (text: string): boolean => {
    line++;
    if (!text.trim()) return true;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(text) as Record<string, unknown>;
    } catch {
      why = 'a line is not JSON';
      return false;
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) {
      why = 'a line is not an object';
      return false;
    }
    for (let k = 0; k < names.length; k++) vals[k] = row[names[k]!];
    if (job.window) {
      const tg = vals[job.window.col];
      const t = typeof tg === 'string' ? fastTicks(tg) : null;
      if (t === null) {
        why = 'a TimeGenerated the fast reader does not know';
        return false;
      }
      if (t < from || t > to) return true;
    }
    for (let k = 0; k < accs.length; k++) {
      const a = accs[k]!;
      const v = vals[k];
      switch (a.kind) {
        case 'string': {
          const s = typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
          if (a.plain) {
            a.plain.push(s);
            break;
          }
          // mostly distinct values (addresses, ids): the dictionary only costs, keep the values
          if (n === 20000 && a.dict.length > 10000) {
            const codes = a.codes.done();
            a.plain = Array.from(codes, (c) => a.dict[c]!);
            a.plain.push(s);
            a.map.clear();
            a.dict = [];
            break;
          }
          let code = a.map.get(s);
          if (code === undefined) {
            code = a.dict.length;
            a.dict.push(s);
            a.map.set(s, code);
          }
          a.codes.push(code);
          break;
        }
        case 'dynamic': {
          if (v === undefined || v === null) {
            a.codes.push(-1);
            break;
          }
          const s = JSON.stringify(v);
          let code = a.map.get(s);
          if (code === undefined) {
            code = a.dict.length;
            a.dict.push(s);
            a.map.set(s, code);
          }
          a.codes.push(code);
          break;
        }
        case 'datetime': {
          if (v === undefined || v === null || v === '') a.ticks.push(NULLT);
          else if (typeof v !== 'string') {
            why = 'a datetime cell that is not text';
            return false;
          } else if (!a.ticks.pushIso(v)) {
            a.other.push({ row: n, raw: v });
            a.ticks.push(OTHERT);
          }
          break;
        }
        case 'raw':
          if (a.firstLine === 0 && v !== undefined && v !== null) a.firstLine = line;
          a.values.push(v);
          break;
        default:
          break;
      }
    }
    n++;
    return true;
  };

  const fd = fs.openSync(job.file, 'r');
  try {
    // one buffer, reused: the unfinished line at its end moves to the front before the next read
    let buf = Buffer.allocUnsafe(1 << 22);
    let have = 0;
    let pos = job.start;
    let ok = true;
    while (ok && pos < job.end) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const want = Math.min(buf.length - have, job.end - pos);
      const got = fs.readSync(fd, buf, have, want, pos);
      if (got <= 0) break;
      pos += got;
      have += got;
      const last = buf.lastIndexOf(10, have - 1);
      if (last < 0) continue;
      const text = buf.toString('utf8', 0, last + 1);
      let s = 0;
      for (;;) {
        const nl = text.indexOf('\n', s);
        if (nl < 0) break;
        if (!onLine(text.slice(s, nl))) {
          ok = false;
          break;
        }
        s = nl + 1;
      }
      buf.copy(buf, 0, last + 1, have);
      have -= last + 1;
    }
    const rest = have ? buf.toString('utf8', 0, have) : null;
    if (ok && rest !== null) ok = onLine(rest);
    if (!ok) return { result: { ok: false, why }, transfer: [] };
  } finally {
    fs.closeSync(fd);
  }
  const cols: RangeColumn[] = accs.map((a) => {
    switch (a.kind) {
      case 'string':
        return a.plain ? { kind: 'plain', values: a.plain } : { kind: 'string', dict: a.dict, codes: a.codes.done() };
      case 'dynamic':
        return { kind: 'dynamic', dict: a.dict, codes: a.codes.done() };
      case 'datetime':
        return { kind: 'datetime', ticks: a.ticks.done(), other: a.other };
      case 'raw':
        return { kind: 'raw', values: a.values, firstLine: a.firstLine };
      default:
        return { kind: 'skip' };
    }
  });
  const transfer: ArrayBuffer[] = [];
  for (const c of cols) {
    if (c.kind === 'string' || c.kind === 'dynamic') transfer.push(c.codes.buffer as ArrayBuffer);
    if (c.kind === 'datetime') transfer.push(c.ticks.buffer as ArrayBuffer);
  }
  const cpu1 = threadCpuMs();
  return { result: { ok: true, n, lines: line, cpuMs: cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0, cols }, transfer };
}

/** Source text of a worker: parseRange over its job, the result posted back; esbuild's name helper
 * stubbed (tsx and vitest compile with it). */
export function workerSource(): string {
  return [
    'var __name = (f) => f;',
    `const parseRange = ${parseRange.toString()};`,
    "const { parentPort, workerData } = require('node:worker_threads');",
    "const { result, transfer } = parseRange(workerData, require('node:fs'));",
    'parentPort.postMessage(result, transfer);',
  ].join('\n');
}
