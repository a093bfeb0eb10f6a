// MicrosoftGraphActivityLogs rows: delegated Graph calls carrying the token's session and uti.
import { drawLatency } from '../latency.js';
import type { Emit, Tenant, User } from '../model.js';
import type { Rng } from '../prng.js';
import { iso7, isoSec } from '../time.js';

export interface GraphCall {
  at: number;
  user: User;
  appId: string;
  ip: string;
  ua: string;
  method: string;
  uri: string; // path after https://graph.microsoft.com/v1.0
  status: number;
  sessionId: string;
  signInActivityId: string; // uti of the token
  tokenIssuedAt: number;
  deviceId: string;
  scopes: string;
}

export function emitGraphCall(t: Tenant, g: GraphCall, rng: Rng, emit: Emit): void {
  const latency = drawLatency('MicrosoftGraphActivityLogs', rng);
  const requestId = rng.guid();
  const row = {
    AadTenantId: t.tenantId,
    ApiVersion: 'v1.0',
    AppId: g.appId,
    ClientAuthMethod: 0,
    ClientRequestId: rng.guid(),
    DeviceId: g.deviceId,
    DurationMs: rng.int(40, 900),
    IdentityProvider: `https://sts.windows.net/${t.tenantId}/`,
    IPAddress: g.ip,
    Location: 'West US 2',
    OperationId: requestId,
    RequestId: requestId,
    RequestMethod: g.method,
    RequestUri: `https://graph.microsoft.com/v1.0${g.uri}`,
    ResponseSizeBytes: rng.int(300, 60000),
    ResponseStatusCode: g.status,
    Roles: '',
    Scopes: g.scopes,
    ServicePrincipalId: '',
    SessionId: g.sessionId,
    SignInActivityId: g.signInActivityId,
    SourceSystem: 'Azure AD',
    TenantId: t.tenantId,
    TimeGenerated: iso7(g.at, rng.int(0, 9999)),
    TokenIssuedAt: isoSec(g.tokenIssuedAt), // the iat claim: whole seconds
    UserAgent: g.ua,
    UserId: g.user.id,
    Wids: 'b79fbf4d-3ef9-4689-8143-76b194e85509',
    Type: 'MicrosoftGraphActivityLogs',
    _TimeReceived: iso7(g.at + latency, rng.int(0, 9999)),
  };
  emit('MicrosoftGraphActivityLogs', g.at, row);
}
