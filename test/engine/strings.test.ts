// String operators: expected values from the KQL reference (datatypes-string-operators.md and the
// operator pages), not from the engine.
import { describe, expect, it } from 'vitest';
import { value } from './helpers.js';

describe('has is a term match, contains a substring match', () => {
  it.each([
    ['"North America" has "america"', true],
    ['"North America" has "amer"', false],
    ['"KustoExplorerQueryRun" has "Explorer"', false],
    ['"Kusto.Explorer.QueryRun" has "Explorer"', true],
    ['"North America" !has "amer"', true],
    ['"North America" has_cs "America"', true],
    ['"North America" has_cs "america"', false],
    ['"North America" contains "rth"', true],
    ['"North America" contains "RTH"', true],
    ['"North America" contains_cs "RTH"', false],
    ['"North America" !contains "xyz"', true],
    ['"North America" hasprefix "ame"', true],
    ['"North America" hassuffix "ica"', true],
    ['"Fabrikam" startswith "fab"', true],
    ['"Fabrikam" startswith_cs "fab"', false],
    ['"Fabrikam" endswith "KAM"', true],
    ['"Fabrikam" !startswith "Fab"', false],
    ['"Fabrikam" =~ "fabrikam"', true],
    ['"Fabrikam" == "fabrikam"', false],
    ['"Fabrikam" !~ "fabrikam"', false],
  ])('%s → %s', async (expr, expected) => {
    expect(await value(`print ${expr}`)).toBe(expected);
  });

  it('has_any and has_all use term matching too', async () => {
    expect(await value('print "python-requests/2.31" has_any ("curl", "python")')).toBe(true);
    expect(await value('print "pythonic/2.31" has_any ("curl", "python")')).toBe(false);
    expect(await value('print "Microsoft Office Outlook" has_all ("office", "outlook")')).toBe(true);
    expect(await value('print "Microsoft Office" has_all ("office", "outlook")')).toBe(false);
  });

  it('in is case-sensitive, in~ is not, !in negates', async () => {
    expect(await value('print "Admin" in ("admin", "root")')).toBe(false);
    expect(await value('print "Admin" in~ ("admin", "root")')).toBe(true);
    expect(await value('print "Admin" !in ("admin", "root")')).toBe(true);
    expect(await value('print "Admin" !in~ ("admin", "root")')).toBe(false);
  });

  it('matches regex and the string functions', async () => {
    expect(await value('print "user@contoso.com" matches regex "@contoso\\\\.com$"')).toBe(true);
    expect(await value('print tostring(split("user@contoso.com", "@")[1])')).toBe('contoso.com');
    expect(await value('print tostring(split("nouser", "@")[1])')).toBe('');
    expect(await value('print trim(@"[\\s]+", "  abc  ")')).toBe('abc');
    expect(await value('print trim_start("x", "xxabcx")')).toBe('abcx');
    expect(await value('print strcat("a", 1, "b")')).toBe('a1b');
    expect(await value('print extract("([0-9]+)", 1, "abc 123 def")')).toBe('123');
    expect(await value('print replace_string("A B C", " ", "-")')).toBe('A-B-C');
    expect(await value('print countof("aaa", "a")')).toBe(3);
    expect(await value('print strlen("hello")')).toBe(5);
    expect(await value('print substring("ABCD", 1, 2)')).toBe('BC');
    expect(await value('print indexof("abcdefg", "cde")')).toBe(2);
    expect(await value('print tolower("ABC") == "abc"')).toBe(true);
  });

  it('extract_all and extractjson', async () => {
    expect(await value('print extract_all(@"(\\d+)", "a1b22c333")')).toEqual(['1', '22', '333']);
    expect(await value('print extractjson("$.a.b", \'{"a":{"b":"x"}}\')')).toBe('x');
  });
});
