import { describe, expect, it } from 'vitest';
import { alertsFromResult, fillTemplate, type QueryResult } from '../src/runner/alerts.js';
import { Incidents } from '../src/runner/incidents.js';
import { parseYaml } from '../src/rules/source.js';
import { loadRuleFile } from '../src/rules/load.js';
import { project } from './helpers/cli.js';
import { join } from 'node:path';
import type { Rule } from '../src/rules/model.js';

function rule(extra: string, kind = 'kind: Scheduled\nqueryFrequency: 5m\nqueryPeriod: 5m\n'): Rule {
  const text = `id: A-1
name: Alert test
description: Static description.
severity: Medium
${kind}${extra}
query: |
  SigninLogs | project UserId, IPAddress, Sev = "High", UserPrincipalName
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: AadUserId
        columnName: UserId
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
customDetails:
  Upn: UserPrincipalName
`;
  const dir = project({ 'r.yaml': text });
  expect(parseYaml('r.yaml', text).ok).toBe(true);
  const { rule: r, diagnostics } = loadRuleFile(join(dir, 'r.yaml'), 'r.yaml');
  expect(diagnostics).toEqual([]);
  return r!;
}

const COLUMNS = [
  { name: 'UserId', type: 'string' },
  { name: 'IPAddress', type: 'string' },
  { name: 'Sev', type: 'string' },
  { name: 'UserPrincipalName', type: 'string' },
];
const result = (rows: unknown[][]): QueryResult => ({ columns: COLUMNS, rows });
const T0 = new Date('2026-01-05T10:00:00Z');
const row = (u: string, ip: string) => [u, ip, 'High', `${u}@contoso.com`];

describe('alerts from a query result', () => {
  it('trigger operator and threshold decide whether a Scheduled rule alerts', () => {
    const rows = result([row('u1', '1.1.1.1'), row('u2', '2.2.2.2')]);
    expect(alertsFromResult(rule('triggerOperator: gt\ntriggerThreshold: 2'), rows, T0)).toEqual([]);
    expect(alertsFromResult(rule('triggerOperator: gt\ntriggerThreshold: 1'), rows, T0)).toHaveLength(1);
    expect(alertsFromResult(rule('triggerOperator: eq\ntriggerThreshold: 2'), rows, T0)).toHaveLength(1);
    expect(alertsFromResult(rule('triggerOperator: lt\ntriggerThreshold: 1'), result([]), T0)).toHaveLength(1);
    expect(alertsFromResult(rule('', 'kind: NRT\n'), result([]), T0)).toEqual([]);
  });

  it('a single alert carries the entities of every row, once each, and the custom detail values', () => {
    const a = alertsFromResult(rule(''), result([row('u1', '1.1.1.1'), row('u1', '2.2.2.2'), row('', '')]), T0);
    expect(a).toHaveLength(1);
    expect(a[0]!.entities).toEqual([
      { type: 'Account', identifiers: { AadUserId: 'u1' } },
      { type: 'IP', identifiers: { Address: '1.1.1.1' } },
      { type: 'IP', identifiers: { Address: '2.2.2.2' } },
    ]);
    expect(a[0]!.customDetails).toEqual({ Upn: ['u1@contoso.com', '@contoso.com'] });
    expect(a[0]!.rows).toEqual([0, 1, 2]);
    expect(a[0]!.displayName).toBe('Alert test');
  });

  it('one alert per result, capped at 150 for Scheduled (149 + a summary) and 30 for NRT', () => {
    const many = (n: number) => result(Array.from({ length: n }, (_, i) => row(`u${i}`, `10.0.0.${i % 250}`)));
    const per = 'eventGroupingSettings:\n  aggregationKind: AlertPerResult';
    expect(alertsFromResult(rule(per), many(150), T0)).toHaveLength(150);
    const s = alertsFromResult(rule(per), many(152), T0);
    expect(s).toHaveLength(150);
    expect(s.filter((a) => a.summary)).toHaveLength(1);
    expect(s[149]!.rows).toEqual([149, 150, 151]);
    const n = alertsFromResult(rule(per, 'kind: NRT\n'), many(31), T0);
    expect(n).toHaveLength(30);
    expect(n[29]!.rows).toEqual([29, 30]);
  });

  it('alert details override: name, description and severity from the row', () => {
    const ado = 'alertDetailsOverride:\n  alertDisplayNameFormat: Sign-in by {{UserPrincipalName}} from {{IPAddress}}\n  alertDescriptionFormat: "{{UserId}}"\n  alertSeverityColumnName: Sev\neventGroupingSettings:\n  aggregationKind: AlertPerResult';
    const a = alertsFromResult(rule(ado), result([row('u1', '1.1.1.1'), row('u2', '2.2.2.2')]), T0);
    expect(a.map((x) => x.displayName)).toEqual(['Sign-in by u1@contoso.com from 1.1.1.1', 'Sign-in by u2@contoso.com from 2.2.2.2']);
    expect(a.map((x) => x.description)).toEqual(['u1', 'u2']);
    expect(a.map((x) => x.severity)).toEqual(['High', 'High']);
  });

  it('only the first three placeholders are filled', () => {
    const r = result([['a', 'b', 'c', 'd']]);
    expect(fillTemplate('{{UserId}} {{IPAddress}} {{Sev}} {{UserPrincipalName}}', r, 0)).toBe('a b c {{UserPrincipalName}}');
  });
});

describe('incidents', () => {
  const per = 'eventGroupingSettings:\n  aggregationKind: AlertPerResult\n';
  const grouping = (method: string, extra = '', lookback = '1h') =>
    `${per}incidentConfiguration:\n  createIncident: true\n  groupingConfiguration:\n    enabled: true\n    lookbackDuration: ${lookback}\n    matchingMethod: ${method}\n${extra}`;
  const at = (min: number) => new Date(T0.getTime() + min * 60_000);

  it('without grouping, one incident per alert; createIncident false makes none', () => {
    const r = rule(per);
    const book = new Incidents();
    for (const a of alertsFromResult(r, result([row('u1', '1.1.1.1'), row('u1', '1.1.1.1')]), T0)) book.add(r, a);
    expect(book.all).toHaveLength(2);
    const none = rule(`${per}incidentConfiguration:\n  createIncident: false`);
    expect(new Incidents().add(none, alertsFromResult(none, result([row('u1', 'x')]), T0)[0]!)).toBeNull();
  });

  it('grouping by selected entities puts one account’s alerts together, within the look-back', () => {
    const r = rule(grouping('Selected', '    groupByEntities: [Account]\n'));
    const book = new Incidents();
    const add = (u: string, ip: string, min: number) => alertsFromResult(r, result([row(u, ip)]), at(min)).map((a) => book.add(r, a)!.incident.id)[0];
    expect(add('u1', '1.1.1.1', 0)).toBe(1);
    expect(add('u1', '9.9.9.9', 10)).toBe(1); // other IP, same account
    expect(add('u2', '1.1.1.1', 20)).toBe(2);
    expect(add('u1', '1.1.1.1', 61)).toBe(3); // past the 1h look-back from the first alert
    expect(book.all.map((i) => i.alerts.length)).toEqual([2, 1, 1]);
  });

  it('AllEntities needs the same entities; AnyAlert groups everything of the rule', () => {
    const all = rule(grouping('AllEntities'));
    const b1 = new Incidents();
    for (const [u, ip] of [['u1', '1.1.1.1'], ['u1', '9.9.9.9'], ['u1', '1.1.1.1']]) b1.add(all, alertsFromResult(all, result([row(u!, ip!)]), T0)[0]!);
    expect(b1.all.map((i) => i.alerts.length)).toEqual([2, 1]);
    const any = rule(grouping('AnyAlert'));
    const b2 = new Incidents();
    for (const u of ['u1', 'u2', 'u3']) b2.add(any, alertsFromResult(any, result([row(u, u)]), T0)[0]!);
    expect(b2.all).toHaveLength(1);
  });

  it('an incident holds at most 150 alerts', () => {
    const any = rule(grouping('AnyAlert'));
    const book = new Incidents();
    for (let i = 0; i < 151; i++) book.add(any, alertsFromResult(any, result([row('u', 'ip')]), T0)[0]!);
    expect(book.all.map((i) => i.alerts.length)).toEqual([150, 1]);
  });
});
