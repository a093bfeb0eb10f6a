// A field-by-field check of a JSON body against a definition of an OpenAPI 2.0 (swagger) file,
// resolving $refs across files: every property we send must be declared with the right type and
// enum, required properties must be there, read-only ones must not be sent.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from './cli.js';

export const SPECS = join(ROOT, '..', 'shared', 'azure-specs');
export const HAVE_SPECS = existsSync(SPECS);

type Schema = Record<string, unknown>;

export class SpecChecker {
  private files = new Map<string, Schema>();
  /** Paths the staged copy lacks, mapped to the staged stand-in (see azure-specs README, known gaps). */
  constructor(private readonly redirects: Record<string, string> = {}) {}

  private load(file: string): Schema {
    const f = this.redirects[file] ?? file;
    let doc = this.files.get(f);
    if (!doc) {
      doc = JSON.parse(readFileSync(f, 'utf8')) as Schema;
      this.files.set(f, doc);
    }
    return doc;
  }

  /** Resolves a $ref relative to `file`; returns the schema and the file it lives in. */
  private deref(ref: string, file: string): { schema: Schema; file: string } {
    const [path, pointer] = ref.split('#');
    const target = path ? resolve(dirname(file), path) : file;
    let node: unknown = this.load(target);
    for (const part of (pointer ?? '').split('/').filter(Boolean)) node = (node as Schema)[part];
    if (!node) throw new Error(`unresolved $ref ${ref} from ${file}`);
    return { schema: node as Schema, file: this.redirects[target] ?? target };
  }

  /** All properties and required names of a schema, through allOf. */
  private flatten(schema: Schema, file: string): { props: Map<string, { schema: Schema; file: string }>; required: Set<string> } {
    const props = new Map<string, { schema: Schema; file: string }>();
    const required = new Set<string>((schema.required as string[] | undefined) ?? []);
    for (const part of (schema.allOf as Schema[] | undefined) ?? []) {
      const r = part.$ref ? this.deref(String(part.$ref), file) : { schema: part, file };
      const sub = this.flatten(r.schema, r.file);
      for (const [k, v] of sub.props) props.set(k, v);
      for (const k of sub.required) required.add(k);
    }
    for (const [k, v] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) props.set(k, { schema: v, file });
    return { props, required };
  }

  /** Problems with `value` against the definition `name` of `file`, as "path: problem" lines. */
  check(file: string, name: string, value: unknown): string[] {
    const { schema, file: f } = this.deref(`#/definitions/${name}`, file);
    const out: string[] = [];
    this.walk(schema, f, value, '', out);
    return out;
  }

  private walk(schemaIn: Schema, fileIn: string, value: unknown, path: string, out: string[]): void {
    let schema = schemaIn;
    let file = fileIn;
    while (schema.$ref) ({ schema, file } = this.deref(String(schema.$ref), file));
    if (schema.readOnly) out.push(`${path}: read-only, must not be sent`);
    const type = schema.type as string | undefined;
    const isObject = type === 'object' || schema.properties !== undefined || schema.allOf !== undefined;
    if (schema.enum && !(schema.enum as unknown[]).includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`);
    if (type === 'string' && typeof value !== 'string') out.push(`${path}: expected string`);
    if (type === 'string' && schema.format === 'duration' && typeof value === 'string' && !/^P(?!$)(\d+D)?(T(?!$)(\d+H)?(\d+M)?(\d+S)?)?$/.test(value))
      out.push(`${path}: ${value} is not an ISO 8601 duration`);
    if (type === 'integer' && !Number.isInteger(value)) out.push(`${path}: expected integer`);
    if (type === 'boolean' && typeof value !== 'boolean') out.push(`${path}: expected boolean`);
    if (type === 'array') {
      if (!Array.isArray(value)) out.push(`${path}: expected array`);
      else value.forEach((v, i) => this.walk((schema.items as Schema | undefined) ?? {}, file, v, `${path}[${i}]`, out));
    }
    if (isObject && value && typeof value === 'object' && !Array.isArray(value)) {
      const { props, required } = this.flatten(schema, file);
      const additional = schema.additionalProperties as Schema | boolean | undefined;
      for (const r of required) if (!(r in value)) out.push(`${path}: missing required ${r}`);
      for (const [k, v] of Object.entries(value)) {
        const p = props.get(k);
        if (p) this.walk(p.schema, p.file, v, path ? `${path}.${k}` : k, out);
        else if (additional && typeof additional === 'object') this.walk(additional, file, v, `${path}.${k}`, out);
        else if (!additional) out.push(`${path ? path + '.' : ''}${k}: not declared in the specification`);
      }
    } else if (isObject && type === 'object' && (value === null || typeof value !== 'object')) {
      out.push(`${path}: expected object`);
    }
  }
}

const SI = join(SPECS, 'specification/securityinsights/resource-manager/Microsoft.SecurityInsights');
export const ALERT_RULES_STABLE = join(SI, 'stable/2025-12-01/AlertRules.json');
export const ALERT_RULES_PREVIEW = join(SI, 'preview/2025-07-01-preview/AlertRules.json');

/** The staged preview lacks its common/AlertTypes.json; the 2025-04-01-preview copy stands in (same enums). */
export function alertRuleChecker(): SpecChecker {
  return new SpecChecker({
    [join(SI, 'preview/2025-07-01-preview/common/AlertTypes.json')]: join(SI, 'preview/2025-04-01-preview/common/AlertTypes.json'),
  });
}
