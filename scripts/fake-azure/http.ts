// Small HTTP helpers shared by the fake's services: responses, ARM-shaped errors, routing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface FakeRequest {
  method: string;
  /** Path with "//" collapsed, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  /** Raw body text ('' when none). */
  text: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
  params: Record<string, string>;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface Route {
  method: string; // GET, PUT, … or '*'
  /** Matched against the collapsed path, case-insensitively; named groups become params. */
  pattern: RegExp;
  handler: Handler;
  /** Which service answers (arm, graph, logs, token, control): selects auth and error shapes. */
  service: 'arm' | 'graph' | 'logs' | 'token' | 'control' | 'webhook';
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, body, headers };
}

export function armError(status: number, code: string, message: string, details?: unknown[]): FakeResponse {
  return json(status, { error: { code, message, ...(details ? { details } : {}) } });
}

export function graphError(status: number, code: string, message: string): FakeResponse {
  const now = new Date().toISOString().replace(/\.\d+Z$/, '');
  return json(status, { error: { code, message, innerError: { date: now, 'request-id': randomUUID(), 'client-request-id': randomUUID() } } });
}

export async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function send(res: ServerResponse, r: FakeResponse): void {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  let payload: string | undefined;
  if (r.body !== undefined && r.status !== 204) {
    payload = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(payload ? Buffer.byteLength(payload) : 0);
  res.writeHead(r.status, headers);
  res.end(payload);
}
