// What a workspace should contain: every resource sessionguard manages there, as the exact ARM PUT
// body for one api-version. The compiler (analytics rules), playbooks (Logic Apps, connections,
// automation rules) and workbooks stages each produce these; deploy compares them with what exists.
export type ResourceKind = 'connection' | 'playbook' | 'automationRule' | 'analyticsRule' | 'workbook' | 'watchlist';

export interface DesiredResource {
  kind: ResourceKind;
  /** Deterministic ARM resource id (same inputs, same id, on every machine). */
  id: string;
  /** ARM type, e.g. Microsoft.SecurityInsights/alertRules. */
  type: string;
  apiVersion: string;
  /** The PUT body, exactly as sent (no etag). */
  body: Record<string, unknown>;
  /** Ids of resources that must exist first (a playbook before the automation rule that runs it). */
  dependsOn: string[];
  /** The file it came from, for messages. */
  source: string;
  /** A human name for plan output (rule id, playbook name, …). */
  label: string;
}

/** Tag and property markers that say "sessionguard manages this" (for prune and drift). */
export const MANAGED_TAG = 'managed-by';
export const MANAGED_VALUE = 'sessionguard';
