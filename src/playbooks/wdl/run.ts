// A local executor for the part of the Workflow Definition Language our generator emits: runAfter
// ordering with statuses, If, Foreach (sequential), Scope, Compose, variables, Http with retries and
// managed-identity auth, and ApiConnection actions handed to connector emulations.
import { evaluateString, evaluateValue, ExprError, stringOf, type Scope as ExprScope, type Value } from './expr.js';
import { FUNCTIONS } from './functions.js';

export type Status = 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut';

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface HttpCall {
  method: string;
  uri: string;
  headers: Record<string, string>;
  body?: unknown;
  /** The managed-identity audience, when the action authenticates with it. */
  audience?: string;
}

export interface ConnectorCall {
  connection: string;
  method: string;
  path: string;
  body: unknown;
}

export interface RunOptions {
  definition: { parameters?: Record<string, { defaultValue?: unknown }>; triggers: Record<string, unknown>; actions: Record<string, unknown> };
  /** Parameter values over the definition's defaults ($connections, endpoints, …). */
  parameters?: Record<string, unknown>;
  /** The trigger's body, as the Sentinel incident trigger delivers it. */
  triggerBody: unknown;
  /** Sends an HTTP action (the caller adds TLS trust and the token for `audience`). */
  http(call: HttpCall): Promise<HttpAnswer>;
  /** Emulations of managed connectors, by connection key ($connections). */
  connectors: Record<string, (call: ConnectorCall) => Promise<HttpAnswer>>;
  now?: () => Date;
  /** Multiplies retry intervals (0 in tests: retry at once). */
  retryIntervalScale?: number;
}

export interface ActionRecord {
  name: string;
  /** Loop iterations around the action, outermost first (e.g. For_each_account#1). */
  at: string[];
  type: string;
  status: Status;
  inputs?: unknown;
  outputs?: unknown;
  error?: string;
}

export interface RunResult {
  status: Status;
  actions: ActionRecord[];
  variables: Record<string, unknown>;
  /** Expression or action errors, for test failure messages. */
  errors: string[];
}

interface Result {
  status: Status;
  inputs?: unknown;
  outputs?: unknown;
}

/** Results visible at one point: an iteration's own, then its parents'. */
class Frame {
  readonly results = new Map<string, Result>();
  constructor(
    readonly parent: Frame | null,
    readonly loop?: { name: string; item: unknown; index: number },
  ) {}
  result(name: string): Result | undefined {
    return this.results.get(name) ?? this.parent?.result(name);
  }
  item(name: string): unknown {
    if (this.loop?.name === name) return this.loop.item;
    if (!this.parent) throw new ExprError(`items('${name}') outside that for-each`);
    return this.parent.item(name);
  }
  path(): string[] {
    const up = this.parent?.path() ?? [];
    return this.loop ? [...up, `${this.loop.name}#${this.loop.index + 1}`] : up;
  }
}

type Action = Record<string, unknown> & { type: string; runAfter?: Record<string, string[]> };

const RETRYABLE = (s: number) => s === 408 || s === 429 || s >= 500;

function isoMs(iso: string): number {
  const m = /^PT(\d+)([SM])$/.exec(iso);
  return m ? Number(m[1]) * (m[2] === 'M' ? 60_000 : 1000) : 0;
}

export async function runWorkflow(o: RunOptions): Promise<RunResult> {
  const now = o.now ?? (() => new Date());
  const params: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(o.definition.parameters ?? {})) params[k] = p.defaultValue;
  Object.assign(params, o.parameters ?? {});
  const variables: Record<string, unknown> = {};
  const log: ActionRecord[] = [];
  const errors: string[] = [];

  const scopeOf = (frame: Frame): ExprScope => ({
    call(name: string, args: Value[]): Value {
      const ref = () => {
        const n = stringOf(args[0]);
        const r = frame.result(n);
        if (!r || r.status === 'Skipped') throw new ExprError(`the action '${n}' did not run, so its result cannot be read`);
        return r;
      };
      switch (name) {
        case 'triggerBody':
          return o.triggerBody;
        case 'body': {
          const out = ref().outputs as { body?: unknown } | undefined;
          return out && typeof out === 'object' && 'body' in out ? out.body : (out ?? null);
        }
        case 'outputs':
          return ref().outputs ?? null;
        case 'actions': {
          const r = ref();
          return { name: args[0], status: r.status, inputs: r.inputs, outputs: r.outputs };
        }
        case 'items':
          return frame.item(stringOf(args[0]));
        case 'parameters': {
          const n = stringOf(args[0]);
          if (!(n in params)) throw new ExprError(`parameters('${n}') is not declared`);
          return params[n];
        }
        case 'variables': {
          const n = stringOf(args[0]);
          if (!(n in variables)) throw new ExprError(`variables('${n}') is not initialized`);
          return variables[n];
        }
        case 'listCallbackUrl':
          return 'https://callback.invalid/workflows/run';
        case 'workflow':
          return { name: 'local' };
      }
      const fn = FUNCTIONS[name];
      if (!fn) throw new ExprError(`unknown function ${name}()`);
      return fn(args, name, now);
    },
  });

  async function sendHttp(inputs: Record<string, unknown>): Promise<{ status: Status; outputs: HttpAnswer | { error: string } }> {
    const auth = inputs.authentication as { type: string; audience?: string } | undefined;
    const call: HttpCall = {
      method: String(inputs.method),
      uri: String(inputs.uri),
      headers: (inputs.headers as Record<string, string>) ?? {},
      ...(inputs.body !== undefined ? { body: inputs.body } : {}),
      ...(auth?.type === 'ManagedServiceIdentity' ? { audience: auth.audience } : {}),
    };
    const policy = inputs.retryPolicy as { type: string; count?: number; interval?: string } | undefined;
    const retries = policy?.type === 'none' ? 0 : (policy?.count ?? 4);
    const interval = isoMs(policy?.interval ?? 'PT7S') * (o.retryIntervalScale ?? 1);
    let last: HttpAnswer | null = null;
    let failure = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt && interval) await new Promise((r) => setTimeout(r, interval));
      try {
        last = await o.http(call);
        failure = '';
        if (!RETRYABLE(last.statusCode)) break;
      } catch (e) {
        failure = (e as Error).message;
        last = null;
      }
    }
    if (!last) return { status: 'Failed', outputs: { error: failure } };
    return { status: last.statusCode >= 400 ? 'Failed' : 'Succeeded', outputs: last };
  }

  async function runAction(name: string, a: Action, frame: Frame): Promise<Result> {
    const scope = scopeOf(frame);
    const record: ActionRecord = { name, at: frame.path(), type: a.type, status: 'Succeeded' };
    log.push(record);
    const finish = (r: Result, error?: string): Result => {
      record.status = r.status;
      record.inputs = r.inputs;
      record.outputs = r.outputs;
      if (error) {
        record.error = error;
        errors.push(`${[...record.at, name].join(' > ')}: ${error}`);
      }
      return r;
    };
    try {
      switch (a.type) {
        case 'Compose': {
          const v = evaluateValue(a.inputs, scope);
          return finish({ status: 'Succeeded', inputs: v, outputs: v });
        }
        case 'InitializeVariable': {
          for (const v of (a.inputs as { variables: { name: string; type: string; value?: unknown }[] }).variables) {
            variables[v.name] = evaluateValue(v.value ?? (v.type === 'array' ? [] : v.type === 'integer' ? 0 : null), scope);
          }
          return finish({ status: 'Succeeded' });
        }
        case 'SetVariable':
        case 'IncrementVariable':
        case 'AppendToArrayVariable': {
          const inp = evaluateValue(a.inputs, scope) as { name: string; value?: unknown };
          if (!(inp.name in variables)) throw new ExprError(`variable '${inp.name}' is not initialized`);
          if (a.type === 'SetVariable') variables[inp.name] = inp.value;
          else if (a.type === 'IncrementVariable') variables[inp.name] = (variables[inp.name] as number) + ((inp.value as number) ?? 1);
          else (variables[inp.name] as unknown[]).push(inp.value);
          return finish({ status: 'Succeeded', inputs: inp });
        }
        case 'Http': {
          const inp = evaluateValue(a.inputs, scope) as Record<string, unknown>;
          const r = await sendHttp(inp);
          return finish({ status: r.status, inputs: inp, outputs: r.outputs });
        }
        case 'ApiConnection': {
          const raw = a.inputs as { host: { connection: { name: string } } };
          const key = /\('\$connections'\)\['([^']+)'\]/.exec(raw.host.connection.name)?.[1] ?? '';
          const inp = evaluateValue(a.inputs, scope) as { method: string; path: string; body?: unknown };
          const connector = o.connectors[key];
          if (!connector) throw new ExprError(`no emulation for the '${key}' connector`);
          const out = await connector({ connection: key, method: inp.method, path: inp.path, body: inp.body });
          return finish({ status: out.statusCode >= 400 ? 'Failed' : 'Succeeded', inputs: inp, outputs: out });
        }
        case 'If': {
          const cond = evaluateString(String(a.expression), scope);
          if (typeof cond !== 'boolean') throw new ExprError(`the condition gave ${JSON.stringify(cond)}, not true or false`);
          const branch = cond ? (a.actions as Record<string, Action>) : ((a.else as { actions?: Record<string, Action> } | undefined)?.actions ?? {});
          const status = await runScope(branch, frame);
          return finish({ status, outputs: { expression: cond } });
        }
        case 'Scope':
          return finish({ status: await runScope(a.actions as Record<string, Action>, frame) });
        case 'Foreach': {
          const items = evaluateString(String(a.foreach), scope);
          if (!Array.isArray(items)) throw new ExprError(`for-each over ${JSON.stringify(items)?.slice(0, 60)}, not an array`);
          let status: Status = 'Succeeded';
          for (let i = 0; i < items.length; i++) {
            const s = await runScope(a.actions as Record<string, Action>, new Frame(frame, { name, item: items[i], index: i }));
            if (s === 'Failed' || s === 'TimedOut') status = 'Failed';
          }
          return finish({ status });
        }
        case 'Terminate':
          return finish({ status: 'Succeeded', inputs: a.inputs });
        default:
          throw new ExprError(`action type ${a.type} is not supported by the local executor`);
      }
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      return finish({ status: 'Failed' }, e.message);
    }
  }

  /** Runs one scope's actions in runAfter order; its status is Failed when a failure went unhandled. */
  async function runScope(actions: Record<string, Action>, frame: Frame): Promise<Status> {
    const done = new Map<string, Status>();
    const names = Object.keys(actions);
    while (done.size < names.length) {
      const ready = names.find((n) => !done.has(n) && Object.keys(actions[n]!.runAfter ?? {}).every((t) => done.has(t)));
      if (!ready) throw new Error(`runAfter cycle or unknown target among ${names.filter((n) => !done.has(n)).join(', ')}`);
      const a = actions[ready]!;
      const allowed = Object.entries(a.runAfter ?? {}).every(([t, st]) => st.includes(done.get(t)!));
      if (!allowed) {
        frame.results.set(ready, { status: 'Skipped' });
        log.push({ name: ready, at: frame.path(), type: a.type, status: 'Skipped' });
        done.set(ready, 'Skipped');
        continue;
      }
      const r = await runAction(ready, a, frame);
      frame.results.set(ready, r);
      done.set(ready, r.status);
    }
    const handled = (n: string) => names.some((m) => done.get(m) !== 'Skipped' && n in (actions[m]!.runAfter ?? {}));
    return names.some((n) => (done.get(n) === 'Failed' || done.get(n) === 'TimedOut') && !handled(n)) ? 'Failed' : 'Succeeded';
  }

  const status = await runScope(o.definition.actions as Record<string, Action>, new Frame(null));
  return { status, actions: log, variables, errors };
}
