// summarize: defaults on empty input (summarize-operator.md, "Default values of aggregations"),
// group-by forms, arg_max with *.
import { describe, expect, it } from 'vitest';
import { q, rows } from './helpers.js';

const T = `let T = datatable(u:string, n:long, t:datetime)['a',1,datetime(2024-01-01 01:00), 'a',5,datetime(2024-01-01 02:30), 'b',2,datetime(2024-01-01 01:10)];`;

describe('summarize', () => {
  it('without by on empty input returns one row of defaults', async () => {
    const r = await q('datatable(x:long)[] | summarize count(), sum(x), dcount(x), make_set(x), avg(x), max(x)');
    expect(r.rows).toEqual([[0, 0, 0, [], null, null]]);
    expect(r.columns.map((c) => c.name)).toEqual(['count_', 'sum_x', 'dcount_x', 'set_x', 'avg_x', 'max_x']);
  });

  it('with by on empty input returns no rows', async () => {
    expect(await rows('datatable(x:long, k:string)[] | summarize count() by k')).toEqual([]);
  });

  it('groups by expressions and bin()', async () => {
    expect(await rows(`${T} T | summarize c = count(), s = sum(n) by u`, true)).toEqual([
      ['a', 2, 6],
      ['b', 1, 2],
    ]);
    expect(await rows(`${T} T | summarize count() by bin(t, 1h)`, true)).toEqual([
      ['2024-01-01T01:00:00Z', 2],
      ['2024-01-01T02:00:00Z', 1],
    ]);
  });

  it('arg_max(x, *) returns the whole row of the maximum', async () => {
    const r = await q(`${T} T | summarize arg_max(n, *) by u`);
    expect(r.columns.map((c) => c.name)).toEqual(['u', 'n', 't']);
    expect([...r.rows].sort()).toEqual([
      ['a', 5, '2024-01-01T02:30:00Z'],
      ['b', 2, '2024-01-01T01:10:00Z'],
    ]);
  });

  it('countif, dcountif, make_list, make_set with a limit, min/max on datetime', async () => {
    expect(await rows(`${T} T | summarize countif(n > 1), dcountif(u, n > 1), make_set(u, 1), min(t), max(t)`)).toEqual([
      [2, 2, ['a'], '2024-01-01T01:00:00Z', '2024-01-01T02:30:00Z'],
    ]);
  });

  it('distinct, count, top, take', async () => {
    expect(await rows(`${T} T | distinct u`, true)).toEqual([['a'], ['b']]);
    expect(await rows(`${T} T | count`)).toEqual([[3]]);
    expect(await rows(`${T} T | top 2 by n desc | project n`)).toEqual([[5], [2]]);
    expect(await rows(`${T} T | order by n asc | take 1 | project n`)).toEqual([[1]]);
  });

  it('top-nested keeps the top groups per level (top-nested-operator.md)', async () => {
    // totals by s: A = 8, B = 10, C = 1; within A, x occurs twice and y once
    expect(
      await rows('datatable(s:string, src:string, d:long)["A","x",5, "A","y",1, "A","x",2, "B","x",10, "C","z",1] | top-nested 2 of s by total = sum(d), top-nested 1 of src by c = count()', true),
    ).toEqual([
      ['A', 8, 'x', 2],
      ['B', 10, 'x', 1],
    ]);
  });
});
