import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../src/diagnostics.js';
import { openProject } from '../src/project.js';
import { project, ROOT } from './helpers/cli.js';

/** 1-based line:col of the n-th occurrence of `needle` in `text` (found by the test, not the product). */
function at(text: string, needle: string, nth = 1): string {
  let i = -1;
  for (let k = 0; k < nth; k++) i = text.indexOf(needle, i + 1);
  if (i < 0) throw new Error(`fixture has no ${needle}`);
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  const col = i - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

const BASE = `id: T-1
name: Test rule
description: A rule for tests.
severity: Medium
kind: Scheduled
queryFrequency: 5m
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
tactics:
  - CredentialAccess
relevantTechniques:
  - T1539
query: |
  SigninLogs
  | where ResultType == "0"
  | project TimeGenerated, UserPrincipalName, UserId, IPAddress, SessionId
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: AadUserId
        columnName: UserId
customDetails:
  SessionId: SessionId
`;

function diagnosticsFor(files: Record<string, string>): string[] {
  const dir = project(files);
  const p = openProject(dir, { noCache: true });
  return p.diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.replace(/\\/g, '/') }));
}

function expectOnly(files: Record<string, string>, expected: string[]): void {
  expect(diagnosticsFor(files).sort()).toEqual([...expected].sort());
}

describe('validation: each error class at its exact position', () => {
  it('accepts the base rule', () => {
    expectOnly({ 'rules/r.yaml': BASE }, []);
  });

  it('loads an Azure-Sentinel format rule unchanged', () => {
    const text = readFileSync(join(ROOT, 'test/fixtures/azure-sentinel-format.yaml'), 'utf8');
    const dir = project({ 'rules/az.yaml': text });
    const p = openProject(dir, { noCache: true });
    expect(p.diagnostics).toEqual([]);
    expect(p.rules).toHaveLength(1);
    const r = p.rules[0]!.rule;
    expect(r.triggerOperator).toBe('GreaterThan');
    expect(r.queryFrequency).toBe(86_400_000);
    expect(r.suppressionDuration).toBe(3_600_000);
    expect(r.entityMappings).toHaveLength(2);
    expect(p.rules[0]!.analysis.columns?.map((c) => c.name)).toContain('UPNSuffix');
  });

  it('unknown field, with a did-you-mean', () => {
    const text = BASE.replace('queryPeriod: 1h', 'queryPeriod: 1h\nsupressionEnabled: false');
    expectOnly({ 'rules/r.yaml': text }, [`rules/r.yaml:${at(text, 'supressionEnabled')}: error: unknown field 'supressionEnabled'; did you mean 'suppressionEnabled'?`]);
  });

  it('unknown field inside a nested mapping', () => {
    const text = BASE.replace('        columnName: UserId', '        column: UserId');
    const ds = diagnosticsFor({ 'rules/r.yaml': text });
    expect(ds).toContain(`rules/r.yaml:${at(text, 'column: UserId')}: error: unknown field 'column'; did you mean 'columnName'?`);
    expect(ds).toContain(`rules/r.yaml:${at(text, 'identifier: AadUserId')}: error: missing required field 'columnName' in entityMappings[0].fieldMappings[0]`);
  });

  it('wrong type', () => {
    const text = BASE.replace('triggerThreshold: 0', 'triggerThreshold: "zero"');
    expectOnly({ 'rules/r.yaml': text }, [`rules/r.yaml:${at(text, '"zero"')}: error: triggerThreshold: expected a whole number, got "zero"`]);
  });

  it('enum value, with a suggestion', () => {
    const text = BASE.replace('severity: Medium', 'severity: medium');
    expectOnly({ 'rules/r.yaml': text }, [
      `rules/r.yaml:${at(text, 'medium')}: error: severity: "medium" is not allowed; expected one of High, Medium, Low, Informational (did you mean 'Medium'?)`,
    ]);
  });

  it('malformed ISO 8601 duration', () => {
    const text = BASE.replace('queryPeriod: 1h', 'queryPeriod: PT1X');
    expectOnly({ 'rules/r.yaml': text }, [`rules/r.yaml:${at(text, 'PT1X')}: error: queryPeriod: "PT1X" is not a valid duration such as 5m, 1h, 14d or PT5M`]);
  });

  it('missing required field', () => {
    const text = BASE.replace('severity: Medium\n', '');
    expectOnly({ 'rules/r.yaml': text }, [`rules/r.yaml:1:1: error: missing required field 'severity'`]);
  });

  it('Sentinel schedule limits', () => {
    const text = BASE.replace('queryFrequency: 5m', 'queryFrequency: 1m').replace('queryPeriod: 1h', 'queryPeriod: 15d');
    expectOnly({ 'rules/r.yaml': text }, [
      `rules/r.yaml:${at(text, '1m')}: error: queryFrequency: 1m is outside Sentinel's range of 5m to 14d`,
      `rules/r.yaml:${at(text, '15d')}: error: queryPeriod: 15d is outside Sentinel's range of 5m to 14d`,
      `rules/r.yaml:${at(text, '1m')}: error: a look-back of 2 days or more (15d) needs queryFrequency of at least 1h; got 1m`,
    ]);
  });

  it('period shorter than frequency', () => {
    const text = BASE.replace('queryFrequency: 5m', 'queryFrequency: 2h');
    expectOnly({ 'rules/r.yaml': text }, [
      `rules/r.yaml:${at(text, '1h')}: error: queryPeriod (1h) must be at least queryFrequency (2h), or rows between runs are never looked at`,
    ]);
  });

  it('NRT rules take no schedule or threshold', () => {
    const text = BASE.replace('kind: Scheduled', 'kind: NRT').replace('queryFrequency: 5m\nqueryPeriod: 1h\n', '');
    const ds = diagnosticsFor({ 'rules/r.yaml': text });
    const msg = 'is not allowed on an NRT rule: NRT rules run every minute over newly ingested rows and alert on any result';
    expect(ds.sort()).toEqual(
      [`rules/r.yaml:${at(text, 'triggerOperator')}: error: triggerOperator ${msg}`, `rules/r.yaml:${at(text, 'triggerThreshold')}: error: triggerThreshold ${msg}`].sort(),
    );
  });

  it('entity type and identifier as the API defines them', () => {
    const text = BASE.replace('entityType: Account', 'entityType: Acount').replace('identifier: AadUserId', 'identifier: AadUserID');
    const ds = diagnosticsFor({ 'rules/r.yaml': text });
    expect(ds[0]).toMatch(new RegExp(`^rules/r.yaml:${at(text, 'Acount')}: error: entityType: "Acount" is not allowed; expected one of Account, Host, IP`));
    expect(ds[0]).toContain("(did you mean 'Account'?)");
    const text2 = BASE.replace('identifier: AadUserId', 'identifier: AadUserID');
    expect(diagnosticsFor({ 'rules/r.yaml': text2 })[0]).toBe(
      `rules/r.yaml:${at(text2, 'AadUserID')}: error: 'AadUserID' is not an identifier of entity type Account; did you mean 'AadUserId'? (valid: Name, FullName, NTDomain, DnsDomain, UPNSuffix, Sid, AadTenantId, AadUserId, PUID, IsDomainJoined, DisplayName, ObjectGuid, CloudAppAccountId)`,
    );
  });

  it('at most 10 entity mappings and 20 custom details', () => {
    const mappings = Array.from({ length: 11 }, () => '  - entityType: IP\n    fieldMappings:\n      - identifier: Address\n        columnName: IPAddress\n').join('');
    const details = Array.from({ length: 21 }, (_, i) => `  D${i}: SessionId\n`).join('');
    const text = BASE.replace(/entityMappings:[\s\S]*$/, `entityMappings:\n${mappings}customDetails:\n${details}`);
    expectOnly({ 'rules/r.yaml': text }, [
      `rules/r.yaml:${at(text, '- entityType')}: error: entityMappings: 11 items; Sentinel allows at most 10`,
      `rules/r.yaml:${at(text, 'D0:')}: error: customDetails: 21 entries; Sentinel allows at most 20`,
    ]);
  });

  it('technique ids well-formed and consistent with the tactics', () => {
    const text = BASE.replace('  - T1539', '  - T1539\n  - T15X\n  - T1098.005');
    expectOnly({ 'rules/r.yaml': text }, [
      `rules/r.yaml:${at(text, 'T15X')}: error: relevantTechniques[1]: "T15X" is not a valid ATT&CK technique id`,
      `rules/r.yaml:${at(text, 'T1098.005')}: error: technique T1098.005 belongs to Persistence or PrivilegeEscalation, none of which is in tactics (CredentialAccess)`,
    ]);
  });

  it('unique ids across files', () => {
    const other = BASE.replace('name: Test rule', 'name: Other rule');
    expectOnly({ 'rules/a.yaml': BASE, 'rules/b.yaml': other }, [`rules/b.yaml:${at(other, 'T-1')}: error: rule id 'T-1' is already used by rules/a.yaml; ids must be unique`]);
  });

  it('duplicate keys and malformed YAML', () => {
    const dup = BASE.replace('severity: Medium', 'severity: Medium\nseverity: High');
    const ds = diagnosticsFor({ 'rules/r.yaml': dup });
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatch(new RegExp(`^rules/r.yaml:${at(dup, 'severity: High')}: error: duplicate key`));
    const bad = BASE.replace('tactics:\n  - CredentialAccess', 'tactics: [CredentialAccess');
    const ds2 = diagnosticsFor({ 'rules/r.yaml': bad });
    expect(ds2.length).toBeGreaterThan(0);
    expect(ds2[0]).toMatch(/^rules\/r\.yaml:\d+:\d+: error: invalid YAML: /);
  });

  it('KQL syntax error inside the block scalar', () => {
    const text = BASE.replace('| where ResultType == "0"', '| where ResultType == "0');
    const ds = diagnosticsFor({ 'rules/r.yaml': text });
    expect(ds.length).toBeGreaterThan(0);
    // Kusto reports the missing quote where the literal should end.
    const [line, col] = at(text, '"0').split(':').map(Number);
    expect(ds[0]).toBe(`rules/r.yaml:${line}:${col! + 2}: error: Missing: " (KS001)`);
  });

  it('unknown column, table and function at their line and column', () => {
    const text = BASE.replace('| where ResultType == "0"', '| where ResultTyp == "0"\n  | join (SignInLogz) on UserId\n  | extend x = tostrin(IPAddress)');
    expectOnly({ 'rules/r.yaml': text }, [
      `rules/r.yaml:${at(text, 'ResultTyp ')}: error: The name 'ResultTyp' does not refer to any known column, table, variable or function. (KS142)`,
      `rules/r.yaml:${at(text, 'SignInLogz')}: error: The name 'SignInLogz' does not refer to any known table, tabular variable or function. (KS204)`,
      `rules/r.yaml:${at(text, 'tostrin')}: error: The name 'tostrin' does not refer to any known function. (KS211)`,
    ]);
  });

  it('a type error', () => {
    const text = BASE.replace('| where ResultType == "0"', '| where TimeGenerated > "yesterday" + 1');
    const ds = diagnosticsFor({ 'rules/r.yaml': text });
    expect(ds.length).toBeGreaterThan(0);
    expect(ds[0]).toMatch(/^rules\/r\.yaml:16:\d+: error: .*\(KS\d+\)$/);
  });

  it('columns named by mappings, details and overrides must be in the output', () => {
    const text = BASE.replace('  SessionId: SessionId', '  SessionId: SessionID\nalertDetailsOverride:\n  alertDisplayNameFormat: Sign-in by {{UPN}}').replace(
      '        columnName: UserId',
      '        columnName: AccountObjectId',
    );
    const outputs = 'TimeGenerated, UserPrincipalName, UserId, IPAddress, SessionId';
    expectOnly({ 'rules/r.yaml': text }, [
      `rules/r.yaml:${at(text, 'AccountObjectId')}: error: Account.AadUserId names column 'AccountObjectId', which the query does not output (it outputs: ${outputs})`,
      `rules/r.yaml:${at(text, 'SessionID')}: error: custom detail SessionId names column 'SessionID', which the query does not output (it outputs: ${outputs})`,
      `rules/r.yaml:${at(text, 'Sign-in by')}: error: alertDisplayNameFormat placeholder names column 'UPN', which the query does not output (it outputs: ${outputs})`,
    ]);
  });

  it('parameter defaults must match their type', () => {
    const text = BASE.replace('query: |', 'parameters:\n  lookback:\n    type: timespan\n    default: soon\nquery: |');
    expectOnly({ 'rules/r.yaml': text }, [`rules/r.yaml:${at(text, 'soon')}: error: parameter lookback: expected a duration such as 5m, 1h or 14d, got "soon"`]);
  });

  it('incident grouping must refer to mapped entities and defined details', () => {
    const text = `${BASE}incidentConfiguration:\n  createIncident: true\n  groupingConfiguration:\n    enabled: true\n    lookbackDuration: 8d\n    matchingMethod: Selected\n    groupByEntities: [Host]\n    groupByCustomDetails: [Nope]\n`;
    expectOnly({ 'rules/r.yaml': text }, [
      `rules/r.yaml:${at(text, '8d')}: error: lookbackDuration: 8d is outside Sentinel's range of 5m to 7d`,
      `rules/r.yaml:${at(text, 'Host]')}: error: groups by entity Host, but no entity mapping produces one`,
      `rules/r.yaml:${at(text, 'Nope]')}: error: groups by custom detail 'Nope', which customDetails does not define`,
    ]);
  });

  it('every problem of a file at once', () => {
    const text = BASE.replace('severity: Medium', 'severity: Severe').replace('queryFrequency: 5m', 'queryFrequency: often').replace('triggerOperator: gt', 'triggerOperatr: gt');
    expect(diagnosticsFor({ 'rules/r.yaml': text })).toHaveLength(3);
  });

  it('the bundled rules are valid', () => {
    const p = openProject(ROOT, { noCache: true });
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(p.rules.length).toBeGreaterThanOrEqual(3);
  });
});

describe('watchlists', () => {
  it('an undefined watchlist is a warning at its call; a defined one types its columns', () => {
    const text = BASE.replace('  SigninLogs\n', "  SigninLogs\n  | where UserId !in (_GetWatchlist('vip_users') | project SearchKey)\n");
    expect(diagnosticsFor({ 'rules/r.yaml': text })).toEqual([
      `rules/r.yaml:${at(text, "_GetWatchlist('vip")}: warning: watchlist 'vip_users' has no local definition in rules/watchlists; its columns are not checked`,
    ]);
    const typed = BASE.replace('  SigninLogs\n', "  SigninLogs\n  | where UserId !in (_GetWatchlist('vip_users') | project ObjectID)\n");
    expect(diagnosticsFor({ 'rules/r.yaml': typed, 'rules/watchlists/vip_users.csv': 'ObjectId,Name\n1,a\n' })).toEqual([
      `rules/r.yaml:${at(typed, 'ObjectID')}: error: The name 'ObjectID' does not refer to any known column, table, variable or function. (KS142)`,
    ]);
  });
});
