import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, project, runCli, ROOT } from './helpers/cli.js';

const GOOD = readFileSync(join(ROOT, 'rules/sg-01-kit-user-agent.yaml'), 'utf8');
const WATCHLISTS = Object.fromEntries(
  readdirSync(join(ROOT, 'rules/watchlists')).map((f) => [`rules/watchlists/${f}`, readFileSync(join(ROOT, 'rules/watchlists', f), 'utf8')]),
);

/** Runs `build` on a project holding one good rule plus `bad`; it must fail cleanly and write nothing. */
function expectCleanFailure(bad: string | Buffer, pattern: RegExp) {
  const dir = project({ 'rules/good.yaml': GOOD, 'rules/bad.yaml': bad, ...WATCHLISTS });
  const r = runCli(['build'], dir);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(pattern);
  expect(hasStackTrace(r.stderr + r.stdout)).toBe(false);
  expect(existsSync(join(dir, 'dist'))).toBe(false);
  return r;
}

describe('bad input gives a clear error, exit code 1, no stack trace, no partial dist/', () => {
  it('malformed YAML', () => {
    expectCleanFailure('id: X\nname: [unclosed\nquery: x\n', /^rules\/bad\.yaml:\d+:\d+: error: invalid YAML: /m);
  });

  it('binary junk', () => {
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    expectCleanFailure(junk, /^rules\/bad\.yaml:1:1: error: not a text file \(it contains NUL bytes\); expected UTF-8 YAML$/m);
  });

  it('a 10 MB file', () => {
    const big = 'id: X\nname: y\nquery: |\n' + '  SigninLogs\n'.repeat(10 * 1024 * 1024 / 13);
    expectCleanFailure(big, /^rules\/bad\.yaml:1:1: error: file is too large \(10\.0 MB\); a rule file may be at most 1 MB$/m);
  });

  it('duplicate keys', () => {
    expectCleanFailure(GOOD.replace('id: SG-01', 'id: SG-X').replace('severity: High', 'severity: High\nseverity: Low'), /^rules\/bad\.yaml:\d+:1: error: duplicate key/m);
  });

  it('wrong types', () => {
    expectCleanFailure(GOOD.replace('id: SG-01', 'id: SG-X').replace('tactics:\n', 'tactics: 7\nx:\n'), /^rules\/bad\.yaml:\d+:10: error: tactics: expected a list, got number 7$/m);
  });

  it('KQL with unbalanced quotes', () => {
    const r = expectCleanFailure(GOOD.replace('id: SG-01', 'id: SG-X').replace('where ResultType == "0"', 'where ResultType == "0'), /^rules\/bad\.yaml:\d+:\d+: error: .*\(KS\d+\)$/m);
    expect(r.stderr).toMatch(/✖ \d+ errors?/);
  });

  it('an existing dist/ is left untouched when the build fails', () => {
    const dir = project({ 'rules/good.yaml': GOOD, 'dist/default/keep.txt': 'previous build', ...WATCHLISTS });
    expect(runCli(['build'], dir).code).toBe(0);
    expect(existsSync(join(dir, 'dist/default/keep.txt'))).toBe(false); // a good build replaces the folder
    writeFileSync(join(dir, 'dist/default/keep.txt'), 'previous build');
    writeFileSync(join(dir, 'rules/bad.yaml'), 'id: [');
    expect(runCli(['build'], dir).code).toBe(1);
    expect(readFileSync(join(dir, 'dist/default/keep.txt'), 'utf8')).toBe('previous build');
  });

  it('a bad sessionguard.yaml', () => {
    const dir = project({ 'rules/good.yaml': GOOD, 'sessionguard.yaml': 'workspaces:\n  - name: prod\n    subscriptionId: nope\n    workspace: x\n', ...WATCHLISTS });
    const r = runCli(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sessionguard.yaml:3:21: error: subscriptionId: "nope" is not a valid subscription id (GUID)');
    expect(r.stderr).toContain("sessionguard.yaml:4:5: error: unknown field 'workspace'; did you mean 'workspaceName'?");
  });

  it('unknown commands and options', () => {
    const dir = project({});
    expect(runCli(['buidl'], dir).code).toBe(1);
    expect(runCli(['build', '--frobnicate'], dir).code).toBe(1);
    expect(runCli(['build', 'no/such/folder'], dir).stderr).toContain('no/such/folder:1:1: error: no such file or folder');
  });
});

describe('commands', () => {
  it('build writes per workspace the models, one template per rule, a combined template and the KQL', () => {
    const cfg = 'workspaces:\n  - name: prod\n  - name: lab\n    rules:\n      disabled: [SG-01]\n';
    const dir = project({ 'rules/good.yaml': GOOD, 'sessionguard.yaml': cfg, ...WATCHLISTS });
    const r = runCli(['build', '--out', 'out'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('prod: 1 rules (1 enabled) -> out/prod/');
    expect(r.stdout).toContain('lab: 1 rules (0 enabled) -> out/lab/');
    for (const ws of ['prod', 'lab']) {
      for (const f of ['AnalyticsRules/good.json', 'models/good.json', 'kql/good.kql', 'combined/azuredeploy.json', 'manifest.json', 'sentinel-deployment.config'])
        expect(existsSync(join(dir, 'out', ws, f)), `${ws}/${f}`).toBe(true);
    }
    const lab = JSON.parse(readFileSync(join(dir, 'out/lab/models/good.json'), 'utf8'));
    expect(lab.properties.enabled).toBe(false);
    const kql = readFileSync(join(dir, 'out/prod/kql/good.kql'), 'utf8');
    expect(kql.startsWith('let kitAgents = dynamic([')).toBe(true);
    // --workspace builds one and leaves the other alone
    writeFileSync(join(dir, 'out/lab/marker'), 'x');
    expect(runCli(['build', '--out', 'out', '--workspace', 'prod'], dir).code).toBe(0);
    expect(existsSync(join(dir, 'out/lab/marker'))).toBe(true);
    expect(runCli(['build', '--workspace', 'nope'], dir).stderr).toContain("no workspace named 'nope' (configured: prod, lab)");
  });

  it('fmt formats the query in place and keeps comments and layout', () => {
    const rule = GOOD.replace(/query: \|\n[\s\S]*?\nentityMappings:/, 'query: |\n  // keep me\n  SigninLogs|where ResultType=="0"|project TimeGenerated, UserId, IPAddress, UserAgent, UserPrincipalName, AccountName=UserPrincipalName, UPNSuffix="", SessionId, AppDisplayName\nentityMappings:');
    const dir = project({ 'rules/r.yaml': rule, ...WATCHLISTS });
    const r = runCli(['fmt'], dir);
    expect(r.code, r.stderr).toBe(0);
    const after = readFileSync(join(dir, 'rules/r.yaml'), 'utf8');
    expect(after).toContain('query: |\n  // keep me\n  SigninLogs\n  | where ResultType == "0"\n  | project\n');
    const before = rule.split('\n');
    expect(after.split('\n').filter((l) => l.startsWith('#'))).toEqual(before.filter((l) => l.startsWith('#')));
    expect(after.slice(after.indexOf('entityMappings:'))).toBe(rule.slice(rule.indexOf('entityMappings:')));
    expect(runCli(['fmt', '--check'], dir).code).toBe(0);
    expect(readFileSync(join(dir, 'rules/r.yaml'), 'utf8')).toBe(after);
  });

  it('import turns a portal ARM export into a rule file that validates', () => {
    const arm = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      parameters: { workspace: { type: 'String' } },
      resources: [
        {
          id: "[concat(resourceId('Microsoft.OperationalInsights/workspaces/providers', parameters('workspace'), 'Microsoft.SecurityInsights'),'/alertRules/0d6f3c3a-8f36-4a5e-9d52-0b1f0e2b7f11')]",
          name: "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/0d6f3c3a-8f36-4a5e-9d52-0b1f0e2b7f11')]",
          type: 'Microsoft.OperationalInsights/workspaces/providers/alertRules',
          kind: 'Scheduled',
          apiVersion: '2023-12-01-preview',
          properties: {
            displayName: 'Failed sign-ins burst',
            description: '[[Portal] many failures',
            severity: 'Low',
            enabled: true,
            query: 'SigninLogs\n| where ResultType != "0"\n| summarize Failures = count() by UserPrincipalName, IPAddress\n| where Failures > 20',
            queryFrequency: 'PT1H',
            queryPeriod: 'PT1H',
            triggerOperator: 'GreaterThan',
            triggerThreshold: 0,
            suppressionDuration: 'PT5H',
            suppressionEnabled: false,
            tactics: ['CredentialAccess'],
            techniques: ['T1110'],
            subTechniques: ['T1110.003'],
            entityMappings: [{ entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'IPAddress' }] }],
            incidentConfiguration: { createIncident: true, groupingConfiguration: { enabled: false, reopenClosedIncident: false, lookbackDuration: 'PT5H', matchingMethod: 'AllEntities', groupByEntities: [], groupByAlertDetails: [], groupByCustomDetails: [] } },
            eventGroupingSettings: { aggregationKind: 'SingleAlert' },
            alertRuleTemplateName: null,
            templateVersion: '1.0.1',
          },
        },
      ],
    };
    const dir = project({ 'export.json': JSON.stringify(arm, null, 2), ...WATCHLISTS });
    const r = runCli(['import', 'export.json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(dir, 'rules/failed-sign-ins-burst.yaml'), 'utf8');
    expect(text).toContain('id: 0d6f3c3a-8f36-4a5e-9d52-0b1f0e2b7f11\n');
    expect(text).toContain('description: "[Portal] many failures"');
    expect(text).toContain('queryFrequency: 1h\n');
    expect(text).toContain('triggerOperator: gt\n');
    expect(text).toContain('relevantTechniques:\n  - T1110.003\n');
    expect(text).toContain('query: |\n  SigninLogs\n  | where ResultType != "0"\n');
    const v = runCli(['validate'], dir);
    expect(v.code, v.stderr).toBe(0);
    expect(runCli(['import', 'export.json'], dir).stderr).toContain('would overwrite');
    expect(runCli(['import', 'nothing.json'], dir).code).toBe(1);
  });

  it('import keeps an Azure-Sentinel YAML rule byte for byte', () => {
    const az = readFileSync(join(ROOT, 'test/fixtures/azure-sentinel-format.yaml'), 'utf8');
    const dir = project({ 'in/Many Countries.yaml': az });
    const r = runCli(['import', 'in/Many Countries.yaml', '--out', 'rules'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'rules/many-countries.yaml'), 'utf8')).toBe(az);
  });

  it('init scaffolds a detection repository that validates', () => {
    const dir = project({});
    const r = runCli(['init'], dir);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['sessionguard.yaml', 'package.json', '.gitignore', 'rules/sg-03-session-replay.yaml', 'rules/watchlists/sg_excluded_accounts.csv']) expect(existsSync(join(dir, f)), f).toBe(true);
    const v = runCli(['validate'], dir);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/✓ \d+ rules valid/);
    expect(runCli(['init'], dir).stdout).toContain('kept    sessionguard.yaml (already there)');
  });
});

describe('the command line loads only the group of the command it runs', () => {
  const dir = project({});
  it('help lists every command group; --version needs none', () => {
    const help = runCli(['--help'], dir);
    expect(help.code).toBe(0);
    for (const c of ['validate', 'build', 'fmt', 'init', 'import', 'query', 'synth', 'simulate', 'test', 'demo', 'respond', 'grant', 'ca', 'plan', 'apply', 'export', 'backtest', 'record', 'latency']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    const v = runCli(['--version'], dir);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('import carries both its groups (portal/repository rules and sigma)', () => {
    const r = runCli(['import', '--help'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^  sigma /m);
    expect(r.stdout).toMatch(/<files\.\.\.>/);
  });

  it('an unknown command is a usage error with a suggestion', () => {
    const r = runCli(['buidl'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command 'buidl'/);
    expect(r.stderr).toMatch(/Did you mean build\?/);
  });
});
