// `respond`: the playbooks' containment steps for one account, run from the command line through
// the Graph client. Same guardrails: excluded accounts are refused (by object id, after resolving
// a UPN), dry-run only reads. Every step checks the current state first, so a repeat is harmless.
import { AUTH_METHOD_PATHS } from '../playbooks/workflow.js';
import type { Client } from '@microsoft/microsoft-graph-client';
import { excludedBy, type Exclusions } from './exclusions.js';
import { describeGraphError } from './graph-errors.js';

/** In the order they run: disable first so no new session is issued while the others are revoked. */
export const RESPOND_ACTIONS = ['disable', 'revoke', 'confirmCompromised', 'requirePasswordChange', 'removeAuthMethodsSince'] as const;
export type RespondAction = (typeof RESPOND_ACTIONS)[number];

/** Authentication method types that can be deleted, and their URL segment: the playbooks' table. */
const DELETABLE = AUTH_METHOD_PATHS;

/** The permission each step needs (for error messages; `grant` has the playbook side). */
const NEEDS: Record<RespondAction, string> = {
  disable: 'User.EnableDisableAccount.All and User.Read.All',
  revoke: 'User.RevokeSessions.All',
  confirmCompromised: 'IdentityRiskyUser.ReadWrite.All',
  requirePasswordChange: 'User.ReadWrite.All',
  removeAuthMethodsSince: 'UserAuthenticationMethod.ReadWrite.All',
};

export interface RespondRequest {
  user: string;
  actions: RespondAction[];
  /** For removeAuthMethodsSince: methods registered at or after this time are removed. */
  since?: Date;
  dryRun: boolean;
}

export type StepStatus = 'done' | 'already' | 'would' | 'failed' | 'skipped';

export interface StepResult {
  action: RespondAction;
  status: StepStatus;
  detail: string;
  /** Graph calls that changed state (or would, in dry-run): "METHOD /path". */
  calls: string[];
}

export interface RespondReport {
  input: string;
  user?: { id: string; userPrincipalName: string; displayName?: string };
  dryRun: boolean;
  /** ok: every step done or already so (or would be); refused: excluded account; notFound; failed: a step failed. */
  outcome: 'ok' | 'refused' | 'notFound' | 'failed';
  message?: string;
  steps: StepResult[];
}

interface UserRead {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  accountEnabled?: boolean;
}

interface Method {
  '@odata.type': string;
  id: string;
  createdDateTime?: string | null;
}

export async function respond(graph: Client, req: RespondRequest, ex: Exclusions): Promise<RespondReport> {
  const base = { input: req.user, dryRun: req.dryRun };
  // Refuse before any call when the argument itself is excluded.
  const early = excludedBy(ex, req.user);
  if (early) return { ...base, outcome: 'refused', message: `${req.user} is an excluded account (${early}); nothing was done`, steps: [] };

  let u: UserRead;
  try {
    u = (await graph.api(`/users/${encodeURIComponent(req.user)}`).select(['id', 'userPrincipalName', 'displayName', 'accountEnabled']).get()) as UserRead;
  } catch (e) {
    const f = describeGraphError(e, 'User.Read.All');
    if (f.status === 404) return { ...base, outcome: 'notFound', message: `no user ${req.user} in the tenant (Graph answered 404); nothing was done`, steps: [] };
    return { ...base, outcome: 'failed', message: `could not read user ${req.user}: ${f.text}; nothing was done`, steps: [] };
  }
  const user = { id: u.id, userPrincipalName: u.userPrincipalName, ...(u.displayName ? { displayName: u.displayName } : {}) };
  // The guardrail is by object id: a UPN resolved to an excluded id is refused too.
  const by = excludedBy(ex, u.id, u.userPrincipalName);
  if (by) return { ...base, user, outcome: 'refused', message: `${u.userPrincipalName} (${u.id}) is an excluded account (${by}); nothing was done`, steps: [] };

  const steps: StepResult[] = [];
  for (const action of RESPOND_ACTIONS) {
    if (!req.actions.includes(action)) continue;
    try {
      steps.push(await STEP[action](graph, u, req));
    } catch (e) {
      steps.push({ action, status: 'failed', detail: describeGraphError(e, NEEDS[action]).text, calls: [] });
    }
  }
  const failed = steps.some((s) => s.status === 'failed');
  return { ...base, user, outcome: failed ? 'failed' : 'ok', steps };
}

type StepFn = (graph: Client, u: UserRead, req: RespondRequest) => Promise<StepResult>;

const userPath = (u: UserRead) => `/users/${u.id}`;

const STEP: Record<RespondAction, StepFn> = {
  async disable(graph, u, req) {
    if (u.accountEnabled === false) return { action: 'disable', status: 'already', detail: 'the account is already disabled', calls: [] };
    const call = `PATCH ${userPath(u)} {"accountEnabled":false}`;
    if (req.dryRun) return { action: 'disable', status: 'would', detail: 'would disable the account', calls: [call] };
    await graph.api(userPath(u)).patch({ accountEnabled: false });
    return { action: 'disable', status: 'done', detail: 'account disabled', calls: [call] };
  },

  async revoke(graph, u, req) {
    // Revoking again is harmless (it moves signInSessionsValidFromDateTime), so it always runs.
    const call = `POST ${userPath(u)}/revokeSignInSessions`;
    if (req.dryRun) return { action: 'revoke', status: 'would', detail: 'would revoke every refresh token and session cookie', calls: [call] };
    await graph.api(`${userPath(u)}/revokeSignInSessions`).post({});
    return { action: 'revoke', status: 'done', detail: 'sign-in sessions revoked (non-CAE access tokens stay valid until they expire, up to about 90 minutes)', calls: [call] };
  },

  async confirmCompromised(graph, u, req) {
    let state: string | undefined;
    try {
      state = ((await graph.api(`/identityProtection/riskyUsers/${u.id}`).get()) as { riskState?: string }).riskState;
    } catch {
      // 404: no risk history yet. Any other error is left to the write, which reports its own.
    }
    if (state === 'confirmedCompromised') return { action: 'confirmCompromised', status: 'already', detail: 'Identity Protection already has the user confirmed compromised', calls: [] };
    const call = `POST /identityProtection/riskyUsers/confirmCompromised {"userIds":["${u.id}"]}`;
    if (req.dryRun) return { action: 'confirmCompromised', status: 'would', detail: 'would confirm the user compromised (user risk high)', calls: [call] };
    await graph.api('/identityProtection/riskyUsers/confirmCompromised').post({ userIds: [u.id] });
    return { action: 'confirmCompromised', status: 'done', detail: 'user confirmed compromised (user risk high)', calls: [call] };
  },

  async requirePasswordChange(graph, u, req) {
    // Graph does not reliably return passwordProfile on read, so the flag is simply set again.
    const call = `PATCH ${userPath(u)} {"passwordProfile":{"forceChangePasswordNextSignIn":true}}`;
    if (req.dryRun) return { action: 'requirePasswordChange', status: 'would', detail: 'would require a password change at next sign-in', calls: [call] };
    await graph.api(userPath(u)).patch({ passwordProfile: { forceChangePasswordNextSignIn: true } });
    return { action: 'requirePasswordChange', status: 'done', detail: 'password change required at next sign-in', calls: [call] };
  },

  async removeAuthMethodsSince(graph, u, req) {
    const since = req.since!;
    const list = ((await graph.api(`${userPath(u)}/authentication/methods`).get()) as { value: Method[] }).value ?? [];
    const recent = list.filter((m) => m.createdDateTime && Date.parse(m.createdDateTime) >= since.getTime());
    const undated = list.filter((m) => !m.createdDateTime && DELETABLE[m['@odata.type']]);
    const deletable = recent.filter((m) => DELETABLE[m['@odata.type']]);
    const kept = recent.filter((m) => !DELETABLE[m['@odata.type']]);
    const calls = deletable.map((m) => `DELETE ${userPath(u)}/authentication/${DELETABLE[m['@odata.type']]}/${m.id}`);
    const notes = [
      ...(kept.length ? [`kept ${kept.length} that cannot be removed this way (${kept.map((m) => shortType(m['@odata.type'])).join(', ')})`] : []),
      ...(undated.length ? [`left ${undated.length} without a registration time in place (${undated.map((m) => shortType(m['@odata.type'])).join(', ')}); check the audit log`] : []),
    ];
    const tail = notes.length ? `; ${notes.join('; ')}` : '';
    if (!deletable.length) return { action: 'removeAuthMethodsSince', status: 'already', detail: `no removable method registered since ${since.toISOString()}${tail}`, calls: [] };
    const what = deletable.map((m) => `${shortType(m['@odata.type'])} ${m.id} (${m.createdDateTime})`).join(', ');
    if (req.dryRun) return { action: 'removeAuthMethodsSince', status: 'would', detail: `would remove ${what}${tail}`, calls };
    for (const m of deletable) {
      try {
        await graph.api(`${userPath(u)}/authentication/${DELETABLE[m['@odata.type']]}/${m.id}`).delete();
      } catch (e) {
        // Already gone (a concurrent run): that is the state we want.
        if (describeGraphError(e).status !== 404) throw e;
      }
    }
    return { action: 'removeAuthMethodsSince', status: 'done', detail: `removed ${what}${tail}`, calls };
  },
};

function shortType(t: string): string {
  return t.replace('#microsoft.graph.', '').replace(/AuthenticationMethod$/, '');
}
