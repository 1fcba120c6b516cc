/**
 * Cloudflare DNS records ↔ HostRecord (registrars.md §1.4, §1.6). Normalised once, here: names
 * lower-case without the dot, TXT content unquoted and joined whatever way it was stored, MX
 * priority apart, TTL 1 ("automatic") read as null. Written TXT content is quoted and split into
 * 255-byte strings (what the dashboard asks for; Cloudflare serves the same strings either way).
 */
import { normaliseName } from '../../model/record.js';
import type { HostRecord } from '../types.js';
import { quoteTxt, unquoteTxtStrings } from '../txt.js';

/** The fields of Cloudflare's record object we read (the SDK's RecordResponse has more). */
export interface CfRecord {
  id: string;
  type: string;
  name: string;
  content?: string;
  ttl: number;
  proxied?: boolean;
  priority?: number;
}

/** A create/edit body (without zone_id). */
export interface CfRecordBody {
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied?: boolean;
  priority?: number;
  comment?: string;
}

/** Cloudflare's automatic TTL. */
export const CF_AUTO_TTL = 1;
const MIN_TTL = 60;
const MAX_TTL = 86_400;
const HOSTNAME_TYPES = new Set(['CNAME', 'MX', 'NS', 'PTR']);

/** null (host default) and 1 → automatic; anything else within 60–86400. */
export function toCfTtl(ttl: number | null): number {
  if (ttl === null || ttl === CF_AUTO_TTL) return CF_AUTO_TTL;
  return Math.min(MAX_TTL, Math.max(MIN_TTL, Math.round(ttl)));
}

export function fromCloudflare(r: CfRecord): HostRecord {
  const type = r.type.toUpperCase();
  const content = r.content ?? '';
  let value = content;
  if (type === 'TXT') value = unquoteTxtStrings(content) ?? content;
  else if (HOSTNAME_TYPES.has(type)) value = normaliseName(content);
  return {
    type,
    name: normaliseName(r.name),
    value,
    priority: type === 'MX' ? (r.priority ?? 0) : null,
    ttl: r.ttl === CF_AUTO_TTL ? null : r.ttl,
    hostId: r.id,
    proxied: r.proxied === true,
  };
}

/** Mail records are DNS-only: a CNAME always goes out with `proxied: false`. */
export function toCloudflareBody(r: HostRecord): CfRecordBody {
  const type = r.type.toUpperCase();
  const body: CfRecordBody = {
    type,
    name: normaliseName(r.name),
    content: type === 'TXT' ? quoteTxt(r.value) : HOSTNAME_TYPES.has(type) ? normaliseName(r.value) : r.value,
    ttl: toCfTtl(r.ttl),
  };
  if (type === 'CNAME') body.proxied = false;
  if (type === 'MX') body.priority = r.priority ?? 10;
  return body;
}

/** Same name, type, value (and MX priority): the record `from` a plan was made against. */
export function sameRecord(a: HostRecord, b: HostRecord): boolean {
  return a.type.toUpperCase() === b.type.toUpperCase()
    && normaliseName(a.name) === normaliseName(b.name)
    && (a.type.toUpperCase() === 'TXT' ? a.value === b.value : a.value.toLowerCase() === b.value.toLowerCase())
    && (a.priority ?? null) === (b.priority ?? null);
}

/** For messages: `TXT _dmarc.acme.com`. Values stay out (they may be long; never secret, though). */
export const describe = (r: HostRecord): string => `${r.type.toUpperCase()} ${r.name}`;
