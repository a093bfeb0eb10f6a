// Shared by the synth tests: generate a small tenant once per test file and read it back.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../src/cli/synth.js';

export type Row = Record<string, unknown>;

export async function synthTo(args: { users?: number; days?: number; seed?: string; attacks?: string; start?: string }): Promise<string> {
  const base = mkdtempSync(join(tmpdir(), 'sg-synth-'));
  const out = join(base, 'out');
  await runSynth({ users: String(args.users ?? 60), days: String(args.days ?? 5), seed: args.seed ?? 'test', attacks: args.attacks, start: args.start, out }, () => {});
  return out;
}

export function cleanup(dir: string): void {
  rmSync(join(dir, '..'), { recursive: true, force: true });
}

export function readRows(dir: string, table: string): Row[] {
  const text = readFileSync(join(dir, `${table}.ndjson`), 'utf8');
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Row);
}

export function ms(v: unknown): number {
  if (typeof v !== 'string') throw new Error(`not a datetime string: ${String(v)}`);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`unparseable datetime: ${v}`);
  return t;
}

/** p in [0,1] of a list of numbers (nearest rank). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

export const ALL_TABLES = ['SigninLogs', 'AADNonInteractiveUserSignInLogs', 'AuditLogs', 'OfficeActivity', 'AADUserRiskEvents', 'MicrosoftGraphActivityLogs', 'CloudAppEvents'];

export function readJson<T>(dir: string, name: string): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}
