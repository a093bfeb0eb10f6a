// Every bundled Conditional Access policy against hand-written sign-in rows. The expected outcome of
// each (row, policy) pair was worked out by hand from the policy files and the rows below.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { attackerPasses, compilePolicy, type EvalContext, type Outcome } from '../src/ca/evaluate.js';
import { loadCaSet } from '../src/ca/load.js';
import type { CaPolicy } from '../src/ca/model.js';
import { readLogs, type SignIn } from '../src/ca/signins.js';
import { ROOT } from './helpers/cli.js';

const BG = 'b0000000-0000-0000-0000-00000000b001';
const ALICE = '11111111-1111-1111-1111-111111111111';
const RISKY = '22222222-2222-2222-2222-222222222222';
const EXO = '00000002-0000-0ff1-ce00-000000000000';
const GRAPH = '00000003-0000-0000-c000-000000000000';
const TEAMS_SVC = 'cc15fd57-2c6c-4117-a88c-83b1d56b4bbe';
const OFFICE = 'd3590ed6-52b3-4102-aeff-aad2292ab01c';
const OFFICEHOME = '4765445b-32c6-49b0-83e6-1d93765276ca';
const TEAMS = '1fec8e78-bce4-4aaf-ab1b-5451cc387264';
const OUTLOOK_MOBILE = '27922004-5251-4030-b22d-91ecd9a37ea4';

const laptop = { deviceId: 'd1d1d1d1-0000-0000-0000-000000000001', displayName: 'ALICE-1', operatingSystem: 'Windows10', browser: 'Edge 131', isCompliant: true, isManaged: true, trustType: 'Azure AD joined' };
const hybrid = { deviceId: 'd1d1d1d1-0000-0000-0000-000000000002', displayName: 'HQ-42', operatingSystem: 'Windows10', browser: '', isCompliant: false, isManaged: true, trustType: 'Hybrid Azure AD joined' };
const unmanagedWin = { deviceId: '', displayName: '', operatingSystem: 'Windows10', browser: '', isCompliant: false, isManaged: false, trustType: '' };
const unmanagedMac = { deviceId: '', displayName: '', operatingSystem: 'MacOs', browser: 'Chrome 131', isCompliant: false, isManaged: false, trustType: '' };
const rogue = { deviceId: 'e0e0e0e0-0000-0000-0000-000000000009', displayName: 'DESKTOP-X', operatingSystem: 'Windows10', browser: '', isCompliant: false, isManaged: false, trustType: 'Azure AD registered' };
const iphone = { deviceId: 'f0f0f0f0-0000-0000-0000-000000000003', displayName: 'iPhone', operatingSystem: 'Ios', browser: '', isCompliant: true, isManaged: true, trustType: 'Azure AD registered' };
const linuxBox = { deviceId: '', displayName: '', operatingSystem: 'Linux', browser: '', isCompliant: false, isManaged: false, trustType: '' };

const FRESH_MFA = JSON.stringify([{ authenticationMethod: 'Password', succeeded: true }, { authenticationMethod: 'Mobile app notification', succeeded: true }]);
const CLAIM = JSON.stringify([{ authenticationMethod: 'Previously satisfied', succeeded: true }]);

interface RowSpec {
  name: string;
  user?: string;
  upn?: string;
  app: string;
  resource: string;
  client: string;
  device: Record<string, unknown>;
  interactive: boolean;
  auth: string;
  mfa: boolean;
  risk?: string;
  transfer?: string;
}

const ROWS: RowSpec[] = [
  { name: 'R1 managed laptop, Outlook desktop -> Exchange', app: OFFICE, resource: EXO, client: 'Mobile Apps and Desktop clients', device: laptop, interactive: false, auth: '[]', mfa: true },
  { name: 'R2 unregistered Windows, replayed refresh token -> Exchange', app: OFFICE, resource: EXO, client: 'Mobile Apps and Desktop clients', device: unmanagedWin, interactive: false, auth: '[]', mfa: false },
  { name: 'R3 unmanaged Mac browser, session replayed with MFA claim, medium risk', app: OFFICEHOME, resource: EXO, client: 'Browser', device: unmanagedMac, interactive: true, auth: CLAIM, mfa: true, risk: 'medium' },
  { name: 'R4 hybrid-joined Windows, Teams desktop, fresh MFA, low risk', app: TEAMS, resource: TEAMS_SVC, client: 'Mobile Apps and Desktop clients', device: hybrid, interactive: true, auth: FRESH_MFA, mfa: true, risk: 'low' },
  { name: 'R5 IMAP (legacy authentication) from an unknown device', app: OFFICE, resource: EXO, client: 'IMAP4', device: { ...unmanagedWin, operatingSystem: '' }, interactive: true, auth: FRESH_MFA, mfa: false },
  { name: 'R6 Azure CLI by device code on Linux', app: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', resource: '797f4846-ba00-4fd7-ba43-dac1f8f63013', client: 'Mobile Apps and Desktop clients', device: linuxBox, interactive: true, auth: FRESH_MFA, mfa: true, transfer: 'deviceCodeFlow' },
  { name: 'R7 break-glass account from an unregistered device', user: BG, upn: 'bg-admin01@contoso.com', app: OFFICE, resource: EXO, client: 'Mobile Apps and Desktop clients', device: unmanagedWin, interactive: false, auth: '[]', mfa: false },
  { name: 'R8 high user risk, managed laptop browser, fresh MFA', user: RISKY, upn: 'risky@contoso.com', app: OFFICEHOME, resource: EXO, client: 'Browser', device: laptop, interactive: true, auth: FRESH_MFA, mfa: true },
  { name: 'R9 attacker-registered Windows device, Office -> Graph with its PRT', app: OFFICE, resource: GRAPH, client: 'Mobile Apps and Desktop clients', device: rogue, interactive: false, auth: '[]', mfa: true },
  { name: 'R10 compliant iPhone, Outlook Mobile -> Exchange', app: OUTLOOK_MOBILE, resource: EXO, client: 'Mobile Apps and Desktop clients', device: iphone, interactive: false, auth: '[]', mfa: true },
];

// Columns: SG-CA-01 .. SG-CA-08. '-' = the policy does not apply.
type Cell = Outcome | '-';
const EXPECTED: Record<string, Cell[]> = {
  R1: ['session', '-', 'allow', '-', '-', '-', '-', '-'],
  R2: ['block', '-', 'block', '-', '-', '-', '-', '-'],
  R3: ['-', 'challenge', 'block', 'challenge', '-', '-', '-', '-'],
  R4: ['session', '-', '-', '-', '-', '-', '-', 'allow'],
  R5: ['-', '-', 'block', '-', '-', '-', 'block', '-'],
  R6: ['-', '-', '-', '-', '-', 'block', '-', 'block'],
  R7: ['-', '-', '-', '-', '-', '-', '-', '-'],
  R8: ['-', '-', 'allow', '-', 'challenge', '-', '-', '-'],
  R9: ['-', '-', '-', '-', '-', '-', '-', 'block'],
  R10: ['-', '-', 'allow', '-', '-', '-', '-', '-'],
};

function row(r: RowSpec, i: number): Record<string, unknown> {
  const at = new Date(Date.parse('2026-11-03T10:00:00Z') + i * 60_000).toISOString();
  const text = (v: unknown) => (r.interactive ? v : JSON.stringify(v));
  return {
    TimeGenerated: at,
    CreatedDateTime: at,
    Id: `row-${i}`,
    UserId: r.user ?? ALICE,
    UserPrincipalName: r.upn ?? 'alice@contoso.com',
    UserType: 'Member',
    AppId: r.app,
    ResourceIdentity: r.resource,
    ClientAppUsed: r.client,
    DeviceDetail: text(r.device),
    LocationDetails: text({ countryOrRegion: 'US' }),
    IPAddress: `198.51.100.${i + 1}`,
    AuthenticationDetails: r.auth,
    AuthenticationRequirement: r.mfa ? 'multiFactorAuthentication' : 'singleFactorAuthentication',
    RiskLevelDuringSignIn: r.risk ?? 'none',
    RiskLevelAggregated: r.risk ?? 'none',
    OriginalTransferMethod: r.transfer ?? 'none',
    SessionId: `session-${i}`,
    IsInteractive: r.interactive,
    ResultType: '0',
  };
}

let policies: CaPolicy[];
let signIns: SignIn[];
const ctx: EvalContext = {
  members: new Map(),
  namedLocations: [],
  // RISKY has an open high detection from before the rows; nobody else is at risk.
  userRisk: (userId) => (userId === RISKY ? 'high' : 'none'),
  // Every replayed session last saw a person authenticate two hours ago.
  sinceFreshAuth: () => 2 * 3_600_000,
};

beforeAll(async () => {
  const loaded = loadCaSet(join(ROOT, 'ca'), { watchlistBreakGlass: [BG] });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  policies = loaded.set.policies.map((p) => p.policy);
  const dir = mkdtempSync(join(tmpdir(), 'sg-ca-eval-'));
  const interactive = ROWS.map((r, i) => [r, i] as const).filter(([r]) => r.interactive);
  const non = ROWS.map((r, i) => [r, i] as const).filter(([r]) => !r.interactive);
  writeFileSync(join(dir, 'SigninLogs.ndjson'), interactive.map(([r, i]) => JSON.stringify(row(r, i))).join('\n') + '\n');
  writeFileSync(join(dir, 'AADNonInteractiveUserSignInLogs.ndjson'), non.map(([r, i]) => JSON.stringify(row(r, i))).join('\n') + '\n');
  signIns = (await readLogs([dir])).signIns;
});

describe('the bundled policies on hand-written sign-ins', () => {
  it('loads the eight bundled policies, each excluding the break-glass account', () => {
    expect(policies.map((p) => p.displayName.slice(0, 8))).toEqual(['SG-CA-01', 'SG-CA-02', 'SG-CA-03', 'SG-CA-04', 'SG-CA-05', 'SG-CA-06', 'SG-CA-07', 'SG-CA-08']);
    for (const p of policies) expect(p.conditions.users.excludeUsers).toContain(BG);
  });

  for (const [i, spec] of ROWS.entries()) {
    it(spec.name, () => {
      const s = signIns.find((x) => x.id === `row-${i}`)!;
      expect(s).toBeDefined();
      const got = policies.map((p) => {
        const d = compilePolicy(p, ctx).evaluate(s);
        return d.outcome === 'notApplied' ? '-' : d.outcome;
      });
      expect(got).toEqual(EXPECTED[spec.name.split(' ')[0]!]);
    });
  }

  it('says why: token protection has no device to bind to, the device is not compliant, reauthentication is due', () => {
    const [p1, p2, p3] = policies;
    const r2 = signIns.find((x) => x.id === 'row-1')!;
    expect(compilePolicy(p1!, ctx).evaluate(r2).blocks).toEqual(['token protection: no registered device to bind the session to']);
    expect(compilePolicy(p3!, ctx).evaluate(r2).blocks).toEqual(['device not compliant', 'device not hybrid-joined']);
    const r3 = signIns.find((x) => x.id === 'row-2')!;
    expect(compilePolicy(p2!, ctx).evaluate(r3)).toMatchObject({ challenges: ['reauthentication'], session: ['sign-in frequency: 1 hours', 'persistent browser: never'] });
  });

  it('a relaying proxy answers an MFA challenge; a replayed token answers none', () => {
    const mfaOnly: CaPolicy = { displayName: 'mfa', state: 'enabled', conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] }, clientAppTypes: ['all'] }, grantControls: { operator: 'OR', builtInControls: ['mfa'] } };
    const everyTime: CaPolicy = { ...mfaOnly, sessionControls: { signInFrequency: { isEnabled: true, frequencyInterval: 'everyTime' } } };
    const proxy = { ...signIns.find((x) => x.id === 'row-3')!, mfaSatisfied: false };
    const replay = signIns.find((x) => x.id === 'row-2')!;
    const dProxy = compilePolicy(mfaOnly, ctx).evaluate(proxy);
    expect(dProxy.outcome).toBe('challenge');
    expect(attackerPasses(dProxy, proxy)).toBe(true);
    const dReplay = compilePolicy(everyTime, ctx).evaluate(replay);
    expect(dReplay).toMatchObject({ outcome: 'challenge', challenges: ['reauthentication'] });
    expect(attackerPasses(dReplay, replay)).toBe(false);
  });
});

describe('conditions beyond the bundled set', () => {
  const base = (extra: Partial<CaPolicy['conditions']>): CaPolicy => ({
    displayName: 'x',
    state: 'enabled',
    conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] }, clientAppTypes: ['all'], ...extra },
    grantControls: { operator: 'OR', builtInControls: ['block'] },
  });
  const at = (i: number) => signIns.find((x) => x.id === `row-${i}`)!;
  const out = (p: CaPolicy, s: SignIn, c: EvalContext = ctx) => compilePolicy(p, c).evaluate(s).outcome;

  it('named locations: trusted IP ranges and countries, included and excluded', () => {
    const c: EvalContext = {
      ...ctx,
      namedLocations: [
        { '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: 'HQ', isTrusted: true, ipRanges: [{ cidrAddress: '198.51.100.0/30' }] },
        { '@odata.type': '#microsoft.graph.countryNamedLocation', id: 'c0c0c0c0-0000-0000-0000-000000000001', displayName: 'Allowed countries', countriesAndRegions: ['US', 'GB'] },
      ],
    };
    const outsideTrusted = base({ locations: { includeLocations: ['All'], excludeLocations: ['AllTrusted'] } });
    // row-0 is 198.51.100.1 (inside /30), row-4 is 198.51.100.5 (outside).
    expect(out(outsideTrusted, at(0), c)).toBe('notApplied');
    expect(out(outsideTrusted, at(4), c)).toBe('block');
    const notAllowedCountry = base({ locations: { includeLocations: ['All'], excludeLocations: ['c0c0c0c0-0000-0000-0000-000000000001'] } });
    expect(out(notAllowedCountry, at(4), c)).toBe('notApplied');
    expect(out(base({ locations: { includeLocations: ['HQ'] } }), at(0), c)).toBe('block');
  });

  it('groups from the membership file, platforms and device filters', () => {
    const g = '99999999-9999-9999-9999-999999999999';
    const c: EvalContext = { ...ctx, members: new Map([[g, new Set(['alice@contoso.com'])]]) };
    expect(out({ ...base({}), conditions: { ...base({}).conditions, users: { includeGroups: [g] } } }, at(0), c)).toBe('block');
    expect(out({ ...base({}), conditions: { ...base({}).conditions, users: { includeUsers: ['All'], excludeGroups: [g] } } }, at(0), c)).toBe('notApplied');
    expect(out(base({ platforms: { includePlatforms: ['all'], excludePlatforms: ['windows'] } }), at(0))).toBe('notApplied');
    expect(out(base({ platforms: { includePlatforms: ['all'], excludePlatforms: ['windows'] } }), at(9))).toBe('block');
    expect(out(base({ devices: { deviceFilter: { mode: 'include', rule: 'device.trustType -in ["Workplace"] -and device.isCompliant -ne True' } } }), at(8))).toBe('block');
    expect(out(base({ devices: { deviceFilter: { mode: 'include', rule: 'device.trustType -in ["Workplace"] -and device.isCompliant -ne True' } } }), at(9))).toBe('notApplied');
  });
});
