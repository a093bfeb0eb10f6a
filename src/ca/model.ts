// Conditional Access policies as Microsoft Graph shapes them (conditionalAccessPolicy), and the few
// first-party application ids the what-if needs to know by name.

export type PolicyState = 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';
export const REPORT_ONLY: PolicyState = 'enabledForReportingButNotEnforced';

export interface CaUsers {
  includeUsers?: string[];
  excludeUsers?: string[];
  includeGroups?: string[];
  excludeGroups?: string[];
  includeRoles?: string[];
  excludeRoles?: string[];
}

export interface CaConditions {
  users: CaUsers;
  applications: { includeApplications?: string[]; excludeApplications?: string[]; includeUserActions?: string[] };
  clientApplications?: { includeServicePrincipals?: string[]; excludeServicePrincipals?: string[] };
  clientAppTypes: string[];
  platforms?: { includePlatforms?: string[]; excludePlatforms?: string[] };
  locations?: { includeLocations?: string[]; excludeLocations?: string[] };
  devices?: { deviceFilter?: { mode: 'include' | 'exclude'; rule: string } };
  signInRiskLevels?: string[];
  userRiskLevels?: string[];
  authenticationFlows?: { transferMethods: string };
}

export interface CaGrantControls {
  operator: 'AND' | 'OR';
  builtInControls?: string[];
  authenticationStrength?: { id: string };
  termsOfUse?: string[];
  customAuthenticationFactors?: string[];
}

export interface CaSessionControls {
  signInFrequency?: { isEnabled: boolean; type?: 'hours' | 'days'; value?: number; frequencyInterval?: 'timeBased' | 'everyTime'; authenticationType?: string };
  persistentBrowser?: { isEnabled: boolean; mode: 'always' | 'never' };
  secureSignInSession?: { isEnabled: boolean };
  applicationEnforcedRestrictions?: { isEnabled: boolean };
  cloudAppSecurity?: { isEnabled: boolean; cloudAppSecurityType?: string };
  disableResilienceDefaults?: boolean;
}

/** One policy file, in Graph's shape (no id: Graph assigns it). */
export interface CaPolicy {
  displayName: string;
  state: PolicyState;
  conditions: CaConditions;
  grantControls?: CaGrantControls | null;
  sessionControls?: CaSessionControls | null;
}

export interface IpNamedLocation {
  '@odata.type': '#microsoft.graph.ipNamedLocation';
  displayName: string;
  isTrusted?: boolean;
  ipRanges: { '@odata.type'?: string; cidrAddress: string }[];
}

export interface CountryNamedLocation {
  '@odata.type': '#microsoft.graph.countryNamedLocation';
  displayName: string;
  countriesAndRegions: string[];
  includeUnknownCountriesAndRegions?: boolean;
  countryLookupMethod?: 'clientIpAddress' | 'authenticatorAppGps';
}

export type NamedLocation = IpNamedLocation | CountryNamedLocation;

/** A policy as loaded: where it came from, with the break-glass token expanded. */
export interface LoadedPolicy {
  file: string;
  policy: CaPolicy;
}

export interface CaSet {
  policies: LoadedPolicy[];
  namedLocations: NamedLocation[];
  /** Object ids every policy must exclude. */
  breakGlass: string[];
}

/** Written in excludeUsers, stands for every configured break-glass account. */
export const BREAK_GLASS_TOKEN = 'SG:BreakGlass';

/** Deployed policies and named locations carry this displayName prefix: how we know they are ours. */
export const MANAGED_PREFIX = '[sessionguard] ';

export const APP = {
  exchange: '00000002-0000-0ff1-ce00-000000000000',
  sharePoint: '00000003-0000-0ff1-ce00-000000000000',
  teamsServices: 'cc15fd57-2c6c-4117-a88c-83b1d56b4bbe',
  officeHome: '4765445b-32c6-49b0-83e6-1d93765276ca',
  teams: '1fec8e78-bce4-4aaf-ab1b-5451cc387264',
  outlookMobile: '27922004-5251-4030-b22d-91ecd9a37ea4',
  oneDriveSync: 'ab9b8c07-8f02-4f72-87fa-80105867a763',
  deviceRegistration: '01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9',
} as const;

/**
 * Members of the 'Office365' app group that show up in sign-ins. Microsoft's list is longer; an
 * app missing here only makes the what-if miss an 'Office365' policy for that app.
 */
export const OFFICE365_APPS = new Set<string>([APP.exchange, APP.sharePoint, APP.teamsServices, APP.officeHome, APP.teams, APP.outlookMobile, APP.oneDriveSync]);
