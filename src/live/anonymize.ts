// Consistent, salted pseudonyms for identifying values in recorded rows: user names, UPNs, object
// ids, device names and IP addresses. The same salt maps a value the same way in every table, file
// and run, so joins still match; the salt stays in its own file, never in the output. Countries,
// ASNs, user agents and times are kept.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../diagnostics.js';

export type Kind = 'upn' | 'guid' | 'ip' | 'name' | 'device';

/** Column names (any table) and keys inside dynamic columns whose values are mapped, by kind. */
const FIELDS: Record<string, Kind> = {
  UserPrincipalName: 'upn',
  userPrincipalName: 'upn',
  AccountUpn: 'upn',
  AccountUPN: 'upn',
  MailboxOwnerUPN: 'upn',
  UserKey: 'upn',
  upn: 'upn',
  mail: 'upn',
  SignInName: 'upn',
  UserId: 'guid',
  userId: 'guid',
  AccountObjectId: 'guid',
  AadUserId: 'guid',
  DeviceId: 'guid',
  deviceId: 'guid',
  IPAddress: 'ip',
  ipAddress: 'ip',
  ClientIP: 'ip',
  ClientIPAddress: 'ip',
  IpAddress: 'ip',
  CallerIpAddress: 'ip',
  ActorIpAddress: 'ip',
  AlternateSignInName: 'upn',
  UserDisplayName: 'name',
  AccountDisplayName: 'name',
  AccountName: 'name',
  Identity: 'name',
  DeviceName: 'device',
  deviceName: 'device',
};

/**
 * Keys whose meaning depends on the object holding them: `id` and `displayName` of a user or a
 * device (InitiatedBy.user, TargetResources entries by their `type`, DeviceDetail). `parent` is the
 * holding key and the object's own `type`, lower case.
 */
function kindOf(key: string, parent: string): Kind | null {
  const device = parent.startsWith('devicedetail') || parent.endsWith('#device');
  const user = parent.startsWith('user#') || parent.endsWith('#user');
  if (key === 'displayName') return device ? 'device' : user ? 'name' : null;
  if (key === 'id') return user ? 'guid' : null;
  return FIELDS[key] ?? null;
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
// Addresses and e-mail addresses inside free text (not in user agents: versions look like addresses).
// (not after '/': Chrome/120.0.0.0 is a version)
const IPV4_IN_TEXT = /(?<![\d./])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g;
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const KEEP_TEXT = new Set(['UserAgent', 'userAgent', 'ClientAppUsed', 'Location', 'LocationDetails', 'AutonomousSystemNumber', 'countryOrRegion', 'city', 'state']);

/** Reads the salt file, creating it (random, owner-only) when absent. */
export function loadSalt(file: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  }
  const text = readFileSync(file, 'utf8').trim();
  if (text.length < 32) throw new UserError(`${file}:1:1: the salt file holds ${text.length} characters; expected at least 32 (delete it to get a new random one, which changes every pseudonym)`);
  return Buffer.from(text, 'utf8');
}

export class Anonymizer {
  /** Original (as found) -> pseudonym. */
  readonly map = new Map<string, string>();
  readonly kinds = new Map<string, Kind>();
  private used = new Set<string>();
  /** kind + lower-cased original -> pseudonym, for the case-insensitive kinds. */
  private folded = new Map<string, string>();
  private pattern: RegExp | null = null;

  constructor(private readonly salt: Buffer) {}

  private hmac(kind: string, value: string, n = 0): Buffer {
    return createHmac('sha256', this.salt).update(`${kind}\u0000${n}\u0000${value}`).digest();
  }

  private pseudonym(kind: Kind, v: string): string {
    // Collisions (two values, one pseudonym) would merge accounts: draw again with a counter.
    for (let n = 0; ; n++) {
      const h = this.hmac(kind, kind === 'name' || kind === 'device' ? v : v.toLowerCase(), n);
      let out: string;
      if (kind === 'guid') {
        const x = h.toString('hex');
        out = `${x.slice(0, 8)}-${x.slice(8, 12)}-4${x.slice(13, 16)}-${((h[8]! & 0x3) | 0x8).toString(16)}${x.slice(17, 20)}-${x.slice(20, 32)}`;
      } else if (kind === 'ip') {
        // IPv4 in 10.0.0.0/8 (private); IPv6 in 2001:db8::/32 (documentation)
        out = v.includes(':') ? `2001:db8:${[0, 2, 4, 6, 8, 10].map((i) => h.readUInt16BE(i).toString(16)).join(':')}` : `10.${h[0]}.${h[1]}.${h[2]}`;
      } else if (kind === 'upn') {
        const domain = v.includes('@') ? v.slice(v.lastIndexOf('@') + 1).toLowerCase() : '';
        const dom = domain ? `d${this.hmac('domain', domain).toString('hex').slice(0, 6)}.example` : 'example.invalid';
        out = `user-${h.toString('hex').slice(0, 10)}@${dom}`;
      } else if (kind === 'device') out = `DEVICE-${h.toString('hex').slice(0, 8).toUpperCase()}`;
      else out = `User ${h.toString('hex').slice(0, 8)}`;
      if (!this.used.has(out)) {
        this.used.add(out);
        return out;
      }
    }
  }

  /** Registers a value found in a mapped field (or free text); returns its pseudonym. */
  add(kind: Kind, raw: string): void {
    const v = raw.trim();
    if (!v || this.map.has(v)) return;
    let k = kind;
    // A field's declared kind yields to the value's own shape (UserId holds a UPN in OfficeActivity).
    if (GUID_RE.test(v)) k = 'guid';
    else if (EMAIL_RE.test(v)) k = 'upn';
    else if (IPV4_RE.test(v) || (k === 'ip' && v.includes(':'))) k = 'ip';
    else if (k === 'guid' || k === 'upn' || k === 'ip') return; // not the shape expected: left alone (it is not an identifier)
    if (k === 'ip') {
      // ClientIP may carry a port (1.2.3.4:443, [2001:db8::1]:443): map the address part
      const m = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(v) ?? /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(v);
      if (m) {
        this.add('ip', m[1]!);
        return;
      }
    }
    // The same value in another case maps the same way for case-insensitive kinds.
    const fold = k === 'upn' || k === 'guid' || k === 'ip' ? `${k}\u0000${v.toLowerCase()}` : null;
    const p = (fold && this.folded.get(fold)) || this.pseudonym(k, v);
    if (fold) this.folded.set(fold, p);
    this.map.set(v, p);
    this.kinds.set(v, k);
    this.pattern = null;
  }

  /** Collects the values to map from one row (mapped fields, dynamic values, addresses in free text). */
  collect(row: Record<string, unknown>): void {
    const walk = (v: unknown, key: string, parent: string, free: boolean): void => {
      if (typeof v === 'string') {
        const k = kindOf(key, parent);
        if (k) this.add(k, v);
        const t = v.trim();
        if ((t.startsWith('{') || t.startsWith('[')) && t.length > 1) {
          try {
            walk(JSON.parse(t), key, parent, free);
          } catch {
            // not JSON text
          }
        }
        if (free && !KEEP_TEXT.has(key)) {
          for (const m of v.matchAll(IPV4_IN_TEXT)) if (m[0].split('.').every((o) => Number(o) <= 255)) this.add('ip', m[0]);
          for (const m of v.matchAll(EMAIL_IN_TEXT)) this.add('upn', m[0]);
        }
      } else if (Array.isArray(v)) v.forEach((x) => walk(x, key, parent, free));
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        const here = `${key.toLowerCase()}#${typeof o.type === 'string' ? o.type.toLowerCase() : ''}`;
        for (const [k, x] of Object.entries(o)) walk(x, k, here, free && !KEEP_TEXT.has(k));
      }
    };
    for (const [k, v] of Object.entries(row)) walk(v, k, '', true);
  }

  /** One expression matching every original value, longest first, on identifier boundaries. */
  private regex(): RegExp {
    if (this.pattern) return this.pattern;
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const values = [...this.map.keys()].filter((v) => v.length >= 4 || this.kinds.get(v) !== 'name').sort((a, b) => b.length - a.length);
    // nothing to match: a pattern that never does
    const body = values.length ? values.map(esc).join('|') : '(?!)';
    this.pattern = new RegExp(`(?<![A-Za-z0-9_.@-])(?:${body})(?![A-Za-z0-9_@-]|\\.[A-Za-z0-9])`, 'gi');
    return this.pattern;
  }

  private lookup(found: string): string {
    const exact = this.map.get(found);
    if (exact) return exact;
    for (const k of ['upn', 'guid', 'ip']) {
      const p = this.folded.get(`${k}\u0000${found.toLowerCase()}`);
      if (p) return p;
    }
    // a name found in another case: map it as its first-seen spelling
    for (const [k, p] of this.map) if (k.toLowerCase() === found.toLowerCase()) return p;
    return found;
  }

  /** Replaces every known value in a string, including inside JSON text. */
  text(s: string): string {
    const whole = this.map.get(s.trim());
    if (whole !== undefined) return s.replace(s.trim(), whole);
    return s.replace(this.regex(), (m) => this.lookup(m));
  }

  value(v: unknown, key = ''): unknown {
    if (typeof v === 'string') return KEEP_TEXT.has(key) ? v : this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.value(x, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x, k)]));
    return v;
  }

  row(r: Record<string, unknown>): Record<string, unknown> {
    return this.value(r) as Record<string, unknown>;
  }

  /** Original values that still occur in the row (whole strings, or inside text on boundaries). */
  leaks(r: Record<string, unknown>): string[] {
    const found = new Set<string>();
    const re = this.regex();
    const walk = (v: unknown, key: string): void => {
      if (typeof v === 'string') {
        if (KEEP_TEXT.has(key)) return;
        if (this.map.has(v.trim())) found.add(v.trim());
        for (const m of v.matchAll(re)) found.add(m[0]);
      } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(r, '');
    return [...found];
  }
}
