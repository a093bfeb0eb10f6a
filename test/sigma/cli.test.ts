// `sessionguard import sigma` as a user runs it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, project, runCli } from '../helpers/cli.js';

const GOOD = `title: Axios user agent
id: 4f1e7a33-8b5d-4a1c-9f7e-2d6c1b0a9e11
author: Jane Doe
level: high
tags: [attack.credential-access, attack.t1539]
logsource:
  product: azure
  service: signinlogs
detection:
  selection:
    userAgent|contains: axios
  condition: selection
`;

const PLACEHOLDER = `title: Sign-in by an admin
id: 4f1e7a33-8b5d-4a1c-9f7e-2d6c1b0a9e12
logsource:
  product: azure
  service: signinlogs
detection:
  selection:
    UserPrincipalName|expand: '%admins%'
    resultType: 0
  condition: selection
`;

describe('sessionguard import sigma', () => {
  it('writes the rules that convert, reports every other one with file:line:col, exits 1, never a stack trace', () => {
    const dir = project({
      'sigma/good.yml': GOOD,
      'sigma/nested/bad-yaml.yml': 'title: x\nlogsource: [azure\n',
      'sigma/unsupported.yml': GOOD.replace('userAgent|contains', 'userAgent|endwith').replace('4f1e7a33-8b5d-4a1c-9f7e-2d6c1b0a9e11', '4f1e7a33-8b5d-4a1c-9f7e-2d6c1b0a9e13'),
      'sigma/pim.yml': GOOD.replace('signinlogs', 'pim').replace('4f1e7a33-8b5d-4a1c-9f7e-2d6c1b0a9e11', '4f1e7a33-8b5d-4a1c-9f7e-2d6c1b0a9e14').replace('Axios', 'PIM'),
    });
    const r = runCli(['import', 'sigma', 'sigma', '--out', 'out'], dir);
    expect(r.code).toBe(1);
    expect(hasStackTrace(r.stderr + r.stdout)).toBe(false);
    expect(r.stderr).toContain("sigma/unsupported.yml:11:5: error: unknown modifier 'endwith' (did you mean 'endswith'?)");
    expect(r.stderr).toMatch(/sigma\/nested\/bad-yaml\.yml:3:1: error: invalid YAML/);
    expect(r.stderr).toContain('sigma/pim.yml:7:3: error: no Sentinel table for logsource (product: azure, service: pim)');
    expect(r.stderr).toContain('1 rule(s) converted, 2 failed, 1 file problem(s); the failed rules were not written');
    expect(r.stdout).toContain('converted sigma/good.yml -> out/axios-user-agent.yaml (4f1e7a33-8b5d-4a1c-9f7e-2d6c1b0a9e11)');
    expect(readdirSync(join(dir, 'out'))).toEqual(['axios-user-agent.yaml']);
    const text = readFileSync(join(dir, 'out', 'axios-user-agent.yaml'), 'utf8');
    expect(text).toContain('UserAgent contains "axios"');
    expect(text).toContain('author: Jane Doe');
  }, 180_000);

  it('imports with placeholders and a mapping file; the output passes validate; existing files need --force', () => {
    const dir = project({
      'sigma/good.yml': GOOD,
      'sigma/admins.yml': PLACEHOLDER,
      'values.yaml': 'admins: [a@contoso.com, b@contoso.com]\n',
      'map.yaml': 'tables:\n  SigninLogs:\n    fields:\n      userAgent: ClientAppUsed\n',
    });
    const r = runCli(['import', 'sigma', 'sigma', '--out', 'rules', '--placeholders', 'values.yaml', '--mapping', 'map.yaml'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ 2 rule(s) converted, 0 failed');
    expect(readFileSync(join(dir, 'rules', 'sign-in-by-an-admin.yaml'), 'utf8')).toContain('UserPrincipalName in~("a@contoso.com", "b@contoso.com")');
    expect(readFileSync(join(dir, 'rules', 'axios-user-agent.yaml'), 'utf8')).toContain('ClientAppUsed contains "axios"');
    const v = runCli(['validate', 'rules'], dir);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    const again = runCli(['import', 'sigma', 'sigma/good.yml', '--out', 'rules', '--placeholders', 'values.yaml'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('would overwrite rules/axios-user-agent.yaml (use --force); nothing written');
    expect(runCli(['import', 'sigma', 'sigma/good.yml', '--out', 'rules', '--force'], dir).code).toBe(0);
  }, 300_000);

  it('a missing placeholder, a bad placeholders file, a bad mapping file, a missing path', () => {
    const dir = project({ 'admins.yml': PLACEHOLDER, 'values.yaml': '- a\n- b\n', 'map.yaml': 'logsources: 3\n' });
    const r = runCli(['import', 'sigma', 'admins.yml', 'nope.yml', '--out', 'out'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("admins.yml:8:31: error: placeholder %admins% has no value; give it one in a placeholders file (--placeholders FILE)");
    expect(r.stderr).toContain('nope.yml:1:1: error: no such file or folder');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    const p = runCli(['import', 'sigma', 'admins.yml', '--placeholders', 'values.yaml', '--mapping', 'map.yaml'], dir);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('values.yaml:1:1: error: expected a mapping of placeholder names');
    expect(p.stderr).toMatch(/map\.yaml:1:13: error: logsources/);
    expect(hasStackTrace(r.stderr + p.stderr)).toBe(false);
  }, 180_000);
});
