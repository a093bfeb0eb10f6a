// Loading recorded rows: formats, table from the file name or a Type column, typing by schema,
// unknown columns, bad rows, the query time range and ingestion_time().
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rows } from './helpers.js';
import { q } from './helpers.js';
import { parseDatetime } from '../../src/engine/values.js';
import { loadWatchlists } from '../../src/rules/watchlists.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const row = (t: string, upn: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ TimeGenerated: t, UserPrincipalName: upn, ResultType: '0', LocationDetails: { countryOrRegion: 'FR' }, ...extra });

describe('loading recorded rows', () => {
  it('reads NDJSON named after its table, typed by the schema (7-digit times kept)', async () => {
    const f = write('SigninLogs.ndjson', [row('2024-01-10T10:00:00.1234567Z', 'a@x.com'), row('2024-01-10T11:00:00Z', 'b@x.com')].join('\n') + '\n');
    const r = await q('SigninLogs | project TimeGenerated, UserPrincipalName, c = tostring(LocationDetails.countryOrRegion) | order by TimeGenerated asc', { tables: undefined, logs: [f] });
    expect(r.rows).toEqual([
      ['2024-01-10T10:00:00.1234567Z', 'a@x.com', 'FR'],
      ['2024-01-10T11:00:00Z', 'b@x.com', 'FR'],
    ]);
    expect(r.columns[0]).toEqual({ name: 'TimeGenerated', type: 'datetime' });
  });

  it('reads a JSON array and portal CSV (dynamic columns as JSON text); SigninLogs_x.csv is SigninLogs', async () => {
    const sub = join(dir, 'csv');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    writeFileSync(join(sub, 'SigninLogs_export.csv'), 'TimeGenerated [UTC],UserPrincipalName,LocationDetails\n"2024-01-10T09:00:00Z",c@x.com,"{""countryOrRegion"":""DE""}"\n');
    writeFileSync(join(sub, 'AuditLogs.json'), JSON.stringify([{ TimeGenerated: '2024-01-10T08:00:00Z', OperationName: 'Add member to role' }]));
    expect(await rows('SigninLogs | project UserPrincipalName, tostring(LocationDetails.countryOrRegion)', false, { tables: undefined, logs: [sub] })).toEqual([['c@x.com', 'DE']]);
    expect(await rows('AuditLogs | project OperationName', false, { tables: undefined, logs: [sub] })).toEqual([['Add member to role']]);
  });

  it('takes the table from a Type column when the file name does not say', async () => {
    const f = write('mixed.ndjson', JSON.stringify({ Type: 'SigninLogs', TimeGenerated: '2024-01-10T10:00:00Z', UserPrincipalName: 'z@x.com' }) + '\n');
    expect(await rows('SigninLogs | project UserPrincipalName', false, { tables: undefined, logs: [f] })).toEqual([['z@x.com']]);
  });

  it('a known table without rows is empty; a bad row names its file and line', async () => {
    const f = write('SigninLogs_bad.ndjson', row('2024-01-10T10:00:00Z', 'a') + '\n{not json\n');
    await expect(q('SigninLogs | count', { tables: undefined, logs: [f] })).rejects.toThrow(/SigninLogs_bad\.ndjson:2:1/);
    expect(await rows('AADRiskyUsers | count', false, { tables: undefined, logs: [] })).toEqual([[0]]);
  });

  it('keeps unknown columns and reports them once', async () => {
    const f = write('SigninLogs_extra.ndjson', [row('2024-01-10T10:00:00Z', 'a', { Custom_s: 'v1' }), row('2024-01-10T10:00:00Z', 'b', { Custom_s: 'v2' })].join('\n'));
    const warnings: string[] = [];
    const r = await rows('SigninLogs | project UserPrincipalName, Custom = column_ifexists("Custom_s", "")', true, { tables: undefined, logs: [f], warn: (m) => warnings.push(m) });
    expect(r).toEqual([
      ['a', 'v1'],
      ['b', 'v2'],
    ]);
    expect(warnings.filter((w) => w.includes('Custom_s'))).toHaveLength(1);
  });

  it('the query time range filters TimeGenerated; ingestion_time() reads _TimeReceived', async () => {
    const f = write('SigninLogs_window.ndjson', [row('2024-01-10T11:00:00Z', 'in', { _TimeReceived: '2024-01-10T11:05:00Z' }), row('2024-01-01T00:00:00Z', 'old')].join('\n'));
    const now = parseDatetime('2024-01-10T12:00:00Z')!;
    expect(await rows('SigninLogs | project UserPrincipalName, ingestion_time()', false, { tables: undefined, logs: [f], now, timespan: 36_000_000_000n })).toEqual([
      ['in', '2024-01-10T11:05:00Z'],
    ]);
  });
});

describe('_GetWatchlist', () => {
  it("reads <alias>.csv with SearchKey and the watchlist's own columns", async () => {
    const wl = join(dir, 'watchlists');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(wl);
    writeFileSync(join(wl, 'vip.csv'), 'SearchKey,Reason\nceo@x.com,executive\ncfo@x.com,finance\n');
    const { watchlists } = loadWatchlists([wl]);
    expect(await rows("_GetWatchlist('vip') | project SearchKey, Reason", true, { watchlists })).toEqual([
      ['ceo@x.com', 'executive'],
      ['cfo@x.com', 'finance'],
    ]);
    await expect(q("_GetWatchlist('nope') | count", { watchlists })).rejects.toThrow(/no watchlist file for 'nope'/);
  });
});

describe('columns read', () => {
  it('a join reads the right side columns its output names with the 1 suffix', async () => {
    const f = write('SigninLogs_join.ndjson', [row('2024-01-10T10:00:00Z', 'a', { IPAddress: '1.1.1.1' }), row('2024-01-10T11:00:00Z', 'a', { IPAddress: '2.2.2.2' })].join('\n'));
    const r = await rows(
      // IPAddress is named only as IPAddress1
      'SigninLogs | where TimeGenerated < datetime(2024-01-10T10:30:00Z) | join kind=inner (SigninLogs | where TimeGenerated > datetime(2024-01-10T10:30:00Z)) on UserPrincipalName | project IPAddress1, TimeGenerated1',
      false,
      { tables: undefined, logs: [f] },
    );
    expect(r).toEqual([['2.2.2.2', '2024-01-10T11:00:00Z']]);
  });
});

describe('externaldata', () => {
  const Q = 'externaldata(id:string, name:string)[@"https://example.com/feeds/Known%20Apps.csv"] with (format="csv", ignoreFirstRecord=true) | project id, name';
  it('reads a local copy named after the URL file name and never downloads', async () => {
    const ed = join(dir, 'external');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(ed);
    writeFileSync(join(ed, 'Known Apps.csv'), 'id,name\n00000002,Office\n');
    expect(await rows(Q, false, { externalData: ed })).toEqual([['00000002', 'Office']]);
  });
  it('is unsupported without a folder of copies', async () => {
    await expect(q(Q)).rejects.toThrow(/unsupported: externaldata/);
  });
});

describe('portal CSV', () => {
  it('streams quoted cells with commas, quotes and line breaks; portal dates; bad rows name their line', async () => {
    const sub = join(dir, 'csv2');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    writeFileSync(join(sub, 'AuditLogs.csv'), '\uFEFFTimeGenerated [UTC],OperationName,ResultReason\r\n"4/19/2021, 12:13:19.483 PM","Add ""owner""","line one\nline, two"\r\n');
    expect(await rows('AuditLogs | project TimeGenerated, OperationName, ResultReason', false, { tables: undefined, logs: [sub] })).toEqual([
      ['2021-04-19T12:13:19.4830000Z', 'Add "owner"', 'line one\nline, two'],
    ]);
    writeFileSync(join(sub, 'AuditLogs.csv'), 'TimeGenerated,OperationName\n2021-04-19T00:00:00Z,a\n2021-04-19T00:00:00Z,b,extra\n');
    await expect(q('AuditLogs | count', { tables: undefined, logs: [sub] })).rejects.toThrow(/AuditLogs\.csv:3:1: 3 cells, the header has 2/);
  });
});
