// One place that turns a workspace's cloud and the environment into ready-to-use SDK clients.
// Everything that talks to Azure or Graph gets its clients here, so the overrides, the extra CA
// and the credential rules hold everywhere alike.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { TokenCredential } from '@azure/identity';
import { SecurityInsights } from '@azure/arm-securityinsight';
import { LogicManagementClient } from '@azure/arm-logic';
import { ResourceManagementClient } from '@azure/arm-resources';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import { Client as GraphClient, type AuthenticationProvider } from '@microsoft/microsoft-graph-client';
import { Agent } from 'undici';
import { UserError } from '../diagnostics.js';
import { credentialFor } from './credential.js';
import { endpointsFor, type CloudName, type Endpoints, type Env } from './endpoints.js';

export interface RetrySettings {
  maxRetries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
}

export interface AzureContext {
  endpoints: Endpoints;
  credential: TokenCredential;
  /** Extra trusted certificates (SESSIONGUARD_CA_FILE) on top of the system's, or undefined. */
  ca?: string[];
  retry: RetrySettings;
}

/** SESSIONGUARD_CA_FILE: a PEM trusted in addition to the system's roots. */
export function extraCa(env: Env = process.env): string[] | undefined {
  const file = env.SESSIONGUARD_CA_FILE?.trim();
  if (!file) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`SESSIONGUARD_CA_FILE=${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'}); expected a PEM certificate file`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UserError(`SESSIONGUARD_CA_FILE=${file}: expected a PEM certificate (-----BEGIN CERTIFICATE-----)`);
  // Node's `ca` option replaces the default roots, so keep them alongside.
  return [...rootCertificates, pem];
}

export function azureContext(opts: { cloud?: CloudName; env?: Env; credential?: TokenCredential; retry?: RetrySettings } = {}): AzureContext {
  const env = opts.env ?? process.env;
  const endpoints = endpointsFor(opts.cloud ?? 'AzurePublic', env);
  const retryEnv = env.SESSIONGUARD_RETRY_DELAY_MS ? Number(env.SESSIONGUARD_RETRY_DELAY_MS) : undefined;
  return {
    endpoints,
    credential: opts.credential ?? credentialFor(endpoints, env),
    ca: extraCa(env),
    retry: opts.retry ?? (retryEnv !== undefined && Number.isFinite(retryEnv) ? { retryDelayInMs: retryEnv, maxRetryDelayInMs: retryEnv * 4 } : {}),
  };
}

function tlsOptions(ctx: AzureContext): { tlsOptions?: { ca: string[] } } {
  return ctx.ca ? { tlsOptions: { ca: ctx.ca } } : {};
}

/** Options shared by the ARM management clients. */
export function armOptions(ctx: AzureContext) {
  return {
    endpoint: ctx.endpoints.arm,
    credentialScopes: ctx.endpoints.armScope,
    ...tlsOptions(ctx),
    retryOptions: ctx.retry,
  };
}

export function securityInsightsClient(ctx: AzureContext, subscriptionId: string): SecurityInsights {
  return new SecurityInsights(ctx.credential, subscriptionId, armOptions(ctx));
}

export function logicClient(ctx: AzureContext, subscriptionId: string): LogicManagementClient {
  return new LogicManagementClient(ctx.credential, subscriptionId, armOptions(ctx));
}

export function resourcesClient(ctx: AzureContext, subscriptionId: string): ResourceManagementClient {
  return new ResourceManagementClient(ctx.credential, subscriptionId, armOptions(ctx));
}

export function logsClient(ctx: AzureContext): LogsQueryClient {
  // The client uses the endpoint verbatim: it must carry the /v1.
  return new LogsQueryClient(ctx.credential, {
    endpoint: `${ctx.endpoints.logs}/v1`,
    credentials: { scopes: [ctx.endpoints.logsScope] },
    ...tlsOptions(ctx),
    retryOptions: ctx.retry,
  } as ConstructorParameters<typeof LogsQueryClient>[1]);
}

/** A Microsoft Graph client; the Authorization header goes only to the configured Graph host. */
export function graphClient(ctx: AzureContext): GraphClient {
  const base = new URL(ctx.endpoints.graph);
  const authProvider: AuthenticationProvider = {
    getAccessToken: async () => {
      const t = await ctx.credential.getToken(ctx.endpoints.graphScope);
      if (!t) throw new UserError('could not get a token for Microsoft Graph');
      return t.token;
    },
  };
  const fetchOptions = ctx.ca ? ({ dispatcher: new Agent({ connect: { ca: ctx.ca } }) } as unknown as RequestInit) : undefined;
  return GraphClient.initWithMiddleware({
    authProvider,
    baseUrl: `${base.origin}/`,
    customHosts: new Set([base.hostname]),
    ...(fetchOptions ? { fetchOptions } : {}),
  });
}
