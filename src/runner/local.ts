// The local engine behind replay and rule tests: a LogSession seen through the runner's interface.
import type { Table } from '../engine/eval.js';
import { LogSession } from '../engine/session.js';
import { TICKS_PER_MS, toJsonValue } from '../engine/values.js';
import type { QueryResult } from './alerts.js';
import type { ReplayEngine, RunWindow } from './replay.js';

const ticks = (d: Date) => BigInt(d.getTime()) * TICKS_PER_MS;

export function tableResult(t: Table): QueryResult {
  const rows: unknown[][] = [];
  for (let i = 0; i < t.n; i++) rows.push(t.cols.map((c) => toJsonValue(c.data[i] ?? null, c.type)));
  return { columns: t.cols.map((c) => ({ name: c.name, type: c.type })), rows };
}

export function localEngine(session: LogSession): ReplayEngine {
  return {
    prepare(kql: string) {
      const p = session.prepare(kql);
      return {
        run(w: RunWindow): QueryResult {
          return tableResult(
            session.run(p, {
              now: ticks(w.now),
              from: w.timeGeneratedFrom ? ticks(w.timeGeneratedFrom) : undefined,
              ingestedAfter: w.ingestedAfter ? ticks(w.ingestedAfter) : undefined,
              ingestedUntil: ticks(w.ingestedUntil),
            }),
          );
        },
      };
    },
    ingestionMinutes: () => session.ingestionMinutes(),
    recordAlerts: (rows) => session.append('SecurityAlert', rows),
  };
}

/** AadUserId -> UPN from the sign-in tables. */
export function directoryOf(session: LogSession): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of ['SigninLogs', 'AADNonInteractiveUserSignInLogs', 'AADUserRiskEvents']) {
    const t = session.table(name);
    if (!t) continue;
    const id = t.cols.find((c) => c.name === 'UserId')?.data;
    const upn = t.cols.find((c) => c.name === 'UserPrincipalName')?.data;
    if (!id || !upn) continue;
    for (let i = 0; i < t.n; i++) {
      const a = id[i];
      const b = upn[i];
      if (typeof a === 'string' && a && typeof b === 'string' && b && !out.has(a)) out.set(a, b);
    }
  }
  return out;
}
