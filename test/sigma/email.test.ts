// Threat Intelligence mail (m365 audit rules pinning Workload ThreatIntelligence, Operation
// TIMailData) compiles to Defender XDR EmailEvents: the route, the field and value maps, the
// errors for fields EmailEvents has no equivalent of, and the rows the compiled KQL selects.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMapping } from '../../src/sigma/mapping.js';
import { ROOT, project } from '../helpers/cli.js';
import { convertText, errorOf, kqlOf, runIds } from './helpers.js';

const rule = (detection: string, service = 'audit') =>
  `title: TI mail rule\nid: 7a1e0c2b-0000-4000-8000-000000000001\nlogsource:\n  product: m365\n  service: ${service}\ndetection:\n${detection.replace(/^/gm, '  ')}\nlevel: medium\n`;

// The detection of SigmaHQ rules/cloud/m365/audit/microsoft365_suspicious_email_delivered.yml
const DELIVERED = `selection:
  Workload: 'ThreatIntelligence'
  Operation: 'TIMailData'
  Directionality: 'Inbound'
filter_main_blocked:
  DeliveryAction: 'Blocked'
condition: selection and not 1 of filter_main_*`;

const mail = (id: string, direction: string, action: string, threats: string, more: Record<string, unknown> = {}) => ({
  TimeGenerated: '2026-03-02T11:58:00Z',
  NetworkMessageId: id,
  EmailDirection: direction,
  DeliveryAction: action,
  ThreatTypes: threats,
  RecipientEmailAddress: 'ana.lopez@contoso.com',
  SenderFromAddress: 'billing@fabrikam.example',
  SenderMailFromAddress: 'bounce@fabrikam.example',
  SenderIPv4: '203.0.113.7',
  Subject: 'Invoice 4411',
  ...more,
});

describe('Threat Intelligence mail rules read EmailEvents', { timeout: 120_000 }, () => {
  it('the route: Workload ThreatIntelligence required by the condition, constants satisfied by the table, isnotempty(ThreatTypes)', () => {
    expect(kqlOf(rule(DELIVERED)).split('\n').slice(0, 3)).toEqual([
      'EmailEvents',
      '| where isnotempty(ThreatTypes)',
      '| where EmailDirection =~ "Inbound" and not(DeliveryAction =~ "Blocked")',
    ]);
    // without the pin the rule stays on OfficeActivity
    expect(kqlOf(rule('s:\n  Workload: Exchange\n  Operation: New-InboxRule\ncondition: s'))).toMatch(/^OfficeActivity\n\| where OfficeWorkload =~ "Exchange" and Operation =~ "New-InboxRule"/);
    // pinned only in one branch of an or, or only under not: not a Threat Intelligence rule
    const either = errorOf(rule('a:\n  Workload: ThreatIntelligence\n  Directionality: Inbound\nb:\n  Workload: Exchange\ncondition: a or b'));
    expect(either.message).toMatch(/^field 'Directionality' cannot be read from OfficeActivity: Threat Intelligence mail fields \(TIMailData\) are not in OfficeActivity/);
    expect(kqlOf(rule('a:\n  Workload: ThreatIntelligence\nb:\n  Operation: MailItemsAccessed\ncondition: b and not a'))).toMatch(/^OfficeActivity\n/);
    // exchange rules are never routed
    expect(kqlOf(rule('s:\n  Workload: ThreatIntelligence\ncondition: s', 'exchange'))).toMatch(/^OfficeActivity\n\| where OfficeWorkload =~ "ThreatIntelligence"/);
  });

  it('maps TIMailData fields and values to EmailEvents columns', () => {
    const where = (det: string) => kqlOf(rule(`s:\n  Workload: ThreatIntelligence\n${det}\ncondition: s`)).split('\n')[2];
    expect(where('  DeliveryAction: DeliveredAsSpam')).toBe('| where DeliveryAction =~ "Junked"');
    expect(where('  DeliveryAction: [Delivered, Replaced]')).toBe('| where DeliveryAction =~ "Delivered" or DeliveryAction =~ "Replaced"');
    expect(where('  Directionality: IntraOrg')).toBe('| where EmailDirection =~ "Intra-org"');
    expect(where('  P1Sender|endswith: "@fabrikam.example"\n  P2Sender: billing@fabrikam.example')).toBe(
      '| where SenderMailFromAddress endswith "@fabrikam.example" and SenderFromAddress =~ "billing@fabrikam.example"',
    );
    expect(where('  Recipients: ana.lopez@contoso.com')).toBe('| where RecipientEmailAddress =~ "ana.lopez@contoso.com"');
    expect(where('  SenderIp|cidr: 203.0.113.0/24')).toBe('| where ipv4_is_in_range(coalesce(SenderIPv4, SenderIPv6), "203.0.113.0/24")');
    expect(where('  Verdict: Phish')).toBe('| where tostring(ThreatTypes) contains "Phish"');
    expect(where('  ThreatsAndDetectionTech|contains: Spoof DMARC')).toBe('| where tostring(DetectionMethods) contains "Spoof DMARC"');
    expect(where('  Subject|contains: invoice\n  NetworkMessageId: abc')).toBe('| where Subject contains "invoice" and NetworkMessageId =~ "abc"');
    // constants: tests that hold drop out, under not too
    expect(where("  Operation|startswith: 'TIMail'\n  Workload|contains: threat\n  Subject: x")).toBe('| where Subject =~ "x"');
  });

  it('errors name the rule file, line and column, the field and the reason', () => {
    const cases: [string, RegExp, number, number][] = [
      ['  PolicyAction: MoveToJmf', /^field 'PolicyAction' cannot be read from EmailEvents: EmailEvents has no equivalent: its EmailAction names actions in other words/, 9, 5],
      ['  DetectionType: ZAP', /^field 'DetectionType' cannot be read from EmailEvents: EmailEvents has no equivalent: whether the threat was found at delivery/, 9, 5],
      ['  AttachmentData.FileName: x.html', /^field 'AttachmentData.FileName' has no column in EmailEvents/, 9, 5],
      ['  LatestDeliveryLocation: JunkFolder', /^field 'LatestDeliveryLocation' cannot be read from EmailEvents: EmailEvents has no equivalent/, 9, 5],
      ['  Operation: TIUrlClickData', /^field 'Operation' is always 'TIMailData' in EmailEvents, so 'TIUrlClickData' never matches there \(EmailEvents holds the Threat Intelligence mail records \(TIMailData\)/, 9, 5],
      ['  Operation: [TIMailData, TIUrlClickData]', /^field 'Operation' is always 'TIMailData' in EmailEvents, so 'TIUrlClickData' never matches there/, 9, 5],
    ];
    for (const [det, re, line, col] of cases) {
      const e = errorOf(rule(`s:\n  Workload: ThreatIntelligence\n${det}\ncondition: s`));
      expect(e.message, det).toMatch(re);
      expect([e.line, e.col], det).toEqual([line, col]);
    }
    const never = errorOf(rule('s:\n  Workload: ThreatIntelligence\nf:\n  Operation: TIMailData\ncondition: s and not f'));
    expect(never.message).toBe('the detection can never match in EmailEvents: with the mapping, its condition is always false');
    // converting fails, the rule is listed with its title
    const r = convertText(rule('s:\n  Workload: ThreatIntelligence\n  Policy: Spoof\ncondition: s'));
    expect(r.failed.map((f) => f.title)).toEqual(['TI mail rule']);
  });

  it('the compiled rule selects exactly the inbound mail with a threat that was not blocked', async () => {
    const rows = [
      mail('m01-delivered', 'Inbound', 'Delivered', 'Phish'),
      mail('m02-junked', 'Inbound', 'Junked', 'Malware'),
      mail('m03-blocked', 'Inbound', 'Blocked', 'Phish'),
      mail('m04-blocked-lower', 'Inbound', 'blocked', 'Phish'),
      mail('m05-inbound-lower', 'inbound', 'Delivered', 'Phish, Spam'),
      mail('m06-outbound', 'Outbound', 'Delivered', 'Phish'),
      mail('m07-intraorg', 'Intra-org', 'Delivered', 'Malware'),
      mail('m08-no-threat', 'Inbound', 'Delivered', ''),
      mail('m09-replaced', 'Inbound', 'Replaced', 'Malware'),
      mail('m10-spam', 'INBOUND', 'Delivered', 'Spam'),
      mail('m11-no-threat-junk', 'Inbound', 'Junked', ''),
    ];
    const query = kqlOf(rule(DELIVERED));
    expect(await runIds(query, { EmailEvents: rows }, 'NetworkMessageId')).toEqual(['m01-delivered', 'm02-junked', 'm05-inbound-lower', 'm09-replaced', 'm10-spam']);
    // DeliveredAsSpam (TIMailData) is Junked (EmailEvents); P1/P2 senders and recipients by their columns
    const junk = kqlOf(rule('s:\n  Workload: ThreatIntelligence\n  Operation: TIMailData\n  DeliveryAction: DeliveredAsSpam\n  P2Sender|endswith: "@fabrikam.example"\ncondition: s'));
    const more = [
      ...rows,
      mail('m12-other-sender', 'Inbound', 'Junked', 'Phish', { SenderFromAddress: 'it@contoso.com' }),
      mail('m13-envelope-only', 'Inbound', 'Junked', 'Phish', { SenderFromAddress: 'x@contoso.com', SenderMailFromAddress: 'y@fabrikam.example' }),
    ];
    expect(await runIds(junk, { EmailEvents: more }, 'NetworkMessageId')).toEqual(['m02-junked']);
    const ip = kqlOf(rule('s:\n  Workload: ThreatIntelligence\n  SenderIp|cidr: 2001:db8::/32\ncondition: s'));
    const v6 = [mail('m20-v4', 'Inbound', 'Delivered', 'Phish'), mail('m21-v6', 'Inbound', 'Delivered', 'Phish', { SenderIPv4: '', SenderIPv6: '2001:db8::5' })];
    expect(await runIds(ip, { EmailEvents: v6 }, 'NetworkMessageId')).toEqual(['m21-v6']);
  });

  it('a mapping file overrides the route and the fields', () => {
    const dir = project({
      'map.yaml': [
        'logsources:',
        '  - {product: m365, service: audit, detection: {Workload: ThreatIntelligence, Operation: TIUrlClickData}, table: null, reason: URL clicks are not collected here}',
        'tables:',
        '  EmailEvents:',
        '    fields:',
        '      PolicyAction: EmailAction',
        '',
      ].join('\n'),
    });
    const m = loadMapping(join(dir, 'map.yaml'));
    expect(m.diagnostics).toEqual([]);
    expect(kqlOf(rule('s:\n  Workload: ThreatIntelligence\n  PolicyAction: Quarantine\ncondition: s'), { mapping: m.mapping }).split('\n')[2]).toBe('| where EmailAction =~ "Quarantine"');
    const r = convertText(rule('s:\n  Workload: ThreatIntelligence\n  Operation: TIUrlClickData\ncondition: s'), { mapping: m.mapping });
    expect(r.failed[0]!.diagnostics[0]!.message).toBe('no Sentinel table for logsource (product: m365, service: audit): URL clicks are not collected here');
    writeFileSync(join(dir, 'bad.yaml'), 'logsources:\n  - {product: m365, table: EmailEvents, detection: {}}\ntables:\n  EmailEvents:\n    fields:\n      SenderIp: {coalesce: [SenderIPv4]}\n');
    const bad = loadMapping(join(dir, 'bad.yaml')).diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
    expect(bad).toContain('2:52 detection: must NOT have fewer than 1 properties');
    expect(bad).toContain('6:28 coalesce: needs at least 2 item(s)');
  });

  const REAL = join(ROOT, '..', 'shared', 'sigma-rules', 'rules', 'cloud', 'm365', 'audit', 'microsoft365_suspicious_email_delivered.yml');
  it.skipIf(!existsSync(REAL))('the SigmaHQ rule compiles to the same query', () => {
    expect(kqlOf(readFileSync(REAL, 'utf8'))).toBe(kqlOf(rule(DELIVERED)));
  });
});
