// JSON Schema validation of a YAML document, each error placed at its line and column.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import type { Diagnostic } from '../diagnostics.js';
import { positionOf, type Path, type YamlSource } from './source.js';

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function pathOf(instancePath: string): Path {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** A close match among the allowed names, for did-you-mean hints. */
export function suggest(word: string, allowed: readonly string[]): string | null {
  if (!allowed.length) return null;
  const ci = allowed.find((a) => a.toLowerCase() === word.toLowerCase());
  if (ci) return ci;
  const lw = word.toLowerCase();
  const prefix = allowed.find((a) => lw.length >= 3 && (a.toLowerCase().startsWith(lw) || lw.startsWith(a.toLowerCase())));
  if (prefix) return prefix;
  const best = closest(word, allowed as string[]);
  const d = distance(lw, best.toLowerCase());
  return d <= Math.max(2, Math.floor(best.length * 0.34)) ? best : null;
}

/** entityMappings[0].fieldMappings[1] */
export function describePath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const p of path) {
    if (v && typeof v === 'object') v = (v as Record<string | number, unknown>)[p];
    else return undefined;
  }
  return v;
}

const TYPE_NAMES: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', null: 'null' };

function message(e: ErrorObject, data: unknown, schemaAt: (p: string) => Record<string, unknown> | undefined): { path: Path; text: string; key: boolean } | null {
  const path = pathOf(e.instancePath);
  const named = [...path].reverse().find((p) => typeof p === 'string');
  const field = named === undefined ? 'the file' : typeof path[path.length - 1] === 'number' ? describePath(path) : String(named);
  const actual = valueAt(data, path);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const allowed = Object.keys((schemaAt(e.schemaPath.replace(/\/additionalProperties$/, ''))?.properties as object) ?? {});
      const hint = suggest(extra, allowed);
      return { path: [...path, extra], key: true, text: `unknown field '${extra}'${hint ? `; did you mean '${hint}'?` : ''}` };
    }
    case 'required':
      return { path, key: false, text: `missing required field '${String(p.missingProperty)}'${path.length ? ` in ${describePath(path)}` : ''}` };
    case 'type': {
      const want = String(p.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
      return { path, key: false, text: `${field}: expected ${want}, got ${describe(actual)}` };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const hint = typeof actual === 'string' ? suggest(actual, allowed) : null;
      const list = allowed.length > 12 ? `${allowed.slice(0, 12).join(', ')}, …` : allowed.join(', ');
      return { path, key: false, text: `${field}: ${describe(actual)} is not allowed; expected one of ${list}${hint ? ` (did you mean '${hint}'?)` : ''}` };
    }
    case 'pattern': {
      const what = (schemaAt(e.schemaPath.replace(/\/pattern$/, ''))?.description as string | undefined) ?? `text matching ${String(p.pattern)}`;
      const example = what === 'duration' ? ' such as 5m, 1h, 14d or PT5M' : '';
      return { path, key: false, text: `${field}: ${describe(actual)} is not a valid ${what}${example}` };
    }
    case 'propertyNames':
      return null; // reported by the nested pattern/maxLength error with the name
    case 'maxLength':
      return { path, key: false, text: `${field}: too long (${typeof actual === 'string' ? actual.length : '?'} characters); at most ${String(p.limit)}` };
    case 'minLength':
      return { path, key: false, text: `${field}: must not be empty` };
    case 'maxItems':
      return { path, key: false, text: `${field}: ${Array.isArray(actual) ? actual.length : '?'} items; Sentinel allows at most ${String(p.limit)}` };
    case 'minItems':
      return { path, key: false, text: `${field}: needs at least ${String(p.limit)} item(s)` };
    case 'maxProperties':
      return { path, key: false, text: `${field}: ${actual && typeof actual === 'object' ? Object.keys(actual).length : '?'} entries; Sentinel allows at most ${String(p.limit)}` };
    case 'minimum':
    case 'maximum':
      return { path, key: false, text: `${field}: ${describe(actual)} is out of range; expected ${e.keyword === 'minimum' ? '>=' : '<='} ${String(p.limit)}` };
    case 'anyOf':
    case 'oneOf':
      return { path, key: false, text: `${field}: ${describe(actual)} is not valid here` };
    default:
      return { path, key: false, text: `${field}: ${e.message ?? 'invalid'}` };
  }
}

/** Validates the document's data against a schema; every problem at once. */
export function checkSchema(src: YamlSource, schema: object): Diagnostic[] {
  const validate = validatorFor(schema);
  if (validate(src.data)) return [];
  const schemaAt = (pointer: string): Record<string, unknown> | undefined => {
    let s: unknown = schema;
    for (const part of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
      if (s && typeof s === 'object') s = (s as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      else return undefined;
    }
    return s as Record<string, unknown> | undefined;
  };
  const errors = validate.errors ?? [];
  // anyOf reports every branch; keep the summary only.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && anyOfPaths.has(e.instancePath) && e.schemaPath.includes('/anyOf/')) continue;
    let m = message(e, src.data, schemaAt);
    if (e.keyword === 'pattern' && e.schemaPath.includes('propertyNames')) {
      const name = String((e.params as Record<string, unknown>).propertyName ?? e.propertyName ?? '');
      m = { path: [...pathOf(e.instancePath), name], key: true, text: `'${name}' is not a valid name here` };
    }
    if (e.keyword === 'maxLength' && e.schemaPath.includes('propertyNames')) {
      const name = String(e.propertyName ?? '');
      m = { path: [...pathOf(e.instancePath), name], key: true, text: `'${name}' is too long; at most ${String((e.params as Record<string, unknown>).limit)} characters` };
    }
    if (!m) continue;
    const pos = positionOf(src, m.path, m.key ? 'key' : 'value');
    const k = `${pos.line}:${pos.col}:${m.text}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ file: src.file, line: pos.line, col: pos.col, severity: 'error', message: m.text });
  }
  return out;
}
