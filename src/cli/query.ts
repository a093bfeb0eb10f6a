// `sessionguard query`: run KQL locally over recorded rows.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { loadWatchlists } from '../rules/watchlists.js';
import { UserError } from '../diagnostics.js';
import { runQuery } from '../engine/index.js';
import { toCsv, toJson, toTextTable } from '../engine/output.js';
import { parseDatetime, parseTimespan } from '../engine/values.js';
import { action } from './run.js';
import { remoteQuery } from '../live/query.js';

interface Opts {
  logs?: string[];
  now?: string;
  timespan?: string;
  format: string;
  file?: string;
  watchlists?: string;
  externaldata?: string;
  workspace?: string;
}

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('run a KQL query locally over recorded rows (Log Analytics semantics)')
    .argument('[query]', 'the KQL text (or use --file)')
    .option('--logs <path...>', 'files or folders of recorded rows (NDJSON, JSON, CSV)')
    .option('--now <iso>', 'evaluation time for now() and ago() (default: the current time)')
    .option('--timespan <duration>', 'query time range ending at --now, e.g. 1d, 14d, 2:00:00')
    .option('--format <format>', 'table, json or csv', 'table')
    .option('--file <file>', 'read the query from a file')
    .option('--watchlists <dir>', 'folder of watchlist CSV files named <alias>.csv')
    .option('--externaldata <dir>', 'folder of local copies of externaldata URLs (named after the URL file name; never downloaded)')
    .option('--workspace <name|guid>', 'run remotely in this Log Analytics workspace instead (--timespan defaults to 1d there)')
    .action(
      action(async (query: string | undefined, o: Opts) => {
        let q = query;
        if (!['table', 'json', 'csv'].includes(o.format)) throw new UserError(`--format: expected table, json or csv, got ${o.format}`);
        // `--logs a b 'SigninLogs | …'`: the variadic option also takes the query; give it back
        if (q === undefined && o.file === undefined && o.logs && o.logs.length > 1 && !existsSync(o.logs[o.logs.length - 1]!)) q = o.logs.pop();
        if (q === undefined && o.file === undefined) throw new UserError('give the query text or --file');
        if (q !== undefined && o.file !== undefined) throw new UserError('give the query text or --file, not both');
        if (o.file && !existsSync(o.file)) throw new UserError(`--file: no such file: ${o.file}`);
        const text = o.file ? readFileSync(o.file, 'utf8') : q!;
        if (o.workspace) {
          if (o.logs || o.now || o.watchlists || o.externaldata) throw new UserError('--workspace runs the query in the workspace: --logs, --now, --watchlists and --externaldata do not apply');
          const r = await remoteQuery(o.workspace, text, o.timespan ?? '1d');
          process.stdout.write(o.format === 'json' ? toJson(r) + '\n' : o.format === 'csv' ? toCsv(r) : toTextTable(r));
          return;
        }
        let now: bigint | undefined;
        if (o.now) {
          const t = parseDatetime(o.now);
          if (t === null) throw new UserError(`--now: not an ISO 8601 time: ${o.now}`);
          now = t;
        }
        let timespan: bigint | null = null;
        if (o.timespan) {
          timespan = parseTimespan(o.timespan);
          if (timespan === null || timespan <= 0n) throw new UserError(`--timespan: not a duration: ${o.timespan}`);
        }
        let watchlists;
        if (o.watchlists) {
          if (!existsSync(o.watchlists)) throw new UserError(`--watchlists: no such folder: ${o.watchlists}`);
          const wl = loadWatchlists([o.watchlists]);
          if (wl.diagnostics.some((d) => d.severity === 'error')) throw new UserError('invalid watchlist', wl.diagnostics);
          watchlists = wl.watchlists;
        }
        const r = await runQuery(text, {
          now,
          timespan,
          logs: o.logs,
          file: o.file ?? '<query>',
          watchlists,
          externalData: o.externaldata,
          warn: (m) => console.error(`warning: ${m}`),
        });
        const out = o.format === 'json' ? toJson(r) + '\n' : o.format === 'csv' ? toCsv(r) : toTextTable(r);
        process.stdout.write(out);
      }),
    );
}
