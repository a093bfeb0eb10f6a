// Functions and operators of the coverage that Sentinel rules use and no other test pins:
// IP ranges, percentiles and stdev, take_any and arg_min with *, project-keep, make-series. Expected
// values are worked out by hand (or taken from the reference pages).
import { describe, expect, it } from 'vitest';
import { rows, value } from './helpers.js';

describe('IP functions', () => {
  it('ipv4 ranges, private ranges, prefix matches and parsing', async () => {
    expect(
      await rows(
        'print ipv4_is_in_range("10.1.2.3", "10.1.0.0/16"), ipv4_is_in_range("10.2.0.1", "10.1.0.0/16"), ' +
          'ipv4_is_in_any_range("192.168.1.5", dynamic(["10.0.0.0/8", "192.168.1.0/24"])), ipv4_is_in_any_range("8.8.8.8", dynamic(["10.0.0.0/8"]))',
      ),
    ).toEqual([[true, false, true, false]]);
    expect(await rows('print ipv4_is_private("10.0.0.1"), ipv4_is_private("172.16.5.1"), ipv4_is_private("172.32.0.1"), ipv4_is_private("8.8.8.8")')).toEqual([[true, true, false, false]]);
    expect(await rows('print ipv4_is_match("192.168.1.1", "192.168.1.255", 24), ipv4_is_match("192.168.1.1", "192.168.2.1", 24), parse_ipv4("127.0.0.1")')).toEqual([[true, false, 2130706433]]);
    // IPv4 compared as IPv6 (ipv6_is_match reference page)
    expect(await value('print ipv6_is_match("::ffff:c0a8:0101", "192.168.1.1")')).toBe(true);
  });
});

describe('aggregates', () => {
  it('percentile (nearest rank), percentiles, stdev (sample)', async () => {
    expect(await rows('range x from 1 to 10 step 1 | summarize percentile(x, 50), percentiles(x, 20, 90)')).toEqual([[5, 2, 9]]);
    const sd = (await rows('datatable(x:real)[1, 2, 3, 4] | summarize stdev(x)'))[0]![0] as number;
    expect(sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('take_any of one value; arg_min with * returns the whole row', async () => {
    expect(await rows('datatable(k:string, v:long)["a", 7] | summarize take_any(v) by k')).toEqual([['a', 7]]);
    expect(await rows('datatable(k:string, v:long, w:string)["a", 3, "x", "a", 1, "y", "b", 2, "z"] | summarize arg_min(v, *) by k | order by k asc')).toEqual([
      ['a', 1, 'y'],
      ['b', 2, 'z'],
    ]);
  });
});

describe('operators', () => {
  it('project-keep with a wildcard keeps matching columns in their order', async () => {
    expect((await rows('datatable(ab:long, c:long, ad:long)[1, 2, 3] | project-keep a*'))).toEqual([[1, 3]]);
  });

  it('make-series fills absent bins with the default', async () => {
    const r = await rows(
      'datatable(t:datetime, v:long)[datetime(2024-01-01), 1, datetime(2024-01-01 12:00), 2, datetime(2024-01-03), 5] ' +
        '| make-series s = sum(v) default = 0 on t from datetime(2024-01-01) to datetime(2024-01-04) step 1d',
    );
    expect(r).toEqual([[[3, 0, 5], ['2024-01-01T00:00:00.0000000Z', '2024-01-02T00:00:00.0000000Z', '2024-01-03T00:00:00.0000000Z']]]);
  });
});
