// Semantics added for the documentation examples and the coverage of issue 3: parse regex modes and
// flags, withsource names from `as`, named arguments, hash of datetimes, innerunique with a filter on
// the left side, isfuzzy wildcards, US dates with dashes, bag_unpack ignoredProperties.
import { describe, expect, it } from 'vitest';
import { swapGreed } from '../../src/engine/eval.js';
import { rows, value } from './helpers.js';

const LINE = 'a=1, b=2, c=3';

describe('parse kind=regex and relaxed', () => {
  it('string captures are greedy by default; the U flag makes them lazy', async () => {
    expect(await value(`print s="${LINE}" | parse kind=regex s with "a=" x "," * | project x`)).toBe('1, b=2');
    expect(await value(`print s="${LINE}" | parse kind=regex flags=U s with "a=" x "," * | project x`)).toBe('1');
  });

  it('the i flag ignores case; without s the dot stops at a line break', async () => {
    expect(await value(`print s="KEY=v;" | parse kind=regex flags=i s with "key=" x ";" | project x`)).toBe('v');
    expect(await value(`print s="k=a\\nb;" | parse kind=regex s with "k=" x ";" | project x`)).toBe('');
    expect(await value(`print s="k=a\\nb;" | parse kind=regex flags=s s with "k=" x ";" | project x`)).toBe('a\nb');
  });

  it('relaxed: a typed capture that does not convert is null, the other captures keep their values', async () => {
    expect(await rows('print s="n=abc, m=7." | parse kind=relaxed s with "n=" n:long ", m=" m:long "." | project n, m')).toEqual([[null, 7]]);
    // simple mode drops every capture of that row
    expect(await rows('print s="n=abc, m=7." | parse s with "n=" n:long ", m=" m:long "." | project n, m')).toEqual([[null, null]]);
  });

  it('swapGreed turns greedy quantifiers lazy and back, leaving classes, escapes and groups alone', () => {
    expect(swapGreed('a.*b+?c?(?:d){2,3}[*+?]\\*')).toBe('a.*?b+c??(?:d){2,3}?[*+?]\\*');
  });
});

describe('union, functions, joins', () => {
  it('withsource names an input after its trailing `as`, else union_argN', async () => {
    expect(await rows('union withsource=S (print x=1 | as A), (print x=2) | project S, x', true)).toEqual([
      ['A', 1],
      ['union_arg1', 2],
    ]);
  });

  it('user functions take arguments by name, defaults fill the rest', async () => {
    expect(await rows('let f = (a:long, b:string = "d", c:long = 0) { strcat(a, "-", b, "-", c) }; print f(c=7, a=12), f(5)')).toEqual([['12-d-7', '5-d-0']]);
  });

  it('a filter on left columns after an innerunique join applies before the left rows are de-duplicated', async () => {
    const r = await rows(
      `let L = datatable(k:long, v:string)[1, "first", 1, "second"];
       let R = datatable(k:long, w:string)[1, "r1", 1, "r2"];
       L | join R on k | where v == "second" | project v, w`,
      true,
    );
    expect(r).toEqual([
      ['second', 'r1'],
      ['second', 'r2'],
    ]);
    // a filter on a right column is not moved: the first left row is kept, then filtered
    expect(await rows(`let L = datatable(k:long, v:string)[1, "first", 1, "second"]; let R = datatable(k:long, w:string)[1, "r1"]; L | join R on k | where w == "r1" | project v`)).toEqual([['first']]);
  });

  it('union isfuzzy=true over a wildcard that matches nothing, and over views', async () => {
    expect(await rows('let V_1 = view () { print x=1 }; let V_2 = view () { print x=2 }; union isfuzzy=true V_*, Nothing* | count')).toEqual([[2]]);
    expect(await rows('let V_1 = view () { print x=1 }; let V_2 = view () { print x=2 }; union withsource=S isfuzzy=true V_* | project S', true)).toEqual([['V_1'], ['V_2']]);
  });
});

describe('values', () => {
  it('hash() of a datetime hashes its .NET ticks (value from the hash() reference page)', async () => {
    expect(await value('print hash(datetime(2015-01-01)) == 1380966698541616202')).toBe(true);
    expect(await value('print hash(datetime(2015-01-01), 100)')).toBe(2);
  });

  it('datetime literals accept quotes and the MM-dd-yyyy form', async () => {
    expect(await value("print datetime('12-02-2022') == datetime(2022-12-02)")).toBe(true);
    expect(await value('print datetime("2015-01-01") == datetime(2015-01-01)')).toBe(true);
    expect(await value("print isnull(todatetime('13-02-2022'))")).toBe(true);
  });

  it('toscalar of a scalar is that scalar', async () => {
    expect(await value('print toscalar(2) + 1')).toBe(3);
  });

  it('bag_unpack leaves out ignoredProperties', async () => {
    const r = await rows('datatable(d:dynamic)[dynamic({"a":1,"b":2,"c":3})] | evaluate bag_unpack(d, ignoredProperties=dynamic(["b"]))');
    expect(r).toEqual([[1, 3]]);
  });

  it('pack_all() in an extend packs the input row, not the columns that extend adds', async () => {
    expect(await rows('datatable(a:long)[1] | extend p = pack_all(), q = pack_all()')).toEqual([[1, { a: 1 }, { a: 1 }]]);
  });

  it('bag_remove_keys takes JSONPaths to nested keys', async () => {
    expect(await value(`print bag_remove_keys(dynamic({'k1': 1, 'k2': {'p1': 'a', 'p2': 'b'}, 'k3': [1]}), dynamic(['$.k2.p1', 'k3']))`)).toEqual({ k1: 1, k2: { p2: 'b' } });
  });

  it('indexof with a length and an occurrence (values from the indexof() reference page)', async () => {
    expect(await rows('print indexof("abcdefgabcdefg", "cde", 1, 10, 2), indexof("abcdefg", "cde", 1, 2), indexof("abcdefg", "cde", 1, 4), indexof("abcdefgabcdefg", "cde", 1, -1, 3)')).toEqual([[9, -1, 2, -1]]);
  });
});
