// The parallel NDJSON reader (worker threads over byte ranges) gives the rows, types, unknown-column
// reports and errors of the one-thread reader.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinTables } from '../../src/kql/kusto.js';
import { loadLogs } from '../../src/engine/load.js';
import { parseDatetime, type Val } from '../../src/engine/values.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-par-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const needed = new Set(['TimeGenerated', 'UserPrincipalName', 'ResultType', 'LocationDetails', 'Custom_s']);
const lines = [
  { TimeGenerated: '2024-01-10T10:00:00.1234567Z', UserPrincipalName: 'a@x.com', ResultType: 0, LocationDetails: { countryOrRegion: 'FR' } },
  { TimeGenerated: '2024-01-10 11:00:00', UserPrincipalName: 'b@x.com', ResultType: '50126', LocationDetails: '{"countryOrRegion":"DE"}' },
  { TimeGenerated: '2024-01-10T12:00:00Z', UserPrincipalName: 'a@x.com', ResultType: '0' },
  { TimeGenerated: '2024-01-10T13:00:00Z', UserPrincipalName: 'c@x.com', ResultType: '0', LocationDetails: { countryOrRegion: 'FR' }, Custom_s: 'v' },
].map((o) => JSON.stringify(o));

type Info = { parallel: { file: string; ranges: number; threadCpuMs: number[] }[]; fellBack: { file: string; why: string }[] };

async function load(file: string, opts: { workers: number; window?: { from: bigint; to: bigint }; warn?: (m: string) => void; info?: Info }) {
  const t = (await loadLogs([file], { schemas: builtinTables(), needed, parallelMinBytes: 0, ...opts })).get('SigninLogs')!;
  return Object.fromEntries(t.cols.map((c) => [c.name, { type: c.type, data: c.data.slice(0, t.n) }])) as Record<string, { type: string; data: Val[] }>;
}

describe('parallel NDJSON loading', () => {
  it('reads the same rows as one thread, in file order, across byte ranges', async () => {
    const f = join(dir, 'SigninLogs.ndjson');
    writeFileSync(f, [...lines, '', ...lines].join('\n') + '\n');
    const warn: string[] = [];
    const info: Info = { parallel: [], fellBack: [] };
    const par = await load(f, { workers: 3, warn: (m) => warn.push(m), info });
    expect(info.parallel.map((x) => [x.file, x.ranges, x.threadCpuMs.length])).toEqual([[f, 3, 3]]);
    expect(info.fellBack).toEqual([]);
    const one = await load(f, { workers: 1 });
    expect(par).toEqual(one);
    expect(par.UserPrincipalName!.data).toEqual(['a@x.com', 'b@x.com', 'a@x.com', 'c@x.com', 'a@x.com', 'b@x.com', 'a@x.com', 'c@x.com']);
    expect(par.ResultType!.data.slice(0, 2)).toEqual(['0', '50126']);
    expect(par.TimeGenerated!.data[1]).toBe(parseDatetime('2024-01-10T11:00:00Z'));
    expect(par.TimeGenerated!.data[0]).toBe(parseDatetime('2024-01-10T10:00:00.1234567Z'));
    expect(par.LocationDetails!.data.slice(0, 3)).toEqual([{ countryOrRegion: 'FR' }, { countryOrRegion: 'DE' }, null]);
    // a needed column outside the schema: typed by its first value, reported once with its line
    expect(par.Custom_s).toEqual({ type: 'string', data: ['', '', '', 'v', '', '', '', 'v'] });
    expect(warn).toEqual([`${f}:4: column Custom_s is not in the SigninLogs schema; kept as string`]);
  });

  it('keeps only the time window', async () => {
    const f = join(dir, 'SigninLogs_w.ndjson');
    writeFileSync(f, [...lines, ...lines, ...lines].join('\n'));
    const par = await load(f, { workers: 2, window: { from: parseDatetime('2024-01-10T11:30:00Z')!, to: parseDatetime('2024-01-10T12:30:00Z')! } });
    expect(par.UserPrincipalName!.data).toEqual(['a@x.com', 'a@x.com', 'a@x.com']);
  });

  it('a bad line is reported with its file and line, as by one thread', async () => {
    const f = join(dir, 'SigninLogs_bad.ndjson');
    writeFileSync(f, [...lines, ...lines, '{not json', ...lines].join('\n'));
    const info: Info = { parallel: [], fellBack: [] };
    await expect(load(f, { workers: 2, info })).rejects.toThrow(`${f}:9:1: not a JSON object`);
    expect(info.fellBack.map((x) => x.file)).toEqual([f]);
    const g = join(dir, 'SigninLogs_badtime.ndjson');
    writeFileSync(g, [...lines, ...lines, JSON.stringify({ TimeGenerated: 'yesterday' }), ...lines].join('\n'));
    await expect(load(g, { workers: 2 })).rejects.toThrow(`${g}:9:1: TimeGenerated: "yesterday" is not a datetime`);
  });
  it('reads values from the bytes exactly as JSON.parse would', async () => {
    const f = join(dir, 'SigninLogs_tricky.ndjson');
    const tricky = [
      // escapes, unicode, a number and an object in string columns, a repeated key (the last counts)
      String.raw`{"TimeGenerated":"2024-01-10T10:00:00Z","UserPrincipalName":"a\"b\\c\u00e9@x.com","ResultType":50126,"LocationDetails":{"countryOrRegion":"FR","n":[1,2.5e3,-0.0,true,null]}}`,
      `{ "TimeGenerated" : "2024-01-10T10:00:01Z" , "UserPrincipalName" : "zoë@x.com" , "ResultType" : {"a":1} , "UserPrincipalName" : "last@x.com" }\r`,
      // an escaped key is read by JSON.parse; skipped members of every kind
      String.raw`{"Time\u0047enerated":"2024-01-10T10:00:02Z","Skip":[{"x":"]}"},[],{}],"N":-12.5E-3,"T":true,"F":false,"Z":null,"UserPrincipalName":"c@x.com","ResultType":null,"LocationDetails":null}`,
      String.raw`{"TimeGenerated":"2024-01-10T10:00:03Z","LocationDetails":"{\"countryOrRegion\":\"DE\"}","UserPrincipalName":""}`,
      `{}`,
    ];
    writeFileSync(f, [...tricky, ...tricky].join('\n') + '\n');
    const info: Info = { parallel: [], fellBack: [] };
    const par = await load(f, { workers: 2, info });
    expect(info.fellBack).toEqual([]);
    expect(par).toEqual(await load(f, { workers: 1 }));
    expect(par.UserPrincipalName!.data.slice(0, 5)).toEqual(['a"b\\cé@x.com', 'last@x.com', 'c@x.com', '', '']);
    expect(par.ResultType!.data.slice(0, 5)).toEqual(['50126', '{"a":1}', '', '', '']);
    expect(par.TimeGenerated!.data[2]).toBe(parseDatetime('2024-01-10T10:00:02Z'));
    expect(par.TimeGenerated!.data[4]).toBe(null);
    expect(par.LocationDetails!.data.slice(0, 5)).toEqual([{ countryOrRegion: 'FR', n: [1, 2500, -0, true, null] }, null, null, { countryOrRegion: 'DE' }, null]);
  });

  it('a line broken inside a member nobody reads is still a bad line', async () => {
    for (const bad of ['{"TimeGenerated":"2024-01-10T10:00:00Z","X":[1,}', '{"TimeGenerated":"2024-01-10T10:00:00Z","X":01}', '{"TimeGenerated":"2024-01-10T10:00:00Z","X":"tab\there"}', '{"TimeGenerated":"2024-01-10T10:00:00Z"} x']) {
      const f = join(dir, 'SigninLogs_skipbad.ndjson');
      writeFileSync(f, [...lines, ...lines, bad, ...lines].join('\n'));
      await expect(load(f, { workers: 2 }), bad).rejects.toThrow(`${f}:9:1: not a JSON object`);
    }
  });
});
