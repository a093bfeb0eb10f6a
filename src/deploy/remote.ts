// Reads and writes workspace resources through the Azure SDK clients' own pipelines (auth, 429/5xx
// retries, tracing). Bodies go out exactly as built, at the api-version we chose: the Sentinel SDK's
// models are 2022-09-01-preview and drop newer properties both ways. Deletes use the SDK operations.
import { createHttpHeaders, createPipelineRequest, RestError, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { SecurityInsights } from '@azure/arm-securityinsight';
import type { LogicManagementClient } from '@azure/arm-logic';
import type { ResourceManagementClient } from '@azure/arm-resources';
import { azureContext, logicClient, resourcesClient, securityInsightsClient, type AzureContext } from '../azure/context.js';
import type { Env } from '../azure/endpoints.js';
import type { WorkspaceConfig } from '../rules/config.js';
import type { KindTraits } from './kinds.js';

export interface RemoteResource {
  id: string;
  etag?: string;
  body: Record<string, unknown>;
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** A request that failed for good (after the SDK's retries and ours). */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR', 'UND_ERR_SOCKET']);

function isTransientStatus(s: number): boolean {
  return s === 408 || s === 429 || (s >= 500 && s !== 501 && s !== 505);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errorText(body: unknown, status: number): { code?: string; message: string } {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return { code: e?.code, message: e?.message ? `${status} ${e.code ?? ''}: ${e.message}`.replace(' :', ':') : `HTTP ${status}` };
}

export interface RemoteOptions {
  /** Our own attempts on top of the SDK's (dropped connections, throttling that outlasts the SDK). */
  attempts?: number;
  /** Base delay for our backoff, ms. */
  delayMs?: number;
}

export class Remote {
  private readonly si: SecurityInsights;
  private readonly logic: LogicManagementClient;
  private readonly resources: ResourceManagementClient;
  private readonly attempts: number;
  private readonly delayMs: number;

  constructor(
    readonly ctx: AzureContext,
    readonly subscriptionId: string,
    opts: RemoteOptions = {},
  ) {
    this.si = securityInsightsClient(ctx, subscriptionId);
    this.logic = logicClient(ctx, subscriptionId);
    this.resources = resourcesClient(ctx, subscriptionId);
    this.attempts = opts.attempts ?? 4;
    this.delayMs = opts.delayMs ?? ctx.retry.retryDelayInMs ?? 1000;
  }

  private client(traits: KindTraits): { sendRequest(r: ReturnType<typeof createPipelineRequest>): Promise<PipelineResponse> } {
    return traits.client === 'securityInsights' ? this.si : traits.client === 'logic' ? this.logic : this.resources;
  }

  private url(path: string, apiVersion: string, query: Record<string, string> = {}): string {
    const q = new URLSearchParams({ 'api-version': apiVersion, ...query });
    return `${this.ctx.endpoints.arm}${path}?${q.toString()}`;
  }

  /** One request with our bounded retry; never throws for an HTTP status that is not transient. */
  async send(traits: KindTraits, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer & { attempts: number }> {
    let last: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let res: PipelineResponse | undefined;
      try {
        res = await this.client(traits).sendRequest(
          createPipelineRequest({
            url,
            method: method as 'GET',
            headers: createHttpHeaders({ accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }),
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          }),
        );
      } catch (e) {
        last = e;
        const code = e instanceof RestError ? e.code : (e as NodeJS.ErrnoException).code;
        if (!code || !TRANSIENT_CODES.has(code)) throw new RemoteError(`${method} failed: ${(e as Error).message}`, undefined, code);
        await sleep(this.backoff(attempt));
        continue;
      }
      let parsed: unknown;
      try {
        parsed = res.bodyAsText ? JSON.parse(res.bodyAsText) : undefined;
      } catch {
        parsed = res.bodyAsText;
      }
      const answer = { status: res.status, body: parsed, headers: res.headers.toJSON(), attempts: attempt };
      if (isTransientStatus(res.status) && attempt < this.attempts) {
        last = answer;
        await sleep(this.backoff(attempt, res.headers.get('retry-after')));
        continue;
      }
      return answer;
    }
    if (last && typeof last === 'object' && 'status' in last) return last as Answer & { attempts: number };
    throw new RemoteError(`${method} failed after ${this.attempts} attempts: ${(last as Error)?.message ?? 'connection dropped'}`, undefined, (last as RestError)?.code);
  }

  private backoff(attempt: number, retryAfter?: string | null): number {
    const s = retryAfter ? Number(retryAfter) : NaN;
    if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 60_000);
    return Math.min(this.delayMs * 2 ** attempt, 30_000);
  }

  /** Every resource of a collection, following nextLink verbatim. */
  async list(traits: KindTraits, collectionPath: string, apiVersion: string): Promise<RemoteResource[]> {
    const out: RemoteResource[] = [];
    let url: string | undefined = this.url(collectionPath, apiVersion, traits.listQuery);
    for (let pages = 0; url && pages < 1000; pages++) {
      const r = await this.send(traits, 'GET', url);
      if (r.status === 404) return out;
      if (r.status !== 200) {
        const e = errorText(r.body, r.status);
        throw new RemoteError(`listing ${collectionPath}: ${e.message}`, r.status, e.code);
      }
      const page = r.body as { value?: Record<string, unknown>[]; nextLink?: string };
      for (const v of page.value ?? []) out.push({ id: String(v.id), etag: typeof v.etag === 'string' ? v.etag : undefined, body: v });
      url = page.nextLink || undefined;
    }
    return out;
  }

  async get(traits: KindTraits, id: string, apiVersion: string): Promise<RemoteResource | undefined> {
    const r = await this.send(traits, 'GET', this.url(id, apiVersion));
    if (r.status === 404) return undefined;
    if (r.status !== 200) {
      const e = errorText(r.body, r.status);
      throw new RemoteError(`reading ${id}: ${e.message}`, r.status, e.code);
    }
    const body = r.body as Record<string, unknown>;
    const etag = typeof body.etag === 'string' ? body.etag : r.headers.etag;
    return { id: String(body.id ?? id), etag, body };
  }

  /** PUT the body as built; with `etag` the service refuses (409/412) if the resource changed since it was read. */
  async put(traits: KindTraits, id: string, apiVersion: string, body: Record<string, unknown>, etag?: string): Promise<Answer & { attempts: number }> {
    const sent = etag && traits.etagIn === 'body' ? { ...body, etag } : body;
    const headers: Record<string, string> = etag && traits.etagIn === 'header' ? { 'if-match': etag } : {};
    return this.send(traits, 'PUT', this.url(id, apiVersion), sent, headers);
  }

  /** Deletes through the SDK operation where the SDK has one; a resource already gone is not an error. */
  async delete(traits: KindTraits, id: string, apiVersion: string): Promise<void> {
    const m = /\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/(?:Microsoft\.OperationalInsights\/workspaces\/([^/]+)\/providers\/)?[^/]+\/[^/]+\/([^/]+)$/i.exec(id);
    const [rg, ws, name] = m ? [m[1]!, m[2], m[3]!] : ['', undefined, ''];
    for (let attempt = 1; ; attempt++) {
      try {
        if (traits.kind === 'analyticsRule' && ws) await this.si.alertRules.delete(rg, ws, name);
        else if (traits.kind === 'automationRule' && ws) await this.si.automationRules.delete(rg, ws, name);
        else if (traits.kind === 'watchlist' && ws) await this.si.watchlists.delete(rg, ws, name);
        else if (traits.kind === 'playbook') await this.logic.workflows.delete(rg, name);
        else {
          // Connections and workbooks: a plain DELETE through the resources client's pipeline.
          const r = await this.send(traits, 'DELETE', this.url(id, apiVersion));
          if (r.status >= 300 && r.status !== 404) {
            const e = errorText(r.body, r.status);
            throw new RemoteError(`deleting ${id}: ${e.message}`, r.status, e.code);
          }
        }
        return;
      } catch (e) {
        if (e instanceof RemoteError) throw e;
        const status = (e as RestError).statusCode;
        const code = (e as RestError).code;
        if (status === 404) return;
        const transient = (status !== undefined && isTransientStatus(status)) || (code !== undefined && TRANSIENT_CODES.has(code));
        if (!transient || attempt >= this.attempts) throw new RemoteError(`deleting ${id}: ${(e as Error).message}`, status, code);
        await sleep(this.backoff(attempt));
      }
    }
  }
}

/** The remote for a workspace: its cloud selects the endpoints (the SESSIONGUARD_*_ENDPOINT variables override them). */
export function remoteFor(target: { subscriptionId: string; config: Pick<WorkspaceConfig, 'cloud'> }, env: Env = process.env): Remote {
  return new Remote(azureContext({ cloud: target.config.cloud, env }), target.subscriptionId);
}
