// Microsoft Sentinel incidents on the fake ARM: incidents with labels and severity, their comments,
// ETags on update, and the list filter playbooks use to count recent containment.
import { randomUUID } from 'node:crypto';
import { armError, json, type FakeRequest, type FakeResponse } from './http.js';
import { noteProblems, type FakeAzure } from './server.js';

export interface IncidentLabel {
  labelName: string;
  labelType: 'User' | 'AutoAssigned';
}

export interface FakeIncident {
  id: string;
  name: string;
  etag: string;
  properties: {
    title: string;
    severity: 'High' | 'Medium' | 'Low' | 'Informational';
    status: 'New' | 'Active' | 'Closed';
    incidentNumber: number;
    labels: IncidentLabel[];
    createdTimeUtc: string;
    lastModifiedTimeUtc: string;
    relatedAnalyticRuleIds: string[];
    [k: string]: unknown;
  };
}

export interface FakeComment {
  id: string;
  name: string;
  incidentId: string;
  properties: { message: string; createdTimeUtc: string; author: { name: string } };
}

const WS = '/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\\.OperationalInsights/workspaces/(?<ws>[^/]+)/providers/Microsoft\\.SecurityInsights';
const SEVERITIES = ['High', 'Medium', 'Low', 'Informational'];
const STATUSES = ['New', 'Active', 'Closed'];

export class IncidentStore {
  readonly incidents = new Map<string, FakeIncident>();
  readonly comments: FakeComment[] = [];
  private number = 0;

  /** Files an incident in a workspace (ARM id), as an analytics rule would. */
  add(workspaceId: string, p: Partial<FakeIncident['properties']> & { title: string }, name: string = randomUUID()): FakeIncident {
    const now = new Date().toISOString();
    const inc: FakeIncident = {
      id: `${workspaceId}/providers/Microsoft.SecurityInsights/Incidents/${name}`,
      name,
      etag: `"${randomUUID()}"`,
      properties: { severity: 'Medium', status: 'New', incidentNumber: ++this.number, labels: [], createdTimeUtc: now, lastModifiedTimeUtc: now, relatedAnalyticRuleIds: [], ...p },
    };
    this.incidents.set(inc.id.toLowerCase(), inc);
    return inc;
  }

  get(id: string): FakeIncident | undefined {
    return this.incidents.get(id.toLowerCase());
  }

  commentsOf(id: string): FakeComment[] {
    return this.comments.filter((c) => c.incidentId.toLowerCase() === id.toLowerCase());
  }
}

function wsPrefix(req: FakeRequest): string {
  const p = req.params;
  return `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.OperationalInsights/workspaces/${p.ws}/providers/Microsoft.SecurityInsights`.toLowerCase();
}

/** `properties/lastModifiedTimeUtc ge <timestamp>` (the only filter the playbooks send). */
function filterOf(text: string | null): ((i: FakeIncident) => boolean) | string {
  if (!text) return () => true;
  const m = /^properties\/(lastModifiedTimeUtc|createdTimeUtc) (ge|gt) (\S+)$/.exec(text.trim());
  if (!m) return `unsupported $filter: ${text}`;
  const t = Date.parse(m[3]!.replace(/^'|'$/g, ''));
  if (Number.isNaN(t)) return `not a timestamp in $filter: ${m[3]}`;
  const key = m[1] as 'lastModifiedTimeUtc' | 'createdTimeUtc';
  return (i) => (m[2] === 'ge' ? Date.parse(i.properties[key]) >= t : Date.parse(i.properties[key]) > t);
}

function needApiVersion(req: FakeRequest): FakeResponse | null {
  return req.query.get('api-version') ? null : armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
}

export function registerIncidents(fake: FakeAzure, store: IncidentStore): void {
  fake.route({
    service: 'arm',
    method: 'GET',
    pattern: new RegExp(`^${WS}/incidents$`, 'i'),
    handler: (req) => {
      const bad = needApiVersion(req);
      if (bad) return bad;
      const f = filterOf(req.query.get('$filter'));
      if (typeof f === 'string') return armError(400, 'BadRequest', f);
      const prefix = wsPrefix(req) + '/incidents/';
      const value = [...store.incidents.values()].filter((i) => i.id.toLowerCase().startsWith(prefix) && f(i));
      return json(200, { value });
    },
  });
  fake.route({
    service: 'arm',
    method: 'GET',
    pattern: new RegExp(`^${WS}/incidents/(?<name>[^/]+)$`, 'i'),
    handler: (req) => {
      const bad = needApiVersion(req);
      if (bad) return bad;
      const inc = store.get(req.path);
      return inc ? json(200, inc, { etag: inc.etag }) : armError(404, 'NotFound', `Incident ${req.params.name} not found.`);
    },
  });
  fake.route({
    service: 'arm',
    method: 'PUT',
    pattern: new RegExp(`^${WS}/incidents/(?<name>[^/]+)$`, 'i'),
    handler: (req) => {
      const bad = needApiVersion(req);
      if (bad) return bad;
      const body = req.body as { etag?: string; properties?: Record<string, unknown> } | undefined;
      const p = body?.properties;
      const problems = [];
      if (!p || typeof p !== 'object') problems.push({ code: 'OBJECT_MISSING_REQUIRED_PROPERTY', message: 'properties is required', path: 'properties' });
      else {
        if (typeof p.title !== 'string' || !p.title) problems.push({ code: 'OBJECT_MISSING_REQUIRED_PROPERTY', message: 'title is required', path: 'properties.title' });
        if (!SEVERITIES.includes(String(p.severity))) problems.push({ code: 'ENUM_MISMATCH', message: `severity ${String(p.severity)}`, path: 'properties.severity' });
        if (!STATUSES.includes(String(p.status))) problems.push({ code: 'ENUM_MISMATCH', message: `status ${String(p.status)}`, path: 'properties.status' });
        const labels = p.labels;
        if (labels !== undefined && (!Array.isArray(labels) || labels.some((l) => typeof (l as IncidentLabel)?.labelName !== 'string'))) {
          problems.push({ code: 'INVALID_TYPE', message: 'labels must be [{labelName, labelType}]', path: 'properties.labels' });
        }
      }
      if (problems.length) {
        noteProblems(req, problems);
        return armError(400, 'BadRequest', problems.map((x) => `${x.path}: ${x.message}`).join('; '));
      }
      const existing = store.get(req.path);
      if (existing && body!.etag && body!.etag !== existing.etag) return armError(409, 'Conflict', 'Newer version of the incident exists: the ETag in the request is stale.');
      const inc: FakeIncident = existing ?? store.add(req.path.split('/providers/Microsoft.SecurityInsights/')[0]!, { title: String(p!.title) }, req.params.name);
      const created = inc.properties.createdTimeUtc;
      const number = inc.properties.incidentNumber;
      inc.properties = { ...inc.properties, ...(p as FakeIncident['properties']), createdTimeUtc: created, incidentNumber: number, lastModifiedTimeUtc: new Date().toISOString() };
      inc.etag = `"${randomUUID()}"`;
      return json(existing ? 200 : 201, inc);
    },
  });
  fake.route({
    service: 'arm',
    method: 'PUT',
    pattern: new RegExp(`^${WS}/incidents/(?<name>[^/]+)/comments/(?<comment>[^/]+)$`, 'i'),
    handler: (req) => {
      const bad = needApiVersion(req);
      if (bad) return bad;
      const incId = req.path.replace(/\/comments\/[^/]+$/i, '');
      const inc = store.get(incId);
      if (!inc) return armError(404, 'NotFound', `Incident ${req.params.name} not found.`);
      const message = (req.body as { properties?: { message?: unknown } } | undefined)?.properties?.message;
      if (typeof message !== 'string' || !message) {
        noteProblems(req, [{ code: 'OBJECT_MISSING_REQUIRED_PROPERTY', message: 'message is required', path: 'properties.message' }]);
        return armError(400, 'BadRequest', 'properties.message is required');
      }
      if (message.length > 30_000) return armError(400, 'BadRequest', 'a comment may be at most 30000 characters');
      const c: FakeComment = { id: req.path, name: req.params.comment!, incidentId: inc.id, properties: { message, createdTimeUtc: new Date().toISOString(), author: { name: 'playbook' } } };
      store.comments.push(c);
      inc.properties.lastModifiedTimeUtc = c.properties.createdTimeUtc;
      return json(201, c);
    },
  });
  fake.route({
    service: 'arm',
    method: 'GET',
    pattern: new RegExp(`^${WS}/incidents/(?<name>[^/]+)/comments$`, 'i'),
    handler: (req) => {
      const bad = needApiVersion(req);
      if (bad) return bad;
      return json(200, { value: store.commentsOf(req.path.replace(/\/comments$/i, '')) });
    },
  });
}
