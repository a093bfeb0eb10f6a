// Every row must look like Log Analytics returns it: known columns, JSON types matching the column
// types in src/kql/tables.ts, Entra datetime precision, string ResultType/ASN, GUID-shaped ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_COLUMNS } from '../../src/kql/tables.js';
import { ALL_TABLES, type Row, cleanup, readRows, synthTo } from './helpers.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DT7 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/;
const DT_ANY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/;
const HIDDEN = new Set(['_TimeReceived']);

function columns(table: string): Map<string, string> {
  const spec = TABLE_COLUMNS[table];
  if (!spec) throw new Error(`no schema for ${table}`);
  return new Map(spec.split(' ').map((p) => p.split(':') as [string, string]));
}

function typeOk(type: string, v: unknown): boolean {
  if (v === null) return true;
  switch (type) {
    case 'string':
    case 'guid':
    case 'timespan':
      return typeof v === 'string';
    case 'datetime':
      return typeof v === 'string' && DT_ANY.test(v);
    case 'dynamic':
      return typeof v === 'object';
    case 'bool':
      return typeof v === 'boolean';
    case 'int':
    case 'long':
      return typeof v === 'number' && Number.isInteger(v);
    case 'real':
      return typeof v === 'number';
    default:
      return false;
  }
}

describe('synth rows follow the table schemas', () => {
  let dir: string;
  const rows: Record<string, Row[]> = {};
  beforeAll(async () => {
    dir = await synthTo({ users: 40, days: 4, seed: 'schema' });
    for (const t of ALL_TABLES) rows[t] = readRows(dir, t);
  });
  afterAll(() => cleanup(dir));

  it('writes rows into every table', () => {
    for (const t of ALL_TABLES) expect(rows[t]!.length, t).toBeGreaterThan(0);
  });

  it.each(ALL_TABLES)('%s: every column exists with the JSON type of its column type', (table) => {
    const cols = columns(table);
    const bad: string[] = [];
    for (const r of rows[table]!) {
      for (const [k, v] of Object.entries(r)) {
        if (HIDDEN.has(k)) continue;
        const type = cols.get(k);
        if (!type) bad.push(`unknown column ${k}`);
        else if (!typeOk(type, v)) bad.push(`${k}: ${type} but ${JSON.stringify(v)?.slice(0, 80)}`);
      }
      expect(r.Type).toBe(table);
      expect(typeof r.TimeGenerated).toBe('string');
      expect(r._TimeReceived).toMatch(DT7);
    }
    expect([...new Set(bad)]).toEqual([]);
  });

  it('sign-in tables: dynamic objects in SigninLogs, the same columns as JSON text in the non-interactive table', () => {
    const si = rows.SigninLogs![0]!;
    const ni = rows.AADNonInteractiveUserSignInLogs![0]!;
    for (const c of ['DeviceDetail', 'LocationDetails', 'Status', 'MfaDetail', 'ConditionalAccessPolicies']) {
      expect(typeof si[c], c).toBe('object');
      expect(typeof ni[c], c).toBe('string');
      expect(typeof JSON.parse(ni[c] as string), c).toBe('object');
    }
    for (const r of [...rows.SigninLogs!, ...rows.AADNonInteractiveUserSignInLogs!]) {
      expect(r.ResultType).toMatch(/^\d+$/);
      expect(r.AutonomousSystemNumber).toMatch(/^\d+$/);
      expect(r.CreatedDateTime).toMatch(DT7);
      expect(r.TimeGenerated).toMatch(DT7);
      for (const c of ['Id', 'CorrelationId', 'UserId', 'AppId', 'ResourceIdentity']) expect(r[c], c).toMatch(GUID);
      if (r.ResultType === '0') expect(r.SessionId).toMatch(GUID);
      expect(r.UniqueTokenIdentifier).toMatch(/^[A-Za-z0-9_-]{21}[AQgw]$/); // 16 bytes in base64url
      expect(r.IPAddress).toMatch(/^(\d+\.\d+\.\d+\.\d+|[0-9a-f]{1,4}(:[0-9a-f]{1,4}){7})$/);
      const loc = (typeof r.LocationDetails === 'string' ? JSON.parse(r.LocationDetails) : r.LocationDetails) as Record<string, any>;
      expect(loc.countryOrRegion).toBe(r.Location);
      expect(typeof loc.city).toBe('string');
      expect(typeof loc.geoCoordinates.latitude).toBe('number');
      const dev = (typeof r.DeviceDetail === 'string' ? JSON.parse(r.DeviceDetail) : r.DeviceDetail) as Record<string, unknown>;
      expect(Object.keys(dev)).toEqual(expect.arrayContaining(['deviceId', 'operatingSystem', 'browser']));
      const st = (typeof r.Status === 'string' ? JSON.parse(r.Status) : r.Status) as Record<string, unknown>;
      expect(String(st.errorCode)).toBe(r.ResultType);
      expect(r.IsInteractive).toBe(r.Type === 'SigninLogs');
    }
  });

  it('Entra tables carry 7 fractional digits; Identity Protection milliseconds; Office 365 audit whole seconds', () => {
    for (const r of rows.AuditLogs!) expect(r.ActivityDateTime).toMatch(DT7);
    for (const r of rows.AADUserRiskEvents!) expect(r.ActivityDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    for (const r of rows.MicrosoftGraphActivityLogs!) expect(r.TimeGenerated).toMatch(DT7);
    for (const r of rows.OfficeActivity!) expect(r.Start_Time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('some home users sign in over IPv6, as residential ISPs hand it out', () => {
    const ips = [...rows.SigninLogs!, ...rows.AADNonInteractiveUserSignInLogs!].map((r) => String(r.IPAddress));
    expect(ips.some((ip) => ip.includes(':'))).toBe(true);
    expect(ips.filter((ip) => ip.includes(':')).length).toBeLessThan(ips.length / 2);
  });

  it('every file is sorted by TimeGenerated', () => {
    for (const t of ALL_TABLES) {
      const ts = rows[t]!.map((r) => Date.parse(r.TimeGenerated as string));
      for (let i = 1; i < ts.length; i++) if (ts[i]! < ts[i - 1]!) throw new Error(`${t} row ${i} out of order`);
    }
  });
});
