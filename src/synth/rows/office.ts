// OfficeActivity rows (Office 365 management activity API): mailbox access, files, inbox rules.
import { drawLatency } from '../latency.js';
import type { Emit, Tenant, User } from '../model.js';
import type { Rng } from '../prng.js';
import { iso7, isoSec } from '../time.js';

function base(t: Tenant, user: User, at: number, rng: Rng): Record<string, unknown> {
  const latency = drawLatency('OfficeActivity', rng);
  const id = rng.guid();
  return {
    TenantId: t.tenantId,
    TimeGenerated: isoSec(at),
    OrganizationId: t.tenantId,
    UserType: 'Regular',
    UserId: user.upn,
    OrganizationName: t.orgName,
    SourceSystem: 'OfficeActivityManager',
    OfficeId: id,
    SourceRecordId: id,
    Start_Time: isoSec(at),
    ElevationTime: isoSec(at), // populated with the record's creation time in real OfficeActivity rows
    OfficeTenantId: t.tenantId,
    Type: 'OfficeActivity',
    _TimeReceived: iso7(at + latency, rng.int(0, 9999)),
  };
}

export interface MailAccess {
  at: number;
  user: User;
  ip: string;
  clientInfo: string; // ClientInfoString, e.g. 'Client=OWA;Action=ViewAdmin'
  appId: string;
  clientAppId: string;
  accessType: 'Bind' | 'Sync';
  items: number;
}

export function emitMailItemsAccessed(t: Tenant, m: MailAccess, rng: Rng, emit: Emit): void {
  const items = Array.from({ length: m.items }, () => ({ InternetMessageId: `<${rng.hex(20).toUpperCase()}@${rng.hex(12).toUpperCase()}.namprd04.prod.outlook.com>` }));
  const row = {
    ...base(t, m.user, m.at, rng),
    RecordType: 'ExchangeItemAggregated',
    Operation: 'MailItemsAccessed',
    UserKey: m.user.puid,
    OfficeWorkload: 'Exchange',
    ResultStatus: 'Succeeded',
    ResultReasonType: 'Succeeded',
    ExternalAccess: 'false',
    OriginatingServer: `${rng.hex(4).toUpperCase()}PR04MB${rng.int(1000, 9999)} (15.20.8207.017)\r\n`,
    Logon_Type: 'Owner',
    InternalLogonType: 0,
    MailboxGuid: m.user.mailboxGuid,
    MailboxOwnerUPN: m.user.upn,
    MailboxOwnerSid: m.user.sid,
    LogonUserSid: m.user.sid,
    ClientInfoString: m.clientInfo,
    Client_IPAddress: m.ip,
    Folders: JSON.stringify([{ FolderItems: items, Id: `LgAAAA${rng.b64url(40)}`, Path: '\\Inbox' }]),
    OperationProperties: [
      { Name: 'MailAccessType', Value: m.accessType },
      { Name: 'IsThrottled', Value: 'False' },
    ],
    AppId: m.appId,
    ClientAppId: m.clientAppId,
  };
  emit('OfficeActivity', m.at, row);
}

export interface FileOp {
  at: number;
  user: User;
  ip: string;
  operation: 'FileAccessed' | 'FileDownloaded';
  fileName: string;
  ua: string;
  managed: boolean;
}

export function emitFileOp(t: Tenant, f: FileOp, rng: Rng, emit: Emit): void {
  const alias = f.user.upn.replace(/[@.]/g, '_');
  const site = `https://contoso-my.sharepoint.com/personal/${alias}/`;
  const ext = f.fileName.split('.').pop() ?? '';
  const row = {
    ...base(t, f.user, f.at, rng),
    RecordType: 'SharePointFileOperation',
    Operation: f.operation,
    UserKey: `i:0h.f|membership|${f.user.puid.toLowerCase()}@live.com`,
    OfficeWorkload: 'OneDrive',
    OfficeObjectId: `${site}Documents/${f.fileName}`,
    ClientIP: f.ip,
    UserAgent: f.ua,
    Site_: f.user.oneDriveSiteId,
    Site_Url: site,
    SourceRelativeUrl: 'Documents',
    SourceFileName: f.fileName,
    SourceFileExtension: ext,
    ItemType: 'File',
    EventSource: 'SharePoint',
    IsManagedDevice: f.managed,
  };
  emit('OfficeActivity', f.at, row);
}

export interface InboxRule {
  at: number;
  user: User;
  ip: string;
  port: number;
  name: string;
  parameters: { Name: string; Value: string }[];
}

export function emitNewInboxRule(t: Tenant, r: InboxRule, rng: Rng, emit: Emit): void {
  const alias = r.user.upn.split('@')[0];
  const params = [{ Name: 'AlwaysDeleteOutlookRulesBlob', Value: 'False' }, { Name: 'Force', Value: 'False' }, ...r.parameters, { Name: 'Name', Value: r.name }];
  const row = {
    ...base(t, r.user, r.at, rng),
    RecordType: 'ExchangeAdmin',
    Operation: 'New-InboxRule',
    UserKey: r.user.puid,
    OfficeWorkload: 'Exchange',
    ResultStatus: 'True',
    ResultReasonType: 'True',
    OfficeObjectId: `NAMPR04A001.prod.outlook.com/Microsoft Exchange Hosted Organizations/${t.orgName}/${alias}\\${r.name}`,
    ClientIP: r.ip.includes(':') ? `[${r.ip}]:${r.port}` : `${r.ip}:${r.port}`,
    Parameters: JSON.stringify(params),
    ExternalAccess: 'false',
    OriginatingServer: `${rng.hex(4).toUpperCase()}PR04MB${rng.int(1000, 9999)} (15.20.8207.017)`,
    AppId: '00000002-0000-0ff1-ce00-000000000000',
  };
  emit('OfficeActivity', r.at, row);
}
