// JSON Schema of a rule file: the Azure-Sentinel analytics-rule YAML plus sessionguard's own fields.
import { ENTITY_TYPES, SEVERITIES, TACTICS, TRIGGER_OPERATORS } from './sentinel.js';

/** `5m`, `1h`, `14d` (Sentinel YAML) or ISO 8601 (`PT5M`, `P1D`, `P1DT2H`). */
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?[smhd]|P(?!$)(\\d+(\\.\\d+)?D)?(T(?!$)(\\d+(\\.\\d+)?H)?(\\d+(\\.\\d+)?M)?(\\d+(\\.\\d+)?S)?)?)$';

const duration = { type: 'string', pattern: DURATION_PATTERN, description: 'duration' };
const str = { type: 'string' };
const strList = { type: 'array', items: str };

export const PARAMETER_TYPES = ['string', 'long', 'int', 'real', 'bool', 'timespan', 'datetime', 'dynamic'] as const;

const entityMapping = {
  type: 'object',
  additionalProperties: false,
  required: ['entityType', 'fieldMappings'],
  properties: {
    entityType: { enum: ENTITY_TYPES },
    fieldMappings: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['identifier', 'columnName'],
        properties: { identifier: str, columnName: str },
      },
    },
  },
};

export const RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'severity', 'query'],
  properties: {
    // Azure-Sentinel analytics-rule template fields.
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'rule id' },
    name: { type: 'string', minLength: 1, maxLength: 256 },
    description: { type: 'string', maxLength: 5000 },
    severity: { enum: SEVERITIES },
    status: str,
    kind: { enum: ['Scheduled', 'NRT'] },
    version: { type: ['string', 'number'] },
    enabled: { type: 'boolean' },
    requiredDataConnectors: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['connectorId'],
        properties: { connectorId: str, dataTypes: strList },
      },
    },
    queryFrequency: duration,
    queryPeriod: duration,
    triggerOperator: { enum: Object.keys(TRIGGER_OPERATORS) },
    triggerThreshold: { type: 'integer', minimum: 0, maximum: 10000 },
    tactics: { type: 'array', items: { enum: TACTICS } },
    relevantTechniques: { type: 'array', items: { type: 'string', pattern: '^T\\d{4}(\\.\\d{3})?$', description: 'ATT&CK technique id' } },
    query: { type: 'string', minLength: 1, maxLength: 10000 },
    entityMappings: { type: 'array', maxItems: 10, items: entityMapping },
    sentinelEntitiesMappings: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['columnName'], properties: { columnName: str } },
    },
    customDetails: {
      type: 'object',
      maxProperties: 20,
      propertyNames: { pattern: '^[a-zA-Z]+\\w*$', maxLength: 20 },
      additionalProperties: str,
    },
    alertDetailsOverride: {
      type: 'object',
      additionalProperties: false,
      properties: {
        alertDisplayNameFormat: { type: 'string', maxLength: 256 },
        alertDescriptionFormat: { type: 'string', maxLength: 5000 },
        alertTacticsColumnName: str,
        alertSeverityColumnName: str,
        alertDynamicProperties: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['alertProperty', 'value'],
            properties: {
              alertProperty: {
                enum: ['AlertLink', 'ConfidenceLevel', 'ConfidenceScore', 'ExtendedLinks', 'ProductComponentName', 'ProductName', 'ProviderName', 'RemediationSteps', 'Techniques', 'SubTechniques'],
              },
              value: str,
            },
          },
        },
      },
    },
    incidentConfiguration: {
      type: 'object',
      additionalProperties: false,
      required: ['createIncident'],
      properties: {
        createIncident: { type: 'boolean' },
        groupingConfiguration: {
          type: 'object',
          additionalProperties: false,
          required: ['enabled'],
          properties: {
            enabled: { type: 'boolean' },
            reopenClosedIncident: { type: 'boolean' },
            lookbackDuration: duration,
            matchingMethod: { enum: ['AllEntities', 'AnyAlert', 'Selected'] },
            groupByEntities: { type: 'array', items: { enum: ENTITY_TYPES } },
            groupByAlertDetails: { type: 'array', items: { enum: ['DisplayName', 'Severity'] } },
            groupByCustomDetails: strList,
          },
        },
      },
    },
    eventGroupingSettings: {
      type: 'object',
      additionalProperties: false,
      required: ['aggregationKind'],
      properties: { aggregationKind: { enum: ['SingleAlert', 'AlertPerResult'] } },
    },
    suppressionDuration: duration,
    suppressionEnabled: { type: 'boolean' },
    alertRuleTemplateName: { type: ['string', 'null'] },
    // Template metadata kept as is (Content Hub fields; some files have them at top level).
    tags: { type: 'array' },
    metadata: { type: ['object', 'null'] },
    source: {},
    author: {},
    support: {},
    categories: {},
    threatAnalysisTactics: strList,
    threatAnalysisTechniques: strList,

    // sessionguard additions.
    parameters: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'KQL identifier' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'default'],
        properties: {
          type: { enum: PARAMETER_TYPES },
          default: {},
          description: str,
        },
      },
    },
    ingestionDelay: { anyOf: [{ enum: ['auto', 'off'] }, duration] },
    response: {
      type: 'object',
      additionalProperties: false,
      properties: {
        tier: { enum: ['contain', 'revoke', 'notify'] },
        playbooks: strList,
        onAlertAdded: { type: 'boolean' },
      },
    },
    tests: {},
  },
} as const;

export const RULE_FIELDS = Object.keys(RULE_SCHEMA.properties);
