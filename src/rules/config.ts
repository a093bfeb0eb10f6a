// sessionguard.yaml: where the rules are, and the workspaces they deploy to.
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { checkSchema } from './check.js';
import { parseDuration } from './duration.js';
import { DURATION_PATTERN } from './schema.js';
import { positionOf, readYamlFile, type YamlSource } from './source.js';

export const CONFIG_FILE = 'sessionguard.yaml';

export type Cloud = 'AzurePublic' | 'AzureUSGovernment' | 'AzureChina';

export interface RuleOverride {
  enabled?: boolean;
  parameters?: Record<string, unknown>;
}

export interface WorkspaceConfig {
  name: string;
  subscriptionId?: string;
  resourceGroup?: string;
  workspaceName?: string;
  location?: string;
  /** The Log Analytics workspace id (customer id GUID) for data-plane queries. */
  workspaceId?: string;
  /** The Entra tenant (GUID) the workspace belongs to. */
  tenantId?: string;
  cloud: Cloud;
  parameters: Record<string, unknown>;
  /** When set, only these rule ids are deployed. */
  enabledRules?: string[];
  disabledRules: string[];
  overrides: Record<string, RuleOverride>;
  /** Table -> expected ingestion delay (ms), over the defaults. */
  ingestionDelay: Record<string, number>;
}

export interface Config {
  /** Folder of the configuration file; paths are relative to it. */
  root: string;
  file: string | null;
  source: YamlSource | null;
  rules: string[];
  watchlists: string[];
  playbooks: string[];
  workbooks: string[];
  ingestionDelay: Record<string, number>;
  workspaces: WorkspaceConfig[];
}

const durationMap = { type: 'object', additionalProperties: { type: 'string', pattern: DURATION_PATTERN, description: 'duration' } };
const pathList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rules: pathList,
    watchlists: pathList,
    playbooks: pathList,
    workbooks: pathList,
    ingestionDelay: durationMap,
    workspaces: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'workspace name (letters, digits, _ . -)' },
          subscriptionId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'subscription id (GUID)' },
          resourceGroup: { type: 'string', pattern: '^[-\\w._()]{1,90}$', description: 'resource group name' },
          workspaceName: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$', description: 'Log Analytics workspace name' },
          location: { type: 'string' },
          workspaceId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'Log Analytics workspace id (GUID)' },
          tenantId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'Entra tenant id (GUID)' },
          cloud: { enum: ['AzurePublic', 'AzureUSGovernment', 'AzureChina'] },
          parameters: { type: 'object' },
          rules: {
            type: 'object',
            additionalProperties: false,
            properties: {
              enabled: { type: 'array', items: { type: 'string' } },
              disabled: { type: 'array', items: { type: 'string' } },
              overrides: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  additionalProperties: false,
                  properties: { enabled: { type: 'boolean' }, parameters: { type: 'object' } },
                },
              },
            },
          },
          ingestionDelay: durationMap,
        },
      },
    },
  },
} as const;

function defaultWorkspace(): WorkspaceConfig {
  return { name: 'default', cloud: 'AzurePublic', parameters: {}, disabledRules: [], overrides: {}, ingestionDelay: {} };
}

/** Finds sessionguard.yaml in `dir` (no walking up: the CLI works on the current directory). */
export function findConfig(dir: string): string | null {
  const f = join(dir, CONFIG_FILE);
  return existsSync(f) ? f : null;
}

export function loadConfig(dir: string, file: string | null = findConfig(dir)): { config: Config; diagnostics: Diagnostic[] } {
  const root = file ? dirname(resolve(file)) : resolve(dir);
  const base: Config = {
    root,
    file,
    source: null,
    rules: [join(root, 'rules')],
    watchlists: [join(root, 'rules', 'watchlists')],
    playbooks: [join(root, 'playbooks')],
    workbooks: [join(root, 'workbooks')],
    ingestionDelay: {},
    workspaces: [defaultWorkspace()],
  };
  if (!file) return { config: base, diagnostics: [] };
  const shown = relative(dir, file) || file;
  const read = readYamlFile(file);
  if (!read.ok) return { config: base, diagnostics: read.diagnostics.map((d) => ({ ...d, file: shown })) };
  const src = { ...read.source, file: shown };
  const diagnostics: Diagnostic[] = read.warnings.map((d) => ({ ...d, file: shown }));
  if (src.data === null || src.data === undefined) return { config: { ...base, source: src }, diagnostics };
  if (typeof src.data !== 'object' || Array.isArray(src.data)) {
    diagnostics.push({ file: shown, line: 1, col: 1, severity: 'error', message: 'expected a mapping (rules, watchlists, workspaces, …)' });
    return { config: base, diagnostics };
  }
  diagnostics.push(...checkSchema(src, CONFIG_SCHEMA));
  if (diagnostics.some((d) => d.severity === 'error')) return { config: base, diagnostics };

  const raw = src.data as Record<string, unknown>;
  const paths = (v: unknown, dflt: string[]) => (v === undefined ? dflt : (Array.isArray(v) ? v : [v]).map((p) => resolve(root, String(p))));
  const delays = (v: unknown) => Object.fromEntries(Object.entries((v ?? {}) as Record<string, string>).map(([t, d]) => [t, parseDuration(d) ?? 0]));
  const workspaces: WorkspaceConfig[] = [];
  ((raw.workspaces ?? []) as Record<string, unknown>[]).forEach((w, i) => {
    const rules = (w.rules ?? {}) as Record<string, unknown>;
    const ws: WorkspaceConfig = {
      name: String(w.name),
      subscriptionId: w.subscriptionId as string | undefined,
      resourceGroup: w.resourceGroup as string | undefined,
      workspaceName: w.workspaceName as string | undefined,
      location: w.location as string | undefined,
      workspaceId: w.workspaceId as string | undefined,
      tenantId: w.tenantId as string | undefined,
      cloud: (w.cloud as Cloud | undefined) ?? 'AzurePublic',
      parameters: (w.parameters ?? {}) as Record<string, unknown>,
      enabledRules: rules.enabled as string[] | undefined,
      disabledRules: (rules.disabled ?? []) as string[],
      overrides: (rules.overrides ?? {}) as Record<string, RuleOverride>,
      ingestionDelay: delays(w.ingestionDelay),
    };
    if (workspaces.some((o) => o.name === ws.name)) {
      const p = positionOf(src, ['workspaces', i, 'name']);
      diagnostics.push({ file: shown, line: p.line, col: p.col, severity: 'error', message: `workspace '${ws.name}' is defined twice` });
    }
    const ids = [ws.subscriptionId, ws.resourceGroup, ws.workspaceName].filter((x) => x !== undefined).length;
    if (ids > 0 && ids < 3) {
      const p = positionOf(src, ['workspaces', i, 'name']);
      diagnostics.push({ file: shown, line: p.line, col: p.col, severity: 'error', message: `workspace '${ws.name}': give subscriptionId, resourceGroup and workspaceName together` });
    }
    workspaces.push(ws);
  });
  return {
    config: {
      root,
      file,
      source: src,
      rules: paths(raw.rules, base.rules),
      watchlists: paths(raw.watchlists, base.watchlists),
      playbooks: paths(raw.playbooks, base.playbooks),
      workbooks: paths(raw.workbooks, base.workbooks),
      ingestionDelay: delays(raw.ingestionDelay),
      workspaces: workspaces.length ? workspaces : [defaultWorkspace()],
    },
    diagnostics,
  };
}

/** The ARM resource id of the workspace, when the configuration names it fully. */
export function workspaceResourceId(ws: WorkspaceConfig): string | null {
  if (!ws.subscriptionId || !ws.resourceGroup || !ws.workspaceName) return null;
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${ws.workspaceName}`;
}
