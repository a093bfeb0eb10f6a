// The token theft workbook: every query checked like a rule's and run on the local engine over a
// synthesized tenant (plus the Sentinel incidents and containments the pack would have recorded);
// `build` emits it as an ARM template, and deploy's PUT body passes the workbooks spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runQuery } from '../src/engine/index.js';
import { toJson } from '../src/engine/output.js';
import { prelude } from '../src/kql/literals.js';
import { loadWatchlists } from '../src/rules/watchlists.js';
import { loadWorkbooks, type Workbook } from '../src/workbooks/model.js';
import { workbookGuid, workbookResources } from '../src/workbooks/resources.js';
import { azureContext, resourcesClient } from '../src/azure/context.js';
import type { WorkspaceConfig } from '../src/rules/config.js';
import { cleanup, readJson, synthTo } from './synth/helpers.js';
import { hasStackTrace, project, ROOT, runCli } from './helpers/cli.js';
import { fakeAzure, HAVE_AZURE_SPECS, SUB } from './helpers/fake.js';

interface Label {
  id: string;
  kind: string;
  account: string;
  userId: string;
  start: string;
  asns: string[];
  sessionIds: string[];
}

const PACK_RULE = '0b5e3c1a-1111-5222-8333-444455556666';
const OTHER_RULE = '9f9f9f9f-0000-5000-8000-000000000000';

let tenant: string;
let labels: Label[];
let wb: Workbook;
const results = new Map<string, Record<string, unknown>[]>();

const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();
const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

beforeAll(async () => {
  tenant = await synthTo({ users: 60, days: 2, seed: 'workbook' });
  labels = readJson<Label[]>(tenant, 'labels.json');
  // What Sentinel and Identity Protection record when the pack catches each attack: incident n is
  // created 3+n minutes after the attack starts, the playbook confirms the account compromised at 5+n.
  const sentinel = join(tenant, '..', 'sentinel');
  mkdirSync(sentinel);
  const incidents = labels.map((l, n) => ({
    TimeGenerated: plus(l.start, 3 + n),
    IncidentNumber: n + 1,
    Title: `incident for ${l.id}`,
    Severity: 'High',
    Status: 'New',
    CreatedTime: plus(l.start, 3 + n),
    FirstActivityTime: plus(l.start, 0),
    AlertIds: [`alert-${n + 1}`],
    RelatedAnalyticRuleIds: [PACK_RULE],
  }));
  // A later update of incident 1 (closed): one row per incident must come out, the latest.
  incidents.push({ ...incidents[0]!, TimeGenerated: plus(labels[0]!.start, 60), Status: 'Closed' });
  // An incident from a rule outside the pack: not shown.
  incidents.push({ ...incidents[1]!, IncidentNumber: 99, Title: 'other', RelatedAnalyticRuleIds: [OTHER_RULE], AlertIds: ['alert-99'] });
  const alerts = labels.map((l, n) => ({
    TimeGenerated: plus(l.start, 2 + n),
    SystemAlertId: `alert-${n + 1}`,
    Entities: JSON.stringify([
      { $id: '2', Type: 'account', Name: l.account.split('@')[0], UPNSuffix: l.account.split('@')[1], AadUserId: l.userId },
      { $id: '3', Type: 'ip', Address: '203.0.113.9' },
    ]),
  }));
  const contained = labels.map((l, n) => ({
    TimeGenerated: plus(l.start, 6 + n),
    ActivityDateTime: plus(l.start, 5 + n),
    RiskEventType: 'adminConfirmedUserCompromised',
    UserId: l.userId,
    UserPrincipalName: l.account,
  }));
  writeFileSync(join(sentinel, 'SecurityIncident.ndjson'), ndjson(incidents));
  writeFileSync(join(sentinel, 'SecurityAlert.ndjson'), ndjson(alerts));
  writeFileSync(join(sentinel, 'AADUserRiskEvents.ndjson'), ndjson(contained));

  const loaded = loadWorkbooks([join(ROOT, 'workbooks')], ROOT);
  expect(loaded.diagnostics).toEqual([]);
  wb = loaded.workbooks.find((w) => w.id === 'sg-token-theft')!;
  const watchlists = loadWatchlists([join(tenant, 'watchlists')]).watchlists;
  const pre = prelude(wb.parameters, { packRuleIds: [PACK_RULE] }).text;
  for (const s of wb.sections) {
    if (!s.query) continue;
    const r = JSON.parse(toJson(await runQuery(pre + s.query, { logs: [tenant, sentinel], watchlists }))) as { columns: { name: string }[]; rows: unknown[][] };
    results.set(s.title, r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]]))));
  }
}, 300_000);

afterAll(() => {
  if (tenant) cleanup(tenant);
});

describe('token theft workbook on the local engine', () => {
  it('runs every query', () => {
    expect([...results.keys()]).toEqual(wb.sections.filter((s) => s.query).map((s) => s.title));
  });

  it('shows the attacked sessions among the sessions seen from several networks', () => {
    const rows = results.get('Sessions seen from several networks')!;
    const sessions = new Set(rows.map((r) => r.SessionId));
    // Every attack that replays a session from the attacker's network; the kit attack signs in afresh.
    for (const l of labels.filter((x) => x.kind !== 'kit-useragent')) expect(l.sessionIds.some((s) => sessions.has(s)), l.id).toBe(true);
    for (const r of rows) expect(r.Networks as number).toBeGreaterThan(1);
  });

  it('shows the attacked accounts signing in from hosting providers or with kit user agents', () => {
    const hosting = new Set(readFileSync(join(tenant, 'watchlists', 'sg_hosting_asn.csv'), 'utf8').split('\n').slice(1).map((l) => l.split(',')[0]));
    const rows = results.get('Accounts signing in from hosting providers or with kit user agents')!;
    const byUpn = new Map(rows.map((r) => [r.UserPrincipalName, r]));
    const expected = labels.filter((l) => l.kind === 'kit-useragent' || l.asns.some((a) => hosting.has(a)));
    expect(expected.length).toBeGreaterThan(3);
    for (const l of expected) expect(byUpn.has(l.account), l.id).toBe(true);
    const kit = labels.find((l) => l.kind === 'kit-useragent')!;
    expect((byUpn.get(kit.account)!.KitUserAgents as string[]).length).toBeGreaterThan(0);
    const chart = results.get('Sign-ins from hosting providers and kit user agents')!;
    expect(new Set(chart.map((r) => r.Signal))).toEqual(new Set(['hosting network', 'kit user agent']));
  });

  it('lists the pack incidents with their time to detect and respond, once each', () => {
    const rows = results.get('Incidents from the pack, with time to detect and respond')!;
    expect(rows.map((r) => r.IncidentNumber).sort((a, b) => (a as number) - (b as number))).toEqual(labels.map((_, n) => n + 1));
    const first = rows.find((r) => r.IncidentNumber === 1)!;
    expect(first.Status).toBe('Closed');
    expect(first.Accounts).toEqual([labels[0]!.account]);
    expect(first.TimeToDetect).toBe('00:03:00');
    expect(first.TimeToRespond).toBe('00:05:00');
    const third = rows.find((r) => r.IncidentNumber === 3)!;
    expect(third.TimeToDetect).toBe('00:05:00');
    expect(third.TimeToRespond).toBe('00:07:00');
  });

  it('lists the accounts contained', () => {
    const rows = results.get('Accounts contained')!;
    expect(rows.map((r) => r.UserPrincipalName).sort()).toEqual(labels.map((l) => l.account).sort());
  });
});

const GOOD = readFileSync(join(ROOT, 'workbooks', 'token-theft.yaml'), 'utf8');
const CONFIG = `workspaces:
  - name: prod
    subscriptionId: ${SUB}
    resourceGroup: rg-sentinel
    workspaceName: law-sentinel
    location: westeurope
  - name: dev
`;

describe('sessionguard build with workbooks', () => {
  it('writes an ARM template per workbook with a deterministic name, the Notebook/1.0 data and the pack rule ids', () => {
    const rulesDir = join(ROOT, 'rules');
    const files: Record<string, string> = { 'sessionguard.yaml': CONFIG, 'workbooks/token-theft.yaml': GOOD };
    for (const f of ['sg-01-kit-user-agent.yaml', 'sg-03-session-replay.yaml']) files[`rules/${f}`] = readFileSync(join(rulesDir, f), 'utf8');
    for (const f of ['sg_excluded_accounts.csv', 'sg_hosting_asn.csv', 'sg_trusted_egress.csv', 'sg_allowed_automation.csv']) files[`rules/watchlists/${f}`] = readFileSync(join(rulesDir, 'watchlists', f), 'utf8');
    // The rules' response tiers name these playbooks.
    for (const f of ['sg-contain.yaml', 'sg-revoke.yaml', 'sg-notify.yaml']) files[`playbooks/${f}`] = readFileSync(join(ROOT, 'playbooks', f), 'utf8');
    const dir = project(files);
    const r = runCli(['build'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const read = (ws: string) => JSON.parse(readFileSync(join(dir, 'dist', ws, 'Workbooks', 'sg-token-theft.json'), 'utf8'));
    const t = read('prod');
    expect(t.parameters.workspace.type).toBe('string');
    const res = t.resources[0];
    expect(res).toMatchObject({ type: 'Microsoft.Insights/workbooks', apiVersion: '2023-06-01', kind: 'shared', location: '[resourceGroup().location]' });
    expect(res.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.name).not.toBe(read('dev').resources[0].name);
    expect(res.properties).toMatchObject({ category: 'sentinel', version: 'Notebook/1.0', displayName: 'Session token theft (sessionguard)' });
    expect(res.properties.sourceId).toBe("[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspace'))]");
    const nb = JSON.parse(res.properties.serializedData);
    expect(nb.version).toBe('Notebook/1.0');
    const queries = nb.items.filter((i: { type: number }) => i.type === 3).map((i: { content: { query: string; timeContextFromParameter: string } }) => i.content);
    expect(queries).toHaveLength(5);
    for (const q of queries) expect(q.timeContextFromParameter).toBe('TimeRange');
    // The incident query is limited to this workspace's pack rules, as built.
    const manifest = JSON.parse(readFileSync(join(dir, 'dist', 'prod', 'manifest.json'), 'utf8')) as { rules: { guid: string }[] };
    expect(queries[3].query).toContain(`let packRuleIds = dynamic(${JSON.stringify(manifest.rules.map((x) => x.guid))});`);
    // Rebuilding gives the same bytes.
    const before = readFileSync(join(dir, 'dist', 'prod', 'Workbooks', 'sg-token-theft.json'), 'utf8');
    expect(runCli(['build'], dir).code).toBe(0);
    expect(readFileSync(join(dir, 'dist', 'prod', 'Workbooks', 'sg-token-theft.json'), 'utf8')).toBe(before);
  });

  it('reports a KQL error in a workbook at file:line:col and writes nothing', () => {
    const bad = GOOD.replace('| where Networks > 1', '| where Netwrks > 1');
    const lineOf = bad.split('\n').findIndex((l) => l.includes('Netwrks')) + 1;
    const colOf = bad.split('\n')[lineOf - 1]!.indexOf('Netwrks') + 1;
    const dir = project({ 'workbooks/token-theft.yaml': bad, 'rules/sg-01.yaml': readFileSync(join(ROOT, 'rules', 'sg-01-kit-user-agent.yaml'), 'utf8') });
    const r = runCli(['build'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`workbooks/token-theft.yaml:${lineOf}:${colOf}: error: The name 'Netwrks' does not refer to any known column`);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });

  it('reports a schema error in a workbook at file:line:col', () => {
    const dir = project({ 'workbooks/w.yaml': 'id: w\ndisplayName: W\nsections:\n  - title: x\n    visualization: sparkline\n    query: SigninLogs | take 1\n', 'rules/sg-01.yaml': readFileSync(join(ROOT, 'rules', 'sg-01-kit-user-agent.yaml'), 'utf8') });
    const r = runCli(['build'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^workbooks\/w\.yaml:5:20: error: .*visualization/m);
  });
});

describe('workbookResources for deploy', () => {
  const ws: WorkspaceConfig = { name: 'prod', subscriptionId: SUB, resourceGroup: 'rg-sentinel', workspaceName: 'law-sentinel', location: 'westeurope', cloud: 'AzurePublic', parameters: {}, disabledRules: [], overrides: {}, ingestionDelay: {} };

  it('gives the exact PUT body, keyed by a deterministic id', () => {
    const [r] = workbookResources([wb], ws, { packRuleIds: [PACK_RULE] });
    expect(r!.id).toBe(`/subscriptions/${SUB}/resourceGroups/rg-sentinel/providers/Microsoft.Insights/workbooks/${workbookGuid('sg-token-theft', ws)}`);
    expect(r!.kind).toBe('workbook');
    expect(r!.apiVersion).toBe('2023-06-01');
    expect(r!.body).toMatchObject({ location: 'westeurope', kind: 'shared', tags: { 'managed-by': 'sessionguard' } });
    const props = r!.body.properties as Record<string, string>;
    expect(props.sourceId).toBe(`/subscriptions/${SUB}/resourceGroups/rg-sentinel/providers/Microsoft.OperationalInsights/workspaces/law-sentinel`);
    expect(JSON.parse(props.serializedData!).fallbackResourceIds).toEqual([props.sourceId]);
    expect(() => workbookResources([wb], { ...ws, location: undefined })).toThrow(/no location/);
  });

  it.skipIf(!HAVE_AZURE_SPECS)('PUTs through the real ARM client and passes the workbooks 2023-06-01 spec', async () => {
    const f = await fakeAzure();
    try {
      const [r] = workbookResources([wb], ws, { packRuleIds: [PACK_RULE] });
      const c = resourcesClient(azureContext({ env: f.env() }), SUB);
      // Without the leading '/': the client sends '//subscriptions/…' otherwise, which the fake's URL
      // parsing reads as a host name (ARM itself accepts both).
      const byId = r!.id.slice(1);
      await c.resources.beginCreateOrUpdateByIdAndWait(byId, r!.apiVersion, r!.body);
      const put = f.fake.requests.find((x) => x.method === 'PUT')!;
      expect(put.status).toBeLessThan(300);
      expect(put.problems).toEqual([]);
      expect(f.arm.get(r!.id)).toBeDefined();
      // A body that breaks the spec is refused, so the check above can fail.
      await expect(c.resources.beginCreateOrUpdateByIdAndWait(byId, r!.apiVersion, { ...r!.body, kind: 'user' })).rejects.toMatchObject({ statusCode: 400 });
    } finally {
      await f.stop();
    }
  });
});
