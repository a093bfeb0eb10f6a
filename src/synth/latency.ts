// Per-table ingestion latency: time from the event to the row's recorded arrival (_TimeReceived).
// Each model is an inverse CDF given by quantile points and interpolated linearly between them,
// so the published figures (e.g. sign-in logs P95 ~2 min, P99 ~5 min) are the model itself.
import { MIN, SEC } from './time.js';
import type { Rng } from './prng.js';

export type Quantiles = readonly (readonly [p: number, ms: number])[];

const ENTRA: Quantiles = [[0, 15 * SEC], [0.5, 45 * SEC], [0.95, 2 * MIN], [0.99, 5 * MIN], [0.998, 10 * MIN], [0.9995, 20 * MIN], [1, 35 * MIN]];

export const LATENCY: Record<string, Quantiles> = {
  // Entra sign-in and audit logs: P95 2 min, P99 5 min (Entra reporting latency page, 2019), with a
  // thin tail (1 in 500 over 10 min, 1 in 2,000 over 20 min; a real 2026 export shows a 32 min lag) so that rules must
  // window on ingestion time.
  SigninLogs: ENTRA,
  AADNonInteractiveUserSignInLogs: ENTRA,
  AuditLogs: ENTRA,
  // Office 365 management activity API: typically 60-90 min, no SLA.
  OfficeActivity: [[0, 25 * MIN], [0.1, 55 * MIN], [0.5, 72 * MIN], [0.9, 90 * MIN], [0.99, 150 * MIN], [1, 240 * MIN]],
  // Identity Protection real-time detections surface in 5-10 min (measured from the sign-in).
  AADUserRiskEvents: [[0, 5 * MIN], [0.5, 7 * MIN], [1, 10 * MIN]],
  // Graph activity logs: within 30 min in most regions, up to 2 h in rare cases.
  MicrosoftGraphActivityLogs: [[0, 3 * MIN], [0.5, 12 * MIN], [0.9, 25 * MIN], [0.99, 60 * MIN], [1, 120 * MIN]],
  // Defender XDR CloudAppEvents: not documented; assumed a few minutes to half an hour.
  CloudAppEvents: [[0, 2 * MIN], [0.5, 8 * MIN], [0.95, 25 * MIN], [0.99, 40 * MIN], [1, 60 * MIN]],
};

export function quantile(q: Quantiles, p: number): number {
  for (let i = 1; i < q.length; i++) {
    const [p1, v1] = q[i]!;
    if (p <= p1) {
      const [p0, v0] = q[i - 1]!;
      return v0 + ((p - p0) / (p1 - p0 || 1)) * (v1 - v0);
    }
  }
  return q[q.length - 1]![1];
}

/** Draw a latency in whole milliseconds for a table. */
export function drawLatency(table: string, rng: Rng): number {
  const q = LATENCY[table];
  if (!q) throw new Error(`no latency model for ${table}`);
  return Math.round(quantile(q, rng.next()));
}
