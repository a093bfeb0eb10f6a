// The Microsoft Graph application permissions a playbook's managed identity needs, from its steps
// (least privilege, per the Graph reference; `grant` assigns them).
import { CONTAINMENT_STEPS, type Playbook, type Step } from './model.js';

const BY_STEP: Partial<Record<Step, string[]>> = {
  disableAccount: ['User.EnableDisableAccount.All', 'User.Read.All'],
  revokeSessions: ['User.RevokeSessions.All'],
  confirmCompromised: ['IdentityRiskyUser.ReadWrite.All'],
  // No narrower application permission is documented for passwordProfile on every tenant.
  requirePasswordChange: ['User.ReadWrite.All'],
  removeAuthMethodsSince: ['UserAuthenticationMethod.ReadWrite.All'],
  notifyUser: ['Mail.Send'],
};

export function graphPermissions(pb: Playbook): string[] {
  const out = new Set<string>();
  // Every containment playbook reads the user first (object id, mail, exclusions by id).
  if (CONTAINMENT_STEPS.some((s) => pb.steps.includes(s))) out.add('User.Read.All');
  for (const s of pb.steps) for (const p of BY_STEP[s] ?? []) out.add(p);
  return [...out].sort();
}
