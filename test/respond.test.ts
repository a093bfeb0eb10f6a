// `sessionguard respond` and `sessionguard grant`, run as a user runs them, against the local fake
// Azure (ARM + Graph) through the real SDK and Graph clients. Assertions are on the exact Graph
// requests and on the fake's state.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hasStackTrace, project, ROOT } from './helpers/cli.js';
import { fakeAzure, SUB } from './helpers/fake.js';
import type { RunningFake } from '../scripts/fake-azure/index.js';
import { azureContext, graphClient, logicClient } from '../src/azure/context.js';
import { loadConfig } from '../src/rules/config.js';
import { loadExclusions } from '../src/respond/exclusions.js';
import { respond, type RespondAction } from '../src/respond/respond.js';
import { grant } from '../src/respond/grant.js';

// The fake lives in this process, so the CLI child must run without blocking it (no spawnSync).
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
function cli(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const ANA = '6f1c2d8e-0b9a-4c47-9a51-3e2f7d6c1a01';
const BREAKGLASS = 'b9e1a000-0000-4000-8000-0000000000b1';
const SVC = '5e7c0000-0000-4000-8000-0000000000c1';
const TOKEN = 'tok-respond-secret-7f3a';

const PLAYBOOK_CONTAIN = `name: sg-contain
tier: contain
steps: [revokeSessions, disableAccount, confirmCompromised, comment, notifyTeams, notifyUser]
guardrails:
  excludedAccounts:
    watchlist: sg_excluded_accounts
    objectIds: [${SVC}]
  maxAccountsPerHour: 10
`;
const PLAYBOOK_REVOKE = `name: sg-revoke
tier: revoke
steps: [revokeSessions, confirmCompromised, requirePasswordChange, removeAuthMethodsSince, comment]
`;
const PLAYBOOK_NOTIFY = `name: sg-notify
tier: notify
steps: [comment, tag, notifyTeams]
`;
const CONFIG = `workspaces:
  - name: prod
    subscriptionId: ${SUB}
    resourceGroup: rg-sentinel
    workspaceName: law-sentinel
  - name: local
`;

function repo(extra: Record<string, string> = {}): string {
  return project({
    'sessionguard.yaml': CONFIG,
    'rules/watchlists/sg_excluded_accounts.csv': `AadUserId,UserPrincipalName,Reason\n${BREAKGLASS},,break-glass 1\n`,
    'playbooks/sg-contain.yaml': PLAYBOOK_CONTAIN,
    'playbooks/sg-revoke.yaml': PLAYBOOK_REVOKE,
    'playbooks/sg-notify.yaml': PLAYBOOK_NOTIFY,
    ...extra,
  });
}

let f: RunningFake;
let dir: string;
beforeAll(async () => {
  f = await fakeAzure({ pageSize: 2 });
  dir = repo();
});
afterAll(async () => {
  await f.stop();
});
beforeEach(() => {
  // Fresh Graph state per test: the same users, nothing done yet.
  f.graph.users.clear();
  f.graph.mutations.length = 0;
  f.graph.permissions.length = 0;
  f.graph.allow();
  f.fake.faults.clear();
  f.graph.addUser({
    id: ANA,
    userPrincipalName: 'ana.lopez@contoso.com',
    authMethods: [
      { id: 'auth-old', type: 'microsoftAuthenticatorAuthenticationMethod', createdDateTime: '2025-11-01T08:00:00Z' },
      { id: 'phone-new', type: 'phoneAuthenticationMethod', createdDateTime: '2026-03-02T09:20:00Z' },
      { id: 'fido-new', type: 'fido2AuthenticationMethod', createdDateTime: '2026-03-02T09:25:00Z' },
    ],
  });
  f.graph.addUser({ id: BREAKGLASS, userPrincipalName: 'breakglass1@contoso.com' });
  f.graph.addUser({ id: SVC, userPrincipalName: 'svc-sync@contoso.com' });
});

/** respond() in this process with the real Graph client (faster than a CLI run). */
async function inProcess(user: string, actions: RespondAction[], since?: Date, dryRun = false) {
  const ex = loadExclusions(loadConfig(dir).config, dir);
  return respond(graphClient(azureContext({ env: f.env() })), { user, actions, since, dryRun }, ex);
}

/** Graph requests since `from`, as "METHOD path". */
const graphCalls = (from: number) => f.fake.requests.slice(from).filter((r) => r.service === 'graph').map((r) => `${r.method} ${r.path}`);
const writes = (from: number) => f.fake.requests.slice(from).filter((r) => r.service === 'graph' && r.method !== 'GET');

describe('sessionguard respond', () => {
  it('disables, revokes and confirms compromised a user named by UPN, with exactly these Graph calls', async () => {
    const from = f.fake.requests.length;
    const r = await cli(['respond', '--user', 'ana.lopez@contoso.com', '--revoke', '--disable', '--confirm-compromised'], dir, f.env(TOKEN));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(graphCalls(from)).toEqual([
      'GET /v1.0/users/ana.lopez%40contoso.com',
      `PATCH /v1.0/users/${ANA}`,
      `POST /v1.0/users/${ANA}/revokeSignInSessions`,
      `GET /v1.0/identityProtection/riskyUsers/${ANA}`,
      'POST /v1.0/identityProtection/riskyUsers/confirmCompromised',
    ]);
    const reqs = f.fake.requests.slice(from);
    expect(reqs[0]!.query.$select).toBe('id,userPrincipalName,displayName,accountEnabled');
    expect(reqs.find((x) => x.method === 'PATCH')!.body).toEqual({ accountEnabled: false });
    expect(reqs.find((x) => x.path.endsWith('confirmCompromised'))!.body).toEqual({ userIds: [ANA] });
    const ana = f.graph.user(ANA)!;
    expect(ana.accountEnabled).toBe(false);
    expect(ana.signInSessionsValidFromDateTime).toBeDefined();
    expect(ana.riskState).toBe('confirmedCompromised');
    expect(r.stdout).toMatch(/disable\s+done\s+account disabled/);
    expect(r.stdout).toMatch(/confirmCompromised\s+done/);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('is idempotent: a second run changes nothing but the session revocation', async () => {
    const actions: RespondAction[] = ['revoke', 'disable', 'confirmCompromised'];
    await inProcess(ANA, actions);
    const from = f.fake.requests.length;
    const report = await inProcess(ANA, actions);
    expect(report.outcome).toBe('ok');
    expect(report.steps.map((s) => `${s.action}:${s.status}`)).toEqual(['disable:already', 'revoke:done', 'confirmCompromised:already']);
    expect(writes(from).map((x) => `${x.method} ${x.path}`)).toEqual([`POST /v1.0/users/${ANA}/revokeSignInSessions`]);
  });

  it('refuses an excluded account named by UPN: resolved to its object id first, then nothing changes', async () => {
    const from = f.fake.requests.length;
    const r = await cli(['respond', '--user', 'breakglass1@contoso.com', '--revoke', '--disable'], dir, f.env());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`breakglass1@contoso.com (${BREAKGLASS}) is an excluded account (rules/watchlists/sg_excluded_accounts.csv); nothing was done`);
    expect(graphCalls(from)).toEqual(['GET /v1.0/users/breakglass1%40contoso.com']);
    expect(f.graph.touched(BREAKGLASS)).toEqual([]);
    expect(f.graph.user(BREAKGLASS)!.accountEnabled).toBe(true);
  });

  it('refuses an account excluded by a playbook guardrail, and one named by excluded object id without any call', async () => {
    const from = f.fake.requests.length;
    const a = await cli(['respond', '--user', 'svc-sync@contoso.com', '--revoke'], dir, f.env());
    expect(a.code).toBe(1);
    expect(a.stdout).toContain('is an excluded account (playbooks/sg-contain.yaml)');
    const b = await cli(['respond', '--user', BREAKGLASS.toUpperCase(), '--disable'], dir, f.env());
    expect(b.code).toBe(1);
    expect(graphCalls(from)).toEqual(['GET /v1.0/users/svc-sync%40contoso.com']);
    expect(f.graph.touched(SVC)).toEqual([]);
  });

  it('dry-run reads but changes nothing, and says what it would do', async () => {
    const from = f.fake.requests.length;
    const r = await cli(['respond', '--user', 'ana.lopez@contoso.com', '--revoke', '--disable', '--confirm-compromised', '--require-password-change', '--remove-auth-methods-since', '2026-03-02T09:00:00Z', '--dry-run'], dir, f.env());
    expect(r.code).toBe(0);
    expect(writes(from)).toEqual([]);
    expect(f.graph.mutations).toEqual([]);
    expect(f.graph.user(ANA)!.accountEnabled).toBe(true);
    expect(r.stdout).toContain('[dry run: nothing changed]');
    expect(r.stdout).toContain(`PATCH /users/${ANA} {"accountEnabled":false}`);
    expect(r.stdout).toContain(`DELETE /users/${ANA}/authentication/phoneMethods/phone-new`);
    expect(r.stdout).toContain(`DELETE /users/${ANA}/authentication/fido2Methods/fido-new`);
    expect(r.stdout).not.toContain('auth-old');
  });

  it('removes only the methods registered since the given time; a repeat finds none', async () => {
    const since = new Date('2026-03-02T09:00:00Z');
    const from = f.fake.requests.length;
    const r = await inProcess(ANA, ['removeAuthMethodsSince', 'requirePasswordChange'], since);
    expect(r.outcome).toBe('ok');
    expect(writes(from).map((x) => `${x.method} ${x.path}`)).toEqual([
      `PATCH /v1.0/users/${ANA}`,
      `DELETE /v1.0/users/${ANA}/authentication/phoneMethods/phone-new`,
      `DELETE /v1.0/users/${ANA}/authentication/fido2Methods/fido-new`,
    ]);
    expect(f.graph.user(ANA)!.authMethods.map((m) => m.id)).toEqual(['auth-old']);
    expect(f.graph.user(ANA)!.forceChangePasswordNextSignIn).toBe(true);
    const again = await inProcess(ANA, ['removeAuthMethodsSince'], since);
    expect(again.steps).toEqual([{ action: 'removeAuthMethodsSince', status: 'already', detail: 'no removable method registered since 2026-03-02T09:00:00.000Z', calls: [] }]);
  });

  it('finds a guest by its #EXT# UPN (dry run)', async () => {
    f.graph.addUser({ id: 'e0e0e0e0-0000-4000-8000-00000000e0e0', userPrincipalName: 'pat_fabrikam.com#EXT#@contoso.onmicrosoft.com' });
    const from = f.fake.requests.length;
    const r = await cli(['respond', '--user', 'pat_fabrikam.com#EXT#@contoso.onmicrosoft.com', '--revoke', '--dry-run'], dir, f.env());
    expect(r.code).toBe(0);
    expect(graphCalls(from)).toEqual(['GET /v1.0/users/pat_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com']);
    expect(r.stdout).toMatch(/revoke\s+would/);
  });

  it('reports an unknown user (404) without crashing', async () => {
    const r = await cli(['respond', '--user', 'nobody@contoso.com', '--revoke'], dir, f.env());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no user nobody@contoso.com in the tenant (Graph answered 404); nothing was done');
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });

  it('reports a 403 on one step clearly and still runs the others', async () => {
    f.graph.deny(new RegExp(`/users/${ANA}$`), 403, 'PATCH');
    const rep = await inProcess(ANA, ['disable', 'revoke']);
    expect(rep.outcome).toBe('failed');
    expect(rep.steps[0]).toMatchObject({ action: 'disable', status: 'failed' });
    expect(rep.steps[0]!.detail).toContain('403 forbidden (Authorization_RequestDenied)');
    expect(rep.steps[0]!.detail).toContain('User.EnableDisableAccount.All');
    expect(rep.steps[1]).toMatchObject({ action: 'revoke', status: 'done' });
    expect(f.graph.user(ANA)!.accountEnabled).toBe(true);
  });

  it('reports throttling that outlasts the retries (429), on the command line with exit 1', async () => {
    f.fake.faults.add({ method: 'POST', path: '/revokeSignInSessions', status: 429, headers: { 'retry-after': '0' }, times: 20 });
    const from = f.fake.requests.length;
    const r = await cli(['respond', '--user', ANA, '--revoke'], dir, f.env());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/revoke\s+failed\s+429 throttled by Microsoft Graph/);
    // The Graph client retried (3 retries by default) before giving up.
    expect(f.fake.requests.slice(from).filter((x) => x.status === 429)).toHaveLength(4);
  });

  it('rejects bad arguments before any call', async () => {
    const from = f.fake.requests.length;
    const none = await cli(['respond', '--user', ANA], dir, f.env());
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('nothing to do: give at least one of --revoke');
    const since = await cli(['respond', '--user', ANA, '--remove-auth-methods-since', 'yesterday'], dir, f.env());
    expect(since.code).toBe(1);
    expect(since.stderr).toContain('--remove-auth-methods-since "yesterday": expected an ISO 8601 time with a zone');
    const fmt = await cli(['respond', '--user', ANA, '--revoke', '--format', 'xml'], dir, f.env());
    expect(fmt.stderr).toContain('--format: expected text or json, got "xml"');
    const user = await cli(['respond', '--user', '../servicePrincipals', '--revoke'], dir, f.env());
    expect(user.code).toBe(1);
    expect(user.stderr).toContain('expected a user principal name');
    const ws = await cli(['respond', '--user', ANA, '--revoke', '--workspace', 'nope'], dir, f.env());
    expect(ws.code).toBe(1);
    expect(ws.stderr).toContain('--workspace "nope": no such workspace');
    expect(graphCalls(from)).toEqual([]);
    for (const x of [none, since, fmt, user, ws]) expect(hasStackTrace(x.stdout + x.stderr)).toBe(false);
  });

  it('stops with file:line:col when the exclusion list cannot be read, before any call', async () => {
    const broken = repo({ 'playbooks/sg-contain.yaml': 'name: sg-contain\nsteps: [revokeSessions, nukeAccount]\n' });
    const from = f.fake.requests.length;
    const r = await cli(['respond', '--user', ANA, '--revoke'], broken, f.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^playbooks\/sg-contain\.yaml:2:\d+: error: /m);
    expect(r.stderr).toContain('cannot read the excluded accounts; nothing was done');
    expect(graphCalls(from)).toEqual([]);
  });

  it('refuses the static token for a non-loopback Graph endpoint without printing it', async () => {
    const r = await cli(['respond', '--user', ANA, '--revoke'], dir, { ...f.env(TOKEN), SESSIONGUARD_GRAPH_ENDPOINT: 'https://graph.microsoft.com' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SESSIONGUARD_STATIC_TOKEN is accepted only for loopback endpoints');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });
});

const WF = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg-sentinel/providers/Microsoft.Logic/workflows/${name}`;
const PID = { 'sg-contain': 'aaaa0000-0000-4000-8000-00000000c0a1', 'sg-revoke': 'aaaa0000-0000-4000-8000-00000000be01', 'sg-notify': 'aaaa0000-0000-4000-8000-0000000000f1' };
const ROLE = {
  'User.RevokeSessions.All': '77f3a031-c388-4f99-b373-dc68676a979e',
  'User.EnableDisableAccount.All': '3011c876-62b7-4ada-afa2-506cbbecc68c',
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
  'IdentityRiskyUser.ReadWrite.All': '656f6061-f9fe-4807-9708-6a2e0934df76',
  'User.ReadWrite.All': '741f803b-c850-494e-b5df-cde7c675a1ca',
  'UserAuthenticationMethod.ReadWrite.All': '50483e42-d915-4231-9639-7fdb7fd190e5',
  'Mail.Send': 'b633e1c5-b582-4048-a93e-9f11b44c7e96',
};

describe('sessionguard grant', () => {
  beforeEach(() => {
    for (const [name, principalId] of Object.entries(PID)) f.arm.put(WF(name), 'Microsoft.Logic/workflows', { location: 'westeurope', identity: { type: 'SystemAssigned', principalId, tenantId: SUB }, properties: { state: 'Enabled' } });
  });

  it('grants each identity exactly the missing least-privilege permissions, and prints the az role commands', async () => {
    // sg-revoke already holds User.RevokeSessions.All (granted earlier by hand).
    const sp = f.graph.graphSp.id;
    f.graph.permissions.push({ id: 'pre-1', principalId: PID['sg-revoke'], principalDisplayName: 'sg-revoke', principalType: 'ServicePrincipal', resourceId: sp, resourceDisplayName: 'Microsoft Graph', appRoleId: ROLE['User.RevokeSessions.All'], createdDateTime: '2026-01-01T00:00:00Z' });
    const from = f.fake.requests.length;
    const r = await cli(['grant', '--workspace', 'prod'], dir, f.env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const posts = f.fake.requests.slice(from).filter((x) => x.service === 'graph' && x.method === 'POST');
    expect(posts.every((p) => p.path === `/v1.0/servicePrincipals/${sp}/appRoleAssignedTo`)).toBe(true);
    expect(posts.map((p) => p.body)).toEqual([
      // sg-contain: revoke, disable, confirm compromised, notify the user (sorted by permission name)
      { principalId: PID['sg-contain'], resourceId: sp, appRoleId: ROLE['IdentityRiskyUser.ReadWrite.All'] },
      { principalId: PID['sg-contain'], resourceId: sp, appRoleId: ROLE['Mail.Send'] },
      { principalId: PID['sg-contain'], resourceId: sp, appRoleId: ROLE['User.EnableDisableAccount.All'] },
      { principalId: PID['sg-contain'], resourceId: sp, appRoleId: ROLE['User.Read.All'] },
      { principalId: PID['sg-contain'], resourceId: sp, appRoleId: ROLE['User.RevokeSessions.All'] },
      // sg-revoke: everything but the one it has
      { principalId: PID['sg-revoke'], resourceId: sp, appRoleId: ROLE['IdentityRiskyUser.ReadWrite.All'] },
      // Every containment playbook looks the user up first.
      { principalId: PID['sg-revoke'], resourceId: sp, appRoleId: ROLE['User.Read.All'] },
      { principalId: PID['sg-revoke'], resourceId: sp, appRoleId: ROLE['User.ReadWrite.All'] },
      { principalId: PID['sg-revoke'], resourceId: sp, appRoleId: ROLE['UserAuthenticationMethod.ReadWrite.All'] },
    ]);
    // The reads before: the Logic Apps by ARM, the Graph SP by appId, existing assignments (paged by 2).
    const graphGets = f.fake.requests.slice(from).filter((x) => x.service === 'graph' && x.method === 'GET');
    expect(graphGets[0]!.path).toBe('/v1.0/servicePrincipals');
    expect(graphGets[0]!.query.$filter).toBe("appId eq '00000003-0000-0000-c000-000000000000'");
    expect(f.fake.requests.slice(from).filter((x) => x.service === 'arm').map((x) => x.path)).toEqual([WF('sg-contain'), WF('sg-notify'), WF('sg-revoke')]);
    expect(r.stdout).toContain(`az role assignment create --assignee 98785600-1bb7-4fb9-b9fa-19afe2c8a360 --role f4c81013-99ee-4d62-a7ee-b3f1f648599a --scope /subscriptions/${SUB}/resourceGroups/rg-sentinel`);
    for (const pid of Object.values(PID))
      expect(r.stdout).toContain(
        `az role assignment create --assignee-object-id ${pid} --assignee-principal-type ServicePrincipal --role 3e150937-b8fe-4cfb-8069-0eaf05ecd056 --scope /subscriptions/${SUB}/resourceGroups/rg-sentinel/providers/Microsoft.OperationalInsights/workspaces/law-sentinel`,
      );
    expect(r.stdout).toMatch(/sg-notify[^\n]*\n\s+no Graph permission needed/);
  });

  it('is idempotent: a second run posts nothing; dry-run posts nothing either', async () => {
    const ctx = azureContext({ env: f.env() });
    const { playbooks } = (await import('../src/playbooks/model.js')).loadPlaybooks([join(dir, 'playbooks')], dir);
    const target = { subscriptionId: SUB, resourceGroup: 'rg-sentinel', workspaceArmId: '/subscriptions/x/resourceGroups/rg-sentinel/providers/Microsoft.OperationalInsights/workspaces/law-sentinel' };
    const run = (dryRun: boolean) => grant(graphClient(ctx), logicClient(ctx, SUB), playbooks, target, dryRun);
    expect((await run(false)).ok).toBe(true);
    expect(f.graph.permissions).toHaveLength(10);
    const from = f.fake.requests.length;
    const again = await run(false);
    expect(again.ok).toBe(true);
    expect(writes(from)).toEqual([]);
    expect(again.playbooks.flatMap((g) => g.permissions.map((p) => p.status))).toEqual(Array(10).fill('present'));

    f.graph.permissions.length = 0;
    const from2 = f.fake.requests.length;
    const dry = await run(true);
    expect(writes(from2)).toEqual([]);
    expect(dry.playbooks.find((g) => g.playbook === 'sg-contain')!.permissions.map((p) => `${p.value}:${p.status}`)).toContain('User.RevokeSessions.All:would grant');
  });

  it('reports a playbook that is not deployed and a missing permission to grant, with exit 1', async () => {
    f.arm.delete(WF('sg-revoke'));
    f.graph.deny('/appRoleAssignedTo', 403, 'POST');
    const r = await cli(['grant', '--workspace', 'prod'], dir, f.env());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the Logic App sg-revoke is not deployed in resource group rg-sentinel; deploy the playbooks first');
    expect(r.stdout).toMatch(/User\.RevokeSessions\.All\s+failed: 403 forbidden \(Authorization_RequestDenied\)[^\n]*AppRoleAssignment\.ReadWrite\.All/);
    expect(f.graph.permissions).toEqual([]);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });

  it('needs a workspace with ARM coordinates', async () => {
    const r = await cli(['grant', '--workspace', 'local'], dir, f.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("workspace 'local' has no subscriptionId, resourceGroup and workspaceName");
    const m = await cli(['grant'], dir, f.env());
    expect(m.code).toBe(1);
    expect(m.stderr).toContain("required option '-w, --workspace <name>' not specified");
  });
});
