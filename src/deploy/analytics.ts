// Analytics rules as desired resources: the compiler's per-workspace models, at the api-version
// the compiler chose (NRT and sub-techniques need the preview one).
import type { DesiredResource } from './desired.js';
import type { ProducerInput } from './producers.js';

export const ALERT_RULES = 'Microsoft.SecurityInsights/alertRules';

export function sentinelId(workspaceArmId: string, type: string, name: string): string {
  return `${workspaceArmId}/providers/${type}/${name}`;
}

export function analyticsRuleResources({ project, target, compiled }: ProducerInput): DesiredResource[] {
  const aliases = new Set(project.watchlists.map((w) => w.alias));
  const readsOf = new Map(project.rules.map((r) => [r.rule, r.analysis.watchlists]));
  return compiled.rules.map((c) => ({
    kind: 'analyticsRule' as const,
    id: sentinelId(target.armId, ALERT_RULES, c.guid),
    type: ALERT_RULES,
    apiVersion: c.model.apiVersion,
    body: { kind: c.model.kind, properties: structuredClone(c.model.properties) },
    // A rule that reads a watchlist we deploy goes after it.
    dependsOn: (readsOf.get(c.rule) ?? []).filter((a) => aliases.has(a)).map((a) => sentinelId(target.armId, 'Microsoft.SecurityInsights/watchlists', a)),
    source: c.rule.file,
    label: c.rule.id,
  }));
}
