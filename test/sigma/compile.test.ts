// Unit tests: the condition grammar, modifier semantics visible in the KQL, mappings, metadata and
// every error naming file:line:col.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConditionError, parseCondition, selectIdentifiers } from '../../src/sigma/condition.js';
import { attack } from '../../src/sigma/convert.js';
import { loadMapping } from '../../src/sigma/mapping.js';
import { project } from '../helpers/cli.js';
import { convertText, errorOf, kqlOf } from './helpers.js';

const rule = (detection: string, logsource = 'product: azure\n  service: signinlogs', extra = '') =>
  `title: Test rule\nid: 0f6b9c1e-0000-4000-8000-000000000001\n${extra}logsource:\n  ${logsource}\ndetection:\n${detection.replace(/^/gm, '  ')}\n`;
const where = (detection: string, logsource?: string) => kqlOf(rule(detection, logsource)).split('\n').filter((l) => !/^SigninLogs|^AADNon|^AuditLogs|^AzureActivity|^OfficeActivity|^SecurityAlert|^\| extend Init/.test(l)).join(' ').replace(/\s+/g, ' ').trim();

describe('condition grammar', { timeout: 120_000 }, () => {
  const show = (s: string): string => {
    const f = (a: ReturnType<typeof parseCondition>): string =>
      a.k === 'id' ? a.name : a.k === 'not' ? `not(${f(a.x)})` : a.k === 'of' ? `${a.all ? 'all' : '1'} of ${a.pattern}` : `${a.k}(${a.xs.map(f).join(', ')})`;
    return f(parseCondition(s));
  };
  it('binds not tighter than and, and tighter than or', () => {
    expect(show('a or b and not c')).toBe('or(a, and(b, not(c)))');
    expect(show('not a and b')).toBe('and(not(a), b)');
    expect(show('not (a or b) and c')).toBe('and(not(or(a, b)), c)');
    expect(show('1 of sel_* and not all of filter_*')).toBe('and(1 of sel_*, not(all of filter_*))');
    expect(show('any of them or x')).toBe('or(1 of them, x)');
    expect(show('((a))')).toBe('a');
  });
  it('selects identifiers by pattern; them and plain patterns skip _-prefixed ones', () => {
    const ids = ['sel_a', 'sel_b', 'filter', '_sel_c', 'selection'];
    expect(selectIdentifiers('sel_*', ids)).toEqual(['sel_a', 'sel_b']);
    expect(selectIdentifiers('them', ids)).toEqual(['sel_a', 'sel_b', 'filter', 'selection']);
    expect(selectIdentifiers('_sel*', ids)).toEqual(['_sel_c']);
    expect(selectIdentifiers('sel*', ids)).toEqual(['sel_a', 'sel_b', 'selection']);
  });
  it('reports the offset of what is wrong', () => {
    const at = (s: string) => {
      try {
        parseCondition(s);
      } catch (e) {
        return [(e as ConditionError).message, (e as ConditionError).offset];
      }
      return null;
    };
    expect(at('selection | count() by IpAddress > 10')).toEqual([expect.stringMatching(/pipe syntax .* obsolete/), 10]);
    expect(at('a and (b or c')).toEqual(["expected ')' at the end of the condition", 13]);
    expect(at('2 of sel*')).toEqual([expect.stringMatching(/'2 of' is not Sigma/), 0]);
    expect(at('sel* and a')).toEqual([expect.stringMatching(/needs '1 of' or 'all of'/), 0]);
    expect(at('a b')).toEqual([expect.stringMatching(/expected 'and', 'or' or the end/), 2]);
    expect(at('a and')).toEqual([expect.stringMatching(/expected a search identifier/), 5]);
  });
});

describe('KQL for each modifier', { timeout: 120_000 }, () => {
  it('plain strings: =~, lists: in~, cased: == and in', () => {
    expect(where('s:\n  UserAgent: axios\ncondition: s')).toBe('| where UserAgent =~ "axios"');
    expect(where('s:\n  UserAgent: [a, b]\ncondition: s')).toBe('| where UserAgent in~("a", "b")');
    expect(where('s:\n  UserAgent|cased: [a, b]\ncondition: s')).toBe('| where UserAgent in("a", "b")');
  });
  it('wildcards: leading/trailing * become endswith/startswith/contains; inner ones an anchored, case-insensitive regex', () => {
    expect(where("s:\n  UserAgent: 'py*'\ncondition: s")).toBe('| where UserAgent startswith "py"');
    expect(where("s:\n  UserAgent: '*py'\ncondition: s")).toBe('| where UserAgent endswith "py"');
    expect(where("s:\n  UserAgent: '*py*'\ncondition: s")).toBe('| where UserAgent contains "py"');
    expect(where("s:\n  UserAgent: 'a*b?c'\ncondition: s")).toBe('| where UserAgent matches regex "(?is)^a.*b.c$"');
    expect(where("s:\n  UserAgent|cased: 'a*b'\ncondition: s")).toBe('| where UserAgent matches regex "(?s)^a.*b$"');
    expect(where("s:\n  UserAgent: 'a.b\\*'\ncondition: s")).toBe('| where UserAgent =~ "a.b*"');
    expect(where("s:\n  UserAgent|contains: 'C:\\Windows\\*'\ncondition: s")).toBe('| where UserAgent contains "C:\\\\Windows*"');
    expect(where("s:\n  UserAgent: '*'\ncondition: s")).toBe('| where isnotempty(UserAgent)');
  });
  it('contains, startswith, endswith and their cased forms; all', () => {
    expect(where('s:\n  UserAgent|contains|all: [a, b]\ncondition: s')).toBe('| where UserAgent contains "a" and UserAgent contains "b"');
    expect(where('s:\n  UserAgent|startswith|cased: A\ncondition: s')).toBe('| where UserAgent startswith_cs "A"');
    expect(where('s:\n  UserAgent|endswith|cased: A\ncondition: s')).toBe('| where UserAgent endswith_cs "A"');
    expect(where('s:\n  UserAgent|contains|cased: A\ncondition: s')).toBe('| where UserAgent contains_cs "A"');
  });
  it('regular expressions keep their case unless i; m and s become inline flags', () => {
    expect(where("s:\n  UserAgent|re: '^a\\d+'\ncondition: s")).toBe('| where UserAgent matches regex "^a\\\\d+"');
    expect(where("s:\n  UserAgent|re|i|m|s: 'a'\ncondition: s")).toBe('| where UserAgent matches regex "(?ims)a"');
  });
  it('cidr picks the IPv4 or IPv6 function by the network family', () => {
    expect(where("s:\n  IPAddress|cidr: [10.0.0.0/8, '2001:db8::/32']\ncondition: s")).toBe('| where ipv4_is_in_range(IPAddress, "10.0.0.0/8") or ipv6_is_in_range(IPAddress, "2001:db8::/32")');
  });
  it('numbers compare as numbers on numeric columns and as text on string columns', () => {
    expect(where('s:\n  DurationMs: [5, 10]\ncondition: s')).toBe('| where DurationMs == 5 or DurationMs == 10');
    expect(where('s:\n  ResultType: [0, 50126]\ncondition: s')).toBe('| where ResultType == "0" or ResultType == "50126"');
    expect(where("s:\n  DurationMs: '5'\ncondition: s")).toBe('| where DurationMs == 5');
    expect(where('s:\n  DurationMs|gte: 5\n  ResultType|lt: 100\ncondition: s')).toBe('| where DurationMs >= 5 and toreal(ResultType) < 100');
    expect(where('s:\n  IsInteractive: true\ncondition: s')).toBe('| where IsInteractive == true');
  });
  it('nested fields: paths into dynamic columns, parse_json for JSON-text columns, never quoted names', () => {
    expect(where("s:\n  DeviceDetail.isCompliant: 'false'\ncondition: s")).toBe('| where tostring(DeviceDetail.isCompliant) =~ "false"');
    expect(where("s:\n  DeviceDetail.isCompliant: 'false'\ncondition: s", 'product: azure\n  service: noninteractivesigninlogs')).toBe('| where tostring(parse_json(DeviceDetail).isCompliant) =~ "false"');
    expect(where("s:\n  properties.deviceDetail.deviceId: ''\ncondition: s")).toBe('| where isempty(tostring(DeviceDetail.deviceId))');
  });
  it('null, exists, empty', () => {
    expect(where('s:\n  UserAgent: null\n  DurationMs: null\ncondition: s')).toBe('| where isempty(UserAgent) and isnull(DurationMs)');
    expect(where('s:\n  UserAgent|exists: true\n  DurationMs|exists: false\ncondition: s')).toBe('| where isnotempty(UserAgent) and not(isnotnull(DurationMs))');
  });
  it('base64 and base64offset encode the value; utf16 forms re-encode it first', () => {
    expect(where('s:\n  UserAgent|base64: abc\ncondition: s')).toBe('| where UserAgent =~ "YWJj"');
    expect(where('s:\n  UserAgent|base64offset|contains: abc\ncondition: s')).toBe('| where UserAgent contains "YWJj" or UserAgent contains "FiY" or UserAgent contains "hYm"');
    expect(where('s:\n  UserAgent|utf16le|base64|contains: a\ncondition: s')).toBe('| where UserAgent contains "YQA="');
    expect(where('s:\n  UserAgent|utf16be|base64|contains: a\ncondition: s')).toBe('| where UserAgent contains "AGE="');
    expect(where('s:\n  UserAgent|utf16|base64|contains: a\ncondition: s')).toBe('| where UserAgent contains "//5hAA=="');
  });
  it('windash: the five dash spellings of every flag', () => {
    expect(where("s:\n  UserAgent|windash|contains: ' -x'\ncondition: s")).toBe(
      '| where UserAgent contains " -x" or UserAgent contains " /x" or UserAgent contains " \u2013x" or UserAgent contains " \u2014x" or UserAgent contains " \u2015x"',
    );
  });
  it('fieldref, neq, time parts', () => {
    expect(where('s:\n  UserPrincipalName|fieldref: AlternateSignInName\ncondition: s')).toBe('| where UserPrincipalName =~ AlternateSignInName');
    expect(where('s:\n  UserPrincipalName|fieldref|cased|endswith: AlternateSignInName\ncondition: s')).toBe('| where UserPrincipalName endswith_cs AlternateSignInName');
    expect(where('s:\n  AppDisplayName|neq: [a, b]\ncondition: s')).toBe('| where not(AppDisplayName in~("a", "b"))');
    expect(where('s:\n  CreatedDateTime|week: 5\n  ResultDescription|hour|gt: 3\ncondition: s')).toBe('| where datetime_part("week_of_year", CreatedDateTime) == 5 and datetime_part("hour", todatetime(ResultDescription)) > 3');
  });
  it('keywords search every text column of the table, joined', () => {
    const q = kqlOf(rule('keywords:\n  - evil\ncondition: keywords', 'product: azure\n  service: activitylogs'));
    expect(q).toContain('| extend SigmaKeywordText = strcat_delim("\\n", ActivityStatus,');
    expect(q).toContain('| where SigmaKeywordText contains "evil"');
    expect(q).toContain('| project-away SigmaKeywordText');
  });
  it('value maps: sign-in Status Success is ResultType "0"; ignored fields drop out', () => {
    expect(where('s:\n  Status: Success\ncondition: s')).toBe('| where ResultType =~ "0"');
    expect(where('s:\n  Status: failure\ncondition: s')).toBe('| where not(ResultType =~ "0")');
    expect(where("s:\n  Status|contains: 'MFA Denied'\ncondition: s")).toBe('| where tostring(Status) contains "MFA Denied"');
    expect(where('s:\n  eventSource: SecurityComplianceCenter\n  eventName: Impossible travel activity\n  status: success\ncondition: s', 'product: m365\n  service: threat_management')).toBe(
      '| where AlertName =~ "Impossible travel activity"',
    );
  });
});

describe('rule metadata', { timeout: 120_000 }, () => {
  it('level, ATT&CK tags, author, license and the Sigma id are kept', () => {
    const r = convertText(
      rule('s:\n  UserAgent: axios\ncondition: s', undefined, 'author: Jane Doe\nlevel: critical\nstatus: test\nreferences: [https://example.org/x]\ntags: [attack.credential-access, attack.t1539, attack.t9999, attack.stealth, cve.2024-1]\n'),
    );
    const out = r.converted[0]!.rule;
    expect(out).toMatchObject({ id: '0f6b9c1e-0000-4000-8000-000000000001', name: 'Test rule', severity: 'High', kind: 'Scheduled', queryFrequency: '5m', queryPeriod: '5m', tactics: ['CredentialAccess'], relevantTechniques: ['T1539'] });
    expect(out.source).toMatchObject({ kind: 'sigma', id: '0f6b9c1e-0000-4000-8000-000000000001', author: 'Jane Doe', license: 'DRL-1.1', status: 'test', references: ['https://example.org/x'] });
    expect(String(out.description)).toContain('by Jane Doe; Detection Rule License (DRL) 1.1');
    expect(out.entityMappings).toEqual([
      { entityType: 'Account', fieldMappings: [{ identifier: 'FullName', columnName: 'UserPrincipalName' }, { identifier: 'AadUserId', columnName: 'UserId' }] },
      { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'IPAddress' }] },
    ]);
  });
  it('a technique brings its tactic when the tags name none of its tactics; deprecated rules are disabled', () => {
    expect(attack(['attack.t1078.004'])).toEqual({ tactics: ['DefenseEvasion'], techniques: ['T1078.004'] });
    expect(attack(['attack.command-and-control', 'attack.t1071'])).toEqual({ tactics: ['CommandAndControl'], techniques: ['T1071'] });
    const r = convertText(rule('s:\n  UserAgent: axios\ncondition: s', undefined, 'status: deprecated\n'));
    expect(r.converted[0]!.rule.enabled).toBe(false);
  });
  it('meta filters narrow the rules they name, by logsource', () => {
    const filter = `title: Not the scanner\nlogsource:\n  product: azure\n  service: signinlogs\nfilter:\n  rules: [0f6b9c1e-0000-4000-8000-000000000001]\n  scanner:\n    IPAddress: 10.0.0.5\n  condition: not scanner\n`;
    const r = convertText(`${rule('s:\n  UserAgent: axios\ncondition: s')}---\n${filter}`);
    expect(String(r.converted[0]!.rule.query)).toContain('| where UserAgent =~ "axios" and not(IPAddress =~ "10.0.0.5")');
    expect(r.skipped.map((s) => s.why)).toEqual(['meta filter (applied to the rules it names)']);
  });
  it('a user mapping sends a logsource to a table and a field to a column', () => {
    const dir = project({
      'map.yaml': 'logsources:\n  - {product: azure, service: pim, table: AuditLogs}\ntables:\n  AuditLogs:\n    fields:\n      riskEventType: ActivityDisplayName\n',
    });
    const m = loadMapping(join(dir, 'map.yaml'));
    expect(m.diagnostics).toEqual([]);
    expect(kqlOf(rule('s:\n  riskEventType: staleSignInAlertIncident\ncondition: s', 'product: azure\n  service: pim'), { mapping: m.mapping })).toContain('| where ActivityDisplayName =~ "staleSignInAlertIncident"');
    writeFileSync(join(dir, 'bad.yaml'), 'logsources:\n  - {product: azure, tabel: X}\n');
    expect(loadMapping(join(dir, 'bad.yaml')).diagnostics[0]).toMatchObject({ line: 2 });
  });
});

describe('errors name the rule file, line and column, the construct and the reason', { timeout: 120_000 }, () => {
  const cases: [string, string, RegExp, number, number][] = [
    ['unknown modifier', 's:\n  UserAgent|endwith: x\ncondition: s', /unknown modifier 'endwith' \(did you mean 'endswith'\?\)/, 8, 5],
    ['all with one value', 's:\n  UserAgent|contains|all: x\ncondition: s', /'all' needs a list of at least two values/, 8, 5],
    ['null inside a list', 's:\n  UserAgent: [a, null]\ncondition: s', /null may not appear in a value list/, 8, 16],
    ['utf16 without base64', 's:\n  UserAgent|wide: x\ncondition: s', /'wide' re-encodes text for base64/, 8, 5],
    ['base64 of a wildcard', "s:\n  UserAgent|base64: 'a*'\ncondition: s", /'base64' cannot be applied to a value with wildcards/, 8, 23],
    ['look-ahead regex', "s:\n  UserAgent|re: 'a(?=b)'\ncondition: s", /look-around .* not supported by Kusto/, 8, 19],
    ['bad cidr', 's:\n  IPAddress|cidr: 10.0.0.0\ncondition: s', /'cidr' takes a network in CIDR notation/, 8, 21],
    ['gt with text', 's:\n  DurationMs|gt: many\ncondition: s', /'gt' compares numbers; got "many"/, 8, 20],
    ['exists with text', 's:\n  DurationMs|exists: yes\ncondition: s', /'exists' takes true or false/, 8, 24],
    ['missing placeholder', "s:\n  UserPrincipalName|expand: '%admins%'\ncondition: s", /placeholder %admins% has no value; .*--placeholders FILE/, 8, 31],
    ['unknown field', 's:\n  NoSuchField: x\ncondition: s', /field 'NoSuchField' has no column in SigninLogs/, 8, 5],
    ['unknown identifier in the condition', 's:\n  UserAgent: x\ncondition: s and filter', /condition: no search identifier named 'filter' \(defined: s\)/, 9, 20],
    ['pattern matching nothing', 's:\n  UserAgent: x\ncondition: 1 of filter_*', /'filter_\*' matches no search identifier/, 9, 19],
    ['legacy pipe aggregation', 's:\n  UserAgent: x\ncondition: s | count() by IPAddress > 5', /pipe syntax/, 9, 16],
    ['time part with a string', "s:\n  CreatedDateTime|hour: 'three'\ncondition: s", /time-part modifier compares whole numbers/, 8, 27],
    ['fieldref to an unknown field', 's:\n  UserAgent|fieldref: Nope\ncondition: s', /field 'Nope' has no column/, 8, 5],
  ];
  for (const [name, det, re, line, col] of cases) {
    it(name, () => {
      const e = errorOf(rule(det));
      expect(e.message).toMatch(re);
      expect([e.line, e.col]).toEqual([line, col]);
    });
  }
  it('an unmapped logsource says why', () => {
    const e = errorOf(rule('s:\n  riskEventType: x\ncondition: s', 'product: azure\n  service: pim'));
    expect(e.message).toMatch(/no Sentinel table for logsource \(product: azure, service: pim\): no Sentinel table holds Privileged Identity Management alerts/);
    expect(e.line).toBe(4);
    expect(errorOf(rule('s:\n  x: y\ncondition: s', 'product: gcp\n  service: audit')).message).toMatch(/it is not in the mapping; add it with --mapping FILE/);
  });
  it('missing title, logsource or detection, and YAML errors', () => {
    expect(errorOf('logsource: {product: azure}\ndetection: {s: {a: b}, condition: s}\n')).toMatchObject({ message: "missing required field 'title'", line: 1 });
    expect(errorOf('title: x\ndetection: {s: {a: b}, condition: s}\n').message).toBe("missing required field 'logsource'");
    expect(errorOf('title: x\nlogsource: {product: azure}\ndetection:\n  s: {a: b}\n')).toMatchObject({ message: "detection has no 'condition'", line: 4, col: 3 });
    expect(errorOf('title: x\nlogsource: [azure\n')).toMatchObject({ message: expect.stringMatching(/^invalid YAML/), line: 3 });
  });
});
