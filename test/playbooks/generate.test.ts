// Generation: `build` writes the playbooks and automation rules; every workflow passes our WDL checks;
// the ARM bodies deploy is given are accepted by the fake ARM (automation rules checked against the
// staged AutomationRules 2025-12-01 spec when ../shared has it).
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, fetch } from 'undici';
import type { RunningFake } from '../../scripts/fake-azure/index.js';
import { alertRuleGuid } from '../../src/compile/ids.js';
import { loadConfig } from '../../src/rules/config.js';
import { loadRules } from '../../src/rules/load.js';
import { loadWatchlists } from '../../src/rules/watchlists.js';
import { loadPlaybooks } from '../../src/playbooks/model.js';
import { automationRuleResources, playbookResources } from '../../src/playbooks/resources.js';
import { checkWorkflow } from '../../src/playbooks/wdl/check.js';
import { graphPermissions } from '../../src/playbooks/permissions.js';
import { hasStackTrace, project, ROOT, runCli } from '../helpers/cli.js';
import { fakeAzure, HAVE_AZURE_SPECS, SUB } from '../helpers/fake.js';
import { bundled, definition } from './harness.js';

const BREAK_GLASS = '0c5b7e1a-2d3f-4a6b-8c9d-1e2f3a4b5c6d';
const CONFIG = `rules: rules
watchlists: rules/watchlists
workspaces:
  - name: prod
    subscriptionId: ${SUB}
    resourceGroup: rg-sentinel
    workspaceName: law-sentinel
    location: westeurope
    tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
`;

function packProject(extra: Record<string, string> = {}): string {
  const dir = project({
    'sessionguard.yaml': CONFIG,
    'rules/watchlists/sg_excluded_accounts.csv': `AadUserId,UserPrincipalName,Reason\n${BREAK_GLASS},breakglass1@contoso.com,break-glass\n`,
    ...extra,
  });
  for (const f of ['sg-01-kit-user-agent.yaml', 'sg-03-session-replay.yaml']) cpSync(join(ROOT, 'rules', f), join(dir, 'rules', f));
  for (const f of ['sg_hosting_asn.csv', 'sg_trusted_egress.csv', 'sg_allowed_automation.csv']) cpSync(join(ROOT, 'rules', 'watchlists', f), join(dir, 'rules', 'watchlists', f));
  cpSync(join(ROOT, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
  return dir;
}

/** ARM escapes a leading [ as [[; undo it to get the workflow definition back. */
function unescapeArm(v: unknown): unknown {
  if (typeof v === 'string') return v.startsWith('[[') ? v.slice(1) : v;
  if (Array.isArray(v)) return v.map(unescapeArm);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeArm(x)]));
  return v;
}

describe('sessionguard build writes playbooks and automation rules', () => {
  let dir: string;
  let out: { code: number; stdout: string; stderr: string };
  beforeAll(() => {
    dir = packProject();
    out = runCli(['build', '--no-cache'], dir);
  }, 120_000);

  it('one Logic App template per playbook, with the Sentinel connection on the managed identity', () => {
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    for (const name of ['sg-contain', 'sg-revoke', 'sg-notify']) expect(existsSync(join(dir, 'dist/prod/Playbooks', `${name}.json`))).toBe(true);
    const t = JSON.parse(readFileSync(join(dir, 'dist/prod/Playbooks/sg-contain.json'), 'utf8'));
    const conn = t.resources.find((r: { type: string }) => r.type === 'Microsoft.Web/connections');
    expect(conn).toMatchObject({ name: 'azuresentinel-sg-contain', kind: 'V1', properties: { parameterValueType: 'Alternative' } });
    const wf = t.resources.find((r: { type: string }) => r.type === 'Microsoft.Logic/workflows');
    expect(wf.identity).toEqual({ type: 'SystemAssigned' });
    expect(wf.properties.parameters.$connections.value.azuresentinel.connectionProperties).toEqual({ authentication: { type: 'ManagedServiceIdentity' } });
    expect(t.parameters.teamsWebhookUrl).toMatchObject({ type: 'securestring', defaultValue: '' });
    const def = unescapeArm(wf.properties.definition) as { parameters: Record<string, { defaultValue: unknown }>; triggers: Record<string, { inputs: { path: string } }> };
    // The watchlist's break-glass account is baked in as the exclusion list.
    expect(def.parameters.excludedObjectIds.defaultValue).toEqual([BREAK_GLASS]);
    expect(def.triggers.Microsoft_Sentinel_incident.inputs.path).toBe('/incident-creation');
    expect(checkWorkflow(def, { connections: ['azuresentinel'], graphAudience: 'https://graph.microsoft.com' })).toEqual([]);
  });

  it('one automation rule per rule with a response: the rule id, the exclusions, run playbook', () => {
    const t = JSON.parse(readFileSync(join(dir, 'dist/prod/AutomationRules/SG-01.created.json'), 'utf8'));
    const ws = loadConfig(dir).config.workspaces[0]!;
    const p = t.resources[0].properties;
    expect(p.triggeringLogic).toMatchObject({ isEnabled: true, triggersOn: 'Incidents', triggersWhen: 'Created' });
    expect(p.triggeringLogic.conditions).toEqual([
      {
        conditionType: 'Property',
        conditionProperties: {
          propertyName: 'IncidentRelatedAnalyticRuleIds',
          operator: 'Contains',
          propertyValues: [`[resourceId('Microsoft.OperationalInsights/workspaces/providers/alertRules', parameters('workspace'), 'Microsoft.SecurityInsights', '${alertRuleGuid('SG-01', ws)}')]`],
        },
      },
      { conditionType: 'Property', conditionProperties: { propertyName: 'AccountAadUserId', operator: 'NotEquals', propertyValues: [BREAK_GLASS] } },
    ]);
    expect(p.actions).toEqual([{ order: 1, actionType: 'RunPlaybook', actionConfiguration: { logicAppResourceId: "[resourceId('Microsoft.Logic/workflows', 'sg-contain')]", tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' } }]);
    const sg03 = JSON.parse(readFileSync(join(dir, 'dist/prod/AutomationRules/SG-03.created.json'), 'utf8')).resources[0].properties;
    expect(sg03.actions[0].actionConfiguration.logicAppResourceId).toBe("[resourceId('Microsoft.Logic/workflows', 'sg-revoke')]");
    expect([p.order, sg03.order]).toEqual([1, 2]);
  });
});

describe('playbook files are validated with file:line:col', () => {
  it('bad steps, settings and object ids are all reported; nothing is written', () => {
    const dir = packProject({
      'playbooks/sg-bad.yaml': 'name: sg-bad\nsteps:\n  - revokeSessions\n  - revokeSession\n  - revokeSessions\nguardrails:\n  excludedAccounts:\n    objectIds: [not-a-guid]\nsettings:\n  removeAuthMethodsSince: 90d\n',
    });
    const r = runCli(['build', '--no-cache'], dir);
    expect(r.code).toBe(1);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(r.stderr).toContain('playbooks/sg-bad.yaml:4:5: error:');
    expect(r.stderr).toContain('playbooks/sg-bad.yaml:8:17: error:');
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    const dup = packProject({ 'playbooks/sg-dup.yaml': 'name: sg-dup\nsteps:\n  - revokeSessions\n  - tag\n  - revokeSessions\nsettings:\n  tags: []\n  removeAuthMethodsSince: 90d\n' });
    const d = runCli(['validate', '--no-cache'], dup);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('playbooks/sg-dup.yaml:4:5: error: step tag needs settings.tags (at least one label)');
    expect(d.stderr).toContain('playbooks/sg-dup.yaml:5:5: error: step revokeSessions is listed twice');
    expect(d.stderr).toContain('playbooks/sg-dup.yaml:8:27: error: removeAuthMethodsSince must be between 1m and 30d');
  }, 120_000);

  it('a watchlist row that is not an object id stops the build', () => {
    const dir = packProject({ 'rules/watchlists/sg_excluded_accounts.csv': 'AadUserId,UserPrincipalName,Reason\nbreakglass1@contoso.com,breakglass1@contoso.com,oops\n' });
    const r = runCli(['build', '--no-cache'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rules/watchlists/sg_excluded_accounts.csv:2:1: error: AadUserId 'breakglass1@contoso.com' is not an object id (GUID)");
  }, 120_000);
});

describe('our workflow checks catch broken definitions', () => {
  const opts = { connections: ['azuresentinel'], graphAudience: 'https://graph.microsoft.com' };
  const fresh = () => structuredClone(definition(bundled('sg-contain'), [])) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('the bundled playbooks pass', () => {
    for (const n of ['sg-contain', 'sg-revoke', 'sg-notify']) expect(checkWorkflow(definition(bundled(n), []), opts)).toEqual([]);
  });

  it('a runAfter to a missing action, a missing connection, a Graph call without the identity, a wrong trigger', () => {
    const d = fresh();
    d.actions.Add_comment.runAfter = { Nope: ['Succeeded'] };
    d.actions['Entities_-_Get_Accounts'].inputs.host.connection.name = "@parameters('$connections')['sentinel2']['connectionId']";
    d.actions.For_each_account.actions.If_lookup.actions.Get_user.inputs.authentication = { type: 'None' };
    d.triggers.Microsoft_Sentinel_incident.inputs.path = '/subscribe';
    const problems = checkWorkflow(d, opts);
    expect(problems).toEqual(
      expect.arrayContaining([
        "actions.Add_comment: runAfter names 'Nope', which is not an action in the same scope",
        "actions.Entities_-_Get_Accounts.inputs.host.connection.name: connection 'sentinel2' is not in $connections",
        'actions.For_each_account.actions.If_lookup.actions.Get_user: a Microsoft Graph call must authenticate with the managed identity, audience https://graph.microsoft.com',
        'trigger: path is /subscribe; the Sentinel incident trigger is /incident-creation',
      ]),
    );
  });

  it('items() outside its loop, an undeclared parameter, an unknown function, a bad expression', () => {
    const d = fresh();
    d.actions.Add_comment.inputs.body.message = "@{items('For_each_account')?['Name']} @{parameters('nope')} @{frobnicate(1)}";
    d.actions.Initialize_report.inputs.variables[0].value = "@concat('a'";
    const problems = checkWorkflow(d, opts);
    expect(problems).toEqual(
      expect.arrayContaining([
        "actions.Add_comment.inputs.body.message: items('For_each_account') outside that for-each",
        "actions.Add_comment.inputs.body.message: parameters('nope') is not declared",
        'actions.Add_comment.inputs.body.message: unknown function frobnicate()',
      ]),
    );
    expect(problems.some((p) => p.startsWith('actions.Initialize_report.inputs.variables[0].value:'))).toBe(true);
  });

  it('shape errors come from the schema; nesting beyond the Logic Apps limit is refused', () => {
    const d = fresh();
    d.actions.Add_comment.runAfter = { For_each_account: ['Done'] };
    expect(checkWorkflow(d, opts).join('\n')).toContain('definition.actions.Add_comment.runAfter.For_each_account.0: must be equal to one of the allowed values');
    const deep = fresh();
    let inner: Record<string, unknown> = { Leaf: { type: 'Compose', inputs: 'x', runAfter: {} } };
    for (let i = 8; i >= 1; i--) inner = { [`Scope_${i}`]: { type: 'Scope', actions: inner, runAfter: {} } };
    Object.assign(deep.actions, inner);
    expect(checkWorkflow(deep, opts)).toEqual(['actions.Scope_1.actions.Scope_2.actions.Scope_3.actions.Scope_4.actions.Scope_5.actions.Scope_6.actions.Scope_7.actions.Scope_8.actions.Leaf: nested 9 levels deep; Logic Apps allows 8']);
  });
});

describe('Graph permissions follow the steps', () => {
  it('contain needs more than revoke; notify needs none', () => {
    expect(graphPermissions(bundled('sg-contain'))).toEqual(['IdentityRiskyUser.ReadWrite.All', 'Mail.Send', 'User.EnableDisableAccount.All', 'User.Read.All', 'User.RevokeSessions.All', 'UserAuthenticationMethod.ReadWrite.All']);
    expect(graphPermissions(bundled('sg-revoke'))).toEqual(['IdentityRiskyUser.ReadWrite.All', 'Mail.Send', 'User.Read.All', 'User.RevokeSessions.All']);
    expect(graphPermissions(bundled('sg-notify'))).toEqual([]);
  });
});

describe('the resources deploy applies, against the fake ARM', () => {
  let fake: RunningFake;
  beforeAll(async () => {
    fake = await fakeAzure();
  }, 60_000);
  afterAll(async () => fake?.stop());

  function input() {
    const dir = packProject();
    const ws = loadConfig(dir).config.workspaces[0]!;
    const rules = loadRules([join(dir, 'rules')], dir).rules.map((rule) => ({ rule, enabled: true }));
    const playbooks = loadPlaybooks([join(dir, 'playbooks')], dir).playbooks;
    const watchlists = loadWatchlists([join(dir, 'rules', 'watchlists')], dir).watchlists;
    return { workspace: ws, rules, playbooks, watchlists };
  }

  async function put(id: string, apiVersion: string, body: unknown) {
    const agent = new Agent({ connect: { ca: fake.ca } });
    try {
      const res = await fetch(`${fake.url}${id}?api-version=${apiVersion}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify(body), dispatcher: agent });
      return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    } finally {
      await agent.close();
    }
  }

  it('ids are deterministic, and playbooks come before the automation rules that run them', () => {
    const a = input();
    const b = input();
    const ids = (x: ReturnType<typeof input>) => [...playbookResources(x), ...automationRuleResources(x)].map((r) => r.id);
    expect(ids(a)).toEqual(ids(b));
    const autos = automationRuleResources(a);
    expect(autos.map((r) => r.label)).toEqual(['SG-01 (incident created)', 'SG-03 (incident created)']);
    expect(autos[0]!.dependsOn).toContain(`/subscriptions/${SUB}/resourceGroups/rg-sentinel/providers/Microsoft.Logic/workflows/sg-contain`);
  });

  it('connections and workflows are accepted; the workflow gets its managed identity', async () => {
    for (const r of playbookResources(input())) {
      const res = await put(r.id, r.apiVersion, r.body);
      expect([r.id, res.status]).toEqual([r.id, 201]);
      if (r.kind === 'playbook') expect(res.body.identity.principalId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it.skipIf(!HAVE_AZURE_SPECS)('automation rule bodies pass the AutomationRules 2025-12-01 spec; a broken one does not', async () => {
    const autos = automationRuleResources(input());
    for (const r of autos) {
      const res = await put(r.id, r.apiVersion, r.body);
      expect([r.label, res.status, res.body.error?.message]).toEqual([r.label, 201, undefined]);
    }
    const broken = structuredClone(autos[0]!.body) as { properties: { order: number } };
    broken.properties.order = 0;
    const res = await put(autos[0]!.id, autos[0]!.apiVersion, broken);
    expect(res.status).toBe(400);
  });
});
