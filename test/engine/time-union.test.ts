// Datetime arithmetic, bin, ago/now from the evaluation time; union of differently typed columns;
// ResultType (a string column) compared with numbers.
import { describe, expect, it } from 'vitest';
import { NOW, q, rows, value } from './helpers.js';
import { formatDatetime } from '../../src/engine/values.js';

describe('datetime and timespan', () => {
  it('keeps 100-ns ticks', async () => {
    expect(await value('print datetime(2024-01-01T00:00:00.1234567Z)')).toBe('2024-01-01T00:00:00.1234567Z');
    expect(await value('print datetime(2024-01-01T00:00:00.1234567Z) + 1tick')).toBe('2024-01-01T00:00:00.1234568Z');
  });

  it('arithmetic: datetime - datetime is a timespan; timespan / timespan is a real', async () => {
    expect(await rows('print datetime(2024-01-02) - datetime(2024-01-01), 1d / 1h, datetime(2024-01-01) + 36h, 2 * 1h')).toEqual([
      ['1.00:00:00', 24, '2024-01-02T12:00:00Z', '02:00:00'],
    ]);
  });

  it('bin rounds down to the bin size', async () => {
    expect(await rows('print bin(4.5, 1), bin(datetime(1970-05-11 13:45:07), 1d), bin(10, 3), bin(time(16d), 7d)')).toEqual([
      [4, '1970-05-11T00:00:00Z', 9, '14.00:00:00'],
    ]);
  });

  it('now() and ago() use the evaluation time', async () => {
    expect(await value('print now()')).toBe(formatDatetime(NOW));
    expect(await value('print ago(1d)')).toBe('2024-01-09T12:00:00Z');
    expect(await value('print now(-2h)')).toBe('2024-01-10T10:00:00Z');
    // offsets that differ by row (not folded into one value)
    expect(await rows('range h from 1 to 3 step 1 | project a = ago(h * 1h), b = now(h * 1d)')).toEqual([
      ['2024-01-10T11:00:00Z', '2024-01-11T12:00:00Z'],
      ['2024-01-10T10:00:00Z', '2024-01-12T12:00:00Z'],
      ['2024-01-10T09:00:00Z', '2024-01-13T12:00:00Z'],
    ]);
  });

  it('between is inclusive; startofday, endofday, datetime_diff, format_datetime', async () => {
    expect(await rows('print 5 between (1 .. 5), datetime(2024-01-01) between (datetime(2023-12-31) .. 1d)')).toEqual([[true, true]]);
    expect(await rows('print startofday(datetime(2017-01-01 10:10:17)), endofday(datetime(2017-01-01 10:10:17))')).toEqual([
      ['2017-01-01T00:00:00Z', '2017-01-01T23:59:59.9999999Z'],
    ]);
    expect(await value("print datetime_diff('day', datetime(2017-10-30 23:05:01), datetime(2017-09-30 23:00:00))")).toBe(30);
    expect(await value("print format_datetime(datetime(2015-12-14 02:03:04.12345), 'yyyy-MM-dd [HH:mm:ss]')")).toBe('2015-12-14 [02:03:04]');
  });
});

describe('union', () => {
  it('renames same-name columns of different types to name_type', async () => {
    const r = await q(`let A = datatable(L:dynamic, x:long)[dynamic({"c":"US"}), 1];
      let B = datatable(L:string, x:long)["FR", 2];
      union A, B`);
    // union-operator.md, "Source columns types mismatch": x_long, x_int side by side
    expect(r.columns).toEqual([
      { name: 'L_dynamic', type: 'dynamic' },
      { name: 'L_string', type: 'string' },
      { name: 'x', type: 'long' },
    ]);
    expect(r.rows).toEqual([
      [{ c: 'US' }, '', 1],
      [null, 'FR', 2],
    ]);
  });

  it('withsource names the source table; kind=inner keeps common columns', async () => {
    expect(
      await rows(`let A = datatable(a:long, b:long)[1, 2]; let B = datatable(a:long)[3];
        union withsource=Src kind=inner A, B | order by a asc`),
    ).toEqual([
      ['A', 1],
      ['B', 3],
    ]);
  });

  it('the two sign-in tables: LocationDetails is dynamic in one and string in the other', async () => {
    const r = await q('union SigninLogs, AADNonInteractiveUserSignInLogs | getschema | where ColumnName startswith "LocationDetails" | project ColumnName');
    expect(r.rows).toEqual([['LocationDetails_dynamic'], ['LocationDetails_string']]);
  });
});

describe('ResultType is a string column compared with numbers', () => {
  it('== and in compare the number as text', async () => {
    const r = await rows(`datatable(ResultType:string)["0", "50126", "00"]
      | extend a = ResultType == 0, b = ResultType in (50126, 50053), c = ResultType != 0, d = ResultType == "0"`);
    expect(r).toEqual([
      ['0', true, false, false, true],
      ['50126', false, true, true, false],
      ['00', false, false, true, false],
    ]);
  });
});
