// Response playbooks: what an incident from a rule makes happen, with the guardrails around it.
import { relative } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { checkSchema } from '../rules/check.js';
import { findRuleFiles } from '../rules/load.js';
import { positionOf, readYamlFile } from '../rules/source.js';

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
          properties: { watchlist: { type: 'string' }, objectIds: { type: 'array', items: { type: 'string' } } },
        },
        maxAccountsPerHour: { type: 'integer', minimum: 0, maximum: 10000 },
        dryRun: { type: 'boolean' },
      },
    },
  },
} as const;

export function loadPlaybooks(paths: string[], cwd = process.cwd()): { playbooks: Playbook[]; diagnostics: Diagnostic[] } {
  const { files } = findRuleFiles(paths);
  const playbooks: Playbook[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const shown = relative(cwd, f) || f;
    const read = readYamlFile(f);
    if (!read.ok) {
      diagnostics.push(...read.diagnostics.map((d) => ({ ...d, file: shown })));
      continue;
    }
    const src = { ...read.source, file: shown };
    const errs = checkSchema(src, PLAYBOOK_SCHEMA);
    diagnostics.push(...errs);
    if (errs.length) continue;
    const raw = src.data as Record<string, unknown>;
    const g = (raw.guardrails ?? {}) as Record<string, unknown>;
    const ex = (g.excludedAccounts ?? {}) as Record<string, unknown>;
    const pb: Playbook = {
      file: shown,
      name: String(raw.name),
      description: typeof raw.description === 'string' ? raw.description : '',
      tier: raw.tier as Playbook['tier'],
      steps: raw.steps as Step[],
      excludedAccountsWatchlist: typeof ex.watchlist === 'string' ? ex.watchlist : 'sg_excluded_accounts',
      excludedAccountIds: (ex.objectIds as string[] | undefined) ?? [],
      maxAccountsPerHour: typeof g.maxAccountsPerHour === 'number' ? g.maxAccountsPerHour : 10,
      dryRun: g.dryRun === true,
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
