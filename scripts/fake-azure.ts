// npm run fake-azure -- [--port N] [--specs DIR] [--state FILE] [--logs DIR] [--lenient]
// A local fake Azure on loopback for demos and manual testing. The first two lines of output are
// `listening on https://127.0.0.1:PORT` and `ca: PATH` (the certificate to trust).
import { Command } from 'commander';
import { startFakeAzure } from './fake-azure/index.js';

const program = new Command()
  .name('fake-azure')
  .description('A local fake of Azure Resource Manager, Microsoft Graph and Log Analytics, on loopback over HTTPS')
  .option('--port <n>', 'port to listen on (default: any free port)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port ${v}: expected a port number 0-65535`);
    return n;
  })
  .option('--specs <dir>', 'a copy of azure-specs: check every write against the official REST specifications')
  .option('--state <file>', 'keep resources in this JSON file across restarts')
  .option('--logs <dir>', 'serve the recorded rows in DIR from the Log Analytics query API (any workspace id)')
  .option('--lenient', 'record spec violations instead of answering 400')
  .parse();

const o = program.opts<{ port?: number; specs?: string; state?: string; logs?: string; lenient?: boolean }>();
const running = await startFakeAzure({ port: o.port, specsDir: o.specs, stateFile: o.state, logsDir: o.logs, strict: !o.lenient });
process.stdout.write(`listening on ${running.url}\nca: ${running.caFile}\n`);
process.stdout.write(`env: ${Object.entries(running.env()).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
const shutdown = () => void running.stop().then(() => process.exit(0));
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
