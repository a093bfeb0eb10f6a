// Compiler benchmark: validate and build 200 generated rules, cold (no cache) and warm.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

const QUERIES = [
  (i: number) => `SigninLogs
  | where ResultType == "0" and UserAgent has_any (agents)
  | where AppDisplayName != "app-${i}"
  | project TimeGenerated, UserPrincipalName, UserId, IPAddress, SessionId, UserAgent`,
  (i: number) => `union SigninLogs, AADNonInteractiveUserSignInLogs
  | where ResultType == "0" and isnotempty(SessionId)
  | summarize Asns = make_set(AutonomousSystemNumber, 20), Countries = make_set(Location, 20), IPAddress = take_any(IPAddress) by UserId, UserPrincipalName, SessionId
  | where array_length(Countries) > ${1 + (i % 3)}`,
  (i: number) => `AuditLogs
  | where OperationName has_any ("User registered security info", "User changed default security info")
  | extend UserId = tostring(InitiatedBy.user.id), IPAddress = tostring(InitiatedBy.user.ipAddress), UserPrincipalName = tostring(InitiatedBy.user.userPrincipalName)
  | where UserPrincipalName !endswith "@lab${i}.example"
  | project TimeGenerated, UserId, UserPrincipalName, IPAddress, OperationName`,
  (i: number) => `OfficeActivity
  | where Operation in~ ("New-InboxRule", "Set-InboxRule")
  | where Parameters has_any ("DeleteMessage", "Junk Email", "RSS Feeds")
  | extend UserId = UserId, IPAddress = tostring(split(ClientIP, ":")[0]), Marker = ${i}
  | project TimeGenerated, UserId, IPAddress, Operation, Parameters`,
  (i: number) => `let known = SigninLogs
      | where TimeGenerated between (ago(14d) .. ago(1h)) and ResultType == "0"
      | summarize by UserId, Location;
  SigninLogs
  | where TimeGenerated > ago(1h) and ResultType == "0"
  | join kind=leftanti known on UserId, Location
  | summarize IPAddress = take_any(IPAddress), Countries = make_set(Location) by UserId, UserPrincipalName
  | where array_length(Countries) >= ${1 + (i % 2)}`,
  (i: number) => `AADUserRiskEvents
  | where RiskEventType in ("anomalousToken", "attackerinTheMiddle", "tokenIssuerAnomaly") and RiskLevel != "low${i}"
  | project TimeGenerated, UserId, UserPrincipalName, IPAddress = IpAddress, RiskEventType, RiskLevel`,
  (i: number) => `MicrosoftGraphActivityLogs
  | where UserAgent has_any (agents) and ResponseStatusCode == ${200 + (i % 5)}
  | project TimeGenerated, UserId, IPAddress, RequestUri, UserAgent`,
  (i: number) => `SigninLogs
  | where ResultType in ("50126", "50053") and AppId != "${i}"
  | summarize Failures = count(), IPAddress = take_any(IPAddress) by UserId, UserPrincipalName, bin(TimeGenerated, 10m)
  | where Failures > 10`,
];

function rule(i: number): string {
  const nrt = i % 4 === 0;
  const schedule = nrt ? 'kind: NRT\n' : `kind: Scheduled\nqueryFrequency: ${[5, 10, 15, 30][i % 4]}m\nqueryPeriod: ${i % 5 === 0 ? '1d' : `${[5, 10, 15, 30][i % 4]}m`}\ntriggerOperator: gt\ntriggerThreshold: 0\n`;
  const q = QUERIES[i % QUERIES.length]!(i).split('\n').join('\n  ');
  return `id: BENCH-${i}
name: Bench rule ${i}
description: Generated for the compiler benchmark.
severity: ${['High', 'Medium', 'Low'][i % 3]}
${schedule}tactics: [CredentialAccess, InitialAccess]
relevantTechniques: [T1539, T1078.004]
parameters:
  agents:
    type: dynamic
    default: ["axios", "node-fetch", "python-requests"]
query: |
  ${q}
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: AadUserId
        columnName: UserId
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
`;
}

function timeCli(args: string[], cwd: string): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/sessionguard.js'), ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sessionguard ${args.join(' ')} failed:\n${r.stderr}`);
  return (performance.now() - t) / 1000;
}

export function benchCompiler(n = 200): void {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  try {
    mkdirSync(join(dir, 'rules'));
    cpSync(join(ROOT, 'rules/watchlists'), join(dir, 'rules/watchlists'), { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(dir, 'rules', `bench-${i}.yaml`), rule(i));
    console.log(`compiler: validate and build ${n} rules (one process each, as a user runs it)`);
    const cold = timeCli(['build', '--no-cache'], dir);
    console.log(`  cold (no cache):               ${cold.toFixed(2)} s`);
    const first = timeCli(['build'], dir);
    const warm = timeCli(['build'], dir);
    console.log(`  first run filling the cache:   ${first.toFixed(2)} s`);
    console.log(`  warm cache (unchanged rules):  ${warm.toFixed(2)} s   target < 2 s`);
    writeFileSync(join(dir, 'rules', 'bench-7.yaml'), rule(7).replace('Bench rule 7', 'Bench rule 7 (edited)').replace('take_any', 'any'));
    const oneEdit = timeCli(['build'], dir);
    console.log(`  warm, one rule edited:         ${oneEdit.toFixed(2)} s`);
    const validate = timeCli(['validate'], dir);
    console.log(`  validate only, warm:           ${validate.toFixed(2)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
