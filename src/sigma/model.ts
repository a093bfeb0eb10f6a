// Reads Sigma files (one or more YAML documents each) and checks the parts the compiler relies on,
// keeping every document's YAML tree so problems can be reported as file:line:col.
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { positionInScalar, positionOf, type Path, type YamlSource } from '../rules/source.js';

export type SigmaKind = 'rule' | 'correlation' | 'filter';

export interface Logsource {
  product?: string;
  service?: string;
  category?: string;
}

export interface SigmaDoc {
  kind: SigmaKind;
  src: YamlSource;
  data: Record<string, unknown>;
  id?: string;
  name?: string;
  title: string;
}

/** A problem in a Sigma document, located at a YAML path. */
export class SigmaError extends Error {
  constructor(
    readonly src: YamlSource,
    readonly path: Path,
    message: string,
    readonly at: { key?: boolean; offset?: number } = {},
  ) {
    super(message);
  }
}

export function diagnosticOf(e: SigmaError): Diagnostic {
  const p = e.at.offset !== undefined ? positionInScalar(e.src, e.path, e.at.offset) : positionOf(e.src, e.path, e.at.key ? 'key' : 'value');
  return { file: e.src.file, line: p.line, col: p.col, severity: 'error', message: e.message };
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Parses every document of a Sigma file; YAML errors come back as diagnostics. */
export function parseSigmaText(file: string, text: string): { docs: SigmaDoc[]; diagnostics: Diagnostic[] } {
  const lines = new LineCounter();
  const all = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const diagnostics: Diagnostic[] = [];
  const docs: SigmaDoc[] = [];
  if (!Array.isArray(all)) return { docs, diagnostics };
  for (const doc of all) {
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const p = lines.linePos(e.pos[0]);
        diagnostics.push({ file, line: p.line, col: p.col, severity: 'error', message: `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` });
      }
      continue;
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      diagnostics.push({ file, line: 1, col: 1, severity: 'error', message: `invalid YAML: ${(e as Error).message}` });
      continue;
    }
    if (data === null || data === undefined) continue;
    const src: YamlSource = { file, text, doc, lines, data };
    try {
      docs.push(classify(src));
    } catch (e) {
      if (e instanceof SigmaError) diagnostics.push(diagnosticOf(e));
      else throw e;
    }
  }
  return { docs, diagnostics };
}

function classify(src: YamlSource): SigmaDoc {
  const data = src.data;
  if (!isMap(data)) throw new SigmaError(src, [], 'expected a Sigma rule (a mapping with title, logsource and detection)');
  const kind: SigmaKind = 'correlation' in data ? 'correlation' : 'filter' in data && !('detection' in data) ? 'filter' : 'rule';
  const str = (k: string, required: boolean): string | undefined => {
    const v = data[k];
    if (v === undefined || v === null) {
      if (required) throw new SigmaError(src, [], `missing required field '${k}'`);
      return undefined;
    }
    if (typeof v !== 'string') throw new SigmaError(src, [k], `${k} must be a string`);
    return v;
  };
  const title = str('title', true)!;
  if (title.length > 256) throw new SigmaError(src, ['title'], 'title is longer than 256 characters');
  const id = str('id', false);
  const name = str('name', false);
  if (kind === 'rule') {
    if (!isMap(data.logsource)) throw new SigmaError(src, data.logsource === undefined ? [] : ['logsource'], data.logsource === undefined ? "missing required field 'logsource'" : 'logsource must be a mapping (product, service, category)');
    if (!isMap(data.detection)) throw new SigmaError(src, data.detection === undefined ? [] : ['detection'], data.detection === undefined ? "missing required field 'detection'" : 'detection must be a mapping of search identifiers and a condition');
    if (data.detection.condition === undefined) throw new SigmaError(src, ['detection'], "detection has no 'condition'");
  } else if (kind === 'filter') {
    if (!isMap(data.logsource)) throw new SigmaError(src, [], "a filter needs a 'logsource' mapping");
    if (!isMap(data.filter) || data.filter.condition === undefined) throw new SigmaError(src, ['filter'], "filter must be a mapping with search identifiers, 'rules' and a 'condition'");
  } else if (!isMap(data.correlation)) throw new SigmaError(src, ['correlation'], 'correlation must be a mapping (type, rules, group-by, timespan, condition)');
  for (const k of ['product', 'service', 'category'] as const) {
    const ls = data.logsource;
    if (isMap(ls) && ls[k] !== undefined && typeof ls[k] !== 'string') throw new SigmaError(src, ['logsource', k], `logsource.${k} must be a string`);
  }
  return { kind, src, data, id, name, title };
}

export function logsourceOf(doc: SigmaDoc): Logsource {
  const ls = (doc.data.logsource ?? {}) as Record<string, string | undefined>;
  return { product: ls.product?.toLowerCase(), service: ls.service?.toLowerCase(), category: ls.category?.toLowerCase() };
}

export function describeLogsource(ls: Logsource): string {
  return (['product', 'service', 'category'] as const)
    .filter((k) => ls[k])
    .map((k) => `${k}: ${ls[k]}`)
    .join(', ');
}
