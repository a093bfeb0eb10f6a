// Opens a detection repository: configuration, watchlists and rules, validated with their KQL.
// The commands (validate, build, fmt, test, …) all start here.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Diagnostic } from './diagnostics.js';
import type { RuleInput } from './compile/build.js';
import { KqlCache } from './kql/cache.js';
import { checkRuleKql } from './kql/check.js';
import type { SchemaEnv } from './kql/kusto.js';
import { loadConfig, type Config } from './rules/config.js';
import { loadRules } from './rules/load.js';
import { positionInScalar, positionOf } from './rules/source.js';
import { loadWatchlists, type Watchlist } from './rules/watchlists.js';
import { checkResponses } from './playbooks/automation.js';
import { loadPlaybooks, type Playbook } from './playbooks/model.js';

export interface Project {
  config: Config;
  rules: RuleInput[];
  watchlists: Watchlist[];
  playbooks: Playbook[];
  env: SchemaEnv;
  cache: KqlCache;
  diagnostics: Diagnostic[];
}

export interface OpenOptions {
  /** Rule files or folders; default: the configuration's `rules`. */
  paths?: string[];
  /** Keep the KQL cache in memory only. */
  noCache?: boolean;
}

export function openProject(cwd: string, opts: OpenOptions = {}): Project {
  const { config, diagnostics } = loadConfig(cwd);
  const wl = loadWatchlists(config.watchlists, cwd);
  diagnostics.push(...wl.diagnostics);
  const env: SchemaEnv = { watchlists: Object.fromEntries(wl.watchlists.map((w) => [w.alias, w.columns])) };
  const cache = new KqlCache(opts.noCache ? null : join(config.root, '.sessionguard', 'cache', 'kql.json'));
  const paths = opts.paths?.length ? opts.paths : config.rules;
  const loaded = loadRules(paths, cwd);
  diagnostics.push(...loaded.diagnostics);
  const rules: RuleInput[] = [];
  for (const rule of loaded.rules) {
    const k = checkRuleKql(rule, env, cache);
    diagnostics.push(...k.diagnostics);
    if (!k.diagnostics.some((d) => d.severity === 'error')) rules.push({ rule, analysis: k.analysis });
    for (const alias of k.analysis.watchlists) {
      if (!wl.watchlists.some((w) => w.alias === alias)) {
        const m = new RegExp(`_GetWatchlist\\s*\\(\\s*['"]${alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]`).exec(rule.query);
        const p = m ? positionInScalar(rule.source, ['query'], m.index) : positionOf(rule.source, ['query']);
        const where = config.watchlists.map((d) => relative(cwd, d) || '.').join(', ');
        diagnostics.push({ file: rule.file, line: p.line, col: p.col, severity: 'warning', message: `watchlist '${alias}' has no local definition in ${where}; its columns are not checked` });
      }
    }
  }
  cache.save();
  const pbs = loadPlaybooks(config.playbooks.filter((d) => existsSync(d)), cwd);
  diagnostics.push(...pbs.diagnostics, ...checkResponses(loaded.rules, pbs.playbooks));
  return { config, rules, watchlists: wl.watchlists, playbooks: pbs.playbooks, env, cache, diagnostics };
}
