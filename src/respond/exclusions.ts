// Accounts no responder may touch (break-glass, service accounts): the excluded-accounts
// watchlists named by the playbooks, and the object ids the playbooks list themselves.
import { UserError, errorsOf } from '../diagnostics.js';
import type { Config } from '../rules/config.js';
import { loadWatchlists } from '../rules/watchlists.js';
import { loadPlaybooks, type Playbook } from '../playbooks/model.js';

export const DEFAULT_EXCLUDED_WATCHLIST = 'sg_excluded_accounts';

export interface Exclusions {
  /** Lower-cased object id or UPN -> where it is excluded (file). */
  keys: Map<string, string>;
  /** Watchlists that were named but not found (a warning: the guardrail is weaker than configured). */
  missing: string[];
  playbooks: Playbook[];
}

export function loadExclusions(config: Config, cwd = process.cwd()): Exclusions {
  const wl = loadWatchlists(config.watchlists, cwd);
  const pbs = loadPlaybooks(config.playbooks, cwd);
  const errors = errorsOf([...wl.diagnostics, ...pbs.diagnostics]);
  // A broken exclusion list must stop a responder: acting on a break-glass account is the worst outcome.
  if (errors.length) throw new UserError('cannot read the excluded accounts; nothing was done', errors);
  const keys = new Map<string, string>();
  const aliases = new Set([DEFAULT_EXCLUDED_WATCHLIST, ...pbs.playbooks.map((p) => p.excludedAccountsWatchlist)]);
  const missing: string[] = [];
  for (const alias of aliases) {
    const w = wl.watchlists.find((x) => x.alias === alias);
    if (!w) {
      missing.push(alias);
      continue;
    }
    for (const row of w.rows) {
      for (const col of ['AadUserId', 'ObjectId', 'UserPrincipalName']) {
        const v = row[col]?.trim();
        if (v) keys.set(v.toLowerCase(), w.file);
      }
    }
  }
  for (const p of pbs.playbooks) for (const id of p.excludedAccountIds) keys.set(id.trim().toLowerCase(), p.file);
  return { keys, missing, playbooks: pbs.playbooks };
}

/** Where this account is excluded, or undefined. */
export function excludedBy(ex: Exclusions, ...idsOrUpns: (string | undefined)[]): string | undefined {
  for (const k of idsOrUpns) {
    const hit = k ? ex.keys.get(k.trim().toLowerCase()) : undefined;
    if (hit) return hit;
  }
  return undefined;
}
