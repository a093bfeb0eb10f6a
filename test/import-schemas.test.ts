// scripts/import-schemas.ts merges table schema files into src/kql/tables.ts: the tables it reads are
// replaced, the others kept; src/kql/tables.ts itself is in the shape the script reads back.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSchemas, parseTablesModule, renderTablesModule } from '../scripts/import-schemas.js';
import { TABLE_COLUMNS } from '../src/kql/tables.js';
import { ROOT } from './helpers/cli.js';

const schema = (name: string, cols: [string, string][]) => JSON.stringify({ name, columns: cols.map(([n, t]) => ({ name: n, type: t })) });

function setup(files: Record<string, string>): { dir: string; out: string } {
  const base = mkdtempSync(join(tmpdir(), 'sg-schemas-'));
  const dir = join(base, 'in');
  mkdirSync(dir);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  const out = join(base, 'tables.ts');
  writeFileSync(out, renderTablesModule(new Map([['Zeta', 'TimeGenerated:datetime Z:string'], ['Alpha', 'A:long TimeGenerated:datetime']])));
  return { dir, out };
}

describe('scripts/import-schemas.ts', () => {
  it('replaces the tables it reads, adds new ones, keeps the others, and says which', () => {
    const { dir, out } = setup({
      'Alpha.json': schema('Alpha', [['A', 'Int64'], ['B', 'Boolean'], ['TimeGenerated', 'DateTime'], ['X', 'Object']]),
      'Mid.json': schema('Mid', [['TimeGenerated', 'datetime'], ['R', 'Double'], ['G', 'guid'], ['S', 'timespan']]),
      'notes.txt': 'ignored',
    });
    expect(importSchemas(dir, out)).toEqual({ added: ['Mid'], updated: ['Alpha'], unchanged: [], kept: ['Zeta'] });
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^\/\/ Column names and types of the Log Analytics tables sessionguard knows/);
    expect(text).toContain('merges a folder of schema files in (it\n// replaces the tables it reads and keeps the others)');
    expect(text.split('\n').filter((l) => l.startsWith('  '))).toEqual([
      "  Alpha: 'A:long B:bool TimeGenerated:datetime X:dynamic',",
      "  Mid: 'TimeGenerated:datetime R:real G:guid S:timespan',",
      "  Zeta: 'TimeGenerated:datetime Z:string',",
    ]);
    expect(importSchemas(dir, out)).toEqual({ added: [], updated: [], unchanged: ['Alpha', 'Mid'], kept: ['Zeta'] });
  });

  it('refuses unknown types, tables without TimeGenerated, repeated columns and tables, naming the file', () => {
    const cases: [string, string, RegExp][] = [
      ['a.json', schema('A', [['TimeGenerated', 'datetime'], ['N', 'number']]), /a\.json: column N: unknown type 'number' \(expected one of string, int, long/],
      ['b.json', schema('B', [['Time', 'datetime']]), /b\.json: no TimeGenerated column/],
      ['c.json', schema('C', [['TimeGenerated', 'datetime'], ['TimeGenerated', 'datetime']]), /c\.json: column TimeGenerated listed twice/],
      ['d.json', '{"name": "D", "columns": [', /d\.json: not JSON/],
      ['e.json', schema('E E', [['TimeGenerated', 'datetime']]), /e\.json: "name" must be a table name/],
    ];
    for (const [f, text, re] of cases) {
      const { dir, out } = setup({ [f]: text });
      const before = readFileSync(out, 'utf8');
      expect(() => importSchemas(dir, out)).toThrow(re);
      expect(readFileSync(out, 'utf8')).toBe(before);
    }
    const { dir, out } = setup({ 'a.json': schema('Alpha', [['TimeGenerated', 'datetime']]), 'b.json': schema('Alpha', [['TimeGenerated', 'datetime']]) });
    expect(() => importSchemas(dir, out)).toThrow(/b\.json: table Alpha is defined by two files/);
  });

  it('src/kql/tables.ts reads back as TABLE_COLUMNS; every table has TimeGenerated and Kusto type names only', () => {
    const parsed = parseTablesModule(readFileSync(join(ROOT, 'src', 'kql', 'tables.ts'), 'utf8'));
    expect(Object.fromEntries(parsed)).toEqual(TABLE_COLUMNS);
    for (const [table, spec] of Object.entries(TABLE_COLUMNS)) {
      const cols = spec.split(' ').map((p) => p.split(':') as [string, string]);
      expect(cols.some(([n, t]) => n === 'TimeGenerated' && t === 'datetime'), table).toBe(true);
      for (const [n, t] of cols) expect(['string', 'int', 'long', 'real', 'bool', 'datetime', 'dynamic', 'guid', 'timespan'], `${table}.${n}`).toContain(t);
      expect(new Set(cols.map(([n]) => n)).size, table).toBe(cols.length);
    }
  });

  it('the tables the Sentinel corpus and the TIMailData route need, with the reference types', () => {
    const col = (t: string, c: string) => TABLE_COLUMNS[t]?.split(' ').find((p) => p.startsWith(c + ':'));
    expect([
      col('ADFSSignInLogs', 'AuthenticationDetails'),
      col('ADFSSignInLogs', 'IsInteractive'),
      col('DeviceInfo', 'OSBuild'),
      col('DeviceInfo', 'LoggedOnUsers'),
      col('DeviceInfo', 'OnboardingStatus'),
      col('DeviceTvmSoftwareVulnerabilities', 'CveTags'),
      col('AWSCloudTrail', 'SessionMfaAuthenticated'),
      col('AWSCloudTrail', 'UserIdentityPrincipalid'),
      col('EmailEvents', 'EmailDirection'),
      col('EmailEvents', 'AttachmentCount'),
      col('EmailEvents', 'EmailClusterId'),
      col('EmailEvents', 'To'),
      col('DeviceProcessEvents', 'ProcessCommandLine'),
      col('DeviceNetworkEvents', 'RemotePort'),
      col('DeviceEvents', 'InitiatingProcessCommandLine'),
    ]).toEqual([
      'AuthenticationDetails:string',
      'IsInteractive:bool',
      'OSBuild:long',
      'LoggedOnUsers:dynamic',
      'OnboardingStatus:string',
      'CveTags:dynamic',
      'SessionMfaAuthenticated:bool',
      'UserIdentityPrincipalid:string',
      'EmailDirection:string',
      'AttachmentCount:int',
      'EmailClusterId:long',
      'To:dynamic',
      'ProcessCommandLine:string',
      'RemotePort:int',
      'InitiatingProcessCommandLine:string',
    ]);
  });
});
