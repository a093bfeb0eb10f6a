// The Microsoft Graph v1.0 subset the responders use: users, sign-in session revocation, Identity
// Protection risky users, authentication methods, sendMail, and the app role assignments `grant`
// makes; plus a Teams incoming-webhook sink. State is per fake, so tests assert on effects.
import { randomUUID } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { graphError, json, type FakeRequest, type FakeResponse } from './http.js';
import { noteProblems, type FakeAzure } from './server.js';
import type { SpecIssue } from './specs.js';
import type { ArmStore } from './arm.js';
import { uuidFrom } from './arm.js';

export interface GraphAuthMethod {
  id: string;
  /** Graph type without the namespace, e.g. phoneAuthenticationMethod, fido2AuthenticationMethod. */
  type: string;
  createdDateTime: string;
}

export interface GraphUser {
  id: string;
  userPrincipalName: string;
  displayName?: string;
  mail?: string;
  accountEnabled: boolean;
  signInSessionsValidFromDateTime?: string;
  forceChangePasswordNextSignIn?: boolean;
  riskLevel?: string;
  riskState?: string;
  authMethods: GraphAuthMethod[];
}

export interface AppRole {
  id: string;
  value: string;
  displayName: string;
  allowedMemberTypes: string[];
  isEnabled: boolean;
  origin: string;
  description: string;
}

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: 'Application' | 'ManagedIdentity';
  appRoles: AppRole[];
}

export interface AppRoleAssignment {
  id: string;
  principalId: string;
  principalDisplayName: string;
  principalType: 'ServicePrincipal';
  resourceId: string;
  resourceDisplayName: string;
  appRoleId: string;
  createdDateTime: string;
}

export interface GraphMutation {
  method: string;
  path: string;
  userId?: string;
  at: string;
  /** False when the call succeeded but the state was already so (an idempotent repeat). */
  changed: boolean;
}

export interface Denial {
  id: number;
  path: RegExp | string;
  status: number;
  method?: string;
}

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Microsoft Graph application permissions (app roles) the responders use; ids are Microsoft's. */
export const GRAPH_APP_ROLES: Record<string, string> = {
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
  'User.ReadWrite.All': '741f803b-c850-494e-b5df-cde7c675a1ca',
  'User.RevokeSessions.All': '77f3a031-c388-4f99-b373-dc68676a979e',
  'User.EnableDisableAccount.All': '3011c876-62b7-4ada-afa2-506cbbecc68c',
  'IdentityRiskyUser.ReadWrite.All': '656f6061-f9fe-4807-9708-6a2e0934df76',
  'UserAuthenticationMethod.ReadWrite.All': '50483e42-d915-4231-9639-7fdb7fd190e5',
  'Mail.Send': 'b633e1c5-b582-4048-a93e-9f11b44c7e96',
};

/** URL segment per authentication method type (DELETE /users/{id}/authentication/{segment}/{id}). */
export const METHOD_SEGMENTS: Record<string, string> = {
  phoneAuthenticationMethod: 'phoneMethods',
  microsoftAuthenticatorAuthenticationMethod: 'microsoftAuthenticatorMethods',
  fido2AuthenticationMethod: 'fido2Methods',
  softwareOathAuthenticationMethod: 'softwareOathMethods',
  emailAuthenticationMethod: 'emailMethods',
  windowsHelloForBusinessAuthenticationMethod: 'windowsHelloForBusinessMethods',
};

export class GraphState {
  readonly users = new Map<string, GraphUser>();
  readonly servicePrincipals = new Map<string, ServicePrincipal>();
  readonly mutations: GraphMutation[] = [];
  readonly mail: { from: string; to: string[]; subject: string; body: string }[] = [];
  readonly webhooks: { name: string; body: unknown }[] = [];
  /** App role assignments (application permissions granted). */
  readonly permissions: AppRoleAssignment[] = [];
  readonly denials: Denial[] = [];
  readonly graphSp: ServicePrincipal;
  /** Managed identities known elsewhere (ARM resources with identity.principalId). */
  managedIdentities?: () => { principalId: string; name: string }[];
  private nextDenial = 1;

  constructor(users: (Partial<GraphUser> & { id: string; userPrincipalName: string })[] = []) {
    this.graphSp = {
      id: uuidFrom('graph-service-principal'),
      appId: GRAPH_APP_ID,
      displayName: 'Microsoft Graph',
      servicePrincipalType: 'Application',
      appRoles: Object.entries(GRAPH_APP_ROLES).map(([value, id]) => ({
        id,
        value,
        displayName: value,
        description: `Application permission ${value}`,
        allowedMemberTypes: ['Application'],
        isEnabled: true,
        origin: 'Application',
      })),
    };
    this.servicePrincipals.set(this.graphSp.id, this.graphSp);
    for (const u of users) this.addUser(u);
  }

  addUser(u: Partial<GraphUser> & { id: string; userPrincipalName: string }): GraphUser {
    const user: GraphUser = { accountEnabled: true, authMethods: [], ...structuredClone(u) };
    this.users.set(user.id.toLowerCase(), user);
    return user;
  }

  user(idOrUpn: string): GraphUser | undefined {
    const k = idOrUpn.toLowerCase();
    return this.users.get(k) ?? [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === k);
  }

  addServicePrincipal(sp: Partial<ServicePrincipal> & { id: string }): ServicePrincipal {
    const full: ServicePrincipal = { appId: randomUUID(), displayName: sp.id, servicePrincipalType: 'ManagedIdentity', appRoles: [], ...sp };
    this.servicePrincipals.set(full.id.toLowerCase(), full);
    return full;
  }

  servicePrincipal(id: string): ServicePrincipal | undefined {
    const k = id.toLowerCase();
    const own = this.servicePrincipals.get(k);
    if (own) return own;
    const mi = this.managedIdentities?.().find((m) => m.principalId.toLowerCase() === k);
    return mi ? { id: mi.principalId, appId: uuidFrom(`mi-app|${k}`), displayName: mi.name, servicePrincipalType: 'ManagedIdentity', appRoles: [] } : undefined;
  }

  /** Answer `status` (403 by default) to requests whose path matches: a missing permission. */
  deny(path: RegExp | string, status = 403, method?: string): number {
    const id = this.nextDenial++;
    this.denials.push({ id, path, status, method });
    return id;
  }

  /** Lift one denial, or all of them. */
  allow(id?: number): void {
    const keep = id === undefined ? [] : this.denials.filter((d) => d.id !== id);
    this.denials.splice(0, this.denials.length, ...keep);
  }

  /** Mutations that touched this user (by id). */
  touched(userId: string): GraphMutation[] {
    return this.mutations.filter((m) => m.userId?.toLowerCase() === userId.toLowerCase());
  }
}

// Hand-written request schemas for the calls we make (from the Graph v1.0 reference).
const uuid = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };
const SCHEMAS = {
  patchUser: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      accountEnabled: { type: 'boolean' },
      passwordProfile: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { forceChangePasswordNextSignIn: { type: 'boolean' }, forceChangePasswordNextSignInWithMfa: { type: 'boolean' }, password: { type: 'string' } },
      },
    },
  },
  revoke: { type: 'object', additionalProperties: false, properties: {} },
  confirmCompromised: { type: 'object', additionalProperties: false, required: ['userIds'], properties: { userIds: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } } } },
  sendMail: {
    type: 'object',
    additionalProperties: false,
    required: ['message'],
    properties: {
      saveToSentItems: { type: 'boolean' },
      message: {
        type: 'object',
        required: ['subject', 'body', 'toRecipients'],
        properties: {
          subject: { type: 'string' },
          body: { type: 'object', additionalProperties: false, required: ['contentType', 'content'], properties: { contentType: { enum: ['text', 'html', 'Text', 'HTML'] }, content: { type: 'string' } } },
          toRecipients: {
            type: 'array',
            minItems: 1,
            items: { type: 'object', required: ['emailAddress'], properties: { emailAddress: { type: 'object', required: ['address'], properties: { address: { type: 'string', minLength: 3 }, name: { type: 'string' } } } } },
          },
        },
      },
    },
  },
  appRoleAssignment: { type: 'object', additionalProperties: false, required: ['principalId', 'resourceId', 'appRoleId'], properties: { principalId: uuid, resourceId: uuid, appRoleId: uuid } },
} as const;

type SchemaName = keyof typeof SCHEMAS;
let compiled: Record<SchemaName, ValidateFunction> | undefined;
function validators(): Record<SchemaName, ValidateFunction> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    compiled = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, ajv.compile(s)])) as Record<SchemaName, ValidateFunction>;
  }
  return compiled;
}

const V = '/v1\\.0';
const USER = '(?<user>[^/]+)';
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const notFound = (what: string) => graphError(404, 'Request_ResourceNotFound', `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`);
const DEFAULT_USER_PROPS = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];

export function registerGraph(fake: FakeAzure, state: GraphState, arm?: ArmStore): void {
  if (arm) {
    state.managedIdentities ??= () =>
      [...arm.resources.values()].flatMap((r) => {
        const pid = (r.body.identity as { principalId?: unknown } | undefined)?.principalId;
        return typeof pid === 'string' ? [{ principalId: pid, name: r.name }] : [];
      });
  }

  /** Checks the body; on problems notes them and, in strict mode, answers 400. */
  const invalid = (req: FakeRequest, name: SchemaName, body: unknown): FakeResponse | undefined => {
    if (req.text && req.body === undefined) {
      noteProblems(req, [{ code: 'INVALID_JSON', message: 'body is not JSON', path: '' }]);
      return graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
    }
    const v = validators()[name];
    if (v(body)) return undefined;
    const issues: SpecIssue[] = (v.errors ?? []).map((e) => ({ code: `GRAPH_${e.keyword.toUpperCase()}`, message: `${e.instancePath || '/'} ${e.message ?? ''}`.trim(), path: e.instancePath }));
    noteProblems(req, issues);
    return fake.strict ? graphError(400, 'Request_BadRequest', `Invalid request body for ${name}: ${issues.map((i) => i.message).join('; ')}`) : undefined;
  };

  const record = (req: FakeRequest, changed: boolean, userId?: string) => state.mutations.push({ method: req.method, path: req.path, userId, at: new Date().toISOString(), changed });

  const route = (method: string, pattern: string, handler: (req: FakeRequest) => FakeResponse) =>
    fake.route({
      service: 'graph',
      method,
      pattern: new RegExp(`^${V}${pattern}$`, 'i'),
      handler: (req) => {
        const d = state.denials.find((x) => (!x.method || x.method.toUpperCase() === req.method) && (typeof x.path === 'string' ? req.path.toLowerCase().includes(x.path.toLowerCase()) : x.path.test(req.path)));
        if (d) return graphError(d.status, d.status === 403 ? 'Authorization_RequestDenied' : 'Request_Denied', 'Insufficient privileges to complete the operation.');
        return handler(req);
      },
    });

  const userOf = (req: FakeRequest) => state.user(decodeURIComponent(req.params.user ?? ''));

  route('GET', `/users/${USER}`, (req) => {
    const u = userOf(req);
    if (!u) return notFound(decodeURIComponent(req.params.user!));
    const select = req.query.get('$select');
    const props = select ? select.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_USER_PROPS;
    const full: Record<string, unknown> = {
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName ?? null,
      mail: u.mail ?? null,
      accountEnabled: u.accountEnabled,
      signInSessionsValidFromDateTime: u.signInSessionsValidFromDateTime ?? null,
      passwordProfile: { forceChangePasswordNextSignIn: u.forceChangePasswordNextSignIn ?? false },
      businessPhones: [],
    };
    // Like Graph, accountEnabled and the rest come back only when $select names them.
    const out: Record<string, unknown> = { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users/$entity` };
    for (const p of props) out[p] = full[p] ?? null;
    return json(200, out);
  });

  route('PATCH', `/users/${USER}`, (req) => {
    const u = userOf(req);
    if (!u) return notFound(decodeURIComponent(req.params.user!));
    const bad = invalid(req, 'patchUser', req.body);
    if (bad) return bad;
    const b = (req.body ?? {}) as { accountEnabled?: boolean; passwordProfile?: { forceChangePasswordNextSignIn?: boolean } };
    let changed = false;
    if (typeof b.accountEnabled === 'boolean' && b.accountEnabled !== u.accountEnabled) {
      u.accountEnabled = b.accountEnabled;
      changed = true;
    }
    const force = b.passwordProfile?.forceChangePasswordNextSignIn;
    if (typeof force === 'boolean' && force !== (u.forceChangePasswordNextSignIn ?? false)) {
      u.forceChangePasswordNextSignIn = force;
      changed = true;
    }
    record(req, changed, u.id);
    return { status: 204 };
  });

  route('POST', `/users/${USER}/revokeSignInSessions`, (req) => {
    const u = userOf(req);
    if (!u) return notFound(decodeURIComponent(req.params.user!));
    const bad = invalid(req, 'revoke', req.body ?? {});
    if (bad) return bad;
    u.signInSessionsValidFromDateTime = now();
    record(req, true, u.id);
    return json(200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true });
  });

  route('POST', '/identityProtection/riskyUsers/confirmCompromised', (req) => {
    const bad = invalid(req, 'confirmCompromised', req.body);
    if (bad) return bad;
    const ids = (req.body as { userIds: string[] }).userIds;
    const users = ids.map((id) => [id, state.user(id)] as const);
    const missing = users.find(([, u]) => !u);
    if (missing) return notFound(missing[0]);
    for (const [, u] of users) {
      const changed = u!.riskState !== 'confirmedCompromised';
      u!.riskState = 'confirmedCompromised';
      u!.riskLevel = 'high';
      record(req, changed, u!.id);
    }
    return { status: 204 };
  });

  route('GET', '/identityProtection/riskyUsers/(?<id>[^/]+)', (req) => {
    const u = state.user(decodeURIComponent(req.params.id!));
    // Only users with a risk history are risky users.
    if (!u || !u.riskState) return notFound(decodeURIComponent(req.params.id!));
    return json(200, {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskyUsers/$entity',
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      userDisplayName: u.displayName ?? null,
      riskLevel: u.riskLevel ?? 'none',
      riskState: u.riskState,
      riskDetail: u.riskState === 'confirmedCompromised' ? 'adminConfirmedUserCompromised' : 'none',
      isDeleted: false,
      isProcessing: false,
    });
  });

  route('GET', `/users/${USER}/authentication/methods`, (req) => {
    const u = userOf(req);
    if (!u) return notFound(decodeURIComponent(req.params.user!));
    return json(200, {
      '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users('${u.id}')/authentication/methods`,
      value: u.authMethods.map((m) => ({ '@odata.type': `#microsoft.graph.${m.type}`, id: m.id, createdDateTime: m.createdDateTime })),
    });
  });

  route('DELETE', `/users/${USER}/authentication/(?<kind>[A-Za-z]+Methods)/(?<method>[^/]+)`, (req) => {
    const u = userOf(req);
    if (!u) return notFound(decodeURIComponent(req.params.user!));
    const i = u.authMethods.findIndex((m) => m.id.toLowerCase() === req.params.method!.toLowerCase() && METHOD_SEGMENTS[m.type]?.toLowerCase() === req.params.kind!.toLowerCase());
    if (i < 0) return notFound(req.params.method!);
    u.authMethods.splice(i, 1);
    record(req, true, u.id);
    return { status: 204 };
  });

  route('POST', `/users/${USER}/sendMail`, (req) => {
    const u = userOf(req);
    if (!u) return notFound(decodeURIComponent(req.params.user!));
    const bad = invalid(req, 'sendMail', req.body);
    if (bad) return bad;
    const m = (req.body as { message: { subject: string; body: { content: string }; toRecipients: { emailAddress: { address: string } }[] } }).message;
    state.mail.push({ from: u.userPrincipalName, to: m.toRecipients.map((r) => r.emailAddress.address), subject: m.subject, body: m.body.content });
    record(req, true, u.id);
    return { status: 202 };
  });

  route('GET', '/servicePrincipals', (req) => {
    const filter = req.query.get('$filter') ?? '';
    const m = /^\s*appId\s+eq\s+'([^']*)'\s*$/i.exec(filter);
    if (filter && !m) return graphError(400, 'Request_UnsupportedQuery', `the fake supports only $filter=appId eq '…', got ${filter}`);
    const all = [...state.servicePrincipals.values()];
    const value = m ? all.filter((sp) => sp.appId.toLowerCase() === m[1]!.toLowerCase()) : all;
    return json(200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#servicePrincipals', value });
  });

  route('GET', '/servicePrincipals/(?<id>[^/]+)', (req) => {
    const sp = state.servicePrincipal(req.params.id!);
    return sp ? json(200, sp) : notFound(req.params.id!);
  });

  route('GET', '/servicePrincipals/(?<id>[^/]+)/appRoleAssignedTo', (req) => {
    const sp = state.servicePrincipal(req.params.id!);
    if (!sp) return notFound(req.params.id!);
    const all = state.permissions.filter((a) => a.resourceId.toLowerCase() === sp.id.toLowerCase());
    // Paged like Graph: an absolute @odata.nextLink with a $skiptoken.
    const skip = Number(req.query.get('$skiptoken') ?? 0) || 0;
    const size = fake.pageSize;
    const value = all.slice(skip, skip + size);
    const next = skip + size < all.length ? `${fake.url}${req.path}?$skiptoken=${skip + size}` : undefined;
    return json(200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/appRoleAssignedTo', value, ...(next ? { '@odata.nextLink': next } : {}) });
  });

  route('POST', '/servicePrincipals/(?<id>[^/]+)/appRoleAssignedTo', (req) => {
    const sp = state.servicePrincipal(req.params.id!);
    if (!sp) return notFound(req.params.id!);
    const bad = invalid(req, 'appRoleAssignment', req.body);
    if (bad) return bad;
    const b = req.body as { principalId: string; resourceId: string; appRoleId: string };
    if (b.resourceId.toLowerCase() !== sp.id.toLowerCase()) return graphError(400, 'Request_BadRequest', 'resourceId must be the service principal in the URL.');
    if (!sp.appRoles.some((r) => r.id.toLowerCase() === b.appRoleId.toLowerCase())) return graphError(400, 'Request_BadRequest', 'Permission being assigned was not found on application');
    const principal = state.servicePrincipal(b.principalId);
    if (!principal) return notFound(b.principalId);
    const dup = state.permissions.some((a) => a.resourceId === sp.id && a.principalId.toLowerCase() === b.principalId.toLowerCase() && a.appRoleId.toLowerCase() === b.appRoleId.toLowerCase());
    if (dup) return graphError(400, 'Request_BadRequest', 'Permission being assigned already exists on the object');
    const a: AppRoleAssignment = {
      id: randomUUID(),
      principalId: principal.id,
      principalDisplayName: principal.displayName,
      principalType: 'ServicePrincipal',
      resourceId: sp.id,
      resourceDisplayName: sp.displayName,
      appRoleId: b.appRoleId,
      createdDateTime: now(),
    };
    state.permissions.push(a);
    record(req, true);
    return json(201, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/appRoleAssignedTo/$entity', ...a });
  });

  // Control: seed users into a fake started by hand (npm run fake-azure), read what happened.
  fake.route({
    service: 'control',
    method: 'POST',
    pattern: /^\/_fake\/graph\/users$/i,
    handler: (req) => {
      const list = Array.isArray(req.body) ? req.body : [req.body];
      const ok = list.every((u) => u && typeof u === 'object' && typeof (u as GraphUser).id === 'string' && typeof (u as GraphUser).userPrincipalName === 'string');
      if (!ok) return graphError(400, 'BadUser', 'expected a user or an array of users, each with id and userPrincipalName');
      return json(201, list.map((u) => state.addUser(u as GraphUser)));
    },
  });
  fake.route({
    service: 'control',
    method: 'GET',
    pattern: /^\/_fake\/graph$/i,
    handler: () => json(200, { users: [...state.users.values()], mutations: state.mutations, mail: state.mail, webhooks: state.webhooks, permissions: state.permissions }),
  });

  // Teams incoming webhook: no auth (the URL is the secret); answers "1" like Teams.
  fake.route({
    service: 'webhook',
    method: 'POST',
    pattern: /^\/_fake\/webhook\/(?<name>[^/]+)$/i,
    handler: (req) => {
      state.webhooks.push({ name: req.params.name!, body: req.body ?? req.text });
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: '1' };
    },
  });
}
