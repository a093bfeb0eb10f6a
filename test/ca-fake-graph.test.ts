// The fake's Conditional Access endpoints, driven by the real Microsoft Graph client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureContext, graphClient } from '../src/azure/context.js';
import type { RunningFake } from '../scripts/fake-azure/index.js';
import { fakeAzure } from './helpers/fake.js';

let f: RunningFake;
beforeAll(async () => {
  f = await fakeAzure({ pageSize: 2 });
});
afterAll(async () => {
  await f.stop();
});

const policy = (name: string, extra: Record<string, unknown> = {}) => ({
  displayName: name,
  state: 'enabledForReportingButNotEnforced',
  conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] }, clientAppTypes: ['all'] },
  grantControls: { operator: 'OR', builtInControls: ['mfa'] },
  ...extra,
});

describe('fake Graph: conditional access', () => {
  it('creates, reads back with Graph defaults, pages with an absolute nextLink, updates and deletes', async () => {
    const c = graphClient(azureContext({ env: f.env() }));
    const ids: string[] = [];
    for (const n of ['a', 'b', 'c']) ids.push(((await c.api('/identity/conditionalAccess/policies').post(policy(n))) as { id: string }).id);
    const first = (await c.api('/identity/conditionalAccess/policies').get()) as { value: { displayName: string; conditions: Record<string, unknown> }[]; '@odata.nextLink': string };
    expect(first.value.map((p) => p.displayName)).toEqual(['a', 'b']);
    expect(first.value[0]!.conditions.platforms).toBeNull();
    expect(first['@odata.nextLink']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/identity\/conditionalAccess\/policies\?\$skiptoken=2$/);
    const second = (await c.api(first['@odata.nextLink']).get()) as { value: { displayName: string }[] };
    expect(second.value.map((p) => p.displayName)).toEqual(['c']);
    await c.api(`/identity/conditionalAccess/policies/${ids[0]}`).patch({ state: 'disabled' });
    expect(((await c.api(`/identity/conditionalAccess/policies/${ids[0]}`).get()) as { state: string }).state).toBe('disabled');
    await c.api(`/identity/conditionalAccess/policies/${ids[0]}`).delete();
    await expect(c.api(`/identity/conditionalAccess/policies/${ids[0]}`).get()).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('answers a body outside the resource shape with a Graph-shaped 400 and stores nothing', async () => {
    const c = graphClient(azureContext({ env: f.env() }));
    const before = f.conditionalAccess.policies.size;
    await expect(c.api('/identity/conditionalAccess/policies').post(policy('bad', { state: 'on' }))).rejects.toMatchObject({ statusCode: 400, code: 'BadRequest' });
    await expect(c.api('/identity/conditionalAccess/policies').post(policy('block+mfa', { grantControls: { operator: 'OR', builtInControls: ['block', 'mfa'] } }))).rejects.toMatchObject({ statusCode: 400 });
    // Token protection is a beta-only session control.
    const tp = policy('tp', { grantControls: null, sessionControls: { secureSignInSession: { isEnabled: true } } });
    await expect(c.api('/identity/conditionalAccess/policies').post(tp)).rejects.toMatchObject({ statusCode: 400 });
    expect(f.conditionalAccess.policies.size).toBe(before);
    await c.api('/identity/conditionalAccess/policies').version('beta').post(tp);
    expect(f.conditionalAccess.policies.size).toBe(before + 1);
    const rejected = f.fake.requests.filter((r) => r.status === 400);
    expect(rejected).toHaveLength(3);
    expect(rejected[0]!.problems.map((p) => p.path)).toEqual(['/state']);
  });

  it('named locations: referenced ones must exist and cannot be deleted while in use', async () => {
    const c = graphClient(azureContext({ env: f.env() }));
    await expect(c.api('/identity/conditionalAccess/policies').post(policy('loc', { conditions: { ...policy('x').conditions, locations: { includeLocations: ['11111111-2222-3333-4444-555555555555'] } } }))).rejects.toMatchObject({ statusCode: 400 });
    const loc = (await c.api('/identity/conditionalAccess/namedLocations').post({ '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: 'HQ', isTrusted: true, ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.0/24' }] })) as { id: string };
    await c.api('/identity/conditionalAccess/policies').post(policy('loc', { conditions: { ...policy('x').conditions, locations: { includeLocations: [loc.id] } } }));
    await expect(c.api(`/identity/conditionalAccess/namedLocations/${loc.id}`).delete()).rejects.toMatchObject({ statusCode: 400 });
    await expect(c.api('/identity/conditionalAccess/namedLocations').post({ '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: 'x', ipRanges: [{ cidrAddress: '1.2.3.0/24' }] })).rejects.toMatchObject({ statusCode: 400 });
  });
});
