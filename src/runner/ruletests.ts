// Runs a rule's test cases: the compiled rule replayed, as Sentinel schedules it, over the case's
// recorded rows; then the alerts and incidents it raised checked against what the case expects.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledRule } from '../compile/build.js';
import { UserError } from '../diagnostics.js';
import { LogSession } from '../engine/session.js';
import { TICKS_PER_MS } from '../engine/values.js';
import type { Watchlist } from '../rules/watchlists.js';
import type { SchemaEnv } from '../kql/kusto.js';
import type { Alert, Entity } from './alerts.js';
import type { EntityPattern, TestCase } from './cases.js';
import type { Incident } from './incidents.js';
import { directoryOf, localEngine } from './local.js';
import { replay } from './replay.js';

export interface CaseResult {
  rule: CompiledRule;
  case: TestCase;
  passed: boolean;
  failures: string[];
  alerts: Alert[];
  incidents: Incident[];
  seconds: number;
}

const MIN = 60_000;

function matchesEntity(e: Entity, p: EntityPattern): boolean {
  if (e.type.toLowerCase() !== p.type.toLowerCase()) return false;
  return Object.entries(p.identifiers).every(([k, v]) => (e.identifiers[k] ?? '').toLowerCase() === v.toLowerCase());
}

const describeEntity = (p: EntityPattern) => `${p.type} ${Object.entries(p.identifiers).map(([k, v]) => `${k}=${v}`).join(' ')}`;

function checkCount(what: string, n: number, c: TestCase['expect']['alerts'], out: string[]): void {
  if (!c) return;
  if (c.exactly !== undefined && n !== c.exactly) out.push(`expected ${c.exactly} ${what}, got ${n}`);
  if (c.atLeast !== undefined && n < c.atLeast) out.push(`expected at least ${c.atLeast} ${what}, got ${n}`);
  if (c.atMost !== undefined && n > c.atMost) out.push(`expected at most ${c.atMost} ${what}, got ${n}`);
}

export function checkExpectations(tc: TestCase, alerts: Alert[], incidents: Incident[]): string[] {
  const out: string[] = [];
  const ex = tc.expect;
  checkCount('alerts', alerts.length, ex.alerts, out);
  checkCount('incidents', incidents.length, ex.incidents, out);
  const all = alerts.flatMap((a) => a.entities);
  for (const p of ex.entities) if (!all.some((e) => matchesEntity(e, p))) out.push(`expected an alert with entity ${describeEntity(p)}`);
  for (const p of ex.noEntities) if (all.some((e) => matchesEntity(e, p))) out.push(`expected no alert with entity ${describeEntity(p)}`);
  for (const [key, values] of Object.entries(ex.customDetails)) {
    const seen = new Set(alerts.flatMap((a) => a.customDetails[key] ?? []));
    for (const v of values) if (!seen.has(v)) out.push(`expected custom detail ${key} = ${v}; seen: ${[...seen].join(', ') || 'none'}`);
  }
  for (const name of ex.alertNames) if (!alerts.some((a) => a.displayName === name)) out.push(`expected an alert named "${name}"; got ${alerts.map((a) => `"${a.displayName}"`).join(', ') || 'no alerts'}`);
  if (!ex.alerts && !ex.incidents && !ex.entities.length && !ex.noEntities.length && !Object.keys(ex.customDetails).length && !ex.alertNames.length)
    out.push('the case expects nothing: give expect.alerts (0 for a true negative) or entities');
  return out;
}

function watchlistsWith(base: Watchlist[], overrides: TestCase['watchlists']): Watchlist[] {
  const byAlias = new Map(base.map((w) => [w.alias, w]));
  for (const [alias, rows] of Object.entries(overrides)) {
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const prev = byAlias.get(alias);
    const searchKey = prev && columns.includes(prev.searchKey) ? prev.searchKey : (columns[0] ?? 'SearchKey');
    byAlias.set(alias, { alias, file: '(test case)', searchKey, columns: columns.length ? columns : (prev?.columns ?? []), rows });
  }
  return [...byAlias.values()];
}

export async function runCase(rule: CompiledRule, tc: TestCase, env: SchemaEnv, watchlists: Watchlist[]): Promise<CaseResult> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'sg-case-'));
  try {
    const files = [...tc.files];
    if (Object.keys(tc.rows).length) {
      mkdirSync(join(dir, 'rows'));
      for (const [table, rows] of Object.entries(tc.rows)) {
        const f = join(dir, 'rows', `${table}.ndjson`);
        writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
        files.push(f);
      }
    }
    let session: LogSession;
    try {
      session = await LogSession.open(files, { env, watchlists: watchlistsWith(watchlists, tc.watchlists) });
    } catch (e) {
      // A bad inline row is reported against the test case, not the temporary file it went through.
      const rowsDir = join(dir, 'rows');
      const msg = e instanceof Error ? e.message : String(e);
      const m = msg.startsWith(rowsDir) ? /^.*[\\/]([A-Za-z]+)\.ndjson:(\d+):\d+: (.*)$/s.exec(msg) : null;
      if (m) throw new UserError(`${tc.file}:${tc.line}:1: test '${tc.name}': ${m[1]} row ${m[2]}: ${m[3]}`);
      throw e;
    }
    try {
      session.prepare(rule.query);
    } catch (e) {
      // A construct the local engine does not run fails this rule's cases, not the whole run.
      const msg = e instanceof Error ? e.message : String(e);
      return { rule, case: tc, passed: false, failures: [`the local engine cannot run the compiled query: ${msg}`], alerts: [], incidents: [], seconds: (performance.now() - t0) / 1000 };
    }
    const span = session.span();
    const r = rule.rule;
    const lastIngest = span ? Number(span.last / TICKS_PER_MS) : Date.now();
    const firstTime = span ? Number(span.first / TICKS_PER_MS) : lastIngest;
    const settle = r.kind === 'NRT' ? 3 * MIN : r.queryFrequency! + 5 * MIN;
    const end = tc.now ? tc.now.getTime() : lastIngest + settle;
    const start = Math.min(firstTime, end) - (r.kind === 'NRT' ? MIN : 0);
    const result = replay({
      engine: localEngine(session),
      rules: [{ ...rule, enabled: true }],
      playbooks: [],
      excludedAccountIds: new Set(),
      directory: directoryOf(session),
      start: new Date(start),
      end: new Date(end),
    });
    const failures = checkExpectations(tc, result.alerts, result.incidents);
    return { rule, case: tc, passed: failures.length === 0, failures, alerts: result.alerts, incidents: result.incidents, seconds: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function junit(results: CaseResult[]): string {
  const byRule = new Map<string, CaseResult[]>();
  for (const r of results) {
    const k = r.rule.rule.id;
    byRule.set(k, [...(byRule.get(k) ?? []), r]);
  }
  const suites = [...byRule].map(([id, rs]) => {
    const failures = rs.filter((r) => !r.passed).length;
    const time = rs.reduce((a, r) => a + r.seconds, 0).toFixed(3);
    const cases = rs
      .map((r) => {
        const body = r.passed ? '' : `<failure message="${xml(r.failures[0] ?? 'failed')}">${xml(r.failures.join('\n'))}</failure>`;
        return `    <testcase classname="${xml(id)}" name="${xml(r.case.name)}" file="${xml(r.case.file)}" line="${r.case.line}" time="${r.seconds.toFixed(3)}">${body}</testcase>`;
      })
      .join('\n');
    return `  <testsuite name="${xml(`${id} ${rs[0]!.rule.rule.name}`)}" tests="${rs.length}" failures="${failures}" errors="0" time="${time}">\n${cases}\n  </testsuite>`;
  });
  const total = results.length;
  const failed = results.filter((r) => !r.passed).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="sessionguard" tests="${total}" failures="${failed}">\n${suites.join('\n')}\n</testsuites>\n`;
}
