// sessionguard command line: one module per command group, registered here. Only the group of the
// command being run is loaded (each pulls in its own stage: Kusto.Language, the Azure SDKs, …);
// help, --version and an unknown command load them all.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fail } from './run.js';

type Register = (p: Command) => void;

/** Command groups in help order: the top-level commands each registers, and how to load it. */
const GROUPS: { commands: string[]; load: () => Promise<Register> }[] = [
  { commands: ['validate', 'build', 'fmt'], load: async () => (await import('./rules.js')).registerRuleCommands },
  { commands: ['init', 'import'], load: async () => (await import('./scaffold.js')).registerScaffoldCommands },
  { commands: ['query'], load: async () => (await import('./query.js')).registerQuery },
  { commands: ['synth'], load: async () => (await import('./synth.js')).registerSynth },
  { commands: ['simulate'], load: async () => (await import('./runner.js')).registerRunnerCommands },
  { commands: ['test'], load: async () => (await import('./test.js')).registerTestCommand },
  { commands: ['demo'], load: async () => (await import('./demo.js')).registerDemoCommand },
  // `import sigma`: a subcommand of the scaffold group's `import`
  { commands: ['import'], load: async () => (await import('./sigma.js')).registerSigmaCommands },
  { commands: ['respond', 'grant'], load: async () => (await import('./respond.js')).registerRespondCommands },
  { commands: ['ca'], load: async () => (await import('./ca.js')).registerCaCommands },
  { commands: ['plan', 'apply', 'export'], load: async () => (await import('./deploy.js')).registerDeployCommands },
  { commands: ['backtest', 'record', 'latency'], load: async () => (await import('./live.js')).registerLiveCommands },
];

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('sessionguard')
  .description('Detection-as-code for Microsoft Sentinel: session token theft rules, tested on recorded logs')
  .version(pkg.version)
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) });

program.exitOverride((err) => {
  // commander's own usage errors: exit 1 like every other user error.
  process.exit(err.exitCode === 0 ? 0 : 1);
});

// the program has no options of its own besides --help/--version, so the first word is the command
const first = process.argv.slice(2).find((a) => !a.startsWith('-'));
const wanted = GROUPS.filter((g) => first !== undefined && g.commands.includes(first));
const versionOnly = first === undefined && process.argv.slice(2).some((a) => a === '-V' || a === '--version');
try {
  for (const g of wanted.length || versionOnly ? wanted : GROUPS) (await g.load())(program);
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}
