// Watchlists from rules/watchlists/<alias>.csv as Microsoft.SecurityInsights/watchlists resources.
// The CSV is written back from the parsed rows so the content is canonical (no directive line).
import type { Watchlist } from '../rules/watchlists.js';
import { sentinelId } from './analytics.js';
import type { DesiredResource } from './desired.js';
import type { ProducerInput } from './producers.js';

export const WATCHLISTS = 'Microsoft.SecurityInsights/watchlists';
export const WATCHLIST_API_VERSION = '2025-12-01';

function cell(v: string): string {
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

export function watchlistCsv(w: Watchlist): string {
  const lines = [w.columns.map(cell).join(',')];
  for (const r of w.rows) lines.push(w.columns.map((c) => cell(r[c] ?? '')).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function watchlistResources({ project, target }: ProducerInput): DesiredResource[] {
  return project.watchlists.map((w) => ({
    kind: 'watchlist' as const,
    id: sentinelId(target.armId, WATCHLISTS, w.alias),
    type: WATCHLISTS,
    apiVersion: WATCHLIST_API_VERSION,
    body: {
      properties: {
        displayName: w.alias,
        provider: 'sessionguard',
        source: `${w.alias}.csv`,
        itemsSearchKey: w.searchKey,
        contentType: 'text/csv',
        numberOfLinesToSkip: 0,
        rawContent: watchlistCsv(w),
      },
    },
    dependsOn: [],
    source: w.file,
    label: w.alias,
  }));
}
