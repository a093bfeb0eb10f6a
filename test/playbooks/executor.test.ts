// The generated playbooks, run by the local WDL executor against the fake Microsoft Graph and the
// fake Sentinel incidents API on loopback (HTTPS): what they call, what they leave alone, what they say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningFake } from '../../scripts/fake-azure/index.js';
import { join } from 'node:path';
import { loadPlaybooks } from '../../src/playbooks/model.js';
import { project } from '../helpers/cli.js';
import { fakeAzure } from '../helpers/fake.js';
import { bundled, definition, graphRequests, lastSeq, run, triggerBody, WORKSPACE, type Person } from './harness.js';

const ana: Person = { id: '6f1c2d8e-0b9a-4c47-9a51-3e2f7d6c1a01', upn: 'ana.lopez@contoso.com' };
const ben: Person = { id: '0c5b7e1a-2d3f-4a6b-8c9d-1e2f3a4b5c6d', upn: 'breakglass1@contoso.com' };
const carl: Person = { id: '4a8e2c10-7b3d-4f5e-9a1c-2b3d4e5f6a7b', upn: 'carl.berg@contoso.com' };
const dora: Person = { id: '9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a', upn: 'dora.smit@contoso.com' };
const gone: Person = { id: 'ffffffff-0000-4000-8000-00000000dead', upn: 'left.company@contoso.com' };
const SENDER = 'security@contoso.com';
const WEBHOOK = '/_fake/webhook/soc';

let fake: RunningFake;
const incidentAt = new Date(Date.now() - 5 * 60_000).toISOString();
const hoursBefore = (h: number) => new Date(Date.parse(incidentAt) - h * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

beforeAll(async () => {
  fake = await fakeAzure();
  for (const p of [ana, ben, carl, dora]) fake.graph.addUser({ id: p.id, userPrincipalName: p.upn, mail: p.upn });
  fake.graph.addUser({ id: SENDER_ID, userPrincipalName: SENDER, mail: SENDER });
  fake.graph.user(ana.id)!.authMethods.push(
    { id: 'b2f6c1aa-0001-4000-8000-000000000001', type: 'phoneAuthenticationMethod', createdDateTime: hoursBefore(24 * 200) },
    { id: 'b2f6c1aa-0002-4000-8000-000000000002', type: 'microsoftAuthenticatorAuthenticationMethod', createdDateTime: hoursBefore(1) },
  );
}, 60_000);
afterAll(async () => fake?.stop());

const SENDER_ID = '11111111-2222-4333-8444-555555555555';

function incident(title: string) {
  return fake.incidents.add(WORKSPACE, { title, severity: 'Medium', createdTimeUtc: incidentAt, lastModifiedTimeUtc: incidentAt });
}

function comments(id: string): string[] {
  return fake.incidents.commentsOf(id).map((c) => c.properties.message);
}

const params = { notifySender: SENDER, teamsWebhookUrl: '' };

describe('sg-contain on an incident naming a victim, a break-glass account and an IP', () => {
  it('makes exactly the Graph calls of the contain tier, for the victim only', async () => {
    const inc = incident('AiTM kit user agent');
    const seq = lastSeq(fake);
    const r = await run(fake, definition(bundled('sg-contain'), [ben.id]), triggerBody(inc, [ana, ben]), { ...params, teamsWebhookUrl: fake.url + WEBHOOK });
    expect(r.errors).toEqual([]);
    expect(r.status).toBe('Succeeded');
    const u = `/v1.0/users/${ana.id}`;
    expect(graphRequests(fake, seq)).toEqual([
      { method: 'GET', path: `/v1.0/users/${ana.id}?%24select=id%2CuserPrincipalName%2Cmail%2CaccountEnabled`, body: null },
      { method: 'PATCH', path: u, body: { accountEnabled: false } },
      { method: 'POST', path: `${u}/revokeSignInSessions`, body: null },
      { method: 'POST', path: '/v1.0/identityProtection/riskyUsers/confirmCompromised', body: { userIds: [ana.id] } },
      { method: 'GET', path: `${u}/authentication/methods`, body: null },
      { method: 'DELETE', path: `${u}/authentication/microsoftAuthenticatorMethods/b2f6c1aa-0002-4000-8000-000000000002`, body: null },
      { method: 'POST', path: `/v1.0/users/${encodeURIComponent(SENDER)}/sendMail`, body: expect.objectContaining({ saveToSentItems: false }) },
    ]);
    // Every Graph call authenticated as the managed identity for Graph.
    expect(new Set(r.calls.filter((c) => c.uri.includes('/v1.0/')).map((c) => c.audience))).toEqual(new Set(['https://graph.microsoft.com']));
    // The effect on the victim; the method registered long before the incident stays.
    const a = fake.graph.user(ana.id)!;
    expect(a.accountEnabled).toBe(false);
    expect(a.signInSessionsValidFromDateTime).toBeTruthy();
    expect(a.riskState).toBe('confirmedCompromised');
    expect(a.authMethods.map((m) => m.id)).toEqual(['b2f6c1aa-0001-4000-8000-000000000001']);
    // The user is told, in plain words, by the sender mailbox.
    const mail = fake.graph.mail.at(-1)!;
    expect(mail).toMatchObject({ from: SENDER, to: [ana.upn] });
    expect(mail.body).toContain('fake sign-in page');
    expect(mail.body).toContain('How to spot the fake page');
    // The incident: one comment saying what was done to whom, when; severity and tags.
    const [text] = comments(inc.id);
    expect(text).toContain(`${ana.upn} (${ana.id}): disable account done; revoke sessions done; confirm compromised done; remove recently added sign-in methods done`);
    expect(text).toContain(`${ben.upn} (${ben.id}): excluded account (break-glass or service account): left untouched`);
    expect(text).toMatch(/ran at \d{4}-\d\d-\d\dT/);
    const after = fake.incidents.get(inc.id)!;
    expect(after.properties.severity).toBe('High');
    expect(after.properties.labels.map((l) => l.labelName).sort()).toEqual(['sessionguard-contained', `sg-contained:${ana.id}`]);
    // The SOC channel heard about it.
    expect(fake.graph.webhooks.at(-1)).toMatchObject({ name: 'soc' });
    expect(JSON.stringify(fake.graph.webhooks.at(-1)!.body)).toContain(`${ana.upn} (${ana.id}): disable account done`);
  });

  it('never sends a request naming the excluded account', () => {
    const named = fake.fake.requests.filter((r) => r.service === 'graph' && (JSON.stringify(r).toLowerCase().includes(ben.id) || JSON.stringify(r).toLowerCase().includes(ben.upn)));
    expect(named).toEqual([]);
    expect(fake.graph.touched(ben.id)).toEqual([]);
    expect(fake.graph.user(ben.id)!.accountEnabled).toBe(true);
  });

  it('running twice on one incident changes nothing more and reports it', async () => {
    const inc = incident('replayed twice');
    const def = definition(bundled('sg-contain'), [ben.id]);
    const first = await run(fake, def, triggerBody(inc, [dora]), params);
    const mutations = fake.graph.mutations.length;
    const state = structuredClone(fake.graph.user(dora.id));
    const labels = structuredClone(fake.incidents.get(inc.id)!.properties.labels);
    const second = await run(fake, def, triggerBody(inc, [dora]), params);
    expect([first.status, second.status, first.errors, second.errors]).toEqual(['Succeeded', 'Succeeded', [], []]);
    expect(fake.graph.mutations.length).toBe(mutations);
    expect(fake.graph.user(dora.id)).toEqual(state);
    expect(fake.incidents.get(inc.id)!.properties.labels).toEqual(labels);
    expect(comments(inc.id)[1]).toContain(`${dora.upn} (${dora.id}): already contained by an earlier run for this incident; nothing done again`);
  });
});

describe('guardrails and errors', () => {
  it('contains at most N accounts per hour across incidents; the rest are only reported', async () => {
    // Another incident this hour already contained one account (its label is the record).
    const earlier = incident('earlier today');
    earlier.properties.labels.push({ labelName: 'sg-contained:00000000-aaaa-4bbb-8ccc-000000000001', labelType: 'User' });
    earlier.properties.lastModifiedTimeUtc = new Date().toISOString();
    const x1: Person = { id: '7a000000-0000-4000-8000-000000000001', upn: 'x1@contoso.com' };
    const x2: Person = { id: '7a000000-0000-4000-8000-000000000002', upn: 'x2@contoso.com' };
    const x3: Person = { id: '7a000000-0000-4000-8000-000000000003', upn: 'x3@contoso.com' };
    for (const p of [x1, x2, x3]) fake.graph.addUser({ id: p.id, userPrincipalName: p.upn });
    // Only this test's incidents count: move the earlier tests' out of the hour.
    for (const i of fake.incidents.incidents.values()) if (i !== earlier) i.properties.lastModifiedTimeUtc = hoursBefore(3);
    const inc = incident('mass phishing');
    const seq = lastSeq(fake);
    const r = await run(fake, definition(bundled('sg-contain'), []), triggerBody(inc, [x1, x2, x3]), { ...params, maxAccountsPerHour: 3 });
    expect(r.errors).toEqual([]);
    expect(fake.graph.user(x1.id)!.accountEnabled).toBe(false);
    expect(fake.graph.user(x2.id)!.accountEnabled).toBe(false);
    expect(fake.graph.user(x3.id)!.accountEnabled).toBe(true);
    expect(graphRequests(fake, seq).filter((q) => JSON.stringify(q).includes(x3.id) && q.method !== 'GET')).toEqual([]);
    const [text] = comments(inc.id);
    expect(text).toContain(`${x3.upn} (${x3.id}): NOT contained: blast-radius limit reached (3 accounts contained in the last hour, at most 3); a person must decide`);
  });

  it('dry run only comments what it would have done', async () => {
    const inc = incident('dry run');
    const before = fake.graph.mutations.length;
    const webhooks = fake.graph.webhooks.length;
    const seq = lastSeq(fake);
    const r = await run(fake, definition(bundled('sg-contain'), []), triggerBody(inc, [carl]), { ...params, dryRun: true, teamsWebhookUrl: fake.url + WEBHOOK });
    expect(r.errors).toEqual([]);
    expect(fake.graph.mutations.length).toBe(before);
    expect(graphRequests(fake, seq).map((q) => q.method)).toEqual(['GET']);
    expect(fake.graph.webhooks.length).toBe(webhooks);
    expect(fake.graph.user(carl.id)!.accountEnabled).toBe(true);
    const after = fake.incidents.get(inc.id)!;
    expect(after.properties.severity).toBe('Medium');
    expect(after.properties.labels).toEqual([]);
    const [text] = comments(inc.id);
    expect(text).toContain('in DRY-RUN mode: nothing was changed');
    expect(text).toContain(`${carl.upn} (${carl.id}): dry run: would disable account, revoke sessions, confirm compromised, remove recently added sign-in methods`);
  });

  it('reports 404, 403 and 429 from Graph in the comment and carries on', async () => {
    const inc = incident('errors');
    const deny = fake.graph.deny('/identityProtection/riskyUsers/confirmCompromised', 403);
    const fault = fake.fake.faults.add({ method: 'POST', path: /\/revokeSignInSessions$/, times: 3, status: 429, headers: { 'retry-after': '1' } });
    const seq = lastSeq(fake);
    try {
      const r = await run(fake, definition(bundled('sg-contain'), []), triggerBody(inc, [gone, carl]), params);
      expect(r.errors).toEqual([]);
      const [text] = comments(inc.id);
      expect(text).toContain(`${gone.upn} (${gone.id}): not contained: user lookup FAILED (HTTP 404 Request_ResourceNotFound)`);
      expect(text).toContain(`${carl.upn} (${carl.id}): disable account done; revoke sessions FAILED (HTTP 429 TooManyRequests); confirm compromised FAILED (HTTP 403 Authorization_RequestDenied); remove recently added sign-in methods done`);
      // The retry policy tried the throttled call three times (once and two retries).
      expect(graphRequests(fake, seq).filter((q) => q.path.endsWith('/revokeSignInSessions'))).toHaveLength(3);
      // A partial containment leaves no mark, so the next run tries again.
      expect(fake.incidents.get(inc.id)!.properties.labels.map((l) => l.labelName)).not.toContain(`sg-contained:${carl.id}`);
    } finally {
      fake.graph.allow(deny);
      fake.fake.faults.remove(fault);
    }
    const again = await run(fake, definition(bundled('sg-contain'), []), triggerBody(inc, [carl]), params);
    expect(again.errors).toEqual([]);
    expect(comments(inc.id)[1]).toContain(`${carl.upn} (${carl.id}): disable account done; revoke sessions done; confirm compromised done`);
    expect(fake.graph.user(carl.id)!.riskState).toBe('confirmedCompromised');
  });

  it('an account entity without AadUserId is looked up by UPN and still checked against the exclusions', async () => {
    const inc = incident('upn only');
    const seq = lastSeq(fake);
    const r = await run(fake, definition(bundled('sg-revoke'), [ben.id]), triggerBody(inc, [{ ...ben, withId: false }]), params);
    expect(r.errors).toEqual([]);
    expect(graphRequests(fake, seq).map((q) => q.method)).toEqual(['GET']);
    expect(fake.graph.touched(ben.id)).toEqual([]);
    expect(comments(inc.id)[0]).toContain(`${ben.upn}: excluded account (break-glass or service account): left untouched`);
  });
});

describe('the other tiers', () => {
  it('sg-revoke revokes and confirms compromised, and does not disable', async () => {
    const p: Person = { id: '7b000000-0000-4000-8000-000000000001', upn: 'erin@contoso.com' };
    fake.graph.addUser({ id: p.id, userPrincipalName: p.upn });
    const inc = incident('replay from another network');
    const seq = lastSeq(fake);
    const r = await run(fake, definition(bundled('sg-revoke'), []), triggerBody(inc, [p]), {});
    expect(r.errors).toEqual([]);
    expect(graphRequests(fake, seq).map((q) => `${q.method} ${q.path.split('?')[0]}`)).toEqual([
      `GET /v1.0/users/${p.id}`,
      `POST /v1.0/users/${p.id}/revokeSignInSessions`,
      'POST /v1.0/identityProtection/riskyUsers/confirmCompromised',
    ]);
    expect(fake.graph.user(p.id)!.accountEnabled).toBe(true);
    expect(comments(inc.id)[0]).toContain(`${p.upn} (${p.id}): user not told: no sender mailbox (the notifySender parameter is empty)`);
  });

  it('sg-notify calls no Graph at all and tags the incident', async () => {
    const inc = incident('new country');
    const seq = lastSeq(fake);
    const r = await run(fake, definition(bundled('sg-notify'), []), triggerBody(inc, [ana]), {});
    expect(r.errors).toEqual([]);
    expect(graphRequests(fake, seq)).toEqual([]);
    expect(fake.incidents.get(inc.id)!.properties.labels.map((l) => l.labelName)).toEqual(['sessionguard-review']);
    expect(comments(inc.id)[0]).toContain(`${ana.upn} (${ana.id}): nothing changed (this playbook only notifies)`);
  });

  it('text from the playbook author is sent as written, never read as an expression', async () => {
    const dir = project({
      'playbooks/odd.yaml': 'name: odd\nsteps: [revokeSessions, tag, notifyUser]\nsettings:\n  tags: ["@{x}", "[y"]\n  userSubject: "@{utcNow()} sign-in"\n  userMessage: "Call @{helpdesk} <now>"\n',
    });
    const { playbooks, diagnostics } = loadPlaybooks([join(dir, 'playbooks')], dir);
    expect(diagnostics).toEqual([]);
    const p: Person = { id: '7c000000-0000-4000-8000-000000000001', upn: 'fay@contoso.com' };
    fake.graph.addUser({ id: p.id, userPrincipalName: p.upn, mail: p.upn });
    const inc = incident('odd text');
    const r = await run(fake, definition(playbooks[0]!, []), triggerBody(inc, [p]), { notifySender: SENDER });
    expect(r.errors).toEqual([]);
    expect(fake.incidents.get(inc.id)!.properties.labels.map((l) => l.labelName)).toEqual([`sg-contained:${p.id}`, '@{x}', '[y']);
    expect(fake.graph.mail.at(-1)).toMatchObject({ to: [p.upn], subject: '@{utcNow()} sign-in', body: '<p>Call @{helpdesk} &lt;now&gt;</p>' });
  });
});
