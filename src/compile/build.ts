// Compiles validated rules for one workspace into the files `sessionguard build` writes.
import { basename, extname } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import type { KqlCache } from '../kql/cache.js';
import type { Analysis } from '../kql/kusto.js';
import { prelude } from '../kql/literals.js';
import { workspaceResourceId, type WorkspaceConfig } from '../rules/config.js';
import { humanDuration } from '../rules/duration.js';
import { checkParameterValue } from '../rules/load.js';
import type { Rule } from '../rules/model.js';
import { LIMITS } from '../rules/sentinel.js';
import { positionOf, type Path, type YamlSource } from '../rules/source.js';
import { alertRuleModel, type AlertRuleModel } from './alertRule.js';
import { alertRuleResource, json, template } from './arm.js';
import { alertRuleGuid } from './ids.js';
import { planDelay } from './ingestion.js';
import type { SchemaEnv } from '../kql/kusto.js';
import { compileWorkbooks } from '../workbooks/resources.js';
import type { Playbook } from '../playbooks/model.js';
import { playbookFiles } from '../playbooks/resources.js';
import type { Watchlist } from '../rules/watchlists.js';

export interface RuleInput {
  rule: Rule;
  analysis: Analysis;
}

export interface CompileInput {
  workspace: WorkspaceConfig;
  /** Index of the workspace in sessionguard.yaml, to point at its settings. */
  workspaceIndex: number;
  configSource: YamlSource | null;
  delayProfile: Record<string, number>;
  rules: RuleInput[];
  cache: KqlCache;
  /** Workbook sources to check and emit under Workbooks/ (none when absent). */
  workbooks?: { dirs: string[]; env: SchemaEnv };
  /** Response playbooks (Playbooks/ and AutomationRules/ are written when given). */
  playbooks?: Playbook[];
  watchlists?: Watchlist[];
}

export interface CompiledRule {
  rule: Rule;
  guid: string;
  stem: string;
  enabled: boolean;
  parameters: Record<string, unknown>;
  query: string;
  model: AlertRuleModel;
  notes: string[];
}

export interface WorkspaceOutput {
  workspace: WorkspaceConfig;
  rules: CompiledRule[];
  /** Relative path -> content. */
  files: Map<string, string>;
  diagnostics: Diagnostic[];
}

/** The parameter values a rule gets in a workspace: defaults, then workspace-wide, then per rule. */
export function parameterValues(rule: Rule, ws: WorkspaceConfig): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const own = ws.overrides[rule.id]?.parameters ?? {};
  for (const p of rule.parameters) {
    if (Object.prototype.hasOwnProperty.call(own, p.name)) values[p.name] = own[p.name];
    else if (Object.prototype.hasOwnProperty.call(ws.parameters, p.name)) values[p.name] = ws.parameters[p.name];
    else values[p.name] = p.default;
  }
  return values;
}

export function isEnabledIn(rule: Rule, ws: WorkspaceConfig): boolean {
  const o = ws.overrides[rule.id]?.enabled;
  if (o !== undefined) return o;
  if (ws.disabledRules.includes(rule.id)) return false;
  if (ws.enabledRules && !ws.enabledRules.includes(rule.id)) return false;
  return rule.enabled;
}

function stems(rules: Rule[]): Map<Rule, string> {
  const base = (r: Rule) => basename(r.file, extname(r.file)).replace(/[^A-Za-z0-9._-]+/g, '_');
  const count = new Map<string, number>();
  for (const r of rules) count.set(base(r).toLowerCase(), (count.get(base(r).toLowerCase()) ?? 0) + 1);
  return new Map(rules.map((r) => [r, count.get(base(r).toLowerCase())! > 1 ? `${base(r)}.${r.id.replace(/[^A-Za-z0-9._-]+/g, '_')}` : base(r)]));
}

export function compileWorkspace(input: CompileInput): WorkspaceOutput {
  const { workspace: ws, cache } = input;
  const diagnostics: Diagnostic[] = [];
  const cfgAt = (path: Path, message: string, severity: 'error' | 'warning' = 'error') => {
    const src = input.configSource;
    const p = src ? positionOf(src, ['workspaces', input.workspaceIndex, ...path]) : { line: 1, col: 1 };
    diagnostics.push({ file: src?.file ?? 'sessionguard.yaml', line: p.line, col: p.col, severity, message: `workspace ${ws.name}: ${message}` });
  };

  // Overrides must name rules and parameters that exist, with values of the declared type.
  const byId = new Map(input.rules.map((r) => [r.rule.id, r.rule]));
  for (const id of [...Object.keys(ws.overrides), ...ws.disabledRules, ...(ws.enabledRules ?? [])]) {
    if (!byId.has(id)) cfgAt(['rules'], `no rule has id '${id}'`, 'warning');
  }
  for (const [name, value] of Object.entries(ws.parameters)) {
    const declaring = input.rules.filter((r) => r.rule.parameters.some((p) => p.name === name));
    if (!declaring.length) cfgAt(['parameters', name], `no rule declares parameter '${name}'`, 'warning');
    for (const { rule } of declaring) {
      const p = rule.parameters.find((q) => q.name === name)!;
      const problem = checkParameterValue(p.type, value);
      if (problem) cfgAt(['parameters', name], `parameter ${name} of rule ${rule.id}: ${problem}`);
    }
  }
  for (const [id, o] of Object.entries(ws.overrides)) {
    const rule = byId.get(id);
    if (!rule) continue;
    for (const [name, value] of Object.entries(o.parameters ?? {})) {
      const p = rule.parameters.find((q) => q.name === name);
      if (!p) cfgAt(['rules', 'overrides', id, 'parameters', name], `rule ${id} declares no parameter '${name}'`);
      else {
        const problem = checkParameterValue(p.type, value);
        if (problem) cfgAt(['rules', 'overrides', id, 'parameters', name], `parameter ${name} of rule ${id}: ${problem}`);
      }
    }
  }

  const stemOf = stems(input.rules.map((r) => r.rule));
  const compiled: CompiledRule[] = [];
  for (const { rule, analysis } of input.rules) {
    const values = parameterValues(rule, ws);
    const notes: string[] = [];
    let queryPeriod = rule.queryPeriod;
    let delayPrelude = '';
    if (rule.kind === 'Scheduled') {
      const plan = planDelay(rule, analysis.tables, analysis.callsIngestionTime, { ...input.delayProfile, ...ws.ingestionDelay });
      queryPeriod = plan.queryPeriod;
      delayPrelude = plan.prelude;
      if (plan.note) notes.push(plan.note);
    }
    const text = prelude(rule.parameters, values).text + delayPrelude + rule.query;
    const query = cache.format(text);
    if (query.length > LIMITS.queryLength) {
      const p = positionOf(rule.source, ['query']);
      diagnostics.push({ file: rule.file, line: p.line, col: p.col, severity: 'error', message: `the compiled query for workspace ${ws.name} is ${query.length} characters; Sentinel allows ${LIMITS.queryLength}` });
    }
    const guid = alertRuleGuid(rule.id, ws);
    const enabled = isEnabledIn(rule, ws);
    const model = alertRuleModel(rule, guid, { query, queryPeriod }, enabled);
    compiled.push({ rule, guid, stem: stemOf.get(rule)!, enabled, parameters: values, query, model, notes });
  }

  const files = new Map<string, string>();
  const resources = compiled.map((c) => alertRuleResource(c.model));
  compiled.forEach((c, i) => {
    files.set(`AnalyticsRules/${c.stem}.json`, json(template([resources[i]!], `${c.rule.name} (${c.rule.id})`)));
    files.set(`kql/${c.stem}.kql`, c.query + '\n');
    files.set(`models/${c.stem}.json`, json({ name: c.model.name, kind: c.model.kind, apiVersion: c.model.apiVersion, properties: c.model.properties }));
  });
  if (input.playbooks) {
    const pb = playbookFiles({ workspace: ws, playbooks: input.playbooks, watchlists: input.watchlists ?? [], rules: compiled });
    diagnostics.push(...pb.diagnostics);
    for (const [k, v] of pb.files) files.set(k, v);
  }
  files.set('combined/azuredeploy.json', json(template(resources, `All sessionguard analytics rules for workspace ${ws.name}`)));
  // Repositories deploys every ARM template it finds: keep it away from the combined copy and the models.
  files.set('sentinel-deployment.config', json({ prioritizedcontentfiles: [], excludecontentfiles: ['combined', 'models', 'kql', 'manifest.json'], parameterfilemappings: {} }));
  if (input.workbooks) {
    const wb = compileWorkbooks(input.workbooks.dirs, ws, input.workbooks.env, cache, { packRuleIds: compiled.map((c) => c.guid) });
    diagnostics.push(...wb.diagnostics);
    for (const [path, text] of wb.files) files.set(path, text);
  }
  files.set(
    'manifest.json',
    json({
      generator: 'sessionguard',
      workspace: ws.name,
      workspaceResourceId: workspaceResourceId(ws),
      rules: compiled.map((c) => ({
        id: c.rule.id,
        name: c.rule.name,
        source: c.rule.file.split('\\').join('/'),
        guid: c.guid,
        kind: c.rule.kind,
        enabled: c.enabled,
        apiVersion: c.model.apiVersion,
        queryFrequency: c.rule.queryFrequency !== undefined ? humanDuration(c.rule.queryFrequency) : undefined,
        queryPeriod: c.model.properties.queryPeriod,
        parameters: c.parameters,
        template: `AnalyticsRules/${c.stem}.json`,
        notes: c.notes,
      })),
    }),
  );
  return { workspace: ws, rules: compiled, files, diagnostics };
}
