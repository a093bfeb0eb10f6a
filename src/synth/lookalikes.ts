// Benign look-alikes: ordinary days bent so that they resemble an attack on one signal. Each must
// keep its session; they are the hard negatives of the rule pack.
import { APPS, BROWSERS, HOTEL, MOBILE, PLACES, RESIDENTIAL, RESOURCES } from './catalog.js';
import { type Ctx, type DayOptions, dayBounds, homePoint, officePoint, ordinaryInboxRule } from './benign.js';
import type { NetPoint, User } from './model.js';
import type { Rng } from './prng.js';
import { deviceRegistered, securityInfoRegistered } from './rows/audit.js';
import { emitSignIn } from './rows/signin.js';
import { HOUR, MIN } from './time.js';
import { SWG_NET, homeIpIn, ipIn, laptopFor } from './tenant.js';

export const LOOKALIKE_NAMES = ['travel', 'carrier-change', 'new-laptop', 'vpn-egress', 'inbox-rule-ordinary', 'security-info-new-phone'] as const;
export type LookalikeName = (typeof LOOKALIKE_NAMES)[number];

export interface LookalikeLabel {
  id: string;
  account: string;
  kind: LookalikeName | 'break-glass';
  userId: string;
  from?: string;
  note: string;
}

/** A look-alike: a per-day hook that may bend the day (options) and add its own rows after it. */
export interface Lookalike {
  kind: LookalikeName;
  day: number; // the day it happens (first day, for multi-day ones)
  /** Adjusts the user before generation (e.g. guarantees a phone or a German home). */
  prepare?: (u: User, rng: Rng) => void;
  options: (ctx: Ctx, u: User, day: number, rng: Rng) => DayOptions | undefined;
  after?: (ctx: Ctx, u: User, day: number, begin: number, rng: Rng) => void;
  note: string;
}

export function makeLookalike(kind: LookalikeName, day: number, days: number): Lookalike {
  switch (kind) {
    case 'travel': {
      const last = Math.min(days - 1, day + 2);
      return {
        kind,
        day,
        note: `business trip to Munich (DE) days ${day}-${last}: hotel network AS${HOTEL.asn}, managed compliant laptop, fresh MFA each morning; Identity Protection flags the first sign-in abroad as unfamiliarFeatures (low, remediated by the MFA)`,
        prepare: (u) => {
          if (u.homePlace.country === 'DE') throw new Error('travel look-alike needs a non-German user');
        },
        options: (_ctx, _u, d, rng) => {
          if (d < day || d > last) return undefined;
          const hotel: NetPoint = { ip: ipIn(HOTEL, rng), net: HOTEL, place: PLACES.munich! };
          return { forceActive: true, inOffice: false, laptopAt: () => hotel, utcOffset: 1, unfamiliar: d === day };
        },
      };
    }
    case 'carrier-change':
      return {
        kind,
        day: 0,
        note: 'Outlook Mobile session moves between the mobile carrier and home Wi-Fi (two ASNs, same country) every day',
        prepare: (u) => {
          if (!u.phone) throw new Error('carrier-change look-alike needs a phone');
        },
        options: (_ctx, u, d, rng) => {
          const { localMidnight } = dayBounds(_ctx.t, d, u.office.utcOffset);
          let carrierIp = ipIn(u.phone!.carrier, rng);
          return {
            phoneAt: (at: number) => {
              const hour = (at - localMidnight) / HOUR;
              if (hour < 8 || hour >= 18.5) return { ip: u.homeIp, net: u.homeNet, place: u.homePlace };
              if (rng.chance(0.4)) carrierIp = ipIn(u.phone!.carrier, rng);
              return { ip: carrierIp, net: u.phone!.carrier, place: u.homePlace };
            },
          };
        },
      };
    case 'new-laptop': {
      let fresh: ReturnType<typeof laptopFor> | undefined;
      return {
        kind,
        day,
        note: `new corporate laptop registered and enrolled on day ${day} (new device id, managed, compliant), used from then on`,
        options: (_ctx, u, d, rng) => {
          if (d < day) return undefined;
          if (d === day) fresh = laptopFor(rng, u.browser, u.upn.split('@')[0]!.replace(/[^a-z]/g, ''));
          return d === day ? { forceActive: true, inOffice: true, laptop: fresh! } : { laptop: fresh! };
        },
        after: (ctx, u, d, begin, rng) => {
          if (d !== day || !fresh) return;
          const ip = officePoint(u).ip;
          deviceRegistered(ctx.t, u, begin - rng.int(10 * MIN, 25 * MIN), ip, { objectId: rng.guid(), deviceId: fresh.deviceId, displayName: fresh.displayName, trustType: 'AzureAd' }, rng, ctx.emit);
        },
      };
    }
    case 'vpn-egress': {
      const last = Math.min(days - 1, day + 1);
      return {
        kind,
        day,
        note: `days ${day}-${last}: session starts on the home ISP in Germany, then the secure web gateway (AS${SWG_NET.asn}, egress in Amsterdam, NL; listed in sg_trusted_egress) takes over mid-session`,
        prepare: (u) => {
          if (u.homePlace.country !== 'DE') throw new Error('vpn-egress look-alike needs a German user');
          u.usesSwgAtHome = false;
        },
        options: (ctx, u, d, rng) => {
          if (d < day || d > last) return undefined;
          const { localMidnight } = dayBounds(ctx.t, d, u.office.utcOffset);
          const home = homePoint(ctx, u, rng);
          const swg: NetPoint = { ip: ipIn(SWG_NET, rng), net: SWG_NET, place: ctx.t.swgPlaces.DE! };
          const switchAt = localMidnight + Math.round(rng.range(10, 12) * HOUR);
          return { forceActive: true, inOffice: false, laptopAt: (at) => (at < switchAt ? home : swg) };
        },
      };
    }
    case 'inbox-rule-ordinary':
      return {
        kind,
        day,
        note: `day ${day}: creates an inbox rule in OWA from the usual network moving newsletters to a folder`,
        options: (_ctx, _u, d) => (d === day ? { forceActive: true, inOffice: true, benignExtras: false } : undefined),
        after: (ctx, u, d, begin, rng) => {
          if (d === day) ordinaryInboxRule(ctx, u, begin + rng.int(30 * MIN, 120 * MIN), officePoint(u).ip, rng);
        },
      };
    case 'security-info-new-phone':
      return {
        kind,
        day,
        note: `day ${day}: registers the Authenticator app on a new phone from the office, right after a fresh MFA sign-in to My Sign-ins`,
        options: (_ctx, _u, d) => (d === day ? { forceActive: true, inOffice: true, benignExtras: false } : undefined),
        after: (ctx, u, d, begin, rng) => {
          if (d !== day) return;
          const p = officePoint(u);
          const at = begin + rng.int(20 * MIN, 90 * MIN);
          const ua = BROWSERS[u.browser].ua;
          emitSignIn(ctx.t, { at, user: u, interactive: true, app: APPS.mySignins, resource: RESOURCES.graph, ip: p.ip, net: p.net, place: p.place, sessionId: rng.guid(), ua, device: u.laptop, auth: 'mfa', incomingTokenType: 'none' }, rng, ctx.emit);
          securityInfoRegistered(ctx.t, u, at + rng.int(1 * MIN, 3 * MIN), p.ip, 'Microsoft Authenticator', ua, rng, ctx.emit);
        },
      };
  }
}

/** Moves a user to another office and its country's networks (when a small tenant has nobody fitting to spare). */
export function relocate(u: User, office: User['office'], rng: Rng): void {
  const c = office.place.country;
  u.office = office;
  u.homePlace = office.place;
  u.homeNet = rng.pick(RESIDENTIAL[c]!);
  u.homeIp = homeIpIn(u.homeNet, rng);
  if (u.phone) u.phone.carrier = rng.pick(MOBILE[c]!);
}
