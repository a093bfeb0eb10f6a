// Checks of a generated workflow definition. There is no staged Microsoft.Logic specification (and its
// definition property is free-form anyway), so the shape is checked against our own schema of the WDL
// subset we emit, then our own structural rules: references resolve, expressions parse, Graph calls
// authenticate with the managed identity, the trigger is Sentinel's incident trigger.
import { Ajv } from 'ajv';
import { callsIn, expressionsIn, ExprError } from './expr.js';
import { FUNCTIONS } from './functions.js';

/** Nesting depth of actions (Logic Apps limits documentation: 8; Power Automate, same engine: 5). */
const MAX_DEPTH = 8;
const STATUS = { enum: ['Succeeded', 'Failed', 'Skipped', 'TimedOut'] };
const NAME = '^[A-Za-z0-9_().-]{1,80}$';

const ACTION_SCHEMA = {
  $id: 'action',
  type: 'object',
  required: ['type', 'runAfter'],
  properties: {
    type: { enum: ['ApiConnection', 'Http', 'Foreach', 'If', 'Scope', 'Compose', 'InitializeVariable', 'SetVariable', 'IncrementVariable', 'AppendToArrayVariable', 'Terminate'] },
    runAfter: { type: 'object', propertyNames: { pattern: NAME }, additionalProperties: { type: 'array', minItems: 1, items: STATUS } },
    inputs: {},
    expression: { type: 'string', pattern: '^@' },
    foreach: { type: 'string', pattern: '^@' },
    actions: { $ref: 'actions' },
    else: { type: 'object', additionalProperties: false, properties: { actions: { $ref: 'actions' } } },
    runtimeConfiguration: { type: 'object', additionalProperties: false, properties: { concurrency: { type: 'object', additionalProperties: false, properties: { repetitions: { type: 'integer', minimum: 1, maximum: 50 } } } } },
  },
  additionalProperties: false,
  allOf: [
    { if: { properties: { type: { const: 'If' } } }, then: { required: ['expression', 'actions'] } },
    { if: { properties: { type: { const: 'Foreach' } } }, then: { required: ['foreach', 'actions'] } },
    { if: { properties: { type: { const: 'Scope' } } }, then: { required: ['actions'] } },
    { if: { properties: { type: { enum: ['ApiConnection', 'Http', 'Compose', 'InitializeVariable', 'SetVariable', 'IncrementVariable', 'AppendToArrayVariable'] } } }, then: { required: ['inputs'] } },
    {
      if: { properties: { type: { const: 'Http' } } },
      then: {
        properties: {
          inputs: {
            type: 'object',
            required: ['method', 'uri'],
            additionalProperties: false,
            properties: {
              method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
              uri: { type: 'string' },
              headers: { type: 'object', additionalProperties: { type: 'string' } },
              body: {},
              queries: { type: 'object' },
              authentication: { type: 'object', required: ['type'], properties: { type: { enum: ['ManagedServiceIdentity', 'None'] }, audience: { type: 'string' } } },
              retryPolicy: {
                type: 'object',
                required: ['type'],
                properties: { type: { enum: ['none', 'fixed', 'exponential'] }, count: { type: 'integer', minimum: 1, maximum: 90 }, interval: { type: 'string', pattern: '^PT\\d+[SM]$' } },
              },
            },
          },
        },
      },
    },
    {
      if: { properties: { type: { const: 'ApiConnection' } } },
      then: {
        properties: {
          inputs: {
            type: 'object',
            required: ['host', 'method', 'path'],
            additionalProperties: false,
            properties: {
              host: { type: 'object', required: ['connection'], properties: { connection: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
              method: { enum: ['get', 'post', 'put', 'patch', 'delete'] },
              path: { type: 'string', pattern: '^/' },
              body: {},
              queries: { type: 'object' },
            },
          },
        },
      },
    },
  ],
};

const DEFINITION_SCHEMA = {
  type: 'object',
  required: ['$schema', 'contentVersion', 'triggers', 'actions'],
  additionalProperties: false,
  properties: {
    $schema: { const: 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#' },
    contentVersion: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+$' },
    parameters: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: { type: { enum: ['String', 'SecureString', 'Int', 'Float', 'Bool', 'Array', 'Object', 'SecureObject'] }, defaultValue: {}, metadata: { type: 'object' } },
      },
    },
    triggers: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      propertyNames: { pattern: NAME },
      additionalProperties: {
        type: 'object',
        required: ['type', 'inputs'],
        additionalProperties: false,
        properties: {
          type: { enum: ['ApiConnectionWebhook'] },
          inputs: {
            type: 'object',
            required: ['body', 'host', 'path'],
            additionalProperties: false,
            properties: { body: { type: 'object', required: ['callback_url'] }, host: { type: 'object', required: ['connection'] }, path: { type: 'string' } },
          },
          runtimeConfiguration: { type: 'object', additionalProperties: false, properties: { concurrency: { type: 'object', additionalProperties: false, properties: { runs: { type: 'integer', minimum: 1, maximum: 100 } } } } },
        },
      },
    },
    actions: { $ref: 'actions' },
    outputs: { type: 'object' },
  },
};

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema({ $id: 'actions', type: 'object', propertyNames: { pattern: NAME }, additionalProperties: { $ref: 'action' } });
ajv.addSchema(ACTION_SCHEMA);
const validateDefinition = ajv.compile(DEFINITION_SCHEMA);

/** Functions that read the run (the executor provides them). */
export const CONTEXT_FUNCTIONS = ['triggerBody', 'body', 'outputs', 'items', 'parameters', 'variables', 'listCallbackUrl', 'actions', 'workflow'];

export interface CheckOptions {
  /** Keys of the workflow's parameters.$connections.value. */
  connections: string[];
  /** Base URL of Microsoft Graph (the audience Graph calls must name). */
  graphAudience: string;
}

interface ActionInfo {
  name: string;
  path: string;
  type: string;
  /** Enclosing Foreach names, innermost last. */
  loops: string[];
  topLevel: boolean;
}

export function checkWorkflow(def: unknown, opts: CheckOptions): string[] {
  const problems: string[] = [];
  if (!validateDefinition(def)) {
    for (const e of validateDefinition.errors ?? []) problems.push(`definition${e.instancePath.replace(/\//g, '.')}: ${e.message ?? 'invalid'}`);
    return problems;
  }
  const d = def as { parameters?: Record<string, unknown>; triggers: Record<string, { inputs: { path: string; host: { connection: { name: string } } } }>; actions: Record<string, Record<string, unknown>> };
  const params = new Set(Object.keys(d.parameters ?? {}));
  const trigger = Object.values(d.triggers)[0]!;
  if (trigger.inputs.path !== '/incident-creation') problems.push(`trigger: path is ${trigger.inputs.path}; the Sentinel incident trigger is /incident-creation`);

  // Every action, where it sits, and its enclosing loops.
  const infos = new Map<string, ActionInfo>();
  const walk = (actions: Record<string, Record<string, unknown>>, path: string, loops: string[], topLevel: boolean, depth = 1) => {
    for (const [name, a] of Object.entries(actions)) {
      const p = `${path}.${name}`;
      if (infos.has(name)) problems.push(`${p}: action name '${name}' is used twice (names are unique across a workflow)`);
      infos.set(name, { name, path: p, type: String(a.type), loops, topLevel });
      for (const target of Object.keys((a.runAfter as object) ?? {})) {
        if (!(target in actions)) problems.push(`${p}: runAfter names '${target}', which is not an action in the same scope`);
      }
      const inner = a.type === 'Foreach' ? [...loops, name] : loops;
      if (a.actions) walk(a.actions as Record<string, Record<string, unknown>>, `${p}.actions`, inner, false, depth + 1);
      const otherwise = (a.else as { actions?: Record<string, Record<string, unknown>> } | undefined)?.actions;
      if (otherwise) walk(otherwise, `${p}.else.actions`, inner, false, depth + 1);
      if (a.type === 'InitializeVariable' && !topLevel) problems.push(`${p}: InitializeVariable must be at the top level of the workflow`);
      if (a.type === 'InitializeVariable' && ((a.inputs as { variables?: unknown[] }).variables ?? []).length !== 1) problems.push(`${p}: InitializeVariable takes exactly one variable`);
      if (depth > MAX_DEPTH) problems.push(`${p}: nested ${depth} levels deep; Logic Apps allows ${MAX_DEPTH}`);
    }
  };
  walk(d.actions, 'actions', [], true);
  detectCycles(d.actions, 'actions', problems);

  const variables = new Set<string>();
  const collectVars = (actions: Record<string, Record<string, unknown>>) => {
    for (const a of Object.values(actions)) {
      if (a.type === 'InitializeVariable') for (const v of ((a.inputs as { variables: { name: string }[] }).variables ?? [])) variables.add(v.name);
    }
  };
  collectVars(d.actions);

  // Expressions: parse, known functions, references that resolve.
  const known = new Set([...Object.keys(FUNCTIONS), ...CONTEXT_FUNCTIONS, 'if']);
  const checkStrings = (value: unknown, where: string, loops: string[]) => {
    if (typeof value === 'string') {
      let exprs: string[];
      try {
        exprs = expressionsIn(value);
      } catch (e) {
        problems.push(`${where}: ${(e as Error).message}`);
        return;
      }
      for (const x of exprs) {
        let calls;
        try {
          calls = callsIn(x);
        } catch (e) {
          if (e instanceof ExprError) problems.push(`${where}: ${e.message}`);
          else throw e;
          continue;
        }
        for (const c of calls) {
          if (!known.has(c.name)) problems.push(`${where}: unknown function ${c.name}()`);
          const ref = typeof c.first === 'string' ? c.first : undefined;
          if ((c.name === 'body' || c.name === 'outputs' || c.name === 'actions') && ref !== undefined && !infos.has(ref)) problems.push(`${where}: ${c.name}('${ref}') names no action`);
          if (c.name === 'items' && ref !== undefined && !loops.includes(ref)) problems.push(`${where}: items('${ref}') outside that for-each`);
          if (c.name === 'parameters' && ref !== undefined && !params.has(ref)) problems.push(`${where}: parameters('${ref}') is not declared`);
          if (c.name === 'variables' && ref !== undefined && !variables.has(ref)) problems.push(`${where}: variables('${ref}') is never initialized`);
        }
        for (const m of x.matchAll(/parameters\('\$connections'\)\['([^']+)'\]/g)) {
          if (!opts.connections.includes(m[1]!)) problems.push(`${where}: connection '${m[1]}' is not in $connections`);
        }
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => checkStrings(v, `${where}[${i}]`, loops));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkStrings(v, `${where}.${k}`, loops);
  };
  checkStrings(trigger, 'trigger', []);
  const visit = (actions: Record<string, Record<string, unknown>>, loops: string[]) => {
    for (const [name, a] of Object.entries(actions)) {
      const i = infos.get(name)!;
      const own = a.type === 'Foreach' ? [...loops, name] : loops;
      checkStrings(a.inputs, `${i.path}.inputs`, loops);
      checkStrings(a.expression, `${i.path}.expression`, own);
      checkStrings(a.foreach, `${i.path}.foreach`, loops);
      if (['SetVariable', 'IncrementVariable', 'AppendToArrayVariable'].includes(String(a.type))) {
        const v = (a.inputs as { name: string }).name;
        if (!variables.has(v)) problems.push(`${i.path}: variable '${v}' is never initialized`);
      }
      if (a.type === 'Http') {
        const inp = a.inputs as { uri: string; authentication?: { type: string; audience?: string } };
        if (/graphEndpoint|graph\.microsoft/i.test(inp.uri)) {
          if (inp.authentication?.type !== 'ManagedServiceIdentity' || inp.authentication.audience !== opts.graphAudience) {
            problems.push(`${i.path}: a Microsoft Graph call must authenticate with the managed identity, audience ${opts.graphAudience}`);
          }
        }
      }
      if (a.actions) visit(a.actions as Record<string, Record<string, unknown>>, own);
      const otherwise = (a.else as { actions?: Record<string, Record<string, unknown>> } | undefined)?.actions;
      if (otherwise) visit(otherwise, own);
    }
  };
  visit(d.actions, []);
  return problems;
}

function detectCycles(actions: Record<string, Record<string, unknown>>, path: string, problems: string[]): void {
  const state = new Map<string, number>();
  const dfs = (n: string): boolean => {
    if (state.get(n) === 1) return true;
    if (state.get(n) === 2) return false;
    state.set(n, 1);
    for (const t of Object.keys((actions[n]?.runAfter as object) ?? {})) if (t in actions && dfs(t)) return true;
    state.set(n, 2);
    return false;
  };
  for (const n of Object.keys(actions)) if (dfs(n)) problems.push(`${path}: runAfter forms a cycle through '${n}'`);
  for (const [n, a] of Object.entries(actions)) {
    if (a.actions) detectCycles(a.actions as Record<string, Record<string, unknown>>, `${path}.${n}.actions`, problems);
    const otherwise = (a.else as { actions?: Record<string, Record<string, unknown>> } | undefined)?.actions;
    if (otherwise) detectCycles(otherwise, `${path}.${n}.else.actions`, problems);
  }
}
