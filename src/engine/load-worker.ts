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
  /**
   * Distinct byte strings and their codes: a repeated value is found by its bytes, without making a
   * JavaScript string (most cells of a column repeat a few values). The hash reads the length and at
   * most the first and last 32 bytes; a hit is confirmed byte by byte.
   */
  class ByteDict {
    arena = Buffer.allocUnsafe(1 << 16);
    used = 0;
    start: number[] = [];
    len: number[] = [];
    hash: number[] = [];
    dict: string[] = [];
    slots = new Int32Array(1 << 10).fill(-1);
    code(b: Buffer, s: number, e: number): number {
      const n = e - s;
      let h = n ^ 0x811c9dc5;
      const m = n <= 64 ? e : s + 32;
      for (let i = s; i < m; i++) h = Math.imul(h ^ b[i]!, 16777619);
      if (n > 64) for (let i = e - 32; i < e; i++) h = Math.imul(h ^ b[i]!, 16777619);
      h ^= h >>> 15;
      const mask = this.slots.length - 1;
      let slot = h & mask;
      for (;;) {
        const c = this.slots[slot]!;
        if (c < 0) break;
        if (this.hash[c] === h && this.len[c] === n) {
          const a = this.arena;
          const o = this.start[c]! - s;
          let j = s;
          while (j < e && a[o + j] === b[j]) j++;
          if (j === e) return c;
        }
        slot = (slot + 1) & mask;
      }
      const c = this.dict.length;
      if (this.used + n > this.arena.length) {
        const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + n));
        this.arena.copy(bigger, 0, 0, this.used);
        this.arena = bigger;
      }
      b.copy(this.arena, this.used, s, e);
      this.start.push(this.used);
      this.used += n;
      this.len.push(n);
      this.hash.push(h);
      this.dict.push(b.toString('utf8', s, e));
      this.slots[slot] = c;
      if (this.dict.length * 2 > this.slots.length) {
        const slots = new Int32Array(this.slots.length * 2).fill(-1);
        const m2 = slots.length - 1;
        for (let k = 0; k < this.hash.length; k++) {
          let q = this.hash[k]! & m2;
          while (slots[q]! >= 0) q = (q + 1) & m2;
          slots[q] = k;
        }
        this.slots = slots;
      }
      return c;
    }
    codeOf(v: string): number {
      const b = Buffer.from(v, 'utf8');
      return this.code(b, 0, b.length);
    }
    /** Frees the bytes (the column turned out mostly distinct). */
    drop(): void {
      this.arena = Buffer.alloc(0);
      this.start = [];
      this.len = [];
      this.hash = [];
      this.dict = [];
      this.slots = new Int32Array(1);
    }
  }
  type Acc =
    | { kind: 'string'; dict: ByteDict; codes: Codes; plain: string[] | null }
    | { kind: 'dynamic'; dict: ByteDict; codes: Codes }
    | { kind: 'datetime'; ticks: Ticks; other: { row: number; raw: string }[] }
    | { kind: 'raw'; values: unknown[]; firstLine: number }
    | { kind: 'skip' };
  const accs: Acc[] = job.cols.map((c) => {
    switch (c.kind) {
      case 'string':
        return { kind: 'string', dict: new ByteDict(), codes: new Codes(), plain: null };
      case 'dynamic':
        return { kind: 'dynamic', dict: new ByteDict(), codes: new Codes() };
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
    return addRow();
  };

  // The byte reader: a line's top-level members read straight from the bytes. Only the needed values
  // become JavaScript values (dynamic ones stay JSON text); the rest is checked against the JSON
  // grammar and skipped. JSON.parse builds every nested object of every row and is most of the cost.
  // Anything it does not handle plainly (escaped keys, the last unterminated line) goes to onLine.
  const byLength = new Map<number, { k: number; bytes: Uint8Array }[]>();
  names.forEach((nm, k) => {
    const bytes = Buffer.from(nm, 'utf8');
    const list = byLength.get(bytes.length) ?? [];
    list.push({ k, bytes });
    byLength.set(bytes.length, list);
  });
  const vStart = new Int32Array(names.length);
  const vEnd = new Int32Array(names.length);
  const vEsc = new Uint8Array(names.length);
  let esc = 0;
  const ws = (b: Uint8Array, i: number, end: number): number => {
    while (i < end) {
      const c = b[i]!;
      if (c !== 32 && c !== 9 && c !== 13) break;
      i++;
    }
    return i;
  };
  // bytes a string cannot simply run over: control characters (the line's newline among them), the
  // quote and the backslash; the loop needs no bounds test since every line ends with a newline
  const SPECIAL = new Uint8Array(256);
  for (let c = 0; c < 32; c++) SPECIAL[c] = 1;
  SPECIAL[34] = 1;
  SPECIAL[92] = 1;
  /** b[i] is a quote: the index after the closing quote, or -1; esc tells whether it had escapes. */
  const str = (b: Uint8Array, i: number, end: number): number => {
    esc = 0;
    i++;
    while (i < end) {
      while (SPECIAL[b[i]!] === 0) i++;
      if (i >= end) return -1;
      const c = b[i]!;
      if (c === 34) return i + 1;
      if (c === 92) {
        esc = 1;
        const d = b[i + 1];
        if (d === 117) {
          for (let h = i + 2; h < i + 6; h++) {
            const x = h < end ? b[h]! | 0x20 : 0;
            if (!((x >= 48 && x <= 57) || (x >= 97 && x <= 102))) return -1;
          }
          i += 6;
          continue;
        }
        if (d === 34 || d === 92 || d === 47 || d === 98 || d === 102 || d === 110 || d === 114 || d === 116) {
          i += 2;
          continue;
        }
        return -1;
      }
      if (c < 32) return -1;
      i++;
    }
    return -1;
  };
  const digits = (b: Uint8Array, i: number, end: number): number => {
    while (i < end && b[i]! >= 48 && b[i]! <= 57) i++;
    return i;
  };
  const word = (b: Uint8Array, i: number, end: number, w: string): number => {
    if (i + w.length > end) return -1;
    for (let j = 0; j < w.length; j++) if (b[i + j] !== w.charCodeAt(j)) return -1;
    return i + w.length;
  };
  /** Index just after the JSON value starting at b[i], or -1 when it is not one. */
  const value = (b: Uint8Array, i: number, end: number, depth: number): number => {
    if (i >= end) return -1;
    const c = b[i]!;
    if (c === 34) return str(b, i, end);
    if (c === 123 || c === 91) {
      if (depth > 200) return -1;
      const close = c === 123 ? 125 : 93;
      i = ws(b, i + 1, end);
      if (i < end && b[i] === close) return i + 1;
      for (;;) {
        if (c === 123) {
          if (i >= end || b[i] !== 34) return -1;
          i = str(b, i, end);
          if (i < 0) return -1;
          i = ws(b, i, end);
          if (i >= end || b[i] !== 58) return -1;
          i = ws(b, i + 1, end);
        }
        i = value(b, i, end, depth + 1);
        if (i < 0) return -1;
        i = ws(b, i, end);
        if (i >= end) return -1;
        if (b[i] === 44) {
          i = ws(b, i + 1, end);
          continue;
        }
        return b[i] === close ? i + 1 : -1;
      }
    }
    if (c === 116) return word(b, i, end, 'true');
    if (c === 102) return word(b, i, end, 'false');
    if (c === 110) return word(b, i, end, 'null');
    let j = i;
    if (b[j] === 45) j++;
    if (j < end && b[j] === 48) j++;
    else if (j < end && b[j]! >= 49 && b[j]! <= 57) j = digits(b, j + 1, end);
    else return -1;
    if (j < end && b[j] === 46) {
      const k = digits(b, j + 1, end);
      if (k === j + 1) return -1;
      j = k;
    }
    if (j < end && (b[j] === 101 || b[j] === 69)) {
      j++;
      if (j < end && (b[j] === 43 || b[j] === 45)) j++;
      const k = digits(b, j, end);
      if (k === j) return -1;
      j = k;
    }
    return j;
  };
  /** 1: the line was read; 0: give up (why is set); -1: read it with onLine instead. */
  const onBytes = (b: Buffer, s: number, end: number): number => {
    let i = ws(b, s, end);
    if (i === end) {
      line++;
      return 1;
    }
    if (b[i] !== 123) return -1;
    vStart.fill(-1);
    i = ws(b, i + 1, end);
    if (i < end && b[i] === 125) i++;
    else
      for (;;) {
        if (i >= end || b[i] !== 34) return -1;
        const ks = i + 1;
        i = str(b, i, end);
        if (i < 0 || esc) return -1;
        const ke = i - 1;
        i = ws(b, i, end);
        if (i >= end || b[i] !== 58) return -1;
        i = ws(b, i + 1, end);
        const v0 = i;
        esc = 0;
        i = value(b, i, end, 0);
        if (i < 0) return -1;
        const cands = byLength.get(ke - ks);
        if (cands)
          for (const cand of cands) {
            let j = 0;
            while (j < cand.bytes.length && b[ks + j] === cand.bytes[j]) j++;
            if (j === cand.bytes.length) {
              // a repeated key: the last one counts, as with JSON.parse
              vStart[cand.k] = v0;
              vEnd[cand.k] = i;
              vEsc[cand.k] = esc;
              break;
            }
          }
        i = ws(b, i, end);
        if (i >= end) return -1;
        if (b[i] === 44) {
          i = ws(b, i + 1, end);
          continue;
        }
        if (b[i] !== 125) return -1;
        i++;
        break;
      }
    if (ws(b, i, end) !== end) return -1;
    line++;
    if (job.window) {
      const k = job.window.col;
      const vs = vStart[k]!;
      const t = vs >= 0 && b[vs] === 34 && !vEsc[k] ? fastTicks(b.toString('utf8', vs + 1, vEnd[k]! - 1)) : null;
      if (t === null) {
        why = 'a TimeGenerated the fast reader does not know';
        return 0;
      }
      if (t < from || t > to) return 1;
    }
    // cells as onLine + addRow would append them, from the bytes: absent (vs < 0), null, a string
    // without escapes, or anything else through JSON.parse of the value alone
    for (let k = 0; k < accs.length; k++) {
      const a = accs[k]!;
      const vs = vStart[k]!;
      const ve = vEnd[k]!;
      const c = vs < 0 ? 0 : b[vs]!;
      const bare = c === 34 && !vEsc[k];
      switch (a.kind) {
        case 'string':
          if (bare && !a.plain && !toPlain(a)) a.codes.push(a.dict.code(b, vs + 1, ve - 1));
          else {
            const v = vs < 0 || c === 110 ? '' : bare ? b.toString('utf8', vs + 1, ve - 1) : text(JSON.parse(b.toString('utf8', vs, ve)));
            if (a.plain || toPlain(a)) a.plain!.push(v);
            else a.codes.push(a.dict.codeOf(v));
          }
          break;
        case 'dynamic':
          a.codes.push(vs < 0 || c === 110 ? -1 : a.dict.code(b, vs, ve));
          break;
        case 'datetime':
          if (!pushTime(a, vs < 0 ? undefined : c === 110 ? null : bare ? b.toString('utf8', vs + 1, ve - 1) : JSON.parse(b.toString('utf8', vs, ve)))) return 0;
          break;
        case 'raw':
          pushRaw(a, vs < 0 ? undefined : c === 110 ? null : JSON.parse(b.toString('utf8', vs, ve)));
          break;
        default:
          break;
      }
    }
    n++;
    return 1;
  };

  /** Appends a datetime cell (text the fast path cannot read is left to the main thread); false to give up. */
  const pushTime = (a: Extract<Acc, { kind: 'datetime' }>, v: unknown): boolean => {
    if (v === undefined || v === null || v === '') a.ticks.push(NULLT);
    else if (typeof v !== 'string') {
      why = 'a datetime cell that is not text';
      return false;
    } else if (!a.ticks.pushIso(v)) {
      a.other.push({ row: n, raw: v });
      a.ticks.push(OTHERT);
    }
    return true;
  };
  const pushRaw = (a: Extract<Acc, { kind: 'raw' }>, v: unknown): void => {
    if (a.firstLine === 0 && v !== undefined && v !== null) a.firstLine = line;
    a.values.push(v);
  };
  /** A cell of a string column, as the one-thread reader converts it. */
  const text = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  /** Mostly distinct values (addresses, ids): the dictionary only costs, keep the values. */
  const toPlain = (a: Extract<Acc, { kind: 'string' }>): boolean => {
    if (n !== 20000 || a.dict.dict.length <= 10000) return false;
    const d = a.dict.dict;
    a.plain = Array.from(a.codes.done(), (c) => d[c]!);
    a.dict.drop();
    return true;
  };

  /** Appends the row in vals; false to give up. */
  const addRow = (): boolean => {
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
          const s = text(v);
          if (a.plain || toPlain(a)) a.plain!.push(s);
          else a.codes.push(a.dict.codeOf(s));
          break;
        }
        case 'dynamic': {
          if (v === undefined || v === null) {
            a.codes.push(-1);
            break;
          }
          a.codes.push(a.dict.codeOf(JSON.stringify(v)));
          break;
        }
        case 'datetime':
          if (!pushTime(a, v)) return false;
          break;
        case 'raw':
          pushRaw(a, v);
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
      let s = 0;
      for (;;) {
        // the bytes past `have` are stale: a newline found there is not one of this read
        const nl = buf.indexOf(10, s);
        if (nl < 0 || nl > last) break;
        const r = onBytes(buf, s, nl);
        if (r === 0 || (r < 0 && !onLine(buf.toString('utf8', s, nl)))) {
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
        return a.plain ? { kind: 'plain', values: a.plain } : { kind: 'string', dict: a.dict.dict, codes: a.codes.done() };
      case 'dynamic':
        return { kind: 'dynamic', dict: a.dict.dict, codes: a.codes.done() };
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
