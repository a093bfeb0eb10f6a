// Policy files are checked like rules: schema and semantics, every problem at once, at file:line:col.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCaSet } from '../src/ca/load.js';
import { formatDiagnostic, sortDiagnostics } from '../src/diagnostics.js';
import { hasStackTrace, project, runCli } from './helpers/cli.js';

const BG = 'b0000000-0000-0000-0000-00000000b001';

function caDir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sg-ca-load-'));
  const dir = join(root, 'ca');
  mkdirSync(dir);
  for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, n), t);
  return dir;
}

const lines = (dir: string, bg: string[] = [BG]) => {
  const r = loadCaSet(dir, { watchlistBreakGlass: bg, cwd: join(dir, '..') });
  return { ...r, text: sortDiagnostics(r.diagnostics).map(formatDiagnostic) };
};

const GOOD = `displayName: Block legacy
conditions:
  users:
    includeUsers: [All]
    excludeUsers: [SG:BreakGlass]
  applications:
    includeApplications: [All]
  clientAppTypes: [exchangeActiveSync, other]
grantControls:
  operator: OR
  builtInControls: [block]
`;

describe('loading ca/', () => {
  it('expands SG:BreakGlass into the configured ids and defaults the state to enabled', () => {
    const r = lines(caDir({ 'a.yaml': GOOD }));
    expect(r.text).toEqual([]);
    expect(r.set.policies[0]!.policy.conditions.users.excludeUsers).toEqual([BG]);
    expect(r.set.policies[0]!.policy.state).toBe('enabled');
  });

  it('reports every problem at its place: break-glass, unknown location, block with others, filter syntax, unknown field', () => {
    const bad = `displayName: Bad
state: enabled
conditions:
  users:
    includeUsers: [All]
  applications:
    includeApplications: [All]
  clientAppTypes: [all]
  locations:
    includeLocations: [Head ofice]
  devices:
    deviceFilter:
      mode: include
      rule: device.isCompliant -eq True -and device.colour -eq "red"
grantControls:
  operator: OR
  builtInControls: [block, mfa]
`;
    const locs = `- '@odata.type': '#microsoft.graph.ipNamedLocation'
  displayName: Head office
  ipRanges:
    - cidrAddress: 203.0.113.0/33
`;
    const typo = GOOD.replace('grantControls:', 'grantControl:');
    const r = lines(caDir({ 'bad.yaml': bad, 'named-locations.yaml': locs, 'typo.yaml': typo }));
    expect(r.set.policies).toEqual([]);
    expect(r.text).toEqual([
      'ca/bad.yaml:5:5: error: users.excludeUsers must exclude the break-glass accounts: add SG:BreakGlass (or b0000000-0000-0000-0000-00000000b001)',
      "ca/bad.yaml:10:24: error: unknown named location 'Head ofice'; expected All, AllTrusted, or a displayName from ca/named-locations.yaml (did you mean 'Head office'?)",
      "ca/bad.yaml:14:46: error: device filter: unknown device property 'colour'; known: deviceId, displayName, operatingSystem, isCompliant, trustType",
      'ca/bad.yaml:17:20: error: block cannot be combined with other grant controls',
      "ca/named-locations.yaml:4:20: error: /33 is too long for an IPv4 address; expected address/prefix",
      "ca/typo.yaml:9:1: error: unknown field 'grantControl'; did you mean 'grantControls'?",
    ]);
  });

  it('needs a break-glass account from settings.yaml or the watchlist', () => {
    const r = lines(caDir({ 'a.yaml': GOOD }), []);
    expect(r.text).toEqual(['ca/settings.yaml:1:1: error: no break-glass account configured: list their object ids under breakGlass: in this file, or as AadUserId rows of the sg_excluded_accounts watchlist']);
    const s = lines(caDir({ 'a.yaml': GOOD, 'settings.yaml': `breakGlass: [${BG}, not-a-guid]\n` }), []);
    expect(s.text).toEqual(['ca/settings.yaml:1:52: error: breakGlass[1]: "not-a-guid" is not a valid user object id (GUID)']);
  });

  it('checks Graph rules: passwordChange with mfa and All apps, persistent browser with All apps, sign-in frequency shape', () => {
    const p = `displayName: P
conditions:
  users: { includeUsers: [All], excludeUsers: [SG:BreakGlass] }
  applications: { includeApplications: [00000002-0000-0ff1-ce00-000000000000] }
  clientAppTypes: [browser]
grantControls: { operator: OR, builtInControls: [passwordChange] }
sessionControls:
  persistentBrowser: { isEnabled: true, mode: never }
  signInFrequency: { isEnabled: true, frequencyInterval: timeBased, type: hours, value: 30 }
`;
    expect(lines(caDir({ 'p.yaml': p })).text).toEqual([
      'ca/p.yaml:6:49: error: passwordChange needs operator AND with mfa, and applications.includeApplications [All]',
      'ca/p.yaml:8:22: error: persistentBrowser works only with applications.includeApplications [All]',
      'ca/p.yaml:9:89: error: hours must be 1-23; use days for longer',
    ]);
  });

  it('ca validate through the CLI: exit 1, the diagnostics, no stack trace; and init scaffolds the bundled set', () => {
    const dir = project({ 'ca/x.yaml': 'displayName: [oops\n' });
    const r = runCli(['ca', 'validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ca\/x\.yaml:\d+:\d+: error: invalid YAML/m);
    expect(hasStackTrace(r.stderr)).toBe(false);
    const fresh = project({});
    expect(runCli(['init'], fresh).code).toBe(0);
    writeFileSync(join(fresh, 'rules', 'watchlists', 'sg_excluded_accounts.csv'), `AadUserId,UserPrincipalName,Reason\n${BG},bg@contoso.com,break-glass\n`);
    const v = runCli(['ca', 'validate'], fresh);
    expect(v.stderr).toBe('');
    expect(v.stdout).toBe('8 policies, 0 named locations; every policy excludes 1 break-glass account(s)\n');
  }, 60_000);
});
