// ca plan / apply through the CLI against the fake Graph: report-only by default, idempotent,
// never touches a policy we did not create, refuses to drop the break-glass exclusion.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningFake } from '../scripts/fake-azure/index.js';
import { fakeAzure } from './helpers/fake.js';
import { hasStackTrace, project, ROOT, runCliAsync } from './helpers/cli.js';

const BG = 'b0000000-0000-0000-0000-00000000b001';
const BG2 = 'b0000000-0000-0000-0000-00000000b002';
const TOKEN = 'tok-ca-secret-123';
const PREFIX = '[sessionguard] ';

let f: RunningFake;
let dir: string;
const writes = () => f.fake.requests.filter((r) => r.method !== 'GET');
const managed = () => [...f.conditionalAccess.policies.values()].filter((p) => String(p.displayName).startsWith(PREFIX));
const byName = (name: string) => managed().find((p) => p.displayName === PREFIX + name)!;
const cli = async (...args: string[]) => {
  const r = await runCliAsync(['ca', ...args], dir, f.env(TOKEN));
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
  expect(hasStackTrace(r.stderr)).toBe(false);
  return r;
};

const OFFICE_POLICY = `displayName: Block outside the office for admins
conditions:
  users:
    includeRoles: [62e90394-69f5-4237-9190-012177145e10]
    excludeUsers: [SG:BreakGlass]
  applications:
    includeApplications: [All]
  clientAppTypes: [all]
  locations:
    includeLocations: [All]
    excludeLocations: [Head office]
grantControls:
  operator: OR
  builtInControls: [block]
`;

beforeAll(async () => {
  f = await fakeAzure({ pageSize: 2 });
  dir = project({
    'sessionguard.yaml': 'workspaces:\n  - name: prod\n    tenantId: 00000000-0000-0000-0000-0000000000aa\n',
    'ca/named-locations.yaml': `- '@odata.type': '#microsoft.graph.ipNamedLocation'\n  displayName: Head office\n  isTrusted: true\n  ipRanges:\n    - cidrAddress: 203.0.113.0/24\n`,
    'ca/sg-ca-90-admins-office-only.yaml': OFFICE_POLICY,
  });
  cpSync(join(ROOT, 'ca'), join(dir, 'ca'), { recursive: true });
  writeFileSync(join(dir, 'ca', 'settings.yaml'), `breakGlass: [${BG}, ${BG2}]\n`);
  // Someone else's policy, made in the portal; ours must never touch it.
  f.conditionalAccess.addPolicy({ displayName: 'Contoso - MFA for everyone', state: 'enabled', conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] }, clientAppTypes: ['all'] }, grantControls: { operator: 'OR', builtInControls: ['mfa'] } });
}, 60_000);
afterAll(async () => {
  await f.stop();
});

describe('ca plan and apply against the fake Graph', async () => {
  let foreign: string;

  it('plan lists every creation in report-only state and writes nothing', async () => {
    foreign = JSON.stringify([...f.conditionalAccess.policies.values()][0]);
    const r = await cli('plan', '--workspace', 'prod', '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { policyVersion: string; changes: { kind: string; action: string; name: string; state?: string }[]; unmanaged: string[]; drift: string[] };
    expect(j.policyVersion).toBe('beta'); // token protection exists only in beta
    expect(j.changes.filter((c) => c.kind === 'policy').map((c) => [c.action, c.state])).toEqual(Array(9).fill(['create', 'enabledForReportingButNotEnforced']));
    expect(j.changes.filter((c) => c.kind === 'namedLocation')).toEqual([{ kind: 'namedLocation', action: 'create', name: 'Head office' }]);
    expect(j.unmanaged).toEqual(['Contoso - MFA for everyone']);
    expect(writes()).toEqual([]);
  });

  it('apply creates the named location, then the policies, report-only, each excluding the break-glass accounts', async () => {
    const r = await cli('apply', '--workspace', 'prod');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('10 write(s)');
    const w = writes();
    expect(w.map((x) => `${x.method} ${x.path.replace(/\/[0-9a-f-]{36}$/, '/{id}')}`)).toEqual([
      'POST /v1.0/identity/conditionalAccess/namedLocations',
      ...Array(9).fill('POST /beta/identity/conditionalAccess/policies'),
    ]);
    expect(w.every((x) => x.status === 201 && x.problems.length === 0)).toBe(true);
    expect(managed()).toHaveLength(9);
    for (const p of managed()) {
      expect(p.state).toBe('enabledForReportingButNotEnforced');
      expect((p.conditions as { users: { excludeUsers: string[] } }).users.excludeUsers).toEqual(expect.arrayContaining([BG, BG2]));
    }
    // The location is referred to by the id Graph gave it.
    const loc = [...f.conditionalAccess.namedLocations.values()][0]!;
    expect(loc.displayName).toBe(`${PREFIX}Head office`);
    expect((byName('Block outside the office for admins').conditions as { locations: unknown }).locations).toEqual({ includeLocations: ['All'], excludeLocations: [loc.id] });
    expect(byName('SG-CA-01 Token protection for Windows desktop clients').sessionControls).toEqual({ secureSignInSession: { isEnabled: true } });
    expect(JSON.stringify([...f.conditionalAccess.policies.values()].find((p) => p.displayName === 'Contoso - MFA for everyone'))).toBe(foreign);
  });

  it('a second apply writes nothing (pages of two are followed)', async () => {
    const before = writes().length;
    const r = await cli('apply', '--workspace', 'prod');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0 write(s)');
    expect(writes().length).toBe(before);
    expect(f.fake.requests.some((x) => x.method === 'GET' && x.query.$skiptoken)).toBe(true);
  });

  it('plan reports a managed policy that lost the break-glass exclusion as drift; apply restores it', async () => {
    const p = byName('SG-CA-03 Exchange and SharePoint need a compliant or hybrid-joined device');
    (p.conditions as { users: { excludeUsers: string[] } }).users.excludeUsers = [BG];
    const plan = await cli('plan', '--workspace', 'prod');
    expect(plan.stdout).toContain("drift: policy 'SG-CA-03 Exchange and SharePoint need a compliant or hybrid-joined device' no longer excludes the break-glass accounts");
    expect(plan.stdout).toContain("~ update policy 'SG-CA-03 Exchange and SharePoint need a compliant or hybrid-joined device' [enabledForReportingButNotEnforced]: conditions.users");
    const before = writes().length;
    const r = await cli('apply', '--workspace', 'prod');
    expect(r.code).toBe(0);
    const w = writes().slice(before);
    expect(w.map((x) => x.method)).toEqual(['PATCH']);
    expect(w[0]!.path).toBe(`/beta/identity/conditionalAccess/policies/${p.id}`);
    expect((byName('SG-CA-03 Exchange and SharePoint need a compliant or hybrid-joined device').conditions as { users: { excludeUsers: string[] } }).users.excludeUsers).toEqual(expect.arrayContaining([BG, BG2]));
  });

  it('refuses to apply a policy without the break-glass exclusion, at its line and column, writing nothing', async () => {
    const file = join(dir, 'ca', 'sg-ca-07-block-legacy-authentication.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('    excludeUsers: [SG:BreakGlass]\n', '    excludeUsers: [44444444-4444-4444-4444-444444444444]\n'));
    const before = writes().length;
    const r = await cli('apply', '--workspace', 'prod');
    writeFileSync(file, text);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ca\/sg-ca-07-block-legacy-authentication\.yaml:7:19: error: users\.excludeUsers must exclude the break-glass accounts/m);
    expect(r.stderr).toContain('nothing done');
    expect(writes().length).toBe(before);
  });

  it('--enable enforces; a later apply without it keeps that enforcement', async () => {
    const r = await cli('apply', '--workspace', 'prod', '--enable');
    expect(r.code).toBe(0);
    expect(managed().every((p) => p.state === 'enabled')).toBe(true);
    const again = await cli('apply', '--workspace', 'prod');
    expect(again.stdout).toContain('0 write(s)');
  });

  it('a policy removed from ca/ is deleted; the portal policy is left alone', async () => {
    rmSync(join(dir, 'ca', 'sg-ca-90-admins-office-only.yaml'));
    rmSync(join(dir, 'ca', 'named-locations.yaml'));
    const before = writes().length;
    const r = await cli('apply', '--workspace', 'prod');
    expect(r.code).toBe(0);
    // The policy goes before the location it refers to (Graph refuses to delete a location in use).
    expect(writes().slice(before).map((x) => `${x.method} ${x.path.split('/').slice(-2, -1)[0]}`)).toEqual(['DELETE policies', 'DELETE namedLocations']);
    expect(managed()).toHaveLength(8);
    expect(f.conditionalAccess.namedLocations.size).toBe(0);
    expect(JSON.stringify([...f.conditionalAccess.policies.values()].find((p) => p.displayName === 'Contoso - MFA for everyone'))).toBe(foreign);
    expect(f.fake.requests.filter((x) => x.method !== 'GET').every((x) => !x.path.endsWith([...f.conditionalAccess.policies.values()][0]!.id as string))).toBe(true);
  });

  it('a Graph failure is a user error naming the call, with what was done before it', async () => {
    f.fake.faults.add({ method: 'PATCH', path: /conditionalAccess\/policies/i, times: 1, status: 400, body: { error: { code: 'BadRequest', message: 'injected refusal' } } });
    const p = byName('SG-CA-06 Block device code flow');
    p.state = 'disabled';
    const r = await cli('apply', '--workspace', 'prod');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Microsoft Graph refused update policy 'SG-CA-06 Block device code flow' (state): 400 BadRequest injected refusal (nothing written)");
  });
});
