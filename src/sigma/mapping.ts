// Where Sigma rules for Microsoft clouds read their data in Sentinel: logsource -> table, Sigma field
// -> column (or a path into a dynamic / JSON-text column), and the few values that need translating.
// A user mapping file (--mapping FILE) is merged over these defaults; docs/sigma.md lists them.
import type { Diagnostic } from '../diagnostics.js';
import { checkSchema } from '../rules/check.js';
import { readYamlFile } from '../rules/source.js';
import type { Logsource } from './model.js';

/** A value of a Sigma field translated to a test on another field (`Status: Success` -> ResultType "0"). */
export interface ValueTarget {
  field: string;
  equals?: string | string[];
  not?: string | string[];
  /** A case-insensitive regular expression (for values inside JSON text). */
  matches?: string;
}

/**
 * `Column`, `Column.path.to[0].key` (dynamic or JSON-text column), or `ignore` (the item is dropped:
 * the table only holds events for which it is true). `array: true` marks an array of objects (or a
 * list held as text), matched on its JSON text. `constant`: every row of the table has this value (a
 * test that can never hold is an error, with `reason`). `coalesce`: the first non-empty of the columns.
 */
export type FieldSpec =
  | string
  | { field: string; values?: Record<string, ValueTarget>; array?: boolean }
  | { unsupported: string }
  | { constant: string; reason?: string }
  | { coalesce: string[] };

export interface EntitySpec {
  entityType: string;
  fieldMappings: { identifier: string; columnName: string }[];
}

export interface TableSpec {
  fields: Record<string, FieldSpec>;
  entities: EntitySpec[];
  /** Columns computed ahead of the entity mappings (name -> KQL expression). */
  extend?: Record<string, string>;
  /** Columns a keyword search looks in; default every string and dynamic column. */
  keywordColumns?: string[];
}

export interface LogsourceRule extends Logsource {
  table: string | null;
  /** Why a logsource has no table. */
  reason?: string;
  /**
   * Fields the rule's detection must pin for this entry to apply (field -> value, both compared
   * case-insensitively): the condition holds only when the field equals the value.
   */
  detection?: Record<string, string>;
  /** A KQL predicate every query of this entry starts with (`isnotempty(ThreatTypes)`). */
  where?: string;
}

export interface Mapping {
  logsources: LogsourceRule[];
  tables: Record<string, TableSpec>;
}

const account = (upn: string, id?: string): EntitySpec => ({
  entityType: 'Account',
  fieldMappings: [{ identifier: 'FullName', columnName: upn }, ...(id ? [{ identifier: 'AadUserId', columnName: id }] : [])],
});
const ip = (col: string): EntitySpec => ({ entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: col }] });

const THREAT_INTEL_MAIL =
  'Threat Intelligence mail fields (TIMailData) are not in OfficeActivity: the Office 365 connector does not write the ThreatIntelligence workload there. A rule whose detection requires Workload: ThreatIntelligence compiles to Defender XDR EmailEvents (docs/sigma.md)';

// Threat Intelligence mail records (Office 365 Management Activity API, Workload ThreatIntelligence,
// Operation TIMailData: one record per message with a detected threat) hold the same facts as
// Defender XDR EmailEvents (one row per message and recipient).
const TI_MAIL_ONLY = 'EmailEvents holds the Threat Intelligence mail records (TIMailData) of the ThreatIntelligence workload only';
const noEquivalent = (why: string): FieldSpec => ({ unsupported: `EmailEvents has no equivalent: ${why}` });
const EMAIL_EVENTS_FIELDS: Record<string, FieldSpec> = {
  Workload: { constant: 'ThreatIntelligence', reason: TI_MAIL_ONLY },
  Operation: { constant: 'TIMailData', reason: TI_MAIL_ONLY },
  // Inbound, Outbound, IntraOrg; EmailEvents writes Intra-org
  Directionality: { field: 'EmailDirection', values: { intraorg: { field: 'EmailDirection', equals: 'Intra-org' } } },
  // Delivered, DeliveredAsSpam, Blocked, Replaced; EmailEvents: Delivered, Junked, Blocked, Replaced
  DeliveryAction: { field: 'DeliveryAction', values: { deliveredasspam: { field: 'DeliveryAction', equals: 'Junked' } } },
  P1Sender: 'SenderMailFromAddress',
  P2Sender: 'SenderFromAddress',
  Recipients: 'RecipientEmailAddress',
  SenderIp: { coalesce: ['SenderIPv4', 'SenderIPv6'] },
  NetworkMessageId: 'NetworkMessageId',
  InternetMessageId: 'InternetMessageId',
  Subject: 'Subject',
  // the verdict (Phish, Malware, Spam, …) is one of the threat types EmailEvents lists
  Verdict: { field: 'ThreatTypes', array: true },
  // TIMailData ["Phish: [Spoof DMARC]", …]; EmailEvents DetectionMethods {"Phish":["Spoof DMARC"], …}
  ThreatsAndDetectionTech: { field: 'DetectionMethods', array: true },
  DetectionMethod: { field: 'DetectionMethods', array: true },
  AuthDetails: { field: 'AuthenticationDetails', array: true },
  Connectors: 'Connectors',
  MessageTime: 'TimeGenerated',
  CreationTime: 'TimeGenerated',
  DetectionType: noEquivalent('whether the threat was found at delivery (Inline), later (Delayed) or removed by ZAP is not recorded per message'),
  Policy: noEquivalent('its EmailActionPolicy names policies in other words (Antispam, Anti-phishing spoof, …) than TIMailData (Anti-spam, HSPM; Anti-phish, SPOOF; …)'),
  PolicyAction: noEquivalent('its EmailAction names actions in other words (Move message to junk mail folder, …) than TIMailData (MoveToJMF, …)'),
  PhishConfidenceLevel: noEquivalent('its ConfidenceLevel says High or Low for phish, TIMailData Normal or High'),
  OriginalDeliveryLocation: noEquivalent('its DeliveryLocation names locations in other words (Inbox/folder, Junk folder, …) than TIMailData (Inbox, JunkFolder, …)'),
  LatestDeliveryLocation: noEquivalent('its LatestDeliveryLocation names locations in other words (Inbox/folder, Junk folder, …) than TIMailData (Inbox, JunkFolder, …)'),
  AttachmentData: noEquivalent('attachments are in EmailAttachmentInfo (join it on NetworkMessageId in a hand-written rule)'),
  AdditionalActionsAndResults: noEquivalent('actions after delivery (ZAP, remediation) are in EmailPostDeliveryEvents'),
  SystemOverrides: noEquivalent('overrides are not recorded per message'),
  EventDeepLink: noEquivalent('no link to Threat Explorer is recorded'),
};

const SIGNIN_FIELDS: Record<string, FieldSpec> = {
  // Sign-in status is a dynamic bag; success and failure are ResultType "0" and anything else.
  Status: {
    field: 'Status',
    values: {
      success: { field: 'ResultType', equals: '0' },
      sucess: { field: 'ResultType', equals: '0' },
      failure: { field: 'ResultType', not: '0' },
    },
  },
  'properties.message': {
    field: 'AuthenticationProtocol',
    values: { 'device code': { field: 'AuthenticationProtocol', equals: 'deviceCode' }, ropc: { field: 'AuthenticationProtocol', equals: 'ropc' } },
  },
  ClientApp: 'ClientAppUsed',
  ActivityDetails: 'ignore',
  Username: 'UserPrincipalName',
  'Initiatied.By': 'UserPrincipalName',
  TargetUserName: 'UserPrincipalName',
  callerIpAddress: 'IPAddress',
  DeviceInfo: 'DeviceDetail',
  'DeviceDetail.trusttype': 'DeviceDetail.trustType',
  Date: 'TimeGenerated',
  Count: { unsupported: 'Count is an aggregate (a count of events), not a field; write a Sigma correlation rule (event_count) instead' },
  'properties.deviceDetail.deviceId': 'DeviceDetail.deviceId',
};

export const DEFAULT_MAPPING: Mapping = {
  logsources: [
    { product: 'azure', service: 'signinlogs', table: 'SigninLogs' },
    { product: 'azure', service: 'noninteractivesigninlogs', table: 'AADNonInteractiveUserSignInLogs' },
    { product: 'azure', service: 'auditlogs', table: 'AuditLogs' },
    { product: 'azure', service: 'activitylogs', table: 'AzureActivity' },
    { product: 'azure', service: 'riskdetection', table: 'AADUserRiskEvents' },
    { product: 'azure', service: 'riskyusers', table: 'AADRiskyUsers' },
    {
      product: 'azure',
      service: 'pim',
      table: null,
      reason: 'no Sentinel table holds Privileged Identity Management alerts (the rules test PIM alert types such as staleSignInAlertIncident); map it with --mapping if you export them',
    },
    // Threat Intelligence mail (TIMailData) is not in OfficeActivity; Defender XDR EmailEvents has it
    // for every message with a detected threat.
    { product: 'm365', service: 'audit', detection: { Workload: 'ThreatIntelligence' }, table: 'EmailEvents', where: 'isnotempty(ThreatTypes)' },
    { product: 'm365', service: 'audit', table: 'OfficeActivity' },
    { product: 'm365', service: 'exchange', table: 'OfficeActivity' },
    { product: 'm365', service: 'threat_management', table: 'SecurityAlert' },
    { product: 'm365', service: 'threat_detection', table: 'SecurityAlert' },
    {
      product: 'windows',
      table: null,
      reason: 'Windows event log rules are not mapped (their fields need the field maps of the Defender XDR Device* or SecurityEvent tables, which sessionguard does not provide); map them with --mapping',
    },
  ],
  tables: {
    SigninLogs: { fields: SIGNIN_FIELDS, entities: [account('UserPrincipalName', 'UserId'), ip('IPAddress')] },
    AADNonInteractiveUserSignInLogs: {
      fields: { ...SIGNIN_FIELDS, Status: { ...(SIGNIN_FIELDS.Status as object), field: 'Status' } as FieldSpec },
      entities: [account('UserPrincipalName', 'UserId'), ip('IPAddress')],
    },
    AuditLogs: {
      fields: {
        'properties.message': 'OperationName',
        // Result holds success/failure; other Status values in the rules are result reasons.
        Status: {
          field: 'ResultReason',
          values: {
            success: { field: 'Result', equals: 'success' },
            sucess: { field: 'Result', equals: 'success' },
            failure: { field: 'Result', equals: 'failure' },
          },
        },
        activityType: 'ActivityDisplayName',
        failure_status_reason: 'ResultReason',
        Initiatedby: 'InitiatedBy',
        'Initiatied.By': 'InitiatedBy',
        Target: { field: 'TargetResources', array: true },
        TargetResources: { field: 'TargetResources', array: true },
        'TargetResources.modifiedProperties': { field: 'TargetResources', array: true },
        'TargetResources.modifiedProperties.newValue': { field: 'TargetResources', array: true },
        'TargetResources.modifiedProperties.displayName': { field: 'TargetResources', array: true },
        'targetResources.type': { field: 'TargetResources', array: true },
        'properties.targetResources': { field: 'TargetResources', array: true },
        'additionalDetails.additionalInfo': { field: 'AdditionalDetails', array: true },
        // Consent events list ConsentContext.IsAdminConsent among the modified properties, its new
        // value JSON-quoted ("\"False\""); the test reads that entry from the JSON text.
        'ConsentContext.IsAdminConsent': {
          field: 'TargetResources',
          array: true,
          values: {
            false: { field: 'TargetResources', matches: '"displayName":"ConsentContext\\.IsAdminConsent"[^}]*"newValue":"\\\\"False\\\\""' },
            true: { field: 'TargetResources', matches: '"displayName":"ConsentContext\\.IsAdminConsent"[^}]*"newValue":"\\\\"True\\\\""' },
          },
        },
      },
      entities: [account('InitiatedByUpn'), ip('InitiatedByIp')],
      extend: { InitiatedByUpn: 'tostring(InitiatedBy.user.userPrincipalName)', InitiatedByIp: 'tostring(InitiatedBy.user.ipAddress)' },
    },
    AzureActivity: {
      fields: { 'properties.message': 'OperationName', operationName: 'OperationNameValue' },
      entities: [account('Caller'), ip('CallerIpAddress')],
    },
    AADUserRiskEvents: { fields: {}, entities: [account('UserPrincipalName', 'UserId'), ip('IpAddress')] },
    AADRiskyUsers: { fields: {}, entities: [account('UserPrincipalName')] },
    OfficeActivity: {
      fields: {
        ObjectId: 'OfficeObjectId',
        Workload: 'OfficeWorkload',
        RequestType: { field: 'ExtendedProperties', array: true },
        Directionality: { unsupported: THREAT_INTEL_MAIL },
        DeliveryAction: { unsupported: THREAT_INTEL_MAIL },
        eventSource: 'OfficeWorkload',
        eventName: 'Operation',
        status: {
          field: 'ResultStatus',
          values: { success: { field: 'ResultStatus', equals: ['Succeeded', 'Success', 'True'] }, failure: { field: 'ResultStatus', equals: ['Failed', 'Failure', 'False'] } },
        },
      },
      entities: [account('UserId'), ip('ClientIP')],
    },
    EmailEvents: {
      fields: EMAIL_EVENTS_FIELDS,
      entities: [
        { entityType: 'Mailbox', fieldMappings: [{ identifier: 'MailboxPrimaryAddress', columnName: 'RecipientEmailAddress' }] },
        account('RecipientEmailAddress', 'RecipientObjectId'),
        ip('SenderIPv4'),
        {
          entityType: 'MailMessage',
          fieldMappings: [
            { identifier: 'NetworkMessageId', columnName: 'NetworkMessageId' },
            { identifier: 'Recipient', columnName: 'RecipientEmailAddress' },
          ],
        },
      ],
    },
    // M365 Defender / Defender for Cloud Apps alerts: the alert name is what the rules test.
    SecurityAlert: {
      fields: { eventName: 'AlertName', eventSource: 'ignore', status: 'ignore', Payload: 'ExtendedProperties' },
      entities: [],
    },
  },
};

const LOGSOURCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['table'],
  properties: {
    product: { type: 'string' },
    service: { type: 'string' },
    category: { type: 'string' },
    table: { type: ['string', 'null'] },
    reason: { type: 'string' },
    detection: { type: 'object', minProperties: 1, additionalProperties: { type: 'string' } },
    where: { type: 'string', minLength: 1 },
  },
};
const VALUE_TARGET = {
  type: 'object',
  additionalProperties: false,
  required: ['field'],
  properties: {
    field: { type: 'string' },
    equals: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    not: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    matches: { type: 'string' },
  },
};
const FIELD_SPEC = {
  anyOf: [
    { type: 'string' },
    { type: 'object', additionalProperties: false, required: ['unsupported'], properties: { unsupported: { type: 'string' } } },
    { type: 'object', additionalProperties: false, required: ['constant'], properties: { constant: { type: 'string' }, reason: { type: 'string' } } },
    { type: 'object', additionalProperties: false, required: ['coalesce'], properties: { coalesce: { type: 'array', minItems: 2, items: { type: 'string' } } } },
    { type: 'object', additionalProperties: false, required: ['field'], properties: { field: { type: 'string' }, array: { type: 'boolean' }, values: { type: 'object', additionalProperties: VALUE_TARGET } } },
  ],
};
const MAPPING_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    logsources: { type: 'array', items: LOGSOURCE_SCHEMA },
    tables: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          fields: { type: 'object', additionalProperties: FIELD_SPEC },
          entities: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['entityType', 'fieldMappings'],
              properties: {
                entityType: { type: 'string' },
                fieldMappings: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['identifier', 'columnName'], properties: { identifier: { type: 'string' }, columnName: { type: 'string' } } } },
              },
            },
          },
          extend: { type: 'object', additionalProperties: { type: 'string' } },
          keywordColumns: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/** Reads a user mapping file and merges it over the defaults (user entries win). */
export function loadMapping(file: string | undefined, shown = file): { mapping: Mapping; diagnostics: Diagnostic[] } {
  if (!file) return { mapping: DEFAULT_MAPPING, diagnostics: [] };
  const read = readYamlFile(file);
  if (!read.ok) return { mapping: DEFAULT_MAPPING, diagnostics: read.diagnostics.map((d) => ({ ...d, file: shown! })) };
  const src = { ...read.source, file: shown! };
  const errors = checkSchema(src, MAPPING_SCHEMA);
  if (errors.length) return { mapping: DEFAULT_MAPPING, diagnostics: errors };
  const user = (src.data ?? {}) as Partial<Mapping>;
  const tables: Record<string, TableSpec> = { ...DEFAULT_MAPPING.tables };
  for (const [t, spec] of Object.entries(user.tables ?? {})) {
    const base = tables[t] ?? { fields: {}, entities: [] };
    tables[t] = {
      fields: { ...base.fields, ...(spec.fields ?? {}) },
      entities: spec.entities ?? base.entities,
      extend: spec.extend ?? base.extend,
      keywordColumns: spec.keywordColumns ?? base.keywordColumns,
    };
  }
  return { mapping: { logsources: [...(user.logsources ?? []).map((l) => lower(l)), ...DEFAULT_MAPPING.logsources], tables }, diagnostics: [] };
}

function lower(l: LogsourceRule): LogsourceRule {
  return { ...l, product: l.product?.toLowerCase(), service: l.service?.toLowerCase(), category: l.category?.toLowerCase() };
}

/**
 * The first logsource rule whose given keys all equal the rule's logsource and whose `detection`
 * fields (if any) the rule's detection pins (`pins(field, value)`: its condition requires the value).
 */
export function tableFor(mapping: Mapping, ls: Logsource, pins: (field: string, value: string) => boolean = () => false): LogsourceRule | null {
  for (const r of mapping.logsources) {
    const keys = (['product', 'service', 'category'] as const).filter((k) => r[k] !== undefined);
    if (!keys.length || !keys.every((k) => r[k] === ls[k])) continue;
    if (r.detection && !Object.entries(r.detection).every(([f, v]) => pins(f, v))) continue;
    return r;
  }
  return null;
}
