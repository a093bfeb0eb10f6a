// User errors: clear message, exit 1, no stack trace, and never a half-written output directory.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/diagnostics.js';
import { runSynth } from '../../src/cli/synth.js';

const base = mkdtempSync(join(tmpdir(), 'sg-synth-cli-'));
afterAll(() => {
  try {
    chmodSync(join(base, 'ro'), 0o755);
  } catch {
    // not created
  }
  rmSync(base, { recursive: true, force: true });
});

const flags = (over: Record<string, string | undefined>) => ({ users: '30', days: '2', seed: 's', out: join(base, 'x'), ...over });

describe('synth flags', () => {
  it.each([
    [{ users: 'ten' }, /--users must be a whole number/],
    [{ users: '5' }, /--users must be at least 23/],
    [{ days: '0' }, /--days must be between 1 and 90/],
    [{ days: '2.5' }, /--days must be a whole number/],
    [{ attacks: 'aitm-replay,phishing' }, /unknown attack "phishing"/],
    [{ start: 'yesterday' }, /--start must be an ISO 8601/],
    [{ start: '2026-13-45' }, /--start is not a valid date/],
    [{ seed: ' ' }, /--seed must not be empty/],
  ])('rejects %j', async (over, msg) => {
    await expect(runSynth(flags(over), () => {})).rejects.toThrow(msg);
    await expect(runSynth(flags(over), () => {})).rejects.toBeInstanceOf(UserError);
  });

  it('refuses a non-empty --out without --force, and leaves it untouched', async () => {
    const out = join(base, 'full');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'x');
    await expect(runSynth(flags({ out }), () => {})).rejects.toThrow(/not empty/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  it('replaces --out with --force, leaving no temporary directories behind', async () => {
    const out = join(base, 'forced');
    mkdirSync(out);
    writeFileSync(join(out, 'old.txt'), 'x');
    await runSynth({ ...flags({ out }), force: true }, () => {});
    expect(readdirSync(out)).toContain('SigninLogs.ndjson');
    expect(readdirSync(out)).not.toContain('old.txt');
    expect(readdirSync(base).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('reports an unwritable parent as a user error and writes nothing', async () => {
    const ro = join(base, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    await expect(runSynth(flags({ out: join(ro, 'out') }), () => {})).rejects.toThrow(/cannot write to/);
    expect(readdirSync(ro)).toEqual([]);
  });

  it('reports an --out below a file as a user error', async () => {
    const f = join(base, 'plainfile');
    writeFileSync(f, 'x');
    await expect(runSynth(flags({ out: join(f, 'out') }), () => {})).rejects.toThrow(/cannot write to/);
  });

  it('the command exits 1 with a one-line message and no stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'synth', '--users', '30', '--days', 'x', '--seed', '1', '--out', join(base, 'cli')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--days must be a whole number/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(base, 'cli'))).toBe(false);
  });

  it('the command exits 1 when --out is a file', () => {
    const f = join(base, 'afile');
    writeFileSync(f, 'x');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'synth', '--users', '30', '--days', '1', '--seed', '1', '--out', f], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is not a directory/);
  });
});
