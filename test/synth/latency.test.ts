// Ingestion times against the published figures (asserted on the generated data, with margins).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TABLES, type Row, cleanup, ms, percentile, readRows, synthTo } from './helpers.js';

const S = 1000;
const M = 60 * S;

describe('synth ingestion latency', () => {
  let dir: string;
  const rows: Record<string, Row[]> = {};
  beforeAll(async () => {
    dir = await synthTo({ users: 80, days: 4, seed: process.env.SG_TEST_SEED ?? 'latency' });
    for (const t of ALL_TABLES) rows[t] = readRows(dir, t);
  });
  afterAll(() => cleanup(dir));

  it('no row is received before it was generated', () => {
    for (const t of ALL_TABLES) for (const r of rows[t]!) expect(ms(r._TimeReceived), t).toBeGreaterThanOrEqual(ms(r.TimeGenerated));
  });

  it('sign-ins: TimeGenerated a little after CreatedDateTime', () => {
    const lags = [...rows.SigninLogs!, ...rows.AADNonInteractiveUserSignInLogs!].map((r) => ms(r.TimeGenerated) - ms(r.CreatedDateTime));
    expect(Math.min(...lags)).toBeGreaterThan(0);
    expect(percentile(lags, 0.5)).toBeLessThan(2 * M);
  });

  it('sign-in and audit logs: P95 about 2 min, P99 about 5 min from the event', () => {
    const signIn = [...rows.SigninLogs!, ...rows.AADNonInteractiveUserSignInLogs!].map((r) => ms(r._TimeReceived) - ms(r.CreatedDateTime));
    expect(signIn.length).toBeGreaterThan(3000);
    expect(percentile(signIn, 0.95)).toBeGreaterThan(90 * S);
    expect(percentile(signIn, 0.95)).toBeLessThan(150 * S);
    expect(percentile(signIn, 0.99)).toBeGreaterThan(4 * M);
    expect(percentile(signIn, 0.99)).toBeLessThan(7 * M);
    expect(Math.max(...signIn)).toBeLessThanOrEqual(35 * M);
    // A thin tail of late rows exists (over 10 min) but stays rare.
    const late = signIn.filter((x) => x > 10 * M).length / signIn.length;
    expect(late).toBeGreaterThan(0);
    expect(late).toBeLessThan(0.006);
    const audit = rows.AuditLogs!.map((r) => ms(r._TimeReceived) - ms(r.ActivityDateTime));
    expect(Math.max(...audit)).toBeLessThanOrEqual(35 * M);
  });

  it('Office 365 audit: typically 60-90 min', () => {
    const lag = rows.OfficeActivity!.map((r) => ms(r._TimeReceived) - ms(r.Start_Time));
    expect(percentile(lag, 0.5)).toBeGreaterThan(60 * M);
    expect(percentile(lag, 0.5)).toBeLessThan(90 * M);
    expect(percentile(lag, 0.1)).toBeGreaterThan(40 * M);
    expect(percentile(lag, 0.9)).toBeLessThan(100 * M);
  });

  it('Identity Protection: real-time detections 5-10 min after the sign-in, offline ones hours later', () => {
    const risk = rows.AADUserRiskEvents!;
    const rt = risk.filter((r) => r.DetectionTimingType === 'realtime');
    const off = risk.filter((r) => r.DetectionTimingType === 'offline');
    expect(rt.length).toBeGreaterThan(0);
    for (const r of rt) {
      const lag = ms(r._TimeReceived) - ms(r.ActivityDateTime);
      expect(lag).toBeGreaterThanOrEqual(5 * M);
      expect(lag).toBeLessThanOrEqual(10 * M);
    }
    for (const r of off) expect(ms(r._TimeReceived) - ms(r.ActivityDateTime)).toBeGreaterThan(60 * M);
  });

  it('Graph activity: within 30 min typically, never over 2 h', () => {
    const lag = rows.MicrosoftGraphActivityLogs!.map((r) => ms(r._TimeReceived) - ms(r.TimeGenerated));
    expect(percentile(lag, 0.5)).toBeLessThan(30 * M);
    expect(percentile(lag, 0.9)).toBeLessThanOrEqual(35 * M);
    expect(Math.max(...lag)).toBeLessThanOrEqual(120 * M);
  });
});
