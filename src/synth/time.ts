// Times are integer milliseconds since the epoch. Entra writes datetimes with 7 fractional digits
// (100 ns ticks); we keep milliseconds and fill the last 4 digits from a tick value the caller draws.

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** 2026-11-02T08:01:02.1234567Z */
export function iso7(ms: number, ticks = 0): string {
  const s = new Date(ms).toISOString(); // ...SS.mmmZ
  return `${s.slice(0, 23)}${String(ticks % 10000).padStart(4, '0')}Z`;
}

/** Millisecond precision, as APIs that do not keep ticks report it: 2026-11-02T08:01:02.123Z */
export function iso3(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whole seconds, as the Office 365 management API records them: 2026-11-02T08:01:02Z */
export function isoSec(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The offset form Entra uses inside AuthenticationDetails: 2026-11-02T08:01:02.1234567+00:00 */
export function isoOffset(ms: number, ticks = 0): string {
  return `${iso7(ms, ticks).slice(0, -1)}+00:00`;
}

/** Monday=0 ... Sunday=6 of the UTC day containing ms shifted by a UTC offset in hours. */
export function weekday(ms: number, utcOffsetHours: number): number {
  return (new Date(ms + utcOffsetHours * HOUR).getUTCDay() + 6) % 7;
}
