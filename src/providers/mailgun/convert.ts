/**
 * Mailgun's domain object → the record model. Mailgun names sending records fully qualified and
 * leaves `name` off receiving MX records (they sit at the domain); MX priority is a string.
 *
 * Status mapping (Mailgun `state`, `is_disabled`):
 *   active      → verified  (Mailgun saw the required sending records)
 *   unverified  → pending   (records not (yet) seen; `PUT …/verify` asks again)
 *   disabled, or is_disabled → failed (Mailgun switched the domain off: a human must act)
 *   anything else → pending, raw word kept in `providerState`.
 */
import type { DnsRecord, RecordPurpose } from '../../model/record.js';
import { makeRecord, normaliseName, qualify } from '../../model/record.js';
import type { ProviderIdentity, ProviderStatus } from '../types.js';

/** The wire fields we read; the SDK's `Domain` keeps exactly these (providers.md §3.2). */
export interface MailgunDnsRecord {
  record_type?: string;
  name?: string;
  value?: string;
  priority?: string | number;
  valid?: string;
}

export interface MailgunDomain {
  name: string;
  state: string;
  is_disabled?: boolean;
  sending_dns_records: MailgunDnsRecord[] | null;
  receiving_dns_records: MailgunDnsRecord[] | null;
}

export function toStatus(state: string, isDisabled = false): ProviderStatus {
  if (isDisabled) return 'failed';
  switch (state.toLowerCase()) {
    case 'active': return 'verified';
    case 'disabled': return 'failed';
    default: return 'pending';
  }
}

function priorityOf(p: string | number | undefined): number | null {
  const n = typeof p === 'number' ? p : Number.parseInt(p ?? '', 10);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

/** What a sending record is for, from its type, place and content. */
function sendingPurpose(type: string, name: string, value: string, domain: string): { purpose: RecordPurpose; required: boolean } | null {
  const isDkimName = name.includes('._domainkey.');
  switch (type) {
    case 'TXT':
      if (/^"?v=spf1(\s|$|")/i.test(value)) return { purpose: name === domain ? 'spf' : 'mail-from-spf', required: true };
      if (isDkimName || /(^|;\s*)p=/.test(value)) return { purpose: 'dkim', required: true };
      return { purpose: 'verification', required: true };
    case 'CNAME':
      // `pdkN._domainkey` CNAMEs with automatic sender security; otherwise the click/open tracking
      // host (`email.<domain>` by default, `<web_prefix>.<domain>` when changed), which sending does not need.
      return isDkimName ? { purpose: 'dkim', required: true } : { purpose: 'tracking', required: false };
    case 'MX':
      return { purpose: 'mail-from-mx', required: true }; // a custom mailfrom_host
    default:
      return null; // nothing in our record model holds it
  }
}

export function toRecords(d: MailgunDomain, debug?: (line: string) => void): DnsRecord[] {
  const domain = normaliseName(d.name);
  const out: DnsRecord[] = [];
  for (const r of d.sending_dns_records ?? []) {
    const type = (r.record_type ?? '').toUpperCase();
    const name = qualify(r.name ?? domain, domain);
    const value = r.value ?? '';
    const kind = sendingPurpose(type, name, value, domain);
    if (!kind || value === '') { debug?.(`mailgun: skipping sending record ${type} ${name}`); continue; }
    out.push(makeRecord({ ...kind, type: type as DnsRecord['type'], name, value, priority: type === 'MX' ? priorityOf(r.priority) : null }));
  }
  for (const r of d.receiving_dns_records ?? []) {
    const type = (r.record_type ?? '').toUpperCase();
    if (type !== 'MX' || !r.value) { debug?.(`mailgun: skipping receiving record ${type}`); continue; }
    // Inbound routing is optional for a sending domain; --inbound users publish it too.
    out.push(makeRecord({
      purpose: 'inbound-mx', type: 'MX', name: qualify(r.name ?? domain, domain),
      value: r.value, priority: priorityOf(r.priority), required: false,
    }));
  }
  return out;
}

export function toIdentity(d: MailgunDomain, region: string, debug?: (line: string) => void): ProviderIdentity {
  const domain = normaliseName(d.name);
  return {
    domain,
    providerId: domain, // Mailgun addresses domains by name
    region,
    status: toStatus(d.state, d.is_disabled === true),
    providerState: d.is_disabled === true && d.state !== 'disabled' ? `${d.state} (disabled)` : d.state,
    records: toRecords(d, debug),
  };
}
