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
 * the table only holds events for which it is true). `array: true` marks an array of objects, matched
 * on its JSON text.
 */
export type FieldSpec = string | { field: string; values?: Record<string, ValueTarget>; array?: boolean } | { unsupported: string };

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
  'Threat Intelligence mail events (TIMailData, Audit.General) are not written to OfficeActivity by the Office 365 connector; Defender XDR EmailEvents holds them, a table sessionguard has no schema for';

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
    { product: 'm365', service: 'audit', table: 'OfficeActivity' },
    { product: 'm365', service: 'exchange', table: 'OfficeActivity' },
    { product: 'm365', service: 'threat_management', table: 'SecurityAlert' },
    { product: 'm365', service: 'threat_detection', table: 'SecurityAlert' },
    { product: 'windows', table: null, reason: 'Windows event logs are outside the tables sessionguard knows (Entra ID and Microsoft 365); map them with --mapping' },
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
  properties: { product: { type: 'string' }, service: { type: 'string' }, category: { type: 'string' }, table: { type: ['string', 'null'] }, reason: { type: 'string' } },
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

/** The first logsource rule whose given keys all equal the rule's logsource. */
export function tableFor(mapping: Mapping, ls: Logsource): LogsourceRule | null {
  for (const r of mapping.logsources) {
    const keys = (['product', 'service', 'category'] as const).filter((k) => r[k] !== undefined);
    if (keys.length && keys.every((k) => r[k] === ls[k])) return r;
  }
  return null;
}
