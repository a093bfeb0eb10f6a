// simulate: replay recorded logs through the rules and playbooks and measure detection and response.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { UserError } from '../diagnostics.js';
import { loadPlaybooks } from '../playbooks/model.js';
import { reportJson, simulate, type SimulateReport } from '../runner/simulate.js';
import { parseDuration } from '../rules/duration.js';
import { compileAll, openValid } from './rules.js';
import { action } from './run.js';

const hhmm = (iso: string | null) => (iso ? iso.slice(0, 19).replace('T', ' ') : '-');
const dur = (s: number | null): string => (s === null ? '-' : s < 0 ? `-${dur(-s)}` : s < 120 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`);

export function printReport(r: SimulateReport): void {
  const { result } = r;
  console.log(`${pc.bold('replay')} ${r.workspace}: ${hhmm(r.start.toISOString())} -> ${hhmm(r.end.toISOString())}, ${result.runs.length} rule runs, ${result.alerts.length} alerts`);
  console.log(`  load ${r.loadSeconds.toFixed(1)} s, replay ${r.replaySeconds.toFixed(1)} s`);
  const json = reportJson(r) as { incidents: { id: number; rules: string[]; severity: string; createdAt: string; accounts: string[]; ips: string[] }[] };
  console.log(`\n${pc.bold(`Incidents (${json.incidents.length})`)}`);
  for (const i of json.incidents) {
    const benign = r.benignIncidents.includes(i.id) && r.labels.length ? pc.yellow(' not attacked') : '';
    console.log(`  #${String(i.id).padEnd(3)} ${hhmm(i.createdAt)}  ${i.severity.padEnd(6)} ${i.rules.join(',').padEnd(6)} ${i.accounts.join(', ')}  ${pc.dim(i.ips.slice(0, 3).join(' '))}${benign}`);
  }
  const acted = result.responses.filter((x) => !x.skipped);
  console.log(`\n${pc.bold(`Responses (${acted.length} done, ${result.responses.length - acted.length} skipped)`)}`);
  // One line per incident, playbook and account: the steps in order, skipped ones marked.
  const groups = new Map<string, typeof result.responses>();
  for (const x of result.responses) {
    const k = `${x.incident}|${x.playbook}|${x.account}`;
    groups.set(k, [...(groups.get(k) ?? []), x]);
  }
  for (const xs of groups.values()) {
    const x = xs[0]!;
    const steps = xs.map((y) => (y.skipped ? pc.yellow(`${y.action} (skipped: ${y.skipped})`) : y.action)).join(', ');
    console.log(`  #${String(x.incident).padEnd(3)} ${hhmm(x.at.toISOString())}  ${x.playbook.padEnd(11)} ${x.account}: ${steps}`);
  }
  if (r.labels.length) {
    console.log(`\n${pc.bold(`Attacks (${r.attacks.length})`)}`);
    console.log(pc.dim('  id                          account                         start                detect   respond  from use first rule  CAE revoked by       worst case'));
    for (const a of r.attacks) {
      const miss = a.detectedAt ? '' : pc.red('  NOT DETECTED');
      console.log(
        `  ${a.id.padEnd(27)} ${a.account.padEnd(31)} ${hhmm(a.start)}  ${dur(a.timeToDetectSeconds).padEnd(8)} ${dur(a.timeToRespondSeconds).padEnd(8)} ${dur(a.tokenUseToRespondSeconds).padEnd(8)} ${(a.firstRule ?? '-').padEnd(11)} ${hhmm(a.caeRevokedBy)}  ${hhmm(a.worstCaseRevokedBy)}${miss}`,
      );
    }
    const ttr = r.attacks.map((a) => a.timeToRespondSeconds).filter((x): x is number => x !== null).sort((a, b) => a - b);
    if (ttr.length) console.log(`  time to respond (from the first malicious event): median ${dur(ttr[Math.floor((ttr.length - 1) / 2)]!)}, worst ${dur(ttr[ttr.length - 1]!)}; ${r.attacks.length - ttr.length} attack(s) without revocation`);
    const fromUse = r.attacks.map((a) => a.tokenUseToRespondSeconds).filter((x): x is number => x !== null).sort((a, b) => a - b);
    if (fromUse.length)
      console.log(`  time from the attacker's first use of the stolen token to revocation: median ${dur(fromUse[Math.floor((fromUse.length - 1) / 2)]!)}, worst ${dur(fromUse[fromUse.length - 1]!)} (negative: revoked before the token was used)`);
    console.log(`  incidents on accounts not attacked: ${r.benignIncidents.length}`);
  }
}

export function registerRunnerCommands(program: Command): void {
  program
    .command('simulate')
    .description('replay recorded logs through the rules on their Sentinel schedule; incidents, responses, time to detect and respond')
    .requiredOption('--logs <paths...>', 'files or folders of recorded rows (a folder may hold watchlists/ too)')
    .option('--labels <file>', 'ground truth: JSON array of {"id","account","start"}')
    .option('-w, --workspace <name>', 'configured workspace whose parameters and rules to use')
    .option('--watchlists <dirs...>', 'folders of watchlist CSV files overriding the repository ones')
    .option('--playbook-latency <duration>', 'time from incident to playbook actions', '1m')
    .option('--format <format>', 'text or json', 'text')
    .option('--report <file>', 'also write a self-contained HTML report')
    .action(
      action(async (opts: { logs: string[]; labels?: string; workspace?: string; watchlists?: string[]; playbookLatency: string; format: string; report?: string }) => {
        if (!['text', 'json'].includes(opts.format)) throw new UserError(`--format: expected text or json, got '${opts.format}'`);
        const latency = parseDuration(opts.playbookLatency);
        if (latency === null) throw new UserError(`--playbook-latency: expected a duration such as 30s or 2m, got '${opts.playbookLatency}'`);
        const project = openValid([]);
        const pbs = loadPlaybooks(project.config.playbooks);
        if (pbs.diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid playbooks', pbs.diagnostics);
        const names = project.config.workspaces.map((w) => w.name);
        const ws = opts.workspace ?? names[0]!;
        const [output] = compileAll(project, ws);
        // Progress on stderr, only for a person watching a terminal.
        const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: 'replay {bar} {percentage}% | {value}/{total} rule runs | {eta_formatted} left', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
        let started = false;
        const report = await simulate({
          project,
          output: output!,
          playbooks: pbs.playbooks,
          logs: opts.logs,
          labels: opts.labels,
          watchlistDirs: opts.watchlists,
          playbookLatencyMs: latency,
          onProgress: (done, total) => {
            if (!bar) return;
            if (!started) {
              bar.start(total, 0);
              started = true;
            }
            bar.update(done);
          },
        }).finally(() => bar?.stop());
        if (opts.format === 'json') console.log(JSON.stringify(reportJson(report)));
        else printReport(report);
        if (opts.report) {
          const { renderReport } = await import('../runner/report.js');
          writeFileSync(opts.report, renderReport(report));
          if (opts.format === 'text') console.log(`\nreport: ${opts.report}`);
        }
      }),
    );
}
