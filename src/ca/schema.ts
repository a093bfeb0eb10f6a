// JSON Schemas for policy and named-location files: the part of Graph's conditionalAccessPolicy
// and namedLocation resources sessionguard reads, writes and replays. Unknown fields are errors.

const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const enumList = (values: string[]) => ({ type: 'array', minItems: 1, items: { enum: values } });

export const RISK_LEVELS = ['low', 'medium', 'high', 'hidden', 'none'];
export const CLIENT_APP_TYPES = ['all', 'browser', 'mobileAppsAndDesktopClients', 'exchangeActiveSync', 'easSupported', 'other'];
export const PLATFORMS = ['all', 'android', 'iOS', 'windows', 'windowsPhone', 'macOS', 'linux'];
export const BUILT_IN_CONTROLS = ['block', 'mfa', 'compliantDevice', 'domainJoinedDevice', 'approvedApplication', 'compliantApplication', 'passwordChange'];
export const USER_ACTIONS = ['urn:user:registersecurityinfo', 'urn:user:registerdevice'];

const enabledOnly = { type: 'object', additionalProperties: false, required: ['isEnabled'], properties: { isEnabled: { type: 'boolean' } } } as const;

export const POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['displayName', 'conditions'],
  properties: {
    displayName: { type: 'string', minLength: 1, maxLength: 200 },
    state: { enum: ['enabled', 'disabled', 'enabledForReportingButNotEnforced'] },
    conditions: {
      type: 'object',
      additionalProperties: false,
      required: ['users', 'applications', 'clientAppTypes'],
      properties: {
        users: {
          type: 'object',
          additionalProperties: false,
          properties: { includeUsers: strings, excludeUsers: strings, includeGroups: strings, excludeGroups: strings, includeRoles: strings, excludeRoles: strings },
        },
        applications: {
          type: 'object',
          additionalProperties: false,
          properties: { includeApplications: strings, excludeApplications: strings, includeUserActions: enumList(USER_ACTIONS) },
        },
        clientApplications: {
          type: 'object',
          additionalProperties: false,
          properties: { includeServicePrincipals: strings, excludeServicePrincipals: strings },
        },
        clientAppTypes: enumList(CLIENT_APP_TYPES),
        platforms: {
          type: 'object',
          additionalProperties: false,
          properties: { includePlatforms: enumList(PLATFORMS), excludePlatforms: enumList(PLATFORMS) },
        },
        locations: {
          type: 'object',
          additionalProperties: false,
          properties: { includeLocations: strings, excludeLocations: strings },
        },
        devices: {
          type: 'object',
          additionalProperties: false,
          properties: {
            deviceFilter: {
              type: 'object',
              additionalProperties: false,
              required: ['mode', 'rule'],
              properties: { mode: { enum: ['include', 'exclude'] }, rule: { type: 'string', minLength: 1, maxLength: 3072 } },
            },
          },
        },
        signInRiskLevels: enumList(RISK_LEVELS),
        userRiskLevels: enumList(RISK_LEVELS),
        authenticationFlows: {
          type: 'object',
          additionalProperties: false,
          required: ['transferMethods'],
          properties: { transferMethods: { type: 'string', pattern: '^(deviceCodeFlow|authenticationTransfer)(,(deviceCodeFlow|authenticationTransfer))?$', description: 'transfer method list (deviceCodeFlow, authenticationTransfer; comma-separated)' } },
        },
      },
    },
    grantControls: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['operator'],
      properties: {
        operator: { enum: ['AND', 'OR'] },
        builtInControls: enumList(BUILT_IN_CONTROLS),
        authenticationStrength: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1 } } },
        termsOfUse: strings,
        customAuthenticationFactors: strings,
      },
    },
    sessionControls: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        signInFrequency: {
          type: 'object',
          additionalProperties: false,
          required: ['isEnabled'],
          properties: {
            isEnabled: { type: 'boolean' },
            type: { enum: ['hours', 'days'] },
            value: { type: 'integer', minimum: 1, maximum: 365 },
            frequencyInterval: { enum: ['timeBased', 'everyTime'] },
            authenticationType: { enum: ['primaryAndSecondaryAuthentication', 'secondaryAuthentication'] },
          },
        },
        persistentBrowser: {
          type: 'object',
          additionalProperties: false,
          required: ['isEnabled', 'mode'],
          properties: { isEnabled: { type: 'boolean' }, mode: { enum: ['always', 'never'] } },
        },
        secureSignInSession: enabledOnly,
        applicationEnforcedRestrictions: enabledOnly,
        cloudAppSecurity: {
          type: 'object',
          additionalProperties: false,
          required: ['isEnabled'],
          properties: { isEnabled: { type: 'boolean' }, cloudAppSecurityType: { enum: ['mcasConfigured', 'monitorOnly', 'blockDownloads'] } },
        },
        disableResilienceDefaults: { type: 'boolean' },
      },
    },
  },
} as const;

const ipRange = {
  type: 'object',
  additionalProperties: false,
  required: ['cidrAddress'],
  properties: { '@odata.type': { enum: ['#microsoft.graph.iPv4CidrRange', '#microsoft.graph.iPv6CidrRange'] }, cidrAddress: { type: 'string', minLength: 1 } },
} as const;

/** A named location; `exported` also accepts the read-only fields of a Graph export (id, times). */
export function namedLocationSchema(exported: boolean) {
  const extra = exported ? { id: { type: 'string' }, createdDateTime: {}, modifiedDateTime: {} } : {};
  return {
  type: 'object',
  required: ['@odata.type', 'displayName'],
  properties: { '@odata.type': { enum: ['#microsoft.graph.ipNamedLocation', '#microsoft.graph.countryNamedLocation'] } },
  if: { properties: { '@odata.type': { const: '#microsoft.graph.ipNamedLocation' } } },
  then: {
    additionalProperties: false,
    required: ['ipRanges'],
    properties: { ...extra, '@odata.type': {}, displayName: { type: 'string', minLength: 1, maxLength: 200 }, isTrusted: { type: 'boolean' }, ipRanges: { type: 'array', minItems: 1, items: ipRange } },
  },
  else: {
    additionalProperties: false,
    required: ['countriesAndRegions'],
    properties: {
      ...extra,
      '@odata.type': {},
      displayName: { type: 'string', minLength: 1, maxLength: 200 },
      countriesAndRegions: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[A-Z]{2}$', description: 'two-letter country code (ISO 3166-1, upper case)' } },
      includeUnknownCountriesAndRegions: { type: 'boolean' },
      countryLookupMethod: { enum: ['clientIpAddress', 'authenticatorAppGps'] },
    },
  },
  };
}

export const NAMED_LOCATIONS_FILE_SCHEMA = { type: 'array', items: namedLocationSchema(false) };
/** --named-locations: our list, or Graph's list response ({ value: [...] }). */
export const NAMED_LOCATIONS_EXPORT_SCHEMA = { type: 'array', items: namedLocationSchema(true) };
export const NAMED_LOCATIONS_GRAPH_LIST_SCHEMA = { type: 'object', required: ['value'], properties: { value: NAMED_LOCATIONS_EXPORT_SCHEMA } };

export const MEMBERSHIP_SCHEMA = {
  type: 'object',
  propertyNames: { pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' },
  additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } },
};

export const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    breakGlass: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'user object id (GUID)' } },
  },
} as const;
