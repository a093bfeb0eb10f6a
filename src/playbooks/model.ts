// Response playbooks: what an incident from a rule makes happen, with the guardrails around it.
import type { Diagnostic } from '../diagnostics.js';
import { readSchemaFiles } from '../rules/load.js';
import { parseDuration } from '../rules/duration.js';
import { positionOf } from '../rules/source.js';

export const STEPS = [
  'revokeSessions',
  'disableAccount',
  'confirmCompromised',
  'requirePasswordChange',
  'removeAuthMethodsSince',
  'comment',
  'setSeverity',
  'tag',
  'notifyTeams',
  'notifyEmail',
  'notifyUser',
] as const;
export type Step = (typeof STEPS)[number];

/** Steps that change the account: guarded by exclusions, blast radius and dry-run. */
export const CONTAINMENT_STEPS: readonly Step[] = ['revokeSessions', 'disableAccount', 'confirmCompromised', 'requirePasswordChange', 'removeAuthMethodsSince'];

export interface Playbook {
  file: string;
  name: string;
  description: string;
  tier?: 'contain' | 'revoke' | 'notify';
  steps: Step[];
  /** Watchlist alias listing excluded accounts by ObjectId. */
  excludedAccountsWatchlist: string;
  /** Object ids excluded besides the watchlist. */
  excludedAccountIds: string[];
  /** At most this many accounts contained per hour per workspace; beyond it: comment and notify only. */
  maxAccountsPerHour: number;
  dryRun: boolean;
  settings: PlaybookSettings;
}

/** What the steps need beyond their names. Secrets (the Teams webhook URL) are never here: they are
 * Logic App parameters given at deployment. */
export interface PlaybookSettings {
  /** removeAuthMethodsSince: methods registered this long (ms) before the incident was created, or later. */
  removeAuthMethodsSinceMs: number;
  /** setSeverity: the severity the incident is raised to. */
  severity: 'High' | 'Medium' | 'Low' | 'Informational';
  /** tag: labels added to the incident. */
  tags: string[];
  /** notifyEmail: SOC recipients (Office 365 connector); also a Logic App parameter, settable at deployment. */
  emailTo: string[];
  /** notifyUser: the mailbox the user notification is sent from (Graph sendMail); also a Logic App parameter. */
  mailSender: string;
  /** notifyUser: subject and plain-text body; empty means our default wording. */
  userSubject: string;
  userMessage: string;
}

export const PLAYBOOK_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'steps'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$', description: 'playbook name (letters, digits, - and _)' },
    description: { type: 'string' },
    tier: { enum: ['contain', 'revoke', 'notify'] },
    steps: { type: 'array', minItems: 1, items: { enum: STEPS } },
    guardrails: {
      type: 'object',
      additionalProperties: false,
      properties: {
        excludedAccounts: {
          type: 'object',
          additionalProperties: false,
          properties: {
            watchlist: { type: 'string' },
            objectIds: { type: 'array', items: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'an Entra object id (GUID)' } },
          },
        },
        maxAccountsPerHour: { type: 'integer', minimum: 0, maximum: 10000 },
        dryRun: { type: 'boolean' },
      },
    },
    settings: {
      type: 'object',
      additionalProperties: false,
      properties: {
        removeAuthMethodsSince: { type: 'string', pattern: '^(\\d+[mhd]|P(?!$)(\\d+D)?(T(?!$)(\\d+H)?(\\d+M)?)?)$', description: 'duration such as 24h or P1D' },
        severity: { enum: ['High', 'Medium', 'Low', 'Informational'] },
        tags: { type: 'array', items: { type: 'string', pattern: '^[^<>&]{1,100}$' } },
        emailTo: { type: 'array', items: { type: 'string', pattern: '^[^@\\s<>]+@[^@\\s<>]+$', description: 'e-mail address' } },
        mailSender: { type: 'string', pattern: '^[^@\\s<>]+@[^@\\s<>]+$', description: 'e-mail address' },
        userSubject: { type: 'string', maxLength: 200 },
        userMessage: { type: 'string', maxLength: 8000 },
      },
    },
  },
} as const;

/** Steps that cannot run without a setting, and the setting they need. */
const NEEDS: Partial<Record<Step, { has: (s: PlaybookSettings) => boolean; what: string }>> = {
  tag: { has: (s) => s.tags.length > 0, what: 'settings.tags (at least one label)' },
};

export function loadPlaybooks(paths: string[], cwd = process.cwd()): { playbooks: Playbook[]; diagnostics: Diagnostic[] } {
  const read = readSchemaFiles(paths, PLAYBOOK_SCHEMA, cwd);
  const playbooks: Playbook[] = [];
  const diagnostics: Diagnostic[] = [...read.diagnostics];
  for (const src of read.sources) {
    const shown = src.file;
    const raw = src.data as Record<string, unknown>;
    const g = (raw.guardrails ?? {}) as Record<string, unknown>;
    const ex = (g.excludedAccounts ?? {}) as Record<string, unknown>;
    const st = (raw.settings ?? {}) as Record<string, unknown>;
    const settings: PlaybookSettings = {
      removeAuthMethodsSinceMs: parseDuration(typeof st.removeAuthMethodsSince === 'string' ? st.removeAuthMethodsSince : '24h') ?? 86_400_000,
      severity: (st.severity as PlaybookSettings['severity']) ?? 'High',
      tags: (st.tags as string[] | undefined) ?? ['sessionguard'],
      emailTo: (st.emailTo as string[] | undefined) ?? [],
      mailSender: typeof st.mailSender === 'string' ? st.mailSender : '',
      userSubject: typeof st.userSubject === 'string' ? st.userSubject : '',
      userMessage: typeof st.userMessage === 'string' ? st.userMessage : '',
    };
    const steps = raw.steps as Step[];
    let bad = false;
    steps.forEach((step, i) => {
      const need = NEEDS[step];
      if (need && !need.has(settings)) {
        const p = positionOf(src, ['steps', i]);
        diagnostics.push({ file: shown, line: p.line, col: p.col, severity: 'error', message: `step ${step} needs ${need.what}` });
        bad = true;
      }
      if (steps.indexOf(step) !== i) {
        const p = positionOf(src, ['steps', i]);
        diagnostics.push({ file: shown, line: p.line, col: p.col, severity: 'error', message: `step ${step} is listed twice` });
        bad = true;
      }
    });
    if (settings.removeAuthMethodsSinceMs <= 0 || settings.removeAuthMethodsSinceMs > 30 * 86_400_000) {
      const p = positionOf(src, ['settings', 'removeAuthMethodsSince']);
      diagnostics.push({ file: shown, line: p.line, col: p.col, severity: 'error', message: 'removeAuthMethodsSince must be between 1m and 30d' });
      bad = true;
    }
    if (bad) continue;
    const pb: Playbook = {
      file: shown,
      name: String(raw.name),
      description: typeof raw.description === 'string' ? raw.description : '',
      tier: raw.tier as Playbook['tier'],
      steps: raw.steps as Step[],
      excludedAccountsWatchlist: typeof ex.watchlist === 'string' ? ex.watchlist : 'sg_excluded_accounts',
      excludedAccountIds: ((ex.objectIds as string[] | undefined) ?? []).map((x) => x.toLowerCase()),
      maxAccountsPerHour: typeof g.maxAccountsPerHour === 'number' ? g.maxAccountsPerHour : 10,
      dryRun: g.dryRun === true,
      settings,
    };
    if (playbooks.some((p) => p.name === pb.name)) {
      const p = positionOf(src, ['name']);
      diagnostics.push({ file: shown, line: p.line, col: p.col, severity: 'error', message: `playbook '${pb.name}' is defined twice` });
      continue;
    }
    playbooks.push(pb);
  }
  return { playbooks, diagnostics };
}
