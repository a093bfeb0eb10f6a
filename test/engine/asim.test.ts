// ASIM parser functions (src/kql/asim.ts): the analyzer's view of the calls (parameters, output
// columns, argument types) and the engine's evaluation over recorded ASIM native table rows. Every
// expected value is written out here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDatetime } from '../../src/engine/values.js';
import { analyze } from '../../src/kql/kusto.js';
import { q } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-asim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const empty = mkdtempSync(join(tmpdir(), 'sg-asim-empty-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

const web = [
  { TimeGenerated: '2026-01-15T10:00:00Z', SrcIpAddr: '10.0.0.5', DstIpAddr: '203.0.113.7', EventResult: 'Success', EventResultDetails: '200', HttpUserAgent: 'curl/8.0', Url: 'https://a.example/x', SrcUsername: 'alice', DstBytes: 1200 },
  { TimeGenerated: '2026-01-15T11:00:00Z', SrcIpAddr: '192.168.1.9', DstIpAddr: '10.0.0.77', EventResult: 'Failure', EventResultDetails: '403', HttpUserAgent: 'Mozilla/5.0', Url: 'https://b.example/y', SrcUsername: 'bob', DstBytes: 0 },
  { TimeGenerated: '2026-01-14T09:00:00Z', SrcIpAddr: '172.16.0.1', DstIpAddr: '198.51.100.2', EventResult: 'Success', EventResultDetails: '302', HttpUserAgent: 'Mozilla/5.0 (X11)', Url: 'https://c.example/z', SrcUsername: 'carol', DstBytes: 10 },
];
const auth = [
  { TimeGenerated: '2026-01-15T10:00:00Z', TargetUsername: 'alice@contoso.com', ActorUsername: '', TargetUserId: 'u1', SrcIpAddr: '10.1.2.3', EventType: 'Logon', EventResult: 'Success', RuleName: '', RuleNumber: 7 },
  { TimeGenerated: '2026-01-15T10:05:00Z', TargetUsername: '', ActorUsername: 'admin', TargetUserId: 'u2', SrcIpAddr: '10.9.9.9', EventType: 'Elevate', EventResult: 'Failure', RuleName: 'r-1', RuleNumber: 8 },
];
writeFileSync(join(dir, 'ASimWebSessionLogs.ndjson'), web.map((r) => JSON.stringify(r)).join('\n') + '\n');
writeFileSync(join(dir, 'ASimAuthenticationEventLogs.ndjson'), auth.map((r) => JSON.stringify(r)).join('\n') + '\n');

const now = parseDatetime('2026-01-15T12:00:00Z')!;
const run = (text: string, logs = dir) => q(text, { tables: undefined, logs: [logs], now });
const codes = (text: string) => analyze(text).diagnostics.map((d) => `${d.code} ${d.message}`);

describe('analyzer', () => {
  it('accepts the parsers of the three schemas, with and without filtering parameters', () => {
    for (const t of [
      "_Im_WebSession(starttime=ago(1d), endtime=now(), ipaddr_has_any_prefix=dynamic(['10.']), eventresult='Success', pack=true)",
      "imWebSession(srcipaddr_has_any_prefix=dynamic(['10.0.']), httpuseragent_has_any=dynamic(['curl']), eventresultdetails_in=dynamic(['200']))",
      '_Im_WebSession',
      'imFileEvent',
      '_Im_FileEvent()',
      "_Im_Authentication(username_has_any=dynamic(['johndoe']), starttime=ago(1d), endtime=now())",
      "imAuthentication(targetappname_has_any=dynamic(['x']), srchostname_has_any=dynamic(['h']), eventtype_in=dynamic(['Logon']), eventresultdetails_in=dynamic(['Other']), srcipaddr_has_any_prefix=dynamic(['10.']), eventresult='Failure')",
    ])
      expect(codes(t), t).toEqual([]);
  });

  it('gives the native table columns, then the aliases', () => {
    const w = analyze('_Im_WebSession').columns!;
    expect(w.length).toBe(150 + 2 + 5); // documented columns, _ItemId and _TimeReceived, 5 added
    expect(w.slice(-5)).toEqual([
      { name: 'EventSchema', type: 'string' },
      { name: 'IpAddr', type: 'string' },
      { name: 'User', type: 'string' },
      { name: 'HttpStatusCode', type: 'string' },
      { name: 'UserAgent', type: 'string' },
    ]);
    for (const c of ['TimeGenerated:datetime', 'EventStartTime:datetime', 'SrcIpAddr:string', 'DstPortNumber:int', 'DstBytes:long', 'SrcGeoLatitude:real', 'ThreatIsActive:bool', 'AdditionalFields:dynamic', 'Url:string'])
      expect(w.map((x) => `${x.name}:${x.type}`)).toContain(c);
    const f = analyze('imFileEvent').columns!;
    expect(f.slice(-9).map((c) => c.name)).toEqual(['FileName', 'FilePath', 'User', 'Process', 'IpAddr', 'Src', 'Application', 'Url', 'Rule']);
    expect(f.map((x) => `${x.name}:${x.type}`)).toEqual(expect.arrayContaining(['TargetFileSize:long', 'EventSchema:string', 'SrcFileCreationTime:datetime']));
    const a = analyze('imAuthentication').columns!;
    expect(a.slice(-4).map((c) => c.name)).toEqual(['EventSchema', 'User', 'IpAddr', 'Rule']);
    expect(a.length).toBe(131 + 2 + 4);
    // the native tables are tables
    expect(analyze('ASimWebSessionLogs | take 1').columns!.length).toBe(152);
  });

  it('rejects arguments of the wrong type and parameters the schema does not document', () => {
    expect(codes("_Im_WebSession(starttime='2026-01-01')")).toEqual(['ASIM1 _Im_WebSession: parameter starttime takes a datetime value, not string']);
    expect(codes("_Im_WebSession(ipaddr_has_any_prefix='10.')")).toEqual(['ASIM1 _Im_WebSession: parameter ipaddr_has_any_prefix takes a dynamic value, not string']);
    expect(codes('imWebSession(pack=1)')).toEqual(['ASIM1 imWebSession: parameter pack takes a bool value, not long']);
    expect(codes('_Im_Authentication(ago(1d), 5)')).toEqual(['ASIM1 _Im_Authentication: parameter endtime takes a datetime value, not long']);
    expect(codes('_Im_FileEvent(starttime=ago(1d))').map((c) => c.slice(0, 5))).toEqual(['KS119']); // no filtering parameters
    expect(codes('_Im_WebSession(nosuch=1)').map((c) => c.slice(0, 5))).toEqual(['KS196']);
  });

  it('todynamic()/parse_json() of a dynamic value: the analyzer 12.4.1 report is dropped, others kept', () => {
    expect(codes('print todynamic(dynamic([1]))')).toEqual([]);
    expect(codes('print parse_json(dynamic({"a":1}))')).toEqual([]);
    expect(codes('SigninLogs | extend x = todynamic(toscalar(SigninLogs | summarize make_list(IPAddress)))')).toEqual([]);
    expect(codes('print todynamic(1)')).toEqual(['KS107 A value of type string expected.']);
  });
});

describe('engine', () => {
  it('todynamic()/parse_json() return a dynamic value as is', async () => {
    expect((await q('print a = todynamic(dynamic({"k":[1,"x"]})), b = parse_json(dynamic([2]))')).rows).toEqual([[{ k: [1, 'x'] }, [2]]]);
  });

  const ips = async (text: string) => (await run(`${text} | project SrcIpAddr`)).rows.map((r) => r[0]).sort();

  it('reads the ASIM native table, with the aliases', async () => {
    const r = await run("_Im_WebSession | where SrcIpAddr == '10.0.0.5' | project EventSchema, IpAddr, User, HttpStatusCode, UserAgent, DstBytes, TimeGenerated");
    expect(r.columns.map((c) => c.type)).toEqual(['string', 'string', 'string', 'string', 'string', 'long', 'datetime']);
    expect(r.rows).toEqual([['WebSession', '10.0.0.5', 'alice', '200', 'curl/8.0', 1200, '2026-01-15T10:00:00Z']]);
    expect(await ips('imWebSession()')).toEqual(['10.0.0.5', '172.16.0.1', '192.168.1.9']);
  });

  it('starttime and endtime filter TimeGenerated, bounds included', async () => {
    expect(await ips('_Im_WebSession(starttime=datetime(2026-01-15T10:00:00Z))')).toEqual(['10.0.0.5', '192.168.1.9']);
    expect(await ips('_Im_WebSession(endtime=datetime(2026-01-15T10:00:00Z))')).toEqual(['10.0.0.5', '172.16.0.1']);
    expect(await ips('_Im_WebSession(starttime=ago(1d))')).toEqual(['10.0.0.5', '192.168.1.9']);
  });

  it('ipaddr_has_any_prefix matches SrcIpAddr or DstIpAddr; srcipaddr_has_any_prefix SrcIpAddr only', async () => {
    expect(await ips("_Im_WebSession(ipaddr_has_any_prefix=dynamic(['10.0.']))")).toEqual(['10.0.0.5', '192.168.1.9']);
    expect(await ips("_Im_WebSession(ipaddr_has_any_prefix=dynamic(['203.0.113.7', '172.16.']))")).toEqual(['10.0.0.5', '172.16.0.1']);
    expect(await ips("_Im_WebSession(srcipaddr_has_any_prefix=dynamic(['10.0.']))")).toEqual(['10.0.0.5']);
    expect(await ips("_Im_WebSession(ipaddr_has_any_prefix=dynamic(['10.0']))")).toEqual([]); // a prefix ends with a dot
  });

  it('eventresult, eventresultdetails_in, httpuseragent_has_any; pack has no effect', async () => {
    expect(await ips("_Im_WebSession(eventresult='Success')")).toEqual(['10.0.0.5', '172.16.0.1']);
    expect(await ips("_Im_WebSession(eventresult='success')")).toEqual([]);
    expect(await ips("_Im_WebSession(eventresultdetails_in=dynamic(['403', '302']))")).toEqual(['172.16.0.1', '192.168.1.9']);
    expect(await ips("_Im_WebSession(httpuseragent_has_any=dynamic(['Mozilla']))")).toEqual(['172.16.0.1', '192.168.1.9']);
    // the corpus rule's call
    const ips2 = "dynamic(['203.0.113.7', '10.0.0.77'])";
    expect(await ips(`_Im_WebSession(starttime=ago(1d), ipaddr_has_any_prefix=${ips2}, eventresult="Success", pack=True)`)).toEqual(['10.0.0.5']);
    expect(await ips(`_Im_WebSession(starttime=ago(1d), ipaddr_has_any_prefix=${ips2}, eventresult="Success", pack=false)`)).toEqual(['10.0.0.5']);
  });

  it('is empty, with its columns, without recorded rows', async () => {
    const r = await run("_Im_WebSession(eventresult='Success')", empty);
    expect(r.rows).toEqual([]);
    expect(r.columns.length).toBe(157);
    expect((await run('imFileEvent | project User, FilePath, Rule', empty)).rows).toEqual([]);
  });

  it('Authentication: username_has_any on TargetUsername or ActorUsername; User and Rule aliases', async () => {
    const r = await run("_Im_Authentication(username_has_any=dynamic(['alice', 'admin'])) | project User, Rule, EventSchema, IpAddr | order by User asc");
    expect(r.rows).toEqual([
      ['alice@contoso.com', '7', 'Authentication', '10.1.2.3'],
      ['u2', 'r-1', 'Authentication', '10.9.9.9'],
    ]);
    expect((await run("_Im_Authentication(eventtype_in=dynamic(['Elevate']), srcipaddr_has_any_prefix=dynamic(['10.9.'])) | project User")).rows).toEqual([['u2']]);
    expect((await run("_Im_Authentication(eventresult='Success', starttime=datetime(2026-01-15T10:01:00Z)) | project User")).rows).toEqual([]);
  });

  it('a parameter the engine does not implement is unsupported, never ignored', async () => {
    await expect(run("_Im_WebSession(url_has_any=dynamic(['a.example']))")).rejects.toThrow('unsupported: _Im_WebSession parameter url_has_any at 1:16');
    // by position: starttime, endtime, srcipaddr_has_any_prefix, ipaddr_has_any_prefix, url_has_any
    await expect(run("print 1 | join (imWebSession(datetime(null), datetime(null), dynamic([]), dynamic([]), dynamic(['x']))) on $left.print_0 == $right.DstPortNumber")).rejects.toThrow(
      'unsupported: imWebSession parameter url_has_any at 1:88',
    );
  });
});
