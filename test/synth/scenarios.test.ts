// Attacks and look-alikes are where the labels say, and show the signals their real pattern has.
// Expected values come from the scenario definitions (issue 5, research §1-2) and the shipped
// watchlist file, not from the generator.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TABLES, type Row, cleanup, ms, readJson, readRows, synthTo } from './helpers.js';

const OFFICE_HOME = '4765445b-32c6-49b0-83e6-1d93765276ca';
const hostingAsns = new Set(
  readFileSync(new URL('../../rules/watchlists/sg_hosting_asn.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0]!),
);

interface Label {
  id: string;
  account: string;
  start: string;
  kind: string;
  sessionIds: string[];
  ips: string[];
}
interface Lookalike {
  id: string;
  account: string;
  kind: string;
}

const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, any>;

describe('synth scenarios', () => {
  let dir: string;
  let labels: Label[];
  let lookalikes: Lookalike[];
  const rows: Record<string, Row[]> = {};
  let signIns: Row[];
  const byKind = (k: string) => labels.find((l) => l.kind === k)!;
  const userRows = (upn: string) => signIns.filter((r) => r.UserPrincipalName === upn);

  beforeAll(async () => {
    dir = await synthTo({ users: 60, days: 7, seed: process.env.SG_TEST_SEED ?? 'scenarios' });
    labels = readJson(dir, 'labels.json');
    lookalikes = readJson(dir, 'lookalikes.json');
    for (const t of ALL_TABLES) rows[t] = readRows(dir, t);
    signIns = [...rows.SigninLogs!, ...rows.AADNonInteractiveUserSignInLogs!];
  });
  afterAll(() => cleanup(dir));

  it('marks the first use of the stolen token: the first attacker step that is not the phishing sign-in itself', () => {
    // Steps that capture the session (proxy or kit relay sign-ins) or that Microsoft emits (risk events) are not uses.
    const capture = /relays the password|proxy sign-in|relay sign-in|arrives$/;
    for (const l of labels as (Label & { firstTokenUse: string; steps: { at: string; what: string }[] })[]) {
      const use = l.steps.find((s) => !capture.test(s.what));
      expect(use, l.id).toBeDefined();
      // The label stores the row's CreatedDateTime (7 digits); the step its action time: same second.
      expect(l.firstTokenUse.slice(0, 19), l.id).toBe(use!.at.slice(0, 19));
      expect(Date.parse(l.firstTokenUse)).toBeGreaterThanOrEqual(Date.parse(l.start));
    }
  });

  it('labels every attack once, each on its own account, in the runner format', () => {
    expect(labels.map((l) => l.kind).sort()).toEqual(['aitm-replay', 'device-register', 'inbox-rule', 'kit-useragent', 'mailbox-access', 'mfa-register', 'token-replay']);
    expect(new Set(labels.map((l) => l.account)).size).toBe(labels.length);
    expect(new Set(labels.map((l) => l.id)).size).toBe(labels.length);
    for (const l of labels) {
      expect(typeof l.id).toBe('string');
      expect(l.account).toMatch(/^[^@\s]+@[^@\s]+$/);
      expect(Number.isNaN(Date.parse(l.start))).toBe(false);
    }
    // Spread over the period: not all on one day.
    expect(new Set(labels.map((l) => l.start.slice(0, 10))).size).toBeGreaterThan(2);
  });

  it('each attack has a row on its account exactly at its start and none of its sessions before it', () => {
    for (const l of labels) {
      const mine = userRows(l.account);
      expect(mine.some((r) => r.CreatedDateTime === l.start), l.id).toBe(true);
      for (const r of mine.filter((r) => r.IPAddress && l.ips.includes(r.IPAddress as string))) expect(ms(r.CreatedDateTime), l.id).toBeGreaterThanOrEqual(ms(l.start));
    }
  });

  it('no attack account is also a look-alike, and look-alikes are all present with activity', () => {
    const attacked = new Set(labels.map((l) => l.account));
    expect(lookalikes.map((l) => l.kind).sort()).toEqual(['break-glass', 'carrier-change', 'inbox-rule-ordinary', 'new-laptop', 'security-info-new-phone', 'travel', 'vpn-egress']);
    for (const la of lookalikes) {
      expect(attacked.has(la.account), la.id).toBe(false);
      expect(userRows(la.account).length, la.id).toBeGreaterThan(0);
    }
  });

  it('aitm-replay: OfficeHome MFA sign-in from a hosting ASN, then the same session from another country', () => {
    const l = byKind('aitm-replay');
    const first = signIns.find((r) => r.UserPrincipalName === l.account && r.CreatedDateTime === l.start)!;
    expect(first.Type).toBe('SigninLogs');
    expect(first.AppId).toBe(OFFICE_HOME);
    expect(first.AuthenticationRequirement).toBe('multiFactorAuthentication');
    expect(hostingAsns.has(first.AutonomousSystemNumber as string)).toBe(true);
    expect(parse(first.DeviceDetail).isManaged ?? false).toBe(false);
    // The proxy relays the password first (MFA interrupt 50074), then completes MFA in the same flow.
    const done = signIns.find((r) => r.CorrelationId === first.CorrelationId && r.ResultType === '0')!;
    expect([first.ResultType, done.AppId, done.AutonomousSystemNumber, done.AuthenticationRequirement]).toEqual(['50074', OFFICE_HOME, first.AutonomousSystemNumber, 'multiFactorAuthentication']);
    const later = userRows(l.account).filter((r) => r.SessionId === first.SessionId && ms(r.CreatedDateTime) > ms(l.start));
    expect(later.some((r) => r.Location !== first.Location && r.AutonomousSystemNumber !== first.AutonomousSystemNumber)).toBe(true);
    expect(later.some((r) => parse(r.Status).additionalDetails === 'MFA requirement satisfied by claim in the token')).toBe(true);
    expect(later.some((r) => r.Type === 'AADNonInteractiveUserSignInLogs')).toBe(true);
    // Graph calls with the replayed session, and Identity Protection linking back to a sign-in.
    expect(rows.MicrosoftGraphActivityLogs!.some((g) => g.SessionId === first.SessionId)).toBe(true);
    const risk = rows.AADUserRiskEvents!.filter((r) => r.UserPrincipalName === l.account);
    expect(risk.map((r) => r.RiskEventType)).toEqual(expect.arrayContaining(['anomalousToken', 'attackerinTheMiddle']));
    const ids = new Set(signIns.map((r) => r.Id));
    for (const r of risk) expect(ids.has(r.RequestId)).toBe(true);
  });

  it('token-replay: non-interactive rows of the victim\'s own session from a new ASN while the victim keeps using it', () => {
    const l = byKind('token-replay');
    const mine = userRows(l.account);
    const bad = mine.filter((r) => l.ips.includes(r.IPAddress as string));
    expect(bad.length).toBeGreaterThan(2);
    expect(bad.every((r) => r.Type === 'AADNonInteractiveUserSignInLogs')).toBe(true);
    const sid = bad[0]!.SessionId;
    const own = mine.filter((r) => r.SessionId === sid && !l.ips.includes(r.IPAddress as string));
    expect(own.some((r) => r.Type === 'SigninLogs' && r.AuthenticationRequirement === 'multiFactorAuthentication')).toBe(true);
    expect(own.some((r) => ms(r.CreatedDateTime) > ms(l.start))).toBe(true);
    const ownAsns = new Set(mine.filter((r) => !l.ips.includes(r.IPAddress as string)).map((r) => r.AutonomousSystemNumber));
    for (const r of bad) expect(ownAsns.has(r.AutonomousSystemNumber)).toBe(false);
  });

  it('kit-useragent: axios, node-fetch and python-requests on the victim\'s sign-ins', () => {
    const l = byKind('kit-useragent');
    const uas = userRows(l.account).filter((r) => ms(r.CreatedDateTime) >= ms(l.start)).map((r) => String(r.UserAgent));
    for (const kit of ['axios/', 'node-fetch/', 'python-requests/']) expect(uas.some((u) => u.startsWith(kit)), kit).toBe(true);
    const graphUas = rows.MicrosoftGraphActivityLogs!.filter((g) => l.sessionIds.includes(g.SessionId as string)).map((g) => String(g.UserAgent));
    expect(graphUas.some((u) => u.startsWith('python-requests/'))).toBe(true);
  });

  it('inbox-rule: New-InboxRule hiding finance mail from an IP the stolen session used', () => {
    const l = byKind('inbox-rule');
    // (The victim may also make an ordinary rule of their own some day.)
    const rules = rows.OfficeActivity!.filter((r) => r.Operation === 'New-InboxRule' && r.UserId === l.account && l.ips.includes(String(r.ClientIP).replace(/:\d+$/, '')));
    expect(rules.length).toBe(1);
    const r = rules[0]!;
    const ip = String(r.ClientIP).replace(/:\d+$/, '');
    expect(signIns.some((s) => s.IPAddress === ip && s.SessionId === l.sessionIds[0])).toBe(true);
    const params = JSON.parse(r.Parameters as string) as { Name: string; Value: string }[];
    const words = params.find((p) => p.Name === 'SubjectOrBodyContainsWords')?.Value ?? '';
    expect(words).toMatch(/invoice|payment|wire/i);
    expect(params.find((p) => p.Name === 'MoveToFolder')?.Value).toBe('RSS Feeds');
    expect(ms(r.TimeGenerated)).toBeGreaterThan(ms(l.start));
    const cae = rows.CloudAppEvents!.filter((e) => e.ActionType === 'New-InboxRule' && parse(e.RawEventData).UserId === l.account);
    expect(cae.map((e) => parse(e.RawEventData).AppAccessContext.AADSessionId)).toContain(l.sessionIds[0]);
  });

  it('mfa-register: security info registered from the attacker network', () => {
    const l = byKind('mfa-register');
    const ev = rows.AuditLogs!.filter((r) => r.OperationName === 'User registered security info' && parse(r.InitiatedBy).user.userPrincipalName === l.account && l.ips.includes(parse(r.InitiatedBy).user.ipAddress));
    expect(ev.length).toBe(1);
    const ip = parse(ev[0]!.InitiatedBy).user.ipAddress;
    const asn = signIns.find((s) => s.IPAddress === ip)!.AutonomousSystemNumber as string;
    expect(hostingAsns.has(asn)).toBe(true);
  });

  it('mailbox-access: MailItemsAccessed and downloads from the replaying IP; CloudAppEvents carry the session', () => {
    const l = byKind('mailbox-access');
    const mail = rows.OfficeActivity!.filter((r) => r.Operation === 'MailItemsAccessed' && r.UserId === l.account && l.ips.includes(r.Client_IPAddress as string));
    expect(mail.length).toBeGreaterThan(0);
    const dl = rows.OfficeActivity!.filter((r) => r.Operation === 'FileDownloaded' && r.UserId === l.account && l.ips.includes(r.ClientIP as string));
    expect(dl.length).toBeGreaterThan(3);
    const cae = rows.CloudAppEvents!.filter((e) => e.ActionType === 'MailItemsAccessed' && e.AccountObjectId === signIns.find((s) => s.UserPrincipalName === l.account)!.UserId && l.ips.includes(e.IPAddress as string));
    expect(cae.length).toBeGreaterThan(0);
    for (const e of cae) expect(l.sessionIds).toContain(parse(e.RawEventData).AppAccessContext.AADSessionId);
  });

  it('aitm-replay: an access token issued to the proxy is spent at Graph from another address (D03)', () => {
    const l = byKind('aitm-replay');
    const mine = userRows(l.account);
    const byUti = new Map(mine.map((r) => [r.UniqueTokenIdentifier, r]));
    const moved = rows.MicrosoftGraphActivityLogs!.filter((g) => l.sessionIds.includes(g.SessionId as string) && byUti.has(g.SignInActivityId) && byUti.get(g.SignInActivityId)!.IPAddress !== g.IPAddress);
    expect(moved.length).toBeGreaterThan(0);
  });

  it('device-register: a Workplace device registered from the attacker network, then PRT sign-ins from it', () => {
    const l = byKind('device-register');
    const reg = rows.AuditLogs!.filter((r) => r.OperationName === 'Register device' && parse(r.InitiatedBy).user.userPrincipalName === l.account);
    expect(reg.length).toBe(1);
    expect(l.ips).toContain(parse(reg[0]!.InitiatedBy).user.ipAddress);
    const details = Object.fromEntries((reg[0]!.AdditionalDetails as { key: string; value: string }[]).map((d) => [d.key, d.value]));
    expect(details['Device Trust Type']).toBe('Workplace');
    const prt = userRows(l.account).filter((r) => parse(r.DeviceDetail).deviceId === details['Device Id']);
    expect(prt.length).toBeGreaterThan(1);
    for (const r of prt) {
      expect(r.IncomingTokenType).toBe('primaryRefreshToken');
      expect(parse(r.DeviceDetail).isManaged).toBe(false);
      expect(ms(r.CreatedDateTime)).toBeGreaterThan(ms(reg[0]!.ActivityDateTime));
    }
  });

  it('look-alikes keep to the benign side of each signal', () => {
    const la = (k: string) => lookalikes.find((x) => x.kind === k)!;
    const travel = userRows(la('travel').account);
    const abroad = travel.filter((r) => r.Location === 'DE');
    expect(abroad.some((r) => r.Type === 'SigninLogs' && r.AuthenticationRequirement === 'multiFactorAuthentication')).toBe(true);
    for (const r of abroad) {
      const d = parse(r.DeviceDetail);
      expect(d.isCompliant && d.isManaged).toBe(true);
      expect(hostingAsns.has(r.AutonomousSystemNumber as string)).toBe(false);
    }
    const travelRisk = rows.AADUserRiskEvents!.filter((r) => r.UserPrincipalName === la('travel').account);
    expect(travelRisk.length).toBeGreaterThan(0);
    for (const r of travelRisk) expect([r.RiskLevel, r.RiskState]).toEqual(['low', 'remediated']);
    const carrier = userRows(la('carrier-change').account).filter((r) => String(r.UserAgent).startsWith('Outlook-'));
    const phoneAsns = new Set(carrier.map((r) => r.AutonomousSystemNumber));
    expect(new Set(carrier.map((r) => r.SessionId)).size).toBe(1);
    expect(phoneAsns.size).toBe(2);
    expect(new Set(carrier.map((r) => r.Location)).size).toBe(1);

    const vpn = userRows(la('vpn-egress').account);
    const trusted = readFileSync(`${dir}/watchlists/sg_trusted_egress.csv`, 'utf8');
    const swgRows = vpn.filter((r) => r.AutonomousSystemNumber === '62044');
    expect(swgRows.length).toBeGreaterThan(0);
    expect(trusted).toMatch(/^[\d.]+\/\d+,62044,/m);
    expect(trusted).toContain(`${String(swgRows[0]!.IPAddress).split('.').slice(0, 2).join('.')}.0.0/16`);
    const swgSessions = new Set(swgRows.map((r) => r.SessionId));
    expect(vpn.some((r) => swgSessions.has(r.SessionId) && r.AutonomousSystemNumber !== '62044' && r.AutonomousSystemNumber !== '8075')).toBe(true);

    const laptop = userRows(la('new-laptop').account);
    const devs = new Set(laptop.filter((r) => r.Type === 'SigninLogs').map((r) => parse(r.DeviceDetail).deviceId));
    expect(devs.size).toBeGreaterThanOrEqual(2);
    expect(rows.AuditLogs!.some((r) => r.OperationName === 'Register device' && parse(r.InitiatedBy).user.userPrincipalName === la('new-laptop').account)).toBe(true);

    const rule = rows.OfficeActivity!.filter((r) => r.Operation === 'New-InboxRule' && r.UserId === la('inbox-rule-ordinary').account);
    expect(rule.length).toBeGreaterThanOrEqual(1);
    for (const r of rule) expect(r.Parameters).toContain('Newsletters');

    const sec = la('security-info-new-phone').account;
    const reg = rows.AuditLogs!.find((r) => r.OperationName === 'User registered security info' && parse(r.InitiatedBy).user.userPrincipalName === sec)!;
    const ip = parse(reg.InitiatedBy).user.ipAddress;
    expect(signIns.some((r) => r.UserPrincipalName === sec && r.IPAddress === ip && ms(r.CreatedDateTime) < ms(reg.ActivityDateTime) && r.Type === 'SigninLogs')).toBe(true);
  });

  it('ordinary users never show the strong signals: no hosting ASN, no session across countries', () => {
    const special = new Set([...labels.map((l) => l.account), ...lookalikes.map((l) => l.account)]);
    const countries = new Map<string, Set<string>>();
    for (const r of signIns) {
      if (special.has(r.UserPrincipalName as string) || r.ResultType !== '0' || r.AutonomousSystemNumber === '8075') continue;
      expect(hostingAsns.has(r.AutonomousSystemNumber as string), `${r.UserPrincipalName} AS${r.AutonomousSystemNumber}`).toBe(false);
      const k = `${r.UserPrincipalName} ${r.SessionId}`;
      if (!countries.has(k)) countries.set(k, new Set());
      countries.get(k)!.add(r.Location as string);
    }
    for (const [k, c] of countries) expect(c.size, k).toBe(1);
  });

  it('writes the tenant watchlists; the break-glass account is excluded and has benign sign-ins', () => {
    const excluded = readFileSync(`${dir}/watchlists/sg_excluded_accounts.csv`, 'utf8').trim().split('\n');
    expect(excluded[0]).toBe('AadUserId,UserPrincipalName,Reason');
    const bg = lookalikes.find((l) => l.kind === 'break-glass')!;
    expect(excluded.some((l) => l.includes(bg.account))).toBe(true);
    expect(userRows(bg.account).length).toBeGreaterThan(0);
    expect(readFileSync(`${dir}/watchlists/sg_hosting_asn.csv`, 'utf8')).toBe(readFileSync(new URL('../../rules/watchlists/sg_hosting_asn.csv', import.meta.url), 'utf8'));
  });

  it('attacker infrastructure is on the hosting list, except the documented residential proxy', () => {
    for (const l of labels) {
      const asns = new Set(signIns.filter((r) => l.ips.includes(r.IPAddress as string)).map((r) => r.AutonomousSystemNumber as string));
      for (const a of asns) expect(hostingAsns.has(a) || (l.kind === 'token-replay' && a === '28573'), `${l.id} AS${a}`).toBe(true);
    }
  });
});

describe('synth --attacks subset', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await synthTo({ users: 30, days: 3, seed: 'subset', attacks: 'token-replay,kit-useragent' });
  });
  afterAll(() => cleanup(dir));

  it('labels only the chosen attacks', () => {
    const labels = readJson<Label[]>(dir, 'labels.json');
    expect(labels.map((l) => l.kind).sort()).toEqual(['kit-useragent', 'token-replay']);
    const ua = readRows(dir, 'SigninLogs').map((r) => String(r.UserAgent));
    expect(ua.some((u) => u.startsWith('axios/'))).toBe(true);
    expect(readRows(dir, 'AuditLogs').some((r) => parse(r.InitiatedBy).user.ipAddress && r.OperationName === 'User registered security info' && labels.some((l) => l.ips.includes(parse(r.InitiatedBy).user.ipAddress)))).toBe(false);
  });
});
