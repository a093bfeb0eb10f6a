// `sessionguard simulate`: replay recorded logs through a workspace's rules and playbooks, and measure
// time to detect and to respond against the ground truth.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { WorkspaceOutput } from '../compile/build.js';
import { DEFAULT_DELAYS } from '../compile/ingestion.js';
import { UserError } from '../diagnostics.js';
import { LogSession } from '../engine/session.js';
import { TICKS_PER_MS } from '../engine/values.js';
import type { Playbook } from '../playbooks/model.js';
import type { Project } from '../project.js';
import { loadWatchlists, type Watchlist } from '../rules/watchlists.js';
import { directoryOf, localEngine } from './local.js';
import { attackOutcomes, incidentAccounts, replay, type AttackLabel, type AttackOutcome, type ReplayResult } from './replay.js';

export interface SimulateInput {
  project: Project;
  output: WorkspaceOutput;
  playbooks: Playbook[];
  logs: string[];
  labels?: string;
  watchlistDirs?: string[];
  playbookLatencyMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SimulateReport {
  workspace: string;
  start: Date;
  end: Date;
  result: ReplayResult;
  directory: Map<string, string>;
  attacks: AttackOutcome[];
  labels: AttackLabel[];
  /** Incidents on accounts no label names. */
  benignIncidents: number[];
  loadSeconds: number;
  replaySeconds: number;
  /** Attack id -> when the first attacker row on the account became visible (ms), if found. */
  firstIngested: Map<string, number | null>;
}

/** When the first sign-in or audit row of `upn` at or after `start` was ingested. */
function firstIngestion(session: LogSession, upn: string, start: number): number | null {
  const who = upn.toLowerCase();
  let best: number | null = null;
  for (const name of ['SigninLogs', 'AADNonInteractiveUserSignInLogs']) {
    const t = session.table(name);
    if (!t) continue;
    const u = t.cols.find((c) => c.name === 'UserPrincipalName')?.data;
    const tg = t.cols.find((c) => c.name === 'TimeGenerated')?.data;
    const ing = t.cols.find((c) => c.name === '_TimeReceived')?.data;
    const created = t.cols.find((c) => c.name === 'CreatedDateTime')?.data;
    if (!u || !tg || !ing) continue;
    for (let i = 0; i < t.n; i++) {
      if (typeof u[i] !== 'string' || (u[i] as string).toLowerCase() !== who) continue;
      const when = Number(((created?.[i] ?? tg[i]) as bigint) / TICKS_PER_MS);
      if (when < start) continue;
      const v = Number((ing[i] as bigint) / TICKS_PER_MS);
      if (best === null || v < best) best = v;
    }
  }
  return best;
}

export function readLabels(file: string): AttackLabel[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}:1:1: expected a JSON array of {"id","account","start"}: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new UserError(`${file}:1:1: expected a JSON array of {"id","account","start"}`);
  return data.map((l, i) => {
    const o = l as Record<string, unknown>;
    if (!o || typeof o.id !== 'string' || typeof o.account !== 'string' || typeof o.start !== 'string' || Number.isNaN(Date.parse(o.start)))
      throw new UserError(`${file}: element ${i + 1}: expected {"id": string, "account": UPN, "start": ISO time}`);
    if (o.firstTokenUse !== undefined && (typeof o.firstTokenUse !== 'string' || Number.isNaN(Date.parse(o.firstTokenUse))))
      throw new UserError(`${file}: element ${i + 1}: "firstTokenUse" must be an ISO time`);
    return { id: o.id, account: o.account, start: o.start, ...(typeof o.firstTokenUse === 'string' ? { firstTokenUse: o.firstTokenUse } : {}) };
  });
}

/** The tenant's own watchlists beside the logs (`<logs>/watchlists/`) win over the repository's. */
export function watchlistsFor(project: Project, logs: string[], extraDirs: string[] = []): Watchlist[] {
  const dirs = [...extraDirs];
  for (const l of logs) {
    const base = existsSync(l) && statSync(l).isDirectory() ? l : dirname(l);
    if (existsSync(join(base, 'watchlists'))) dirs.push(join(base, 'watchlists'));
  }
  const tenant = loadWatchlists([...new Set(dirs.map((d) => resolve(d)))]);
  if (tenant.diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid watchlist', tenant.diagnostics);
  const byAlias = new Map(project.watchlists.map((w) => [w.alias, w]));
  for (const w of tenant.watchlists) byAlias.set(w.alias, w);
  return [...byAlias.values()];
}

export async function simulate(input: SimulateInput): Promise<SimulateReport> {
  const watchlists = watchlistsFor(input.project, input.logs, input.watchlistDirs);
  const t0 = performance.now();
  // Rows recorded without an ingestion time arrive after the workspace's delay profile.
  const delays = { ...DEFAULT_DELAYS, ...input.project.config.ingestionDelay, ...input.output.workspace.ingestionDelay };
  const session = await LogSession.open(input.logs, { env: input.project.env, watchlists, delays });
  const loadSeconds = (performance.now() - t0) / 1000;
  const span = session.span();
  if (!span) throw new UserError(`no rows in ${input.logs.join(', ')}`);
  const start = new Date(Number(span.first / TICKS_PER_MS));
  const end = new Date(Number(span.last / TICKS_PER_MS) + 10 * 60_000);
  const directory = directoryOf(session);
  const excluded = new Set(
    watchlists
      .filter((w) => w.alias === 'sg_excluded_accounts' || input.playbooks.some((p) => p.excludedAccountsWatchlist === w.alias))
      .flatMap((w) => w.rows.map((r) => r.AadUserId ?? r[w.searchKey] ?? ''))
      .filter(Boolean),
  );
  const t1 = performance.now();
  const result = replay({
    engine: localEngine(session),
    rules: input.output.rules,
    playbooks: input.playbooks,
    excludedAccountIds: excluded,
    directory,
    start,
    end,
    playbookLatencyMs: input.playbookLatencyMs,
    onProgress: input.onProgress,
  });
  const replaySeconds = (performance.now() - t1) / 1000;
  const labels = input.labels ? readLabels(input.labels) : [];
  const attacks = attackOutcomes(labels, result, directory);
  const firstIngested = new Map(labels.map((l) => [l.id, firstIngestion(session, l.account, Date.parse(l.start))]));
  const attacked = new Set(labels.map((l) => l.account.toLowerCase()));
  const benignIncidents = result.incidents.filter((inc) => !incidentAccounts(inc, directory).some((a) => attacked.has(a.upn.toLowerCase()))).map((i) => i.id);
  return { workspace: input.output.workspace.name, start, end, result, directory, attacks, labels, benignIncidents, loadSeconds, replaySeconds, firstIngested };
}

/** The JSON the issue pins: incidents, responses, attacks. */
export function reportJson(r: SimulateReport): unknown {
  return {
    incidents: r.result.incidents.map((inc) => {
      const ips = new Set<string>();
      for (const a of inc.alerts) for (const e of a.entities) if (e.type === 'IP' && e.identifiers.Address) ips.add(e.identifiers.Address);
      return {
        id: inc.id,
        rules: [inc.ruleId],
        severity: inc.severity,
        createdAt: inc.createdAt.toISOString(),
        accounts: incidentAccounts(inc, r.directory).map((a) => a.upn),
        ips: [...ips],
      };
    }),
    responses: r.result.responses.map((x) => ({ incident: x.incident, playbook: x.playbook, action: x.action, account: x.account, at: x.at.toISOString(), skipped: x.skipped })),
    attacks: r.attacks.map((a) => ({
      id: a.id,
      account: a.account,
      start: a.start,
      detectedAt: a.detectedAt,
      respondedAt: a.respondedAt,
      timeToDetectSeconds: a.timeToDetectSeconds,
      timeToRespondSeconds: a.timeToRespondSeconds,
    })),
  };
}
