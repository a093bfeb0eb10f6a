// Facts and vocabularies the synthesizer draws from: first-party app ids, networks (ASN, provider,
// illustrative prefixes), places, user agents. IP prefixes are plausible for the ASN but illustrative:
// rules must key on AutonomousSystemNumber and the watchlists, never on these prefixes.

export interface App {
  id: string;
  name: string;
}

export const APPS = {
  officeHome: { id: '4765445b-32c6-49b0-83e6-1d93765276ca', name: 'OfficeHome' },
  office: { id: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', name: 'Microsoft Office' },
  teams: { id: '1fec8e78-bce4-4aaf-ab1b-5451cc387264', name: 'Microsoft Teams' },
  outlookMobile: { id: '27922004-5251-4030-b22d-91ecd9a37ea4', name: 'Outlook Mobile' },
  oneDriveSync: { id: 'ab9b8c07-8f02-4f72-87fa-80105867a763', name: 'OneDrive SyncEngine' },
  authBroker: { id: '29d9ed98-a469-4536-ade2-f981bc1d605e', name: 'Microsoft Authentication Broker' },
  mySignins: { id: '19db86c3-b2b9-44cc-b339-36da233a3be2', name: 'My Signins' },
  azurePortal: { id: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c', name: 'Azure Portal' },
} as const satisfies Record<string, App>;

export const RESOURCES = {
  exchange: { id: '00000002-0000-0ff1-ce00-000000000000', name: 'Office 365 Exchange Online' },
  graph: { id: '00000003-0000-0000-c000-000000000000', name: 'Microsoft Graph' },
  sharepoint: { id: '00000003-0000-0ff1-ce00-000000000000', name: 'Office 365 SharePoint Online' },
  teamsServices: { id: 'cc15fd57-2c6c-4117-a88c-83b1d56b4bbe', name: 'Microsoft Teams Services' },
  azureManagement: { id: '797f4846-ba00-4fd7-ba43-dac1f8f63013', name: 'Windows Azure Service Management API' },
  deviceRegistration: { id: '01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9', name: 'Device Registration Service' },
} as const satisfies Record<string, App>;

export interface Place {
  city: string;
  state: string;
  country: string; // ISO 3166 alpha-2, as in Location / LocationDetails.countryOrRegion
  lat: number;
  lon: number;
}

export const PLACES: Record<string, Place> = {
  seattle: { city: 'Seattle', state: 'Washington', country: 'US', lat: 47.6062, lon: -122.3321 },
  chicago: { city: 'Chicago', state: 'Illinois', country: 'US', lat: 41.8781, lon: -87.6298 },
  newYork: { city: 'New York', state: 'New York', country: 'US', lat: 40.7128, lon: -74.006 },
  ashburn: { city: 'Ashburn', state: 'Virginia', country: 'US', lat: 39.0438, lon: -77.4874 },
  london: { city: 'London', state: 'England', country: 'GB', lat: 51.5072, lon: -0.1276 },
  berlin: { city: 'Berlin', state: 'Berlin', country: 'DE', lat: 52.52, lon: 13.405 },
  frankfurt: { city: 'Frankfurt am Main', state: 'Hessen', country: 'DE', lat: 50.1109, lon: 8.6821 },
  munich: { city: 'Munich', state: 'Bayern', country: 'DE', lat: 48.1351, lon: 11.582 },
  amsterdam: { city: 'Amsterdam', state: 'Noord-Holland', country: 'NL', lat: 52.3676, lon: 4.9041 },
  paris: { city: 'Paris', state: 'Ile-de-France', country: 'FR', lat: 48.8566, lon: 2.3522 },
  roubaix: { city: 'Roubaix', state: 'Hauts-de-France', country: 'FR', lat: 50.6942, lon: 3.1746 },
  helsinki: { city: 'Helsinki', state: 'Uusimaa', country: 'FI', lat: 60.1699, lon: 24.9384 },
  bucharest: { city: 'Bucharest', state: 'Bucuresti', country: 'RO', lat: 44.4268, lon: 26.1025 },
  singapore: { city: 'Singapore', state: 'Singapore', country: 'SG', lat: 1.3521, lon: 103.8198 },
  saoPaulo: { city: 'Sao Paulo', state: 'Sao Paulo', country: 'BR', lat: -23.5505, lon: -46.6333 },
  tokyo: { city: 'Tokyo', state: 'Tokyo', country: 'JP', lat: 35.6762, lon: 139.6503 },
  dublin: { city: 'Dublin', state: 'Dublin', country: 'IE', lat: 53.3498, lon: -6.2603 },
  sanJose: { city: 'San Jose', state: 'California', country: 'US', lat: 37.3382, lon: -121.8863 },
};

export type NetKind = 'residential' | 'mobile' | 'corporate' | 'microsoft' | 'hosting' | 'swg' | 'hotel';

export interface Network {
  asn: string; // string, as in AutonomousSystemNumber
  provider: string;
  kind: NetKind;
  prefixes: readonly string[]; // "a.b" /16 prefixes to draw addresses from
  v6?: string; // first two hextets of the ISP's IPv6 space, for users with IPv6 at home
}

function net(asn: number, provider: string, kind: NetKind, ...prefixes: string[]): Network {
  return { asn: String(asn), provider, kind, prefixes };
}

/** Hosting / VPS providers: the default sg_hosting_asn watchlist, and the attackers' infrastructure. */
export const HOSTING: readonly Network[] = [
  net(14061, 'DigitalOcean', 'hosting', '159.89', '164.90', '167.99'),
  net(16276, 'OVH', 'hosting', '51.38', '54.36', '141.94'),
  net(24940, 'Hetzner Online', 'hosting', '95.216', '65.108', '135.181'),
  net(16509, 'Amazon (AWS)', 'hosting', '3.120', '18.184', '54.93'),
  net(14618, 'Amazon (AWS AES)', 'hosting', '3.80', '34.224', '52.72'),
  net(63949, 'Akamai Connected Cloud (Linode)', 'hosting', '172.104', '139.162', '45.79'),
  net(20473, 'Vultr - Choopa - The Constant Company', 'hosting', '45.76', '66.42', '149.28'),
  net(9009, 'M247', 'hosting', '185.156', '193.27', '89.46'),
  net(51167, 'Contabo', 'hosting', '161.97', '173.212', '167.86'),
  net(396982, 'Google Cloud', 'hosting', '34.125', '35.204'),
  net(31898, 'Oracle Cloud', 'hosting', '129.146', '152.70'),
  net(60781, 'LeaseWeb Netherlands', 'hosting', '212.32', '37.48'),
  net(12876, 'Scaleway', 'hosting', '51.15', '163.172'),
  net(197540, 'netcup', 'hosting', '152.53', '202.61'),
  net(36352, 'ColoCrossing', 'hosting', '192.3', '23.94'),
  net(53667, 'FranTech Solutions (BuyVM)', 'hosting', '209.141', '205.185'),
  net(45102, 'Alibaba Cloud', 'hosting', '47.74', '8.209'),
  net(132203, 'Tencent Cloud', 'hosting', '43.133', '43.153'),
];

export function hostingNet(asn: number): Network {
  const n = HOSTING.find((h) => h.asn === String(asn));
  if (!n) throw new Error(`not a hosting ASN: ${asn}`);
  return n;
}

export const MICROSOFT = net(8075, 'Microsoft', 'microsoft', '20.190', '40.126', '52.112', '52.98');

/** The tenant's secure web gateway (trusted egress, listed in sg_trusted_egress). */
export const SWG = net(62044, 'Zscaler', 'swg', '165.225', '147.161');

export const RESIDENTIAL: Record<string, readonly Network[]> = {
  US: [
    { ...net(7922, 'Comcast Cable', 'residential', '73.15', '98.207', '24.18'), v6: '2601:1c0' },
    { ...net(20115, 'Charter Communications', 'residential', '71.84', '97.90'), v6: '2603:6000' },
    net(701, 'Verizon Fios', 'residential', '71.105', '108.46'),
    net(7018, 'AT&T', 'residential', '99.110', '107.194'),
  ],
  GB: [{ ...net(2856, 'British Telecommunications', 'residential', '86.128', '81.149'), v6: '2a00:23c7' }, net(5089, 'Virgin Media', 'residential', '82.5', '86.2')],
  DE: [{ ...net(3320, 'Deutsche Telekom', 'residential', '87.140', '91.54'), v6: '2003:e6' }, net(3209, 'Vodafone Germany', 'residential', '88.64', '95.90')],
};

export const MOBILE: Record<string, readonly Network[]> = {
  US: [net(21928, 'T-Mobile USA', 'mobile', '172.56', '172.58'), net(22394, 'Verizon Wireless', 'mobile', '174.192', '174.205'), net(20057, 'AT&T Mobility', 'mobile', '166.170', '166.199')],
  GB: [net(12576, 'EE', 'mobile', '31.94', '92.40')],
  DE: [net(6805, 'Telefonica Germany', 'mobile', '176.0', '89.204')],
};

/** Residential-looking networks abroad used by one attack (residential proxy services resell these). */
export const RESIDENTIAL_PROXY: readonly Network[] = [net(28573, 'Claro NXT Telecomunicacoes', 'residential', '177.32', '187.20')];

export const HOTEL = net(3320, 'Deutsche Telekom', 'hotel', '80.146', '93.196');

export interface Office {
  name: string;
  place: Place;
  utcOffset: number; // hours, standard time (the default period is in November)
  network: Network; // corporate internet access provider
  egressIp: string;
}

export const BROWSERS = {
  edgeWin: {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
    os: 'Windows10',
    browser: 'Edge 131.0.2903',
  },
  chromeWin: {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    os: 'Windows10',
    browser: 'Chrome 131.0.0',
  },
  chromeMac: {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    os: 'MacOs',
    browser: 'Chrome 131.0.0',
  },
  firefoxLinux: {
    ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
    os: 'Linux',
    browser: 'Firefox 132.0',
  },
} as const;

export type BrowserKey = keyof typeof BROWSERS;

export const NATIVE_UA = {
  teamsWin: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0 Teams/24295.605.3225.8804',
  officeWin: 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)',
  oneDriveWin: 'Microsoft SkyDriveSync 24.211.1020.0001 ship; Windows NT 10.0 (19045)',
  outlookIos: 'Outlook-iOS/723.4027091.prod.iphone (4.2447.0)',
  outlookAndroid: 'Outlook-Android/2.0',
} as const;

/** Scripted HTTP clients seen in phishing-kit relays and token replay (D05). */
export const KIT_UA = {
  axios: 'axios/1.7.7',
  nodeFetch: 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
  pythonRequests: 'python-requests/2.32.3',
} as const;

export const FIRST_NAMES = [
  'Adele', 'Alex', 'Allan', 'Ben', 'Carla', 'Chen', 'Dana', 'Diego', 'Elena', 'Emma', 'Farah', 'Grace', 'Hiro', 'Isaac',
  'Ivy', 'Jonas', 'Julia', 'Kai', 'Lara', 'Lee', 'Lena', 'Lidia', 'Lynne', 'Maria', 'Megan', 'Miriam', 'Nestor', 'Nina',
  'Omar', 'Patti', 'Pradeep', 'Priya', 'Raul', 'Sara', 'Sofia', 'Tariq', 'Tom', 'Uma', 'Victor', 'Wei', 'Yara', 'Zoe',
];
export const LAST_NAMES = [
  'Adams', 'Bauer', 'Brown', 'Chandra', 'Costa', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Gupta', 'Hansen', 'Ito', 'Jensen',
  'Kim', 'Kowalski', 'Lopez', 'Martin', 'Meyer', 'Moreau', 'Nakamura', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Quinn',
  'Rossi', 'Schmidt', 'Silva', 'Smith', 'Tanaka', 'Taylor', 'Vance', 'Wagner', 'Walker', 'Weber', 'Wilson', 'Young', 'Zhang',
];
