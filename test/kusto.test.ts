import { describe, expect, it } from 'vitest';
import { analyze, format, lineCol } from '../src/kql/kusto.js';

describe('Kusto.Language wrapper', () => {
  it('reports an unknown column with its offset', () => {
    const q = 'SigninLogs\n| where Countr == "x"';
    const a = analyze(q);
    const err = a.diagnostics.find((d) => d.severity === 'error');
    expect(err?.code).toBe('KS142');
    expect(lineCol(q, err!.start)).toEqual({ line: 2, col: 9 });
  });

  it('gives the output schema and the tables read', () => {
    const q = 'SigninLogs | summarize n = count() by UserPrincipalName | join kind=inner (AuditLogs | project OperationName) on $left.UserPrincipalName == $right.OperationName';
    const a = analyze(q);
    expect(a.diagnostics).toEqual([]);
    expect(a.columns).toEqual([
      { name: 'UserPrincipalName', type: 'string' },
      { name: 'n', type: 'long' },
      { name: 'OperationName', type: 'string' },
    ]);
    expect(a.tables).toEqual(['SigninLogs', 'AuditLogs']);
    expect(a.tableRefs.map((r) => r.start)).toEqual([0, q.indexOf('AuditLogs')]);
  });

  it('types _GetWatchlist from the local watchlist definition', () => {
    const env = { watchlists: { sg_excluded_accounts: ['ObjectId', 'Reason'] } };
    expect(analyze("_GetWatchlist('sg_excluded_accounts') | project ObjectId, SearchKey", env).columns).toEqual([
      { name: 'ObjectId', type: 'string' },
      { name: 'SearchKey', type: 'string' },
    ]);
    const bad = analyze("_GetWatchlist('sg_excluded_accounts') | project Nope", env);
    expect(bad.diagnostics[0]?.code).toBe('KS142');
  });

  it('formats with pipes on their own lines', () => {
    expect(format('SigninLogs|where ResultType=="0"|take 5')).toBe('SigninLogs\n| where ResultType == "0"\n| take 5');
  });
});

describe('column_ifexists reads the column where it exists (as the service does)', () => {
  it('after a union renames columns by type, the dynamic one keeps its type', () => {
    const q = `union isfuzzy=true AADNonInteractiveUserSignInLogs, SigninLogs
| extend L = column_ifexists("LocationDetails_dynamic", "")
| project L, City = tostring(L.city)`;
    const a = analyze(q);
    expect(a.diagnostics).toEqual([]);
    expect(a.columns).toEqual([
      { name: 'L', type: 'dynamic' },
      { name: 'City', type: 'string' },
    ]);
  });

  it('an absent column gives the default, and errors keep their offsets', () => {
    const q = `SigninLogs | extend M = columnifexists('Nope', 1), L = column_ifexists("LocationDetails", "") | project M, L, X = nosuch`;
    const a = analyze(q);
    expect(a.columns?.slice(0, 2)).toEqual([
      { name: 'M', type: 'long' },
      { name: 'L', type: 'dynamic' },
    ]);
    expect(a.diagnostics.map((d) => [d.code, q.slice(d.start, d.start + d.length)])).toEqual([['KS142', 'nosuch']]);
  });
});
