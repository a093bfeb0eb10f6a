// AuditLogs rows: security info registration and device registration.
import { drawLatency } from '../latency.js';
import type { Emit, Tenant, User } from '../model.js';
import type { Rng } from '../prng.js';
import { iso7 } from '../time.js';

export interface AuditEvent {
  at: number;
  user: User; // initiator (and target for self-service operations)
  ip: string;
  operation: string;
  category: string;
  service: string; // LoggedByService
  operationType: string; // AADOperationType
  resultReason?: string;
  target?: { id: string; displayName: string; type: string; modifiedProperties?: unknown[] };
  userAgent?: string;
  details?: { key: string; value: string }[]; // further AdditionalDetails
  correlationId?: string;
}

export function emitAudit(t: Tenant, e: AuditEvent, rng: Rng, emit: Emit): string {
  const latency = drawLatency('AuditLogs', rng);
  const ticks = rng.int(0, 9999);
  const correlationId = e.correlationId ?? rng.guid();
  const target = e.target ?? { id: e.user.id, displayName: e.user.displayName, type: 'User' };
  const svcTag = e.service === 'Core Directory' ? 'Directory' : e.service.replace(/\s+/g, '');
  const row: Record<string, unknown> = {
    TenantId: t.tenantId,
    SourceSystem: 'Azure AD',
    TimeGenerated: iso7(e.at, ticks),
    ResourceId: `/tenants/${t.tenantId}/providers/Microsoft.aadiam`,
    OperationName: e.operation,
    OperationVersion: '1.0',
    Category: e.category,
    ResultSignature: 'None',
    ResultReason: e.resultReason ?? '',
    DurationMs: 0,
    CorrelationId: correlationId,
    Resource: 'Microsoft.aadiam',
    ResourceGroup: 'Microsoft.aadiam',
    Level: '4',
    AdditionalDetails: [...(e.userAgent ? [{ key: 'User-Agent', value: e.userAgent }] : []), ...(e.details ?? [])],
    Id: `${svcTag}_${correlationId}_${rng.hex(5).toUpperCase()}_${rng.int(10000000, 99999999)}`,
    InitiatedBy: { user: { id: e.user.id, displayName: null, userPrincipalName: e.user.upn, ipAddress: e.ip, roles: [] } },
    LoggedByService: e.service,
    Result: 'success',
    ResultDescription: '',
    TargetResources: [
      {
        id: target.id,
        displayName: target.displayName,
        type: target.type,
        userPrincipalName: target.type === 'User' ? e.user.upn : null,
        modifiedProperties: target.modifiedProperties ?? [],
        administrativeUnits: [],
      },
    ],
    AADTenantId: t.tenantId,
    ActivityDisplayName: e.operation,
    ActivityDateTime: iso7(e.at, ticks),
    AADOperationType: e.operationType,
    Identity: '',
    Type: 'AuditLogs',
    _TimeReceived: iso7(e.at + latency, rng.int(0, 9999)),
  };
  emit('AuditLogs', e.at, row);
  return correlationId;
}

/** Self-service security info registration as Entra logs it (Storm-1167 added a phone this way). */
export function securityInfoRegistered(t: Tenant, user: User, at: number, ip: string, method: string, ua: string, rng: Rng, emit: Emit): void {
  const base = { user, ip, category: 'UserManagement', service: 'Authentication Methods', userAgent: ua };
  const corr = rng.guid();
  emitAudit(t, { ...base, at, operation: 'User started security info registration', operationType: 'Add', resultReason: 'User started the registration for Mobile app notification', correlationId: corr }, rng, emit);
  emitAudit(t, { ...base, at: at + rng.int(20, 90) * 1000, operation: 'User registered security info', operationType: 'Add', resultReason: `User registered ${method}`, correlationId: corr }, rng, emit);
}

/** A device joining or registering with Entra ID, as the directory logs it (one correlation id). */
export function deviceRegistered(t: Tenant, user: User, at: number, ip: string, device: { objectId: string; deviceId: string; displayName: string; trustType: 'AzureAd' | 'Workplace' }, rng: Rng, emit: Emit): void {
  const target = { id: device.objectId, displayName: device.displayName, type: 'Device' };
  const correlationId = rng.guid();
  const details = [
    { key: 'Device Id', value: device.deviceId },
    { key: 'Device OS', value: 'Windows' },
    { key: 'Device Trust Type', value: device.trustType },
  ];
  const ops: [string, string, string, number][] = [
    ['Register device', 'Device Registration Service', 'Add', 0],
    ['Add device', 'Core Directory', 'Add', 600],
    ['Add registered owner to device', 'Core Directory', 'Assign', 1200],
    ['Add registered users to device', 'Core Directory', 'Assign', 1500],
  ];
  for (const [operation, service, operationType, dt] of ops) emitAudit(t, { at: at + dt, user, ip, operation, category: 'Device', service, operationType, target, correlationId, details }, rng, emit);
}
