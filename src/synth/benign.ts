// Ordinary tenant life for one user and one day: a morning MFA sign-in that starts the day's
// session, hourly refresh-token use of that session from the same network, Microsoft back-end
// rows, phone refreshes on the carrier network, mail and file activity, the odd failed password.
import { APPS, type App, BROWSERS, MICROSOFT, MOBILE, NATIVE_UA, PLACES, RESOURCES } from './catalog.js';
import type { Device, Emit, NetPoint, Tenant, User } from './model.js';
import type { Rng } from './prng.js';
import { securityInfoRegistered } from './rows/audit.js';
import { emitCloudAppEvent } from './rows/cloudapp.js';
import { emitGraphCall } from './rows/graph.js';
import { emitRiskEvent } from './rows/risk.js';
import { emitFileOp, emitMailItemsAccessed, emitNewInboxRule } from './rows/office.js';
import { type SignInIds, emitSignIn } from './rows/signin.js';
import { DAY, HOUR, MIN } from './time.js';
import { SWG_NET, ipIn } from './tenant.js';

export interface Ctx {
  t: Tenant;
  emit: Emit;
}

/** Overrides look-alikes use to bend an ordinary day. */
export interface DayOptions {
  forceActive?: boolean;
  inOffice?: boolean;
  laptopAt?: (at: number) => NetPoint; // where the laptop is at a given time
  phoneAt?: (at: number) => NetPoint;
  laptop?: Device;
  utcOffset?: number;
  benignExtras?: boolean; // random rare events (inbox rules, security info); default true
  unfamiliar?: boolean; // Identity Protection flags the morning sign-in (low, remediated by the MFA)
}

export interface DaySession {
  user: User;
  sessionId: string;
  begin: number;
  end: number;
  laptopAt: (at: number) => NetPoint;
  device: Device;
  exchangeToken?: { uti: string; at: number };
}

export function officePoint(u: User): NetPoint {
  return { ip: u.office.egressIp, net: u.office.network, place: u.office.place };
}

export function homePoint(ctx: Ctx, u: User, rng: Rng): NetPoint {
  if (u.usesSwgAtHome) {
    const place = ctx.t.swgPlaces[u.homePlace.country] ?? PLACES.ashburn!;
    return { ip: ipIn(SWG_NET, rng), net: SWG_NET, place };
  }
  return { ip: u.homeIp, net: u.homeNet, place: u.homePlace };
}

const DESKTOP_APPS: readonly (readonly [App, App, string])[] = [
  [APPS.teams, RESOURCES.teamsServices, NATIVE_UA.teamsWin],
  [APPS.teams, RESOURCES.graph, NATIVE_UA.teamsWin],
  [APPS.office, RESOURCES.exchange, NATIVE_UA.officeWin],
  [APPS.oneDriveSync, RESOURCES.sharepoint, NATIVE_UA.oneDriveWin],
];

const FILES = ['Q3 Forecast.xlsx', 'Team Offsite.pptx', 'Project Plan.docx', 'Budget 2027.xlsx', 'Customer List.xlsx', 'Onboarding.pdf', 'Roadmap.pptx', 'Notes.docx'];

export function dayBounds(t: Tenant, day: number, utcOffset: number): { localMidnight: number; weekday: number } {
  const midnightUtc = t.start + day * DAY;
  const weekday = (new Date(midnightUtc).getUTCDay() + 6) % 7; // Monday = 0
  return { localMidnight: midnightUtc - utcOffset * HOUR, weekday };
}

export function benignDay(ctx: Ctx, u: User, day: number, rng: Rng, o: DayOptions = {}): DaySession | undefined {
  const { t, emit } = ctx;
  const offset = o.utcOffset ?? u.office.utcOffset;
  const { localMidnight, weekday } = dayBounds(t, day, offset);
  const weekend = weekday >= 5;
  if (u.phone) phoneDay(ctx, u, localMidnight, rng, o.phoneAt);
  if (!(o.forceActive || rng.chance(weekend ? 0.12 : 0.93))) return undefined;

  const inOffice = o.inOffice ?? (!weekend && rng.chance(0.55));
  const fixed = inOffice ? officePoint(u) : homePoint(ctx, u, rng);
  const device = o.laptop ?? u.laptop;
  const b = BROWSERS[u.browser];
  const begin = localMidnight + Math.round((weekend ? rng.range(10, 14) : rng.range(7.5, 9.5)) * HOUR);
  const end = begin + Math.round((weekend ? rng.range(0.5, 2) : rng.range(7.5, 10)) * HOUR);
  let laptopAt = o.laptopAt ?? (() => fixed);
  if (!o.laptopAt && o.benignExtras !== false && rng.chance(0.01) && fixed.net.kind !== 'swg') {
    // Ambient roaming: for a while the laptop tethers to a phone on a mobile carrier (same country, same
    // session). Not behind the gateway: its client keeps tunnelling whatever the link.
    const carrier = u.phone?.carrier ?? rng.pick(MOBILE[u.homePlace.country] ?? MOBILE.US!);
    const tether: NetPoint = { ip: ipIn(carrier, rng), net: carrier, place: u.homePlace };
    const from = rng.int(begin + HOUR, Math.max(begin + HOUR, end - 2 * HOUR));
    const to = from + rng.int(30 * MIN, 90 * MIN);
    laptopAt = (at) => (at >= from && at < to ? tether : fixed);
  }
  const sessionId = rng.guid();
  const sign = (at: number, interactive: boolean, app: App, resource: App, ua: string, extra: Partial<Parameters<typeof emitSignIn>[1]> = {}): SignInIds => {
    const p = laptopAt(at);
    return emitSignIn(t, { at, user: u, interactive, app, resource, ip: p.ip, net: p.net, place: p.place, sessionId, ua, device, auth: interactive ? 'mfa' : 'single', incomingTokenType: interactive ? 'none' : 'primaryRefreshToken', ...extra }, rng, emit);
  };

  if (rng.chance(0.03)) sign(begin - rng.int(1 * MIN, 4 * MIN), true, APPS.officeHome, RESOURCES.exchange, b.ua, { auth: 'badPassword', sessionId: '' });
  const [firstApp, firstRes] = rng.weighted([[[APPS.officeHome, RESOURCES.exchange], 3], [[APPS.office, RESOURCES.exchange], 3], [[APPS.teams, RESOURCES.teamsServices], 4]] as const);
  const unfamiliar = o.unfamiliar ?? (o.benignExtras !== false && !inOffice && rng.chance(0.002));
  // A quarter of the morning sign-ins first record the MFA interrupt (50074) of the same flow.
  const correlationId = rng.guid();
  if (rng.chance(0.25)) sign(begin - rng.int(10_000, 40_000), true, firstApp, firstRes, b.ua, { auth: 'mfaRequired', correlationId });
  const first = sign(begin, true, firstApp, firstRes, b.ua, { correlationId, ...(unfamiliar ? { riskLevel: 'low', riskEvents: ['unfamiliarFeatures'], riskRemediated: true } : {}) });
  if (unfamiliar) {
    const p = laptopAt(begin);
    emitRiskEvent(t, { activityAt: begin, user: u, ip: p.ip, place: p.place, type: 'unfamiliarFeatures', level: 'low', timing: 'realtime', activity: 'signin', requestId: first.id, correlationId: first.correlationId, userAgent: b.ua, remediated: true }, rng, emit);
  }
  const session: DaySession = { user: u, sessionId, begin, end, laptopAt, device };

  let graphToken: { uti: string; at: number } | undefined;
  for (let h = begin + rng.int(40 * MIN, 70 * MIN); h < end; h += rng.int(50 * MIN, 70 * MIN)) {
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i++) {
      const at = h + rng.int(0 * MIN, 8 * MIN) + rng.int(0, 59_999);
      const [app, res, ua] = rng.pick(DESKTOP_APPS);
      const ids = sign(at, false, app, res, ua);
      if (res === RESOURCES.graph) graphToken = { uti: ids.uti, at };
      if (res === RESOURCES.exchange) session.exchangeToken = { uti: ids.uti, at };
    }
    if (graphToken && rng.chance(0.35)) {
      const at = h + 10 * MIN + rng.int(0, 20 * MIN);
      const p = laptopAt(at);
      emitGraphCall(t, { at, user: u, appId: APPS.teams.id, ip: p.ip, ua: NATIVE_UA.teamsWin, method: 'GET', uri: rng.pick(['/me', '/me/joinedTeams', '/me/presence', '/me/calendarView']), status: 200, sessionId, signInActivityId: graphToken.uti, tokenIssuedAt: graphToken.at, deviceId: device.deviceId, scopes: 'User.Read Calendars.Read Team.ReadBasic.All' }, rng, emit);
    }
  }
  // Office web back-end calls on the user's behalf: same session, Microsoft's own network.
  for (let i = rng.int(0, 2); i > 0; i--) {
    const at = rng.int(begin, end);
    const place = u.homePlace.country === 'US' ? PLACES.ashburn! : PLACES.dublin!;
    emitSignIn(t, { at, user: u, interactive: false, app: APPS.officeHome, resource: RESOURCES.sharepoint, ip: ipIn(MICROSOFT, rng), net: MICROSOFT, place, sessionId, ua: b.ua, device, auth: 'single', incomingTokenType: 'refreshToken' }, rng, emit);
  }
  mailAndFiles(ctx, session, rng, weekend);
  if (o.benignExtras !== false) {
    if (rng.chance(0.002)) ordinaryInboxRule(ctx, u, rng.int(begin, end), laptopAt(begin).ip, rng);
    if (rng.chance(0.001)) securityInfoRegistered(t, u, begin + rng.int(2 * MIN, 10 * MIN), laptopAt(begin).ip, 'Mobile app notification', b.ua, rng, emit);
  }
  return session;
}

function mailAndFiles(ctx: Ctx, s: DaySession, rng: Rng, weekend: boolean): void {
  const { t, emit } = ctx;
  const u = s.user;
  const b = BROWSERS[u.browser];
  for (let i = rng.int(weekend ? 0 : 2, weekend ? 1 : 5); i > 0; i--) {
    const at = rng.int(s.begin, s.end);
    emitMailItemsAccessed(t, { at, user: u, ip: s.laptopAt(at).ip, clientInfo: rng.chance(0.7) ? 'Client=REST;Client=RESTSystem;;' : 'Client=OWA;Action=ViewAdmin', appId: RESOURCES.exchange.id, clientAppId: APPS.office.id, accessType: rng.chance(0.8) ? 'Bind' : 'Sync', items: rng.int(1, 6) }, rng, emit);
  }
  for (let i = rng.int(0, weekend ? 1 : 5); i > 0; i--) {
    const at = rng.int(s.begin, s.end);
    emitFileOp(t, { at, user: u, ip: s.laptopAt(at).ip, operation: rng.chance(0.8) ? 'FileAccessed' : 'FileDownloaded', fileName: rng.pick(FILES), ua: b.ua, managed: s.device.isManaged }, rng, emit);
  }
  if (s.exchangeToken && rng.chance(0.6)) {
    const at = s.exchangeToken.at + rng.int(1 * MIN, 30 * MIN);
    const p = s.laptopAt(at);
    emitCloudAppEvent(t, { at, user: u, actionType: 'MailItemsAccessed', ip: p.ip, net: p.net, place: p.place, ua: NATIVE_UA.officeWin, sessionId: s.sessionId, uti: s.exchangeToken.uti, issuedAt: s.exchangeToken.at, clientAppId: APPS.office.id, os: 'Windows', extra: { OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }], OperationCount: 1 } }, rng, emit);
  }
}

/** Outlook Mobile refreshes its token every couple of hours from the carrier network. */
function phoneDay(ctx: Ctx, u: User, localMidnight: number, rng: Rng, phoneAt?: (at: number) => NetPoint): void {
  const phone = u.phone!;
  let ip = ipIn(phone.carrier, rng);
  for (let at = localMidnight + Math.round(rng.range(6.5, 8) * HOUR); at < localMidnight + 22 * HOUR; at += Math.round(rng.range(2, 4) * HOUR)) {
    if (rng.chance(0.3)) ip = ipIn(phone.carrier, rng);
    const p = phoneAt ? phoneAt(at) : { ip, net: phone.carrier, place: u.homePlace };
    emitSignIn(ctx.t, { at, user: u, interactive: false, app: APPS.outlookMobile, resource: RESOURCES.exchange, ip: p.ip, net: p.net, place: p.place, sessionId: phone.sessionId, ua: phone.ua, device: phone.device, auth: 'single', incomingTokenType: 'refreshToken' }, rng, ctx.emit);
  }
}

/** A rule a user makes in OWA: newsletters into their own folder. */
export function ordinaryInboxRule(ctx: Ctx, u: User, at: number, ip: string, rng: Rng): void {
  emitNewInboxRule(ctx.t, { at, user: u, ip, port: rng.int(20000, 65000), name: 'Newsletters', parameters: [{ Name: 'SubjectContainsWords', Value: 'newsletter;weekly digest' }, { Name: 'MoveToFolder', Value: 'Newsletters' }, { Name: 'StopProcessingRules', Value: 'False' }] }, rng, ctx.emit);
}

/** The break-glass account: a FIDO2 sign-in to the Azure portal from the office every few days. */
export function breakGlassDay(ctx: Ctx, day: number, rng: Rng): void {
  const u = ctx.t.breakGlass;
  const { localMidnight, weekday } = dayBounds(ctx.t, day, u.office.utcOffset);
  if (weekday >= 5 || !(day % 3 === 1 || rng.chance(0.1))) return;
  const at = localMidnight + Math.round(rng.range(10, 16) * HOUR);
  const p = officePoint(u);
  emitSignIn(ctx.t, { at, user: u, interactive: true, app: APPS.azurePortal, resource: RESOURCES.azureManagement, ip: p.ip, net: p.net, place: p.place, sessionId: rng.guid(), ua: BROWSERS.edgeWin.ua, device: u.laptop, auth: 'fido2', incomingTokenType: 'none' }, rng, ctx.emit);
}
