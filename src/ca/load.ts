// Loads the `ca/` folder: one policy per YAML file, `named-locations.yaml`, `settings.yaml`.
// Every problem is reported at once with file:line:col; nothing is returned as valid unless all is.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { extname, join, relative } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { checkSchema, suggest } from '../rules/check.js';
import { positionInScalar, positionOf, readYamlFile, type Path, type YamlSource } from '../rules/source.js';
import { FilterError, parseFilter } from './filter.js';
import { BREAK_GLASS_TOKEN, MANAGED_PREFIX, type CaPolicy, type CaSet, type LoadedPolicy, type NamedLocation } from './model.js';
import { NAMED_LOCATIONS_FILE_SCHEMA, POLICY_SCHEMA, SETTINGS_SCHEMA } from './schema.js';

export const NAMED_LOCATIONS_FILE = 'named-locations.yaml';
export const SETTINGS_FILE = 'settings.yaml';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface LoadOptions {
  /** Break-glass ids from the sg_excluded_accounts watchlist, used when settings.yaml lists none. */
  watchlistBreakGlass: string[];
  /** Named locations known from elsewhere (a Graph export given to the what-if), by id and name. */
  extraLocations?: (NamedLocation & { id?: string })[];
  cwd?: string;
}

type Diags = Diagnostic[];

function read(file: string, cwd: string, diags: Diags): YamlSource | null {
  const shown = relative(cwd, file) || file;
  const r = readYamlFile(file);
  if (!r.ok) {
    diags.push(...r.diagnostics.map((d) => ({ ...d, file: shown })));
    return null;
  }
  diags.push(...r.warnings.map((d) => ({ ...d, file: shown })));
  return { ...r.source, file: shown };
}

function at(src: YamlSource, path: Path, message: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
  const p = positionOf(src, path);
  return { file: src.file, line: p.line, col: p.col, severity, message };
}

/** Checks a CIDR range the way Graph would accept it. */
export function cidrProblem(cidr: string): string | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return `'${cidr}' is not a CIDR range such as 203.0.113.0/24`;
  const v = isIP(m[1]!);
  if (!v) return `'${m[1]}' is not an IP address`;
  if (Number(m[2]) > (v === 4 ? 32 : 128)) return `/${m[2]} is too long for an IPv${v} address`;
  try {
    new BlockList().addSubnet(m[1]!, Number(m[2]), v === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return `'${cidr}' is not a valid range`;
  }
  return null;
}

function loadNamedLocations(dir: string, cwd: string, diags: Diags): NamedLocation[] {
  const file = join(dir, NAMED_LOCATIONS_FILE);
  if (!existsSync(file)) return [];
  const src = read(file, cwd, diags);
  if (!src || src.data == null) return [];
  const schema = checkSchema(src, NAMED_LOCATIONS_FILE_SCHEMA);
  diags.push(...schema);
  if (schema.length) return [];
  const list = src.data as NamedLocation[];
  const seen = new Set<string>();
  list.forEach((l, i) => {
    if (l.displayName.startsWith(MANAGED_PREFIX)) diags.push(at(src, [i, 'displayName'], `displayName must not start with '${MANAGED_PREFIX}': sessionguard adds it when deploying`));
    if (seen.has(l.displayName.toLowerCase())) diags.push(at(src, [i, 'displayName'], `named location '${l.displayName}' is defined twice`));
    seen.add(l.displayName.toLowerCase());
    if (l['@odata.type'] === '#microsoft.graph.ipNamedLocation')
      l.ipRanges.forEach((r, j) => {
        const problem = cidrProblem(r.cidrAddress);
        if (problem) diags.push(at(src, [i, 'ipRanges', j, 'cidrAddress'], `${problem}; expected address/prefix`));
      });
  });
  return list;
}

function loadSettings(dir: string, cwd: string, diags: Diags): { breakGlass?: string[]; src?: YamlSource; invalid?: boolean } {
  const file = join(dir, SETTINGS_FILE);
  if (!existsSync(file)) return {};
  const n = diags.length;
  const src = read(file, cwd, diags);
  if (!src) return { invalid: diags.length > n };
  if (src.data == null) return {};
  const schema = checkSchema(src, SETTINGS_SCHEMA);
  diags.push(...schema);
  if (schema.length) return { src, invalid: true };
  return { breakGlass: (src.data as { breakGlass?: string[] }).breakGlass?.map((s) => s.toLowerCase()), src };
}

/** Semantic checks Graph (or common sense) applies beyond the schema. */
function checkPolicy(src: YamlSource, p: CaPolicy, breakGlass: string[], locationNames: Map<string, string>, locationIds: Set<string>, diags: Diags): void {
  const u = p.conditions.users;
  const usersPath = ['conditions', 'users'];
  if (p.displayName.startsWith(MANAGED_PREFIX)) diags.push(at(src, ['displayName'], `displayName must not start with '${MANAGED_PREFIX}': sessionguard adds it when deploying`));
  if (!u.includeUsers?.length && !u.includeGroups?.length && !u.includeRoles?.length) diags.push(at(src, usersPath, 'users: expected includeUsers, includeGroups or includeRoles (for example includeUsers: [All])'));
  if (u.includeUsers?.includes(BREAK_GLASS_TOKEN)) diags.push(at(src, [...usersPath, 'includeUsers'], `${BREAK_GLASS_TOKEN} belongs in excludeUsers`));
  // Break-glass accounts must never be caught by a policy: a mistake would lock the tenant out.
  const excluded = new Set((u.excludeUsers ?? []).map((x) => x.toLowerCase()));
  const missing = excluded.has(BREAK_GLASS_TOKEN.toLowerCase()) ? [] : breakGlass.filter((b) => !excluded.has(b));
  if (missing.length) diags.push(at(src, u.excludeUsers ? [...usersPath, 'excludeUsers'] : usersPath, `users.excludeUsers must exclude the break-glass accounts: add ${BREAK_GLASS_TOKEN} (or ${missing.join(', ')})`));
  const apps = p.conditions.applications;
  if (!apps.includeApplications?.length && !apps.includeUserActions?.length) diags.push(at(src, ['conditions', 'applications'], 'applications: expected includeApplications (All, Office365 or app ids) or includeUserActions'));
  for (const side of ['includeLocations', 'excludeLocations'] as const) {
    (p.conditions.locations?.[side] ?? []).forEach((ref, i) => {
      if (ref === 'All' || ref === 'AllTrusted' || locationNames.has(ref.toLowerCase()) || locationIds.has(ref.toLowerCase())) return;
      const path = ['conditions', 'locations', side, i];
      if (GUID.test(ref)) diags.push(at(src, path, `named location ${ref} is not defined in ca/${NAMED_LOCATIONS_FILE}; the what-if cannot evaluate it (pass --named-locations)`, 'warning'));
      else {
        const hint = suggest(ref, [...locationNames.values()]);
        diags.push(at(src, path, `unknown named location '${ref}'; expected All, AllTrusted, or a displayName from ca/${NAMED_LOCATIONS_FILE}${hint ? ` (did you mean '${hint}'?)` : ''}`));
      }
    });
  }
  const rule = p.conditions.devices?.deviceFilter?.rule;
  if (rule !== undefined) {
    try {
      parseFilter(rule);
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      const pos = positionInScalar(src, ['conditions', 'devices', 'deviceFilter', 'rule'], e.offset);
      diags.push({ file: src.file, line: pos.line, col: pos.col, severity: 'error', message: `device filter: ${e.message}` });
    }
  }
  const g = p.grantControls;
  const s = p.sessionControls;
  if (!g && !s) diags.push(at(src, [], 'a policy needs grantControls or sessionControls'));
  if (g) {
    const controls = g.builtInControls ?? [];
    if (controls.includes('block') && (controls.length > 1 || g.authenticationStrength || g.termsOfUse?.length)) diags.push(at(src, ['grantControls', 'builtInControls'], 'block cannot be combined with other grant controls'));
    if (g.authenticationStrength && controls.includes('mfa')) diags.push(at(src, ['grantControls', 'authenticationStrength'], 'authenticationStrength cannot be combined with mfa; pick one'));
    if (!controls.length && !g.authenticationStrength && !g.termsOfUse?.length && !g.customAuthenticationFactors?.length) diags.push(at(src, ['grantControls'], 'grantControls: expected builtInControls, authenticationStrength or termsOfUse'));
    if (controls.includes('passwordChange') && (g.operator !== 'AND' || !controls.includes('mfa') || !apps.includeApplications?.includes('All')))
      diags.push(at(src, ['grantControls', 'builtInControls'], 'passwordChange needs operator AND with mfa, and applications.includeApplications [All]'));
    if (controls.includes('block') && s && Object.keys(s).length) diags.push(at(src, ['sessionControls'], 'a blocking policy has no session to control; remove sessionControls'));
  }
  const f = s?.signInFrequency;
  if (f?.isEnabled) {
    const every = f.frequencyInterval === 'everyTime';
    if (every && (f.value !== undefined || f.type !== undefined)) diags.push(at(src, ['sessionControls', 'signInFrequency'], 'signInFrequency everyTime takes no value or type'));
    if (!every && (f.value === undefined || f.type === undefined)) diags.push(at(src, ['sessionControls', 'signInFrequency'], 'signInFrequency timeBased needs value and type (hours or days)'));
    if (!every && f.type === 'hours' && (f.value ?? 0) > 23) diags.push(at(src, ['sessionControls', 'signInFrequency', 'value'], 'hours must be 1-23; use days for longer'));
  }
  if (s?.persistentBrowser?.isEnabled && !apps.includeApplications?.includes('All')) diags.push(at(src, ['sessionControls', 'persistentBrowser'], 'persistentBrowser works only with applications.includeApplications [All]'));
  if (s?.secureSignInSession?.isEnabled) {
    const plats = p.conditions.platforms?.includePlatforms ?? [];
    const types = p.conditions.clientAppTypes;
    if (plats.length !== 1 || plats[0] !== 'windows' || types.length !== 1 || types[0] !== 'mobileAppsAndDesktopClients')
      diags.push(at(src, ['sessionControls', 'secureSignInSession'], 'token protection supports desktop clients on Windows: set platforms.includePlatforms [windows] and clientAppTypes [mobileAppsAndDesktopClients]', 'warning'));
  }
}

/** Expands the break-glass token into the configured ids (Graph needs object ids). */
export function expandBreakGlass(p: CaPolicy, breakGlass: string[]): CaPolicy {
  const ex = p.conditions.users.excludeUsers;
  if (!ex?.includes(BREAK_GLASS_TOKEN)) return p;
  const ids = [...new Set([...ex.filter((x) => x !== BREAK_GLASS_TOKEN), ...breakGlass])];
  return { ...p, conditions: { ...p.conditions, users: { ...p.conditions.users, excludeUsers: ids } } };
}

export function policyFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => ['.yaml', '.yml'].includes(extname(n).toLowerCase()) && n !== NAMED_LOCATIONS_FILE && n !== SETTINGS_FILE)
    .sort()
    .map((n) => join(dir, n));
}

export function loadCaSet(dir: string, opts: LoadOptions): { set: CaSet; diagnostics: Diagnostic[] } {
  const cwd = opts.cwd ?? process.cwd();
  const diags: Diags = [];
  const empty = { set: { policies: [], namedLocations: [], breakGlass: [] }, diagnostics: diags };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    diags.push({ file: relative(cwd, dir) || dir, line: 1, col: 1, severity: 'error', message: 'no ca/ folder: run `sessionguard init` for the bundled policies, or write policy files there' });
    return empty;
  }
  const namedLocations = loadNamedLocations(dir, cwd, diags);
  const settings = loadSettings(dir, cwd, diags);
  const breakGlass = [...new Set(settings.breakGlass ?? opts.watchlistBreakGlass.map((s) => s.toLowerCase()))];
  if (!breakGlass.length && !settings.invalid) {
    diags.push({ file: settings.src?.file ?? (relative(cwd, join(dir, SETTINGS_FILE)) || SETTINGS_FILE), line: 1, col: 1, severity: 'error', message: 'no break-glass account configured: list their object ids under breakGlass: in this file, or as AadUserId rows of the sg_excluded_accounts watchlist' });
  }
  const names = new Map([...namedLocations, ...(opts.extraLocations ?? [])].map((l) => [l.displayName.toLowerCase(), l.displayName]));
  const ids = new Set((opts.extraLocations ?? []).flatMap((l) => (l.id ? [l.id.toLowerCase()] : [])));
  const policies: LoadedPolicy[] = [];
  const byName = new Map<string, string>();
  for (const file of policyFiles(dir)) {
    const src = read(file, cwd, diags);
    if (!src) continue;
    if (src.data === null || typeof src.data !== 'object' || Array.isArray(src.data)) {
      diags.push({ file: src.file, line: 1, col: 1, severity: 'error', message: 'expected a mapping: one conditionalAccessPolicy (displayName, state, conditions, grantControls, sessionControls)' });
      continue;
    }
    const schema = checkSchema(src, POLICY_SCHEMA);
    diags.push(...schema);
    if (schema.length) continue;
    const policy = { state: 'enabled', ...(src.data as object) } as CaPolicy;
    const key = policy.displayName.toLowerCase();
    if (byName.has(key)) diags.push(at(src, ['displayName'], `displayName '${policy.displayName}' is also used by ${byName.get(key)}; names identify deployed policies`));
    byName.set(key, src.file);
    checkPolicy(src, policy, breakGlass, names, ids, diags);
    policies.push({ file: src.file, policy: expandBreakGlass(policy, breakGlass) });
  }
  if (diags.some((d) => d.severity === 'error')) return { ...empty, diagnostics: diags };
  return { set: { policies, namedLocations, breakGlass }, diagnostics: diags };
}
