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
    AdditionalDetails: e.userAgent ? [{ key: 'User-Agent', value: e.userAgent }] : [],
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
