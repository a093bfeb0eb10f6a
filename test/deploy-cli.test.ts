// plan, apply and export through the CLI, as a user runs them, against the fake Azure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasStackTrace, project, ROOT } from './helpers/cli.js';
import { fakeAzure, SUB } from './helpers/fake.js';
import { runCliAsync as runCli } from './helpers/cli.js';
import type { RunningFake } from '../scripts/fake-azure/index.js';

const RULES = ['sg-01-kit-user-agent.yaml', 'sg-03-session-replay.yaml'];
const LISTS = ['sg_allowed_automation.csv', 'sg_excluded_accounts.csv', 'sg_trusted_egress.csv'];
const PLAYBOOKS = ['sg-contain.yaml', 'sg-revoke.yaml', 'sg-notify.yaml'];
// Rules and watchlists; per playbook its Sentinel connection and its Logic App; one automation rule
// per rule with a response (SG-01 contain, SG-03 revoke); the token theft workbook.
const DESIRED = RULES.length + LISTS.length + 2 * PLAYBOOKS.length + 2 + 1;
// Playbooks and their connections live in the resource group: workspaces in one group share them.
const SHARED = 2 * PLAYBOOKS.length;

/** A project that shares the KQL analysis cache of `from`, so the analyzer does not start cold. */
function withCache(p: string, from: string): string {
  if (existsSync(join(from, '.sessionguard'))) cpSync(join(from, '.sessionguard'), join(p, '.sessionguard'), { recursive: true });
  return p;
}

function files(workspaces: string[], rg: (w: string) => string = () => 'rg-sec'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of RULES) out[`rules/${r}`] = readFileSync(join(ROOT, 'rules', r), 'utf8');
  for (const l of LISTS) out[`rules/watchlists/${l}`] = readFileSync(join(ROOT, 'rules', 'watchlists', l), 'utf8');
  for (const p of PLAYBOOKS) out[`playbooks/${p}`] = readFileSync(join(ROOT, 'playbooks', p), 'utf8');
  out['workbooks/token-theft.yaml'] = readFileSync(join(ROOT, 'workbooks', 'token-theft.yaml'), 'utf8');
  out['sessionguard.yaml'] = `workspaces:\n${workspaces.map((w) => `  - name: ${w}\n    subscriptionId: ${SUB}\n    resourceGroup: ${rg(w)}\n    workspaceName: law-${w}\n    location: westeurope\n`).join('')}`;
  return out;
}

const wsId = (w: string) => `/subscriptions/${SUB}/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-${w}`;

let f: RunningFake;
let dir: string;
beforeAll(async () => {
  f = await fakeAzure();
  dir = project(files(['first', 'noyes', 'prune', 'faults']));
}, 60_000);
afterAll(async () => {
  await f.stop();
});

const inWs = (w: string, type: string) => f.arm.ofType(type).filter((r) => r.id.toLowerCase().startsWith(wsId(w).toLowerCase() + '/'));
const writesSince = (seq: number) => f.fake.requests.filter((r) => r.seq > seq && (r.method === 'PUT' || r.method === 'DELETE'));
const lastSeq = () => f.fake.requests.at(-1)?.seq ?? 0;
const counts = (stdout: string) => (JSON.parse(stdout) as { workspaces: Record<string, unknown>[] }).workspaces;

// Each CLI run starts Node and the KQL analyzer: generous limits for a loaded machine.
describe('plan and apply through the CLI', { timeout: 240_000 }, () => {
  it('a first apply creates exactly what plan said', async () => {
    const plan = await runCli(['plan', '--workspace', 'first', '--format', 'json'], dir, f.env());
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(counts(plan.stdout)).toEqual([{ workspace: 'first', created: DESIRED, updated: 0, deleted: 0, unchanged: 0, failed: 0, drifted: 0 }]);
    const before = lastSeq();
    const apply = await runCli(['apply', '--workspace', 'first', '--yes', '--format', 'json'], dir, f.env());
    expect(apply.code).toBe(0);
    expect(counts(apply.stdout)).toEqual(counts(plan.stdout));
    expect(writesSince(before).map((r) => r.status)).toEqual(Array(DESIRED).fill(201));
    expect(inWs('first', 'Microsoft.SecurityInsights/alertRules')).toHaveLength(RULES.length);
    expect(inWs('first', 'Microsoft.SecurityInsights/watchlists').map((w) => w.name).sort()).toEqual(LISTS.map((l) => l.replace('.csv', '')));
    // NRT, and SG-03's sub-technique T1550.004, need the preview api-version; the bodies went out at it.
    expect(inWs('first', 'Microsoft.SecurityInsights/alertRules').map((r) => `${String(r.body.kind)} ${r.apiVersion}`).sort()).toEqual(['NRT 2025-07-01-preview', 'Scheduled 2025-07-01-preview']);
    const sg03 = inWs('first', 'Microsoft.SecurityInsights/alertRules').find((r) => r.body.kind === 'Scheduled')!;
    expect((sg03.body.properties as Record<string, unknown>).subTechniques).toContain('T1550.004');
  });

  it('a second apply is a no-op: no write at all', async () => {
    const before = lastSeq();
    const r = await runCli(['apply', '--workspace', 'first', '--yes', '--format', 'json'], dir, f.env());
    expect(r.code).toBe(0);
    expect(counts(r.stdout)).toEqual([{ workspace: 'first', created: 0, updated: 0, deleted: 0, unchanged: DESIRED, failed: 0, drifted: 0 }]);
    expect(writesSince(before)).toEqual([]);
  });

  it('reports drift after an edit in the portal, field by field', async () => {
    expect((await runCli(['export', '--out', 'out-before', '--workspace', 'first'], dir, f.env())).code).toBe(0);
    const rule = inWs('first', 'Microsoft.SecurityInsights/alertRules').find((r) => r.body.kind === 'Scheduled')!;
    const was = (rule.body.properties as Record<string, unknown>).displayName;
    f.arm.edit(rule.id, (b) => ((b.properties as Record<string, unknown>).displayName = 'edited in portal'));
    const json = await runCli(['plan', '--workspace', 'first', '--format', 'json'], dir, f.env());
    expect(counts(json.stdout)).toEqual([{ workspace: 'first', created: 0, updated: 1, deleted: 0, unchanged: DESIRED - 1, failed: 0, drifted: 1 }]);
    const text = await runCli(['plan', '--workspace', 'first'], dir, f.env());
    expect(text.stdout).toContain('~ update analyticsRule SG-03');
    expect(text.stdout).toContain('drifted: changed in the workspace since the last apply');
    expect(text.stdout).toContain(`properties.displayName: "edited in portal" -> ${JSON.stringify(was)}`);
  });

  it('reports a stale ETag as a conflict and does not overwrite; the next apply converges', async () => {
    const rule = inWs('first', 'Microsoft.SecurityInsights/alertRules').find((r) => r.body.kind === 'Scheduled')!;
    const inCode = JSON.parse(readFileSync(join(dir, 'out-before', 'first', 'combined', 'azuredeploy.json'), 'utf8')).resources.find((x: { name: string }) => x.name.includes(rule.name)).properties.displayName as string;
    f.arm.editOnNextWrite(rule.id, (b) => ((b.properties as Record<string, unknown>).displayName = 'concurrent edit'));
    const r = await runCli(['apply', '--workspace', 'first', '--yes'], dir, f.env());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('conflict: SG-03 was changed in the workspace after it was read');
    expect(r.stdout).toContain('not overwritten');
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    expect((f.arm.get(rule.id)!.body.properties as Record<string, unknown>).displayName).toBe('concurrent edit');
    const again = await runCli(['apply', '--workspace', 'first', '--yes', '--format', 'json'], dir, f.env());
    expect(again.code).toBe(0);
    expect(counts(again.stdout)[0]).toMatchObject({ updated: 1, drifted: 1, failed: 0 });
    expect((f.arm.get(rule.id)!.body.properties as Record<string, unknown>).displayName).toBe(inCode);
  });

  it('without --yes off a terminal it prints the plan and applies nothing', async () => {
    const before = lastSeq();
    const r = await runCli(['apply', '--workspace', 'noyes'], dir, f.env());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`plan: ${DESIRED - SHARED} to create`);
    expect(r.stderr).toContain('pass --yes');
    expect(writesSince(before)).toEqual([]);
  });

  it('never touches an unmanaged rule, even with --prune; prunes a managed one gone from the code', async () => {
    expect((await runCli(['apply', '--workspace', 'prune', '--yes'], dir, f.env())).code).toBe(0);
    const unmanaged = `${wsId('prune')}/providers/Microsoft.SecurityInsights/alertRules/aaaaaaaa-0000-4000-8000-000000000001`;
    const orphan = `${wsId('prune')}/providers/Microsoft.SecurityInsights/alertRules/aaaaaaaa-0000-4000-8000-000000000002`;
    const body = (description: string) => ({ kind: 'NRT', properties: { displayName: 'x', description, enabled: true, severity: 'Low', query: 'SigninLogs', suppressionDuration: 'PT1H', suppressionEnabled: false } });
    f.arm.put(unmanaged, 'Microsoft.SecurityInsights/alertRules', body('a SOC analyst wrote this'));
    f.arm.put(orphan, 'Microsoft.SecurityInsights/alertRules', body('an old sessionguard rule\n\n[managed by sessionguard 0123456789ab]'));
    const before = lastSeq();
    const plan = await runCli(['plan', '--workspace', 'prune'], dir, f.env());
    expect(plan.stdout).toContain('1 managed resource is no longer in the code; pass --prune to delete it');
    const r = await runCli(['apply', '--workspace', 'prune', '--prune', '--yes', '--format', 'json'], dir, f.env());
    expect(r.code).toBe(0);
    expect(counts(r.stdout)).toEqual([{ workspace: 'prune', created: 0, updated: 0, deleted: 1, unchanged: DESIRED, failed: 0, drifted: 0 }]);
    expect(f.arm.get(orphan)).toBeUndefined();
    expect(f.arm.get(unmanaged)).toBeDefined();
    expect(f.fake.requests.filter((q) => q.seq > before && q.path.toLowerCase() === unmanaged.toLowerCase())).toEqual([]);
  });

  it('converges with 20% of requests failing (500, 429, dropped connections): no duplicates, nothing lost', async () => {
    f.fake.faults.add({ probability: 0.2, times: Infinity, status: 500 });
    f.fake.faults.add({ probability: 0.05, times: Infinity, status: 429, headers: { 'retry-after': '0' } });
    f.fake.faults.add({ probability: 0.05, times: Infinity, drop: true });
    const before = lastSeq();
    let runs = 0;
    let last;
    try {
      do {
        runs++;
        last = await runCli(['apply', '--workspace', 'faults', '--yes', '--format', 'json'], dir, f.env());
      } while (last.code !== 0 && runs < 5);
    } finally {
      f.fake.faults.clear();
    }
    expect(last.code).toBe(0);
    const hit = f.fake.requests.filter((q) => q.seq > before && q.fault !== undefined).length;
    console.log(`faults test: ${hit} of ${f.fake.requests.filter((q) => q.seq > before).length} requests hit a fault; apply converged after ${runs} run(s)`);
    expect(hit).toBeGreaterThan(0);
    expect(inWs('faults', 'Microsoft.SecurityInsights/alertRules')).toHaveLength(RULES.length);
    expect(inWs('faults', 'Microsoft.SecurityInsights/watchlists')).toHaveLength(LISTS.length);
    const plan = await runCli(['plan', '--workspace', 'faults', '--format', 'json'], dir, f.env());
    expect(counts(plan.stdout)).toEqual([{ workspace: 'faults', created: 0, updated: 0, deleted: 0, unchanged: DESIRED, failed: 0, drifted: 0 }]);
  });

  it('takes a workspace ARM id, configured or not', async () => {
    const configured = await runCli(['plan', '--workspace', wsId('first'), '--format', 'json'], dir, f.env());
    expect(counts(configured.stdout)).toEqual([{ workspace: 'first', created: 0, updated: 0, deleted: 0, unchanged: DESIRED, failed: 0, drifted: 0 }]);
    const other = wsId('adhoc');
    const r = await runCli(['apply', '--workspace', other, '--yes', '--format', 'json'], dir, f.env());
    expect(r.code).toBe(0);
    expect(counts(r.stdout)).toEqual([{ workspace: 'law-adhoc', created: RULES.length + LISTS.length, updated: 0, deleted: 0, unchanged: 0, failed: 0, drifted: 0 }]);
    // Not configured, so no location: what is placed by location is left out, and the user is told.
    expect(r.stderr).toContain("workspace 'law-adhoc' has no location: playbooks and their automation rules not deployed");
    expect(inWs('adhoc', 'Microsoft.SecurityInsights/alertRules')).toHaveLength(RULES.length);
  });

  it('exports templates whose bodies are what apply wrote', async () => {
    const r = await runCli(['export', '--out', 'out', '--workspace', 'first'], dir, f.env());
    expect(r.code).toBe(0);
    const base = join(dir, 'out', 'first');
    for (const p of ['AnalyticsRules/sg-01-kit-user-agent.json', 'AnalyticsRules/sg-03-session-replay.json', 'Watchlists/sg_excluded_accounts.json', 'combined/azuredeploy.json', 'sentinel-deployment.config', 'manifest.json']) {
      expect(existsSync(join(base, p)), p).toBe(true);
    }
    const combined = JSON.parse(readFileSync(join(base, 'combined', 'azuredeploy.json'), 'utf8')) as { resources: { name: string; properties: Record<string, unknown> }[] };
    expect(combined.resources).toHaveLength(DESIRED);
    for (const stored of inWs('first', 'Microsoft.SecurityInsights/alertRules')) {
      const t = combined.resources.find((x) => x.name.includes(stored.name))!;
      expect(t.properties.description).toBe((stored.body.properties as Record<string, unknown>).description);
    }
  });
});

// Each CLI run starts Node and the KQL analyzer: generous limits for a loaded machine.
describe('several workspaces', { timeout: 240_000 }, () => {
  it('--workspace all plans and applies each configured workspace, with a summary', async () => {
    const two = withCache(project(files(['msp-a', 'msp-b'], (w) => `rg-${w}`)), dir);
    const r = await runCli(['apply', '--workspace', 'all', '--yes'], two, f.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('summary');
    expect(r.stdout).toContain(`msp-a: ${DESIRED} created, 0 updated, 0 deleted, 0 unchanged, 0 drifted, 0 failed`);
    expect(r.stdout).toContain(`msp-b: ${DESIRED} created, 0 updated, 0 deleted, 0 unchanged, 0 drifted, 0 failed`);
    const plan = await runCli(['plan', '--workspace', 'all', '--format', 'json'], two, f.env());
    expect(counts(plan.stdout).map((c) => [c.workspace, c.unchanged])).toEqual([
      ['msp-a', DESIRED],
      ['msp-b', DESIRED],
    ]);
  });
});

// Each CLI run starts Node and the KQL analyzer: generous limits for a loaded machine.
describe('user errors', { timeout: 240_000 }, () => {
  it('bad arguments and configuration: a clear message, exit 1, no stack trace', async () => {
    const cases: [string[], string, string][] = [
      [['plan', '--workspace', 'first', '--format', 'xml'], dir, '--format "xml": expected text or json'],
      [['apply', '--workspace', 'first', '--concurrency', '0'], dir, '--concurrency "0": expected a whole number from 1 to 32'],
      [['plan', '--workspace', 'nope'], dir, '--workspace "nope": no such workspace'],
      [['plan'], dir, "required option '-w, --workspace <name>' not specified"],
      [['plan', '--workspace', 'bare'], withCache(project({ ...files([]), 'sessionguard.yaml': 'workspaces:\n  - name: bare\n' }), dir), "workspace 'bare' has no subscriptionId, resourceGroup and workspaceName"],
      [['plan', '--workspace', 'x'], withCache(project({ ...files([]), 'sessionguard.yaml': 'workspaces:\n  - name: x\n    cloud: Mars\n' }), dir), 'sessionguard.yaml:3:12'],
    ];
    for (const [args, cwd, message] of cases) {
      const r = await runCli(args, cwd, f.env());
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout + r.stderr, args.join(' ')).toContain(message);
      expect(hasStackTrace(r.stdout + r.stderr), args.join(' ')).toBe(false);
    }
  });

  it('refuses the static token for a non-loopback endpoint without printing it', async () => {
    const env = { ...f.env('secret-token-value'), SESSIONGUARD_ARM_ENDPOINT: 'https://management.azure.com' };
    const r = await runCli(['plan', '--workspace', 'first'], dir, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SESSIONGUARD_STATIC_TOKEN is accepted only for loopback endpoints');
    expect(r.stdout + r.stderr).not.toContain('secret-token-value');
  });
});
