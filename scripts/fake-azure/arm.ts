// Azure Resource Manager: an in-memory store of the resource types sessionguard manages, with ETags,
// paging, spec validation of every write, and edits "behind our back" for drift tests.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { armError, json, type FakeRequest, type FakeResponse } from './http.js';
import { noteProblems, type FakeAzure } from './server.js';
import { stagedVersions, type SpecIssue } from './specs.js';
import { alertRuleChecks } from './sentinel-checks.js';

export interface StoredResource {
  id: string;
  name: string;
  type: string;
  etag: string;
  body: Record<string, unknown>;
  apiVersion: string;
}

export interface ResourceType {
  /** ARM type, e.g. Microsoft.SecurityInsights/alertRules. */
  type: string;
  /** Regex source for the collection path; the item path is collection + /{name}. */
  collection: string;
  /** Our own checks beyond the spec (named, so tests can assert on them). */
  check?: (body: Record<string, unknown>, apiVersion: string, existing?: StoredResource) => SpecIssue[];
  /** Fills server-side properties on write (ids, timestamps, identities). */
  complete?: (stored: StoredResource) => void;
  /** The staged spec version to check a request of this api-version against, if any. */
  specVersion?: (apiVersion: string, body: Record<string, unknown>) => string | undefined;
}

const SUB = '(?<sub>[^/]+)';
const RG = '(?<rg>[^/]+)';
const WS = '(?<ws>[^/]+)';
const WS_BASE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft\\.OperationalInsights/workspaces/${WS}`;
const SI_BASE = `${WS_BASE}/providers/Microsoft\\.SecurityInsights`;
const RG_BASE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers`;

function nowIso(): string {
  return new Date().toISOString();
}

function newEtag(): string {
  return `"${randomUUID()}"`;
}

function siSpecVersion(apiVersion: string, body: Record<string, unknown>, type: string): string | undefined {
  const staged = stagedVersions(type) ?? [];
  if (staged.includes(apiVersion)) return apiVersion;
  // An older SDK version (2022-09-01-preview): check against the nearest staged one that knows the kind.
  if (body.kind === 'NRT' && staged.includes('2025-07-01-preview')) return '2025-07-01-preview';
  return staged[0];
}

export const RESOURCE_TYPES: ResourceType[] = [
  {
    type: 'Microsoft.SecurityInsights/alertRules',
    collection: `${SI_BASE}/alertRules`,
    specVersion: (v, b) => siSpecVersion(v, b, 'Microsoft.SecurityInsights/alertRules'),
    check: (b) => alertRuleChecks(b),
    complete: (r) => {
      const p = (r.body.properties ??= {}) as Record<string, unknown>;
      p.lastModifiedUtc = nowIso();
    },
  },
  {
    type: 'Microsoft.SecurityInsights/automationRules',
    collection: `${SI_BASE}/automationRules`,
    specVersion: (v, b) => siSpecVersion(v, b, 'Microsoft.SecurityInsights/automationRules'),
    complete: (r) => {
      const p = (r.body.properties ??= {}) as Record<string, unknown>;
      p.lastModifiedTimeUtc = nowIso();
      p.createdTimeUtc ??= nowIso();
    },
  },
  { type: 'Microsoft.SecurityInsights/watchlists', collection: `${SI_BASE}/watchlists` },
  { type: 'Microsoft.SecurityInsights/metadata', collection: `${SI_BASE}/metadata` },
  {
    type: 'Microsoft.Logic/workflows',
    collection: `${RG_BASE}/Microsoft\\.Logic/workflows`,
    complete: (r) => {
      const identity = r.body.identity as Record<string, unknown> | undefined;
      if (identity && identity.type === 'SystemAssigned') {
        // Stable per resource id, as a real identity is stable for the life of the workflow.
        identity.principalId ??= uuidFrom(`principal|${r.id.toLowerCase()}`);
        identity.tenantId ??= '72f988bf-86f1-41af-91ab-2d7cd011db47';
      }
      const p = (r.body.properties ??= {}) as Record<string, unknown>;
      p.changedTime = nowIso();
      p.createdTime ??= nowIso();
      p.provisioningState = 'Succeeded';
    },
  },
  { type: 'Microsoft.Web/connections', collection: `${RG_BASE}/Microsoft\\.Web/connections` },
  {
    type: 'Microsoft.Insights/workbooks',
    collection: `${RG_BASE}/Microsoft\\.Insights/workbooks`,
    specVersion: (v) => (stagedVersions('Microsoft.Insights/workbooks') ?? [])[0] ?? v,
  },
];

export function uuidFrom(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class ArmStore {
  readonly resources = new Map<string, StoredResource>();
  /** Log Analytics workspaces known to the fake: ARM id (lower) -> customerId (GUID). */
  readonly workspaces = new Map<string, { id: string; name: string; customerId: string; location: string }>();

  constructor(private readonly stateFile?: string) {
    if (stateFile && existsSync(stateFile)) {
      const s = JSON.parse(readFileSync(stateFile, 'utf8')) as { resources: StoredResource[] };
      for (const r of s.resources ?? []) this.resources.set(r.id.toLowerCase(), r);
    }
  }

  save(): void {
    if (this.stateFile) writeFileSync(this.stateFile, JSON.stringify({ resources: [...this.resources.values()] }, null, 1));
  }

  get(id: string): StoredResource | undefined {
    return this.resources.get(id.toLowerCase());
  }

  /** Resources of one type (any workspace), e.g. for assertions in tests. */
  ofType(type: string): StoredResource[] {
    return [...this.resources.values()].filter((r) => r.type.toLowerCase() === type.toLowerCase());
  }

  /** Puts a resource as someone else would (the portal, another tool): not through sessionguard. */
  put(id: string, type: string, body: Record<string, unknown>, apiVersion = 'portal'): StoredResource {
    const name = id.split('/').pop()!;
    const r: StoredResource = { id, name, type, etag: newEtag(), body: structuredClone(body), apiVersion };
    this.resources.set(id.toLowerCase(), r);
    this.save();
    return r;
  }

  /** Changes a stored resource behind the tool's back (a portal edit): new ETag. */
  edit(id: string, mutate: (body: Record<string, unknown>) => void): StoredResource {
    const r = this.get(id);
    if (!r) throw new Error(`no resource ${id}`);
    mutate(r.body);
    r.etag = newEtag();
    this.save();
    return r;
  }

  /** A portal edit that lands just before our next write to `id` arrives (an ETag conflict on demand). */
  readonly editBeforeWrite = new Map<string, (body: Record<string, unknown>) => void>();

  editOnNextWrite(id: string, mutate: (body: Record<string, unknown>) => void): void {
    this.editBeforeWrite.set(id.toLowerCase(), mutate);
  }

  delete(id: string): boolean {
    const ok = this.resources.delete(id.toLowerCase());
    this.save();
    return ok;
  }

  addWorkspace(sub: string, rg: string, name: string, customerId?: string, location = 'westeurope'): string {
    const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.OperationalInsights/workspaces/${name}`;
    const cid = customerId ?? uuidFrom(`workspace|${id.toLowerCase()}`);
    this.workspaces.set(id.toLowerCase(), { id, name, customerId: cid, location });
    return cid;
  }
}

function shape(r: StoredResource): Record<string, unknown> {
  return { ...r.body, id: r.id, name: r.name, type: r.type, etag: r.etag };
}

export function registerArm(fake: FakeAzure, store: ArmStore): void {
  // Workspaces: GET answers with a customerId so commands can go from an ARM id to the query id.
  fake.route({
    service: 'arm',
    method: 'GET',
    pattern: new RegExp(`^${WS_BASE}$`, 'i'),
    handler: (req) => {
      const id = req.path;
      const known = store.workspaces.get(id.toLowerCase());
      const customerId = known?.customerId ?? uuidFrom(`workspace|${id.toLowerCase()}`);
      return json(200, { id, name: req.params.ws, type: 'Microsoft.OperationalInsights/workspaces', location: known?.location ?? 'westeurope', properties: { customerId, provisioningState: 'Succeeded' } });
    },
  });
  for (const t of RESOURCE_TYPES) {
    fake.route({ service: 'arm', method: 'GET', pattern: new RegExp(`^${t.collection}$`, 'i'), handler: (req) => list(fake, store, t, req) });
    const item = new RegExp(`^${t.collection}/(?<name>[^/]+)$`, 'i');
    fake.route({ service: 'arm', method: 'GET', pattern: item, handler: (req) => getOne(store, req) });
    fake.route({ service: 'arm', method: 'PUT', pattern: item, handler: (req) => putOne(fake, store, t, req) });
    fake.route({ service: 'arm', method: 'DELETE', pattern: item, handler: (req) => deleteOne(store, req) });
  }
}

function needApiVersion(req: FakeRequest): string | FakeResponse {
  const v = req.query.get('api-version');
  if (!v) return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
  return v;
}

function list(fake: FakeAzure, store: ArmStore, t: ResourceType, req: FakeRequest): FakeResponse {
  const v = needApiVersion(req);
  if (typeof v !== 'string') return v;
  const prefix = req.path.toLowerCase() + '/';
  const all = [...store.resources.values()].filter((r) => r.id.toLowerCase().startsWith(prefix) && !r.id.slice(prefix.length).includes('/')).sort((a, b) => a.id.localeCompare(b.id));
  const skip = Number(req.query.get('$skipToken') ?? '0') || 0;
  const page = all.slice(skip, skip + fake.pageSize);
  const more = skip + fake.pageSize < all.length;
  // An absolute nextLink, as ARM sends it; clients must follow it verbatim.
  const nextLink = more ? `${fake.url}${req.path}?api-version=${encodeURIComponent(v)}&$skipToken=${skip + fake.pageSize}` : undefined;
  void t;
  return json(200, { value: page.map(shape), ...(nextLink ? { nextLink } : {}) });
}

function getOne(store: ArmStore, req: FakeRequest): FakeResponse {
  const v = needApiVersion(req);
  if (typeof v !== 'string') return v;
  const r = store.get(req.path);
  if (!r) return armError(404, 'NotFound', `Resource ${req.path} not found.`);
  return json(200, shape(r), { etag: r.etag });
}

function deleteOne(store: ArmStore, req: FakeRequest): FakeResponse {
  const v = needApiVersion(req);
  if (typeof v !== 'string') return v;
  return store.delete(req.path) ? { status: 200 } : { status: 204 };
}

async function putOne(fake: FakeAzure, store: ArmStore, t: ResourceType, req: FakeRequest): Promise<FakeResponse> {
  const v = needApiVersion(req);
  if (typeof v !== 'string') return v;
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: expected a JSON object.');
  if (!/application\/json/i.test(req.headers['content-type'] ?? '')) return armError(415, 'UnsupportedMediaType', 'The content media type is not supported. Content-Type must be application/json.');
  const body = structuredClone(req.body) as Record<string, unknown>;
  const concurrent = store.editBeforeWrite.get(req.path.toLowerCase());
  if (concurrent && store.get(req.path)) {
    store.editBeforeWrite.delete(req.path.toLowerCase());
    store.edit(req.path, concurrent);
  }
  const existing = store.get(req.path);
  const problems: SpecIssue[] = [...(t.check?.(body, v, existing) ?? [])];
  const checkedAt = t.specVersion?.(v, body);
  if (fake.specs && checkedAt) {
    const r = await fake.specs.check('PUT', req.path, checkedAt, body);
    problems.push(...r.issues.map((i) => ({ ...i, message: `${i.message} (spec ${t.type} ${checkedAt})` })));
  }
  if (problems.length) noteProblems(req, problems);
  if (problems.length && fake.strict) {
    return armError(
      400,
      'InvalidRequestContent',
      `The request content was invalid: ${problems.map((p) => `${p.code} ${p.path ? p.path + ': ' : ''}${p.message}`).join('; ')}`,
      problems.map((p) => ({ code: p.code, target: p.path, message: p.message })),
    );
  }
  // Optimistic concurrency: an ETag (in the body, as the Sentinel SDK sends it, or If-Match) must match.
  const ifMatch = req.headers['if-match'];
  if (existing && ifMatch && ifMatch !== '*' && ifMatch !== existing.etag) return armError(412, 'PreconditionFailed', 'The ETag in If-Match does not match the resource.');
  if (existing && typeof body.etag === 'string' && body.etag !== existing.etag) return armError(409, 'Conflict', 'Newer version of the resource exists: the ETag in the request is stale.');
  if (!existing && ifMatch && ifMatch !== '*') return armError(412, 'PreconditionFailed', 'If-Match was given for a resource that does not exist.');
  if (existing && existing.body.kind !== undefined && body.kind !== undefined && existing.body.kind !== body.kind) {
    return armError(400, 'BadRequest', `The kind of an existing resource cannot be changed (${String(existing.body.kind)} to ${String(body.kind)}).`);
  }
  delete body.etag;
  delete body.id;
  delete body.name;
  delete body.type;
  const name = req.path.split('/').pop()!;
  const stored: StoredResource = { id: existing?.id ?? req.path, name, type: t.type, etag: newEtag(), body, apiVersion: v };
  // Server-owned identity survives updates.
  if (existing?.body.identity && body.identity) (body.identity as Record<string, unknown>).principalId ??= (existing.body.identity as Record<string, unknown>).principalId;
  t.complete?.(stored);
  store.resources.set(req.path.toLowerCase(), stored);
  store.save();
  return json(existing ? 200 : 201, shape(stored), { etag: stored.etag });
}
