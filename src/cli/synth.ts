// `sessionguard synth`: a deterministic synthetic Entra ID / Microsoft 365 tenant with attacks and
// benign look-alikes, written as NDJSON per table plus labels and watchlists.
import type { Command } from 'commander';
import { rmSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../diagnostics.js';
import { ATTACK_NAMES, type AttackName } from '../synth/attacks.js';
import { minUsers, synthesize } from '../synth/synth.js';
import { action } from './run.js';

export const DEFAULT_START = '2026-11-02T00:00:00Z'; // a Monday; fixed so output never depends on the clock

export interface SynthFlags {
  users: string;
  days: string;
  seed: string;
  attacks?: string;
  start?: string;
  out: string;
  force?: boolean;
}

function intFlag(name: string, v: string, lo: number, hi: number): number {
  if (!/^\d+$/.test(v.trim())) throw new UserError(`--${name} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < lo || n > hi) throw new UserError(`--${name} must be between ${lo} and ${hi}, got ${n}`);
  return n;
}

export function parseSynthFlags(f: SynthFlags): { users: number; days: number; seed: string; attacks: AttackName[]; start: number; out: string; force: boolean } {
  const days = intFlag('days', f.days, 1, 90);
  let attacks: AttackName[] = [...ATTACK_NAMES];
  if (f.attacks !== undefined) {
    const names = f.attacks.split(',').map((s) => s.trim()).filter(Boolean);
    if (names.length === 1 && names[0] === 'none') attacks = [];
    else {
      const bad = names.filter((n) => !(ATTACK_NAMES as readonly string[]).includes(n));
      if (bad.length) throw new UserError(`--attacks: unknown attack ${bad.map((b) => `"${b}"`).join(', ')}; known: ${ATTACK_NAMES.join(', ')} (or "none")`);
      if (new Set(names).size !== names.length) throw new UserError('--attacks: an attack is listed twice');
      attacks = names as AttackName[];
    }
  }
  const users = intFlag('users', f.users, 1, 1_000_000);
  const least = minUsers(attacks.length);
  if (users < least) throw new UserError(`--users must be at least ${least}: each attack and each look-alike needs an account of its own among ordinary users`);
  if (!f.seed.trim()) throw new UserError('--seed must not be empty');
  let start = Date.parse(DEFAULT_START);
  if (f.start !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(f.start)) throw new UserError(`--start must be an ISO 8601 UTC date or time such as 2026-11-02 or 2026-11-02T00:00:00Z, got "${f.start}"`);
    start = Date.parse(f.start.length === 10 ? `${f.start}T00:00:00Z` : f.start);
    if (Number.isNaN(start)) throw new UserError(`--start is not a valid date: "${f.start}"`);
  }
  if (!f.out.trim()) throw new UserError('--out must name a directory');
  return { users, days, seed: f.seed, attacks, start, out: resolve(f.out), force: !!f.force };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Generates into a temporary directory beside --out and renames it into place only when complete. */
export async function runSynth(f: SynthFlags, log: (s: string) => void = console.log): Promise<void> {
  const o = parseSynthFlags(f);
  if (await exists(o.out)) {
    const st = await stat(o.out);
    if (!st.isDirectory()) throw new UserError(`--out ${o.out} exists and is not a directory`);
    if ((await readdir(o.out)).length > 0 && !o.force) throw new UserError(`--out ${o.out} exists and is not empty; remove it or pass --force to replace it`);
  }
  const parent = dirname(o.out);
  const tmp = join(parent, `.${basename(o.out)}.synth-${process.pid}`);
  try {
    await mkdir(parent, { recursive: true });
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
  } catch (e) {
    throw new UserError(`cannot write to ${parent}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Interrupted runs leave nothing behind either.
  const onSignal = (sig: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const t0 = performance.now();
  let result;
  try {
    result = await synthesize({ users: o.users, days: o.days, seed: o.seed, attacks: o.attacks, start: o.start }, tmp);
    if (await exists(o.out)) {
      const old = join(parent, `.${basename(o.out)}.old-${process.pid}`);
      await rename(o.out, old);
      await rename(tmp, o.out);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, o.out);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EROFS') throw new UserError(`cannot write to ${o.out}: ${code}`);
    throw e;
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  log(`synthesized ${o.users} users x ${o.days} days (seed ${o.seed}) into ${o.out} in ${secs}s`);
  for (const [table, n] of Object.entries(result.counts)) log(`  ${table.padEnd(34)} ${String(n).padStart(9)} rows`);
  log(`  labels.json: ${result.labels.length} attacks; lookalikes.json: ${result.lookalikes.length} accounts; watchlists/: 3 files`);
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('synthesize a tenant\'s Entra ID / Microsoft 365 logs with token-theft attacks and benign look-alikes')
    .requiredOption('--users <n>', 'number of ordinary users')
    .requiredOption('--days <n>', 'length of the period in days (1-90)')
    .requiredOption('--seed <s>', 'seed; the same arguments give the same bytes')
    .option('--attacks <list>', `comma-separated subset of: ${ATTACK_NAMES.join(', ')} (default all; "none" for none)`)
    .option('--start <iso>', `start of the period, UTC (default ${DEFAULT_START})`)
    .requiredOption('--out <dir>', 'output directory (created; must be empty unless --force)')
    .option('--force', 'replace --out if it exists')
    .action(
      action(async (f: SynthFlags) => {
        // `synth ... | head` closes stdout early: that is not an error worth a stack trace.
        process.stdout.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'EPIPE') process.exit(0);
          throw e;
        });
        await runSynth(f);
      }),
    );
}
