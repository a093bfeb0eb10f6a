// join kinds, from the examples of the join operator pages of the KQL reference.
import { describe, expect, it } from 'vitest';
import { q, rows } from './helpers.js';

const X = `let X = datatable(Key:string, Value1:long) ['a',1, 'b',2, 'b',3, 'c',4];
let Y = datatable(Key:string, Value2:long) ['b',10, 'c',20, 'c',30, 'd',40];`;

describe('join', () => {
  it('defaults to innerunique: one left row per key, every right match', async () => {
    expect(await rows(`${X} X | join Y on Key`, true)).toEqual([
      ['b', 2, 'b', 10],
      ['c', 4, 'c', 20],
      ['c', 4, 'c', 30],
    ]);
  });

  it('names duplicate right columns with the suffix 1', async () => {
    const r = await q(`${X} X | join kind=inner Y on Key`);
    expect(r.columns.map((c) => c.name)).toEqual(['Key', 'Value1', 'Key1', 'Value2']);
  });

  it('inner keeps every combination', async () => {
    expect(await rows(`${X} X | join kind=inner Y on Key`, true)).toEqual([
      ['b', 2, 'b', 10],
      ['b', 3, 'b', 10],
      ['c', 4, 'c', 20],
      ['c', 4, 'c', 30],
    ]);
  });

  it('leftouter fills the right side with nulls (empty strings for string columns)', async () => {
    expect(await rows(`${X} X | join kind=leftouter Y on Key`, true)).toEqual([
      ['a', 1, '', null],
      ['b', 2, 'b', 10],
      ['b', 3, 'b', 10],
      ['c', 4, 'c', 20],
      ['c', 4, 'c', 30],
    ]);
  });

  it('fullouter, leftanti, leftsemi, rightanti, rightsemi', async () => {
    expect(await rows(`${X} X | join kind=fullouter Y on Key`, true)).toHaveLength(6);
    expect(await rows(`${X} X | join kind=leftanti Y on Key`, true)).toEqual([['a', 1]]);
    expect(await rows(`${X} X | join kind=leftsemi Y on Key`, true)).toEqual([
      ['b', 2],
      ['b', 3],
      ['c', 4],
    ]);
    expect(await rows(`${X} X | join kind=rightanti Y on Key`, true)).toEqual([['d', 40]]);
    expect(await rows(`${X} X | join kind=rightsemi Y on Key`, true)).toEqual([
      ['b', 10],
      ['c', 20],
      ['c', 30],
    ]);
  });

  it('joins on $left/$right and several keys', async () => {
    const r = await rows(
      `let A = datatable(u:string, c:string)['x','US', 'y','FR'];
       let B = datatable(user:string, c:string, n:long)['x','US',1, 'x','DE',2, 'y','FR',3];
       A | join kind=inner B on $left.u == $right.user, c | project u, n`,
      true,
    );
    expect(r).toEqual([
      ['x', 1],
      ['y', 3],
    ]);
  });

  it('lookup adds the right columns without repeating the key', async () => {
    const r = await q(`${X} X | lookup (Y | summarize Value2 = max(Value2) by Key) on Key`);
    expect(r.columns.map((c) => c.name)).toEqual(['Key', 'Value1', 'Value2']);
    expect([...r.rows].sort()).toEqual([
      ['a', 1, null],
      ['b', 2, 10],
      ['b', 3, 10],
      ['c', 4, 30],
    ]);
  });
});
