// Automation rules: which playbooks an analytics rule's incidents run, with the guardrails repeated as
// conditions. The replay uses the same mapping (playbooksForRule) so what it simulates is what deploys.
import { v5 as uuidv5 } from 'uuid';
import type { Diagnostic } from '../diagnostics.js';
import { NAMESPACE, workspaceKey } from '../compile/ids.js';
import type { WorkspaceConfig } from '../rules/config.js';
import type { Rule } from '../rules/model.js';
import { positionOf } from '../rules/source.js';
import { CONTAINMENT_STEPS, type Playbook } from './model.js';

export const AUTOMATION_API = '2025-12-01';
/** Display names start with this: how deploy and drift recognise our automation rules. */
export const AUTOMATION_PREFIX = 'sessionguard: ';

/** The playbooks an analytics rule's response runs: those it names, else those of its tier. */
export function playbooksForRule(rule: Rule, playbooks: Playbook[]): Playbook[] {
  const r = rule.response;
  if (!r) return [];
  const named = (r.playbooks ?? []).map((n) => playbooks.find((p) => p.name === n)).filter((p): p is Playbook => !!p);
  if (named.length) return named;
  return r.tier ? playbooks.filter((p) => p.tier === r.tier) : [];
}

/** Responses that name a playbook that does not exist, or a tier no playbook has. */
export function checkResponses(rules: Rule[], playbooks: Playbook[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of rules) {
    const r = rule.response;
    if (!r) continue;
    (r.playbooks ?? []).forEach((n, i) => {
      if (!playbooks.some((p) => p.name === n)) {
        const p = positionOf(rule.source, ['response', 'playbooks', i]);
        out.push({ file: rule.file, line: p.line, col: p.col, severity: 'warning', message: `no playbook is named '${n}' (playbooks: ${playbooks.map((x) => x.name).join(', ') || 'none'})` });
      }
    });
    if (!r.playbooks?.length && r.tier && !playbooks.some((p) => p.tier === r.tier)) {
      const p = positionOf(rule.source, ['response', 'tier']);
      out.push({ file: rule.file, line: p.line, col: p.col, severity: 'warning', message: `no playbook has tier '${r.tier}'; incidents from this rule run nothing` });
    }
  }
  return out;
}

export interface AutomationRef {
  /** The analytics rule's resource id (or an ARM template expression for it). */
  alertRuleId(ruleId: string): string;
  /** The playbook's resource id (or an expression). */
  playbookId(name: string): string;
  tenantId?: string;
}

export interface AutomationRuleModel {
  guid: string;
  ruleId: string;
  trigger: 'created' | 'alertAdded';
  playbooks: string[];
  body: { properties: Record<string, unknown> };
}

export function automationRuleGuid(ruleId: string, trigger: string, ws: WorkspaceConfig): string {
  return uuidv5(`automationRule|${ruleId.toLowerCase()}|${trigger}|${workspaceKey(ws)}`, NAMESPACE);
}

/**
 * One automation rule per enabled analytics rule with a response (and one more on alert added when
 * asked): incidents of that rule, accounts not excluded, run its playbooks in order.
 */
export function automationRules(input: { workspace: WorkspaceConfig; rules: { rule: Rule; enabled: boolean }[]; playbooks: Playbook[]; excluded: (pb: Playbook) => string[]; ref: AutomationRef }): AutomationRuleModel[] {
  const out: AutomationRuleModel[] = [];
  const sorted = [...input.rules].filter((r) => r.enabled).sort((a, b) => a.rule.id.localeCompare(b.rule.id));
  for (const { rule } of sorted) {
    const pbs = playbooksForRule(rule, input.playbooks);
    if (!pbs.length) continue;
    // The exclusion list of every containment playbook the rule runs (the playbook checks again).
    const excluded = [...new Set(pbs.filter((p) => CONTAINMENT_STEPS.some((s) => p.steps.includes(s))).flatMap((p) => input.excluded(p)))].sort();
    const conditions: Record<string, unknown>[] = [
      { conditionType: 'Property', conditionProperties: { propertyName: 'IncidentRelatedAnalyticRuleIds', operator: 'Contains', propertyValues: [input.ref.alertRuleId(rule.id)] } },
    ];
    if (excluded.length) conditions.push({ conditionType: 'Property', conditionProperties: { propertyName: 'AccountAadUserId', operator: 'NotEquals', propertyValues: excluded } });
    const triggers: ('created' | 'alertAdded')[] = rule.response?.onAlertAdded ? ['created', 'alertAdded'] : ['created'];
    for (const trigger of triggers) {
      const conds = trigger === 'alertAdded' ? [...conditions, { conditionType: 'PropertyArrayChanged', conditionProperties: { arrayType: 'Alerts', changeType: 'Added' } }] : conditions;
      out.push({
        guid: automationRuleGuid(rule.id, trigger, input.workspace),
        ruleId: rule.id,
        trigger,
        playbooks: pbs.map((p) => p.name),
        body: {
          properties: {
            displayName: `${AUTOMATION_PREFIX}${rule.id} runs ${pbs.map((p) => p.name).join(', ')} when ${trigger === 'created' ? 'an incident is created' : 'an alert is added to an incident'}`.slice(0, 500),
            order: 0,
            triggeringLogic: { isEnabled: true, triggersOn: 'Incidents', triggersWhen: trigger === 'created' ? 'Created' : 'Updated', conditions: conds },
            actions: pbs.map((p, i) => ({
              order: i + 1,
              actionType: 'RunPlaybook',
              actionConfiguration: { logicAppResourceId: input.ref.playbookId(p.name), ...(input.ref.tenantId ? { tenantId: input.ref.tenantId } : {}) },
            })),
          },
        },
      });
    }
  }
  // Sentinel runs automation rules by order (1–1000); ours follow the rule ids.
  out.forEach((a, i) => (a.body.properties.order = Math.min(1000, i + 1)));
  return out;
}
