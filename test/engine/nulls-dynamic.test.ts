// Null handling (scalar-data-types/null-values.md), dynamic access and tostring, mv-expand.
import { describe, expect, it } from 'vitest';
import { q, rows, value } from './helpers.js';

describe('null values', () => {
  it('comparisons with null follow the reference table', async () => {
    // datatable(val:int)[5, int(null)] | extend ... (null-values.md, "Equality and inequality of null values")
    expect(
      await rows(`datatable(val:int)[5, int(null)]
        | extend IsBiggerThan3 = val > 3, IsBiggerThan3OrNull = val > 3 or isnull(val), IsEqualToNull = val == int(null), IsNotEqualToNull = val != int(null)`),
    ).toEqual([
      [5, true, true, false, true],
      [null, null, true, null, null],
    ]);
  });

  it('where keeps a null row for != (null-values.md, "Null values and the where operator")', async () => {
    expect(await rows('datatable(ival:int, sval:string)[5, "a", int(null), "b"] | where ival != 5')).toEqual([[null, 'b']]);
  });

  it('strings are never null; isempty and isnull', async () => {
    expect(await rows('print a = isempty(""), b = isnull(""), c = isnull(long(null)), d = isnotempty("x"), e = tostring(long(null))')).toEqual([
      [true, false, true, true, ''],
    ]);
  });

  it('iff, case, coalesce', async () => {
    expect(await rows('print iff(1 > 2, "a", "b"), case(false, 1, true, 2, 3), coalesce(long(null), 7), coalesce("", "x")')).toEqual([['b', 2, 7, 'x']]);
  });
});

describe('dynamic values', () => {
  it('path access and tostring', async () => {
    const d = 'let d = dynamic({"city":"Paris","geo":{"lat":48.85},"items":[1,2,3],"n":1,"r":1.5});';
    expect(await rows(`${d} print tostring(d.city), tostring(d.geo.lat), tostring(d["items"][1]), tostring(d.nothere), tostring(d.items), tostring(d.n), tostring(d.r)`)).toEqual([
      ['Paris', '48.85', '2', '', '[1,2,3]', '1', '1.5'],
    ]);
  });

  it('parse_json of text, array_length, bag_pack, pack_array, set_has_element, set_difference', async () => {
    expect(await value('print tostring(parse_json(\'{"a":{"b":"c"}}\').a.b)')).toBe('c');
    expect(await value('print array_length(dynamic([1,2,3]))')).toBe(3);
    expect(await value('print array_length(parse_json(\'{"a":1}\'))')).toBe(null);
    expect(await value('print bag_pack("k", 1, "s", "v")')).toEqual({ k: 1, s: 'v' });
    expect(await value('print pack_array(1, "a")')).toEqual([1, 'a']);
    expect(await value('print set_has_element(dynamic(["a","b"]), "b")')).toBe(true);
    expect(await value('print set_difference(dynamic([1,2,3]), dynamic([2]))')).toEqual([1, 3]);
    expect(await value('print array_slice(dynamic([1,2,3,4]), 1, 2)')).toEqual([2, 3]);
  });

  // mv-expand-operator.md: "Each element in the (scalar) array or property bag generates a new
  // record"; an empty array (or null) has no element, so the row yields none.
  it('mv-expand: one row per element, typed with to typeof(); empty arrays and nulls give no rows', async () => {
    expect(
      await rows(`datatable(k:string, d:dynamic)["a", dynamic([1,2]), "b", dynamic([]), "c", dynamic(null)] | mv-expand d to typeof(long)`),
    ).toEqual([
      ['a', 1],
      ['a', 2],
    ]);
    const r = await q('print d = dynamic([1,2]) | mv-expand d to typeof(long)');
    expect(r.columns).toEqual([{ name: 'd', type: 'long' }]);
  });

  it('mv-apply runs the subquery per row', async () => {
    expect(
      await rows(`datatable(k:string, d:dynamic)["a", dynamic([1,5,3]), "b", dynamic([2])]
        | mv-apply x = d to typeof(long) on (summarize m = max(x))
        | project k, m`, true),
    ).toEqual([
      ['a', 5],
      ['b', 2],
    ]);
  });
});
