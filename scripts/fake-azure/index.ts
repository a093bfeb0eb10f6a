// startFakeAzure: the fake with every service registered. Tests start one per file; the
// `npm run fake-azure` script starts one by hand.
import { ArmStore, registerArm } from './arm.js';
import { FakeAzure, type FakeOptions } from './server.js';
import { GraphState, registerGraph, type GraphUser } from './graph.js';
import { ConditionalAccessState, registerConditionalAccess } from './graph-ca.js';
import { IncidentStore, registerIncidents } from './incidents.js';
import { FakeLogs, registerLogs, type LogsOptions } from './logs.js';

export interface StartOptions extends FakeOptions, LogsOptions {
  /** Keep ARM state in this JSON file across restarts (default: memory only). */
  stateFile?: string;
  /** Users the fake Graph knows; others are 404. */
  users?: (Partial<GraphUser> & { id: string; userPrincipalName: string })[];
}

export interface RunningFake {
  fake: FakeAzure;
  arm: ArmStore;
  graph: GraphState;
  conditionalAccess: ConditionalAccessState;
  incidents: IncidentStore;
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
  const graph = new GraphState(opts.users);
  registerGraph(fake, graph, arm);
  const conditionalAccess = new ConditionalAccessState();
  registerConditionalAccess(fake, conditionalAccess);
  const incidents = new IncidentStore();
  registerIncidents(fake, incidents);
  const logs = new FakeLogs(opts);
  logs.loadSpec(opts.specsDir);
  registerLogs(fake, logs);
  // The fake Graph knows the users of the tenant it serves rows for (others are 404).
  if (opts.logsDir || opts.logsDirs) {
    for (const u of await logs.usersInRows()) if (!graph.user(u.id)) graph.addUser({ id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName, accountEnabled: true });
  }
  await fake.start();
  return {
    fake,
    arm,
    graph,
    conditionalAccess,
    incidents,
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
export { GraphState } from './graph.js';
