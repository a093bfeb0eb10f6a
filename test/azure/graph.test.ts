// The fake Microsoft Graph, driven by the real Graph client from graphClient(ctx): effects on users,
// Graph-shaped errors, retries on 429, body checks, and the token kept out of the request log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { azureContext, graphClient } from '../../src/azure/context.js';
import { fakeAzure } from '../helpers/fake.js';
import type { RunningFake } from '../../scripts/fake-azure/index.js';
import { GRAPH_APP_ID } from '../../scripts/fake-azure/graph.js';

const ANA = '6f1c2d8e-0b9a-4c47-9a51-3e2f7d6c1a01';
const BEN = '0a5b7c11-2d3e-4f50-8a61-7b8c9d0e1f22';
const GONE = '99999999-9999-4999-8999-999999999999';

let f: RunningFake;
beforeAll(async () => {
  f = await fakeAzure({
    pageSize: 2,
    users: [
      {
        id: ANA,
        userPrincipalName: 'ana.lopez@contoso.com',
        displayName: 'Ana Lopez',
        authMethods: [
          { id: 'm-old', type: 'microsoftAuthenticatorAuthenticationMethod', createdDateTime: '2025-01-10T08:00:00Z' },
          { id: 'm-new', type: 'phoneAuthenticationMethod', createdDateTime: '2026-03-02T09:20:00Z' },
        ],
      },
      { id: BEN, userPrincipalName: 'ben.ito@contoso.com' },
    ],
  });
});
afterAll(async () => {
  await f.stop();
});

const client = (token = 'fake-token') => graphClient(azureContext({ env: f.env(token) }));

async function graphErrorOf(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (e) {
    return e as GraphError;
  }
  throw new Error('expected the call to fail');
}

describe('fake Graph with the real Graph client', () => {
  it('revokes sign-in sessions and records the mutation', async () => {
    const res = await client().api(`/users/${ANA}/revokeSignInSessions`).post({});
    expect(res).toEqual({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true });
    expect(f.graph.user(ANA)!.signInSessionsValidFromDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(f.graph.touched(ANA).map((m) => [m.method, m.path])).toContainEqual(['POST', `/v1.0/users/${ANA}/revokeSignInSessions`]);
  });

  it('reads a user by UPN; accountEnabled only with $select; disables and forces a password change', async () => {
    const c = client();
    const plain = await c.api('/users/ben.ito@contoso.com').get();
    expect(plain.id).toBe(BEN);
    expect(plain).not.toHaveProperty('accountEnabled');
    await c.api(`/users/${BEN}`).patch({ accountEnabled: false, passwordProfile: { forceChangePasswordNextSignIn: true } });
    const sel = await c.api('/users/ben.ito@contoso.com').select(['id', 'accountEnabled']).get();
    expect(sel).toMatchObject({ id: BEN, accountEnabled: false });
    expect(f.graph.user(BEN)!.forceChangePasswordNextSignIn).toBe(true);
    // A repeat succeeds and is marked as changing nothing.
    await c.api(`/users/${BEN}`).patch({ accountEnabled: false });
    expect(f.graph.touched(BEN).map((m) => m.changed)).toEqual([true, false]);
  });

  it('confirms a user compromised and shows it as a risky user', async () => {
    const c = client();
    const before = await graphErrorOf(c.api(`/identityProtection/riskyUsers/${ANA}`).get());
    expect(before.statusCode).toBe(404);
    const res = await c.api('/identityProtection/riskyUsers/confirmCompromised').post({ userIds: [ANA] });
    expect(res).toBeFalsy(); // 204, no body
    const risky = await c.api(`/identityProtection/riskyUsers/${ANA}`).get();
    expect(risky).toMatchObject({ id: ANA, riskState: 'confirmedCompromised', riskLevel: 'high', riskDetail: 'adminConfirmedUserCompromised' });
  });

  it('lists and deletes authentication methods by type segment', async () => {
    const c = client();
    const list = await c.api(`/users/${ANA}/authentication/methods`).get();
    expect(list.value.map((m: { id: string; '@odata.type': string }) => [m.id, m['@odata.type']])).toEqual([
      ['m-old', '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod'],
      ['m-new', '#microsoft.graph.phoneAuthenticationMethod'],
    ]);
    // The wrong segment for the method's type is a 404.
    expect((await graphErrorOf(c.api(`/users/${ANA}/authentication/fido2Methods/m-new`).delete())).statusCode).toBe(404);
    await c.api(`/users/${ANA}/authentication/phoneMethods/m-new`).delete();
    expect(f.graph.user(ANA)!.authMethods.map((m) => m.id)).toEqual(['m-old']);
  });

  it('answers 404 Request_ResourceNotFound for an unknown user, Graph-shaped', async () => {
    const e = await graphErrorOf(client().api(`/users/${GONE}/revokeSignInSessions`).post({}));
    expect(e.statusCode).toBe(404);
    expect(e.code).toBe('Request_ResourceNotFound');
    const raw = f.fake.requests.at(-1)!;
    expect(raw.status).toBe(404);
    const e2 = await graphErrorOf(client().api('/identityProtection/riskyUsers/confirmCompromised').post({ userIds: [GONE] }));
    expect(e2.statusCode).toBe(404);
  });

  it('retries a 429 with Retry-After and succeeds', async () => {
    const before = f.fake.requests.length;
    f.fake.faults.add({ method: 'POST', path: `/users/${BEN}/revokeSignInSessions`, status: 429, headers: { 'retry-after': '0' }, times: 1 });
    const res = await client().api(`/users/${BEN}/revokeSignInSessions`).post({});
    expect(res.value).toBe(true);
    const seen = f.fake.requests.slice(before);
    expect(seen.map((r) => r.status)).toEqual([429, 200]);
    expect(seen[1]!.headers['retry-attempt']).toBe('1');
  });

  it('rejects bodies that break the call schema and notes the problems', async () => {
    const c = client();
    const e = await graphErrorOf(c.api(`/users/${BEN}`).patch({ accountEnabled: 'no' }));
    expect(e.statusCode).toBe(400);
    expect(f.fake.requests.at(-1)!.problems.map((p) => p.path)).toEqual(['/accountEnabled']);
    const e2 = await graphErrorOf(c.api('/identityProtection/riskyUsers/confirmCompromised').post({ userId: ANA }));
    expect(e2.statusCode).toBe(400);
    expect(f.fake.requests.at(-1)!.problems.length).toBeGreaterThan(0);
    const e3 = await graphErrorOf(c.api(`/users/${BEN}/sendMail`).post({ message: { subject: 's', body: { contentType: 'Text', content: 'x' }, toRecipients: [] } }));
    expect(e3.statusCode).toBe(400);
    expect(f.graph.mail).toEqual([]);
  });

  it('simulates a missing permission per call with deny()', async () => {
    const id = f.graph.deny(/\/users\/[^/]+$/, 403, 'PATCH');
    const e = await graphErrorOf(client().api(`/users/${ANA}`).patch({ accountEnabled: false }));
    expect(e.statusCode).toBe(403);
    expect(e.code).toBe('Authorization_RequestDenied');
    expect(f.graph.user(ANA)!.accountEnabled).toBe(true);
    f.graph.allow(id);
    await client().api(`/users/${ANA}`).patch({ accountEnabled: true });
  });

  it('sends mail and records it; the webhook sink records Teams posts without auth', async () => {
    await client()
      .api(`/users/${BEN}/sendMail`)
      .post({ message: { subject: 'Your sessions were ended', body: { contentType: 'Text', content: 'hello' }, toRecipients: [{ emailAddress: { address: 'ana.lopez@contoso.com' } }] } });
    expect(f.graph.mail).toEqual([{ from: 'ben.ito@contoso.com', to: ['ana.lopez@contoso.com'], subject: 'Your sessions were ended', body: 'hello' }]);
    const res = await fetch(`${f.url}/_fake/webhook/soc`, { method: 'POST', body: JSON.stringify({ text: 'hi' }), headers: { 'content-type': 'application/json' }, dispatcher: new (await import('undici')).Agent({ connect: { ca: f.ca } }) } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1');
    expect(f.graph.webhooks).toEqual([{ name: 'soc', body: { text: 'hi' } }]);
  });

  it('finds the Graph service principal by appId with the real app-role ids, and grants app roles idempotently', async () => {
    const c = client();
    const sps = await c.api('/servicePrincipals').filter(`appId eq '${GRAPH_APP_ID}'`).get();
    expect(sps.value).toHaveLength(1);
    const sp = sps.value[0];
    const role = (v: string) => sp.appRoles.find((r: { value: string }) => r.value === v)?.id;
    expect(role('User.RevokeSessions.All')).toBe('77f3a031-c388-4f99-b373-dc68676a979e');
    expect(role('IdentityRiskyUser.ReadWrite.All')).toBe('656f6061-f9fe-4807-9708-6a2e0934df76');
    // A managed identity known from ARM (a workflow with a system-assigned identity).
    const mi = '11111111-2222-4333-8444-555555555555';
    f.arm.put(`/subscriptions/s/resourceGroups/rg/providers/Microsoft.Logic/workflows/sg-revoke`, 'Microsoft.Logic/workflows', { identity: { type: 'SystemAssigned', principalId: mi } });
    for (const v of ['User.RevokeSessions.All', 'User.Read.All', 'Mail.Send']) {
      const a = await c.api(`/servicePrincipals/${sp.id}/appRoleAssignedTo`).post({ principalId: mi, resourceId: sp.id, appRoleId: role(v) });
      expect(a.principalDisplayName).toBe('sg-revoke');
    }
    const dup = await graphErrorOf(c.api(`/servicePrincipals/${sp.id}/appRoleAssignedTo`).post({ principalId: mi, resourceId: sp.id, appRoleId: role('User.Read.All') }));
    expect(dup.statusCode).toBe(400);
    const unknown = await graphErrorOf(c.api(`/servicePrincipals/${sp.id}/appRoleAssignedTo`).post({ principalId: GONE, resourceId: sp.id, appRoleId: role('User.Read.All') }));
    expect(unknown.statusCode).toBe(404);
    // Paged by 2: the client follows the absolute nextLink.
    const first = await c.api(`/servicePrincipals/${sp.id}/appRoleAssignedTo`).get();
    expect(first.value).toHaveLength(2);
    const second = await c.api(first['@odata.nextLink']).get();
    expect(second.value).toHaveLength(1);
    expect(second['@odata.nextLink']).toBeUndefined();
    expect(f.graph.permissions.map((p) => p.appRoleId)).toEqual(['77f3a031-c388-4f99-b373-dc68676a979e', 'df021288-bdef-4463-88db-98f22de89214', 'b633e1c5-b582-4048-a93e-9f11b44c7e96']);
  });

  it('sends the bearer token and keeps it out of the request log', async () => {
    await client('secret-graph-token-123').api(`/users/${ANA}`).get();
    const r = f.fake.requests.at(-1)!;
    expect(r.service).toBe('graph');
    expect(r.headers.authorization).toBe('Bearer <redacted>');
    expect(JSON.stringify(f.fake.requests)).not.toContain('secret-graph-token-123');
  });

  it('refuses a request without a token with a Graph-shaped 401', async () => {
    const res = await fetch(`${f.url}/v1.0/users/${ANA}`, { dispatcher: new (await import('undici')).Agent({ connect: { ca: f.ca } }) } as RequestInit);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
  });
});

describe('fake Graph control endpoints', () => {
  it('seeds a user over HTTP and shows the state', async () => {
    const agent = new (await import('undici')).Agent({ connect: { ca: f.ca } });
    const add = await fetch(`${f.url}/_fake/graph/users`, { method: 'POST', body: JSON.stringify([{ id: 'c0ffee00-0000-4000-8000-000000000001', userPrincipalName: 'cy@contoso.com' }]), dispatcher: agent } as RequestInit);
    expect(add.status).toBe(201);
    expect(f.graph.user('CY@contoso.com')?.accountEnabled).toBe(true);
    const bad = await fetch(`${f.url}/_fake/graph/users`, { method: 'POST', body: JSON.stringify({ upn: 'x' }), dispatcher: agent } as RequestInit);
    expect(bad.status).toBe(400);
    const state = (await (await fetch(`${f.url}/_fake/graph`, { dispatcher: agent } as RequestInit)).json()) as { users: unknown[] };
    expect(state.users.length).toBe(3);
  });
});
