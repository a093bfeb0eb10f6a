import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWorkspace } from '../src/compile/build.js';
import { formatDiagnostic } from '../src/diagnostics.js';
import { openProject } from '../src/project.js';
import { loadCases } from '../src/runner/cases.js';
import { junit, runCase } from '../src/runner/ruletests.js';
import { project, ROOT, runCli } from './helpers/cli.js';

// A windowed rule (queryPeriod == queryFrequency) over a table that arrives late.
const SG09 = `id: W-1
name: Inbox rule that hides mail
description: Windowed by the compiler.
severity: Medium
kind: Scheduled
queryFrequency: 15m
queryPeriod: 15m
query: |
  OfficeActivity
  | where Operation =~ "New-InboxRule" and Parameters has "DeleteMessage"
  | project TimeGenerated, UserId, ClientIP
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: UserId
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: ClientIP
alertDetailsOverride:
  alertDisplayNameFormat: Mail-hiding inbox rule for {{UserId}}
`;
const LATE_ROW = `
    OfficeActivity:
      - TimeGenerated: 2026-03-02T10:05:00Z
        _TimeReceived: 2026-03-02T11:25:00Z
        Operation: New-InboxRule
        UserId: ana.lopez@contoso.com
        ClientIP: 95.216.42.141
        Parameters: '[{"Name":"DeleteMessage","Value":"True"}]'`;

async function runRuleCases(files: Record<string, string>) {
  const dir = project(files);
  const p = openProject(dir, { noCache: true });
  expect(p.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  const out = compileWorkspace({ workspace: p.config.workspaces[0]!, workspaceIndex: 0, configSource: null, delayProfile: {}, rules: p.rules, cache: p.cache });
  const results = [];
  for (const { rule } of p.rules) {
    const { cases, diagnostics } = loadCases(rule, join(dir, rule.file));
    expect(diagnostics).toEqual([]);
    for (const c of cases) results.push(await runCase(out.rules.find((r) => r.rule.id === rule.id)!, c, p.env, p.watchlists));
  }
  return results;
}

describe('rule tests', () => {
  it('a row ingested 80 minutes late is caught once with the ingestion window, and missed without it', async () => {
    const cases = `- name: late\n  logs:${LATE_ROW}\n  expect:\n    alerts: 1\n`;
    const [windowed] = await runRuleCases({ 'rules/r.yaml': SG09, 'rules/r.tests.yaml': cases });
    expect(windowed!.failures).toEqual([]);
    expect(windowed!.alerts).toHaveLength(1);
    // Same rule, as written, without the pattern: the row lands after every run that could see it.
    const [plain] = await runRuleCases({ 'rules/r.yaml': SG09.replace('queryPeriod: 15m', 'queryPeriod: 15m\ningestionDelay: off'), 'rules/r.tests.yaml': cases });
    expect(plain!.passed).toBe(false);
    expect(plain!.failures).toEqual(['expected 1 alerts, got 0']);
  });

  it('reports every unmet expectation', async () => {
    const cases = `- name: wrong on purpose\n  logs:${LATE_ROW}\n  expect:\n    alerts: { atLeast: 2 }\n    entities:\n      - type: Account\n        FullName: someone.else@contoso.com\n    noEntities:\n      - type: IP\n        Address: 95.216.42.141\n    alertName: Nope\n`;
    const [r] = await runRuleCases({ 'rules/r.yaml': SG09, 'rules/r.tests.yaml': cases });
    expect(r!.failures).toEqual([
      'expected at least 2 alerts, got 1',
      'expected an alert with entity Account FullName=someone.else@contoso.com',
      'expected no alert with entity IP Address=95.216.42.141',
      'expected an alert named "Nope"; got "Mail-hiding inbox rule for ana.lopez@contoso.com"',
    ]);
    const xml = junit([r!]);
    expect(xml).toContain('<testsuites name="sessionguard" tests="1" failures="1">');
    expect(xml).toContain('<failure message="expected at least 2 alerts, got 1">');
  });

  it('a case that expects nothing is an error, not a pass', async () => {
    const [r] = await runRuleCases({ 'rules/r.yaml': SG09, 'rules/r.tests.yaml': `- name: empty\n  logs:${LATE_ROW}\n  expect: {}\n` });
    expect(r!.passed).toBe(false);
  });

  it('bad test files are reported with their position', () => {
    const dir = project({ 'rules/r.yaml': SG09, 'rules/r.tests.yaml': '- name: x\n  expect:\n    alerts: many\n' });
    const p = openProject(dir, { noCache: true });
    const { diagnostics } = loadCases(p.rules[0]!.rule, join(dir, 'rules/r.yaml'));
    expect(diagnostics.map(formatDiagnostic)).toEqual(['rules/r.tests.yaml:3:13: error: alerts: "many" is not valid here']);
  });

  it('the test command runs the bundled rules’ cases, exits 1 on a failure and writes JUnit XML', () => {
    const ok = runCli(['test'], ROOT);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    const dir = project({ 'rules/r.yaml': SG09, 'rules/r.tests.yaml': `- name: wrong\n  logs:${LATE_ROW}\n  expect:\n    alerts: 0\n` });
    const bad = runCli(['test', '--reporter', 'junit', '--out', 'junit.xml'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^0 passed, 1 failed$/m);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<failure message="expected 0 alerts, got 1">');
  });
});

describe('test case tables', () => {
  it('an unknown table in a case is reported where it is written, with a suggestion', () => {
    const cases = '- name: typo\n  logs:\n    SignInLogs:\n      - TimeGenerated: 2026-03-02T10:00:00Z\n  expect:\n    alerts: 0\n';
    const dir = project({ 'rules/r.yaml': SG09, 'rules/r.tests.yaml': cases });
    const p = openProject(dir, { noCache: true });
    const { diagnostics } = loadCases(p.rules[0]!.rule, join(dir, 'rules/r.yaml'));
    expect(diagnostics.map(formatDiagnostic)).toEqual(["rules/r.tests.yaml:3:5: error: test 'typo': unknown table 'SignInLogs'; did you mean 'SigninLogs'?"]);
  });
});

describe('bad inline rows', () => {
  it('a row whose TimeGenerated is not a datetime stops the run with the case named', () => {
    const cases = '- name: weird\n  logs:\n    OfficeActivity:\n      - TimeGenerated: yesterday\n        Operation: New-InboxRule\n  expect:\n    alerts: 0\n';
    const dir = project({ 'rules/r.yaml': SG09, 'rules/r.tests.yaml': cases });
    const r = runCli(['test'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`rules/r.tests.yaml:1:1: test 'weird': OfficeActivity row 1: TimeGenerated: "yesterday" is not a datetime`);
  });
});
