// Deploy with hand-made desired resources of every kind, through the real SDK clients against the
// fake Azure: dependency order, no-op re-runs, prune limited to what we manage, drift, conflicts, retries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { azureContext, securityInsightsClient } from '../src/azure/context.js';
import type { DesiredResource } from '../src/deploy/desired.js';
import { applyPlan } from '../src/deploy/apply.js';
import { exportFiles } from '../src/deploy/export.js';
import { KINDS } from '../src/deploy/kinds.js';
import { stamp, unstamp } from '../src/deploy/marker.js';
import { planCounts, planWorkspace, workspaceTag } from '../src/deploy/plan.js';
import type { DeployTarget } from '../src/deploy/producers.js';
import { Remote, remoteFor } from '../src/deploy/remote.js';
import { fakeAzure, HAVE_AZURE_SPECS, SUB } from './helpers/fake.js';
import type { RunningFake } from '../scripts/fake-azure/index.js';

let f: RunningFake;
beforeAll(async () => {
  f = await fakeAzure({ pageSize: 2 });
});
afterAll(async () => {
  await f.stop();
});

function target(ws: string): DeployTarget {
  const armId = `/subscriptions/${SUB}/resourceGroups/rg-lib/providers/Microsoft.OperationalInsights/workspaces/${ws}`;
  return {
    name: ws,
    config: { name: ws, cloud: 'AzurePublic', parameters: {}, disabledRules: [], overrides: {}, ingestionDelay: {} },
    subscriptionId: SUB,
    resourceGroup: 'rg-lib',
    workspaceName: ws,
    armId,
  };
}

const RG = `/subscriptions/${SUB}/resourceGroups/rg-lib/providers`;
const API_ID = `/subscriptions/${SUB}/providers/Microsoft.Web/locations/westeurope/managedApis/azuresentinel`;

/** One of each kind; names carry a suffix so tests do not share resources. */
function resources(t: DeployTarget, suffix: string): DesiredResource[] {
  const conn = `${RG}/Microsoft.Web/connections/sg-sentinel-${suffix}`;
  const flow = `${RG}/Microsoft.Logic/workflows/sg-revoke-${suffix}`;
  const wl = `${t.armId}/providers/Microsoft.SecurityInsights/watchlists/sg_list_${suffix}`;
  const mk = (kind: DesiredResource['kind'], id: string, apiVersion: string, body: Record<string, unknown>, dependsOn: string[] = []): DesiredResource => ({
    kind,
    id,
    type: KINDS[kind].type,
    apiVersion,
    body,
    dependsOn,
    source: 'test',
    label: `${kind}-${suffix}`,
  });
  return [
    // Listed out of order on purpose: apply must sort.
    mk('workbook', `${RG}/Microsoft.Insights/workbooks/0d6a1c7e-5b1f-4b8e-9c3a-${suffix.padStart(12, '0')}`, '2023-06-01', {
      location: 'westeurope',
      kind: 'shared',
      properties: { displayName: `Token theft ${suffix}`, serializedData: JSON.stringify({ version: 'Notebook/1.0', items: [] }), category: 'sentinel', sourceId: t.armId, version: '1.0' },
    }),
    mk(
      'analyticsRule',
      `${t.armId}/providers/Microsoft.SecurityInsights/alertRules/6c1f7f0e-2a55-4b7e-8a51-${suffix.padStart(12, '0')}`,
      '2025-12-01',
      {
        kind: 'Scheduled',
        properties: {
          displayName: `rule ${suffix}`,
          description: 'reads the watchlist',
          severity: 'High',
          enabled: true,
          query: `_GetWatchlist('sg_list_${suffix}') | take 1`,
          queryFrequency: 'PT5M',
          queryPeriod: 'PT1H',
          triggerOperator: 'GreaterThan',
          triggerThreshold: 0,
          suppressionDuration: 'PT1H',
          suppressionEnabled: false,
          tactics: ['CredentialAccess'],
          techniques: ['T1539'],
        },
      },
      [wl],
    ),
    mk(
      'automationRule',
      `${t.armId}/providers/Microsoft.SecurityInsights/automationRules/4f3b2a10-9c8d-4e7f-a6b5-${suffix.padStart(12, '0')}`,
      '2025-12-01',
      {
        properties: {
          displayName: `revoke on token theft ${suffix}`,
          order: 1,
          triggeringLogic: { isEnabled: true, triggersOn: 'Incidents', triggersWhen: 'Created', conditions: [] },
          actions: [{ order: 1, actionType: 'RunPlaybook', actionConfiguration: { logicAppResourceId: flow, tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' } }],
        },
      },
      [flow],
    ),
    mk(
      'playbook',
      flow,
      '2019-05-01',
      {
        location: 'westeurope',
        identity: { type: 'SystemAssigned' },
        properties: {
          state: 'Enabled',
          definition: {
            $schema: 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
            contentVersion: '1.0.0.0',
            parameters: { $connections: { type: 'Object', defaultValue: {} } },
            triggers: {},
            actions: {},
          },
          parameters: { $connections: { value: { azuresentinel: { connectionId: conn, connectionName: `sg-sentinel-${suffix}`, id: API_ID, connectionProperties: { authentication: { type: 'ManagedServiceIdentity' } } } } } },
        },
      },
      [conn],
    ),
    mk('connection', conn, '2016-06-01', { location: 'westeurope', kind: 'V1', properties: { displayName: 'Microsoft Sentinel', api: { id: API_ID }, parameterValueType: 'Alternative' } }),
    mk('watchlist', wl, '2025-12-01', { properties: { displayName: `sg_list_${suffix}`, provider: 'sessionguard', source: 'x.csv', itemsSearchKey: 'Id', contentType: 'text/csv', numberOfLinesToSkip: 0, rawContent: 'Id\r\n1\r\n' } }),
  ];
}

function remote(): Remote {
  return new Remote(azureContext({ env: f.env() }), SUB);
}

function writesSince(seq: number) {
  return f.fake.requests.filter((r) => r.seq > seq && (r.method === 'PUT' || r.method === 'DELETE'));
}

function lastSeq(): number {
  return f.fake.requests.at(-1)?.seq ?? 0;
}

describe('apply with resources of every kind', () => {
  it('creates in dependency order: connection, playbook, automation rule; the watchlist before the rule reading it; workbooks last', async () => {
    const t = target('law-order');
    const desired = resources(t, '1');
    const before = lastSeq();
    const plan = await planWorkspace(remote(), t, desired, { prune: false });
    expect(planCounts(plan)).toEqual({ workspace: 'law-order', created: 6, updated: 0, deleted: 0, unchanged: 0, failed: 0, drifted: 0 });
    const { counts, results } = await applyPlan(remote(), plan, { concurrency: 3 });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(counts.created).toBe(6);
    const puts = writesSince(before).filter((r) => r.method === 'PUT');
    const seqOf = (kind: DesiredResource['kind']) => puts.find((p) => p.path.toLowerCase() === desired.find((d) => d.kind === kind)!.id.toLowerCase())!.seq;
    expect(seqOf('connection')).toBeLessThan(seqOf('playbook'));
    expect(seqOf('playbook')).toBeLessThan(seqOf('automationRule'));
    expect(seqOf('watchlist')).toBeLessThan(seqOf('analyticsRule'));
    expect(seqOf('analyticsRule')).toBeLessThan(seqOf('workbook'));
    expect(puts.map((p) => p.status).sort()).toEqual([201, 201, 201, 201, 201, 201]);
    expect(puts.flatMap((p) => p.problems)).toEqual([]);
    for (const d of desired) expect(f.arm.get(d.id), d.id).toBeDefined();
    // Tagged kinds carry the marker in tags; Sentinel ones in description / displayName.
    expect((f.arm.get(desired.find((d) => d.kind === 'playbook')!.id)!.body.tags as Record<string, string>)['managed-by']).toBe('sessionguard');
    expect(String((f.arm.get(desired.find((d) => d.kind === 'automationRule')!.id)!.body.properties as Record<string, unknown>).displayName)).toMatch(/^revoke on token theft 1 \[managed by sessionguard [0-9a-f]{12}(\/[0-9a-f]{12})?\]$/);
  });

  it('plans all unchanged afterwards, and a second apply sends no write', async () => {
    const t = target('law-order');
    const plan = await planWorkspace(remote(), t, resources(t, '1'), { prune: true });
    expect(planCounts(plan)).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: 6, drifted: 0 });
    const before = lastSeq();
    await applyPlan(remote(), plan, { concurrency: 3 });
    expect(writesSince(before)).toEqual([]);
  });

  it('reports a playbook edited behind our back as drift, with the field that changed', async () => {
    const t = target('law-order');
    const flow = resources(t, '1').find((d) => d.kind === 'playbook')!;
    f.arm.edit(flow.id, (b) => ((b.properties as Record<string, unknown>).state = 'Disabled'));
    const plan = await planWorkspace(remote(), t, resources(t, '1'), { prune: false });
    const item = plan.items.find((i) => i.id === flow.id)!;
    expect(item).toMatchObject({ action: 'update', drifted: true });
    expect(item.changes).toEqual([{ path: 'properties.state', from: 'Disabled', to: 'Enabled' }]);
    expect(planCounts(plan)).toMatchObject({ updated: 1, drifted: 1, unchanged: 5 });
  });

  it('reports an If-Match conflict on a playbook edited while apply runs, and keeps that edit', async () => {
    const t = target('law-order');
    const flow = resources(t, '1').find((d) => d.kind === 'playbook')!;
    const plan = await planWorkspace(remote(), t, resources(t, '1'), { prune: false });
    f.arm.editOnNextWrite(flow.id, (b) => ((b.properties as Record<string, unknown>).state = 'Suspended'));
    const { results, counts } = await applyPlan(remote(), plan, { concurrency: 2 });
    const r = results.find((x) => x.item.id === flow.id)!;
    expect(r).toMatchObject({ ok: false, conflict: true });
    expect(r.error).toContain('not overwritten');
    expect(counts.failed).toBe(1);
    expect((f.arm.get(flow.id)!.body.properties as Record<string, unknown>).state).toBe('Suspended');
    expect(f.fake.requests.filter((q) => q.method === 'PUT' && q.path === flow.id).map((q) => q.status)).toContain(412);
  });

  it('prunes only resources marked as ours for this workspace', async () => {
    const t = target('law-prune');
    const desired = resources(t, '2');
    await applyPlan(remote(), await planWorkspace(remote(), t, desired, { prune: false }), { concurrency: 4 });
    const orphanFlow = `${RG}/Microsoft.Logic/workflows/sg-old-2`;
    const otherWs = `${RG}/Microsoft.Logic/workflows/sg-other-2`;
    const handMade = `${RG}/Microsoft.Logic/workflows/soc-handmade-2`;
    const handRule = `${t.armId}/providers/Microsoft.SecurityInsights/automationRules/11111111-2222-4333-8444-555555555555`;
    const orphanRule = `${t.armId}/providers/Microsoft.SecurityInsights/alertRules/99999999-2222-4333-8444-555555555555`;
    const tags = (ws: string) => ({ 'managed-by': 'sessionguard', 'sessionguard-hash': 'aaaaaaaaaaaa', 'sessionguard-workspace': workspaceTag(ws) });
    f.arm.put(orphanFlow, 'Microsoft.Logic/workflows', { location: 'westeurope', tags: tags(t.armId), properties: { state: 'Enabled' } });
    f.arm.put(otherWs, 'Microsoft.Logic/workflows', { location: 'westeurope', tags: tags(target('law-elsewhere').armId), properties: { state: 'Enabled' } });
    f.arm.put(handMade, 'Microsoft.Logic/workflows', { location: 'westeurope', properties: { state: 'Enabled' } });
    f.arm.put(handRule, 'Microsoft.SecurityInsights/automationRules', { properties: { displayName: 'SOC rule', order: 5 } });
    f.arm.put(orphanRule, 'Microsoft.SecurityInsights/alertRules', { kind: 'NRT', properties: { displayName: 'old', description: 'gone from code\n\n[managed by sessionguard bbbbbbbbbbbb]' } });
    const before = lastSeq();
    const plan = await planWorkspace(remote(), t, desired, { prune: true });
    expect(plan.items.filter((i) => i.action === 'delete').map((i) => i.id).sort()).toEqual([orphanFlow, orphanRule].sort());
    expect(planCounts(plan)).toMatchObject({ deleted: 2, unchanged: 6, created: 0, updated: 0 });
    const { counts } = await applyPlan(remote(), plan, { concurrency: 4 });
    expect(counts.deleted).toBe(2);
    expect(f.arm.get(orphanFlow)).toBeUndefined();
    expect(f.arm.get(orphanRule)).toBeUndefined();
    for (const id of [otherWs, handMade, handRule]) {
      expect(f.arm.get(id), id).toBeDefined();
      expect(f.fake.requests.filter((q) => q.seq > before && q.path.toLowerCase() === id.toLowerCase()), id).toEqual([]);
    }
  });

  it('retries past the SDK: 429 with Retry-After, 500s and dropped connections; waits out a slow answer', async () => {
    const t = target('law-retry');
    const desired = resources(t, '3');
    const rule = desired.find((d) => d.kind === 'analyticsRule')!;
    const flow = desired.find((d) => d.kind === 'playbook')!;
    const list = desired.find((d) => d.kind === 'watchlist')!;
    const plan = await planWorkspace(remote(), t, desired, { prune: false });
    const book = desired.find((d) => d.kind === 'workbook')!;
    f.fake.faults.add({ method: 'PUT', path: list.id, status: 500, times: 5 });
    f.fake.faults.add({ method: 'PUT', path: book.id, delayMs: 300 });
    f.fake.faults.add({ method: 'PUT', path: rule.id, status: 429, headers: { 'retry-after': '0' }, times: 5 });
    f.fake.faults.add({ method: 'PUT', path: flow.id, drop: true, times: 5 });
    const before = lastSeq();
    const { results } = await applyPlan(remote(), plan, { concurrency: 2 });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const statuses = (id: string) => f.fake.requests.filter((q) => q.seq > before && q.method === 'PUT' && q.path === id).map((q) => q.status);
    expect(statuses(rule.id)).toEqual([429, 429, 429, 429, 429, 201]);
    expect(statuses(flow.id)).toEqual([-1, -1, -1, -1, -1, 201]);
    expect(statuses(list.id)).toEqual([500, 500, 500, 500, 500, 201]);
    expect(statuses(book.id)).toEqual([201]);
    expect(f.arm.ofType('Microsoft.Logic/workflows').filter((w) => w.id.includes('sg-revoke-3'))).toHaveLength(1);
  });
});

describe('a failure that outlasts every retry', () => {
  it('fails the resource and what depends on it, leaves the rest, and the next run finishes the job', async () => {
    const t = target('law-fail');
    const desired = resources(t, '5');
    const conn = desired.find((d) => d.kind === 'connection')!;
    const fault = f.fake.faults.add({ method: 'PUT', path: conn.id, status: 503, headers: { 'retry-after': '0' }, times: Infinity });
    const first = await applyPlan(remote(), await planWorkspace(remote(), t, desired, { prune: false }), { concurrency: 4 });
    f.fake.faults.remove(fault);
    const failed = first.results.filter((r) => !r.ok);
    expect(failed.map((r) => r.item.kind).sort()).toEqual(['automationRule', 'connection', 'playbook']);
    expect(failed.find((r) => r.item.kind === 'playbook')!.error).toBe(`not applied: it depends on ${conn.id}, which failed`);
    expect(first.counts).toMatchObject({ created: 3, failed: 3 });
    const second = await applyPlan(remote(), await planWorkspace(remote(), t, desired, { prune: false }), { concurrency: 4 });
    expect(second.counts).toMatchObject({ created: 3, unchanged: 3, failed: 0 });
    for (const d of desired) expect(f.arm.ofType(d.type).filter((r) => r.id.toLowerCase() === d.id.toLowerCase()), d.id).toHaveLength(1);
    expect(planCounts(await planWorkspace(remote(), t, desired, { prune: true }))).toMatchObject({ unchanged: 6, created: 0, updated: 0, deleted: 0 });
  });
});

describe('marker', () => {
  it('round-trips in tags, description and displayName, and finds none on foreign bodies', () => {
    const m = { applied: '0123456789ab', seen: 'ba9876543210', workspace: 'ffff' };
    for (const kind of ['playbook', 'analyticsRule', 'automationRule'] as const) {
      const body = { properties: { displayName: 'x', description: 'd' }, tags: { owner: 'soc' } };
      const u = unstamp(stamp(body, KINDS[kind], m), KINDS[kind]);
      expect(u.body, kind).toEqual(body);
      expect(u.marker, kind).toEqual(kind === 'playbook' ? m : { applied: m.applied, seen: m.seen });
      expect(unstamp(body, KINDS[kind]).marker, kind).toBeUndefined();
    }
  });
});

describe('export', () => {
  it('puts each playbook with its connection in one template, and everything in the combined one', () => {
    const t = target('law-export');
    const desired = resources(t, '4');
    const files = exportFiles(t, desired, new Map(), new Map());
    const tpl = (p: string) => JSON.parse(files.get(p)!) as { resources: { type: string; name: string; dependsOn?: string[] }[] };
    expect([...files.keys()].sort()).toEqual(
      ['AnalyticsRules/analyticsRule-4.json', 'AutomationRules/automationRule-4.json', 'Playbooks/playbook-4.json', 'Watchlists/watchlist-4.json', 'Workbooks/workbook-4.json', 'combined/azuredeploy.json', 'sentinel-deployment.config'].sort(),
    );
    expect(tpl('Playbooks/playbook-4.json').resources.map((r) => r.type)).toEqual(['Microsoft.Web/connections', 'Microsoft.Logic/workflows']);
    expect(tpl('Playbooks/playbook-4.json').resources[1]!.dependsOn).toEqual(["[resourceId('Microsoft.Web/connections', 'sg-sentinel-4')]"]);
    expect(tpl('combined/azuredeploy.json').resources).toHaveLength(6);
    expect(tpl('AutomationRules/automationRule-4.json').resources[0]!.name).toBe("[concat(parameters('workspace'), '/Microsoft.SecurityInsights/', '4f3b2a10-9c8d-4e7f-a6b5-000000000004')]");
    expect(JSON.parse(files.get('sentinel-deployment.config')!).prioritizedcontentfiles).toEqual(['Playbooks/playbook-4.json', 'Watchlists/watchlist-4.json']);
  });
});

describe('endpoints per workspace cloud (no network)', () => {
  it('selects the ARM endpoint of the workspace cloud, and the override when set', () => {
    const cfg = (cloud: 'AzurePublic' | 'AzureUSGovernment' | 'AzureChina') => ({ subscriptionId: SUB, config: { cloud } });
    expect(remoteFor(cfg('AzureUSGovernment'), {}).ctx.endpoints.arm).toBe('https://management.usgovcloudapi.net');
    expect(remoteFor(cfg('AzureChina'), {}).ctx.endpoints.arm).toBe('https://management.chinacloudapi.cn');
    expect(remoteFor(cfg('AzureChina'), {}).ctx.endpoints.armScope).toBe('https://management.chinacloudapi.cn/.default');
    expect(remoteFor(cfg('AzurePublic'), {}).ctx.endpoints.arm).toBe('https://management.azure.com');
    expect(remoteFor(cfg('AzureChina'), { SESSIONGUARD_ARM_ENDPOINT: 'https://127.0.0.1:9' }).ctx.endpoints.arm).toBe('https://127.0.0.1:9');
  });
});

describe('fake Sentinel checks beyond the spec', () => {
  const put = async (name: string, body: unknown, v = '2025-07-01-preview') => {
    const c = securityInsightsClient(azureContext({ env: f.env() }), SUB);
    const id = `/subscriptions/${SUB}/resourceGroups/rg-lib/providers/Microsoft.OperationalInsights/workspaces/law-checks/providers/Microsoft.SecurityInsights/alertRules/${name}`;
    const res = await c.sendRequest(createPipelineRequest({ url: `${f.url}${id}?api-version=${v}`, method: 'PUT', headers: createHttpHeaders({ 'content-type': 'application/json' }), body: JSON.stringify(body) }));
    return { status: res.status, codes: f.fake.requests.filter((r) => r.path === id).at(-1)!.problems.map((p) => p.code).filter((c) => c.startsWith('SENTINEL_')) };
  };
  const sched = (p: Record<string, unknown>) => ({
    kind: 'Scheduled',
    properties: { displayName: 'd', enabled: true, severity: 'High', query: 'SigninLogs', queryFrequency: 'PT5M', queryPeriod: 'PT1H', triggerOperator: 'GreaterThan', triggerThreshold: 0, suppressionDuration: 'PT1H', suppressionEnabled: false, ...p },
  });

  it('names each broken Sentinel rule and answers 400', async () => {
    expect(await put('c0', sched({}))).toEqual({ status: 201, codes: [] });
    expect(await put('c1', { kind: 'NRT', properties: { displayName: 'd', enabled: true, severity: 'High', query: 'x', queryFrequency: 'PT5M', suppressionDuration: 'PT1H', suppressionEnabled: false } })).toMatchObject({ status: 400, codes: ['SENTINEL_NRT_SCHEDULE'] });
    expect(await put('c2', sched({ queryFrequency: 'PT2H' }))).toMatchObject({ status: 400, codes: ['SENTINEL_FREQUENCY_ABOVE_PERIOD'] });
    expect(await put('c3', sched({ queryFrequency: 'PT1M' }))).toMatchObject({ status: 400, codes: ['SENTINEL_SCHEDULE_RANGE'] });
    expect(await put('c4', sched({ queryPeriod: 'P15D' }))).toMatchObject({ status: 400, codes: ['SENTINEL_SCHEDULE_RANGE'] });
    expect(await put('c5', sched({ suppressionDuration: 'P2D' }))).toMatchObject({ status: 400, codes: ['SENTINEL_SUPPRESSION_RANGE'] });
    expect(await put('c6', sched({ query: 'x'.repeat(10_001) }))).toMatchObject({ status: 400, codes: ['SENTINEL_QUERY_LENGTH'] });
    const mapping = { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'IPAddress' }] };
    expect(await put('c7', sched({ entityMappings: Array.from({ length: 11 }, () => mapping) }))).toMatchObject({ status: 400, codes: ['SENTINEL_ENTITY_MAPPINGS'] });
    expect(await put('c8', sched({ customDetails: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`D${i}`, 'IPAddress'])) }))).toMatchObject({ status: 400, codes: ['SENTINEL_CUSTOM_DETAILS'] });
    expect((await put('c9', sched({ queryPeriod: '1 hour' }))).codes).toContain('SENTINEL_DURATION');
  });

  it.skipIf(!HAVE_AZURE_SPECS)('checks our automation rule and workbook bodies against the staged specs', () => {
    const checked = f.fake.requests.filter((r) => r.method === 'PUT' && /automationRules\/4f3b2a10|workbooks\//i.test(r.path));
    expect(checked.length).toBeGreaterThanOrEqual(6);
    expect(checked.flatMap((r) => r.problems)).toEqual([]);
    expect(new Set(checked.map((r) => r.status))).toEqual(new Set([201]));
  });
});
