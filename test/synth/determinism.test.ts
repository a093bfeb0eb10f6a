import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, synthTo } from './helpers.js';

function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = createHash('sha256').update(readFileSync(join(d, e.name))).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

describe('synth determinism', () => {
  const dirs: string[] = [];
  let a: Record<string, string>, b: Record<string, string>, c: Record<string, string>;
  beforeAll(async () => {
    for (const seed of ['alpha', 'alpha', 'beta']) dirs.push(await synthTo({ users: 30, days: 3, seed }));
    [a, b, c] = dirs.map(digest) as [Record<string, string>, Record<string, string>, Record<string, string>];
  });
  afterAll(() => dirs.forEach(cleanup));

  it('writes the same bytes for the same arguments', () => {
    expect(Object.keys(a)).toContain('SigninLogs.ndjson');
    expect(Object.keys(a)).toContain('labels.json');
    expect(b).toEqual(a);
  });

  it('writes different rows for a different seed', () => {
    expect(Object.keys(c).sort()).toEqual(Object.keys(a).sort());
    for (const f of ['SigninLogs.ndjson', 'AADNonInteractiveUserSignInLogs.ndjson', 'OfficeActivity.ndjson', 'labels.json']) expect(c[f], f).not.toBe(a[f]);
  });
});
