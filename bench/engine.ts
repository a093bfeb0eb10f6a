// Engine benchmark: seeded synthetic SigninLogs NDJSON (100k and 1M rows) and four detection-shaped
// queries. Prints load time, per-query time, rows/s and peak RSS. Run: tsx bench/engine.ts [rows...]
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinTables } from '../src/kql/kusto.js';
import { neededColumns, runQuery } from '../src/engine/index.js';
import { loadLogs } from '../src/engine/load.js';
import { translate } from '../src/engine/translate.js';
import { formatDatetime, parseDatetime } from '../src/engine/values.js';

const NOW = parseDatetime('2026-06-15T00:00:00Z')!;
const DAY = 864_000_000_000n;

/** mulberry32: small seeded PRNG so every run writes the same file. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'IN', 'BR', 'JP', 'AU', 'CA', 'NG', 'RU'];
const CITIES = ['Seattle', 'London', 'Berlin', 'Paris', 'Amsterdam', 'Mumbai', 'Sao Paulo', 'Tokyo', 'Sydney', 'Toronto', 'Lagos', 'Moscow'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)',
  'python-requests/2.31.0',
  'curl/8.4.0',
  'Go-http-client/1.1',
];
const APPS = ['Office 365 Exchange Online', 'Microsoft Teams', 'Azure Portal', 'Office 365 SharePoint Online', 'Microsoft Authentication Broker'];

export async function generate(file: string, rows: number, seed = 42): Promise<void> {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const out = createWriteStream(file, { highWaterMark: 1 << 22 });
  const users = Array.from({ length: 5000 }, (_, i) => `user${i}@contoso.com`);
  const policies = JSON.stringify([{ id: 'policy-0', displayName: 'Require MFA', result: 'success' }]);
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const ci = Math.floor(r() * COUNTRIES.length);
    // 15 days of data, most of it in the baseline window
    const t = NOW - BigInt(Math.floor(r() * 15 * 86400_000)) * 10_000n - BigInt(Math.floor(r() * 10_000));
    const user = pick(users);
    const session = `s-${Math.floor(r() * 200_000).toString(16)}`;
    const ua = r() < 0.97 ? pick(AGENTS.slice(0, 4)) : pick(AGENTS);
    const row = {
      TenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      SourceSystem: 'Azure AD',
      TimeGenerated: formatDatetime(t, true),
      OperationName: 'Sign-in activity',
      Category: 'SignInLogs',
      ResultType: r() < 0.85 ? '0' : pick(['50126', '50053', '50074', '53003']),
      ResultDescription: '',
      Identity: user.split('@')[0],
      Level: '4',
      Location: COUNTRIES[ci],
      AppDisplayName: pick(APPS),
      AppId: '00000002-0000-0ff1-ce00-000000000000',
      ClientAppUsed: 'Browser',
      ConditionalAccessPolicies: policies,
      ConditionalAccessStatus: 'success',
      DeviceDetail: { deviceId: '', operatingSystem: 'Windows10', browser: 'Chrome 120.0' },
      IPAddress: `${Math.floor(r() * 223) + 1}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`,
      IsInteractive: true,
      LocationDetails: { city: CITIES[ci], state: '', countryOrRegion: COUNTRIES[ci], geoCoordinates: { latitude: 47.6, longitude: -122.3 } },
      AutonomousSystemNumber: String(8000 + Math.floor(r() * 40)),
      UserAgent: ua,
      UserDisplayName: user.split('@')[0],
      UserId: `00000000-0000-4000-8000-${String(users.indexOf(user)).padStart(12, '0')}`,
      UserPrincipalName: user,
      UserType: 'Member',
      SessionId: session,
      Status: { errorCode: 0, additionalDetails: 'MFA requirement satisfied by claim in the token' },
      Type: 'SigninLogs',
    };
    buf += JSON.stringify(row) + '\n';
    if (buf.length > 1 << 22) {
      if (!out.write(buf)) await new Promise<void>((res) => out.once('drain', () => res()));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise<void>((res) => out.end(res));
}

export const QUERIES: Record<string, string> = {
  'session from several ASNs and countries': `SigninLogs
| where TimeGenerated > ago(1d) and isnotempty(SessionId)
| summarize ASNs = dcount(AutonomousSystemNumber), Countries = dcount(tostring(LocationDetails.countryOrRegion)), Users = make_set(UserPrincipalName, 5) by SessionId
| where ASNs > 1 and Countries > 1`,
  'new country vs 14-day baseline (leftanti)': `let baseline = SigninLogs
| where TimeGenerated between (ago(14d) .. ago(1d)) and ResultType == "0"
| summarize by UserPrincipalName, Country = tostring(LocationDetails.countryOrRegion);
SigninLogs
| where TimeGenerated > ago(1d) and ResultType == "0"
| extend Country = tostring(LocationDetails.countryOrRegion)
| join kind=leftanti baseline on UserPrincipalName, Country
| summarize Count = count(), FirstSeen = min(TimeGenerated) by UserPrincipalName, Country`,
  'user-agent has_any': `SigninLogs
| where UserAgent has_any ("python-requests", "curl", "Go-http-client", "axios")
| project TimeGenerated, UserPrincipalName, IPAddress, UserAgent`,
  'top-N summarize': `SigninLogs
| where ResultType != "0"
| summarize Failures = count() by UserPrincipalName, IPAddress
| top 10 by Failures`,
};

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));

async function benchOne(rows: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const file = join(dir, 'SigninLogs.ndjson');
  try {
    let t0 = performance.now();
    await generate(file, rows);
    const mb = statSync(file).size / 1e6;
    console.log(`\n${rows.toLocaleString('en')} rows: generated ${mb.toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    peak = 0;
    // one load for all four queries: the columns any of them needs
    const needed = new Set<string>();
    for (const q of Object.values(QUERIES)) {
      const n = neededColumns(translate(q));
      if (n) for (const c of n) needed.add(c);
    }
    const total0 = performance.now();
    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const info = { parallel: [] as { file: string; ranges: number; threadCpuMs: number[] }[], fellBack: [] as { file: string; why: string }[] };
    const tables = await loadLogs([file], { schemas: builtinTables(), needed, info });
    const loadS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    sample();
    // CPU time next to wall time: on a shared machine the two differ a lot
    console.log(
      `  load: ${loadS.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU (${Math.round(rows / loadS).toLocaleString('en')} rows/s, ${(mb / loadS).toFixed(0)} MB/s), ${needed.size} columns kept, ${info.parallel[0]?.ranges ?? 1} thread(s)${info.parallel[0] && info.parallel[0].threadCpuMs.every((x) => x >= 0) ? ` (CPU per reading thread: ${info.parallel[0].threadCpuMs.map((x) => (x / 1000).toFixed(2)).join(' + ')} s)` : ''}${info.fellBack.length ? ` (workers gave up: ${info.fellBack[0]!.why})` : ''}`,
    );
    const tabs = Object.fromEntries(tables);
    for (const [name, q] of Object.entries(QUERIES)) {
      t0 = performance.now();
      const r = await runQuery(q, { now: NOW, tables: tabs });
      const s = (performance.now() - t0) / 1000;
      sample();
      console.log(`  ${name.padEnd(44)} ${s.toFixed(3)} s  ${Math.round(rows / s).toLocaleString('en').padStart(12)} rows/s  -> ${r.table.n} rows`);
    }
    const total = (performance.now() - total0) / 1000;
    const load = (await import('node:os')).loadavg()[0]!;
    console.log(`  load + four queries: ${total.toFixed(2)} s; peak RSS ${(peak / 1e9).toFixed(2)} GB (machine load average ${load.toFixed(1)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchEngine(sizes: number[] = [100_000, 1_000_000]): Promise<void> {
  console.log('\nengine: seeded synthetic SigninLogs, four detection-shaped queries (targets at 1M: all in 15 s, each query < 1 s, peak < 4 GB)');
  const timer = setInterval(sample, 50);
  try {
    for (const n of sizes) await benchOne(n);
  } finally {
    clearInterval(timer);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  await benchEngine(sizes.length ? sizes : undefined);
}
void DAY;
