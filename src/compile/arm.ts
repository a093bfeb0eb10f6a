// ARM templates as Sentinel Repositories and `az deployment group create` read them: a `workspace`
// parameter, alert rules as workspace child resources named workspace/Microsoft.SecurityInsights/<guid>.
import type { AlertRuleModel } from './alertRule.js';

export const TEMPLATE_SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

export interface ArmTemplate {
  $schema: string;
  contentVersion: string;
  metadata?: Record<string, unknown>;
  parameters: Record<string, { type: string; metadata?: { description: string } }>;
  resources: Record<string, unknown>[];
}

/** ARM treats a string starting with `[` as an expression; `[[` is the escape for a literal `[`. */
export function escapeArm<T>(value: T): T {
  if (typeof value === 'string') return (value.startsWith('[') ? '[' + value : value) as T;
  if (Array.isArray(value)) return value.map(escapeArm) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, escapeArm(v)])) as T;
  }
  return value;
}

export function alertRuleResource(model: AlertRuleModel): Record<string, unknown> {
  return {
    type: 'Microsoft.OperationalInsights/workspaces/providers/alertRules',
    apiVersion: model.apiVersion,
    name: `[concat(parameters('workspace'), '/Microsoft.SecurityInsights/', '${model.name}')]`,
    kind: model.kind,
    properties: escapeArm(model.properties),
  };
}

export function template(resources: Record<string, unknown>[], description: string): ArmTemplate {
  return {
    $schema: TEMPLATE_SCHEMA,
    contentVersion: '1.0.0.0',
    metadata: { generator: 'sessionguard', description },
    parameters: {
      workspace: { type: 'string', metadata: { description: 'Name of the Log Analytics workspace with Microsoft Sentinel' } },
    },
    resources,
  };
}

/** Stable JSON text: two-space indentation and a final newline. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
