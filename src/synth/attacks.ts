// Attack scenarios. Each starts from a real pattern (AiTM proxy sign-in, session or refresh-token
// replay, kit user agents, then inbox rule / MFA registration / mailbox access from the attacker's
// network) and writes its rows into the victim's ordinary day.
import { APPS, type App, BROWSERS, type BrowserKey, HOSTING, KIT_UA, NATIVE_UA, type Network, PLACES, type Place, RESIDENTIAL_PROXY, RESOURCES, hostingNet } from './catalog.js';
import type { Ctx, DaySession } from './benign.js';
import type { Device, NetPoint, User } from './model.js';
import type { Rng } from './prng.js';
import { deviceRegistered, securityInfoRegistered } from './rows/audit.js';
import { emitCloudAppEvent } from './rows/cloudapp.js';
import { emitGraphCall } from './rows/graph.js';
import { emitFileOp, emitMailItemsAccessed, emitNewInboxRule } from './rows/office.js';
import { emitRiskEvent } from './rows/risk.js';
import { type AuthKind, type SignInIds, emitSignIn } from './rows/signin.js';
import { DAY, MIN, iso7 } from './time.js';
import { ipIn } from './tenant.js';

export const ATTACK_NAMES = ['aitm-replay', 'token-replay', 'kit-useragent', 'inbox-rule', 'mfa-register', 'mailbox-access', 'device-register'] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

export interface Step {
  at: string;
  table: string;
  what: string;
}

export interface Label {
  id: string;
  account: string;
  start: string; // CreatedDateTime of the first malicious event
  /** When the attacker first used the captured session or token (replay, refresh, Graph call, …). */
  firstTokenUse: string;
  kind: AttackName;
  userId: string;
  sessionIds: string[];
  ips: string[];
  asns: string[];
  countries: string[];
  steps: Step[];
}

export type AttackFn = (ctx: Ctx, s: DaySession, rng: Rng, id: string) => Label;

function unmanaged(key: BrowserKey | 'script'): Device {
  const b = key === 'script' ? { os: '', browser: '' } : BROWSERS[key];
  return { deviceId: '', displayName: '', operatingSystem: b.os, browser: b.browser, isCompliant: false, isManaged: false, trustType: '' };
}

function point(net: Network, place: Place, rng: Rng): NetPoint {
  return { ip: ipIn(net, rng), net, place };
}

/** The attacker's view: signs in as the victim from a network, records the label as it goes. */
class Intrusion {
  readonly label: Label;
  private first = Infinity;
  private firstUse = Infinity;
  constructor(
    private ctx: Ctx,
    private rng: Rng,
    readonly victim: User,
    id: string,
    kind: AttackName,
  ) {
    this.label = { id, account: victim.upn, start: '', firstTokenUse: '', kind, userId: victim.id, sessionIds: [], ips: [], asns: [], countries: [], steps: [] };
  }

  private note(at: number, table: string, what: string, p?: NetPoint, sessionId?: string): void {
    const l = this.label;
    l.steps.push({ at: iso7(at), table, what });
    if (p && !l.ips.includes(p.ip)) l.ips.push(p.ip);
    if (p && !l.asns.includes(p.net.asn)) l.asns.push(p.net.asn);
    if (p && !l.countries.includes(p.place.country)) l.countries.push(p.place.country);
    if (sessionId && !l.sessionIds.includes(sessionId)) l.sessionIds.push(sessionId);
  }

  signIn(at: number, p: NetPoint, o: { interactive: boolean; app: App; resource: App; sessionId: string; ua: string; device: Device; auth: AuthKind; token?: string; risk?: [string, string[]]; correlationId?: string }, what: string): SignInIds {
    const ids = emitSignIn(this.ctx.t, { at, user: this.victim, interactive: o.interactive, app: o.app, resource: o.resource, ip: p.ip, net: p.net, place: p.place, sessionId: o.sessionId, ua: o.ua, device: o.device, auth: o.auth, incomingTokenType: o.token ?? 'none', riskLevel: o.risk?.[0], riskEvents: o.risk?.[1], correlationId: o.correlationId }, this.rng, this.ctx.emit);
    if (at < this.first) {
      this.first = at;
      this.label.start = ids.created;
    }
    this.note(at, o.interactive ? 'SigninLogs' : 'AADNonInteractiveUserSignInLogs', what, p, o.sessionId);
    // The proxy sign-in captures the session; a claim-satisfied sign-in or a token redemption uses it.
    if (o.auth === 'claim' || (o.token !== undefined && o.token !== 'none')) this.used(at, ids.created);
    return ids;
  }

  graph(at: number, p: NetPoint, sessionId: string, token: { uti: string; at: number }, ua: string, appId: string, uris: string[]): void {
    for (const uri of uris) {
      emitGraphCall(this.ctx.t, { at, user: this.victim, appId, ip: p.ip, ua, method: 'GET', uri, status: 200, sessionId, signInActivityId: token.uti, tokenIssuedAt: token.at, deviceId: '', scopes: 'Mail.ReadWrite Mail.Send User.Read Files.ReadWrite.All' }, this.rng, this.ctx.emit);
      this.note(at, 'MicrosoftGraphActivityLogs', `GET ${uri}`, p, sessionId);
      this.used(at, iso7(at));
      at += this.rng.int(2, 40) * 1000;
    }
  }

  risk(activityAt: number, p: NetPoint, ids: SignInIds, type: string, level: 'low' | 'medium' | 'high', timing: 'realtime' | 'offline', ua: string): void {
    const arrived = emitRiskEvent(this.ctx.t, { activityAt, user: this.victim, ip: p.ip, place: p.place, type, level, timing, activity: timing === 'realtime' ? 'signin' : 'user', requestId: ids.id, correlationId: ids.correlationId, userAgent: ua }, this.rng, this.ctx.emit);
    this.note(arrived, 'AADUserRiskEvents', `${type} (${timing}, ${level}) arrives`);
  }

  /** An action taken with the stolen session (inbox rule, mailbox access, registration). */
  step(at: number, table: string, what: string, p?: NetPoint, sessionId?: string): void {
    this.note(at, table, what, p, sessionId);
    this.used(at, iso7(at));
  }

  private used(at: number, created: string): void {
    if (at < this.firstUse) {
      this.firstUse = at;
      this.label.firstTokenUse = created;
    }
  }

  done(): Label {
    this.label.steps.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return this.label;
  }
}

/** When the victim clicks the link: a couple of hours into the working day, and early enough that the attack fits in the period. */
function clickTime(ctx: Ctx, s: DaySession, rng: Rng): number {
  const periodEnd = ctx.t.start + ctx.t.days * DAY;
  const latest = Math.min(Math.max(s.begin + 60 * MIN, s.end - 3 * 60 * MIN), periodEnd - 4 * 60 * MIN);
  return rng.int(Math.min(s.begin + 60 * MIN, latest), latest);
}

/** AiTM proxy sign-in: the kit relays the victim's password and MFA; the sign-in comes from the proxy's host. */
function proxySignIn(x: Intrusion, at: number, proxy: NetPoint, ua: string, dev: Device, rng: Rng): { sessionId: string; ids: SignInIds } {
  const sessionId = rng.guid();
  const correlationId = rng.guid();
  // The password step lands first and Entra records the MFA interrupt; the kit relays the prompt.
  x.signIn(at - rng.int(15_000, 45_000), proxy, { interactive: true, app: APPS.officeHome, resource: RESOURCES.exchange, sessionId, ua, device: dev, auth: 'mfaRequired', correlationId }, 'AiTM proxy relays the password; MFA required (50074)');
  const ids = x.signIn(at, proxy, { interactive: true, app: APPS.officeHome, resource: RESOURCES.exchange, sessionId, ua, device: dev, auth: 'mfa', correlationId }, 'AiTM proxy sign-in to OfficeHome, MFA relayed');
  return { sessionId, ids };
}

/** Replay of the stolen session cookie: MFA satisfied by claim, then refresh-token use of the same session. */
function replay(x: Intrusion, at: number, p: NetPoint, sessionId: string, browser: BrowserKey, rng: Rng, minutes: number, risk?: [string, string[]]): { ids: SignInIds; graph: { uti: string; at: number }; exo: { uti: string; at: number }; end: number } {
  const ua = BROWSERS[browser].ua;
  const dev = unmanaged(browser);
  const ids = x.signIn(at, p, { interactive: true, app: APPS.officeHome, resource: RESOURCES.exchange, sessionId, ua, device: dev, auth: 'claim', risk }, 'stolen session replayed (MFA by claim in the token)');
  let graph = { uti: ids.uti, at };
  let exo = { uti: ids.uti, at };
  let t = at;
  for (const end = at + minutes * MIN; (t += rng.int(6 * MIN, 20 * MIN)) < end; ) {
    const toGraph = rng.chance(0.5);
    const r = x.signIn(t, p, { interactive: false, app: APPS.officeHome, resource: toGraph ? RESOURCES.graph : RESOURCES.exchange, sessionId, ua, device: dev, auth: 'single', token: 'refreshToken' }, 'refresh of the stolen session');
    if (toGraph) graph = { uti: r.uti, at: t };
    else exo = { uti: r.uti, at: t };
  }
  return { ids, graph, exo, end: t };
}

const aitmReplay: AttackFn = (ctx, s, rng, id) => {
  const x = new Intrusion(ctx, rng, s.user, id, 'aitm-replay');
  const b = BROWSERS[s.user.browser];
  const t0 = clickTime(ctx, s, rng);
  const proxy = point(hostingNet(14061), PLACES.amsterdam!, rng);
  const { sessionId, ids: p0 } = proxySignIn(x, t0, proxy, b.ua, unmanaged(s.user.browser), rng);
  const rep = point(hostingNet(24940), PLACES.helsinki!, rng);
  const t1 = t0 + rng.int(4 * MIN, 25 * MIN);
  const r = replay(x, t1, rep, sessionId, 'chromeMac', rng, 120, ['medium', ['anomalousToken']]);
  // The kit also captured the access token issued to the proxy and spends it from the replay host.
  x.graph(t1 + rng.int(1 * MIN, 3 * MIN), rep, sessionId, { uti: p0.uti, at: t0 }, BROWSERS.chromeMac.ua, APPS.officeHome.id, ['/me/mailFolders']);
  x.graph(t1 + rng.int(3 * MIN, 10 * MIN), rep, sessionId, r.graph, BROWSERS.chromeMac.ua, APPS.officeHome.id, ['/me', '/me/messages?$top=50', '/me/mailFolders/inbox/messages?$top=100']);
  x.risk(t1, rep, r.ids, 'anomalousToken', 'medium', 'realtime', BROWSERS.chromeMac.ua);
  x.risk(t0, proxy, p0, 'attackerinTheMiddle', 'high', 'offline', b.ua);
  return x.done();
};

const tokenReplay: AttackFn = (ctx, s, rng, id) => {
  const x = new Intrusion(ctx, rng, s.user, id, 'token-replay');
  const t0 = clickTime(ctx, s, rng);
  // A residential-proxy exit abroad: not a hosting ASN, so only the new network and country give it away.
  const p = point(RESIDENTIAL_PROXY[0]!, PLACES.saoPaulo!, rng);
  // The token was lifted from the victim's machine and is redeemed from an unregistered one.
  const dev: Device = { deviceId: '', displayName: '', operatingSystem: 'Windows10', browser: '', isCompliant: false, isManaged: false, trustType: '' };
  let first: SignInIds | undefined;
  let graph: { uti: string; at: number } | undefined;
  for (let t = t0, i = 0; t < t0 + 150 * MIN; t += rng.int(8 * MIN, 25 * MIN), i++) {
    const toGraph = i % 2 === 1;
    const ids = x.signIn(t, p, { interactive: false, app: APPS.office, resource: toGraph ? RESOURCES.graph : RESOURCES.exchange, sessionId: s.sessionId, ua: NATIVE_UA.officeWin, device: dev, auth: 'single', token: 'refreshToken', risk: i === 0 ? ['medium', ['unfamiliarFeatures']] : undefined }, 'replayed refresh token of the victim\'s live session');
    first ??= ids;
    if (toGraph) graph = { uti: ids.uti, at: t };
  }
  if (graph) x.graph(graph.at + rng.int(1 * MIN, 5 * MIN), p, s.sessionId, graph, NATIVE_UA.officeWin, APPS.office.id, ['/me/messages?$top=25', '/me/drive/root/children']);
  x.risk(t0, p, first!, 'unfamiliarFeatures', 'medium', 'realtime', NATIVE_UA.officeWin);
  return x.done();
};

function hostingNear(country: string): [Network, Place] {
  // Kits rent a VPS in the victim's country so the sign-in does not look foreign.
  if (country === 'GB') return [hostingNet(20473), PLACES.london!];
  if (country === 'DE') return [hostingNet(20473), PLACES.frankfurt!];
  return [hostingNet(20473), PLACES.newYork!];
}

const kitUserAgent: AttackFn = (ctx, s, rng, id) => {
  const x = new Intrusion(ctx, rng, s.user, id, 'kit-useragent');
  const t0 = clickTime(ctx, s, rng);
  const [net, place] = hostingNear(s.user.homePlace.country);
  const kit = point(net, place, rng);
  const dev = unmanaged('script');
  const sessionId = rng.guid();
  const correlationId = rng.guid();
  x.signIn(t0 - rng.int(15_000, 45_000), kit, { interactive: true, app: APPS.officeHome, resource: RESOURCES.exchange, sessionId, ua: KIT_UA.axios, device: dev, auth: 'mfaRequired', correlationId }, 'kit relays the password (axios); MFA required (50074)');
  x.signIn(t0, kit, { interactive: true, app: APPS.officeHome, resource: RESOURCES.exchange, sessionId, ua: KIT_UA.axios, device: dev, auth: 'mfa', correlationId }, 'kit relay sign-in (axios), MFA relayed');
  let t = t0 + rng.int(1 * MIN, 4 * MIN);
  const nf = x.signIn(t, kit, { interactive: false, app: APPS.officeHome, resource: RESOURCES.graph, sessionId, ua: KIT_UA.nodeFetch, device: dev, auth: 'single', token: 'refreshToken' }, 'token redeemed with node-fetch');
  x.graph(t + 20_000, kit, sessionId, { uti: nf.uti, at: t }, KIT_UA.nodeFetch, APPS.officeHome.id, ['/me', '/me/mailFolders']);
  t += rng.int(5 * MIN, 15 * MIN);
  const pr = x.signIn(t, kit, { interactive: false, app: APPS.authBroker, resource: RESOURCES.graph, sessionId, ua: KIT_UA.pythonRequests, device: dev, auth: 'single', token: 'refreshToken' }, 'token redeemed with python-requests');
  x.graph(t + 30_000, kit, sessionId, { uti: pr.uti, at: t }, KIT_UA.pythonRequests, APPS.authBroker.id, ['/me/messages?$top=100', '/users?$top=999']);
  return x.done();
};

const inboxRule: AttackFn = (ctx, s, rng, id) => {
  const x = new Intrusion(ctx, rng, s.user, id, 'inbox-rule');
  const b = BROWSERS[s.user.browser];
  const t0 = clickTime(ctx, s, rng);
  const proxy = point(hostingNet(16276), PLACES.roubaix!, rng);
  const { sessionId } = proxySignIn(x, t0, proxy, b.ua, unmanaged(s.user.browser), rng);
  const rep = point(hostingNet(9009), PLACES.bucharest!, rng);
  const t1 = t0 + rng.int(10 * MIN, 40 * MIN);
  const r = replay(x, t1, rep, sessionId, 'firefoxLinux', rng, 60);
  const at = t1 + rng.int(4 * MIN, 12 * MIN);
  const port = rng.int(20000, 65000);
  const name = '..';
  emitNewInboxRule(ctx.t, { at, user: s.user, ip: rep.ip, port, name, parameters: [{ Name: 'SubjectOrBodyContainsWords', Value: 'invoice;payment;wire transfer;remittance;bank details' }, { Name: 'MoveToFolder', Value: 'RSS Feeds' }, { Name: 'MarkAsRead', Value: 'True' }, { Name: 'StopProcessingRules', Value: 'True' }] }, rng, ctx.emit);
  x.step(at, 'OfficeActivity', 'New-InboxRule ".." moves finance mail to RSS Feeds', rep, sessionId);
  emitCloudAppEvent(ctx.t, { at, user: s.user, actionType: 'New-InboxRule', ip: rep.ip, net: rep.net, place: rep.place, ua: BROWSERS.firefoxLinux.ua, sessionId, uti: r.exo.uti, issuedAt: r.exo.at, clientAppId: APPS.officeHome.id, os: 'Linux', extra: { Parameters: [{ Name: 'Name', Value: name }, { Name: 'MoveToFolder', Value: 'RSS Feeds' }] } }, rng, ctx.emit);
  x.step(at, 'CloudAppEvents', 'New-InboxRule with AppAccessContext.AADSessionId', rep, sessionId);
  return x.done();
};

const mfaRegister: AttackFn = (ctx, s, rng, id) => {
  const x = new Intrusion(ctx, rng, s.user, id, 'mfa-register');
  const b = BROWSERS[s.user.browser];
  const t0 = clickTime(ctx, s, rng);
  const proxy = point(hostingNet(51167), PLACES.munich!, rng);
  const { sessionId } = proxySignIn(x, t0, proxy, b.ua, unmanaged(s.user.browser), rng);
  const rep = point(hostingNet(63949), PLACES.sanJose!, rng);
  const t1 = t0 + rng.int(5 * MIN, 20 * MIN);
  x.signIn(t1, rep, { interactive: true, app: APPS.mySignins, resource: RESOURCES.graph, sessionId, ua: BROWSERS.chromeWin.ua, device: unmanaged('chromeWin'), auth: 'claim' }, 'stolen session opens My Sign-ins (MFA by claim)');
  const at = t1 + rng.int(1 * MIN, 4 * MIN);
  securityInfoRegistered(ctx.t, s.user, at, rep.ip, 'Mobile Phone SMS', BROWSERS.chromeWin.ua, rng, ctx.emit);
  x.step(at, 'AuditLogs', 'User registered security info (Mobile Phone SMS) from the attacker network', rep, sessionId);
  return x.done();
};

const mailboxAccess: AttackFn = (ctx, s, rng, id) => {
  const x = new Intrusion(ctx, rng, s.user, id, 'mailbox-access');
  const b = BROWSERS[s.user.browser];
  const t0 = clickTime(ctx, s, rng);
  const proxy = point(hostingNet(16509), PLACES.ashburn!, rng);
  const { sessionId } = proxySignIn(x, t0, proxy, b.ua, unmanaged(s.user.browser), rng);
  const rep = point(hostingNet(14061), PLACES.singapore!, rng);
  const t1 = t0 + rng.int(5 * MIN, 30 * MIN);
  const r = replay(x, t1, rep, sessionId, 'chromeWin', rng, 90, ['high', ['anomalousToken']]);
  x.risk(t1, rep, r.ids, 'anomalousToken', 'high', 'realtime', BROWSERS.chromeWin.ua);
  let at = t1 + rng.int(2 * MIN, 6 * MIN);
  for (let i = 0; i < 4; i++, at += rng.int(3 * MIN, 9 * MIN)) {
    emitMailItemsAccessed(ctx.t, { at, user: s.user, ip: rep.ip, clientInfo: 'Client=OWA;Action=ViewAdmin', appId: RESOURCES.exchange.id, clientAppId: APPS.officeHome.id, accessType: 'Bind', items: rng.int(20, 60) }, rng, ctx.emit);
    emitCloudAppEvent(ctx.t, { at, user: s.user, actionType: 'MailItemsAccessed', ip: rep.ip, net: rep.net, place: rep.place, ua: BROWSERS.chromeWin.ua, sessionId, uti: r.exo.uti, issuedAt: r.exo.at, clientAppId: APPS.officeHome.id, os: 'Windows', extra: { OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }], OperationCount: 1 } }, rng, ctx.emit);
    x.step(at, 'OfficeActivity', 'MailItemsAccessed (Bind) from the replaying IP', rep, sessionId);
  }
  for (let i = 0; i < 8; i++) {
    const ft = at + i * rng.int(10, 50) * 1000;
    emitFileOp(ctx.t, { at: ft, user: s.user, ip: rep.ip, operation: 'FileDownloaded', fileName: `${rng.pick(['Payroll', 'Vendors', 'Contracts', 'Bank'])} ${2024 + i % 3}.xlsx`, ua: BROWSERS.chromeWin.ua, managed: false }, rng, ctx.emit);
  }
  x.step(at, 'OfficeActivity', '8 FileDownloaded from the replaying IP', rep, sessionId);
  return x.done();
};

/** PRT persistence: after the AiTM sign-in the attacker registers a device and signs in with its PRT. */
const deviceRegister: AttackFn = (ctx, s, rng, id) => {
  const x = new Intrusion(ctx, rng, s.user, id, 'device-register');
  const b = BROWSERS[s.user.browser];
  const t0 = clickTime(ctx, s, rng);
  const proxy = point(hostingNet(12876), PLACES.paris!, rng);
  const { sessionId } = proxySignIn(x, t0, proxy, b.ua, unmanaged(s.user.browser), rng);
  const rep = point(hostingNet(36352), PLACES.newYork!, rng);
  const script = unmanaged('script');
  let t = t0 + rng.int(5 * MIN, 15 * MIN);
  x.signIn(t, rep, { interactive: false, app: APPS.authBroker, resource: RESOURCES.deviceRegistration, sessionId, ua: KIT_UA.pythonRequests, device: script, auth: 'single', token: 'refreshToken' }, 'stolen refresh token redeemed for the Device Registration Service');
  t += rng.int(20_000, 90_000);
  const rogue: Device = { deviceId: rng.guid(), displayName: `DESKTOP-${rng.hex(7).toUpperCase()}`, operatingSystem: 'Windows10', browser: '', isCompliant: false, isManaged: false, trustType: 'Azure AD registered' };
  deviceRegistered(ctx.t, s.user, t, rep.ip, { objectId: rng.guid(), deviceId: rogue.deviceId, displayName: rogue.displayName, trustType: 'Workplace' }, rng, ctx.emit);
  x.step(t, 'AuditLogs', `Register device ${rogue.displayName} (Workplace) from the attacker network`, rep, sessionId);
  // The new PRT starts sessions of its own: MFA claim carried over from the phished session.
  t += rng.int(2 * MIN, 6 * MIN);
  const prtSession = rng.guid();
  x.signIn(t, rep, { interactive: true, app: APPS.office, resource: RESOURCES.exchange, sessionId: prtSession, ua: NATIVE_UA.officeWin, device: rogue, auth: 'claim', token: 'primaryRefreshToken' }, 'sign-in with the rogue device\'s PRT');
  for (let i = 0; i < 4; i++) {
    t += rng.int(10 * MIN, 30 * MIN);
    x.signIn(t, rep, { interactive: false, app: APPS.office, resource: i % 2 ? RESOURCES.graph : RESOURCES.exchange, sessionId: prtSession, ua: NATIVE_UA.officeWin, device: rogue, auth: 'single', token: 'primaryRefreshToken' }, 'refresh on the rogue device');
  }
  return x.done();
};

export const ATTACKS: Record<AttackName, AttackFn> = {
  'aitm-replay': aitmReplay,
  'token-replay': tokenReplay,
  'kit-useragent': kitUserAgent,
  'inbox-rule': inboxRule,
  'mfa-register': mfaRegister,
  'mailbox-access': mailboxAccess,
  'device-register': deviceRegister,
};

/** Every ASN attacker infrastructure uses, with its kind (for documentation and tests). */
export const ATTACKER_ASNS = { hosting: HOSTING.map((h) => h.asn), residentialProxy: RESIDENTIAL_PROXY.map((n) => n.asn) };

