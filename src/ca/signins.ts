// Recorded sign-ins (SigninLogs, AADNonInteractiveUserSignInLogs) and Identity Protection risk
// events (AADUserRiskEvents), read from NDJSON or JSON files into what the what-if evaluates.
// AADNonInteractiveUserSignInLogs stores its structured columns as JSON text; both forms are read.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { extname, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { UserError } from '../diagnostics.js';
import { listFiles } from '../engine/load.js';
import type { DeviceFacts } from './filter.js';

export interface SignIn {
  table: 'SigninLogs' | 'AADNonInteractiveUserSignInLogs';
  /** Where the row came from (file:line), for reports. */
  where: string;
  at: number;
  id: string;
  userId: string;
  upn: string;
  userType: string;
  appId: string;
  appName: string;
  resourceId: string;
  resourceName: string;
  /** browser | mobileAppsAndDesktopClients | exchangeActiveSync | other */
  clientAppType: string;
  /** android | iOS | windows | windowsPhone | macOS | linux | '' (unknown) */
  platform: string;
  device: DeviceFacts & { isManaged: boolean };
  ip: string;
  country: string;
  signInRisk: string;
  /** MFA is satisfied for this sign-in (performed now or carried as a claim in the token). */
  mfaSatisfied: boolean;
  /** A person performed an authentication method in this very sign-in (not "previously satisfied"). */
  freshAuth: boolean;
  /** Methods performed in this sign-in (Password, FIDO2 security key, …). */
  methods: string[];
  transferMethod: string;
  sessionId: string;
  interactive: boolean;
  success: boolean;
}

export interface RiskEvent {
  userId: string;
  level: string;
  detected: number;
  state: string;
}

export interface RecordedLogs {
  signIns: SignIn[];
  riskEvents: RiskEvent[];
  /** Rows that could not be read, with where and why (at most a few kept). */
  skipped: { count: number; examples: string[] };
}

const SIGNIN_TABLES = ['SigninLogs', 'AADNonInteractiveUserSignInLogs'] as const;

function tableOf(file: string): string | null {
  const stem = file.split(/[\\/]/).pop()!.replace(/\.(ndjson|jsonl|json)$/i, '');
  for (const t of [...SIGNIN_TABLES, 'AADUserRiskEvents']) if (stem === t || stem.startsWith(`${t}_`) || stem.startsWith(`${t}.`) || stem.startsWith(`${t}-`)) return t;
  return null;
}

/** A dynamic column: an object already, or JSON text (the non-interactive table). */
function dyn(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return v;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function obj(v: unknown): Record<string, unknown> {
  const d = dyn(v);
  return d && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return null;
}

export function clientAppType(clientAppUsed: string): string {
  const c = clientAppUsed.toLowerCase();
  if (c === 'browser') return 'browser';
  if (c === 'mobile apps and desktop clients') return 'mobileAppsAndDesktopClients';
  if (c === 'exchange activesync') return 'exchangeActiveSync';
  // IMAP, POP, SMTP, MAPI, EWS, Other clients, …: legacy authentication.
  return c ? 'other' : '';
}

export function platformOf(os: string): string {
  const o = os.toLowerCase().replace(/\s+/g, '');
  if (o.startsWith('windowsphone')) return 'windowsPhone';
  if (o.startsWith('windows')) return 'windows';
  if (o.startsWith('ios') || o.startsWith('ipados')) return 'iOS';
  if (o.startsWith('android')) return 'android';
  if (o.startsWith('macos') || o.startsWith('macosx') || o === 'mac') return 'macOS';
  if (o.startsWith('linux') || o.startsWith('ubuntu')) return 'linux';
  return '';
}

const TRUST: Record<string, string> = { 'azure ad joined': 'AzureAD', 'hybrid azure ad joined': 'ServerAD', 'azure ad registered': 'Workplace', azuread: 'AzureAD', serverad: 'ServerAD', workplace: 'Workplace' };

function device(v: unknown): SignIn['device'] {
  const d = obj(v);
  const id = str(d.deviceId);
  const trust = TRUST[str(d.trustType).toLowerCase()] ?? null;
  // An unregistered device has no object in the directory: every filter property is null.
  const registered = !!id || !!trust;
  return {
    deviceId: registered ? id : null,
    displayName: registered ? str(d.displayName) : null,
    operatingSystem: registered ? str(d.operatingSystem) : null,
    isCompliant: registered ? (bool(d.isCompliant) ?? false) : null,
    trustType: registered ? trust : null,
    isManaged: bool(d.isManaged) ?? false,
  };
}

function methodsOf(v: unknown): { methods: string[]; fresh: boolean } {
  const steps = dyn(v);
  if (!Array.isArray(steps)) return { methods: [], fresh: false };
  const methods: string[] = [];
  for (const s of steps) {
    const m = str((s as Record<string, unknown>)?.authenticationMethod);
    const ok = (s as Record<string, unknown>)?.succeeded !== false;
    if (m && ok && m !== 'Previously satisfied') methods.push(m);
  }
  return { methods, fresh: methods.length > 0 };
}

function toSignIn(table: SignIn['table'], r: Record<string, unknown>, where: string): SignIn | string {
  const at = Date.parse(str(r.CreatedDateTime) || str(r.TimeGenerated));
  if (Number.isNaN(at)) return 'no valid CreatedDateTime or TimeGenerated';
  const userId = str(r.UserId).toLowerCase();
  if (!userId && !str(r.UserPrincipalName)) return 'no UserId or UserPrincipalName';
  const dev = device(r.DeviceDetail);
  const detailOs = str(obj(r.DeviceDetail).operatingSystem);
  const loc = obj(r.LocationDetails);
  const auth = methodsOf(r.AuthenticationDetails);
  const risk = str(r.RiskLevelDuringSignIn).toLowerCase();
  return {
    table,
    where,
    at,
    id: str(r.Id),
    userId,
    upn: str(r.UserPrincipalName).toLowerCase(),
    userType: str(r.UserType) || 'Member',
    appId: str(r.AppId).toLowerCase(),
    appName: str(r.AppDisplayName),
    resourceId: str(r.ResourceIdentity).toLowerCase(),
    resourceName: str(r.ResourceDisplayName),
    clientAppType: clientAppType(str(r.ClientAppUsed)),
    platform: platformOf(detailOs),
    device: dev,
    ip: str(r.IPAddress),
    country: str(loc.countryOrRegion) || str(r.Location),
    // RiskLevelDuringSignIn is 'hidden' without a P2 licence; the aggregated level is the next best.
    signInRisk: risk && risk !== 'hidden' ? risk : str(r.RiskLevelAggregated).toLowerCase() || 'none',
    mfaSatisfied: str(r.AuthenticationRequirement) === 'multiFactorAuthentication',
    freshAuth: auth.fresh,
    methods: auth.methods,
    transferMethod: str(r.OriginalTransferMethod) || (str(r.AuthenticationProtocol) === 'deviceCode' ? 'deviceCodeFlow' : ''),
    sessionId: str(r.SessionId),
    interactive: bool(r.IsInteractive) ?? table === 'SigninLogs',
    success: str(r.ResultType) === '0' || r.ResultType === 0,
  };
}

async function* rowsOf(file: string): AsyncGenerator<[Record<string, unknown> | null, number, string?]> {
  if (extname(file).toLowerCase() === '.json') {
    const text = readFileSync(file, 'utf8').trim();
    if (text.startsWith('[')) {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (e) {
        throw new UserError(`${file}:1:1: invalid JSON: ${(e as Error).message}`);
      }
      let i = 0;
      for (const r of data as unknown[]) yield [r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : null, ++i];
      return;
    }
  }
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      yield [v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null, n];
    } catch (e) {
      yield [null, n, (e as Error).message];
    }
  }
}

/** Reads every sign-in and risk-event file under the given folders or files. */
export async function readLogs(paths: string[], cwd = process.cwd()): Promise<RecordedLogs> {
  const files = listFiles(paths).filter((f) => tableOf(f));
  if (!files.length) throw new UserError(`${paths.join(', ')}: no SigninLogs, AADNonInteractiveUserSignInLogs or AADUserRiskEvents files (.ndjson, .jsonl, .json)`);
  const out: RecordedLogs = { signIns: [], riskEvents: [], skipped: { count: 0, examples: [] } };
  const skip = (where: string, why: string) => {
    out.skipped.count++;
    if (out.skipped.examples.length < 5) out.skipped.examples.push(`${where}: ${why}`);
  };
  for (const file of files) {
    if (statSync(file).isDirectory()) continue;
    const table = tableOf(file)!;
    const shown = relative(cwd, file) || file;
    for await (const [row, line, err] of rowsOf(file)) {
      const where = `${shown}:${line}`;
      if (!row) {
        skip(where, err ? `invalid JSON (${err})` : 'expected a JSON object');
        continue;
      }
      if (table === 'AADUserRiskEvents') {
        const detected = Date.parse(str(row.DetectedDateTime) || str(row.TimeGenerated));
        if (Number.isNaN(detected) || !str(row.UserId)) skip(where, 'risk event without DetectedDateTime or UserId');
        else out.riskEvents.push({ userId: str(row.UserId).toLowerCase(), level: str(row.RiskLevel).toLowerCase(), detected, state: str(row.RiskState) });
        continue;
      }
      const s = toSignIn(table as SignIn['table'], row, where);
      if (typeof s === 'string') skip(where, s);
      else out.signIns.push(s);
    }
  }
  out.signIns.sort((a, b) => a.at - b.at);
  return out;
}

const LEVELS = ['none', 'low', 'medium', 'high'];

/** The user's risk at a moment: the highest open detection known by then (remediated ones no longer count). */
export function userRiskAt(events: RiskEvent[], at: number): string {
  let best = 0;
  for (const e of events) {
    if (e.detected > at || !/^(atRisk|confirmedCompromised)$/i.test(e.state)) continue;
    best = Math.max(best, LEVELS.indexOf(e.level));
  }
  return LEVELS[best]!;
}
