// Emulations of the managed connectors our playbooks call, for the local executor:
// Microsoft Sentinel (azuresentinel) over the Sentinel incidents REST API, and an Office 365
// "Send an email (V2)" that records the mail. The field names of the connector's Accounts output
// are our reading of the Azure-Sentinel playbooks that use it (Name, UPNSuffix, AadUserId, …).
import { randomUUID } from 'node:crypto';
import type { ConnectorCall, HttpAnswer, HttpCall } from './run.js';
import { INCIDENTS_API } from '../workflow.js';

const ACCOUNT_FIELDS: Record<string, string> = {
  accountName: 'Name',
  upnSuffix: 'UPNSuffix',
  aadUserId: 'AadUserId',
  aadTenantId: 'AadTenantId',
  displayName: 'DisplayName',
  ntDomain: 'NTDomain',
  sid: 'Sid',
  objectGuid: 'ObjectGuid',
  friendlyName: 'FriendlyName',
};

function answer(statusCode: number, body: unknown): HttpAnswer {
  return { statusCode, headers: {}, body };
}

/** The azuresentinel connector: entities from the trigger payload, incident updates through ARM. */
export function sentinelConnector(opts: { armEndpoint: string; armAudience: string; http(call: HttpCall): Promise<HttpAnswer> }) {
  const arm = (method: string, path: string, body?: unknown) =>
    opts.http({ method, uri: `${opts.armEndpoint}${path}${path.includes('?') ? '&' : '?'}api-version=${INCIDENTS_API}`, headers: { 'Content-Type': 'application/json' }, body, audience: opts.armAudience });
  return async (call: ConnectorCall): Promise<HttpAnswer> => {
    const route = `${call.method.toLowerCase()} ${call.path}`;
    if (route === 'post /entities/account') {
      const entities = Array.isArray(call.body) ? call.body : [];
      const Accounts = entities
        .filter((e) => (e as { kind?: string })?.kind === 'Account')
        .map((e) => {
          const p = ((e as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
          return Object.fromEntries(Object.entries(ACCOUNT_FIELDS).filter(([k]) => p[k] !== undefined).map(([k, v]) => [v, p[k]]));
        });
      return answer(200, { Accounts });
    }
    const b = (call.body ?? {}) as { incidentArmId?: string; message?: string; severity?: string; status?: string; tagsToAdd?: { TagsToAdd?: { Tag: string }[] } };
    if (!b.incidentArmId) return answer(400, { error: { code: 'BadRequest', message: 'incidentArmId is required' } });
    if (route === 'post /Incidents/Comment') {
      return arm('PUT', `${b.incidentArmId}/comments/${randomUUID()}`, { properties: { message: b.message } });
    }
    if (route === 'put /Incidents') {
      const got = await arm('GET', b.incidentArmId);
      if (got.statusCode !== 200) return got;
      const inc = got.body as { etag: string; properties: Record<string, unknown> & { labels?: { labelName: string }[] } };
      const labels = [...(inc.properties.labels ?? [])];
      for (const t of b.tagsToAdd?.TagsToAdd ?? []) if (!labels.some((l) => l.labelName === t.Tag)) labels.push({ labelName: t.Tag, labelType: 'User' } as { labelName: string });
      const properties = { ...inc.properties, labels, ...(b.severity ? { severity: b.severity } : {}), ...(b.status ? { status: b.status } : {}) };
      return arm('PUT', b.incidentArmId, { etag: inc.etag, properties });
    }
    return answer(404, { error: { code: 'NotEmulated', message: `the azuresentinel emulation has no ${route}` } });
  };
}

export interface SentMail {
  To: string;
  Subject: string;
  Body: string;
}

/** The office365 connector's Send an email (V2): recorded, not sent. */
export function office365Connector(sink: SentMail[]) {
  return async (call: ConnectorCall): Promise<HttpAnswer> => {
    if (call.method.toLowerCase() === 'post' && call.path === '/v2/Mail') {
      sink.push(call.body as SentMail);
      return answer(200, null);
    }
    return answer(404, { error: { code: 'NotEmulated', message: `the office365 emulation has no ${call.method} ${call.path}` } });
  };
}
