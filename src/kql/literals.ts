// KQL text for typed values, and the `let` prelude that makes a rule's parameters self-contained.
import { parseDuration, toKqlTimespan } from '../rules/duration.js';
import type { ParameterType, RuleParameter } from '../rules/model.js';

export function stringLiteral(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"';
}

/** A KQL literal of the given type; the value has been checked against the type already. */
export function literal(type: ParameterType, value: unknown): string {
  switch (type) {
    case 'string':
      return stringLiteral(String(value));
    case 'long':
      return String(Math.trunc(Number(value)));
    case 'int':
      return `int(${Math.trunc(Number(value))})`;
    case 'real':
      return `real(${Number(value)})`;
    case 'bool':
      return value ? 'true' : 'false';
    case 'timespan':
      return toKqlTimespan(parseDuration(String(value)) ?? 0);
    case 'datetime':
      return `datetime(${new Date(String(value)).toISOString()})`;
    case 'dynamic':
      return `dynamic(${JSON.stringify(value ?? null)})`;
  }
}

export interface Prelude {
  text: string;
  /** Parameter name -> [start, end) offsets of its statement in the text. */
  spans: Map<string, [number, number]>;
}

/** `let name = value;` lines for every parameter, with overrides applied. */
export function prelude(params: RuleParameter[], values: Record<string, unknown> = {}): Prelude {
  let text = '';
  const spans = new Map<string, [number, number]>();
  for (const p of params) {
    const v = Object.prototype.hasOwnProperty.call(values, p.name) ? values[p.name] : p.default;
    const stmt = `let ${p.name} = ${literal(p.type, v)};\n`;
    spans.set(p.name, [text.length, text.length + stmt.length]);
    text += stmt;
  }
  return { text, spans };
}
