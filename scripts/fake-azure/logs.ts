// The fake Log Analytics query API (data plane, /v1): the real wire format, answered by our local
// engine over a folder of recorded rows. Service limits are emulated and can be set small for
// tests: too many rows or bytes give a 200 with a partial error, too much data scanned a 504.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { UserError } from '../../src/diagnostics.js';
import { emptyTable, run, type Column, type Table } from '../../src/engine/eval.js';
import type { Tab } from '../../src/engine/ir.js';
import { LogSession, watchlistTable } from '../../src/engine/session.js';
import { TICKS_PER_MS, normType, toJsonValue } from '../../src/engine/values.js';
import { loadWatchlists } from '../../src/rules/watchlists.js';
import { armError, json, type FakeRequest, type FakeResponse } from './http.js';
import { noteProblems, type FakeAzure } from './server.js';
import type { SpecIssue } from './specs.js';

export interface LogsOptions {
  /** Folder of recorded rows served for every workspace id (NDJSON/JSON/CSV, as the runner reads). */
  logsDir?: string;
  /** Workspace id (GUID, lower case) -> its own folder; takes precedence over logsDir. */
  logsDirs?: Record<string, string>;
  /** Service limits; the real ones are 500,000 rows and about 64 MB. */
  maxRows?: number;
  maxBytes?: number;
  /** Rows in the query's time range (over the tables it reads) above which the query "times out" (504). */
  maxScannedRows?: number;
  /** The fake's clock: now() and the ingestion cut-off (default: the request time). */
  now?: () => Date;
}

export interface RowUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
}

const SPEC = 'specification/operationalinsights/data-plane/Microsoft.OperationalInsights/stable/2022-10-27/OperationalInsights.json';
const MAX_TICKS = BigInt(Number.MAX_SAFE_INTEGER);

/** ISO 8601 duration (PnYnMnDTnHnMnS, PnW) in ms, or null. Months and years count 30 and 365 days. */
export function isoDurationMs(s: string): number | null {
  const m = /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s);
  if (!m || s === 'P' || /T$/i.test(s)) return null;
  const [y, mo, w, d, h, mi, se] = m.slice(1).map((x) => (x ? Number(x) : 0));
  return ((((y! * 365 + mo! * 30 + w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60 + se!) * 1000;
}

/** A request timespan (duration, start/end, start/duration, duration/end) as [from, to] ms. */
export function parseTimespan(s: string, now: number): { from: number; to: number } | null {
  const parts = s.split('/');
  const time = (x: string) => (/^\d{4}-\d\d-\d\d/.test(x) && !Number.isNaN(Date.parse(x)) ? Date.parse(x) : null);
  if (parts.length === 1) {
    const d = isoDurationMs(s);
    return d === null ? null : { from: now - d, to: now };
  }
  if (parts.length !== 2) return null;
  const [a, b] = parts as [string, string];
  const ta = time(a);
  const tb = time(b);
  if (ta !== null && tb !== null) return ta <= tb ? { from: ta, to: tb } : null;
  const da = isoDurationMs(a);
  const db = isoDurationMs(b);
  if (ta !== null && db !== null) return { from: ta, to: ta + db };
  if (da !== null && tb !== null) return { from: tb - da, to: tb };
  return null;
}

/** Problems in a Prefer header: comma-separated wait=N, include-statistics=bool, include-render=bool. */
export function preferProblems(h: string | undefined): { issues: string[]; statistics: boolean; render: boolean; wait?: number } {
  const out = { issues: [] as string[], statistics: false, render: false, wait: undefined as number | undefined };
  if (!h) return out;
  for (const raw of h.split(',')) {
    const p = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^wait=(\d+)$/i.exec(p))) {
      out.wait = Number(m[1]);
      if (out.wait > 600) out.issues.push(`Prefer wait=${m[1]}: the maximum is 600 seconds`);
    } else if ((m = /^include-statistics=(true|false)$/i.exec(p))) out.statistics = m[1]!.toLowerCase() === 'true';
    else if ((m = /^include-render=(true|false)$/i.exec(p))) out.render = m[1]!.toLowerCase() === 'true';
    else out.issues.push(`Prefer: unknown preference '${p}' (expected wait=N, include-statistics=true|false, include-render=true|false)`);
  }
  return out;
}

function badArgument(message: string, inner: { code: string; message: string }): FakeResponse {
  return json(400, { error: { message: 'The request had some invalid properties', code: 'BadArgumentError', correlationId: crypto.randomUUID(), innererror: { code: inner.code, message: `${message}${inner.message ? `: ${inner.message}` : ''}` } } });
}

function tablesRead(t: unknown, out = new Set<string>()): Set<string> {
  if (!t || typeof t !== 'object') return out;
  if (Array.isArray(t)) {
    for (const x of t) tablesRead(x, out);
    return out;
  }
  const o = t as Tab & Record<string, unknown>;
  if (o.k === 'table' && typeof o.name === 'string') out.add(o.name);
  for (const v of Object.values(o)) tablesRead(v, out);
  return out;
}

function lowerBound(data: unknown[], v: bigint, strict: boolean): number {
  let lo = 0;
  let hi = data.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = (data[mid] as bigint | null) ?? -MAX_TICKS;
    if (strict ? x <= v : x < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows of one logs folder, loaded once, and the queries over them. */
export class LogsStore {
  private constructor(
    private readonly session: LogSession,
    private readonly watchlists: Map<string, Table>,
  ) {}

  static async open(dir: string): Promise<LogsStore> {
    const wlDir = join(dir, 'watchlists');
    const wl = existsSync(wlDir) ? loadWatchlists([wlDir]).watchlists : [];
    const env = { watchlists: Object.fromEntries(wl.map((w) => [w.alias, w.columns])) };
    const session = await LogSession.open([dir], { env, watchlists: wl });
    return new LogsStore(session, new Map(wl.map((w) => [w.alias, watchlistTable(w)])));
  }

  /** The users the sign-in and audit rows name (the fake Graph is seeded from them). */
  usersInRows(): RowUser[] {
    const byId = new Map<string, RowUser>();
    for (const name of ['SigninLogs', 'AADNonInteractiveUserSignInLogs', 'AADUserRiskEvents', 'IdentityInfo']) {
      const t = this.session.table(name);
      if (!t) continue;
      const col = (n: string) => t.cols.find((c) => c.name === n)?.data;
      const id = col('UserId') ?? col('AccountObjectId');
      const upn = col('UserPrincipalName') ?? col('AccountUPN');
      const dn = col('UserDisplayName') ?? col('AccountDisplayName');
      if (!id || !upn) continue;
      for (let i = 0; i < t.n; i++) {
        const a = id[i];
        const u = upn[i];
        if (typeof a !== 'string' || !a || typeof u !== 'string' || !u) continue;
        const d = typeof dn?.[i] === 'string' && dn[i] ? (dn[i] as string) : '';
        const prev = byId.get(a);
        if (!prev) byId.set(a, { id: a, userPrincipalName: u, displayName: d });
        else if (!prev.displayName && d) prev.displayName = d;
      }
    }
    return [...byId.values()].sort((x, y) => x.userPrincipalName.localeCompare(y.userPrincipalName));
  }

  /** Rows of `name` with TimeGenerated in [from, to] and ingested by `now` (tables are stored in TimeGenerated order). */
  private view(name: string, from: bigint, to: bigint, now: bigint): Table {
    const t = this.session.table(name);
    if (!t) {
      const schema = this.session.env.tables?.[name];
      if (schema) return emptyTable(schema.map((c) => ({ name: c.name, type: normType(c.type) })));
      throw new UserError(`'${name}' could not be resolved to a table, function or expression`);
    }
    const tg = t.cols.find((c) => c.name === 'TimeGenerated')?.data;
    const tr = t.cols.find((c) => c.name === '_TimeReceived')?.data;
    const a = tg ? lowerBound(tg, from, false) : 0;
    const b = tg ? lowerBound(tg, to, true) : t.n;
    const ids: number[] = [];
    for (let i = a; i < b; i++) if (!tr || ((tr[i] as bigint | null) ?? -MAX_TICKS) <= now) ids.push(i);
    const cols: Column[] = t.cols.map((c) => ({ name: c.name, type: c.type, data: ids.map((i) => c.data[i] ?? null) }));
    return { n: ids.length, cols };
  }

  /** How many rows the tables read hold in the range (the emulated cost of a query). */
  scanned(tables: Set<string>, from: bigint, to: bigint, now: bigint): number {
    let n = 0;
    for (const name of tables) if (this.session.table(name)) n += this.view(name, from, to, now).n;
    return n;
  }

  query(text: string, range: { from: number; to: number } | null, nowMs: number): { table: Table; tables: Set<string> } {
    const p = this.session.prepare(text, '<query>');
    const now = BigInt(nowMs) * TICKS_PER_MS;
    const from = range ? BigInt(range.from) * TICKS_PER_MS : -MAX_TICKS;
    const to = range ? BigInt(range.to) * TICKS_PER_MS : MAX_TICKS;
    const views = new Map<string, Table>();
    const table = run(p.statement, {
      now,
      table: (name) => {
        let v = views.get(name);
        if (!v) views.set(name, (v = this.view(name, from, to, now)));
        return v;
      },
      watchlist: (alias) => {
        const w = this.watchlists.get(alias);
        if (!w) throw new UserError(`_GetWatchlist: no watchlist '${alias}' in this workspace`);
        return w;
      },
    });
    return { table, tables: tablesRead(p.statement) };
  }

  prepareTables(text: string): Set<string> {
    return tablesRead(this.session.prepare(text, '<query>').statement);
  }
}

/** A response cell as Log Analytics sends it: datetimes ISO, timespans text, dynamic as JSON text. */
function wireCell(v: unknown, type: string): unknown {
  if (type === 'dynamic') return v === null || v === undefined ? null : JSON.stringify(v);
  return toJsonValue(v as never, type as never);
}

export class FakeLogs {
  readonly stores = new Map<string, Promise<LogsStore>>();
  /** Settable clock (tests); the request time when unset. */
  clock?: () => Date;
  maxRows: number;
  maxBytes: number;
  maxScannedRows: number;
  private bodyCheck?: ValidateFunction;

  constructor(private readonly opts: LogsOptions) {
    this.clock = opts.now;
    this.maxRows = opts.maxRows ?? 500_000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.maxScannedRows = opts.maxScannedRows ?? Infinity;
  }

  /** Compiles the spec's queryBody schema when the specs are present. */
  loadSpec(specsDir: string | undefined): void {
    const file = specsDir ? join(specsDir, SPEC) : '';
    if (!file || !existsSync(file)) return;
    const spec = JSON.parse(readFileSync(file, 'utf8')) as { definitions: Record<string, unknown> };
    const ajv = new Ajv({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;
    addFormats(ajv);
    this.bodyCheck = ajv.compile({ ...(spec.definitions.queryBody as object), definitions: spec.definitions });
  }

  get specChecked(): boolean {
    return !!this.bodyCheck;
  }

  store(workspace: string): Promise<LogsStore> | undefined {
    const key = workspace.toLowerCase();
    const dir = this.opts.logsDirs?.[key] ?? this.opts.logsDir;
    if (!dir) return undefined;
    let s = this.stores.get(dir);
    if (!s) this.stores.set(dir, (s = LogsStore.open(dir)));
    return s;
  }

  async usersInRows(): Promise<RowUser[]> {
    const dirs = new Set([...(this.opts.logsDir ? [this.opts.logsDir] : []), ...Object.values(this.opts.logsDirs ?? {})]);
    const all = new Map<string, RowUser>();
    for (const d of dirs) {
      let s = this.stores.get(d);
      if (!s) this.stores.set(d, (s = LogsStore.open(d)));
      for (const u of (await s).usersInRows()) if (!all.has(u.id)) all.set(u.id, u);
    }
    return [...all.values()];
  }

  async handle(req: FakeRequest, workspace: string): Promise<FakeResponse> {
    const problems: SpecIssue[] = [];
    if (!/json/i.test(req.headers['content-type'] ?? '')) problems.push({ code: 'CONTENT_TYPE', message: 'expected content-type application/json', path: 'headers' });
    const body = req.body as { query?: unknown; timespan?: unknown; workspaces?: unknown } | undefined;
    if (!body || typeof body !== 'object') problems.push({ code: 'BODY', message: 'expected a JSON body {query, timespan?, workspaces?}', path: '' });
    else if (this.bodyCheck && !this.bodyCheck(body)) {
      for (const e of this.bodyCheck.errors ?? []) problems.push({ code: 'SPEC', message: `${e.instancePath || '/'} ${e.message ?? ''}`, path: e.instancePath });
    } else if (!this.bodyCheck) {
      if (typeof body.query !== 'string') problems.push({ code: 'BODY', message: 'query: expected a string', path: '/query' });
      if (body.timespan !== undefined && typeof body.timespan !== 'string') problems.push({ code: 'BODY', message: 'timespan: expected a string', path: '/timespan' });
      if (body.workspaces !== undefined && !(Array.isArray(body.workspaces) && body.workspaces.every((w) => typeof w === 'string'))) problems.push({ code: 'BODY', message: 'workspaces: expected an array of strings', path: '/workspaces' });
    }
    const prefer = preferProblems(req.headers.prefer);
    for (const m of prefer.issues) problems.push({ code: 'PREFER', message: m, path: 'headers.prefer' });
    const nowMs = (this.clock?.() ?? new Date()).getTime();
    let range: { from: number; to: number } | null = null;
    if (body && typeof body.timespan === 'string') {
      range = parseTimespan(body.timespan, nowMs);
      if (!range) problems.push({ code: 'TIMESPAN', message: `timespan '${body.timespan}': expected an ISO 8601 duration or interval`, path: '/timespan' });
    }
    if (problems.length) {
      noteProblems(req, problems);
      return badArgument('The request had some invalid properties', { code: problems[0]!.code === 'TIMESPAN' ? 'InvalidTimespan' : 'BadRequest', message: problems.map((p) => p.message).join('; ') });
    }
    const store = this.store(workspace);
    if (!store) return json(404, { error: { message: `The workspace could not be found`, code: 'WorkspaceNotFoundError', correlationId: crypto.randomUUID() } });
    const s = await store;
    const text = (body as { query: string }).query;
    let tables: Set<string>;
    try {
      tables = s.prepareTables(text);
    } catch (e) {
      return badArgument('Query could not be parsed', { code: (e as Error).message.includes('unsupported') ? 'SemanticError' : 'SyntaxError', message: (e as Error).message });
    }
    if (Number.isFinite(this.maxScannedRows)) {
      const from = range ? BigInt(range.from) * TICKS_PER_MS : -MAX_TICKS;
      const to = range ? BigInt(range.to) * TICKS_PER_MS : MAX_TICKS;
      if (s.scanned(tables, from, to, BigInt(nowMs) * TICKS_PER_MS) > this.maxScannedRows) {
        return json(504, { error: { message: 'Gateway timeout', code: 'GatewayTimeout', correlationId: crypto.randomUUID(), innererror: { code: 'GatewayTimeout', message: 'The query exceeded the allowed execution time' } } });
      }
    }
    let result: Table;
    try {
      result = s.query(text, range, nowMs).table;
    } catch (e) {
      return badArgument('Query could not be run', { code: 'SemanticError', message: (e as Error).message });
    }
    const columns = result.cols.map((c) => ({ name: c.name, type: c.type }));
    const rows: unknown[][] = [];
    let bytes = 0;
    let cut: 'rows' | 'bytes' | null = null;
    for (let i = 0; i < result.n; i++) {
      if (rows.length >= this.maxRows) {
        cut = 'rows';
        break;
      }
      const row = result.cols.map((c) => wireCell(c.data[i] ?? null, c.type));
      bytes += JSON.stringify(row).length + 1;
      if (bytes > this.maxBytes) {
        cut = 'bytes';
        break;
      }
      rows.push(row);
    }
    const out: Record<string, unknown> = { tables: [{ name: 'PrimaryResult', columns, rows }] };
    if (prefer.statistics) out.statistics = { query: { executionTime: 0.01, resourceUsage: { cache: { memory: { hits: 0, misses: 0, total: 0 } } }, inputDatasetStatistics: { rows: { total: result.n, scanned: result.n } } } };
    if (prefer.render) out.render = {};
    if (cut) {
      const limit = cut === 'rows' ? `record count limit ${this.maxRows}` : `data size limit ${this.maxBytes}`;
      out.error = {
        message: 'Response contained partial results',
        code: 'PartialError',
        correlationId: crypto.randomUUID(),
        details: [{ code: 'EngineError', message: `Query result set has exceeded the internal ${limit} (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)`, innererror: { code: '-2133196797', message: `Query result set has exceeded the internal ${limit} (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)`, severity: 2, severityName: 'Error' } }],
      };
    }
    return json(200, out);
  }
}

/** Registers /v1/workspaces/{id}/query, /v1/{resourceId}/query and /v1/$batch. */
export function registerLogs(fake: FakeAzure, logs: FakeLogs): void {
  fake.route({ service: 'logs', method: 'POST', pattern: /^\/v1\/workspaces\/(?<ws>[^/]+)\/query$/i, handler: (req) => logs.handle(req, req.params.ws!) });
  fake.route({
    service: 'logs',
    method: 'POST',
    pattern: /^\/v1(?<rid>\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+)\/query$/i,
    // A resource id names the workspace by ARM id; every ARM id is served from the default folder.
    handler: (req) => logs.handle(req, req.params.rid!),
  });
  fake.route({
    service: 'logs',
    method: 'POST',
    pattern: /^\/v1\/\$batch$/i,
    handler: async (req) => {
      const b = req.body as { requests?: { id?: string; body?: unknown; workspace?: string; headers?: Record<string, string> }[] } | undefined;
      if (!b || !Array.isArray(b.requests)) return armError(400, 'BadArgumentError', 'expected {requests: [...]}');
      const responses = [];
      for (const r of b.requests) {
        const sub: FakeRequest = { ...req, body: r.body, headers: { ...req.headers, ...(r.headers ?? {}), 'content-type': 'application/json' } };
        const res = await logs.handle(sub, r.workspace ?? '');
        responses.push({ id: r.id, status: res.status, body: res.body });
      }
      return json(200, { responses });
    },
  });
}
