// backtest, record, latency: commands that work against a live Log Analytics workspace.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { compileWorkspace } from '../compile/build.js';
import { UserError } from '../diagnostics.js';
import { backtest, type BacktestResult } from '../live/backtest.js';
import { DEFAULT_TABLES, delayFor, measureLatency, writeDelays, type TableLatency } from '../live/latency.js';
import { record } from '../live/record.js';
import { openRemote } from '../live/remote.js';
import { renderBacktestReport } from '../live/report.js';
import { loadConfig, type Config } from '../rules/config.js';
import { parseDuration } from '../rules/duration.js';
import { openValid } from './rules.js';
import { action } from './run.js';

const DAY = 86_400_000;

function configOrFail(): Config {
  const { config, diagnostics } = loadConfig(process.cwd());
  if (diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid configuration', diagnostics);
  return config;
}

function positive(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0) || n > max) throw new UserError(`${name} ${v}: expected a number of days above 0 and at most ${max}`);
  return n;
}

function endTime(v: string | undefined): number {
  if (v === undefined) return Date.now();
  const t = Date.parse(v);
  if (!/^\d{4}-\d\d-\d\d/.test(v) || Number.isNaN(t)) throw new UserError(`--end ${v}: expected an ISO 8601 time such as 2026-03-02T00:00:00Z`);
  return t;
}

/** A progress bar on stderr, only for a person at a terminal. */
function progress(label: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: `${label} {bar} {percentage}% | {value}/{total} | {eta_formatted} left`, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

function printBacktest(r: BacktestResult): void {
  console.log(`${pc.bold('backtest')} ${r.workspace} (${r.workspaceId}): ${r.start.slice(0, 16).replace('T', ' ')} -> ${r.end.slice(0, 16).replace('T', ' ')}`);
  const head = ['rule', 'kind', 'runs', 'alerting', 'alerts', 'queries', 'cached', 'mode'];
  const rows = r.rules.map((x) => [x.id, x.kind, String(x.windows), String(x.alertingRuns), String(x.alerts), String(x.queries), String(x.cachedWindows), x.unbatchedBecause ? `per window (${x.unbatchedBecause})` : 'batched']);
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j]!.length)));
  const line = (cells: string[]) => cells.map((c, j) => (j >= 2 && j <= 6 ? c.padStart(w[j]!) : c.padEnd(w[j]!))).join('  ').trimEnd();
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const row of rows) console.log(line(row));
  for (const x of r.rules) {
    if (!x.alerts && !x.truncatedWindows) continue;
    console.log(`\n${pc.bold(x.id)} ${x.name}`);
    if (x.truncatedWindows) console.log(pc.yellow(`  ${x.truncatedWindows} window(s) were cut short by the service's result limits; their counts are lower bounds`));
    console.log(`  per day:    ${x.perDay.map((d) => `${d.day} ${d.alerts}`).join(', ')}`);
    const top = x.perEntity.slice(0, 10);
    console.log(`  per entity: ${top.map((e) => `${e.type} ${Object.values(e.identifiers).join('/')} ${e.alerts}`).join(', ')}${x.perEntity.length > top.length ? `, … ${x.perEntity.length - top.length} more` : ''}`);
  }
}

function printLatency(lat: TableLatency[]): void {
  const s = (x: number) => (x < 120 ? `${Math.round(x)}s` : `${(x / 60).toFixed(1)}m`);
  const head = ['table', 'rows', 'from', 'P50', 'P95', 'P99', 'max', 'delay'];
  const rows: string[][] = [];
  for (const l of lat) {
    rows.push([l.table, String(l.rows), 'TimeGenerated', s(l.timeGenerated.p50), s(l.timeGenerated.p95), s(l.timeGenerated.p99), s(l.timeGenerated.max), delayFor(l)]);
    if (l.created) rows.push(['', '', 'CreatedDateTime', s(l.created.p50), s(l.created.p95), s(l.created.p99), s(l.created.max), '']);
  }
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const line = (c: string[]) => c.map((x, j) => (j === 1 || (j >= 3 && j <= 6) ? x.padStart(w[j]!) : x.padEnd(w[j]!))).join('  ').trimEnd();
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}

export function registerLiveCommands(program: Command): void {
  program
    .command('backtest')
    .description('how many alerts rules would have raised over the last days in a live workspace, per day and per entity')
    .requiredOption('--workspace <name|guid>', 'a configured workspace, its ARM id, or a Log Analytics workspace id (GUID)')
    .option('--rule <ids...>', 'rule ids to backtest')
    .option('--all', 'every rule enabled in the workspace')
    .requiredOption('--days <n>', 'how many days back from --end')
    .option('--end <iso>', 'end of the range (default: now)')
    .option('--format <format>', 'table or json', 'table')
    .option('--report <file>', 'also write an HTML report with a per-day chart per rule')
    .option('--cache <dir>', 'where finished windows are kept (default .sessionguard/backtest)')
    .option('--no-cache', 'do not read or write the window cache')
    .option('--no-batch', 'run every window as its own query (slower; for checking batched counts)')
    .action(
      action(async (o: { workspace: string; rule?: string[]; all?: boolean; days: string; end?: string; format: string; report?: string; cache?: string | false; batch: boolean }) => {
        if (!['table', 'json'].includes(o.format)) throw new UserError(`--format: expected table or json, got '${o.format}'`);
        if (!o.rule?.length && !o.all) throw new UserError('give --rule ID (one or more) or --all');
        if (o.rule?.length && o.all) throw new UserError('give --rule or --all, not both');
        const days = positive('--days', o.days, 90);
        const end = endTime(o.end);
        const project = openValid([]);
        const remote = await openRemote(project.config, o.workspace);
        const t = remote.target;
        const index = project.config.workspaces.findIndex((w) => w.name === t.config.name);
        const output = compileWorkspace({ workspace: t.config, workspaceIndex: Math.max(0, index), configSource: project.config.source, delayProfile: project.config.ingestionDelay, rules: project.rules, cache: project.cache });
        project.cache.save();
        if (output.diagnostics.some((d) => d.severity === 'error')) throw new UserError(`workspace ${t.name}: the rules do not compile`, output.diagnostics);
        const ids = new Set(output.rules.map((c) => c.rule.id));
        for (const id of o.rule ?? []) if (!ids.has(id)) throw new UserError(`--rule ${id}: no such rule (known: ${[...ids].join(', ')})`);
        const chosen = output.rules.filter((c) => (o.all ? c.enabled : o.rule!.includes(c.rule.id)));
        const inputs = new Map(project.rules.map((r) => [r.rule, r]));
        const cacheDir = o.cache === false ? null : resolve(o.cache ?? join(project.config.root, '.sessionguard', 'backtest'));
        const bar = progress('backtest');
        const ac = new AbortController();
        const onInt = () => ac.abort();
        process.once('SIGINT', onInt);
        let result: BacktestResult;
        try {
          result = await backtest({
            remote,
            rules: chosen.map((c) => ({ compiled: c, input: inputs.get(c.rule)! })),
            start: end - days * DAY,
            end,
            env: project.env,
            delayProfile: { ...project.config.ingestionDelay, ...t.config.ingestionDelay },
            cacheDir,
            batch: o.batch,
            onProgress: bar.update,
            signal: ac.signal,
          });
        } finally {
          bar.stop();
          process.off('SIGINT', onInt);
        }
        if (o.format === 'json') console.log(JSON.stringify(result));
        else printBacktest(result);
        if (o.report) {
          writeFileSync(o.report, renderBacktestReport(result));
          if (o.format === 'table') console.log(`\nreport: ${o.report}`);
        }
      }),
    );

  program
    .command('record')
    .description("pull a table's rows from a live workspace into NDJSON the runner reads, optionally anonymized")
    .requiredOption('--workspace <name|guid>', 'a configured workspace, its ARM id, or a Log Analytics workspace id (GUID)')
    .requiredOption('--table <table>', 'the table, e.g. SigninLogs')
    .option('--since <duration>', 'how far back from --end, e.g. 12h, 7d', '1d')
    .option('--end <iso>', 'end of the range (default: now)')
    .option('--where <kql>', 'an extra filter, e.g. "UserPrincipalName endswith \'@contoso.com\'"')
    .requiredOption('--out <file>', 'the NDJSON file to write')
    .option('--anonymize', 'replace user names, UPNs, object ids, device names and IP addresses with salted pseudonyms')
    .option('--salt-file <file>', 'the secret salt for --anonymize (created when absent; default .sessionguard/anonymize.salt)')
    .action(
      action(async (o: { workspace: string; table: string; since: string; end?: string; where?: string; out: string; anonymize?: boolean; saltFile?: string }) => {
        const since = parseDuration(o.since);
        if (since === null || since <= 0) throw new UserError(`--since ${o.since}: expected a duration such as 12h or 7d`);
        if (o.saltFile && !o.anonymize) throw new UserError('--salt-file is used only with --anonymize');
        const end = endTime(o.end);
        const config = configOrFail();
        const remote = await openRemote(config, o.workspace);
        const bar = progress(`record ${o.table}`);
        let covered = 0;
        const r = await record({
          remote,
          table: o.table,
          from: end - since,
          to: end,
          where: o.where,
          out: o.out,
          anonymize: o.anonymize ? { saltFile: o.saltFile ?? join(config.root, '.sessionguard', 'anonymize.salt') } : undefined,
          onChunk: (a, b) => bar.update((covered += b - a), since),
        }).finally(() => bar.stop());
        console.error(`recorded ${r.rows} ${o.table} row${r.rows === 1 ? '' : 's'} in ${r.queries} quer${r.queries === 1 ? 'y' : 'ies'}${r.splits ? ` (${r.splits} split${r.splits === 1 ? '' : 's'} at the service limits)` : ''}${r.mapped !== undefined ? `, ${r.mapped} values anonymized and checked` : ''} -> ${o.out}`);
      }),
    );

  program
    .command('latency')
    .description("per-table ingestion delay percentiles in a live workspace; --write stores them in the workspace's delay profile")
    .requiredOption('--workspace <name|guid>', 'a configured workspace, its ARM id, or a Log Analytics workspace id (GUID)')
    .option('--days <n>', 'how many days back', '7')
    .option('--end <iso>', 'end of the range (default: now)')
    .option('--tables <tables...>', 'tables to measure (default: the tables of the delay profile)')
    .option('--format <format>', 'table or json', 'table')
    .option('--write', "write each table's P99 (whole minutes) into the workspace's ingestionDelay in sessionguard.yaml")
    .action(
      action(async (o: { workspace: string; days: string; end?: string; tables?: string[]; format: string; write?: boolean }) => {
        if (!['table', 'json'].includes(o.format)) throw new UserError(`--format: expected table or json, got '${o.format}'`);
        const days = positive('--days', o.days, 90);
        const end = endTime(o.end);
        for (const t of o.tables ?? []) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) throw new UserError(`--tables ${JSON.stringify(t)}: expected table names`);
        const config = configOrFail();
        const remote = await openRemote(config, o.workspace);
        if (o.write && (!config.file || !config.workspaces.some((w) => w.name === remote.target.config.name))) {
          throw new UserError(`--write needs a workspace configured in sessionguard.yaml; '${o.workspace}' is not one`);
        }
        const lat = await measureLatency(remote, o.tables ?? DEFAULT_TABLES, end - days * DAY, end, (m) => console.error(`warning: ${m}`));
        if (o.format === 'json') console.log(JSON.stringify({ workspace: remote.target.name, workspaceId: remote.workspaceId, tables: lat.map((l) => ({ ...l, delay: delayFor(l) })) }));
        else printLatency(lat);
        if (o.write) {
          writeDelays(config.file!, remote.target.config.name, lat);
          console.error(`wrote ingestionDelay for ${lat.length} table(s) of workspace ${remote.target.config.name} to ${config.file}`);
        }
      }),
    );
}
