// Behavioural equivalence: for each Sigma rule, generated events go through an independent Sigma
// evaluator (test/sigma/reference.ts) and through the compiled KQL on the local engine; exactly the
// events the evaluator matches must come out.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { events, pools } from './generate.js';
import { detectionOf, kqlOf, runIds } from './helpers.js';
import { sigmaMatches } from './reference.js';

interface Case {
  name: string;
  table?: string;
  service?: string;
  detection: string;
  extras?: Record<string, unknown[]>;
  placeholders?: Record<string, string[]>;
  keywordFields?: string[];
  /** Only the extras: the derived text variants do not fit the columns' types. */
  extrasOnly?: boolean;
  n?: number;
}

const rule = (c: Case) => `title: ${JSON.stringify(c.name)}\nid: 5f2b9c1e-0000-4000-8000-000000000001\nlogsource:\n  product: azure\n  service: ${c.service ?? 'signinlogs'}\ndetection:\n${c.detection.replace(/^/gm, '  ')}\nlevel: medium\n`;

const b64 = (s: string, enc: BufferEncoding = 'utf8') => Buffer.from(s, enc).toString('base64');
const ISO = (d: string) => new Date(d).toISOString();

const CASES: Case[] = [
  {
    name: 'equality is case-insensitive, lists are OR-ed',
    detection: `selection:\n  AppDisplayName: Office 365 Exchange Online\n  ClientAppUsed: [Browser, Mobile Apps and Desktop clients]\ncondition: selection`,
  },
  {
    name: 'wildcards inside values, escaped stars, lists with wildcards',
    detection: [
      `sel_agent:\n  UserAgent: 'Mozilla/*Windows?NT*'`,
      `sel_app:\n  AppDisplayName: '*Graph'`,
      `sel_literal:\n  ResultDescription: 'a\\*b*'`,
      `sel_upn:\n  UserPrincipalName: ['*@contoso.com', 'admin?@*', 'exact@x.org', 'a*b*c']`,
      `condition: 1 of sel_*`,
    ].join('\n'),
    extras: { ResultDescription: ['a*b', 'a*bcd', 'aXb', 'A*B tail', 'ab'], UserPrincipalName: ['aXbYc', 'abc', 'ABC', 'acb', 'a\nb\nc'] },
  },
  {
    name: 'contains|all, startswith, endswith|cased, not',
    detection: `selection:\n  UserAgent|contains|all: [python, requests]\n  AppDisplayName|startswith: Microsoft\nfilter:\n  ResultDescription|endswith|cased: Denied\ncondition: selection and not filter`,
    extras: { UserAgent: ['python-requests/2.31', 'Requests (PYTHON)', 'python only'] },
  },
  {
    name: 'cased equality and cased lists',
    detection: `a:\n  UserPrincipalName|cased: Admin@Contoso.com\nb:\n  AppDisplayName|cased: [Azure Portal, Graph Explorer]\ncondition: a or b`,
  },
  {
    name: 'regular expressions: case-sensitive by default, i, m, s',
    detection: [
      `a:\n  UserAgent|re: '^python-requests/\\d+\\.\\d+$'`,
      `b:\n  AppDisplayName|re|i: 'gr[a-z]ph'`,
      `c:\n  ResultDescription|re|s: 'start.end'`,
      `d:\n  AuthenticationDetails|re|m: '^second$'`,
      `condition: 1 of them`,
    ].join('\n'),
    extras: {
      UserAgent: ['python-requests/2.31', 'Python-requests/2.31', 'python-requests/2.31 extra', 'python-requests/x.y'],
      AppDisplayName: ['Microsoft Graph', 'GRAPH', 'grzph', 'grph'],
      ResultDescription: ['start\nend', 'startXend', 'START-END', 'start\n\nend'],
      AuthenticationDetails: ['first\nsecond\nthird', 'second', 'first second'],
    },
  },
  {
    name: 'cidr: IPv4 and IPv6 networks',
    detection: `selection:\n  IPAddress|cidr: [10.0.0.0/8, 192.168.1.0/24, '2001:db8::/32']\ncondition: selection`,
    extras: { IPAddress: ['10.1.2.3', '11.0.0.1', '192.168.1.77', '192.168.2.1', '2001:db8::1', '2001:db8:ffff::5', '2001:db9::1', 'fe80::1', 'not-an-ip', '9.255.255.255'] },
  },
  {
    name: 'base64, base64offset, utf16le (wide) before base64offset',
    detection: [
      `a:\n  AuthenticationDetails|base64: 'secret'`,
      `b:\n  ResultDescription|base64offset|contains: 'evil'`,
      `c:\n  UserAgent|wide|base64offset|contains: 'ab'`,
      `condition: a or b or c`,
    ].join('\n'),
    extras: {
      AuthenticationDetails: [b64('secret'), b64('Secret'), b64('secret').toLowerCase()],
      ResultDescription: [`x ${b64('evil')} y`, `pre${b64('Aevil')}post`, b64('AAevil!'), b64('good'), b64('EVIL')],
      UserAgent: [b64('ab', 'utf16le'), b64('Zab', 'utf16le'), b64('xyab', 'utf16le'), b64('ab')],
    },
  },
  {
    name: 'windash: every dash spelling of a flag',
    detection: `selection:\n  ResultDescription|windash|contains: ' -enc '\ncondition: selection`,
    extras: { ResultDescription: ['x -enc y', 'x /enc y', 'x \u2013enc y', 'x \u2014enc y', 'x \u2015enc y', 'x enc y', 'x --enc y', 'x -ENC y'] },
  },
  {
    name: "exists, null and ''",
    detection: `a:\n  UserAgent|exists: true\nb:\n  AppDisplayName: null\nc:\n  ResultDescription: ''\nd:\n  ClientAppUsed|exists: false\ncondition: (a and b) or (c and d)`,
  },
  {
    name: 'numbers: comparisons on long and string columns, number lists',
    detection: [
      `a:\n  DurationMs|gt: 100\n  DurationMs|lte: 5000`,
      `b:\n  ResultType: [0, 50126]`,
      `c:\n  ResultType|gte: 50000\n  DurationMs: [5, 10]`,
      `condition: a or b or c`,
    ].join('\n'),
    extrasOnly: true,
    extras: { DurationMs: [0, 5, 10, 100, 101, 4999, 5000, 5001], ResultType: ['0', '00', '50126', '50125', '49999', '50000', '90000', 'x'] },
  },
  {
    name: 'booleans, nested dynamic paths',
    detection: `a:\n  IsInteractive: true\n  DeviceDetail.isCompliant: 'false'\nb:\n  DeviceDetail.operatingSystem|startswith: Windows\n  LocationDetails.countryOrRegion: [GB, FR]\ncondition: a or b`,
    extras: { 'DeviceDetail.isCompliant': [true, false, 'False'], 'DeviceDetail.operatingSystem': ['Windows 10', 'windows', 'MacOs', 'Win'] },
  },
  {
    name: 'nested paths into JSON-text columns (AADNonInteractiveUserSignInLogs)',
    service: 'noninteractivesigninlogs',
    detection: `selection:\n  DeviceDetail.operatingSystem|startswith: Windows\n  LocationDetails.countryOrRegion: [GB, FR]\n  Status.errorCode: 0\ncondition: selection`,
    extras: { 'Status.errorCode': [0, 50126] },
  },
  {
    name: 'fieldref: equality and contains between fields',
    detection: `a:\n  UserPrincipalName|fieldref: AlternateSignInName\nb:\n  UserAgent|fieldref|contains: AppDisplayName\ncondition: a or b`,
    extras: {
      UserPrincipalName: ['ana@contoso.com', 'ANA@contoso.com', 'bob@contoso.com'],
      AlternateSignInName: ['ana@contoso.com', 'bob@contoso.com', 'eve@x.org'],
      UserAgent: ['my Teams client', 'Outlook/1.0', 'plain'],
      AppDisplayName: ['Teams', 'outlook', 'Word'],
    },
  },
  {
    name: 'time parts: hour, day with gte, month',
    detection: `a:\n  CreatedDateTime|hour: 3\nb:\n  CreatedDateTime|day|gte: 28\n  CreatedDateTime|month: 12\ncondition: a or b`,
    extras: { CreatedDateTime: [ISO('2026-03-01T03:15:00Z'), ISO('2026-03-01T04:00:00Z'), ISO('2025-12-28T10:00:00Z'), ISO('2025-12-27T03:59:59Z'), ISO('2025-11-30T00:00:00Z')] },
  },
  {
    name: 'neq: differs from every listed value',
    detection: `selection:\n  AppDisplayName|neq: [Azure Portal, Office 365]\n  ClientAppUsed: Browser\ncondition: selection`,
  },
  {
    name: 'condition grammar: x of patterns, them with _ identifiers, nested not and parentheses',
    detection: [
      `sel_a:\n  AppDisplayName|contains: Graph`,
      `sel_b:\n  UserAgent|startswith: curl`,
      `filter_main:\n  ClientAppUsed: Browser`,
      `filter_other:\n  ResultType: 0`,
      `_internal:\n  UserPrincipalName: x@y.z`,
      `condition: (1 of sel_* and not 1 of filter_*) or (all of sel_* and not (filter_main or not filter_other))`,
    ].join('\n'),
    extras: { ResultType: ['0', '1'] },
  },
  {
    name: 'all of them ignores _-prefixed identifiers; a condition list is OR-ed',
    detection: [
      `a:\n  AppDisplayName|contains: Graph`,
      `b:\n  UserAgent|endswith: '/1.0'`,
      `_c:\n  ClientAppUsed: Browser`,
      `condition:\n  - all of them\n  - _c and not a`,
    ].join('\n'),
  },
  {
    name: 'list of maps: OR of AND-ed maps',
    detection: `selection:\n  - AppDisplayName: Azure Portal\n    ClientAppUsed: Browser\n  - UserAgent|contains: okhttp\n    ResultType: 0\ncondition: selection`,
  },
  {
    name: 'placeholders through a user map (expand)',
    detection: `selection:\n  UserPrincipalName|expand: '%admins%'\n  LocationDetails.countryOrRegion|expand: '%countries%'\ncondition: selection`,
    placeholders: { admins: ['a@x.com', 'b@x.com'], countries: ['GB', 'FR'] },
  },
  {
    name: 'keywords: anywhere in the event, wildcards, |all',
    detection: `keywords:\n  - axios\n  - 'python*requests'\nboth:\n  '|all': [foo, bar]\ncondition: keywords or both`,
    keywordFields: ['UserAgent', 'AppDisplayName'],
    extras: { UserAgent: ['foo and bar', 'foo', 'x python-requests', 'BAR FOO'], AppDisplayName: ['bar', 'python', 'requests'] },
  },
];

/** Events on which the KQL and the Sigma evaluator disagree (the first five). */
function mismatches(evs: Record<string, unknown>[], expected: string[], actual: string[], id = 'Id'): unknown[] {
  const e = new Set(expected);
  const a = new Set(actual);
  return evs.filter((x) => e.has(String(x[id])) !== a.has(String(x[id]))).slice(0, 5).map((x) => ({ event: x, sigma: e.has(String(x[id])), kql: a.has(String(x[id])) }));
}

const TABLES: Record<string, string> = { signinlogs: 'SigninLogs', noninteractivesigninlogs: 'AADNonInteractiveUserSignInLogs' };

describe('compiled KQL selects exactly the events the Sigma detection matches', () => {
  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const text = rule(c);
      const query = kqlOf(text, { placeholders: c.placeholders });
      const p = pools(text, c.extras ?? {}, c.placeholders ?? {}, c.keywordFields ?? [], c.extrasOnly);
      const evs = events(p, c.n ?? 400, 1000 + i);
      const det = detectionOf(text);
      const expected = evs.filter((e) => sigmaMatches(det, e, c.placeholders)).map((e) => String(e.Id)).sort();
      expect(expected.length, 'some events match').toBeGreaterThan(0);
      expect(expected.length, 'some events do not match').toBeLessThan(evs.length);
      const actual = await runIds(query, { [TABLES[c.service ?? 'signinlogs']!]: evs });
      expect(mismatches(evs, expected, actual), query).toEqual([]);
    }, 120_000);
  });
});

// Real SigmaHQ rules (development material in ../shared, skipped when absent).
const SHARED = join(ROOT, '..', 'shared', 'sigma-rules');
const REAL: { path: string; table: string; id?: string; keywordFields?: string[]; extras?: Record<string, unknown[]> }[] = [
  { path: 'rules-threat-hunting/cloud/azure/signin_logs/azure_ad_signin_axios_user_agent.yml', table: 'SigninLogs' },
  { path: 'rules/cloud/azure/signin_logs/azure_ad_sign_ins_from_unknown_devices.yml', table: 'SigninLogs' },
  { path: 'rules/cloud/azure/signin_logs/azure_mfa_denies.yml', table: 'SigninLogs' },
  { path: 'rules/cloud/azure/signin_logs/azure_ad_azurehound_discovery.yml', table: 'SigninLogs' },
  { path: 'rules/cloud/azure/identity_protection/azure_identity_protection_anomalous_token.yml', table: 'AADUserRiskEvents' },
  { path: 'rules/cloud/azure/activity_logs/azure_rare_operations.yml', table: 'AzureActivity', id: 'CorrelationId', keywordFields: ['OperationNameValue', 'ResourceId'] },
  { path: 'rules/cloud/m365/audit/microsoft365_new_federated_domain_added_audit.yml', table: 'OfficeActivity', id: 'OfficeId', extras: { Operation: ['Add-FederatedDomain', 'New-AcceptedDomain', 'Set-Domain', 'add domain'] } },
  { path: 'rules-threat-hunting/cloud/m365/audit/microsoft365_susp_inbox_rule_creation_or_update_activity.yml', table: 'OfficeActivity', id: 'OfficeId' },
  { path: 'rules-threat-hunting/cloud/m365/audit/microsoft365_susp_email_forwarding_activity.yml', table: 'OfficeActivity', id: 'OfficeId' },
];

describe.skipIf(!existsSync(SHARED))('real SigmaHQ rules (../shared/sigma-rules)', () => {
  REAL.forEach((r, i) => {
    it(r.path.split('/').pop()!, async () => {
      const text = readFileSync(join(SHARED, r.path), 'utf8');
      const query = kqlOf(text);
      const det = detectionOf(text);
      const p = pools(text, r.extras ?? {}, {}, r.keywordFields ?? []);
      // OperationProperties is dynamic in OfficeActivity: give it JSON values.
      if (p.OperationProperties) p.OperationProperties = p.OperationProperties.map((v) => (v === '' ? '' : [{ Name: 'Rule', Value: v }]));
      const evs = events(p, 400, 2000 + i, r.id ?? 'Id');
      const expected = evs.filter((e) => sigmaMatches(det, e)).map((e) => String(e[r.id ?? 'Id'])).sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(evs.length);
      const actual = await runIds(query, { [r.table]: evs }, r.id ?? 'Id');
      expect(mismatches(evs, expected, actual, r.id), query).toEqual([]);
    }, 120_000);
  });
});
