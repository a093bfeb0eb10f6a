// let (scalars, tables, functions with table(name)), materialize, toscalar, invoke, parse, serialize
// window functions, column_ifexists, print naming.
import { describe, expect, it } from 'vitest';
import { q, rows } from './helpers.js';

describe('let and functions', () => {
  it('a function over table(name), the pattern Sentinel rules use for both sign-in tables', async () => {
    const r = await rows(
      `let f = (tableName:string) { table(tableName) | where ResultType == "0" | project UserPrincipalName, Type };
       union f("SigninLogs"), f("AADNonInteractiveUserSignInLogs")`,
      true,
      {
        tables: {
          SigninLogs: { n: 2, cols: [{ name: 'UserPrincipalName', type: 'string', data: ['a', 'b'] }, { name: 'ResultType', type: 'string', data: ['0', '50126'] }, { name: 'Type', type: 'string', data: ['SigninLogs', 'SigninLogs'] }] },
          AADNonInteractiveUserSignInLogs: { n: 1, cols: [{ name: 'UserPrincipalName', type: 'string', data: ['c'] }, { name: 'ResultType', type: 'string', data: ['0'] }, { name: 'Type', type: 'string', data: ['AADNonInteractiveUserSignInLogs'] }] },
        },
      },
    );
    expect(r).toEqual([
      ['a', 'SigninLogs'],
      ['c', 'AADNonInteractiveUserSignInLogs'],
    ]);
  });

  it('scalar functions with default parameters, materialize and toscalar', async () => {
    expect(await rows('let g = (x:long, y:long = 10) { x + y }; print g(1), g(1, 2)')).toEqual([[11, 3]]);
    expect(await rows('let m = materialize(datatable(a:long)[1,2,3]); let top1 = toscalar(m | summarize max(a)); m | where a < top1 | count')).toEqual([[2]]);
  });

  it('invoke passes the piped table as the first parameter', async () => {
    expect(await rows('let f = (T:(a:long), k:long) { T | extend b = a * k }; datatable(a:long)[1,2] | invoke f(3)')).toEqual([
      [1, 3],
      [2, 6],
    ]);
  });

  it('column_ifexists falls back when the column is absent', async () => {
    expect(await rows('datatable(a:string)["x"] | project b = column_ifexists("b", "none"), a2 = column_ifexists("a", "")')).toEqual([['none', 'x']]);
  });

  it('print names unnamed columns print_0, print_1', async () => {
    expect((await q('print 1, "a"')).columns.map((c) => c.name)).toEqual(['print_0', 'print_1']);
  });
});

describe('parse', () => {
  it('simple mode with * and typed captures (parse-operator.md)', async () => {
    expect(
      await rows(`datatable(s:string)["KeyIdentifier=abc,KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=test]"]
        | parse s with * "KeyIdentifier=" keyIdentifier:string ",KeyType=" keyType:string ",KeyUsage=" keyUsage:string ",DisplayName=" keyDisplayName:string "]" *
        | project keyIdentifier, keyType, keyUsage, keyDisplayName`),
    ).toEqual([['abc', 'AsymmetricX509Cert', 'Verify', 'CN=test']]);
  });

  it('a row that does not match gets empty values; parse-where drops it', async () => {
    const T = 'datatable(s:string)["n=5;", "junk"]';
    expect(await rows(`${T} | parse s with "n=" n:long ";" | project n`)).toEqual([[5], [null]]);
    expect(await rows(`${T} | parse-where s with "n=" n:long ";" | project n`)).toEqual([[5]]);
  });
});

describe('serialize and window functions', () => {
  it('row_number, prev, next over the sorted rows', async () => {
    expect(await rows('datatable(a:long)[3,1,2] | order by a asc | extend rn = row_number(), p = prev(a), nx = next(a, 1, -1)')).toEqual([
      [1, 1, null, 2],
      [2, 2, 1, 3],
      [3, 3, 2, -1],
    ]);
  });
});
