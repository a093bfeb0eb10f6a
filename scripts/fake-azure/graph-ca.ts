// Microsoft Graph Conditional Access endpoints of the fake: policies and named locations under
// /v1.0 and /beta /identity/conditionalAccess/. Request bodies are checked against a hand-written
// subset of Graph's resource shapes (Graph's metadata is not staged); errors are Graph-shaped.
import { randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import { graphError, json, type FakeRequest, type FakeResponse } from './http.js';
import { noteProblems, type FakeAzure } from './server.js';

type Obj = Record<string, unknown>;

/** Policies and named locations by id, as Graph would store them. Tests read and edit it directly. */
export class ConditionalAccessState {
  readonly policies = new Map<string, Obj>();
  readonly namedLocations = new Map<string, Obj>();

  /** Adds a policy as if made in the portal (for "never touch what is not ours" tests). */
  addPolicy(body: Obj): Obj {
    const p = policyResource({ ...body, id: randomUUID() });
    this.policies.set(p.id as string, p);
    return p;
  }
}

const strs = { type: 'array', items: { type: 'string' } };
const nullable = (s: object) => ({ anyOf: [{ type: 'null' }, s] });
const sessionControl = (extra: Obj = {}) => ({ type: 'object', additionalProperties: false, properties: { isEnabled: { type: 'boolean' }, ...extra } });

function policySchema(beta: boolean, create: boolean) {
  return {
    type: 'object',
    additionalProperties: false,
    ...(create ? { required: ['displayName', 'state', 'conditions'] } : {}),
    properties: {
      displayName: { type: 'string', minLength: 1, maxLength: 256 },
      state: { enum: ['enabled', 'disabled', 'enabledForReportingButNotEnforced'] },
      conditions: {
        type: 'object',
        additionalProperties: false,
        required: ['users', 'applications', 'clientAppTypes'],
        properties: {
          users: { type: 'object', additionalProperties: false, properties: Object.fromEntries(['includeUsers', 'excludeUsers', 'includeGroups', 'excludeGroups', 'includeRoles', 'excludeRoles'].map((k) => [k, strs])) },
          applications: { type: 'object', additionalProperties: false, properties: { includeApplications: strs, excludeApplications: strs, includeUserActions: strs } },
          clientApplications: nullable({ type: 'object', additionalProperties: false, properties: { includeServicePrincipals: strs, excludeServicePrincipals: strs } }),
          clientAppTypes: { type: 'array', minItems: 1, items: { enum: ['all', 'browser', 'mobileAppsAndDesktopClients', 'exchangeActiveSync', 'easSupported', 'other'] } },
          platforms: nullable({ type: 'object', additionalProperties: false, properties: { includePlatforms: strs, excludePlatforms: strs } }),
          locations: nullable({ type: 'object', additionalProperties: false, properties: { includeLocations: strs, excludeLocations: strs } }),
          devices: nullable({ type: 'object', additionalProperties: false, properties: { deviceFilter: { type: 'object', required: ['mode', 'rule'], additionalProperties: false, properties: { mode: { enum: ['include', 'exclude'] }, rule: { type: 'string' } } } } }),
          signInRiskLevels: { type: 'array', items: { enum: ['low', 'medium', 'high', 'hidden', 'none'] } },
          userRiskLevels: { type: 'array', items: { enum: ['low', 'medium', 'high', 'hidden', 'none'] } },
          authenticationFlows: nullable({ type: 'object', additionalProperties: false, properties: { transferMethods: { type: 'string' } } }),
        },
      },
      grantControls: nullable({
        type: 'object',
        additionalProperties: false,
        required: ['operator'],
        properties: {
          operator: { enum: ['AND', 'OR'] },
          builtInControls: { type: 'array', items: { enum: ['block', 'mfa', 'compliantDevice', 'domainJoinedDevice', 'approvedApplication', 'compliantApplication', 'passwordChange'] } },
          authenticationStrength: nullable({ type: 'object', required: ['id'], properties: { id: { type: 'string' } } }),
          termsOfUse: strs,
          customAuthenticationFactors: strs,
        },
      }),
      sessionControls: nullable({
        type: 'object',
        additionalProperties: false,
        properties: {
          signInFrequency: nullable(sessionControl({ type: nullable({ enum: ['hours', 'days'] }), value: nullable({ type: 'integer' }), frequencyInterval: { enum: ['timeBased', 'everyTime'] }, authenticationType: { enum: ['primaryAndSecondaryAuthentication', 'secondaryAuthentication'] } })),
          persistentBrowser: nullable(sessionControl({ mode: { enum: ['always', 'never'] } })),
          applicationEnforcedRestrictions: nullable(sessionControl()),
          cloudAppSecurity: nullable(sessionControl({ cloudAppSecurityType: { type: 'string' } })),
          disableResilienceDefaults: nullable({ type: 'boolean' }),
          // Token protection exists only in the beta API.
          ...(beta ? { secureSignInSession: nullable(sessionControl()) } : {}),
        },
      }),
    },
  };
}

const locationSchema = {
  type: 'object',
  required: ['@odata.type', 'displayName'],
  properties: {
    '@odata.type': { enum: ['#microsoft.graph.ipNamedLocation', '#microsoft.graph.countryNamedLocation'] },
    displayName: { type: 'string', minLength: 1, maxLength: 256 },
    isTrusted: { type: 'boolean' },
    ipRanges: { type: 'array', items: { type: 'object', required: ['@odata.type', 'cidrAddress'], additionalProperties: false, properties: { '@odata.type': { enum: ['#microsoft.graph.iPv4CidrRange', '#microsoft.graph.iPv6CidrRange'] }, cidrAddress: { type: 'string' } } } },
    countriesAndRegions: strs,
    includeUnknownCountriesAndRegions: { type: 'boolean' },
    countryLookupMethod: { enum: ['clientIpAddress', 'authenticatorAppGps'] },
  },
  additionalProperties: false,
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = {
  'v1.0:create': ajv.compile(policySchema(false, true)),
  'v1.0:update': ajv.compile(policySchema(false, false)),
  'beta:create': ajv.compile(policySchema(true, true)),
  'beta:update': ajv.compile(policySchema(true, false)),
  location: ajv.compile(locationSchema),
};

/** Graph returns every property, null or empty where unset. */
function policyResource(p: Obj): Obj {
  const c = (p.conditions ?? {}) as Obj;
  const now = new Date().toISOString();
  return {
    id: p.id,
    templateId: null,
    displayName: p.displayName,
    createdDateTime: p.createdDateTime ?? now,
    modifiedDateTime: p.modifiedDateTime ?? null,
    state: p.state,
    conditions: {
      userRiskLevels: [],
      signInRiskLevels: [],
      clientAppTypes: ['all'],
      platforms: null,
      locations: null,
      devices: null,
      clientApplications: null,
      authenticationFlows: null,
      ...c,
      applications: { includeApplications: [], excludeApplications: [], includeUserActions: [], ...((c.applications ?? {}) as Obj) },
      users: { includeUsers: [], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [], ...((c.users ?? {}) as Obj) },
    },
    grantControls: p.grantControls ?? null,
    sessionControls: p.sessionControls ?? null,
  };
}

function problemsOf(v: ReturnType<typeof ajv.compile>, body: unknown): { code: string; message: string; path: string }[] {
  if (v(body)) return [];
  return (v.errors ?? []).map((e) => ({ code: e.keyword, message: `${e.instancePath || '/'} ${e.message ?? ''}${e.keyword === 'additionalProperties' ? ` '${String((e.params as Obj).additionalProperty)}'` : ''}`, path: e.instancePath }));
}

function invalid(req: FakeRequest, fake: FakeAzure, problems: { code: string; message: string; path: string }[]): FakeResponse | null {
  if (!problems.length) return null;
  noteProblems(req, problems);
  return fake.strict || problems.some((p) => p.code === 'semantic') ? graphError(400, 'BadRequest', problems.map((p) => p.message).join('; ')) : null;
}

/** Checks Graph makes beyond the shape: block alone, referenced named locations exist. */
function semantic(state: ConditionalAccessState, body: Obj): { code: string; message: string; path: string }[] {
  const out: { code: string; message: string; path: string }[] = [];
  const g = body.grantControls as Obj | null | undefined;
  const controls = (g?.builtInControls as string[] | undefined) ?? [];
  if (controls.includes('block') && controls.length > 1) out.push({ code: 'semantic', message: 'block cannot be combined with other controls', path: '/grantControls/builtInControls' });
  const loc = (body.conditions as Obj | undefined)?.locations as Obj | null | undefined;
  for (const k of ['includeLocations', 'excludeLocations']) {
    for (const ref of (loc?.[k] as string[] | undefined) ?? []) {
      if (ref !== 'All' && ref !== 'AllTrusted' && !state.namedLocations.has(ref)) out.push({ code: 'semantic', message: `named location ${ref} does not exist`, path: `/conditions/locations/${k}` });
    }
  }
  return out;
}

function page(fake: FakeAzure, req: FakeRequest, all: Obj[], context: string): FakeResponse {
  const skip = Number(req.query.get('$skiptoken') ?? 0) || 0;
  const items = all.slice(skip, skip + fake.pageSize);
  const more = skip + fake.pageSize < all.length;
  return json(200, { '@odata.context': context, value: items, ...(more ? { '@odata.nextLink': `${fake.url}${req.path}?$skiptoken=${skip + fake.pageSize}` } : {}) });
}

export function registerConditionalAccess(fake: FakeAzure, state: ConditionalAccessState): void {
  const base = '^/(?<ver>v1\\.0|beta)/identity/conditionalAccess';
  const notFound = (what: string, id: string) => graphError(404, 'ResourceNotFound', `${what} '${id}' was not found`);
  const route = (method: string, path: string, handler: (r: FakeRequest) => FakeResponse) => fake.route({ service: 'graph', method, pattern: new RegExp(`${base}${path}$`, 'i'), handler });

  route('GET', '/policies', (r) => page(fake, r, [...state.policies.values()], `${fake.url}/${r.params.ver}/$metadata#identity/conditionalAccess/policies`));
  route('GET', '/policies/(?<id>[^/]+)', (r) => {
    const p = state.policies.get(r.params.id!);
    return p ? json(200, p) : notFound('policy', r.params.id!);
  });
  route('POST', '/policies', (r) => {
    const v = r.params.ver === 'beta' ? validators['beta:create'] : validators['v1.0:create'];
    const bad = invalid(r, fake, [...problemsOf(v, r.body), ...(r.body && typeof r.body === 'object' ? semantic(state, r.body as Obj) : [])]);
    if (bad) return bad;
    const p = policyResource({ ...(r.body as Obj), id: randomUUID() });
    state.policies.set(p.id as string, p);
    return json(201, { '@odata.context': `${fake.url}/${r.params.ver}/$metadata#identity/conditionalAccess/policies/$entity`, ...p });
  });
  route('PATCH', '/policies/(?<id>[^/]+)', (r) => {
    const cur = state.policies.get(r.params.id!);
    if (!cur) return notFound('policy', r.params.id!);
    const v = r.params.ver === 'beta' ? validators['beta:update'] : validators['v1.0:update'];
    const bad = invalid(r, fake, [...problemsOf(v, r.body), ...(r.body && typeof r.body === 'object' ? semantic(state, r.body as Obj) : [])]);
    if (bad) return bad;
    // Complex properties sent are replaced whole.
    state.policies.set(cur.id as string, policyResource({ ...cur, ...(r.body as Obj), modifiedDateTime: new Date().toISOString() }));
    return { status: 204 };
  });
  route('DELETE', '/policies/(?<id>[^/]+)', (r) => (state.policies.delete(r.params.id!) ? { status: 204 } : notFound('policy', r.params.id!)));

  route('GET', '/namedLocations', (r) => page(fake, r, [...state.namedLocations.values()], `${fake.url}/${r.params.ver}/$metadata#identity/conditionalAccess/namedLocations`));
  route('GET', '/namedLocations/(?<id>[^/]+)', (r) => {
    const l = state.namedLocations.get(r.params.id!);
    return l ? json(200, l) : notFound('namedLocation', r.params.id!);
  });
  route('POST', '/namedLocations', (r) => {
    const bad = invalid(r, fake, problemsOf(validators.location, r.body));
    if (bad) return bad;
    const l = { ...(r.body as Obj), id: randomUUID(), createdDateTime: new Date().toISOString(), modifiedDateTime: new Date().toISOString() };
    state.namedLocations.set(l.id, l);
    return json(201, l);
  });
  route('PATCH', '/namedLocations/(?<id>[^/]+)', (r) => {
    const cur = state.namedLocations.get(r.params.id!);
    if (!cur) return notFound('namedLocation', r.params.id!);
    const next = { ...cur, ...(r.body as Obj) };
    const shape = Object.fromEntries(Object.entries(next).filter(([k]) => !['id', 'createdDateTime', 'modifiedDateTime'].includes(k)));
    // Graph wants the @odata.type on an update and refuses to change it.
    const problems = problemsOf(validators.location, shape);
    if ((r.body as Obj | undefined)?.['@odata.type'] !== cur['@odata.type']) problems.push({ code: 'semantic', message: '@odata.type is required and cannot change', path: '/@odata.type' });
    const bad = invalid(r, fake, problems);
    if (bad) return bad;
    state.namedLocations.set(cur.id as string, { ...next, modifiedDateTime: new Date().toISOString() });
    return { status: 204 };
  });
  route('DELETE', '/namedLocations/(?<id>[^/]+)', (r) => {
    if (!state.namedLocations.has(r.params.id!)) return notFound('namedLocation', r.params.id!);
    const used = [...state.policies.values()].some((p) => JSON.stringify((p.conditions as Obj).locations ?? null).includes(r.params.id!));
    if (used) return graphError(400, 'BadRequest', `named location ${r.params.id} is used by a policy`);
    state.namedLocations.delete(r.params.id!);
    return { status: 204 };
  });
}
