import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileWorkspace, type WorkspaceOutput } from '../src/compile/build.js';
import { escapeArm } from '../src/compile/arm.js';
import { formatDiagnostic } from '../src/diagnostics.js';
import { openProject } from '../src/project.js';
import { project } from './helpers/cli.js';
import { alertRuleChecker, ALERT_RULES_PREVIEW, ALERT_RULES_STABLE, HAVE_SPECS } from './helpers/swagger.js';

const RULE = (extra: string, query = 'SigninLogs\n  | project TimeGenerated, UserId, IPAddress') => `id: C-1
name: Compile test
description: For the compiler tests.
severity: High
kind: Scheduled
queryFrequency: 15m
queryPeriod: 15m
tactics: [CredentialAccess]
relevantTechniques: [T1539]
${extra}
query: |
  ${query}
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: AadUserId
        columnName: UserId
`;

function compile(files: Record<string, string>, workspace = 0): WorkspaceOutput {
  const dir = project(files);
  const p = openProject(dir, { noCache: true });
  const errors = p.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map(formatDiagnostic).join('\n'));
  const ws = p.config.workspaces[workspace]!;
  return compileWorkspace({ workspace: ws, workspaceIndex: workspace, configSource: p.config.source, delayProfile: p.config.ingestionDelay, rules: p.rules, cache: p.cache });
}

const props = (o: WorkspaceOutput, i = 0) => o.rules[i]!.model.properties as Record<string, unknown>;

/** RFC 4122 name-based UUID (SHA-1), written here independently of the product's uuid package. */
function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

describe('parameters', () => {
  const params = `parameters:
  lookback:
    type: timespan
    default: 1h
  agents:
    type: dynamic
    default: ["axios", "node-fetch"]
  minCount:
    type: long
    default: 3
  label:
    type: string
    default: 'say "hi"'`;
  const query = 'SigninLogs\n  | where TimeGenerated > ago(lookback) and UserAgent has_any (agents)\n  | extend Label = label, N = minCount\n  | project TimeGenerated, UserId, IPAddress, Label, N';

  it('are injected as let statements ahead of the query, so the deployed KQL stands alone', () => {
    const o = compile({ 'rules/r.yaml': RULE('ingestionDelay: off\n' + params, query) });
    expect(o.rules[0]!.query.split('\n').slice(0, 5)).toEqual([
      'let lookback = 1h;',
      'let agents = dynamic(["axios", "node-fetch"]);',
      'let minCount = 3;',
      'let label = "say \\"hi\\"";',
      'SigninLogs',
    ]);
    expect(props(o).query).toBe(o.rules[0]!.query);
  });

  it('take workspace values, and per-rule overrides over those', () => {
    const config = `workspaces:
  - name: prod
    parameters:
      lookback: 2h
      minCount: 5
    rules:
      overrides:
        C-1:
          parameters:
            minCount: 7
`;
    const o = compile({ 'rules/r.yaml': RULE('ingestionDelay: off\n' + params, query), 'sessionguard.yaml': config });
    const lines = o.rules[0]!.query.split('\n');
    expect(lines).toContain('let lookback = 2h;');
    expect(lines).toContain('let minCount = 7;');
    expect(o.rules[0]!.parameters).toEqual({ lookback: '2h', agents: ['axios', 'node-fetch'], minCount: 7, label: 'say "hi"' });
  });

  it('reject a workspace value of the wrong type, at its place in sessionguard.yaml', () => {
    const config = 'workspaces:\n  - name: prod\n    parameters:\n      minCount: many\n';
    const o = compile({ 'rules/r.yaml': RULE('ingestionDelay: off\n' + params, query), 'sessionguard.yaml': config });
    expect(o.diagnostics.map(formatDiagnostic)).toEqual(['sessionguard.yaml:4:17: error: workspace prod: parameter minCount of rule C-1: expected a whole number, got "many"']);
  });
});

describe('ingestion-delay rewriting', () => {
  it('a windowed rule reads rows ingested since the last run, with the look-back widened by the delay', () => {
    const o = compile({ 'rules/r.yaml': RULE('') });
    expect(o.rules[0]!.query).toBe(
      [
        '// sessionguard: ingestion-delay window: rows ingested in the last 15m, up to 5m late',
        'let SigninLogs = SigninLogs',
        '    | where TimeGenerated >= ago(20m)',
        '    | where ingestion_time() > ago(15m);',
        'SigninLogs',
        '| project TimeGenerated, UserId, IPAddress',
      ].join('\n'),
    );
    expect(props(o).queryPeriod).toBe('PT20M');
    expect(props(o).queryFrequency).toBe('PT15M');
  });

  it('each table gets its own delay; queryPeriod covers the slowest', () => {
    const q = 'union SigninLogs, OfficeActivity\n  | project TimeGenerated, UserId, IPAddress';
    const o = compile({ 'rules/r.yaml': RULE('', q) });
    const lines = o.rules[0]!.query.split('\n');
    expect(lines.filter((l) => l.includes('ago(')).join('\n')).toBe(
      ['    | where TimeGenerated >= ago(20m)', '    | where ingestion_time() > ago(15m);', '    | where TimeGenerated >= ago(105m)', '    | where ingestion_time() > ago(15m);'].join('\n'),
    );
    expect(props(o).queryPeriod).toBe('PT1H45M');
  });

  it('the workspace delay profile and the rule override the defaults; off leaves the rule alone', () => {
    const cfg = 'workspaces:\n  - name: w\n    ingestionDelay:\n      SigninLogs: 30m\n';
    expect(props(compile({ 'rules/r.yaml': RULE(''), 'sessionguard.yaml': cfg })).queryPeriod).toBe('PT45M');
    expect(props(compile({ 'rules/r.yaml': RULE('ingestionDelay: 10m') })).queryPeriod).toBe('PT25M');
    const off = compile({ 'rules/r.yaml': RULE('ingestionDelay: off') });
    expect(props(off).queryPeriod).toBe('PT15M');
    expect(off.rules[0]!.query).toBe('SigninLogs\n| project TimeGenerated, UserId, IPAddress');
  });

  it('a rule using ingestion_time() itself only gets its look-back widened', () => {
    const q = 'SigninLogs\n  | where ingestion_time() > ago(15m)\n  | project TimeGenerated, UserId, IPAddress';
    const o = compile({ 'rules/r.yaml': RULE('', q) });
    expect(o.rules[0]!.query).not.toContain('let SigninLogs');
    expect(props(o).queryPeriod).toBe('PT20M');
  });

  it('a history rule is left as written, with a note', () => {
    const o = compile({ 'rules/r.yaml': RULE('').replace('queryPeriod: 15m', 'queryPeriod: 1d') });
    expect(props(o).queryPeriod).toBe('P1D');
    expect(o.rules[0]!.notes[0]).toMatch(/not windowed automatically/);
  });

  it('reference tables are never windowed', () => {
    const q = 'IdentityInfo\n  | project TimeGenerated, UserId = AccountObjectId, IPAddress = ""';
    const o = compile({ 'rules/r.yaml': RULE('', q) });
    expect(props(o).queryPeriod).toBe('PT15M');
    expect(o.rules[0]!.query).not.toContain('ingestion_time');
  });

  it('NRT rules are not rewritten', () => {
    const rule = RULE('').replace('kind: Scheduled\nqueryFrequency: 15m\nqueryPeriod: 15m\n', 'kind: NRT\n');
    const o = compile({ 'rules/r.yaml': rule });
    expect(o.rules[0]!.query).toBe('SigninLogs\n| project TimeGenerated, UserId, IPAddress');
    expect(props(o).queryPeriod).toBeUndefined();
    expect(o.rules[0]!.model.apiVersion).toBe('2025-07-01-preview');
  });
});

describe('deterministic ids', () => {
  const cfg = `workspaces:
  - name: a
  - name: b
    subscriptionId: 11111111-2222-3333-4444-555555555555
    resourceGroup: rg-sec
    workspaceName: law-sec
`;
  it('are UUID v5 of rule id and workspace, stable across builds', () => {
    const files = { 'rules/r.yaml': RULE(''), 'sessionguard.yaml': cfg };
    const a1 = compile(files, 0);
    const a2 = compile(files, 0);
    const b = compile(files, 1);
    const ns = '1b0f8e0e-6a43-4a4d-9a8e-3f1c2b7d5e90';
    expect(a1.rules[0]!.guid).toBe(uuidV5('alertRule|c-1|name:a', ns));
    expect(b.rules[0]!.guid).toBe(
      uuidV5('alertRule|c-1|/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-sec/providers/microsoft.operationalinsights/workspaces/law-sec', ns),
    );
    expect(a2.rules[0]!.guid).toBe(a1.rules[0]!.guid);
    expect(b.rules[0]!.guid).not.toBe(a1.rules[0]!.guid);
    expect([...a2.files]).toEqual([...a1.files]);
  });
});

describe('ARM templates', () => {
  it('name the rule as a workspace child resource with the workspace parameter', () => {
    const o = compile({ 'rules/r.yaml': RULE('') });
    const t = JSON.parse(o.files.get('AnalyticsRules/r.json')!);
    expect(t.$schema).toBe('https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#');
    expect(t.parameters.workspace.type).toBe('string');
    expect(t.resources).toHaveLength(1);
    const r = t.resources[0];
    expect(r.type).toBe('Microsoft.OperationalInsights/workspaces/providers/alertRules');
    expect(r.name).toBe(`[concat(parameters('workspace'), '/Microsoft.SecurityInsights/', '${o.rules[0]!.guid}')]`);
    expect(r.kind).toBe('Scheduled');
    expect(r.apiVersion).toBe('2025-12-01');
    expect(r.properties.techniques).toEqual(['T1539']);
    const combined = JSON.parse(o.files.get('combined/azuredeploy.json')!);
    expect(combined.resources).toEqual([r]);
    expect(JSON.parse(o.files.get('sentinel-deployment.config')!).excludecontentfiles).toEqual(['combined', 'models', 'kql', 'manifest.json']);
  });

  it('escape strings ARM would read as expressions', () => {
    expect(escapeArm({ a: '[not an expression]', b: ['[x', 'y['], c: 1 })).toEqual({ a: '[[not an expression]', b: ['[[x', 'y['], c: 1 });
  });

  it('sub-techniques take the preview api-version, which carries them', () => {
    const o = compile({ 'rules/r.yaml': RULE('').replace('[T1539]', '[T1539, T1550.004]').replace('[CredentialAccess]', '[CredentialAccess, DefenseEvasion]') });
    expect(o.rules[0]!.model.apiVersion).toBe('2025-07-01-preview');
    expect(props(o).techniques).toEqual(['T1539', 'T1550']);
    expect(props(o).subTechniques).toEqual(['T1550.004']);
  });

  it.skipIf(!HAVE_SPECS)('match the SecurityInsights specification field by field (stable and preview)', () => {
    const checker = alertRuleChecker();
    const bundled = openProject(process.cwd(), { noCache: true });
    const ws = bundled.config.workspaces[0]!;
    const o = compileWorkspace({ workspace: ws, workspaceIndex: 0, configSource: null, delayProfile: {}, rules: bundled.rules, cache: bundled.cache });
    const extra = compile({ 'rules/r.yaml': RULE('customDetails:\n  Ip: IPAddress\nalertDetailsOverride:\n  alertDisplayNameFormat: x {{UserId}}\nsuppressionEnabled: true\nsuppressionDuration: 1h') });
    const models = [...o.rules, ...extra.rules].map((r) => r.model);
    expect(models.map((m) => m.apiVersion)).toContain('2025-12-01');
    for (const m of models) {
      const file = m.apiVersion === '2025-12-01' ? ALERT_RULES_STABLE : ALERT_RULES_PREVIEW;
      const def = m.kind === 'NRT' ? 'NrtAlertRule' : 'ScheduledAlertRule';
      expect(checker.check(file, def, { kind: m.kind, properties: m.properties }), `${m.kind} ${m.apiVersion}`).toEqual([]);
    }
  });

  it.skipIf(!HAVE_SPECS)('the spec check catches what it should', () => {
    const checker = alertRuleChecker();
    const bad = { kind: 'Scheduled', properties: { displayName: 'x', enabled: true, severity: 'Urgent', query: 'q', queryFrequency: '5m', queryPeriod: 'PT5M', triggerOperator: 'GreaterThan', triggerThreshold: 0, suppressionEnabled: false, subTechniques: [] } };
    expect(checker.check(ALERT_RULES_STABLE, 'ScheduledAlertRule', bad).sort()).toEqual(
      [
        'properties: missing required suppressionDuration',
        'properties.severity: "Urgent" not in enum ["High","Medium","Low","Informational"]',
        'properties.queryFrequency: 5m is not an ISO 8601 duration',
        'properties.subTechniques: not declared in the specification',
      ].sort(),
    );
  });
});
