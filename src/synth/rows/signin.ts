// SigninLogs / AADNonInteractiveUserSignInLogs rows. The same event becomes either table; the
// non-interactive table stores the structured columns as JSON text, SigninLogs as dynamic objects.
import { APPS, type App, type Network, type Place } from '../catalog.js';
import { drawLatency } from '../latency.js';
import type { Device, Emit, Tenant, User } from '../model.js';
import type { Rng } from '../prng.js';
import { iso7, isoOffset } from '../time.js';

export type AuthKind = 'mfa' | 'claim' | 'single' | 'fido2' | 'badPassword' | 'mfaRequired';

// Failed (or interrupted) sign-ins: ResultType and the Status text Entra records.
const FAILURES: Partial<Record<AuthKind, { code: string; reason: string; details?: string }>> = {
  badPassword: { code: '50126', reason: 'Error validating credentials due to invalid username or password.' },
  mfaRequired: { code: '50074', reason: 'Strong Authentication is required.', details: 'MFA required in Azure AD' },
};

export interface SignIn {
  at: number;
  user: User;
  interactive: boolean;
  app: App;
  resource: App;
  ip: string;
  net: Network;
  place: Place;
  sessionId: string;
  ua: string;
  device: Device;
  clientAppUsed?: string;
  auth: AuthKind;
  incomingTokenType?: string;
  riskLevel?: string; // RiskLevelDuringSignIn
  riskRemediated?: boolean; // the user passed MFA a risk policy asked for
  riskEvents?: string[]; // RiskEventTypes_V2
  correlationId?: string; // shared by the rows of one sign-in flow (interrupt, then success)
}

export interface SignInIds {
  id: string;
  correlationId: string;
  uti: string;
  created: string; // the CreatedDateTime text
}

// Web apps sign in through the browser; everything else is a native (desktop or mobile) client.
const BROWSER_APPS = new Set<string>([APPS.officeHome.id, APPS.mySignins.id, APPS.azurePortal.id]);

const JSON_IN_NONINTERACTIVE = ['DeviceDetail', 'LocationDetails', 'MfaDetail', 'Status', 'ConditionalAccessPolicies', 'TokenProtectionStatusDetails'] as const;

function authDetails(s: SignIn, ticks: number): unknown[] {
  const step = (method: string, detail: string, requirement: string, extra: Record<string, unknown> = {}) => ({
    authenticationStepDateTime: isoOffset(s.at, ticks),
    authenticationMethod: method,
    ...extra,
    succeeded: s.auth !== 'badPassword',
    authenticationStepResultDetail: detail,
    authenticationStepRequirement: requirement,
    StatusSequence: 0,
    RequestSequence: 0,
  });
  switch (s.auth) {
    case 'mfa':
      return [
        step('Password', 'Correct password', 'Primary authentication', { authenticationMethodDetail: 'Password in the cloud' }),
        step('Mobile app notification', 'MFA successfully completed', 'Multi-factor authentication'),
      ];
    case 'fido2':
      return [step('FIDO2 security key', 'MFA successfully completed', 'Primary authentication')];
    case 'claim':
      return [
        step('Previously satisfied', 'First factor requirement satisfied by claim in the token', 'Primary authentication'),
        step('Previously satisfied', 'MFA requirement satisfied by claim in the token', 'Multi-factor authentication'),
      ];
    case 'single':
      return s.interactive ? [step('Previously satisfied', 'First factor requirement satisfied by claim in the token', 'Primary authentication')] : [];
    case 'badPassword':
      return [step('Password', 'Invalid username or password or Invalid on-premise username or password.', 'Primary authentication', { authenticationMethodDetail: 'Password in the cloud' })];
    case 'mfaRequired':
      return [step('Password', 'Correct password', 'Primary authentication', { authenticationMethodDetail: 'Password in the cloud' })];
  }
}

function status(s: SignIn): Record<string, unknown> {
  switch (s.auth) {
    case 'mfa':
    case 'fido2':
      return { errorCode: 0, additionalDetails: 'MFA completed in Azure AD' };
    case 'claim':
      return { errorCode: 0, additionalDetails: 'MFA requirement satisfied by claim in the token' };
    case 'single':
      return { errorCode: 0 };
    case 'badPassword':
    case 'mfaRequired': {
      const f = FAILURES[s.auth]!;
      return { errorCode: Number(f.code), failureReason: f.reason, ...(f.details ? { additionalDetails: f.details } : {}) };
    }
  }
}

// The tenant's one Conditional Access policy as the sign-in records its evaluation.
function caPolicies(failed: boolean): unknown[] {
  return [
    {
      id: 'a1e5f0c2-7d4b-4f1e-9c3a-2b6d8e0f4a11',
      displayName: 'CA001: Require MFA for all users',
      enforcedGrantControls: ['Mfa'],
      enforcedSessionControls: [],
      conditionsSatisfied: failed ? 0 : 3,
      conditionsNotSatisfied: 0,
      result: failed ? 'notApplied' : 'success',
    },
  ];
}
const CA_TEXT_OK = JSON.stringify(caPolicies(false));
const CA_TEXT_FAILED = JSON.stringify(caPolicies(true));

/** Builds the row, draws its ingestion time and emits it. Returns the ids other tables link to. */
export function emitSignIn(t: Tenant, s: SignIn, rng: Rng, emit: Emit): SignInIds {
  const table = s.interactive ? 'SigninLogs' : 'AADNonInteractiveUserSignInLogs';
  const latency = drawLatency(table, rng);
  // TimeGenerated lags the sign-in (CreatedDateTime) a little; _TimeReceived is the arrival.
  const tg = s.at + Math.max(1000, Math.round(latency * rng.range(0.3, 0.85)));
  const received = s.at + Math.max(latency, tg - s.at + 500);
  const ticks = rng.int(0, 9999);
  const ids: SignInIds = { id: rng.guid(), correlationId: s.correlationId ?? rng.guid(), uti: rng.b64url(16), created: iso7(s.at, ticks) };
  const failure = FAILURES[s.auth];
  const failed = failure !== undefined;
  const mfa = s.auth === 'mfa' || s.auth === 'fido2' || s.auth === 'claim' || s.auth === 'mfaRequired';
  const dev = s.device;
  // All keys always present (false / '' for unregistered devices) so rules can test them directly.
  const deviceDetail = { deviceId: dev.deviceId, displayName: dev.displayName, operatingSystem: dev.operatingSystem, browser: dev.browser, isCompliant: dev.isCompliant, isManaged: dev.isManaged, trustType: dev.trustType };
  const dyn: Record<(typeof JSON_IN_NONINTERACTIVE)[number], unknown> = {
    DeviceDetail: deviceDetail,
    LocationDetails: {
      city: s.place.city,
      state: s.place.state,
      countryOrRegion: s.place.country,
      geoCoordinates: { latitude: s.place.lat, longitude: s.place.lon },
    },
    MfaDetail: s.auth === 'mfa' ? { authMethod: 'Mobile app notification' } : s.auth === 'fido2' ? { authMethod: 'FIDO2 security key' } : {},
    Status: status(s),
    ConditionalAccessPolicies: caPolicies(failed),
    TokenProtectionStatusDetails: dev.trustType === 'Azure AD joined' && s.incomingTokenType === 'primaryRefreshToken'
      ? { signInSessionStatus: 'bound', signInSessionStatusCode: 0 }
      : { signInSessionStatus: 'unbound', signInSessionStatusCode: dev.deviceId ? 1005 : 1002 },
  };
  const row: Record<string, unknown> = {
    TenantId: t.tenantId,
    SourceSystem: 'Azure AD',
    TimeGenerated: iso7(tg, rng.int(0, 9999)),
    OperationName: 'Sign-in activity',
    OperationVersion: '1.0',
    Category: s.interactive ? 'SignInLogs' : 'NonInteractiveUserSignInLogs',
    ResultType: failure?.code ?? '0',
    ResultSignature: failed ? 'None' : 'SUCCESS',
    ResultDescription: failure?.reason ?? '',
    DurationMs: 0,
    CorrelationId: ids.correlationId,
    Identity: s.user.displayName,
    Level: '4',
    Location: s.place.country,
    AlternateSignInName: s.user.upn,
    AppDisplayName: s.app.name,
    AppId: s.app.id,
    AuthenticationDetails: JSON.stringify(authDetails(s, ticks)),
    AuthenticationProcessingDetails: JSON.stringify([{ key: 'Is CAE Token', value: s.interactive ? 'False' : 'True' }]),
    AuthenticationProtocol: 'none',
    AuthenticationRequirement: mfa ? 'multiFactorAuthentication' : 'singleFactorAuthentication',
    AuthenticationRequirementPolicies: '[]',
    AutonomousSystemNumber: s.net.asn,
    ClientAppUsed: s.clientAppUsed ?? (BROWSER_APPS.has(s.app.id) ? 'Browser' : 'Mobile Apps and Desktop clients'),
    ConditionalAccessStatus: failed ? 'notApplied' : 'success',
    CreatedDateTime: ids.created,
    CrossTenantAccessType: 'none',
    HomeTenantId: t.tenantId,
    Id: ids.id,
    IncomingTokenType: s.incomingTokenType ?? 'none',
    IPAddress: s.ip,
    IsInteractive: s.interactive,
    IsRisky: (s.riskLevel ?? 'none') !== 'none',
    NetworkLocationDetails: '[]',
    OriginalRequestId: ids.id,
    OriginalTransferMethod: 'none',
    ResourceDisplayName: s.resource.name,
    ResourceIdentity: s.resource.id,
    ResourceTenantId: t.tenantId,
    RiskDetail: s.riskRemediated ? 'userPassedMFADrivenByRiskBasedPolicy' : 'none',
    RiskEventTypes: JSON.stringify(s.riskEvents ?? []),
    RiskEventTypes_V2: JSON.stringify(s.riskEvents ?? []),
    RiskLevelAggregated: s.riskLevel ?? 'none',
    RiskLevelDuringSignIn: s.riskLevel ?? 'none',
    RiskState: (s.riskLevel ?? 'none') === 'none' ? 'none' : s.riskRemediated ? 'remediated' : 'atRisk',
    ServicePrincipalId: '',
    SessionId: s.sessionId,
    TokenIssuerName: '',
    TokenIssuerType: 'AzureAD',
    Type: table,
    UniqueTokenIdentifier: ids.uti,
    UserAgent: s.ua,
    UserDisplayName: s.user.displayName,
    UserId: s.user.id,
    UserPrincipalName: s.user.upn,
    UserType: 'Member',
    AADTenantId: t.tenantId,
    _TimeReceived: iso7(received, rng.int(0, 9999)),
  };
  for (const k of JSON_IN_NONINTERACTIVE) row[k] = s.interactive ? dyn[k] : k === 'ConditionalAccessPolicies' ? (failed ? CA_TEXT_FAILED : CA_TEXT_OK) : JSON.stringify(dyn[k]);
  if (s.interactive) {
    row.ProcessingTimeInMilliseconds = String(rng.int(60, 400));
    row.Resource = 'Microsoft.aadiam';
    row.ResourceId = `/tenants/${t.tenantId}/providers/Microsoft.aadiam`;
    row.ResourceGroup = 'Microsoft.aadiam';
  } else {
    row.ProcessingTimeInMs = String(rng.int(20, 200));
    row.ResourceGroup = 'Microsoft.aadiam';
    row.SignInEventTypes = '["nonInteractiveUser"]';
  }
  emit(table, tg, row);
  return ids;
}
