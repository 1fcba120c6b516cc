/**
 * SendGrid's shapes ↔ the record model. Everything that comes off the wire is checked here, once:
 * a body that does not have the documented shape is a `malformed` failure, never a crash later.
 *
 * How SendGrid names things (providers.md §2.2): `domain` is the domain being authenticated — the
 * From domain, `mail.acme.com` as the user typed it — and `subdomain` is only the label of the
 * return-path host under it (`em1234` → `em1234.mail.acme.com`). Every `dns.*.host` comes back fully
 * qualified, so it is normalised, never re-qualified (that would double the zone).
 */
import type { DnsRecord, RecordPurpose, RecordType } from '../../model/record.js';
import { makeRecord, normaliseName } from '../../model/record.js';
import type { ProviderIdentity, ProviderStatus, SenderResult } from '../types.js';
import { SendgridFailure } from './errors.js';

export interface SgDnsEntry { key: string; type: string; host: string; data: string; valid: boolean }

export interface SgDomain {
  id: number;
  domain: string;
  subdomain: string | null;
  valid: boolean;
  isDefault: boolean;
  dns: SgDnsEntry[];
}

export interface SgValidation { id: number; valid: boolean; results: Map<string, { valid: boolean; reason: string | null }> }

export interface SgSender { id: number; email: string; verified: boolean }

/** One provider-side check per record: what SendGrid last concluded about it, with its reason. */
export interface SendgridRecordCheck {
  /** SendGrid's key for the record (`mail_cname`, `dkim1` …). */
  key: string;
  purpose: RecordPurpose;
  type: RecordType;
  name: string;
  valid: boolean;
  reason: string | null;
}

/** The identity plus SendGrid's per-record verdicts (extra data for callers that know to look). */
export interface SendgridIdentity extends ProviderIdentity { checks: SendgridRecordCheck[] }

const malformed = (what: string): SendgridFailure => new SendgridFailure('malformed', `unexpected ${what}`);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function parseDomain(body: unknown): SgDomain {
  if (!isObject(body) || typeof body.id !== 'number' || !Number.isInteger(body.id) || typeof body.domain !== 'string' || !isObject(body.dns)) {
    throw malformed('authenticated-domain shape');
  }
  const dns: SgDnsEntry[] = [];
  for (const [key, entry] of Object.entries(body.dns)) {
    if (!isObject(entry) || typeof entry.type !== 'string' || typeof entry.host !== 'string' || typeof entry.data !== 'string') {
      throw malformed(`dns.${key} shape`);
    }
    dns.push({ key, type: entry.type.toLowerCase(), host: entry.host, data: entry.data, valid: entry.valid === true });
  }
  return {
    id: body.id,
    domain: normaliseName(body.domain),
    subdomain: typeof body.subdomain === 'string' && body.subdomain !== '' ? body.subdomain.toLowerCase() : null,
    valid: body.valid === true,
    isDefault: body.default === true,
    dns,
  };
}

export function parseDomainList(body: unknown): SgDomain[] {
  if (!Array.isArray(body)) throw malformed('domain list (not an array)');
  return body.map(parseDomain);
}

export function parseValidation(body: unknown): SgValidation {
  if (!isObject(body) || typeof body.valid !== 'boolean') throw malformed('validation result shape');
  const results = new Map<string, { valid: boolean; reason: string | null }>();
  if (isObject(body.validation_results)) {
    for (const [key, r] of Object.entries(body.validation_results)) {
      if (!isObject(r)) continue;
      results.set(key, { valid: r.valid === true, reason: typeof r.reason === 'string' && r.reason !== '' ? r.reason : null });
    }
  }
  return { id: typeof body.id === 'number' ? body.id : -1, valid: body.valid, results };
}

export function parseSender(body: unknown): SgSender {
  if (!isObject(body) || typeof body.id !== 'number' || typeof body.from_email !== 'string') throw malformed('sender shape');
  return { id: body.id, email: body.from_email.toLowerCase(), verified: body.verified === true };
}

export function parseSenderList(body: unknown): SgSender[] {
  if (!isObject(body) || !Array.isArray(body.results)) throw malformed('sender list shape');
  return body.results.map(parseSender);
}

/**
 * Purpose by SendGrid's key first (documented keys), then by what the record looks like, because
 * `dns` may carry keys we have not seen (custom SPF, legacy accounts).
 */
function purposeOf(e: SgDnsEntry): RecordPurpose {
  switch (e.key) {
    case 'mail_cname': return 'return-path';
    case 'mail_server': return 'mail-from-mx';
    case 'subdomain_spf': return 'mail-from-spf';
    case 'domain_spf': return 'spf';
  }
  if (e.key.startsWith('dkim') || e.host.toLowerCase().includes('._domainkey.')) return 'dkim';
  if (e.type === 'mx') return 'mail-from-mx';
  if (e.type === 'txt' && /^"?v=spf1/i.test(e.data.trim())) return 'spf';
  return e.type === 'cname' ? 'return-path' : 'verification';
}

const TYPES: Record<string, RecordType> = { cname: 'CNAME', txt: 'TXT', mx: 'MX' };

function toRecord(e: SgDnsEntry): DnsRecord | null {
  const type = TYPES[e.type];
  if (!type) return null; // a record type the model cannot hold; nothing to publish for us
  let value = e.data;
  let priority: number | undefined;
  // SendGrid's MX data is the bare host (publish it at priority 10); accept "10 host" too.
  const mx = type === 'MX' ? /^\s*(\d+)\s+(\S+)\s*$/.exec(value) : null;
  if (mx) { priority = Number(mx[1]); value = mx[2]!; }
  return makeRecord({ purpose: purposeOf(e), type, name: e.host, value, ...(priority !== undefined ? { priority } : {}) });
}

const ORDER: RecordPurpose[] = ['return-path', 'mail-from-mx', 'mail-from-spf', 'spf', 'dkim', 'verification'];
const rank = (p: RecordPurpose): number => { const i = ORDER.indexOf(p); return i < 0 ? ORDER.length : i; };

/**
 * SendGrid has no "failed" state for a domain: `valid` is false both before DNS is published and
 * after a validation that found it wrong. Only DNS can tell those apart, so the adapter reports
 * pending and leaves "invalid" to the record checks (with SendGrid's reasons in `checks`).
 */
export function toIdentity(d: SgDomain, region: string | null, validation?: SgValidation): SendgridIdentity {
  const valid = validation ? validation.valid : d.valid;
  const status: ProviderStatus = valid ? 'verified' : 'pending';
  const rows: Array<{ record: DnsRecord; check: SendgridRecordCheck }> = [];
  for (const e of d.dns) {
    const record = toRecord(e);
    if (!record) continue;
    const r = validation?.results.get(e.key);
    rows.push({ record, check: { key: e.key, purpose: record.purpose, type: record.type, name: record.name, valid: r ? r.valid : e.valid, reason: r?.reason ?? null } });
  }
  rows.sort((a, b) => rank(a.record.purpose) - rank(b.record.purpose) || a.record.name.localeCompare(b.record.name));
  return {
    domain: d.domain,
    providerId: String(d.id),
    region,
    status,
    providerState: valid ? 'valid' : 'not valid',
    records: rows.map((r) => r.record),
    checks: rows.map((r) => r.check),
  };
}

/**
 * SendGrid allows several authentications of one domain (different return-path labels, subusers),
 * and its `?domain=` filter is not documented as exact. Adopt an exact match only: the requested
 * label when one was given; else a valid one, then the default one, then the oldest — so that
 * running `add` again keeps adopting the same one.
 */
export function pickDomain(list: SgDomain[], domain: string, label: string | null): SgDomain | null {
  const same = list.filter((d) => d.domain === domain && (label === null || d.subdomain === label));
  same.sort((a, b) => Number(b.valid) - Number(a.valid) || Number(b.isDefault) - Number(a.isDefault) || a.id - b.id);
  return same[0] ?? null;
}

export function toSenderResult(s: SgSender): SenderResult {
  return { email: s.email, providerId: String(s.id), status: s.verified ? 'verified' : 'pending' };
}
