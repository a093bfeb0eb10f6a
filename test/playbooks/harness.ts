// Runs a generated playbook with the local executor against the fake Azure (Graph + Sentinel
// incidents) over HTTPS, on an incident payload shaped like the Sentinel incident trigger's body.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import type { RunningFake } from '../../scripts/fake-azure/index.js';
import type { FakeIncident } from '../../scripts/fake-azure/incidents.js';
import { loadPlaybooks, type Playbook } from '../../src/playbooks/model.js';
import { office365Connector, sentinelConnector, type SentMail } from '../../src/playbooks/wdl/connectors.js';
import { runWorkflow, type HttpAnswer, type HttpCall, type RunResult } from '../../src/playbooks/wdl/run.js';
import { workflowDefinition, type WorkflowDefinition } from '../../src/playbooks/workflow.js';
import { ROOT } from '../helpers/cli.js';
import { SUB } from '../helpers/fake.js';

export const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/rg-sentinel/providers/Microsoft.OperationalInsights/workspaces/law-sentinel`;
export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const GRAPH = 'https://graph.microsoft.com';
export const ARM = 'https://management.azure.com';

export interface Person {
  id: string;
  upn: string;
}

/** The bundled playbooks, as the pack ships them. */
export function bundled(name: string): Playbook {
  const { playbooks, diagnostics } = loadPlaybooks([join(ROOT, 'playbooks')], ROOT);
  if (diagnostics.some((d) => d.severity === 'error')) throw new Error(JSON.stringify(diagnostics));
  const pb = playbooks.find((p) => p.name === name);
  if (!pb) throw new Error(`no bundled playbook ${name}`);
  return pb;
}

export function definition(pb: Playbook, excluded: string[]): WorkflowDefinition {
  return workflowDefinition({ playbook: pb, excludedObjectIds: excluded, graphEndpoint: GRAPH, armEndpoint: ARM });
}

/** The Sentinel incident trigger's body (research notes §3.2): the incident with its entities. */
export function triggerBody(inc: FakeIncident, accounts: (Person & { withId?: boolean })[]): unknown {
  const entity = (kind: string, properties: Record<string, unknown>) => {
    const name = randomUUID();
    return { id: `${inc.id}/Entities/${name}`, name, type: 'Microsoft.SecurityInsights/Entities', kind, properties };
  };
  const relatedEntities = [
    ...accounts.map((a) => {
      const [name, suffix] = a.upn.split('@');
      return entity('Account', {
        accountName: name,
        upnSuffix: suffix,
        ...(a.withId === false ? {} : { aadUserId: a.id }),
        aadTenantId: TENANT,
        isDomainJoined: false,
        displayName: name,
        friendlyName: name,
      });
    }),
    entity('Ip', { address: '203.0.113.77', location: { countryCode: 'NL', asn: 64500 }, friendlyName: '203.0.113.77' }),
  ];
  return {
    eventUniqueId: randomUUID(),
    objectSchemaType: 'Incident',
    objectEventType: 'Create',
    workspaceInfo: { SubscriptionId: SUB, ResourceGroupName: 'rg-sentinel', WorkspaceName: 'law-sentinel' },
    workspaceId: '9f1c3a2e-4b5d-4e6f-8a7b-0c1d2e3f4a5b',
    object: {
      id: inc.id,
      name: inc.name,
      etag: inc.etag,
      type: 'Microsoft.SecurityInsights/Incidents',
      properties: { ...inc.properties, relatedEntities, additionalData: { alertsCount: 1, tactics: ['CredentialAccess'] } },
    },
  };
}

export interface Run extends RunResult {
  calls: HttpCall[];
  mails: SentMail[];
}

/** Runs a definition once; Graph and ARM URLs point at the fake, the managed identity is a static token. */
export async function run(fake: RunningFake, def: WorkflowDefinition, body: unknown, parameters: Record<string, unknown> = {}): Promise<Run> {
  const agent = new Agent({ connect: { ca: fake.ca } });
  const calls: HttpCall[] = [];
  const mails: SentMail[] = [];
  const http = async (call: HttpCall): Promise<HttpAnswer> => {
    calls.push(call);
    const headers: Record<string, string> = { ...call.headers };
    if (call.audience) headers.authorization = 'Bearer msi-token-for-tests';
    const res = await fetch(call.uri, { method: call.method, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body), dispatcher: agent });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: parsed };
  };
  try {
    const r = await runWorkflow({
      definition: def,
      triggerBody: body,
      parameters: {
        $connections: {
          azuresentinel: { connectionId: `/subscriptions/${SUB}/resourceGroups/rg-sentinel/providers/Microsoft.Web/connections/azuresentinel-pb` },
          office365: { connectionId: `/subscriptions/${SUB}/resourceGroups/rg-sentinel/providers/Microsoft.Web/connections/office365-pb` },
        },
        graphEndpoint: fake.url,
        armEndpoint: fake.url,
        ...parameters,
      },
      http,
      connectors: { azuresentinel: sentinelConnector({ armEndpoint: fake.url, armAudience: ARM, http }), office365: office365Connector(mails) },
      retryIntervalScale: 0,
    });
    return { ...r, calls, mails };
  } finally {
    await agent.close();
  }
}

/** Graph requests the fake received: method, path (and query), body. */
export function graphRequests(fake: RunningFake, since = 0): { method: string; path: string; body: unknown }[] {
  return fake.fake.requests
    .filter((r) => r.seq > since && r.service === 'graph')
    .map((r) => ({ method: r.method, path: r.path + (Object.keys(r.query).length ? '?' + new URLSearchParams(r.query).toString() : ''), body: r.body ?? null }));
}

export function lastSeq(fake: RunningFake): number {
  return fake.fake.requests.at(-1)?.seq ?? 0;
}
