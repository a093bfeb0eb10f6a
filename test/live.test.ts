// The fake Log Analytics with the real LogsQueryClient, and record, anonymize, latency and
// query --workspace through the CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { azureContext, logsClient, resourcesClient } from '../src/azure/context.js';
import { runQuery } from '../src/engine/index.js';
import { Anonymizer } from '../src/live/anonymize.js';
import { verify } from '../src/live/record.js';
import { loadConfig } from '../src/rules/config.js';
import { hasStackTrace, project, ROOT } from './helpers/cli.js';
import { fakeAzure, HAVE_AZURE_SPECS, SUB } from './helpers/fake.js';
import { runCliAsync } from './helpers/cli.js';
import { cleanup, ms, readRows, synthTo, type Row } from './synth/helpers.js';
import type { RunningFake } from '../scripts/fake-azure/index.js';

const WS = '3f0c8a51-2d6e-4b7a-9c1d-5e4f3a2b1c00';
const SEEDED = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const NOW = Date.parse('2026-03-04T00:00:00Z');
const END = '2026-03-03T12:00:00Z';

let tenant: string;
let seeded: string;
let dir: string;
let f: RunningFake;

// A hand-made table with known users and addresses in plain, dynamic and free-text columns.
const SEED_UPNS = ['ana.lopez@contoso.com', 'Bram.DeVries@fabrikam.example.org'];
const SEED_IDS = ['6f1c2d8e-0b9a-4c47-9a51-3e2f7d6c1a01', '7a2d3e9f-1cab-4d58-8b62-4f308e7d2b12'];
const SEED_IPS = ['203.0.113.77', '198.51.100.23', '2001:4860:4860::8888'];
function seededRows(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 20; i++) {
    const u = i % 2;
    const t = new Date(Date.parse('2026-03-02T08:00:00Z') + i * 600_000).toISOString();
    rows.push({
      TimeGenerated: t,
      _TimeReceived: new Date(Date.parse(t) + 90_000).toISOString(),
      OperationName: 'Update user',
      Category: 'UserManagement',
      Result: 'success',
      CorrelationId: `c0ffee00-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`,
      InitiatedBy: { user: { id: SEED_IDS[u], userPrincipalName: SEED_UPNS[u], displayName: u ? 'Bram de Vries' : 'Ana Lopez', ipAddress: SEED_IPS[i % 3] } },
      TargetResources: [{ id: SEED_IDS[1 - u], type: 'User', userPrincipalName: SEED_UPNS[1 - u], displayName: 'target', modifiedProperties: [] }],
      ResultReason: `changed by ${SEED_UPNS[u]} from ${SEED_IPS[i % 3]} (session of ${SEED_IDS[u]})`,
      AdditionalDetails: JSON.stringify([{ key: 'UserAgent', value: 'Mozilla/5.0 (Windows NT 10.0) Chrome/120.0.0.0' }, { key: 'ClientIP', value: SEED_IPS[(i + 1) % 3] }]),
    });
  }
  return rows;
}

// Rows with known ingestion delays: 1..100 s after TimeGenerated, CreatedDateTime 30 s before it.
const LAG = '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70';
function lagRows(): Row[] {
  return Array.from({ length: 100 }, (_, i) => {
    const tg = Date.parse('2026-03-03T00:00:00Z') + i * 60_000;
    return {
      TimeGenerated: new Date(tg).toISOString(),
      CreatedDateTime: new Date(tg - 30_000).toISOString(),
      _TimeReceived: new Date(tg + (i + 1) * 1000).toISOString(),
      ResultType: '0',
      UserId: SEED_IDS[0],
    };
  });
}

const CONFIG = `# lab workspaces
rules: rules
workspaces:
  - name: lab          # the synthesized tenant
    workspaceId: ${WS}
  - name: armlab       # resolved through ARM (GET workspace -> customerId)
    subscriptionId: ${SUB}
    resourceGroup: rg-sec
    workspaceName: law-lab
  - name: lag
    workspaceId: ${LAG}
    ingestionDelay:
      OfficeActivity: 100m   # kept
`;

beforeAll(async () => {
  tenant = await synthTo({ users: 40, days: 2, seed: 'live-rec', start: '2026-03-01' });
  seeded = join(tenant, '..', 'seeded');
  mkdirSync(seeded);
  writeFileSync(join(seeded, 'AuditLogs.ndjson'), seededRows().map((r) => JSON.stringify(r)).join('\n') + '\n');
  const lagDir = join(tenant, '..', 'lag');
  mkdirSync(lagDir);
  writeFileSync(join(lagDir, 'SigninLogs.ndjson'), lagRows().map((r) => JSON.stringify(r)).join('\n') + '\n');
  dir = project({ 'sessionguard.yaml': CONFIG, 'rules/.keep': '' });
  f = await fakeAzure({ logsDir: tenant, logsDirs: { [SEEDED]: seeded, [LAG]: lagDir }, now: () => new Date(NOW) });
  f.arm.addWorkspace(SUB, 'rg-sec', 'law-lab', WS);
  await f.logs.store(WS);
}, 120_000);
afterAll(async () => {
  await f?.stop();
  if (tenant) cleanup(tenant);
});

const logsRequests = () => f.fake.requests.filter((r) => r.service === 'logs');

/** Rows of a table the workspace holds for [from, to): TimeGenerated in range, ingested by the fake's now. */
function expected(table: string, from: number, to: number): Row[] {
  return readRows(tenant, table).filter((r) => ms(r.TimeGenerated) >= from && ms(r.TimeGenerated) < to && ms(r._TimeReceived ?? r.TimeGenerated) <= NOW);
}

describe('fake Log Analytics with the real LogsQueryClient', () => {
  it('answers in the wire format: tables, typed columns, statistics; datetimes and dynamic parsed by the client', async () => {
    const c = logsClient(azureContext({ env: f.env() }));
    const r = await c.queryWorkspace(WS, 'SigninLogs | where ResultType == "0" | project TimeGenerated, UserId, DeviceDetail | take 3', { duration: 'P30D' }, { includeQueryStatistics: true, includeVisualization: true });
    expect(r.status).toBe('Success');
    if (r.status !== 'Success') return;
    expect(r.tables[0]!.columnDescriptors.map((x) => `${x.name}:${x.type}`)).toEqual(['TimeGenerated:datetime', 'UserId:string', 'DeviceDetail:dynamic']);
    expect(r.tables[0]!.rows[0]![0]).toBeInstanceOf(Date);
    expect(typeof r.tables[0]!.rows[0]![2]).toBe('object');
    expect(r.statistics).toBeDefined();
    const req = logsRequests().at(-1)!;
    expect(req.headers.prefer).toBe('include-statistics=true,include-render=true');
    expect(req.body).toEqual({ query: expect.any(String), timespan: 'P30D' });
    expect(req.problems).toEqual([]);
  });

  it('serves /v1/{resourceId}/query (the client sends a double slash) and /v1/$batch', async () => {
    const c = logsClient(azureContext({ env: f.env() }));
    const rid = `/subscriptions/${SUB}/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-lab`;
    const r = await c.queryResource(rid, 'SigninLogs | count', { duration: 'P30D' });
    expect(r.status).toBe('Success');
    expect(logsRequests().at(-1)!.path).toBe(`/v1${rid}/query`);
    const b = await c.queryBatch([
      { workspaceId: WS, query: 'SigninLogs | count', timespan: { duration: 'P30D' } },
      { workspaceId: WS, query: 'AuditLogs | count', timespan: { duration: 'P30D' } },
    ]);
    expect(b.map((x) => ('tables' in x ? x.tables[0]!.rows[0]![0] : null))).toEqual([readRows(tenant, 'SigninLogs').length, readRows(tenant, 'AuditLogs').length]);
  });

  it('refuses a bad timespan, a bad Prefer header and a query that does not parse with 400', async () => {
    const ctx = azureContext({ env: f.env() });
    const c = logsClient(ctx);
    await expect(c.queryWorkspace(WS, 'SigninLogs | count', { duration: 'P1X' })).rejects.toMatchObject({ statusCode: 400 });
    await expect(c.queryWorkspace(WS, 'SigninLogs | wher x', { duration: 'P1D' })).rejects.toMatchObject({ statusCode: 400, code: 'BadArgumentError' });
    const res = await resourcesClient(ctx, SUB).sendRequest(
      createPipelineRequest({ url: `${f.url}/v1/workspaces/${WS}/query`, method: 'POST', headers: createHttpHeaders({ 'content-type': 'application/json', prefer: 'wait=9000, frobnicate' }), body: JSON.stringify({ query: 'SigninLogs | count' }) }),
    );
    expect(res.status).toBe(400);
    expect(logsRequests().at(-1)!.problems.map((p) => p.code)).toEqual(['PREFER', 'PREFER']);
  });

  it.skipIf(!HAVE_AZURE_SPECS)('checks the body against queryBody of the official spec', async () => {
    expect(f.logs.specChecked).toBe(true);
    const ctx = azureContext({ env: f.env() });
    const res = await resourcesClient(ctx, SUB).sendRequest(
      createPipelineRequest({ url: `${f.url}/v1/workspaces/${WS}/query`, method: 'POST', headers: createHttpHeaders({ 'content-type': 'application/json' }), body: JSON.stringify({ timespan: 'P1D' }) }),
    );
    expect(res.status).toBe(400);
    expect(logsRequests().at(-1)!.problems[0]!.code).toBe('SPEC');
  });

  it('answers over the row limit with 200 and a partial error, and 429 is retried by the client', async () => {
    const c = logsClient(azureContext({ env: f.env() }));
    f.logs.maxRows = 5;
    try {
      const r = await c.queryWorkspace(WS, 'SigninLogs', { duration: 'P30D' });
      expect(r.status).toBe('PartialFailure');
      if (r.status !== 'PartialFailure') return;
      expect(r.partialTables[0]!.rows.length).toBe(5);
      expect(r.partialError.code).toBe('PartialError');
      expect(JSON.stringify(r.partialError)).toContain('E_QUERY_RESULT_SET_TOO_LARGE');
    } finally {
      f.logs.maxRows = 500_000;
    }
    const before = logsRequests().length;
    f.fake.faults.add({ method: 'POST', path: '/query', status: 429, headers: { 'retry-after': '0' }, times: 1 });
    const ok = await c.queryWorkspace(WS, 'SigninLogs | count', { duration: 'P30D' });
    expect(ok.status).toBe('Success');
    expect(logsRequests().slice(before).map((r) => r.status)).toEqual([429, 200]);
  });

  it('knows the users in its rows (to seed the fake Graph)', async () => {
    const users = await f.logs.usersInRows();
    const upns = new Set(readRows(tenant, 'SigninLogs').map((r) => r.UserPrincipalName));
    expect(users.length).toBeGreaterThan(0);
    for (const u of users.filter((x) => upns.has(x.userPrincipalName))) expect(u.displayName).not.toBe('');
    const known = new Set(users.map((u) => u.userPrincipalName));
    for (const upn of upns) expect(known.has(upn as string)).toBe(true);
    expect(users.find((u) => u.id === readRows(tenant, 'SigninLogs')[0]!.UserId)!.userPrincipalName).toBe(readRows(tenant, 'SigninLogs')[0]!.UserPrincipalName);
  });
});

describe('record', () => {
  it('chunks by time at the row limit and keeps every row with its ingestion time', async () => {
    const out = join(dir, 'signins.ndjson');
    f.logs.maxRows = 20;
    const before = logsRequests().length;
    try {
      const r = await runCliAsync(['record', '--workspace', 'lab', '--table', 'AADNonInteractiveUserSignInLogs', '--since', '3d', '--end', END, '--out', out], dir, f.env());
      expect(r.stderr).toMatch(/recorded \d+ AADNonInteractiveUserSignInLogs rows in \d+ queries \(\d+ splits? at the service limits\)/);
      expect(r.code).toBe(0);
    } finally {
      f.logs.maxRows = 500_000;
    }
    const reqs = logsRequests().slice(before);
    expect(reqs.filter((q) => q.status === 200).length).toBeGreaterThan(2);
    const got = readRows(dir, 'signins');
    const want = expected('AADNonInteractiveUserSignInLogs', Date.parse(END) - 3 * 86_400_000, Date.parse(END));
    expect(want.length).toBeGreaterThan(20);
    expect(got.length).toBe(want.length);
    const byId = new Map(want.map((r) => [r.Id, r]));
    for (const r of got) {
      const w = byId.get(r.Id)!;
      expect(ms(r._TimeReceived)).toBe(ms(w._TimeReceived));
      expect(ms(r.TimeGenerated)).toBe(ms(w.TimeGenerated));
    }
    expect(new Set(got.map((r) => r.Id)).size).toBe(got.length); // no row twice at chunk edges
    // the runner reads it back
    const local = await runQuery('AADNonInteractiveUserSignInLogs | count', { logs: [out] });
    expect(local.table.cols[0]!.data[0]).toBe(want.length);
  }, 240_000);

  it('retries a timed-out range as smaller windows', async () => {
    const out = join(dir, 'office.ndjson');
    const want = expected('OfficeActivity', Date.parse(END) - 3 * 86_400_000, Date.parse(END));
    f.logs.maxScannedRows = Math.floor(want.length / 3);
    const before = logsRequests().length;
    try {
      const r = await runCliAsync(['record', '--workspace', 'lab', '--table', 'OfficeActivity', '--since', '3d', '--end', END, '--out', out], dir, f.env());
      expect(r.code).toBe(0);
    } finally {
      f.logs.maxScannedRows = Infinity;
    }
    const statuses = logsRequests().slice(before).map((q) => q.status);
    expect(statuses).toContain(504);
    expect(statuses.at(-1)).toBe(200);
    // the first attempt covered the whole range; a later successful one a smaller span
    const spans = logsRequests().slice(before).map((q) => (q.body as { timespan: string }).timespan.split('/').map(Date.parse)).map(([a, b]) => b! - a!);
    expect(Math.min(...spans)).toBeLessThan(spans[0]!);
    expect(readRows(dir, 'office').length).toBe(want.length);
  }, 240_000);
});

describe('record --anonymize', () => {
  const salt = () => join(dir, 'secrets', 'salt.txt');

  it('leaves no seeded UPN, object id or address anywhere, in dynamic, JSON-text and free-text columns; keeps user agents', async () => {
    const out = join(dir, 'anon-audit.ndjson');
    const r = await runCliAsync(['record', '--workspace', SEEDED, '--table', 'AuditLogs', '--since', '7d', '--end', END, '--out', out, '--anonymize', '--salt-file', salt()], dir, f.env());
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n').filter(Boolean).length).toBe(20);
    const lower = text.toLowerCase();
    for (const v of [...SEED_UPNS, ...SEED_IDS, ...SEED_IPS, 'Ana Lopez', 'Bram de Vries', 'contoso', 'fabrikam']) expect(lower).not.toContain(v.toLowerCase());
    expect(text).toContain('Chrome/120.0.0.0');
    // shapes kept: a UPN stays user@domain, an address stays an address, a GUID a GUID
    const row = JSON.parse(text.split('\n')[0]!) as { InitiatedBy: { user: { id: string; userPrincipalName: string; ipAddress: string } } };
    expect(row.InitiatedBy.user.userPrincipalName).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
    expect(row.InitiatedBy.user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(row.InitiatedBy.user.ipAddress).toMatch(/^(10\.\d+\.\d+\.\d+|2001:db8:[0-9a-f:]+)$/);
    // the salt stays outside the output
    const s = readFileSync(salt(), 'utf8').trim();
    expect(s.length).toBeGreaterThanOrEqual(32);
    expect(text).not.toContain(s);
  }, 240_000);

  it('maps consistently across tables and runs: joins on SessionId, UserId and IP give the same counts as on the original', async () => {
    mkdirSync(join(dir, 'anon'), { recursive: true });
    for (const t of ['SigninLogs', 'AADNonInteractiveUserSignInLogs']) {
      const r = await runCliAsync(['record', '--workspace', 'lab', '--table', t, '--since', '4d', '--end', END, '--out', join(dir, 'anon', `${t}.ndjson`), '--anonymize', '--salt-file', salt()], dir, f.env());
      if (r.code !== 0) throw new Error(r.stderr);
    }
    const original = join(dir, 'orig');
    mkdirSync(original, { recursive: true });
    for (const t of ['SigninLogs', 'AADNonInteractiveUserSignInLogs'])
      writeFileSync(join(original, `${t}.ndjson`), expected(t, Date.parse(END) - 4 * 86_400_000, Date.parse(END)).map((x) => JSON.stringify(x)).join('\n') + '\n');
    const queries = [
      'SigninLogs | join kind=inner (AADNonInteractiveUserSignInLogs) on UserId | count',
      'SigninLogs | join kind=inner (AADNonInteractiveUserSignInLogs) on SessionId | count',
      'SigninLogs | join kind=inner (AADNonInteractiveUserSignInLogs) on IPAddress | count',
      'SigninLogs | join kind=inner (AADNonInteractiveUserSignInLogs) on UserPrincipalName | count',
      'union SigninLogs, AADNonInteractiveUserSignInLogs | summarize dcount(UserId), dcount(IPAddress), dcount(UserPrincipalName), dcount(SessionId)',
      'SigninLogs | summarize dcount(tostring(DeviceDetail.displayName)), dcount(UserDisplayName)',
      'SigninLogs | summarize count() by Country = tostring(LocationDetails.countryOrRegion), AutonomousSystemNumber | order by Country asc, AutonomousSystemNumber asc',
    ];
    const now = BigInt(NOW) * 10_000n;
    for (const q of queries) {
      const a = await runQuery(q, { logs: [original], now });
      const b = await runQuery(q, { logs: [join(dir, 'anon')], now });
      expect(a.table.n).toBeGreaterThan(0);
      expect(b.table.cols.map((c) => c.data)).toEqual(a.table.cols.map((c) => c.data));
    }
    const joined = await runQuery(queries[0]!, { logs: [original], now });
    expect(joined.table.cols[0]!.data[0]).toBeGreaterThan(0);
    // no original UPN, user id or address of the tenant survives
    const text = readFileSync(join(dir, 'anon', 'SigninLogs.ndjson'), 'utf8') + readFileSync(join(dir, 'anon', 'AADNonInteractiveUserSignInLogs.ndjson'), 'utf8');
    const orig = [...readRows(original, 'SigninLogs'), ...readRows(original, 'AADNonInteractiveUserSignInLogs')];
    for (const v of new Set(orig.flatMap((x) => [x.UserPrincipalName, x.UserId, x.UserDisplayName].map(String)))) expect(text.toLowerCase()).not.toContain(v.toLowerCase());
    for (const ip of new Set(orig.map((x) => String(x.IPAddress)))) expect(text).not.toMatch(new RegExp(`(?<![\\d.])${ip.replace(/\./g, '\\.')}(?![\\d.])`));
  }, 300_000);

  it('the check after writing catches a value that survived, and names none of them', async () => {
    const a = new Anonymizer(Buffer.from('x'.repeat(40)));
    a.collect({ UserPrincipalName: 'eve@contoso.com', IPAddress: '192.0.2.5' });
    const file = join(dir, 'leak.ndjson');
    writeFileSync(file, JSON.stringify(a.row({ UserPrincipalName: 'eve@contoso.com' })) + '\n' + JSON.stringify({ Note: 'seen at 192.0.2.5' }) + '\n');
    expect(await verify(file, a)).toEqual(['192.0.2.5']);
  });
});

describe('latency', () => {
  it('prints P50/P95/P99/max from TimeGenerated and CreatedDateTime, and --write stores the P99 keeping comments', async () => {
    const r = await runCliAsync(['latency', '--workspace', 'lag', '--days', '3', '--end', '2026-03-03T12:00:00Z', '--tables', 'SigninLogs', 'AuditLogs', '--format', 'json', '--write'], dir, f.env());
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as { tables: { table: string; rows: number; timeGenerated: Record<string, number>; created: Record<string, number>; delay: string }[] };
    // delays 1..100 s: nearest-rank percentiles
    expect(got.tables).toEqual([{ table: 'SigninLogs', rows: 100, timeGenerated: { p50: 50, p95: 95, p99: 99, max: 100 }, created: { p50: 80, p95: 125, p99: 129, max: 130 }, delay: '2m' }]);
    const yaml = readFileSync(join(dir, 'sessionguard.yaml'), 'utf8');
    expect(yaml).toContain('# lab workspaces');
    expect(yaml).toMatch(/OfficeActivity: 100m +# kept/);
    expect(yaml).toMatch(/name: lab +# the synthesized tenant/);
    const { config } = loadConfig(dir);
    expect(config.workspaces.find((w) => w.name === 'lag')!.ingestionDelay).toEqual({ OfficeActivity: 100 * 60_000, SigninLogs: 2 * 60_000 });
  }, 240_000);
});

describe('query --workspace', () => {
  it('runs remotely with the same output formats; a configured ARM workspace resolves its customerId', async () => {
    const q = 'SigninLogs | summarize n = count() by ResultType | order by ResultType asc';
    const remote = await runCliAsync(['query', '--workspace', 'armlab', '--timespan', '30d', '--format', 'csv', q], dir, f.env());
    expect(remote.stderr).toBe('');
    expect(remote.code).toBe(0);
    const local = await runCliAsync(['query', '--logs', tenant, '--now', new Date(NOW).toISOString(), '--timespan', '30d', '--format', 'csv', q], dir, {});
    expect(remote.stdout).toBe(local.stdout);
    const arm = f.fake.requests.filter((r) => r.service === 'arm' && r.method === 'GET' && r.path.endsWith('/workspaces/law-lab'));
    expect(arm.length).toBeGreaterThan(0);
    expect(logsRequests().at(-1)!.path).toBe(`/v1/workspaces/${WS}/query`);
    const table = await runCliAsync(['query', '--workspace', WS, 'SigninLogs | count'], dir, f.env());
    expect(table.stdout).toMatch(/^Count\n-+\n\d+\n\(1 row\)\n$/);
  }, 240_000);

  it('refuses bad input with exit 1 and no stack trace', async () => {
    for (const args of [
      ['query', '--workspace', 'nowhere', 'SigninLogs | count'],
      ['query', '--workspace', WS, '--now', '2026-01-01T00:00:00Z', 'SigninLogs | count'],
      ['query', '--workspace', WS, 'SigninLogs | wher'],
      ['record', '--workspace', 'lab', '--table', 'Signin Logs; drop', '--out', join(dir, 'x.ndjson')],
    ]) {
      const r = await runCliAsync(args, dir, f.env());
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    expect(existsSync(join(dir, 'x.ndjson'))).toBe(false);
  }, 240_000);
});

describe('npm run fake-azure -- --logs', () => {
  it('prints the listening address and the CA first, and serves the folder', async () => {
    const tsx = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'scripts', 'fake-azure.ts'), '--logs', seeded], { cwd: ROOT });
    try {
      const lines = await new Promise<string[]>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const l = out.split('\n');
          if (l.length > 2) resolve(l.slice(0, 2));
        });
        child.on('error', reject);
        child.on('close', () => reject(new Error(`exited: ${out}`)));
      });
      expect(lines[0]).toMatch(/^listening on https:\/\/127\.0\.0\.1:\d+$/);
      expect(lines[1]).toMatch(/^ca: .+\.pem$/);
      const url = lines[0]!.slice('listening on '.length);
      const c = logsClient(azureContext({ env: { SESSIONGUARD_LOGS_ENDPOINT: url, SESSIONGUARD_ARM_ENDPOINT: url, SESSIONGUARD_GRAPH_ENDPOINT: url, SESSIONGUARD_STATIC_TOKEN: 't', SESSIONGUARD_CA_FILE: lines[1]!.slice(4) } }));
      const r = await c.queryWorkspace(SEEDED, 'AuditLogs | count', { duration: 'P3650D' });
      expect(r.status === 'Success' && r.tables[0]!.rows[0]![0]).toBe(20);
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);
});
