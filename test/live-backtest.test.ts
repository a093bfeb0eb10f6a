// backtest against the fake Log Analytics serving a synthesized tenant, through the CLI and the real
// LogsQueryClient: counts equal the local replay's, batched equals window by window, the cache
// resumes an interrupted run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../src/compile/build.js';
import { LogSession } from '../src/engine/session.js';
import { backtest, type BacktestResult } from '../src/live/backtest.js';
import { openRemote } from '../src/live/remote.js';
import { openProject } from '../src/project.js';
import { loadWatchlists } from '../src/rules/watchlists.js';
import { directoryOf, localEngine } from '../src/runner/local.js';
import { replay } from '../src/runner/replay.js';
import { hasStackTrace, project, ROOT } from './helpers/cli.js';
import { runCliAsync } from './helpers/cli.js';
import { fakeAzure } from './helpers/fake.js';
import { cleanup, ms, readRows, synthTo } from './synth/helpers.js';
import type { RunningFake } from '../scripts/fake-azure/index.js';

const WS = '6b1f0e2a-7c55-4a43-9a3e-0d6a9b7e1c11';
const START = '2026-03-01';
// The fake's clock: after the tenant's two days, so every row has arrived.
const NOW = Date.parse('2026-03-04T00:00:00Z');
const END = '2026-03-03T06:00:00Z';

const CONFIG = `rules: rules
watchlists: rules/watchlists
workspaces:
  - name: lab
    workspaceId: ${WS}
    ingestionDelay:
      AADNonInteractiveUserSignInLogs: 20m
`;

const entity = `entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: AadUserId
        columnName: UserId
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
`;

// Row by row over one table, hourly over the last hour: batched, with the compiler's ingestion window.
const KIT = `id: T-KIT
name: Scripted user agent (hourly)
description: A sign-in whose user agent is an HTTP library.
severity: High
kind: Scheduled
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
tactics: [CredentialAccess]
relevantTechniques: [T1539]
parameters:
  kitAgents:
    type: dynamic
    default: ["axios", "node-fetch", "python-requests", "Go-http-client"]
query: |
  AADNonInteractiveUserSignInLogs
  | where UserAgent has_any (kitAgents)
  | project TimeGenerated, UserPrincipalName, UserId, IPAddress, SessionId, UserAgent
${entity}`;

// Two tables with different ingestion delays, through a union: batched, each table with its own window.
const BOTH = `id: T-BOTH
name: Successful sign-in from a script (both sign-in tables)
description: A successful sign-in whose user agent is an HTTP library.
severity: High
kind: Scheduled
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
tactics: [CredentialAccess]
relevantTechniques: [T1539]
query: |
  union SigninLogs, AADNonInteractiveUserSignInLogs
  | where UserAgent has_any ("axios", "node-fetch", "python-requests", "Go-http-client")
  | project TimeGenerated, UserId, IPAddress, SessionId
${entity}`;

// Row by row, but looking back 3 hours every hour: overlapping windows, batched.
const WIDE = `id: T-WIDE
name: Failed sign-ins (3h look-back)
description: Failed interactive sign-ins.
severity: Low
kind: Scheduled
queryFrequency: 1h
queryPeriod: 3h
triggerOperator: gt
triggerThreshold: 2
tactics: [CredentialAccess]
relevantTechniques: [T1110]
query: |
  SigninLogs
  | where ResultType != "0"
  | project TimeGenerated, UserId, IPAddress, ResultType
${entity}`;

// Aggregates: cannot be batched, runs window by window.
const MANY = `id: T-MANY
name: Several addresses for one account
description: One account signs in from two or more addresses within the hour.
severity: Medium
kind: Scheduled
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
tactics: [InitialAccess]
relevantTechniques: [T1078]
query: |
  AADNonInteractiveUserSignInLogs
  | where ResultType == "0"
  | summarize IPs = dcount(IPAddress), IPAddress = take_any(IPAddress) by UserId
  | where IPs > 1
${entity}`;

let tenant: string;
let dir: string;
let f: RunningFake;

beforeAll(async () => {
  tenant = await synthTo({ users: 40, days: 2, seed: 'live', start: START });
  dir = project({ 'sessionguard.yaml': CONFIG, 'rules/t-kit.yaml': KIT, 'rules/t-wide.yaml': WIDE, 'rules/t-many.yaml': MANY, 'rules/t-both.yaml': BOTH });
  cpSync(join(ROOT, 'rules', 'watchlists'), join(dir, 'rules', 'watchlists'), { recursive: true });
  cpSync(join(ROOT, 'rules', 'sg-04-identity-protection-token-theft.yaml'), join(dir, 'rules', 'sg-04.yaml'));
  cpSync(join(ROOT, 'rules', 'sg-01-kit-user-agent.yaml'), join(dir, 'rules', 'sg-01.yaml'));
  // the workspace has the pack's watchlists (synth writes three of the four)
  cpSync(join(ROOT, 'rules', 'watchlists', 'sg_allowed_automation.csv'), join(tenant, 'watchlists', 'sg_allowed_automation.csv'));
  f = await fakeAzure({ logsDir: tenant, now: () => new Date(NOW) });
  await f.logs.store(WS);
}, 120_000);
afterAll(async () => {
  await f?.stop();
  if (tenant) cleanup(tenant);
});

const queries = () => f.fake.requests.filter((r) => r.service === 'logs').length;

/** Alerts per rule from the local replay over the same rows, in the same run-time range. */
async function replayCounts(ids: string[], from: number, to: number): Promise<Map<string, number>> {
  const p = openProject(dir);
  const ws = p.config.workspaces[0]!;
  const out = compileWorkspace({ workspace: ws, workspaceIndex: 0, configSource: p.config.source, delayProfile: p.config.ingestionDelay, rules: p.rules, cache: p.cache });
  const wl = loadWatchlists([join(tenant, 'watchlists'), join(dir, 'rules', 'watchlists')]).watchlists;
  const session = await LogSession.open([tenant], { env: p.env, watchlists: wl });
  {
    const span = session.span()!;
    const r = replay({
      engine: localEngine(session),
      rules: out.rules.filter((c) => ids.includes(c.rule.id)),
      playbooks: [],
      excludedAccountIds: new Set(),
      directory: directoryOf(session),
      start: new Date(Number(span.first / 10_000n)),
      end: new Date(to),
    });
    const counts = new Map(ids.map((id) => [id, 0]));
    for (const a of r.alerts) if (a.createdAt.getTime() >= from && a.createdAt.getTime() <= to) counts.set(a.ruleId, counts.get(a.ruleId)! + 1);
    return counts;
  }
}

async function inProcess(ids: string[], cacheDir: string | null, extra: { onProgress?: (done: number) => void; signal?: AbortSignal } = {}): Promise<BacktestResult> {
  const p = openProject(dir);
  const ws = p.config.workspaces[0]!;
  const out = compileWorkspace({ workspace: ws, workspaceIndex: 0, configSource: p.config.source, delayProfile: p.config.ingestionDelay, rules: p.rules, cache: p.cache });
  const remote = await openRemote(p.config, 'lab', f.env());
  const end = Date.parse(END);
  return backtest({
    remote,
    rules: ids.map((id) => ({ compiled: out.rules.find((x) => x.rule.id === id)!, input: p.rules.find((x) => x.rule.id === id)! })),
    start: end - 3 * 86_400_000,
    end,
    env: p.env,
    delayProfile: {},
    cacheDir,
    ...extra,
  });
}

describe('backtest', () => {
  let json: BacktestResult;

  it('counts per rule equal the local replay of the same rows (batched and window by window rules)', async () => {
    const before = queries();
    const r = await runCliAsync(['backtest', '--workspace', 'lab', '--rule', 'T-KIT', 'T-WIDE', 'T-MANY', 'SG-04', 'SG-01', 'T-BOTH', '--days', '3', '--end', END, '--format', 'json', '--no-cache'], dir, f.env());
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    json = JSON.parse(r.stdout) as BacktestResult;
    const by = new Map(json.rules.map((x) => [x.id, x]));
    expect(by.get('T-KIT')!.unbatchedBecause).toBeNull();
    expect(by.get('T-WIDE')!.unbatchedBecause).toBeNull();
    expect(by.get('SG-04')!.unbatchedBecause).toBeNull();
    // a union of two tables and a join against a watchlist stay row by row
    expect(by.get('SG-01')!.unbatchedBecause).toBeNull();
    expect(by.get('SG-01')!.queries).toBe(1);
    expect(by.get('T-MANY')!.unbatchedBecause).toBe('uses summarize');
    // batched rules: one query each for 72 (hourly) or 4,320 (NRT) windows
    expect(by.get('T-KIT')!.windows).toBe(72);
    expect(by.get('T-KIT')!.queries).toBe(1);
    expect(by.get('SG-04')!.queries).toBe(1);
    expect(by.get('T-MANY')!.queries).toBe(72);
    expect(by.get('T-BOTH')!.unbatchedBecause).toBeNull();
    expect(queries() - before).toBe(1 + 1 + 1 + 72 + 1 + 1);
    const end = Date.parse(END);
    const local = await replayCounts(['T-KIT', 'T-WIDE', 'T-MANY', 'SG-04', 'SG-01', 'T-BOTH'], end - 3 * 86_400_000, end);
    for (const id of ['T-KIT', 'T-WIDE', 'T-MANY', 'SG-04', 'SG-01', 'T-BOTH']) expect({ id, alerts: by.get(id)!.alerts }).toEqual({ id, alerts: local.get(id) });
    // the tenant's attacks make the kit and risk rules fire, so the comparison is not 0 == 0
    expect(by.get('T-KIT')!.alerts).toBeGreaterThan(0);
    expect(by.get('SG-04')!.alerts).toBeGreaterThan(0);
    expect(by.get('SG-01')!.alerts).toBeGreaterThan(0);
    expect(by.get('T-BOTH')!.alerts).toBeGreaterThan(0);
    expect(by.get('T-MANY')!.alerts).toBeGreaterThan(0);
    // per day and per entity add up to the total
    for (const x of json.rules) {
      expect(x.perDay.reduce((n, d) => n + d.alerts, 0)).toBe(x.alerts);
      for (const e of x.perEntity) expect(e.alerts).toBeLessThanOrEqual(x.alerts);
      if (x.alerts) expect(x.perEntity.length).toBeGreaterThan(0);
    }
  }, 240_000);

  it('batched and window-by-window runs give the same counts per day and per entity', async () => {
    const r = await runCliAsync(['backtest', '--workspace', WS, '--rule', 'T-KIT', 'T-WIDE', 'T-BOTH', '--days', '3', '--end', END, '--format', 'json', '--no-cache', '--no-batch'], dir, f.env());
    expect(r.code).toBe(0);
    const unbatched = JSON.parse(r.stdout) as BacktestResult;
    for (const id of ['T-KIT', 'T-WIDE', 'T-BOTH']) {
      const a = json.rules.find((x) => x.id === id)!;
      const b = unbatched.rules.find((x) => x.id === id)!;
      expect(b.unbatchedBecause).toBe('batching turned off');
      expect(b.queries).toBe(72);
      expect({ alerts: b.alerts, perDay: b.perDay, perEntity: b.perEntity }).toEqual({ alerts: a.alerts, perDay: a.perDay, perEntity: a.perEntity });
    }
  }, 240_000);

  it('splits a batched query that is over the row limit and still counts the same', async () => {
    // the row limit: above any single 3-hour window's failed sign-ins, below the whole range's
    const failed = readRows(tenant, 'SigninLogs').filter((r) => r.ResultType !== '0').map((r) => ms(r.TimeGenerated)).sort((a, b) => a - b);
    const perWindow = Math.max(...failed.map((t) => failed.filter((u) => u >= t && u <= t + 3 * 3_600_000).length));
    expect(perWindow).toBeLessThan(failed.length);
    f.logs.maxRows = perWindow;
    try {
      const before = f.fake.requests.length;
      const got = (await inProcess(['T-WIDE'], null)).rules[0]!;
      expect(got.splits).toBeGreaterThan(0);
      expect(got.truncatedWindows).toBe(0);
      expect(got.alerts).toBe(json.rules.find((x) => x.id === 'T-WIDE')!.alerts);
      const logs = f.fake.requests.slice(before).filter((q) => q.service === 'logs');
      expect(logs.length).toBe(got.queries);
      expect(logs.every((q) => q.status === 200)).toBe(true);
    } finally {
      f.logs.maxRows = 500_000;
    }
  }, 240_000);

  it('resumes an interrupted run from the cache, sending only the missing windows', async () => {
    const cacheDir = join(dir, '.cache-resume');
    const ac = new AbortController();
    const before0 = queries();
    await expect(inProcess(['T-MANY'], cacheDir, { onProgress: (done) => done >= 30 && ac.abort(), signal: ac.signal })).rejects.toThrow(/interrupted/);
    expect(queries() - before0).toBe(30);
    expect(readdirSync(cacheDir).length).toBe(1);
    const before = queries();
    const r = await runCliAsync(['backtest', '--workspace', 'lab', '--rule', 'T-MANY', '--days', '3', '--end', END, '--format', 'json', '--cache', cacheDir], dir, f.env());
    expect(r.code).toBe(0);
    const got = (JSON.parse(r.stdout) as BacktestResult).rules[0]!;
    expect(got.cachedWindows).toBe(30);
    expect(got.queries).toBe(42);
    expect(queries() - before).toBe(42);
    expect(got.alerts).toBe(json.rules.find((x) => x.id === 'T-MANY')!.alerts);
    // a third run is served from the cache alone
    const again = await runCliAsync(['backtest', '--workspace', 'lab', '--rule', 'T-MANY', '--days', '3', '--end', END, '--format', 'json', '--cache', cacheDir], dir, f.env());
    expect((JSON.parse(again.stdout) as BacktestResult).rules[0]!.queries).toBe(0);
  }, 240_000);

  it('prints a table and writes an HTML report with a per-day chart per rule', async () => {
    const report = join(dir, 'bt.html');
    const r = await runCliAsync(['backtest', '--workspace', 'lab', '--rule', 'T-KIT', 'SG-04', '--days', '3', '--end', END, '--report', report], dir, f.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^T-KIT\s+Scheduled\s+72\s+\d+\s+\d+\s+\d+\s+\d+\s+batched$/m);
    expect(r.stdout).toMatch(/per day: +2026-03-0\d \d+/);
    const html = readFileSync(report, 'utf8');
    expect(html.match(/<svg class="perday"/g)?.length).toBe(2);
    expect(html).toContain('aria-label="alerts per day for SG-04"');
  }, 240_000);

  it('refuses bad arguments with a message and exit 1, no stack trace', async () => {
    for (const args of [
      ['backtest', '--workspace', 'lab', '--days', '3'],
      ['backtest', '--workspace', 'lab', '--rule', 'NOPE', '--days', '3'],
      ['backtest', '--workspace', 'lab', '--all', '--days', 'many'],
    ]) {
      const r = await runCliAsync(args, dir, f.env());
      expect(r.code).toBe(1);
      expect(hasStackTrace(r.stderr)).toBe(false);
      expect(r.stderr.trim().length).toBeGreaterThan(0);
    }
  }, 120_000);
});
