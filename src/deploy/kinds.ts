// What deploy needs to know per resource kind: where our marker lives, which fields the server owns,
// how the kind is listed, and where it comes in the apply order.
import type { ResourceKind } from './desired.js';

export interface KindTraits {
  kind: ResourceKind;
  type: string;
  /** Where the "managed by sessionguard" marker and hashes are kept. */
  marker: 'tags' | 'description' | 'displayName';
  /** Sentinel resources live inside the workspace; the others in a resource group. */
  scope: 'workspace' | 'resourceGroup';
  /** Which SDK client's pipeline carries the requests. */
  client: 'securityInsights' | 'logic' | 'resources';
  /** Sentinel takes the ETag in the body; the other ARM providers in If-Match. */
  etagIn: 'body' | 'header';
  /** api-version for listing when no desired resource of the kind says otherwise. */
  listVersion: string;
  /** Extra query parameters some list operations require. */
  listQuery?: Record<string, string>;
  /** Apply phase: lower first. Deletes run in the reverse order. */
  rank: number;
  /** Server-owned fields of this kind only (see SERVER_OWNED for the common ones). */
  serverOwned?: string[];
  /** Fields we send that the service does not echo faithfully (compared through the marker's hash only). */
  writeOnly: string[];
}

export const KINDS: Record<ResourceKind, KindTraits> = {
  connection: { kind: 'connection', type: 'Microsoft.Web/connections', marker: 'tags', scope: 'resourceGroup', client: 'resources', etagIn: 'header', listVersion: '2016-06-01', rank: 0, writeOnly: [] },
  playbook: { kind: 'playbook', type: 'Microsoft.Logic/workflows', marker: 'tags', scope: 'resourceGroup', client: 'logic', etagIn: 'header', listVersion: '2019-05-01', rank: 1, writeOnly: [], serverOwned: ['properties.version', 'properties.parameters.teamsWebhookUrl'] },
  // Watchlist items edited in the portal do not change rawContent, so it is no drift signal.
  watchlist: {
    kind: 'watchlist',
    type: 'Microsoft.SecurityInsights/watchlists',
    marker: 'description',
    scope: 'workspace',
    client: 'securityInsights',
    etagIn: 'body',
    listVersion: '2025-12-01',
    rank: 2,
    writeOnly: ['properties.rawContent', 'properties.numberOfLinesToSkip', 'properties.contentType'],
  },
  automationRule: { kind: 'automationRule', type: 'Microsoft.SecurityInsights/automationRules', marker: 'displayName', scope: 'workspace', client: 'securityInsights', etagIn: 'body', listVersion: '2025-12-01', rank: 3, writeOnly: [] },
  analyticsRule: { kind: 'analyticsRule', type: 'Microsoft.SecurityInsights/alertRules', marker: 'description', scope: 'workspace', client: 'securityInsights', etagIn: 'body', listVersion: '2025-07-01-preview', rank: 4, writeOnly: [] },
  workbook: { kind: 'workbook', type: 'Microsoft.Insights/workbooks', marker: 'tags', scope: 'resourceGroup', client: 'resources', etagIn: 'header', listVersion: '2023-06-01', listQuery: { category: 'sentinel' }, rank: 5, writeOnly: [] },
};

export const KIND_ORDER: ResourceKind[] = (Object.keys(KINDS) as ResourceKind[]).sort((a, b) => KINDS[a].rank - KINDS[b].rank);

export function kindOfType(type: string): KindTraits | undefined {
  return Object.values(KINDS).find((k) => k.type.toLowerCase() === type.toLowerCase());
}

/** Fields the service fills in or owns; never compared, never part of a hash. */
export const SERVER_OWNED = [
  'id',
  'name',
  'type',
  'etag',
  'systemData',
  'identity.principalId',
  'identity.tenantId',
  'properties.provisioningState',
  'properties.lastModifiedUtc',
  'properties.lastModifiedTimeUtc',
  'properties.createdTimeUtc',
  'properties.createdBy',
  'properties.lastModifiedBy',
  'properties.changedTime',
  'properties.createdTime',
  'properties.accessEndpoint',
  'properties.endpointsConfiguration',
  'properties.watchlistId',
  'properties.created',
  'properties.updated',
  'properties.updatedBy',
  'properties.tenantId',
  'properties.uploadStatus',
  'properties.isDeleted',
  'properties.timeModified',
  'properties.userId',
  'properties.revision',
];
