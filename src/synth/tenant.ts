// Builds the tenant: offices, users with home networks, laptops and phones, and a break-glass account.
import { BROWSERS, type BrowserKey, FIRST_NAMES, LAST_NAMES, MOBILE, NATIVE_UA, type Network, type Office, PLACES, RESIDENTIAL, SWG } from './catalog.js';
import type { Device, Phone, Tenant, User } from './model.js';
import type { Rng } from './prng.js';

/** A home address: IPv6 for about half of the subscribers of ISPs that deploy it, else IPv4. */
export function homeIpIn(net: Network, rng: Rng): string {
  if (!net.v6 || rng.chance(0.5)) return ipIn(net, rng);
  const h = () => rng.int(1, 0xffff).toString(16);
  return `${net.v6}:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`;
}

export function ipIn(net: Network, rng: Rng): string {
  return `${rng.pick(net.prefixes)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function corp(asn: number, provider: string, prefix: string): Network {
  return { asn: String(asn), provider, kind: 'corporate', prefixes: [prefix] };
}

function makeOffices(rng: Rng): Office[] {
  const mk = (name: string, place: keyof typeof PLACES, utcOffset: number, network: Network): Office => ({
    name,
    place: PLACES[place]!,
    utcOffset,
    network,
    egressIp: ipIn(network, rng),
  });
  return [
    mk('Seattle', 'seattle', -8, corp(3356, 'Lumen', '4.14')),
    mk('Chicago', 'chicago', -6, corp(6461, 'Zayo', '64.125')),
    mk('New York', 'newYork', -5, corp(174, 'Cogent', '38.104')),
    mk('London', 'london', 0, corp(8220, 'Colt', '212.36')),
    mk('Berlin', 'berlin', 1, corp(8881, '1&1 Versatel', '62.214')),
  ];
}

const OFFICE_WEIGHTS: [number, number][] = [[0, 25], [1, 20], [2, 25], [3, 15], [4, 15]];

export function laptopFor(rng: Rng, browser: BrowserKey, owner: string): Device {
  const b = BROWSERS[browser];
  return {
    deviceId: rng.guid(),
    displayName: `${owner.toUpperCase().slice(0, 6)}-${rng.hex(6).toUpperCase()}`,
    operatingSystem: b.os,
    browser: b.browser,
    isCompliant: true,
    isManaged: true,
    trustType: 'Azure AD joined',
  };
}

function makeUser(rng: Rng, index: number, domain: string, offices: Office[], used: Set<string>): User {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  let alias = `${first}.${last}`.toLowerCase();
  for (let n = 2; used.has(alias); n++) alias = `${first}.${last}${n}`.toLowerCase();
  used.add(alias);
  const office = offices[rng.weighted(OFFICE_WEIGHTS)]!;
  const country = office.place.country;
  const homeNet = rng.pick(RESIDENTIAL[country]!);
  const browser: BrowserKey = rng.weighted([['edgeWin', 6], ['chromeWin', 3], ['chromeMac', 1]] as const);
  const hasPhone = rng.chance(0.8);
  const user: User = {
    index,
    id: rng.guid(),
    upn: `${alias}@${domain}`,
    displayName: `${first} ${last}`,
    office,
    homePlace: office.place,
    homeNet,
    homeIp: homeIpIn(homeNet, rng),
    laptop: laptopFor(rng, browser, alias.replace(/[^a-z]/g, '')),
    browser,
    usesSwgAtHome: rng.chance(0.1),
    puid: `1003${rng.hex(12).toUpperCase()}`,
    sid: `S-1-5-21-${rng.int(1e9, 4e9)}-${rng.int(1e9, 4e9)}-${rng.int(1e9, 4e9)}-${rng.int(1000, 99999)}`,
    mailboxGuid: rng.guid(),
    oneDriveSiteId: rng.guid(),
  };
  if (hasPhone) user.phone = phoneFor(rng, country);
  return user;
}

export function phoneFor(rng: Rng, country: string): Phone {
  const ios = rng.chance(0.6);
  const device: Device = {
    deviceId: rng.guid(),
    displayName: ios ? 'iPhone' : 'Android',
    operatingSystem: ios ? 'Ios' : 'Android',
    browser: '',
    isCompliant: true,
    isManaged: true,
    trustType: 'Azure AD registered',
  };
  return { device, ua: ios ? NATIVE_UA.outlookIos : NATIVE_UA.outlookAndroid, carrier: rng.pick(MOBILE[country]!), sessionId: rng.guid() };
}

export function buildTenant(rng: Rng, nUsers: number, start: number, days: number): Tenant {
  const r = rng.fork('tenant');
  const offices = makeOffices(r);
  const domain = 'contoso.com';
  const used = new Set<string>();
  const users: User[] = [];
  for (let i = 0; i < nUsers; i++) users.push(makeUser(r.fork(`user:${i}`), i, domain, offices, used));
  // The break-glass account: cloud-only, FIDO2, signs in rarely from the Seattle office to check it works.
  const bg = makeUser(r.fork('breakglass'), nUsers, domain, offices, used);
  bg.upn = `bg-admin01@${domain}`;
  bg.displayName = 'Break Glass 01';
  bg.office = offices[0]!;
  bg.homePlace = bg.office.place;
  delete bg.phone;
  bg.breakGlass = true;
  return {
    tenantId: r.guid(),
    domain,
    orgName: 'contoso.onmicrosoft.com',
    users,
    breakGlass: bg,
    offices,
    swgPlaces: { US: PLACES.ashburn!, GB: PLACES.london!, DE: PLACES.amsterdam! },
    start,
    days,
  };
}

export const SWG_NET = SWG;
