// The ASIM (Advanced Security Information Model) unifying parsers Sentinel content calls as workspace
// functions, for three schemas, and the ASIM native tables they read. Facts from Microsoft's docs:
// - columns and types of ASimWebSessionLogs, ASimFileEventLogs, ASimAuthenticationEventLogs: the Azure
//   Monitor table reference (learn.microsoft.com/azure/azure-monitor/reference/tables/<table>);
// - parser names, filtering parameters (name, type), aliases and EventSchema values: "ASIM Web Session
//   normalization schema", "ASIM File Event normalization schema" (no filtering parameters: imFileEvent
//   is used as a table name), "ASIM Authentication normalization schema";
// - `pack` (bool, default false): packs unmapped source fields into AdditionalFields (ASIM schema
//   docs). The native tables hold rows already normalized, with no unmapped source fields, so it has
//   no effect on the rows read here.
// The engine reads the native table of the schema (file ASimWebSessionLogs.ndjson, ...). A parser's
// output is that table's columns, then the documented aliases whose target is unambiguous. Aliases
// the docs leave to the parser's choice (Dvc, Src/Dst where they "may alias" several fields,
// Hash "the best available", LogonTarget) and the ASimMatching* fields are not declared: a query that
// names them does not analyze, rather than getting a guessed value.

/** Columns of the ASIM native tables ("Name:type" pairs, as tables.ts). */
export const ASIM_TABLE_COLUMNS: Record<string, string> = {
  ASimAuthenticationEventLogs: 'ActingAppId:string ActingAppName:string ActingAppType:string ActingOriginalAppType:string ActorOriginalUserType:string ActorScope:string ActorScopeId:string ActorSessionId:string ActorUserId:string ActorUserIdType:string ActorUsername:string ActorUsernameType:string ActorUserType:string AdditionalFields:dynamic _BilledSize:real DvcAction:string DvcDescription:string DvcDomain:string DvcDomainType:string DvcFQDN:string DvcHostname:string DvcId:string DvcIdType:string DvcInterface:string DvcIpAddr:string DvcMacAddr:string DvcOriginalAction:string DvcOs:string DvcOsVersion:string DvcScope:string DvcScopeId:string DvcZone:string EventCount:int EventEndTime:datetime EventMessage:string EventOriginalResultDetails:string EventOriginalSeverity:string EventOriginalSubType:string EventOriginalType:string EventOriginalUid:string EventOwner:string EventProduct:string EventProductVersion:string EventReportUrl:string EventResult:string EventResultDetails:string EventSchemaVersion:string EventSeverity:string EventStartTime:datetime EventSubType:string EventType:string EventVendor:string HttpUserAgent:string _IsBillable:string LogonMethod:string LogonProtocol:string _ResourceId:string RuleName:string RuleNumber:int SourceSystem:string SrcDescription:string SrcDeviceType:string SrcDomain:string SrcDomainType:string SrcDvcId:string SrcDvcIdType:string SrcDvcOs:string SrcDvcScope:string SrcDvcScopeId:string SrcFQDN:string SrcGeoCity:string SrcGeoCountry:string SrcGeoLatitude:real SrcGeoLongitude:real SrcGeoRegion:string SrcHostname:string SrcIpAddr:string SrcIsp:string SrcOriginalRiskLevel:string SrcPortNumber:int SrcRiskLevel:int _SubscriptionId:string TargetAppId:string TargetAppName:string TargetAppType:string TargetDescription:string TargetDeviceType:string TargetDomain:string TargetDomainType:string TargetDvcId:string TargetDvcIdType:string TargetDvcOs:string TargetDvcScope:string TargetDvcScopeId:string TargetFQDN:string TargetGeoCity:string TargetGeoCountry:string TargetGeoLatitude:real TargetGeoLongitude:real TargetGeoRegion:string TargetHostname:string TargetIpAddr:string TargetOriginalAppType:string TargetOriginalRiskLevel:string TargetOriginalUserType:string TargetPortNumber:int TargetRiskLevel:int TargetSessionId:string TargetUrl:string TargetUserId:string TargetUserIdType:string TargetUsername:string TargetUsernameType:string TargetUserScope:string TargetUserScopeId:string TargetUserType:string TenantId:string ThreatCategory:string ThreatConfidence:int ThreatField:string ThreatFirstReportedTime:datetime ThreatId:string ThreatIpAddr:string ThreatIsActive:bool ThreatLastReportedTime:datetime ThreatName:string ThreatOriginalConfidence:string ThreatOriginalRiskLevel:string ThreatRiskLevel:int TimeGenerated:datetime Type:string',
  ASimFileEventLogs: 'ActingProcessCommandLine:string ActingProcessGuid:string ActingProcessId:string ActingProcessName:string ActorOriginalUserType:string ActorScope:string ActorScopeId:string ActorSessionId:string ActorUserAadId:string ActorUserId:string ActorUserIdType:string ActorUsername:string ActorUsernameType:string ActorUserSid:string ActorUserType:string AdditionalFields:dynamic _BilledSize:real DvcAction:string DvcDescription:string DvcDomain:string DvcDomainType:string DvcFQDN:string DvcHostname:string DvcId:string DvcIdType:string DvcInterface:string DvcIpAddr:string DvcMacAddr:string DvcOriginalAction:string DvcOs:string DvcOsVersion:string DvcScope:string DvcScopeId:string DvcZone:string EventCount:int EventEndTime:datetime EventMessage:string EventOriginalResultDetails:string EventOriginalSeverity:string EventOriginalSubType:string EventOriginalType:string EventOriginalUid:string EventOwner:string EventProduct:string EventProductVersion:string EventReportUrl:string EventResult:string EventResultDetails:string EventSchema:string EventSchemaVersion:string EventSeverity:string EventStartTime:datetime EventSubType:string EventType:string EventVendor:string HashType:string HttpUserAgent:string _IsBillable:string NetworkApplicationProtocol:string _ResourceId:string RuleName:string RuleNumber:int SourceSystem:string SrcDescription:string SrcDeviceType:string SrcDomain:string SrcDomainType:string SrcDvcId:string SrcDvcIdType:string SrcDvcScope:string SrcDvcScopeId:string SrcFileCreationTime:datetime SrcFileDirectory:string SrcFileExtension:string SrcFileMD5:string SrcFileMimeType:string SrcFileName:string SrcFilePath:string SrcFilePathType:string SrcFileSHA1:string SrcFileSHA256:string SrcFileSHA512:string SrcFileSize:long SrcFQDN:string SrcGeoCity:string SrcGeoCountry:string SrcGeoLatitude:real SrcGeoLongitude:real SrcGeoRegion:string SrcHostname:string SrcIpAddr:string SrcMacAddr:string SrcOriginalRiskLevel:string SrcPortNumber:int SrcRiskLevel:int _SubscriptionId:string TargetAppId:string TargetAppName:string TargetAppType:string TargetFileCreationTime:datetime TargetFileDirectory:string TargetFileExtension:string TargetFileMD5:string TargetFileMimeType:string TargetFileName:string TargetFilePath:string TargetFilePathType:string TargetFileSHA1:string TargetFileSHA256:string TargetFileSHA512:string TargetFileSize:long TargetOriginalAppType:string TargetUrl:string TenantId:string ThreatCategory:string ThreatConfidence:int ThreatField:string ThreatFilePath:string ThreatFirstReportedTime:datetime ThreatId:string ThreatIsActive:bool ThreatLastReportedTime:datetime ThreatName:string ThreatOriginalConfidence:string ThreatOriginalRiskLevel:string ThreatRiskLevel:int TimeGenerated:datetime Type:string',
  ASimWebSessionLogs: 'AdditionalFields:dynamic _BilledSize:real DstAppId:string DstAppName:string DstAppType:string DstBytes:long DstDeviceType:string DstDomain:string DstDomainType:string DstDvcId:string DstDvcIdType:string DstDvcScope:string DstDvcScopeId:string DstFQDN:string DstGeoCity:string DstGeoCountry:string DstGeoLatitude:real DstGeoLongitude:real DstGeoRegion:string DstHostname:string DstIpAddr:string DstMacAddr:string DstNatIpAddr:string DstNatPortNumber:int DstOriginalUserType:string DstPackets:long DstPortNumber:int DstUserId:string DstUserIdType:string DstUsername:string DstUsernameType:string DstUserType:string Dvc:string DvcAction:string DvcDomain:string DvcDomainType:string DvcFQDN:string DvcHostname:string DvcId:string DvcIdType:string DvcIpAddr:string DvcOriginalAction:string EventCount:int EventEndTime:datetime EventMessage:string EventOriginalResultDetails:string EventOriginalSeverity:string EventOriginalSubType:string EventOriginalType:string EventOriginalUid:string EventOwner:string EventProduct:string EventProductVersion:string EventReportUrl:string EventResult:string EventResultDetails:string EventSchemaVersion:string EventSeverity:string EventStartTime:datetime EventSubType:string EventType:string EventVendor:string FileContentType:string FileMD5:string FileName:string FileSHA1:string FileSHA256:string FileSHA512:string FileSize:int HttpContentFormat:string HttpContentType:string HttpHost:string HttpReferrer:string HttpRequestMethod:string HttpRequestTime:int HttpRequestXff:string HttpResponseTime:int HttpUserAgent:string HttpVersion:string _IsBillable:string NetworkApplicationProtocol:string NetworkBytes:long NetworkConnectionHistory:string NetworkDirection:string NetworkDuration:int NetworkIcmpCode:int NetworkIcmpType:string NetworkPackets:long NetworkProtocol:string NetworkProtocolVersion:string NetworkSessionId:string _ResourceId:string Rule:string RuleName:string RuleNumber:int SourceSystem:string SrcAppId:string SrcAppName:string SrcAppType:string SrcBytes:long SrcDeviceType:string SrcDomain:string SrcDomainType:string SrcDvcId:string SrcDvcIdType:string SrcDvcScope:string SrcDvcScopeId:string SrcFQDN:string SrcGeoCity:string SrcGeoCountry:string SrcGeoLatitude:real SrcGeoLongitude:real SrcGeoRegion:string SrcHostname:string SrcIpAddr:string SrcMacAddr:string SrcNatIpAddr:string SrcNatPortNumber:int SrcOriginalUserType:string SrcPackets:long SrcPortNumber:int SrcProcessGuid:string SrcProcessId:string SrcProcessName:string SrcUserId:string SrcUserIdType:string SrcUsername:string SrcUsernameType:string SrcUserScope:string SrcUserScopeId:string SrcUserType:string _SubscriptionId:string TenantId:string ThreatCategory:string ThreatConfidence:int ThreatField:string ThreatFirstReportedTime:datetime ThreatId:string ThreatIpAddr:string ThreatIsActive:bool ThreatLastReportedTime:datetime ThreatName:string ThreatOriginalConfidence:string ThreatOriginalRiskLevel:string ThreatRiskLevel:int TimeGenerated:datetime Type:string Url:string UrlCategory:string UrlOriginal:string',
};

export interface AsimParam {
  name: string;
  type: 'datetime' | 'dynamic' | 'string' | 'bool';
  /** KQL default value. */
  default: string;
  /** KQL predicate over the table's columns and the parameter; absent: not implemented (the engine
   *  rejects a call that passes it), unless `noEffect`. */
  filter?: string;
  /** Documented to have no effect on the rows of a native table (pack). */
  noEffect?: true;
}

export interface AsimParser {
  schema: string;
  /** Function names: the built-in parser and the workspace-deployed one. */
  names: string[];
  table: string;
  params: AsimParam[];
  /** Columns added after the table's: "Name=KQL expression". */
  extend: string[];
}

const listEmpty = (p: string) => `array_length(${p}) == 0`;
const time: AsimParam[] = [
  { name: 'starttime', type: 'datetime', default: 'datetime(null)', filter: 'isnull(starttime) or TimeGenerated >= starttime' },
  { name: 'endtime', type: 'datetime', default: 'datetime(null)', filter: 'isnull(endtime) or TimeGenerated <= endtime' },
];
const dyn = (name: string, filter?: string): AsimParam => ({ name, type: 'dynamic', default: 'dynamic([])', ...(filter ? { filter: `${listEmpty(name)} or ${filter}` } : {}) });
const eventresult: AsimParam = { name: 'eventresult', type: 'string', default: "'*'", filter: "eventresult == '*' or EventResult == eventresult" };
const pack: AsimParam = { name: 'pack', type: 'bool', default: 'false', noEffect: true };
const rule = 'Rule=iff(isnotempty(RuleName), RuleName, tostring(RuleNumber))';

export const ASIM_PARSERS: AsimParser[] = [
  {
    schema: 'WebSession',
    names: ['_Im_WebSession', 'imWebSession'],
    table: 'ASimWebSessionLogs',
    params: [
      ...time,
      dyn('srcipaddr_has_any_prefix', 'has_any_ipv4_prefix(SrcIpAddr, srcipaddr_has_any_prefix)'),
      dyn('ipaddr_has_any_prefix', 'has_any_ipv4_prefix(SrcIpAddr, ipaddr_has_any_prefix) or has_any_ipv4_prefix(DstIpAddr, ipaddr_has_any_prefix)'),
      // "the parser may ignore the schema of the URL passed": not a definite filter
      dyn('url_has_any'),
      dyn('httpuseragent_has_any', 'HttpUserAgent has_any (httpuseragent_has_any)'),
      dyn('eventresultdetails_in', 'EventResultDetails in (eventresultdetails_in)'),
      eventresult,
      pack,
    ],
    // IpAddr and User alias the source (SrcIpAddr, SrcUsername) in web sessions
    extend: ["EventSchema='WebSession'", 'IpAddr=SrcIpAddr', 'User=SrcUsername', 'HttpStatusCode=EventResultDetails', 'UserAgent=HttpUserAgent'],
  },
  {
    schema: 'FileEvent',
    names: ['_Im_FileEvent', 'imFileEvent'],
    table: 'ASimFileEventLogs',
    params: [],
    extend: ['FileName=TargetFileName', 'FilePath=TargetFilePath', 'User=ActorUsername', 'Process=ActingProcessName', 'IpAddr=SrcIpAddr', 'Src=SrcIpAddr', 'Application=TargetAppName', 'Url=TargetUrl', rule],
  },
  {
    schema: 'Authentication',
    names: ['_Im_Authentication', 'imAuthentication'],
    table: 'ASimAuthenticationEventLogs',
    params: [
      ...time,
      dyn('username_has_any', 'TargetUsername has_any (username_has_any) or ActorUsername has_any (username_has_any)'),
      dyn('targetappname_has_any', 'TargetAppName has_any (targetappname_has_any)'),
      dyn('srcipaddr_has_any_prefix', 'has_any_ipv4_prefix(SrcIpAddr, srcipaddr_has_any_prefix)'),
      dyn('srchostname_has_any', 'SrcHostname has_any (srchostname_has_any)'),
      dyn('eventtype_in', 'EventType in (eventtype_in)'),
      dyn('eventresultdetails_in', 'EventResultDetails in (eventresultdetails_in)'),
      eventresult,
    ],
    // User: TargetUsername, or TargetUserId where there is no TargetUsername
    extend: ["EventSchema='Authentication'", 'User=iff(isnotempty(TargetUsername), TargetUsername, TargetUserId)', 'IpAddr=SrcIpAddr', rule],
  },
];

/** The parser a function name calls, if any. */
export function asimParser(name: string): AsimParser | undefined {
  return ASIM_PARSERS.find((p) => p.names.includes(name));
}

/** The declaration of a parser's parameters, "(name:type=default, ...)". */
export function asimParameterList(p: AsimParser): string {
  return '(' + p.params.map((x) => `${x.name}:${x.type}=${x.default}`).join(', ') + ')';
}

/** The body of a parser: its table, filtered by the implemented parameters, with its aliases. */
export function asimBody(p: AsimParser): string {
  const filters = p.params.filter((x) => x.filter).map((x) => `| where ${x.filter} `);
  return `{ ${p.table} ${filters.join('')}| extend ${p.extend.join(', ')} }`;
}
