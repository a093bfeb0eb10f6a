// The backtest's resumable cache: one append-only NDJSON file per rule query, one line per finished
// window. A run that stops half-way leaves every finished window on disk; the next run skips them.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rows } from './remote.js';

export interface WindowResult extends Rows {
  /** The run time (ms). */
  t: number;
  /** The service cut the result short (a single window over the limits). */
  truncated?: boolean;
}

export class WindowCache {
  private readonly done = new Map<number, WindowResult>();
  private readonly file: string | null;

  /** `key` is everything the window results depend on (workspace, query text, windowing); null dir: memory only. */
  constructor(dir: string | null, name: string, key: unknown) {
    const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
    this.file = dir ? join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}-${hash}.ndjson`) : null;
    if (!this.file || !existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as WindowResult;
        if (typeof r.t === 'number') this.done.set(r.t, { columns: r.columns ?? [], rows: r.rows ?? [], t: r.t, ...(r.truncated ? { truncated: true } : {}) });
      } catch {
        // a line cut by an interruption: that window runs again
      }
    }
  }

  get(t: number): WindowResult | undefined {
    return this.done.get(t);
  }

  get size(): number {
    return this.done.size;
  }

  /** Stores finished windows; written at once, so an interruption keeps them. */
  put(results: WindowResult[]): void {
    if (!results.length) return;
    for (const r of results) this.done.set(r.t, r);
    if (!this.file) return;
    mkdirSync(join(this.file, '..'), { recursive: true });
    appendFileSync(this.file, results.map((r) => JSON.stringify(r.rows.length ? r : { t: r.t, columns: [], rows: [], ...(r.truncated ? { truncated: true } : {}) })).join('\n') + '\n');
  }
}
