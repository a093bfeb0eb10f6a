// CloudAppEvents rows (Defender XDR): Exchange activity with AppAccessContext, which carries the
// Entra session id (AADSessionId) and token id (UniqueTokenId) the sign-in tables also have.
import type { Network, Place } from '../catalog.js';
import { drawLatency } from '../latency.js';
import type { Emit, Tenant, User } from '../model.js';
import type { Rng } from '../prng.js';
import { iso7, isoSec } from '../time.js';

export interface CloudAppEvent {
  at: number;
  user: User;
  actionType: 'MailItemsAccessed' | 'New-InboxRule';
  ip: string;
  net: Network;
  place: Place;
  ua: string;
  sessionId: string;
  uti: string;
  issuedAt: number;
  clientAppId: string;
  os: string;
  extra?: Record<string, unknown>; // further RawEventData fields
}

export function emitCloudAppEvent(t: Tenant, e: CloudAppEvent, rng: Rng, emit: Emit): void {
  const latency = drawLatency('CloudAppEvents', rng);
  const ticks = rng.int(0, 9999);
  const raw = {
    CreationTime: isoSec(e.at).slice(0, -1),
    Id: rng.guid(),
    Operation: e.actionType,
    OrganizationId: t.tenantId,
    RecordType: e.actionType === 'MailItemsAccessed' ? 50 : 1,
    ResultStatus: 'Succeeded',
    UserKey: e.user.puid,
    UserType: 0,
    Workload: 'Exchange',
    UserId: e.user.upn,
    Version: 1,
    ClientIPAddress: e.ip,
    ClientInfoString: e.actionType === 'MailItemsAccessed' ? 'Client=OWA;Action=ViewAdmin' : 'Client=OWA',
    ClientAppId: e.clientAppId,
    AppId: '00000002-0000-0ff1-ce00-000000000000',
    ExternalAccess: false,
    InternalLogonType: 0,
    LogonType: 0,
    LogonUserSid: e.user.sid,
    MailboxGuid: e.user.mailboxGuid,
    MailboxOwnerSid: e.user.sid,
    MailboxOwnerUPN: e.user.upn,
    OrganizationName: t.orgName,
    OriginatingServer: `${rng.hex(4).toUpperCase()}PR04MB${rng.int(1000, 9999)} (15.20.8207.017)\r\n`,
    AppAccessContext: {
      AADSessionId: e.sessionId,
      ClientAppId: e.clientAppId,
      IssuedAtTime: isoSec(e.issuedAt).slice(0, -1),
      UniqueTokenId: e.uti,
    },
    ...e.extra,
  };
  const row = {
    TenantId: t.tenantId,
    TimeGenerated: iso7(e.at, ticks),
    Timestamp: iso7(e.at, ticks),
    ActionType: e.actionType,
    Application: 'Microsoft Exchange Online',
    ApplicationId: 20893,
    AppInstanceId: 0,
    AccountObjectId: e.user.id,
    AccountId: e.user.id,
    AccountDisplayName: e.user.displayName,
    AccountType: 'Regular',
    IsAdminOperation: false,
    IsExternalUser: false,
    IsImpersonated: false,
    DeviceType: 'Desktop',
    OSPlatform: e.os,
    IPAddress: e.ip,
    IsAnonymousProxy: false,
    CountryCode: e.place.country,
    City: e.place.city,
    ISP: e.net.provider,
    IPCategory: e.net.kind === 'hosting' ? 'Hosting' : '',
    IPTags: [],
    UserAgent: e.ua,
    UserAgentTags: [],
    ActivityType: e.actionType === 'MailItemsAccessed' ? 'Basic' : 'Create',
    ActivityObjects: [],
    ObjectName: '',
    ObjectType: '',
    ObjectId: '',
    ReportId: rng.guid(),
    OAuthAppId: e.clientAppId,
    RawEventData: raw,
    AdditionalFields: {},
    SourceSystem: '',
    Type: 'CloudAppEvents',
    _TimeReceived: iso7(e.at + latency, rng.int(0, 9999)),
  };
  emit('CloudAppEvents', e.at, row);
}
