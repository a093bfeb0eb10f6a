// Row builders on their own: value formats that depend on the input.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/synth/prng.js';
import { emitNewInboxRule } from '../../src/synth/rows/office.js';
import { buildTenant } from '../../src/synth/tenant.js';

describe('OfficeActivity New-InboxRule ClientIP', () => {
  const t = buildTenant(new Rng('rows'), 3, Date.parse('2026-11-02T00:00:00Z'), 1);
  const rowFor = (ip: string) => {
    const out: Record<string, unknown>[] = [];
    emitNewInboxRule(t, { at: t.start + 3_600_000, user: t.users[0]!, ip, port: 50123, name: 'r', parameters: [] }, new Rng('x'), (_t, _at, row) => out.push(row));
    return out[0]!;
  };

  it('writes IPv4 with its port and IPv6 in brackets with its port, as Exchange does', () => {
    expect(rowFor('203.0.113.7').ClientIP).toBe('203.0.113.7:50123');
    expect(rowFor('2001:db8:0:1:2:3:4:5').ClientIP).toBe('[2001:db8:0:1:2:3:4:5]:50123');
  });

  it('records the rule parameters as JSON text of Name/Value pairs, the rule name last', () => {
    const p = JSON.parse(rowFor('203.0.113.7').Parameters as string) as { Name: string; Value: string }[];
    expect(p.every((x) => typeof x.Name === 'string' && typeof x.Value === 'string')).toBe(true);
    expect(p.at(-1)).toEqual({ Name: 'Name', Value: 'r' });
  });
});
