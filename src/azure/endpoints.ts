// Which Azure endpoints a workspace talks to: its cloud, then the SESSIONGUARD_*_ENDPOINT overrides.
import { UserError } from '../diagnostics.js';

export type CloudName = 'AzurePublic' | 'AzureUSGovernment' | 'AzureChina';

export interface Endpoints {
  cloud: CloudName;
  arm: string; // https://management.azure.com
  graph: string; // https://graph.microsoft.com (no version segment)
  logs: string; // https://api.loganalytics.io (no /v1)
  authority: string; // https://login.microsoftonline.com
  // Token scopes stay the production ones even when an override points elsewhere,
  // so a fake sees exactly what the real service would be asked for.
  armScope: string;
  graphScope: string;
  logsScope: string;
}

const CLOUDS: Record<CloudName, Omit<Endpoints, 'cloud' | 'armScope' | 'graphScope' | 'logsScope'>> = {
  AzurePublic: {
    arm: 'https://management.azure.com',
    graph: 'https://graph.microsoft.com',
    logs: 'https://api.loganalytics.io',
    authority: 'https://login.microsoftonline.com',
  },
  AzureUSGovernment: {
    arm: 'https://management.usgovcloudapi.net',
    graph: 'https://graph.microsoft.us',
    logs: 'https://api.loganalytics.us',
    authority: 'https://login.microsoftonline.us',
  },
  AzureChina: {
    arm: 'https://management.chinacloudapi.cn',
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    logs: 'https://api.loganalytics.azure.cn',
    authority: 'https://login.chinacloudapi.cn',
  },
};

export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[];

export type Env = Record<string, string | undefined>;

function override(env: Env, name: string, fallback: string): string {
  const v = env[name]?.trim();
  if (!v) return fallback;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UserError(`${name}=${JSON.stringify(v)}: expected an https URL such as https://127.0.0.1:8443`);
  }
  if (u.protocol !== 'https:') throw new UserError(`${name}: expected an https URL (the Azure SDKs refuse plain http), got ${u.protocol}`);
  return v.replace(/\/+$/, '');
}

export function endpointsFor(cloud: CloudName = 'AzurePublic', env: Env = process.env): Endpoints {
  const base = CLOUDS[cloud];
  if (!base) throw new UserError(`unknown cloud ${JSON.stringify(cloud)}: expected one of ${CLOUD_NAMES.join(', ')}`);
  return {
    cloud,
    arm: override(env, 'SESSIONGUARD_ARM_ENDPOINT', base.arm),
    graph: override(env, 'SESSIONGUARD_GRAPH_ENDPOINT', base.graph),
    logs: override(env, 'SESSIONGUARD_LOGS_ENDPOINT', base.logs),
    authority: base.authority,
    armScope: `${base.arm}/.default`,
    graphScope: `${base.graph}/.default`,
    logsScope: `${base.logs}/.default`,
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopback(url: string): boolean {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}
