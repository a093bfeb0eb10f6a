// The bundled policies replayed over a synthesized tenant with every attack and every look-alike:
// the replays from unmanaged devices are stopped and no look-alike (all on managed devices) is touched.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCaSet } from '../src/ca/load.js';
import { readLogs, type RecordedLogs } from '../src/ca/signins.js';
import { readAttackLabels, whatIf, whatIfJson, type WhatIfReport } from '../src/ca/whatif.js';
import { ATTACK_NAMES } from '../src/synth/attacks.js';
import { synthesize } from '../src/synth/synth.js';
import { hasStackTrace, project, ROOT, runCli } from './helpers/cli.js';

let dir: string;
let logs: RecordedLogs;
let report: WhatIfReport;
let lookalikes: { id: string; account: string; kind: string; userId: string }[];
let breakGlass: string;

beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'sg-ca-whatif-')), 'tenant');
  mkdirSync(dir);
  await synthesize({ users: 40, days: 3, seed: 'ca-whatif', attacks: [...ATTACK_NAMES], start: Date.parse('2026-11-02T00:00:00Z') }, dir);
  lookalikes = JSON.parse(readFileSync(join(dir, 'lookalikes.json'), 'utf8'));
  breakGlass = lookalikes.find((l) => l.kind === 'break-glass')!.userId;
  const { set, diagnostics } = loadCaSet(join(ROOT, 'ca'), { watchlistBreakGlass: [breakGlass] });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  logs = await readLogs([dir]);
  report = whatIf(set, logs, { labels: readAttackLabels(join(dir, 'labels.json')) });
}, 120_000);

describe('ca whatif on a synthesized tenant', () => {
  it('stops all seven attacks: every attacker sign-in would have failed', () => {
    expect(report.attacks.map((a) => a.id)).toEqual(ATTACK_NAMES.map((n, i) => `atk-0${i + 1}-${n}`));
    for (const a of report.attacks) {
      expect(a.signIns, a.id).toBeGreaterThan(0);
      expect(a.stoppedSignIns, a.id).toBe(a.signIns);
    }
    expect(whatIfJson(report).attacksNotStopped).toEqual([]);
  });

  it('the attacker devices really are unmanaged or attacker-registered, and not compliant', () => {
    const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as { account: string; start: string; ips: string[] }[];
    for (const l of labels) {
      const rows = logs.signIns.filter((s) => s.upn === l.account && s.at >= Date.parse(l.start) && l.ips.includes(s.ip) && s.success);
      expect(rows.length).toBeGreaterThan(0);
      for (const s of rows) expect(s.device.isCompliant === true || s.device.trustType === 'ServerAD').toBe(false);
    }
  });

  it('affects no look-alike: each signs in from managed devices, and no policy blocks or challenges them', () => {
    const affected = new Set(report.policies.flatMap((p) => p.usersAffected));
    for (const l of lookalikes) {
      const rows = logs.signIns.filter((s) => s.userId === l.userId.toLowerCase() && s.success);
      expect(rows.length, l.id).toBeGreaterThan(0);
      expect(rows.every((s) => s.device.isManaged), l.id).toBe(true);
      expect(affected.has(l.account.toLowerCase()), l.id).toBe(false);
    }
  });

  it('affects only attacked accounts (victims are asked to change their password once risk is high)', () => {
    const attacked = new Set(report.attacks.map((a) => a.account.toLowerCase()));
    const affected = [...new Set(report.policies.flatMap((p) => p.usersAffected))];
    expect(affected.length).toBeGreaterThan(0);
    expect(affected.filter((u) => !attacked.has(u))).toEqual([]);
  });

  it('the CLI prints exactly the documented JSON shape', () => {
    const p = project({ 'rules/watchlists/sg_excluded_accounts.csv': 'AadUserId,UserPrincipalName,Reason\n' });
    cpSync(join(ROOT, 'ca'), join(p, 'ca'), { recursive: true });
    const r = runCli(['ca', 'whatif', '--logs', dir, '--labels', join(dir, 'labels.json'), '--format', 'json'], p);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['policies', 'attacksStopped', 'attacksNotStopped']);
    const pols = j.policies as Record<string, unknown>[];
    expect(pols).toHaveLength(8);
    for (const x of pols) expect(Object.keys(x)).toEqual(['name', 'blocked', 'challenged', 'usersAffected']);
    expect(j.attacksStopped).toEqual(ATTACK_NAMES.map((n, i) => `atk-0${i + 1}-${n}`));
    expect(j.attacksNotStopped).toEqual([]);
    // The tenant's own watchlist (beside the logs) supplied the break-glass id: it is never affected.
    expect(pols.flatMap((x) => x.usersAffected as string[])).not.toContain('bg-admin01@contoso.com');
  }, 120_000);

  it('with only the Exchange and SharePoint policy, attacks that go for Graph get through', () => {
    const p = project({ 'ca/settings.yaml': `breakGlass: [${breakGlass}]\n` });
    cpSync(join(ROOT, 'ca', 'sg-ca-03-compliant-device-exchange-sharepoint.yaml'), join(p, 'ca', 'sg-ca-03.yaml'));
    const r = runCli(['ca', 'whatif', '--logs', dir, '--labels', join(dir, 'labels.json')], p);
    expect(r.code).toBe(0);
    // mfa-register: My Sign-ins -> Graph; kit-useragent: tokens redeemed for Graph.
    expect(r.stdout).toMatch(/not stopped\s+atk-05-mfa-register/);
    expect(r.stdout).toMatch(/not stopped\s+atk-03-kit-useragent/);
    expect(r.stdout).toMatch(/first through: My Signins -> Microsoft Graph/);
  }, 120_000);

  it('bad input is a user error with a place, never a stack trace', () => {
    const p = project({ 'groups.yaml': 'not-a-guid: [a]\n', 'labels.json': '{"x":1}' });
    cpSync(join(ROOT, 'ca'), join(p, 'ca'), { recursive: true });
    writeFileSync(join(p, 'ca', 'settings.yaml'), `breakGlass: [${breakGlass}]\n`);
    const g = runCli(['ca', 'whatif', '--logs', dir, '--groups', 'groups.yaml'], p);
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(/^groups\.yaml:1:1: error: 'not-a-guid' is not a valid name here/m);
    const l = runCli(['ca', 'whatif', '--logs', dir, '--labels', 'labels.json'], p);
    expect(l.code).toBe(1);
    expect(l.stderr).toContain('labels.json:1:1: expected a JSON array');
    const bad = join(p, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'SigninLogs.ndjson'), '{"UserId":"u","ResultType":"0"}\nnot json\n[1]\n');
    const b = runCli(['ca', 'whatif', '--logs', bad, '--format', 'xml'], p);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("--format: expected text or json, got 'xml'");
    const s = runCli(['ca', 'whatif', '--logs', bad], p);
    expect(s.code).toBe(0);
    expect(s.stderr).toContain('skipped 3 unreadable row(s)');
    for (const x of [g, l, b, s]) expect(hasStackTrace(x.stderr)).toBe(false);
  }, 120_000);
});
