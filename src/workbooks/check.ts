// KQL checks of a workbook: each query, with the workbook's parameters declared ahead of it, parsed
// and analyzed by Kusto.Language against the table schemas, exactly like a rule's query.
import type { Diagnostic } from '../diagnostics.js';
import type { KqlCache } from '../kql/cache.js';
import type { SchemaEnv } from '../kql/kusto.js';
import { prelude } from '../kql/literals.js';
import { positionInScalar, positionOf } from '../rules/source.js';
import type { Workbook } from './model.js';

export function checkWorkbookKql(wb: Workbook, env: SchemaEnv, cache: KqlCache, values: Record<string, unknown> = {}): Diagnostic[] {
  const pre = prelude(wb.parameters, values);
  const out: Diagnostic[] = [];
  wb.sections.forEach((s, i) => {
    if (s.query === undefined) return;
    const a = cache.analyze(pre.text + s.query, env);
    for (const d of a.diagnostics) {
      if (d.start >= pre.text.length) {
        const p = positionInScalar(wb.source, ['sections', i, 'query'], d.start - pre.text.length);
        out.push({ file: wb.file, line: p.line, col: p.col, severity: d.severity, message: `${d.message} (${d.code})` });
      } else {
        const name = [...pre.spans].find(([, [st, e]]) => d.start >= st && d.start < e)?.[0];
        const p = positionOf(wb.source, name ? ['parameters', name, 'default'] : ['parameters']);
        out.push({ file: wb.file, line: p.line, col: p.col, severity: d.severity, message: `parameter ${name ?? ''}: ${d.message} (${d.code})` });
      }
    }
    if (!a.diagnostics.some((d) => d.severity === 'error') && !a.columns) {
      const p = positionOf(wb.source, ['sections', i, 'query']);
      out.push({ file: wb.file, line: p.line, col: p.col, severity: 'error', message: 'the query does not produce a table; a workbook query must end in a tabular expression' });
    }
    // Workbooks replace {Name} with a parameter's value before running the query.
    const brace = /\{(TimeRange|Workspace)\}/.exec(s.query);
    if (brace) {
      const p = positionInScalar(wb.source, ['sections', i, 'query'], brace.index);
      out.push({ file: wb.file, line: p.line, col: p.col, severity: 'error', message: `${brace[0]} is replaced by the workbook; the time range already applies to every query` });
    }
  });
  return out;
}
