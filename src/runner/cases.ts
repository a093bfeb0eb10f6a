// Rule test cases: in the rule's `tests:` or a sibling `<rule>.tests.yaml`. Each names recorded rows
// (inline or files), when the rule is evaluated, and what must come out.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { checkSchema, suggest } from '../rules/check.js';
import { KNOWN_TABLE_COLUMNS as TABLE_COLUMNS } from '../kql/kusto.js';
import type { Rule } from '../rules/model.js';
import { positionOf, readYamlFile, type Path, type YamlSource } from '../rules/source.js';

export interface EntityPattern {
  type: string;
  identifiers: Record<string, string>;
}

export interface CountExpectation {
  exactly?: number;
  atLeast?: number;
  atMost?: number;
}

export interface TestCase {
  name: string;
  /** Where the case is written, for messages. */
  file: string;
  line: number;
  /** Evaluation time; default: just after the last row is visible. */
  now?: Date;
  workspace?: string;
  /** Table -> inline rows. */
  rows: Record<string, Record<string, unknown>[]>;
  /** Files or folders of recorded rows (table from the file name or a Type column). */
  files: string[];
  /** Watchlist alias -> rows, replacing the repository's file for this case. */
  watchlists: Record<string, Record<string, string>[]>;
  expect: {
    alerts?: CountExpectation;
    incidents?: CountExpectation;
    entities: EntityPattern[];
    noEntities: EntityPattern[];
    customDetails: Record<string, string[]>;
    alertNames: string[];
  };
}

const count = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'object', additionalProperties: false, properties: { atLeast: { type: 'integer', minimum: 0 }, atMost: { type: 'integer', minimum: 0 } } }] };
const entity = { type: 'object', required: ['type'], properties: { type: { type: 'string' } }, additionalProperties: { type: ['string', 'number', 'boolean'] } };

export const CASE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'expect'],
  properties: {
    name: { type: 'string', minLength: 1 },
    now: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?(Z|[+-]\\d\\d:\\d\\d)$', description: 'ISO 8601 date-time such as 2026-01-05T10:00:00Z' },
    workspace: { type: 'string' },
    logs: { type: 'object', additionalProperties: { anyOf: [{ type: 'array', items: { type: 'object' } }, { type: 'string' }] } },
    files: { type: 'array', items: { type: 'string' } },
    watchlists: { type: 'object', additionalProperties: { type: 'array', items: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } } } },
    expect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        alerts: count,
        incidents: count,
        entities: { type: 'array', items: entity },
        noEntities: { type: 'array', items: entity },
        customDetails: { type: 'object', additionalProperties: { type: 'array', items: { type: ['string', 'number', 'boolean'] } } },
        alertName: { type: 'string' },
      },
    },
  },
};

const LIST_SCHEMA = { type: 'array', items: CASE_SCHEMA };
const FILE_SCHEMA = { type: 'object', additionalProperties: false, required: ['tests'], properties: { tests: LIST_SCHEMA } };

function toCount(v: unknown): CountExpectation | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return { exactly: v };
  return v as CountExpectation;
}

function parseCases(src: YamlSource, list: unknown[], base: Path, dir: string): { cases: TestCase[]; diagnostics: Diagnostic[] } {
  const cases: TestCase[] = [];
  const diagnostics: Diagnostic[] = [];
  list.forEach((raw, i) => {
    const c = raw as Record<string, unknown>;
    const node = src.doc.getIn([...base, i], true) as { range?: [number, number, number] } | undefined;
    const line = node?.range ? src.lines.linePos(node.range[0]).line : 1;
    const rows: TestCase['rows'] = {};
    const files: string[] = ((c.files as string[] | undefined) ?? []).map((f) => resolve(dir, f));
    for (const [table, v] of Object.entries((c.logs ?? {}) as Record<string, unknown>)) {
      if (!(table in TABLE_COLUMNS)) {
        const p = positionOf(src, [...base, i, 'logs', table], 'key');
        const hint = suggest(table, Object.keys(TABLE_COLUMNS));
        diagnostics.push({ file: src.file, line: p.line, col: p.col, severity: 'error', message: `test '${String(c.name)}': unknown table '${table}'${hint ? `; did you mean '${hint}'?` : ''}` });
        continue;
      }
      if (typeof v === 'string') files.push(resolve(dir, v));
      else rows[table] = v as Record<string, unknown>[];
    }
    for (const f of files) {
      if (!existsSync(f)) {
        const p = src.lines.linePos(node?.range?.[0] ?? 0);
        diagnostics.push({ file: src.file, line: p.line, col: p.col, severity: 'error', message: `test '${String(c.name)}': no such file or folder ${f}` });
      }
    }
    const ex = (c.expect ?? {}) as Record<string, unknown>;
    const pattern = (e: Record<string, unknown>): EntityPattern => {
      const { type, ...ids } = e;
      return { type: String(type), identifiers: Object.fromEntries(Object.entries(ids).map(([k, x]) => [k, String(x)])) };
    };
    cases.push({
      name: String(c.name),
      file: src.file,
      line,
      now: typeof c.now === 'string' ? new Date(c.now) : undefined,
      workspace: c.workspace as string | undefined,
      rows,
      files,
      watchlists: Object.fromEntries(
        Object.entries((c.watchlists ?? {}) as Record<string, Record<string, unknown>[]>).map(([k, rs]) => [k, rs.map((r) => Object.fromEntries(Object.entries(r).map(([a, b]) => [a, String(b)])))]),
      ),
      expect: {
        alerts: toCount(ex.alerts),
        incidents: toCount(ex.incidents),
        entities: ((ex.entities as Record<string, unknown>[] | undefined) ?? []).map(pattern),
        noEntities: ((ex.noEntities as Record<string, unknown>[] | undefined) ?? []).map(pattern),
        customDetails: Object.fromEntries(Object.entries((ex.customDetails ?? {}) as Record<string, unknown[]>).map(([k, v]) => [k, v.map(String)])),
        alertNames: typeof ex.alertName === 'string' ? [ex.alertName] : [],
      },
    });
  });
  return { cases, diagnostics };
}

/** The test cases of a rule: its `tests:` plus a sibling `<rule>.tests.yaml`. */
export function loadCases(rule: Rule, ruleFilePath: string): { cases: TestCase[]; diagnostics: Diagnostic[] } {
  const cases: TestCase[] = [];
  const diagnostics: Diagnostic[] = [];
  const dir = dirname(ruleFilePath);
  if (rule.tests !== undefined) {
    const errs = checkSchema(rule.source, { type: 'object', properties: { tests: LIST_SCHEMA } });
    diagnostics.push(...errs);
    if (!errs.length) {
      const r = parseCases(rule.source, rule.tests as unknown[], ['tests'], dir);
      cases.push(...r.cases);
      diagnostics.push(...r.diagnostics);
    }
  }
  const sibling = ruleFilePath.replace(/\.ya?ml$/i, '.tests.yaml');
  if (sibling !== ruleFilePath && existsSync(sibling)) {
    const shown = rule.file.replace(/\.ya?ml$/i, '.tests.yaml');
    const read = readYamlFile(sibling);
    if (!read.ok) diagnostics.push(...read.diagnostics.map((d) => ({ ...d, file: shown })));
    else {
      const src = { ...read.source, file: shown };
      const errs = checkSchema(src, Array.isArray(src.data) ? LIST_SCHEMA : FILE_SCHEMA);
      diagnostics.push(...errs);
      if (!errs.length) {
        const isList = Array.isArray(src.data);
        const r = parseCases(src, (isList ? src.data : (src.data as { tests: unknown[] }).tests) as unknown[], isList ? [] : ['tests'], dirname(sibling));
        cases.push(...r.cases);
        diagnostics.push(...r.diagnostics);
      }
    }
  }
  return { cases, diagnostics };
}
