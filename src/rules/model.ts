// The rule as the later stages see it: normalized, with defaults applied and durations in ms.
import type { YamlSource } from './source.js';

export type Severity = 'High' | 'Medium' | 'Low' | 'Informational';
export type TriggerOperator = 'GreaterThan' | 'LessThan' | 'Equal' | 'NotEqual';
export type ParameterType = 'string' | 'long' | 'int' | 'real' | 'bool' | 'timespan' | 'datetime' | 'dynamic';

export interface RuleParameter {
  name: string;
  type: ParameterType;
  default: unknown;
  description?: string;
}

export interface FieldMapping {
  identifier: string;
  columnName: string;
}

export interface EntityMapping {
  entityType: string;
  fieldMappings: FieldMapping[];
}

export interface AlertDetailsOverride {
  alertDisplayNameFormat?: string;
  alertDescriptionFormat?: string;
  alertTacticsColumnName?: string;
  alertSeverityColumnName?: string;
  alertDynamicProperties?: { alertProperty: string; value: string }[];
}

export interface GroupingConfiguration {
  enabled: boolean;
  reopenClosedIncident: boolean;
  lookbackDuration: number;
  matchingMethod: 'AllEntities' | 'AnyAlert' | 'Selected';
  groupByEntities: string[];
  groupByAlertDetails: string[];
  groupByCustomDetails: string[];
}

export interface ResponseSpec {
  tier?: 'contain' | 'revoke' | 'notify';
  playbooks?: string[];
  onAlertAdded?: boolean;
}

export interface Rule {
  file: string;
  source: YamlSource;
  id: string;
  name: string;
  description: string;
  severity: Severity;
  kind: 'Scheduled' | 'NRT';
  enabled: boolean;
  status?: string;
  version?: string;
  requiredDataConnectors: { connectorId: string; dataTypes?: string[] }[];
  /** Scheduled only (ms). */
  queryFrequency?: number;
  queryPeriod?: number;
  triggerOperator: TriggerOperator;
  triggerThreshold: number;
  tactics: string[];
  /** Parent technique ids (T1078). */
  techniques: string[];
  /** Sub-technique ids (T1078.004). */
  subTechniques: string[];
  query: string;
  entityMappings: EntityMapping[];
  sentinelEntitiesMappings: { columnName: string }[];
  customDetails: Record<string, string>;
  alertDetailsOverride?: AlertDetailsOverride;
  createIncident: boolean;
  grouping: GroupingConfiguration;
  aggregationKind: 'SingleAlert' | 'AlertPerResult';
  suppressionDuration: number;
  suppressionEnabled: boolean;
  parameters: RuleParameter[];
  /** 'auto': widen by the tables' delay; 'off': leave as written; a number: that delay in ms. */
  ingestionDelay: 'auto' | 'off' | number;
  response?: ResponseSpec;
  tests?: unknown;
}
