// The workbook as Azure Monitor stores it: a Notebook/1.0 document (serializedData), with a time
// range picker whose value every query takes as its time context.
import { prelude } from '../kql/literals.js';
import type { Workbook } from './model.js';

const RESOURCE_TYPE = 'microsoft.operationalinsights/workspaces';
// KqlItem sizes: 0 medium, 1 small, 2 large.
const SIZE = { medium: 0, small: 1, large: 2 } as const;
const TIME_CHOICES = [3_600_000, 14_400_000, 86_400_000, 172_800_000, 604_800_000, 1_209_600_000, 2_592_000_000];

/** The Notebook/1.0 document; `values` override parameter defaults (e.g. the pack's rule ids). */
export function notebook(wb: Workbook, values: Record<string, unknown> = {}, fallbackResourceIds: string[] = []): Record<string, unknown> {
  const pre = prelude(wb.parameters, values).text;
  const items: Record<string, unknown>[] = [
    { type: 1, name: 'title', content: { json: `## ${wb.displayName}\n${wb.description}`.trim() } },
    {
      type: 9,
      name: 'parameters',
      content: {
        version: 'KqlParameterItem/1.0',
        style: 'pills',
        queryType: 0,
        resourceType: RESOURCE_TYPE,
        parameters: [
          {
            id: 'f2a1c3d4-5b6e-4f70-8a91-b2c3d4e5f601',
            version: 'KqlParameterItem/1.0',
            name: 'TimeRange',
            label: 'Time range',
            type: 4,
            isRequired: true,
            value: { durationMs: wb.timeRangeMs },
            typeSettings: { selectableValues: [...new Set([...TIME_CHOICES, wb.timeRangeMs])].sort((a, b) => a - b).map((durationMs) => ({ durationMs })), allowCustom: true },
          },
        ],
      },
    },
  ];
  wb.sections.forEach((s, i) => {
    if (s.text !== undefined || s.query === undefined) items.push({ type: 1, name: `text - ${i}`, content: { json: `### ${s.title}\n${s.text ?? ''}`.trim() } });
    if (s.query !== undefined) {
      items.push({
        type: 3,
        name: `query - ${i}`,
        content: {
          version: 'KqlItem/1.0',
          title: s.title,
          query: pre + s.query,
          size: SIZE[s.size],
          timeContextFromParameter: 'TimeRange',
          queryType: 0,
          resourceType: RESOURCE_TYPE,
          visualization: s.visualization,
        },
      });
    }
  });
  return { version: 'Notebook/1.0', items, fallbackResourceIds, fromTemplateId: `sessionguard-${wb.id}`, $schema: 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json' };
}
