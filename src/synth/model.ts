// The tenant model: users, their devices and networks, and the sink rows are emitted into.
import type { BrowserKey, Network, Office, Place } from './catalog.js';

export interface Device {
  deviceId: string; // '' for unregistered devices
  displayName: string;
  operatingSystem: string;
  browser: string;
  isCompliant: boolean;
  isManaged: boolean;
  trustType: string; // 'Azure AD joined' | 'Azure AD registered' | ''
}

export interface Phone {
  device: Device;
  ua: string;
  carrier: Network;
  sessionId: string; // one long-lived Outlook Mobile session for the whole period
}

export interface User {
  index: number;
  id: string; // object id
  upn: string;
  displayName: string;
  office: Office;
  homePlace: Place;
  homeNet: Network;
  homeIp: string;
  laptop: Device;
  browser: BrowserKey;
  phone?: Phone;
  usesSwgAtHome: boolean;
  puid: string; // 16 hex, used in Office 365 UserKey
  sid: string; // on-premises style SID for the mailbox records
  mailboxGuid: string;
  oneDriveSiteId: string;
  breakGlass?: boolean;
}

export interface Tenant {
  tenantId: string;
  domain: string;
  orgName: string;
  users: User[];
  breakGlass: User;
  offices: Office[];
  swgPlaces: Record<string, Place>; // country -> egress place of the secure web gateway
  start: number;
  days: number;
}

/** Where a row goes: the table, its TimeGenerated (ms, for ordering) and the row itself. */
export type Emit = (table: string, timeGenerated: number, row: Record<string, unknown>) => void;

export interface NetPoint {
  ip: string;
  net: Network;
  place: Place;
}
