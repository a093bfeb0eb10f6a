// The query command end to end (through tsx, no build needed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'sg-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;

function run(args: string[]) {
  return spawnSync(tsx, [main, 'query', ...args], { encoding: 'utf8' });
}

describe('sessionguard query', () => {
  it('prints {"columns","rows"} JSON', () => {
    writeFileSync(join(dir, 'SigninLogs.ndjson'), JSON.stringify({ TimeGenerated: '2024-01-10T10:00:00.1234567Z', UserPrincipalName: 'a@x.com', ResultType: '50126' }) + '\n');
    const r = run(['--logs', dir, '--now', '2024-01-10T12:00:00Z', '--timespan', '1d', '--format', 'json', 'SigninLogs | where ResultType in (50126) | project TimeGenerated, UserPrincipalName, since = now() - TimeGenerated']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      columns: [
        { name: 'TimeGenerated', type: 'datetime' },
        { name: 'UserPrincipalName', type: 'string' },
        { name: 'since', type: 'timespan' },
      ],
      rows: [['2024-01-10T10:00:00.1234567Z', 'a@x.com', '01:59:59.8765433']],
    });
  });

  it('reports bad KQL with line:col and exit 1, no stack trace', () => {
    const r = run(['SigninLogs\n| where Countr == "x"']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/<query>:2:9: error: KS142/);
    expect(r.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('names unsupported constructs', () => {
    const r = run(['print x = series_decompose_anomalies(dynamic([1,2,3]))']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unsupported: series_decompose_anomalies\(\) at 1:11/);
  });
});
