// Workbook sources (workbooks/*.yaml): a title, parameters injected as `let` statements like the
// rules', and sections, each a text or a KQL query with a visualization.
import type { Diagnostic } from '../diagnostics.js';
import { checkParameterValue, readSchemaFiles } from '../rules/load.js';
import type { ParameterType, RuleParameter } from '../rules/model.js';
import { DURATION_PATTERN, PARAMETER_TYPES } from '../rules/schema.js';
import { parseDuration } from '../rules/duration.js';
import { positionOf, type YamlSource } from '../rules/source.js';

export const VISUALIZATIONS = ['table', 'timechart', 'barchart', 'piechart', 'areachart', 'tiles'] as const;
export type Visualization = (typeof VISUALIZATIONS)[number];

export interface WorkbookSection {
  title: string;
  text?: string;
  query?: string;
  visualization: Visualization;
  size: 'small' | 'medium' | 'large';
}

export interface Workbook {
  file: string;
  source: YamlSource;
  /** Stable id: names the resource (with the workspace) and the output file. */
  id: string;
  displayName: string;
  description: string;
  /** Default time range of the workbook, in ms. */
  timeRangeMs: number;
  parameters: RuleParameter[];
  sections: WorkbookSection[];
}

const str = { type: 'string', minLength: 1 };

export const WORKBOOK_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'displayName', 'sections'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$', description: 'workbook id (letters, digits, - and _)' },
    displayName: str,
    description: { type: 'string' },
    timeRange: { type: 'string', pattern: DURATION_PATTERN, description: 'a duration such as 7d or P7D' },
    parameters: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'KQL identifier' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'default'],
        properties: { type: { enum: PARAMETER_TYPES }, default: {}, description: { type: 'string' } },
      },
    },
    sections: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title'],
        properties: {
          title: str,
          text: { type: 'string' },
          query: str,
          visualization: { enum: VISUALIZATIONS },
          size: { enum: ['small', 'medium', 'large'] },
        },
      },
    },
  },
} as const;

export function loadWorkbooks(paths: string[], cwd = process.cwd()): { workbooks: Workbook[]; diagnostics: Diagnostic[] } {
  const read = readSchemaFiles(paths, WORKBOOK_SCHEMA, cwd);
  const workbooks: Workbook[] = [];
  const diagnostics: Diagnostic[] = [...read.diagnostics];
  for (const src of read.sources) {
    const shown = src.file;
    const at = (path: (string | number)[], message: string) => {
      const p = positionOf(src, path);
      diagnostics.push({ file: shown, line: p.line, col: p.col, severity: 'error', message });
    };
    const raw = src.data as Record<string, unknown>;
    const parameters: RuleParameter[] = [];
    for (const [name, p] of Object.entries((raw.parameters ?? {}) as Record<string, { type: ParameterType; default: unknown; description?: string }>)) {
      const problem = checkParameterValue(p.type, p.default);
      if (problem) at(['parameters', name, 'default'], `parameter ${name}: ${problem}`);
      parameters.push({ name, type: p.type, default: p.default, description: p.description });
    }
    const sections = (raw.sections as Record<string, unknown>[]).map((s, i) => {
      if (s.text === undefined && s.query === undefined) at(['sections', i, 'title'], 'a section needs a text, a query, or both');
      return {
        title: String(s.title),
        text: s.text as string | undefined,
        query: s.query as string | undefined,
        visualization: (s.visualization as Visualization | undefined) ?? 'table',
        size: (s.size as WorkbookSection['size'] | undefined) ?? 'medium',
      };
    });
    const wb: Workbook = {
      file: shown,
      source: src,
      id: String(raw.id),
      displayName: String(raw.displayName),
      description: typeof raw.description === 'string' ? raw.description : '',
      timeRangeMs: parseDuration(String(raw.timeRange ?? '7d')) ?? 7 * 86_400_000,
      parameters,
      sections,
    };
    if (workbooks.some((w) => w.id === wb.id)) {
      at(['id'], `workbook id '${wb.id}' is used twice`);
      continue;
    }
    workbooks.push(wb);
  }
  return { workbooks, diagnostics };
}
