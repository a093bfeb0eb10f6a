// One local fake of the Azure services sessionguard talks to (ARM, Microsoft Graph, Log Analytics),
// on loopback over HTTPS with a certificate generated at start. Real SDK clients point at it.
// Services register routes; this module does TLS, routing, auth, faults and the request log.
import { createServer, type Server } from 'node:https';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { generate } from 'selfsigned';
import { Faults, type FaultSpec } from './faults.js';
import { armError, graphError, json, readBody, send, type FakeRequest, type FakeResponse, type Route } from './http.js';
import { SpecValidator, type SpecIssue } from './specs.js';

export interface RecordedRequest {
  seq: number;
  at: string;
  service: Route['service'] | 'unrouted';
  method: string;
  path: string;
  query: Record<string, string>;
  /** Headers with authorization redacted. */
  headers: Record<string, string>;
  body: unknown;
  status: number;
  /** Spec and semantic problems found in the request (empty when it was valid). */
  problems: SpecIssue[];
  fault?: number;
}

export interface FakeOptions {
  port?: number;
  host?: string;
  /** A copy of azure-specs (its `specification/` folder inside); without it only our own checks run. */
  specsDir?: string;
  /** Answer 400 when a request breaks the spec (default true). */
  strict?: boolean;
  /** Page size for ARM list operations (default 100); small values exercise nextLink paging. */
  pageSize?: number;
  seed?: number;
}

export class FakeAzure {
  readonly routes: Route[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly faults: Faults;
  /** Hooks run after start/before stop by services (e.g. loading logs, saving state). */
  readonly onStop: (() => void | Promise<void>)[] = [];
  url = '';
  ca = '';
  caFile = '';
  strict: boolean;
  pageSize: number;
  specs?: SpecValidator;
  private server?: Server;
  private sockets = new Set<Socket>();
  private seq = 0;

  constructor(readonly options: FakeOptions = {}) {
    this.strict = options.strict ?? true;
    this.pageSize = options.pageSize ?? 100;
    this.faults = new Faults(options.seed);
  }

  route(r: Route): void {
    this.routes.push(r);
  }

  /** Problems of the current request, added by validators; handlers read them to answer 400. */
  async start(): Promise<void> {
    this.specs = await SpecValidator.load(this.options.specsDir);
    const host = this.options.host ?? '127.0.0.1';
    const pems = await generate([{ name: 'commonName', value: 'sessionguard fake azure' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }, { type: 7, ip: '::1' }] },
      ],
    } as Parameters<typeof generate>[1]);
    this.ca = pems.cert;
    const dir = mkdtempSync(join(tmpdir(), 'sg-fake-azure-'));
    this.caFile = join(dir, 'ca.pem');
    writeFileSync(this.caFile, pems.cert);
    this.server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, host, () => resolve());
    });
    const port = (this.server.address() as AddressInfo).port;
    this.url = `https://${host === '::1' ? '[::1]' : host}:${port}`;
  }

  async stop(): Promise<void> {
    for (const h of this.onStop) await h();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.specs?.dispose();
  }

  /** Environment that points the sessionguard CLI at this fake. */
  env(token = 'fake-token'): Record<string, string> {
    return {
      SESSIONGUARD_ARM_ENDPOINT: this.url,
      SESSIONGUARD_GRAPH_ENDPOINT: this.url,
      SESSIONGUARD_LOGS_ENDPOINT: this.url,
      SESSIONGUARD_STATIC_TOKEN: token,
      SESSIONGUARD_CA_FILE: this.caFile,
      SESSIONGUARD_RETRY_DELAY_MS: '10',
    };
  }

  private async handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const seq = ++this.seq;
    // Some SDK calls send '//subscriptions/…' (an id joined to the endpoint): not a host name.
    const u = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), 'https://fake');
    const path = u.pathname.replace(/\/{2,}/g, '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    let text = '';
    try {
      text = await readBody(req);
    } catch {
      send(res, armError(413, 'RequestTooLarge', 'request body too large'));
      return;
    }
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    let matched: Route | undefined;
    let params: Record<string, string> = {};
    for (const r of this.routes) {
      if (r.method !== '*' && r.method !== method) continue;
      const m = r.pattern.exec(path);
      if (m) {
        matched = r;
        params = { ...(m.groups ?? {}) };
        break;
      }
    }
    const record: RecordedRequest = {
      seq,
      at: new Date().toISOString(),
      service: matched?.service ?? 'unrouted',
      method,
      path,
      query: Object.fromEntries(u.searchParams),
      headers: redact(headers),
      body: body ?? (text || undefined),
      status: 0,
      problems: [],
    };
    if (matched?.service !== 'control') this.requests.push(record);

    const fault = matched?.service === 'control' ? undefined : this.faults.match(method, path);
    if (fault) {
      record.fault = fault.id;
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.drop) {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault.status) {
        record.status = fault.status;
        const svc = matched?.service;
        const fallback = svc === 'graph' ? graphError(fault.status, fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', 'injected fault') : armError(fault.status, fault.status === 429 ? 'TooManyRequests' : 'InternalServerError', 'injected fault');
        send(res, { status: fault.status, headers: { ...(fallback.headers ?? {}), ...(fault.headers ?? {}) }, body: fault.body ?? fallback.body });
        return;
      }
    }

    let out: FakeResponse;
    if (!matched) {
      out = armError(404, 'NoRouteMatched', `the fake serves no ${method} ${path}`);
    } else if (matched.service !== 'control' && matched.service !== 'token' && matched.service !== 'webhook' && !/^Bearer \S+/.test(headers.authorization ?? '')) {
      out = matched.service === 'graph' ? graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.') : armError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
    } else {
      const fr: FakeRequest = { method, path, query: u.searchParams, headers, text, body, params };
      try {
        out = await matched.handler(fr);
      } catch (e) {
        out = armError(500, 'FakeInternalError', (e as Error).message);
      }
      const problems = (fr as FakeRequest & { problems?: SpecIssue[] }).problems;
      if (problems) record.problems = problems;
    }
    record.status = out.status;
    const base: Record<string, string> = { 'x-ms-request-id': randomUUID() };
    if (matched?.service === 'arm') {
      base['x-ms-correlation-request-id'] = randomUUID();
      base['x-ms-ratelimit-remaining-subscription-reads'] = '249';
      base['x-ms-ratelimit-remaining-subscription-writes'] = '199';
    }
    send(res, { ...out, headers: { ...base, ...(out.headers ?? {}) } });
  }

  /** Control endpoints, for a fake run by hand or in another process. */
  registerControl(): void {
    this.route({ service: 'control', method: 'GET', pattern: /^\/_fake\/requests$/i, handler: () => json(200, this.requests) });
    this.route({
      service: 'control',
      method: 'POST',
      pattern: /^\/_fake\/faults$/i,
      handler: (r) => {
        const spec = r.body as FaultSpec & { pathRegex?: string };
        if (!spec || typeof spec !== 'object') return armError(400, 'BadFault', 'expected a JSON fault spec');
        const id = this.faults.add({ ...spec, ...(spec.pathRegex ? { path: new RegExp(spec.pathRegex, 'i') } : {}), times: spec.times ?? 1 });
        return json(201, { id });
      },
    });
    this.route({ service: 'control', method: 'DELETE', pattern: /^\/_fake\/faults$/i, handler: () => (this.faults.clear(), { status: 204 }) });
  }
}

function redact(h: Record<string, string>): Record<string, string> {
  const out = { ...h };
  if (out.authorization) out.authorization = out.authorization.replace(/^(\w+)\s.*$/, '$1 <redacted>');
  return out;
}

/** Attach spec/semantic problems to a request so the log shows them. */
export function noteProblems(req: FakeRequest, problems: SpecIssue[]): void {
  const r = req as FakeRequest & { problems?: SpecIssue[] };
  r.problems = [...(r.problems ?? []), ...problems];
}
