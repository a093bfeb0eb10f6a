// Streams rows to one NDJSON file per table. Rows are buffered per UTC day, sorted by
// TimeGenerated and written when no later generation step can add to that day.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { DAY } from './time.js';

export const TABLES = [
  'SigninLogs',
  'AADNonInteractiveUserSignInLogs',
  'AuditLogs',
  'OfficeActivity',
  'AADUserRiskEvents',
  'MicrosoftGraphActivityLogs',
  'CloudAppEvents',
] as const;

interface Pending {
  table: string;
  at: number;
  seq: number;
  line: string; // serialized at once: short-lived row objects keep the heap small
}

export class DayBufferedWriter {
  private streams = new Map<string, WriteStream>();
  private buckets = new Map<number, Pending[]>();
  private seq = 0;
  readonly counts: Record<string, number> = {};

  constructor(
    dir: string,
    private start: number,
    private end: number,
  ) {
    for (const t of TABLES) {
      this.streams.set(t, createWriteStream(join(dir, `${t}.ndjson`), { highWaterMark: 1 << 20 }));
      this.counts[t] = 0;
    }
  }

  /** Rows whose TimeGenerated falls outside the period are dropped (the period is a clean window). */
  readonly emit = (table: string, at: number, row: Record<string, unknown>): void => {
    if (at < this.start || at >= this.end) return;
    const day = Math.floor((at - this.start) / DAY);
    let b = this.buckets.get(day);
    if (!b) this.buckets.set(day, (b = []));
    b.push({ table, at, seq: this.seq++, line: JSON.stringify(row) });
  };

  /** Writes every buffered day up to and including `day`. */
  async flushThrough(day: number): Promise<void> {
    for (const d of [...this.buckets.keys()].sort((a, b) => a - b)) {
      if (d > day) break;
      const rows = this.buckets.get(d)!;
      this.buckets.delete(d);
      rows.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const chunks = new Map<string, string[]>();
      for (const p of rows) {
        let c = chunks.get(p.table);
        if (!c) chunks.set(p.table, (c = []));
        c.push(p.line);
        this.counts[p.table] = (this.counts[p.table] ?? 0) + 1;
        if (c.length >= 2000) {
          await this.write(p.table, c.join('\n') + '\n');
          c.length = 0;
        }
      }
      for (const [t, c] of chunks) if (c.length) await this.write(t, c.join('\n') + '\n');
    }
  }

  private async write(table: string, text: string): Promise<void> {
    const s = this.streams.get(table);
    if (!s) throw new Error(`unknown table ${table}`);
    if (!s.write(text)) await once(s, 'drain');
  }

  async close(): Promise<void> {
    await this.flushThrough(Infinity);
    await Promise.all(
      [...this.streams.values()].map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            s.once('error', reject);
            s.end(() => resolve());
          }),
      ),
    );
  }
}
