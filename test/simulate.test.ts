import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileWorkspace } from '../src/compile/build.js';
import { loadPlaybooks } from '../src/playbooks/model.js';
import { openProject } from '../src/project.js';
import { renderReport } from '../src/runner/report.js';
import { reportJson, simulate, type SimulateReport } from '../src/runner/simulate.js';
import { ATTACK_NAMES } from '../src/synth/attacks.js';
import { synthesize } from '../src/synth/synth.js';
import { project, ROOT, runCli } from './helpers/cli.js';

describe('replay of a synthesized tenant through the bundled pack', () => {
  let report: SimulateReport;
  let tenant: string;
  let json: { incidents: Record<string, unknown>[]; responses: Record<string, unknown>[]; attacks: Record<string, unknown>[] };

  beforeAll(async () => {
    tenant = mkdtempSync(join(tmpdir(), 'sg-tenant-'));
    await synthesize({ users: 60, days: 2, seed: 'simulate-test', attacks: ATTACK_NAMES, start: Date.parse('2026-11-02T00:00:00Z') }, tenant);
    const p = openProject(ROOT, { noCache: true });
    const out = compileWorkspace({ workspace: p.config.workspaces[0]!, workspaceIndex: 0, configSource: null, delayProfile: {}, rules: p.rules, cache: p.cache });
    const pbs = loadPlaybooks([join(ROOT, 'playbooks')]);
    const logs = readdirSync(tenant).filter((f) => f.endsWith('.ndjson')).map((f) => join(tenant, f));
    report = await simulate({ project: p, output: out, playbooks: pbs.playbooks, logs, labels: join(tenant, 'labels.json') });
    json = reportJson(report) as typeof json;
  }, 300_000);

  it('detects every attack and revokes its sessions', () => {
    const labels = JSON.parse(readFileSync(join(tenant, 'labels.json'), 'utf8')) as { id: string }[];
    expect(json.attacks.map((a) => a.id).sort()).toEqual(labels.map((l) => l.id).sort());
    for (const a of json.attacks) {
      expect(a.detectedAt, `${a.id} detected`).not.toBeNull();
      expect(a.respondedAt, `${a.id} revoked`).not.toBeNull();
      expect(a.timeToRespondSeconds as number).toBeGreaterThanOrEqual(a.timeToDetectSeconds as number);
    }
  });

  it('measures from the first use of the stolen token as well as from the first malicious event', () => {
    const labels = JSON.parse(readFileSync(join(tenant, 'labels.json'), 'utf8')) as { id: string; start: string; firstTokenUse: string }[];
    for (const a of report.attacks) {
      const l = labels.find((x) => x.id === a.id)!;
      expect(a.firstTokenUse).toBe(new Date(Date.parse(l.firstTokenUse)).toISOString());
      const gap = Math.round((Date.parse(l.firstTokenUse) - Date.parse(l.start)) / 1000);
      // Same revocation, two clocks: the difference is the gap between the two label times (±1 s rounding).
      expect(Math.abs((a.timeToRespondSeconds as number) - (a.tokenUseToRespondSeconds as number) - gap)).toBeLessThanOrEqual(1);
    }
  });

  it('raises nothing on the benign look-alikes, and never touches the break-glass account', () => {
    const lookalikes = (JSON.parse(readFileSync(join(tenant, 'lookalikes.json'), 'utf8')) as { account: string }[]).map((l) => l.account.toLowerCase());
    expect(lookalikes.length).toBeGreaterThanOrEqual(5);
    const accounts = json.incidents.flatMap((i) => i.accounts as string[]).map((a) => a.toLowerCase());
    for (const l of lookalikes) expect(accounts, l).not.toContain(l);
    expect(json.responses.filter((r) => String(r.account).startsWith('bg-'))).toEqual([]);
    expect(report.benignIncidents).toEqual([]);
  });

  it('prints exactly the documented JSON shape', () => {
    expect(Object.keys(json).sort()).toEqual(['attacks', 'incidents', 'responses']);
    expect(Object.keys(json.incidents[0]!).sort()).toEqual(['accounts', 'createdAt', 'id', 'ips', 'rules', 'severity']);
    expect(Object.keys(json.responses[0]!).sort()).toEqual(['account', 'action', 'at', 'incident', 'playbook', 'skipped']);
    expect(Object.keys(json.attacks[0]!).sort()).toEqual(['account', 'detectedAt', 'id', 'respondedAt', 'start', 'timeToDetectSeconds', 'timeToRespondSeconds']);
    expect(String(json.incidents[0]!.createdAt)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('renders a self-contained HTML report with a timeline per attack and the incident table', () => {
    const html = renderReport(report);
    expect(html).not.toMatch(/<(script|link)\b|src="http|href="http/i);
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(json.attacks.length);
    expect(html.match(/<tr>|<tr class/g)!.length).toBeGreaterThanOrEqual(json.incidents.length);
  });
});

describe('playbook guardrails in replay', () => {
  const RULE = `id: G-1
name: Guardrail test
description: Any kit user agent.
severity: High
kind: NRT
query: |
  SigninLogs
  | where UserAgent has "axios"
  | project TimeGenerated, UserId, UserPrincipalName, IPAddress
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: AadUserId
        columnName: UserId
response:
  tier: contain
`;
  const rows = ['u-1', 'u-2', 'u-3', 'bg-1']
    .map((u, i) => JSON.stringify({ TimeGenerated: `2026-03-02T10:0${i}:00Z`, _TimeReceived: `2026-03-02T10:0${i}:30Z`, UserId: u, UserPrincipalName: `${u}@contoso.com`, IPAddress: '1.2.3.4', UserAgent: 'axios/1.7' }))
    .join('\n');
  const playbook = (guard: string) => `name: pb\ntier: contain\nsteps: [revokeSessions, disableAccount, comment]\nguardrails:\n${guard}`;

  async function run(guard: string) {
    const dir = project({
      'rules/g.yaml': RULE,
      'playbooks/pb.yaml': playbook(guard),
      'logs/SigninLogs.ndjson': rows,
      'rules/watchlists/sg_excluded_accounts.csv': 'AadUserId,UserPrincipalName,Reason\nbg-1,bg-1@contoso.com,break-glass\n',
    });
    const p = openProject(dir, { noCache: true });
    const out = compileWorkspace({ workspace: p.config.workspaces[0]!, workspaceIndex: 0, configSource: null, delayProfile: {}, rules: p.rules, cache: p.cache });
    const pbs = loadPlaybooks([join(dir, 'playbooks')]);
    expect(pbs.diagnostics).toEqual([]);
    return simulate({ project: p, output: out, playbooks: pbs.playbooks, logs: [join(dir, 'logs')] });
  }

  it('never acts on an excluded account, caps containment per hour, and only comments in dry-run', async () => {
    const r = await run('  maxAccountsPerHour: 2\n');
    const by = (acct: string) => r.result.responses.filter((x) => x.account === `${acct}@contoso.com`).map((x) => [x.action, x.skipped]);
    expect(by('bg-1')).toEqual([
      ['revokeSessions', 'excluded account'],
      ['disableAccount', 'excluded account'],
      ['comment', 'excluded account'],
    ]);
    expect(by('u-1')).toEqual([['revokeSessions', null], ['disableAccount', null], ['comment', null]]);
    expect(by('u-2')).toEqual([['revokeSessions', null], ['disableAccount', null], ['comment', null]]);
    expect(by('u-3')).toEqual([
      ['revokeSessions', 'blast radius limit (2 accounts per hour)'],
      ['disableAccount', 'blast radius limit (2 accounts per hour)'],
      ['comment', null],
    ]);
    const dry = await run('  dryRun: true\n');
    expect(dry.result.responses.filter((x) => x.account === 'u-1@contoso.com').map((x) => x.skipped)).toEqual(['dry run', 'dry run', null]);
  });

  it('simulate --format json on the command line', () => {
    const dir = project({ 'rules/g.yaml': RULE, 'playbooks/pb.yaml': playbook('  maxAccountsPerHour: 10\n'), 'logs/SigninLogs.ndjson': rows });
    const r = runCli(['simulate', '--logs', 'logs', '--format', 'json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { incidents: unknown[]; responses: { action: string }[]; attacks: unknown[] };
    expect(out.incidents).toHaveLength(4);
    expect(out.responses.filter((x) => x.action === 'revokeSessions')).toHaveLength(4);
    expect(out.attacks).toEqual([]);
    expect(runCli(['simulate', '--logs', 'nope'], dir).code).toBe(1);
  });
});

describe('visibility', () => {
  it('rows recorded without an ingestion time arrive after the workspace delay profile', async () => {
    const rule = `id: V-1\nname: Visibility\ndescription: x\nseverity: Low\nkind: NRT\nquery: |\n  SigninLogs\n  | project TimeGenerated, UserId\nentityMappings:\n  - entityType: Account\n    fieldMappings:\n      - identifier: AadUserId\n        columnName: UserId\n`;
    const row = JSON.stringify({ TimeGenerated: '2026-03-02T10:00:10Z', UserId: 'u-1', UserPrincipalName: 'u-1@contoso.com' });
    const at = async (cfg: string) => {
      const dir = project({ 'rules/v.yaml': rule, 'logs/SigninLogs.ndjson': row, 'sessionguard.yaml': cfg });
      const p = openProject(dir, { noCache: true });
      const out = compileWorkspace({ workspace: p.config.workspaces[0]!, workspaceIndex: 0, configSource: null, delayProfile: {}, rules: p.rules, cache: p.cache });
      const r = await simulate({ project: p, output: out, playbooks: [], logs: [join(dir, 'logs')] });
      return r.result.alerts.map((a) => a.createdAt.toISOString());
    };
    // Default profile: sign-ins 5 min late -> ingested 10:05:10, NRT minute 10:05-10:06 runs at 10:08.
    expect(await at('workspaces:\n  - name: w\n')).toEqual(['2026-03-02T10:08:00.000Z']);
    expect(await at('workspaces:\n  - name: w\n    ingestionDelay:\n      SigninLogs: 20m\n')).toEqual(['2026-03-02T10:23:00.000Z']);
  });
});
