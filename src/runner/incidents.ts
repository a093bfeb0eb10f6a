// Sentinel's incident creation: one incident per alert, or alerts of the same rule grouped by
// entities and details within a look-back window, at most 150 alerts per incident.
import type { Rule, Severity } from '../rules/model.js';
import { LIMITS } from '../rules/sentinel.js';
import type { Alert, Entity } from './alerts.js';

export interface Incident {
  id: number;
  ruleId: string;
  title: string;
  severity: Severity;
  createdAt: Date;
  updatedAt: Date;
  alerts: Alert[];
}

const entityKey = (e: Entity) => `${e.type}|${JSON.stringify(Object.entries(e.identifiers).sort())}`;
const entitySet = (es: Entity[], type?: string) =>
  [...new Set(es.filter((e) => !type || e.type === type).map(entityKey))].sort().join('\n');

/** Whether `alert` belongs with the first alert of `incident` under the rule's grouping settings. */
export function matches(rule: Rule, first: Alert, alert: Alert): boolean {
  const g = rule.grouping;
  switch (g.matchingMethod) {
    case 'AnyAlert':
      return true;
    case 'AllEntities':
      return entitySet(first.entities) === entitySet(alert.entities);
    case 'Selected': {
      for (const t of g.groupByEntities) if (entitySet(first.entities, t) !== entitySet(alert.entities, t)) return false;
      for (const d of g.groupByAlertDetails) {
        if (d === 'DisplayName' && first.displayName !== alert.displayName) return false;
        if (d === 'Severity' && first.severity !== alert.severity) return false;
      }
      for (const c of g.groupByCustomDetails) {
        if ((first.customDetails[c] ?? []).join('\n') !== (alert.customDetails[c] ?? []).join('\n')) return false;
      }
      return true;
    }
  }
}

export class Incidents {
  readonly all: Incident[] = [];
  private nextId = 1;

  /** Files an alert; returns the incident it went to (new or existing), or null when the rule creates none. */
  add(rule: Rule, alert: Alert): { incident: Incident; created: boolean } | null {
    if (!rule.createIncident) return null;
    const g = rule.grouping;
    if (g.enabled) {
      for (let i = this.all.length - 1; i >= 0; i--) {
        const inc = this.all[i]!;
        if (inc.ruleId !== rule.id || inc.alerts.length >= LIMITS.alertsPerIncident) continue;
        const first = inc.alerts[0]!;
        if (alert.createdAt.getTime() - first.createdAt.getTime() > g.lookbackDuration) continue;
        if (!matches(rule, first, alert)) continue;
        inc.alerts.push(alert);
        inc.updatedAt = alert.createdAt;
        return { incident: inc, created: false };
      }
    }
    const inc: Incident = {
      id: this.nextId++,
      ruleId: rule.id,
      title: alert.displayName,
      severity: alert.severity,
      createdAt: alert.createdAt,
      updatedAt: alert.createdAt,
      alerts: [alert],
    };
    this.all.push(inc);
    return { incident: inc, created: true };
  }
}
