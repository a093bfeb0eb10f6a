// The fake Azure itself, driven by the real SDK clients: TLS trust through SESSIONGUARD_CA_FILE,
// paging, ETags, faults, and request checks against the official specs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { ScheduledAlertRule } from '@azure/arm-securityinsight';
import { azureContext, securityInsightsClient } from '../../src/azure/context.js';
import { endpointsFor } from '../../src/azure/endpoints.js';
import { credentialFor } from '../../src/azure/credential.js';
import { UserError } from '../../src/diagnostics.js';
import { fakeAzure, HAVE_AZURE_SPECS, SUB } from '../helpers/fake.js';
import type { RunningFake } from '../../scripts/fake-azure/index.js';

let f: RunningFake;
beforeAll(async () => {
  f = await fakeAzure({ pageSize: 2 });
});
afterAll(async () => {
  await f.stop();
});

const rule: ScheduledAlertRule = {
  kind: 'Scheduled',
  query: 'SigninLogs | take 1',
  queryFrequency: 'PT5M',
  queryPeriod: 'PT1H',
  severity: 'High',
  triggerOperator: 'GreaterThan',
  triggerThreshold: 0,
  displayName: 'x',
  enabled: true,
  suppressionDuration: 'PT1H',
  suppressionEnabled: false,
};

describe('fake Azure with the real SecurityInsights client', () => {
  it('creates, pages through an absolute nextLink, and sends the bearer token', async () => {
    const c = securityInsightsClient(azureContext({ env: f.env('tok-1') }), SUB);
    for (const n of ['a1', 'a2', 'a3']) await c.alertRules.createOrUpdate('rg', 'ws-test', n, rule);
    const names: string[] = [];
    for await (const r of c.alertRules.list('rg', 'ws-test')) names.push(r.name!);
    expect(names).toEqual(['a1', 'a2', 'a3']);
    const puts = f.fake.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.status)).toEqual([201, 201, 201]);
    // The token is used, and redacted in the log.
    expect(puts[0].headers.authorization).toBe('Bearer <redacted>');
    expect(JSON.stringify(f.fake.requests)).not.toContain('tok-1');
  });

  it('answers a stale ETag with 409 and does not overwrite', async () => {
    const c = securityInsightsClient(azureContext({ env: f.env() }), SUB);
    const first = await c.alertRules.createOrUpdate('rg', 'ws-test', 'e1', rule);
    f.arm.edit(first.id!, (b) => ((b.properties as Record<string, unknown>).displayName = 'edited in portal'));
    await expect(c.alertRules.createOrUpdate('rg', 'ws-test', 'e1', { ...rule, etag: first.etag })).rejects.toMatchObject({ statusCode: 409 });
    const now = await c.alertRules.get('rg', 'ws-test', 'e1');
    expect((now as ScheduledAlertRule).displayName).toBe('edited in portal');
  });

  it('injects 429 with Retry-After; the SDK retries and succeeds', async () => {
    const c = securityInsightsClient(azureContext({ env: f.env() }), SUB);
    await c.alertRules.createOrUpdate('rg', 'ws-test', 't1', rule);
    const before = f.fake.requests.length;
    f.fake.faults.add({ method: 'GET', path: '/alertRules/t1', status: 429, headers: { 'retry-after': '0' }, times: 2 });
    const got = await c.alertRules.get('rg', 'ws-test', 't1');
    expect(got.name).toBe('t1');
    expect(f.fake.requests.slice(before).map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('refuses an unknown path and a request without a token', async () => {
    const ctx = azureContext({ env: f.env() });
    const c = securityInsightsClient(ctx, SUB);
    const res = await c.sendRequest(createPipelineRequest({ url: `${f.url}/nothing-here`, method: 'GET', allowInsecureConnection: false }));
    expect(res.status).toBe(404);
  });

  it.skipIf(!HAVE_AZURE_SPECS)('rejects bodies that break the official spec (NRT at the stable version, missing required fields)', async () => {
    const ctx = azureContext({ env: f.env() });
    const c = securityInsightsClient(ctx, SUB);
    const id = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws-test/providers/Microsoft.SecurityInsights/alertRules/n1`;
    const put = (v: string, body: unknown) =>
      c.sendRequest(createPipelineRequest({ url: `${f.url}${id}?api-version=${v}`, method: 'PUT', headers: createHttpHeaders({ 'content-type': 'application/json' }), body: JSON.stringify(body) }));
    const nrt = { kind: 'NRT', properties: { query: 'x', displayName: 'd', enabled: true, severity: 'High', suppressionEnabled: false, suppressionDuration: 'PT1H' } };
    const stable = await put('2025-12-01', nrt);
    expect(stable.status).toBe(400);
    expect(stable.bodyAsText).toContain('DISCRIMINATOR_VALUE_NOT_FOUND');
    expect((await put('2025-07-01-preview', nrt)).status).toBe(201);
    const missing = await put('2025-12-01', { kind: 'Scheduled', properties: { query: 'x', displayName: 'd', enabled: true } });
    expect(missing.status).toBe(400);
    expect(missing.bodyAsText).toContain('Missing required property: severity');
  });
});

describe('endpoints and credentials', () => {
  it('selects sovereign cloud endpoints and keeps production scopes under overrides', () => {
    expect(endpointsFor('AzureUSGovernment', {}).arm).toBe('https://management.usgovcloudapi.net');
    expect(endpointsFor('AzureChina', {}).graph).toBe('https://microsoftgraph.chinacloudapi.cn');
    const e = endpointsFor('AzurePublic', { SESSIONGUARD_ARM_ENDPOINT: 'https://127.0.0.1:1234/' });
    expect(e.arm).toBe('https://127.0.0.1:1234');
    expect(e.armScope).toBe('https://management.azure.com/.default');
  });

  it('refuses plain http overrides', () => {
    expect(() => endpointsFor('AzurePublic', { SESSIONGUARD_LOGS_ENDPOINT: 'http://127.0.0.1:1' })).toThrow(UserError);
  });

  it('accepts the static token only when every endpoint is loopback, and never names it', () => {
    const env = { SESSIONGUARD_STATIC_TOKEN: 'secret-value', SESSIONGUARD_ARM_ENDPOINT: 'https://127.0.0.1:1', SESSIONGUARD_GRAPH_ENDPOINT: 'https://127.0.0.1:1' };
    let err: unknown;
    try {
      credentialFor(endpointsFor('AzurePublic', env), env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('api.loganalytics.io');
    expect((err as Error).message).not.toContain('secret-value');
    const all = { ...env, SESSIONGUARD_LOGS_ENDPOINT: 'https://localhost:1' };
    expect(() => credentialFor(endpointsFor('AzurePublic', all), all)).not.toThrow();
  });
});
