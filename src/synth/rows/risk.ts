// AADUserRiskEvents rows (Identity Protection detections).
import type { Place } from '../catalog.js';
import { drawLatency } from '../latency.js';
import type { Emit, Tenant, User } from '../model.js';
import type { Rng } from '../prng.js';
import { HOUR, MIN, iso3, iso7 } from '../time.js';

// Identity Protection reports its own times in milliseconds (riskDetection resource).

export interface RiskEvent {
  activityAt: number; // the sign-in (or activity) the detection is about
  user: User;
  ip: string;
  place: Place;
  type: string; // RiskEventType, e.g. anomalousToken, attackerinTheMiddle
  level: 'low' | 'medium' | 'high';
  timing: 'realtime' | 'offline';
  activity: 'signin' | 'user';
  requestId: string; // the sign-in Id
  correlationId: string; // the sign-in CorrelationId
  userAgent: string;
  remediated?: boolean;
}

/** Real-time detections arrive 5-10 min after the sign-in; offline ones hours later. Returns the arrival time. */
export function emitRiskEvent(t: Tenant, e: RiskEvent, rng: Rng, emit: Emit): number {
  let detected: number;
  let received: number;
  if (e.timing === 'realtime') {
    detected = e.activityAt;
    received = e.activityAt + drawLatency('AADUserRiskEvents', rng);
  } else {
    detected = e.activityAt + Math.round(rng.range(2, 12) * HOUR);
    received = detected + drawLatency('AADUserRiskEvents', rng);
  }
  const updated = Math.min(received - 30_000, Math.max(detected, received - rng.int(2 * MIN, 4 * MIN)));
  const row = {
    TenantId: t.tenantId,
    SourceSystem: 'Azure AD',
    TimeGenerated: iso7(updated, rng.int(0, 9999)),
    Activity: e.activity,
    ActivityDateTime: iso3(e.activityAt),
    AdditionalInfo: [{ Key: 'userAgent', Value: e.userAgent }],
    CorrelationId: e.correlationId,
    DetectedDateTime: iso3(detected),
    DetectionTimingType: e.timing,
    Id: rng.hex(64),
    IpAddress: e.ip,
    LastUpdatedDateTime: iso3(updated),
    Location: { city: e.place.city, state: e.place.state, countryOrRegion: e.place.country, geoCoordinates: { altitude: 0, latitude: e.place.lat, longitude: e.place.lon } },
    OperationName: 'User Risk Detection',
    RequestId: e.requestId,
    RiskDetail: e.remediated ? 'userPassedMFADrivenByRiskBasedPolicy' : 'none',
    RiskEventType: e.type,
    RiskLevel: e.level,
    RiskState: e.remediated ? 'remediated' : 'atRisk',
    Source: 'IdentityProtection',
    TokenIssuerType: 'AzureAD',
    UserDisplayName: e.user.displayName,
    UserId: e.user.id,
    UserPrincipalName: e.user.upn,
    Type: 'AADUserRiskEvents',
    _TimeReceived: iso7(received, rng.int(0, 9999)),
  };
  emit('AADUserRiskEvents', updated, row);
  return received;
}
