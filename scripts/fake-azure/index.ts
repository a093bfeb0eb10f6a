// startFakeAzure: the fake with every service registered. Tests start one per file; the
// `npm run fake-azure` script starts one by hand.
import { ArmStore, registerArm } from './arm.js';
import { FakeAzure, type FakeOptions } from './server.js';
import { FakeLogs, registerLogs, type LogsOptions } from './logs.js';

export interface StartOptions extends FakeOptions, LogsOptions {
  /** Keep ARM state in this JSON file across restarts (default: memory only). */
  stateFile?: string;
}

export interface RunningFake {
  fake: FakeAzure;
  arm: ArmStore;
  logs: FakeLogs;
  url: string;
  ca: string;
  caFile: string;
  env(token?: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startFakeAzure(opts: StartOptions = {}): Promise<RunningFake> {
  const fake = new FakeAzure(opts);
  const arm = new ArmStore(opts.stateFile);
  fake.registerControl();
  registerArm(fake, arm);
  const logs = new FakeLogs(opts);
  logs.loadSpec(opts.specsDir);
  registerLogs(fake, logs);
  await fake.start();
  return {
    fake,
    arm,
    logs,
    url: fake.url,
    ca: fake.ca,
    caFile: fake.caFile,
    env: (t) => fake.env(t),
    stop: () => fake.stop(),
  };
}

export { FakeAzure } from './server.js';
export type { RecordedRequest } from './server.js';
export { ArmStore } from './arm.js';
