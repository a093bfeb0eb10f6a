// sessionguard command line: one module per command group, registered here.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerRuleCommands } from './rules.js';
import { registerScaffoldCommands } from './scaffold.js';
import { fail } from './run.js';
import { registerQuery } from './query.js';
import { registerSynth } from './synth.js';
import { registerRunnerCommands } from './runner.js';
import { registerTestCommand } from './test.js';
import { registerDemoCommand } from './demo.js';
import { registerSigmaCommands } from './sigma.js';
import { registerRespondCommands } from './respond.js';
import { registerCaCommands } from './ca.js';
import { registerDeployCommands } from './deploy.js';
import { registerLiveCommands } from './live.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('sessionguard')
  .description('Detection-as-code for Microsoft Sentinel: session token theft rules, tested on recorded logs')
  .version(pkg.version)
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) });

// Command groups (each registers its commands on the program).
const groups: ((p: Command) => void)[] = [registerRuleCommands, registerScaffoldCommands, registerQuery, registerSynth, registerRunnerCommands, registerTestCommand, registerDemoCommand, registerSigmaCommands, registerRespondCommands, registerCaCommands, registerDeployCommands, registerLiveCommands];
for (const g of groups) g(program);

program.exitOverride((err) => {
  // commander's own usage errors: exit 1 like every other user error.
  process.exit(err.exitCode === 0 ? 0 : 1);
});

program.parseAsync(process.argv).catch(fail);
