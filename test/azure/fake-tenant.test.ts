// A fake Azure serving a recorded tenant: Log Analytics answers from its rows and the fake Graph
// knows exactly the users that appear in them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azureContext, graphClient } from '../../src/azure/context.js';
import { synthesize } from '../../src/synth/synth.js';
import type { RunningFake } from '../../scripts/fake-azure/index.js';
import { fakeAzure } from '../helpers/fake.js';

let f: RunningFake;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-fake-tenant-'));
  await synthesize({ users: 12, days: 1, seed: 'fake-tenant', attacks: ['token-replay'], start: Date.parse('2026-11-02T00:00:00Z') }, dir);
  f = await fakeAzure({ logsDir: dir });
}, 120_000);
afterAll(async () => {
  await f?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('fake Azure over a recorded tenant', () => {
  it('seeds the fake Graph with the users of the rows it serves', async () => {
    // Independent of the fake: read the sign-in rows ourselves.
    const rows = readFileSync(join(dir, 'SigninLogs.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { UserId: string; UserPrincipalName: string });
    const victim = (JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as { userId: string; account: string }[])[0]!;
    expect(rows.some((r) => r.UserId === victim.userId)).toBe(true);
    const g = graphClient(azureContext({ env: f.env() }));
    const user = (await g.api(`/users/${victim.userId}`).get()) as { id: string; userPrincipalName: string };
    expect(user.userPrincipalName.toLowerCase()).toBe(victim.account.toLowerCase());
    for (const r of rows.slice(0, 20)) expect(f.graph.user(r.UserId)?.userPrincipalName, r.UserPrincipalName).toBe(r.UserPrincipalName);
    await expect(g.api('/users/nobody@contoso.com').get()).rejects.toMatchObject({ statusCode: 404 });
  });
});
