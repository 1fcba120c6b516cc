/**
 * Builders for what DNS tests serve and what state files hold: zone records for the embedded DNS
 * server (`soa`, `txt`, `cname`, `mx`, `a`), the records a provider asked for (`rec`), the SES
 * records of one domain as asked for and as correctly published, and a state file over domains.
 */
import type { ZoneData, ZoneFault, ZoneRecord } from '../../src/dns/zone.js';
import type { DnsRecord } from '../../src/model/record.js';

export const soa = (zone: string): ZoneRecord => ({ name: zone, type: 'SOA', data: { mname: `ns.${zone}`, rname: `h.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } });
export const txt = (name: string, data: string | string[], ttl?: number): ZoneRecord => ({ name, type: 'TXT', data, ...(ttl ? { ttl } : {}) });
export const cname = (name: string, data: string): ZoneRecord => ({ name, type: 'CNAME', data });
export const mx = (name: string, preference: number, exchange: string): ZoneRecord => ({ name, type: 'MX', data: { preference, exchange } });
export const a = (name: string, data: string): ZoneRecord => ({ name, type: 'A', data });
export const zone = (...records: ZoneRecord[]): ZoneData => ({ records });

/** A record a provider asked for; priority 10 for MX, no TTL, required, from the provider unless said. */
export const rec = (r: Pick<DnsRecord, 'purpose' | 'type' | 'name' | 'value'> & Partial<DnsRecord>): DnsRecord =>
  ({ priority: r.type === 'MX' ? 10 : null, ttl: null, required: true, source: 'provider', ...r });

/** The records SES (us-east-1, MAIL FROM `bounce.`) asks for `d`, plus mailsetup's DMARC. */
export function sesWanted(d: string): DnsRecord[] {
  return [
    rec({ purpose: 'dkim', type: 'CNAME', name: `tok1._domainkey.${d}`, value: 'tok1.dkim.amazonses.com' }),
    rec({ purpose: 'mail-from-mx', type: 'MX', name: `bounce.${d}`, value: 'feedback-smtp.us-east-1.amazonses.com' }),
    rec({ purpose: 'mail-from-spf', type: 'TXT', name: `bounce.${d}`, value: 'v=spf1 include:amazonses.com ~all' }),
    rec({ purpose: 'dmarc', type: 'TXT', name: `_dmarc.${d}`, value: 'v=DMARC1; p=none', source: 'mailsetup' }),
  ];
}

/** `sesWanted(d)` correctly published. */
export function sesPublished(d: string): ZoneRecord[] {
  return [
    cname(`tok1._domainkey.${d}`, 'tok1.dkim.amazonses.com'),
    mx(`bounce.${d}`, 10, 'feedback-smtp.us-east-1.amazonses.com'),
    txt(`bounce.${d}`, 'v=spf1 include:amazonses.com ~all'),
    txt(`_dmarc.${d}`, 'v=DMARC1; p=none'),
  ];
}

/** A state file (JSON text) holding `domains`, each a pending SES domain with `recordsFor(d)`. */
export function stateFor(domains: string[], recordsFor: (d: string) => DnsRecord[] = sesWanted): string {
  const at = '2026-11-30T00:00:00.000Z';
  const entries = Object.fromEntries(domains.map((d) => [d, {
    provider: 'ses', providerId: d, region: 'us-east-1', records: recordsFor(d), status: 'pending', createdAt: at, updatedAt: at, history: [],
  }]));
  return JSON.stringify({ version: 1, domains: entries }, null, 2);
}

/** A compact name → records map: one TXT RR per array item, MX as [preference, exchange]. */
export type ZoneNames = Record<string, { TXT?: Array<string | string[]>; A?: string[]; AAAA?: string[]; PTR?: string[]; MX?: Array<[number, string]>; CNAME?: string }>;

/** Zone data from a `ZoneNames` map, with the given faults. */
export function zoneFromNames(names: ZoneNames, faults: ZoneFault[] = []): ZoneData {
  const records: ZoneRecord[] = [];
  for (const [name, rr] of Object.entries(names)) {
    for (const t of rr.TXT ?? []) records.push({ name, type: 'TXT', data: t });
    for (const a of rr.A ?? []) records.push({ name, type: 'A', data: a });
    for (const a of rr.AAAA ?? []) records.push({ name, type: 'AAAA', data: a });
    for (const p of rr.PTR ?? []) records.push({ name, type: 'PTR', data: p });
    for (const [preference, exchange] of rr.MX ?? []) records.push({ name, type: 'MX', data: { preference, exchange } });
    if (rr.CNAME) records.push({ name, type: 'CNAME', data: rr.CNAME });
  }
  return { records, faults };
}
