// Correlation rules compiled to KQL and run on the local engine over recorded rows.
import { describe, expect, it } from 'vitest';
import { runQuery } from '../../src/engine/index.js';
import { convertText, NOW, tableOf } from './helpers.js';

const BASE = `title: Failed sign-in
id: 11111111-1111-4111-8111-111111111111
name: failed_signin
logsource: {product: azure, service: signinlogs}
detection:
  selection:
    ResultType: 50126
  condition: selection
`;

const RISK = `title: Risky sign-in detected
name: risky
logsource: {product: azure, service: riskdetection}
detection:
  selection:
    riskEventType: [anomalousToken, unfamiliarFeatures]
  condition: selection
`;

const MFA = `title: Security info registered
name: mfa
logsource: {product: azure, service: auditlogs}
detection:
  selection:
    OperationName: User registered security info
  condition: selection
`;

function correlation(body: string, level = 'high'): string {
  return `title: Correlated
id: 22222222-2222-4222-8222-222222222222
level: ${level}
tags: [attack.credential-access, attack.t1110.003]
correlation:
${body.replace(/^/gm, '  ')}
`;
}

async function run(text: string, tables: Record<string, Record<string, unknown>[]>): Promise<{ rule: Record<string, unknown>; rows: Record<string, unknown>[] }> {
  const r = convertText(text);
  const errors = [...r.diagnostics, ...r.failed.flatMap((f) => f.diagnostics)];
  if (errors.length) throw new Error(JSON.stringify(errors));
  const corr = r.converted.find((c) => c.title === 'Correlated')!;
  const t = Object.fromEntries(Object.entries(tables).map(([n, rows]) => [n, tableOf(n, rows)]));
  const out = await runQuery(String(corr.rule.query), { now: NOW, tables: t });
  const rows = Array.from({ length: out.table.n }, (_, i) => Object.fromEntries(out.table.cols.map((c) => [c.name, c.data[i]])));
  return { rule: corr.rule, rows };
}

const at = (hm: string) => `2026-03-02T${hm}:00Z`;

describe('correlation rules', { timeout: 120_000 }, () => {
  it('event_count: events per group-by value within the timespan, filtered by the condition', async () => {
    const rows = [
      ...[1, 2, 3].map((i) => ({ TimeGenerated: at(`10:0${i}`), UserPrincipalName: 'a@x.com', ResultType: '50126' })),
      ...[1, 2].map((i) => ({ TimeGenerated: at(`10:0${i}`), UserPrincipalName: 'b@x.com', ResultType: '50126' })),
      { TimeGenerated: at('10:05'), UserPrincipalName: 'b@x.com', ResultType: '0' },
    ];
    const { rule, rows: out } = await run(`${BASE}---\n${correlation('type: event_count\nrules: [failed_signin]\ngroup-by: [UserPrincipalName]\ntimespan: 1h\ncondition: {gte: 3}')}`, { SigninLogs: rows });
    expect(out.map((r) => [r.UserPrincipalName, r.EventCount])).toEqual([['a@x.com', 3]]);
    expect(rule).toMatchObject({ queryPeriod: '1h', queryFrequency: '15m', severity: 'High', tactics: ['CredentialAccess'], relevantTechniques: ['T1110.003'] });
    expect(rule.entityMappings).toEqual([{ entityType: 'Account', fieldMappings: [{ identifier: 'FullName', columnName: 'UserPrincipalName' }] }]);
  });

  it('event_count with a range (gt and lte) and a base rule referenced by id', async () => {
    const rows = [1, 2, 3, 4, 5].flatMap((n) => Array.from({ length: n }, (_, i) => ({ TimeGenerated: at(`10:1${i}`), UserPrincipalName: `u${n}@x.com`, ResultType: '50126' })));
    const { rows: out } = await run(`${BASE}---\n${correlation('type: event_count\nrules: [11111111-1111-4111-8111-111111111111]\ngroup-by: [UserPrincipalName]\ntimespan: 30m\ncondition: {gt: 2, lte: 4}')}`, { SigninLogs: rows });
    expect(out.map((r) => r.UserPrincipalName).sort()).toEqual(['u3@x.com', 'u4@x.com']);
  });

  it('value_count: distinct values of a field per group', async () => {
    const rows = [
      { UserPrincipalName: 'a@x.com', IPAddress: '1.1.1.1' },
      { UserPrincipalName: 'a@x.com', IPAddress: '2.2.2.2' },
      { UserPrincipalName: 'a@x.com', IPAddress: '2.2.2.2' },
      { UserPrincipalName: 'b@x.com', IPAddress: '3.3.3.3' },
      { UserPrincipalName: 'b@x.com', IPAddress: '3.3.3.3' },
    ].map((r) => ({ ...r, TimeGenerated: at('10:00'), ResultType: '50126' }));
    const { rows: out } = await run(`${BASE}---\n${correlation('type: value_count\nrules: [failed_signin]\ngroup-by: [UserPrincipalName]\ntimespan: 1h\ncondition: {gte: 2, field: IPAddress}')}`, { SigninLogs: rows });
    expect(out.map((r) => [r.UserPrincipalName, r.ValueCount])).toEqual([['a@x.com', 2]]);
  });

  const risky = (user: string, hm: string) => ({ TimeGenerated: at(hm), UserPrincipalName: user, RiskEventType: 'anomalousToken', Id: `r-${user}-${hm}` });
  const mfa = (user: string, hm: string) => ({ TimeGenerated: at(hm), OperationName: 'User registered security info', InitiatedBy: { user: { userPrincipalName: user } }, Id: `m-${user}-${hm}` });
  const aliases = 'aliases:\n  user:\n    risky: UserPrincipalName\n    mfa: InitiatedBy.user.userPrincipalName';

  it('temporal: every rule matched for the same alias value, across two tables', async () => {
    const { rows: out } = await run(`${RISK}---\n${MFA}---\n${correlation(`type: temporal\nrules: [risky, mfa]\ngroup-by: [user]\ntimespan: 1h\n${aliases}`)}`, {
      AADUserRiskEvents: [risky('a@x.com', '10:00'), risky('b@x.com', '10:00'), risky('c@x.com', '10:10')],
      AuditLogs: [mfa('a@x.com', '09:50'), mfa('c@x.com', '10:20'), mfa('d@x.com', '10:20')],
    });
    expect(out.map((r) => r.user).sort()).toEqual(['a@x.com', 'c@x.com']);
  });

  it('temporal_ordered: the rules in order, the last within the timespan of the first', async () => {
    const { rule, rows: out } = await run(`${RISK}---\n${MFA}---\n${correlation(`type: temporal_ordered\nrules: [risky, mfa]\ngroup-by: [user]\ntimespan: 1h\n${aliases}`)}`, {
      AADUserRiskEvents: [risky('a@x.com', '10:00'), risky('b@x.com', '10:30'), risky('c@x.com', '10:00'), risky('d@x.com', '09:00'), risky('d@x.com', '10:40')],
      AuditLogs: [mfa('a@x.com', '10:30'), mfa('b@x.com', '10:00'), mfa('c@x.com', '11:30'), mfa('d@x.com', '11:00')],
    });
    // a: in order within 1h; b: wrong order; c: too late; d: the second risky sign-in starts a chain.
    expect(out.map((r) => r.user).sort()).toEqual(['a@x.com', 'd@x.com']);
    // The alias names UserPrincipalName in the first rule's table: an Account entity.
    expect(rule.entityMappings).toEqual([{ entityType: 'Account', fieldMappings: [{ identifier: 'FullName', columnName: 'user' }] }]);
  });

  it('temporal_ordered over three rules', async () => {
    const third = `title: Inbox rule\nname: inbox\nlogsource: {product: m365, service: audit}\ndetection:\n  selection:\n    Operation: New-InboxRule\n  condition: selection\n`;
    const text = `${RISK}---\n${MFA}---\n${third}---\n${correlation(`type: temporal_ordered\nrules: [risky, mfa, inbox]\ngroup-by: [user]\ntimespan: 2h\n${aliases}\n    inbox: UserId`)}`;
    const inbox = (user: string, hm: string) => ({ TimeGenerated: at(hm), Operation: 'New-InboxRule', UserId: user, OfficeId: `i-${user}-${hm}` });
    const { rows: out } = await run(text, {
      AADUserRiskEvents: [risky('a@x.com', '10:00'), risky('b@x.com', '10:00')],
      AuditLogs: [mfa('a@x.com', '10:30'), mfa('b@x.com', '10:30')],
      OfficeActivity: [inbox('a@x.com', '11:00'), inbox('b@x.com', '10:15')],
    });
    expect(out.map((r) => r.user)).toEqual(['a@x.com']);
  });

  it('a timespan under 5 minutes counts in bins of that size and runs every 5 minutes', async () => {
    const rows = ['10:00', '10:01', '10:02', '10:04'].map((hm) => ({ TimeGenerated: at(hm), UserPrincipalName: 'a@x.com', ResultType: '50126' }));
    const { rule, rows: out } = await run(`${BASE}---\n${correlation('type: event_count\nrules: [failed_signin]\ngroup-by: [UserPrincipalName]\ntimespan: 2m\ncondition: {gte: 2}')}`, { SigninLogs: rows });
    expect(String(rule.query)).toContain('bin(TimeGenerated, 2m)');
    expect(rule).toMatchObject({ queryPeriod: '5m', queryFrequency: '5m' });
    expect(out.map((r) => r.EventCount)).toEqual([2]);
  });

  it('base rules are emitted only with generate: true', () => {
    const without = convertText(`${BASE}---\n${correlation('type: event_count\nrules: [failed_signin]\ngroup-by: [UserPrincipalName]\ntimespan: 1h\ncondition: {gte: 3}')}`);
    expect(without.converted.map((c) => c.title)).toEqual(['Correlated']);
    expect(without.skipped.map((s) => s.title)).toEqual(['Failed sign-in']);
    const withBase = convertText(`${BASE}---\n${correlation('type: event_count\nrules: [failed_signin]\ngroup-by: [UserPrincipalName]\ntimespan: 1h\ngenerate: true\ncondition: {gte: 3}')}`);
    expect(withBase.converted.map((c) => c.title).sort()).toEqual(['Correlated', 'Failed sign-in']);
  });

  it('reports what cannot be compiled, where it is written', () => {
    const cases: [string, RegExp, number][] = [
      ['type: event_count\nrules: [nope]\ntimespan: 1h\ncondition: {gte: 1}', /no rule with id or name 'nope'/, 16],
      ['type: event_count\nrules: [failed_signin]\ntimespan: 90x\ncondition: {gte: 1}', /timespan '90x' is not a number followed by s, m, h or d/, 17],
      ['type: event_count\nrules: [failed_signin]\ntimespan: 30d\ncondition: {gte: 1}', /exceeds Sentinel's longest look-back of 14 days/, 17],
      ['type: event_count\nrules: [failed_signin]\ntimespan: 1h', /event_count needs a condition/, 15],
      ['type: value_count\nrules: [failed_signin]\ntimespan: 1h\ncondition: {gte: 2}', /value_count needs condition.field/, 18],
      ['type: sequence\nrules: [failed_signin]\ntimespan: 1h', /correlation type must be one of/, 15],
      ['type: event_count\nrules: [failed_signin]\ngroup-by: [NoSuchField]\ntimespan: 1h\ncondition: {gte: 1}', /field 'NoSuchField' has no column in SigninLogs/, 17],
    ];
    for (const [body, re, line] of cases) {
      const r = convertText(`${BASE}---\n${correlation(body)}`);
      const d = r.failed.flatMap((f) => f.diagnostics)[0];
      expect(d?.message, body).toMatch(re);
      expect(d?.line, body).toBe(line);
    }
  });
});
