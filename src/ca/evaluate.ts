// One policy against one recorded sign-in, as Entra would decide it if the policy were enforced:
// does it apply (every condition), and then block, challenge, limit the session, or allow.
// The model and its limits are written down in docs/ca.md.
import { BlockList, isIP } from 'node:net';
import { evalFilter, parseFilter } from './filter.js';
import { OFFICE365_APPS, type CaPolicy, type NamedLocation } from './model.js';
import type { SignIn } from './signins.js';

export type Outcome = 'notApplied' | 'allow' | 'session' | 'challenge' | 'block';
const RANK: Record<Outcome, number> = { notApplied: 0, allow: 1, session: 2, challenge: 3, block: 4 };

export interface Decision {
  outcome: Outcome;
  /** Controls a person would have to satisfy now (mfa, passwordChange, reauthentication, …). */
  challenges: string[];
  /** Why the sign-in would be blocked, when it would. */
  blocks: string[];
  /** Session limits that would apply (sign-in frequency, persistent browser, token binding, …). */
  session: string[];
}

export interface EvalContext {
  /** Group or role id -> member user ids and UPNs (lower case). */
  members: Map<string, Set<string>>;
  namedLocations: (NamedLocation & { id?: string })[];
  userRisk(userId: string, at: number): string;
  /** Milliseconds since a person last authenticated in this sign-in's session, or null when unknown. */
  sinceFreshAuth(s: SignIn): number | null;
}

const BUILT_IN_STRENGTH: Record<string, 'mfa' | 'passwordless' | 'phishingResistant'> = {
  '00000000-0000-0000-0000-000000000002': 'mfa',
  '00000000-0000-0000-0000-000000000003': 'passwordless',
  '00000000-0000-0000-0000-000000000004': 'phishingResistant',
};
const PHISHING_RESISTANT = /fido2|windows hello|certificate|passkey/i;
const PASSWORDLESS = /fido2|windows hello|certificate|passkey|passwordless/i;

/** Controls a person can satisfy during the sign-in; device and client requirements cannot be. */
const PERSON_CONTROLS = new Set(['mfa', 'passwordChange', 'authenticationStrength', 'termsOfUse', 'customAuthenticationFactor']);

const lower = (xs: string[] | undefined) => (xs ?? []).map((x) => x.toLowerCase());

export interface CompiledPolicy {
  policy: CaPolicy;
  evaluate(s: SignIn): Decision;
}

function locationMatcher(l: NamedLocation): (s: SignIn) => boolean {
  if (l['@odata.type'] === '#microsoft.graph.ipNamedLocation') {
    const bl = new BlockList();
    for (const r of l.ipRanges) {
      const [addr, bits] = r.cidrAddress.split('/');
      const v = isIP(addr ?? '');
      if (v) bl.addSubnet(addr!, Number(bits), v === 4 ? 'ipv4' : 'ipv6');
    }
    return (s) => {
      const v = isIP(s.ip);
      return v ? bl.check(s.ip, v === 4 ? 'ipv4' : 'ipv6') : false;
    };
  }
  const countries = new Set(l.countriesAndRegions.map((c) => c.toUpperCase()));
  return (s) => (s.country ? countries.has(s.country.toUpperCase()) : !!l.includeUnknownCountriesAndRegions);
}

export function compilePolicy(policy: CaPolicy, ctx: EvalContext): CompiledPolicy {
  const c = policy.conditions;
  const u = c.users;
  const filter = c.devices?.deviceFilter ? { mode: c.devices.deviceFilter.mode, expr: parseFilter(c.devices.deviceFilter.rule) } : null;
  const locs = ctx.namedLocations.map((l) => ({ id: l.id?.toLowerCase(), name: l.displayName.toLowerCase(), trusted: l['@odata.type'] === '#microsoft.graph.ipNamedLocation' && !!l.isTrusted, match: locationMatcher(l) }));
  const inLocation = (ref: string, s: SignIn): boolean => {
    if (ref === 'All') return true;
    if (ref === 'AllTrusted') return locs.some((l) => l.trusted && l.match(s));
    const r = ref.toLowerCase();
    return locs.some((l) => (l.id === r || l.name === r) && l.match(s));
  };
  const member = (ids: string[] | undefined, s: SignIn) => lower(ids).some((g) => ctx.members.get(g)?.has(s.userId) || ctx.members.get(g)?.has(s.upn));
  const guest = (s: SignIn) => s.userType.toLowerCase() === 'guest';
  const usersMatch = (s: SignIn): boolean => {
    const ex = lower(u.excludeUsers);
    if (ex.includes(s.userId) || (ex.includes('guestsorexternalusers') && guest(s)) || member(u.excludeGroups, s) || member(u.excludeRoles, s)) return false;
    const inc = lower(u.includeUsers);
    return inc.includes('all') || inc.includes(s.userId) || (inc.includes('guestsorexternalusers') && guest(s)) || member(u.includeGroups, s) || member(u.includeRoles, s);
  };
  const appListHas = (list: string[] | undefined, s: SignIn, allowAll: boolean): boolean => {
    const apps = [s.appId, s.resourceId].filter(Boolean);
    return (list ?? []).some((x) => (allowAll && x === 'All') || (x === 'Office365' && apps.some((a) => OFFICE365_APPS.has(a))) || apps.includes(x.toLowerCase()));
  };
  const appsMatch = (s: SignIn): boolean => appListHas(c.applications.includeApplications, s, true) && !appListHas(c.applications.excludeApplications, s, false);
  const types = c.clientAppTypes;
  const clientMatch = (s: SignIn): boolean => types.includes('all') || (!!s.clientAppType && (types.includes(s.clientAppType) || (s.clientAppType === 'exchangeActiveSync' && types.includes('easSupported'))));
  const platformMatch = (s: SignIn): boolean => {
    const p = c.platforms;
    if (!p) return true;
    const inc = p.includePlatforms ?? [];
    const ex = p.excludePlatforms ?? [];
    if (!(inc.includes('all') || (!!s.platform && inc.includes(s.platform)))) return false;
    return !(s.platform && ex.includes(s.platform));
  };
  const locationMatch = (s: SignIn): boolean => {
    const l = c.locations;
    if (!l) return true;
    const inc = l.includeLocations ?? ['All'];
    return inc.some((r) => inLocation(r, s)) && !(l.excludeLocations ?? []).some((r) => inLocation(r, s));
  };
  const deviceMatch = (s: SignIn): boolean => {
    if (!filter) return true;
    const hit = evalFilter(filter.expr, s.device);
    return filter.mode === 'include' ? hit : !hit;
  };
  const riskMatch = (s: SignIn): boolean => {
    if (c.signInRiskLevels?.length && !c.signInRiskLevels.includes(s.signInRisk)) return false;
    if (c.userRiskLevels?.length && !c.userRiskLevels.includes(ctx.userRisk(s.userId, s.at))) return false;
    return true;
  };
  const flowMatch = (s: SignIn): boolean => !c.authenticationFlows || c.authenticationFlows.transferMethods.split(',').includes(s.transferMethod);
  // Workload-identity policies and user-action-only policies never match a user's sign-in row.
  const forUsers = !c.clientApplications?.includeServicePrincipals?.length && !!c.applications.includeApplications?.length;

  const applies = (s: SignIn) => forUsers && usersMatch(s) && appsMatch(s) && clientMatch(s) && platformMatch(s) && locationMatch(s) && deviceMatch(s) && riskMatch(s) && flowMatch(s);

  const unmetGrant = (s: SignIn): string[] => {
    const g = policy.grantControls;
    if (!g) return [];
    const met: boolean[] = [];
    const names: string[] = [];
    for (const b of g.builtInControls ?? []) {
      names.push(b);
      met.push(b === 'mfa' ? s.mfaSatisfied : b === 'compliantDevice' ? s.device.isCompliant === true : b === 'domainJoinedDevice' ? s.device.trustType === 'ServerAD' : false);
    }
    if (g.authenticationStrength) {
      names.push('authenticationStrength');
      const kind = BUILT_IN_STRENGTH[g.authenticationStrength.id.toLowerCase()];
      met.push(kind === 'mfa' ? s.mfaSatisfied : kind === 'passwordless' ? s.methods.some((m) => PASSWORDLESS.test(m)) : kind === 'phishingResistant' ? s.methods.some((m) => PHISHING_RESISTANT.test(m)) : false);
    }
    // Terms of use and custom factors leave no trace in sign-in rows: never met.
    if (g.termsOfUse?.length) {
      names.push('termsOfUse');
      met.push(false);
    }
    if (g.customAuthenticationFactors?.length) {
      names.push('customAuthenticationFactor');
      met.push(false);
    }
    if (!names.length) return [];
    const ok = g.operator === 'AND' ? met.every(Boolean) : met.some(Boolean);
    return ok ? [] : names.filter((_, i) => !met[i]);
  };

  return {
    policy,
    evaluate(s: SignIn): Decision {
      const d: Decision = { outcome: 'notApplied', challenges: [], blocks: [], session: [] };
      if (!applies(s)) return d;
      d.outcome = 'allow';
      const raise = (o: Outcome) => {
        if (RANK[o] > RANK[d.outcome]) d.outcome = o;
      };
      const g = policy.grantControls;
      if (g?.builtInControls?.includes('block')) {
        d.blocks.push('block');
        raise('block');
        return d;
      }
      const unmet = unmetGrant(s);
      if (unmet.length) {
        const personal = unmet.filter((x) => PERSON_CONTROLS.has(x));
        const canAnswer = g!.operator === 'AND' ? personal.length === unmet.length : personal.length > 0;
        if (canAnswer) {
          d.challenges.push(...personal);
          raise('challenge');
        } else {
          d.blocks.push(...unmet.map((x) => (x === 'compliantDevice' ? 'device not compliant' : x === 'domainJoinedDevice' ? 'device not hybrid-joined' : `${x} not met`)));
          raise('block');
        }
      }
      const sc = policy.sessionControls;
      const f = sc?.signInFrequency;
      if (f?.isEnabled) {
        const every = f.frequencyInterval === 'everyTime';
        d.session.push(every ? 'sign-in frequency: every time' : `sign-in frequency: ${f.value} ${f.type}`);
        const limit = every ? 0 : (f.value ?? 0) * (f.type === 'days' ? 86_400_000 : 3_600_000);
        const since = s.freshAuth ? 0 : every ? Infinity : ctx.sinceFreshAuth(s);
        if (since !== null && since > limit) {
          d.challenges.push('reauthentication');
          raise('challenge');
        }
      }
      if (sc?.persistentBrowser?.isEnabled) d.session.push(`persistent browser: ${sc.persistentBrowser.mode}`);
      if (sc?.applicationEnforcedRestrictions?.isEnabled) d.session.push('app-enforced restrictions');
      if (sc?.cloudAppSecurity?.isEnabled) d.session.push('Defender for Cloud Apps session');
      if (sc?.secureSignInSession?.isEnabled) {
        // A session can be bound only to a registered device's key, by a native client on Windows.
        const bindable = !!s.device.deviceId && !!s.device.trustType && s.platform === 'windows' && s.clientAppType === 'mobileAppsAndDesktopClients';
        if (bindable) d.session.push('token bound to the device');
        else {
          d.blocks.push('token protection: no registered device to bind the session to');
          raise('block');
        }
      }
      if (d.outcome === 'allow' && d.session.length) d.outcome = 'session';
      return d;
    },
  };
}

/** Could the person at the keyboard answer these challenges? A relaying proxy passes on the victim's MFA; a replayed token answers nothing. */
export function attackerPasses(d: Decision, s: SignIn): boolean {
  if (d.outcome === 'block') return false;
  if (d.outcome !== 'challenge') return true;
  return s.interactive && s.freshAuth && d.challenges.every((c) => c === 'mfa' || c === 'passwordChange' || c === 'reauthentication');
}
