/**
 * Resend's domain object → the record model.
 *
 * Names: Resend answers relative to the *registrable* domain, not to the domain added — for
 * `mail.example.org` it says `send.mail` and `resend._domainkey.mail` — and gives some names fully
 * qualified (tracking hosts). `qualifyResendName` accepts both, and names relative to the added
 * domain too, in case Resend ever switches. TXT values come quoted (`"v=spf1 …"`); `makeRecord`
 * unquotes them. CNAME targets carry a trailing dot; `makeRecord` drops it.
 *
 * Domain status mapping (SDK 6.38 values, plus older ones still seen):
 *   verified                          → verified
 *   not_started, pending              → pending  (created / checking)
 *   partially_verified                → pending  (some records seen, the rest may still propagate)
 *   temporary_failure (SDK ≤ 6.12)    → pending  (a DNS lookup failed; Resend tries again)
 *   failed, partially_failed          → failed   (Resend stopped checking: a record is wrong or
 *                                                 missing past its window; fix DNS, then verify)
 *   anything else                     → pending, raw word kept in `providerState`.
 */
import { isSubdomainOf, organisationalDomain } from '../../model/domain-name.js';
import type { DnsRecord, RecordPurpose } from '../../model/record.js';
import { makeRecord, normaliseName, qualify } from '../../model/record.js';
import type { ProviderIdentity, ProviderStatus } from '../types.js';

export interface ResendRecord {
  record?: string;
  name?: string;
  type?: string;
  value?: string;
  priority?: number | string;
  status?: string;
}

export interface ResendDomainSummary { id: string; name: string; status: string; region: string | null }
export interface ResendDomain extends ResendDomainSummary { records: ResendRecord[] }

export function toStatus(status: string): ProviderStatus {
  switch (status) {
    case 'verified': return 'verified';
    case 'failed':
    case 'partially_failed': return 'failed';
    default: return 'pending';
  }
}

/** Strict ancestors of `domain`, closest first: `a.b.c.d` → `b.c.d`, `c.d`, `d`. */
function ancestors(domain: string): string[] {
  const labels = domain.split('.');
  return labels.slice(1).map((_, i) => labels.slice(i + 1).join('.'));
}

export function qualifyResendName(name: string, domain: string): string {
  const n = normaliseName(name);
  const org = organisationalDomain(domain);
  if (n === '' || n === '@') return domain;
  if (isSubdomainOf(n, domain) || isSubdomainOf(n, org)) return n; // already fully qualified
  // Relative to an ancestor: the registrable domain first (what Resend does), then any other
  // ancestor (a private PSL suffix such as github.io moves the registrable boundary), as long as the
  // result lands inside the domain we added.
  for (const parent of [org, ...ancestors(domain).filter((a) => a !== org)]) {
    const fq = `${n}.${parent}`;
    if (parent !== domain && isSubdomainOf(fq, domain)) return fq;
  }
  return qualify(n, domain); // relative to the domain itself
}

function priorityOf(p: number | string | undefined): number | null {
  const n = typeof p === 'number' ? p : Number.parseInt(p ?? '', 10);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

function purposeOf(kind: string, type: string, name: string): { purpose: RecordPurpose; required: boolean } | null {
  switch (kind) {
    // Resend's "SPF" pair lives on the return-path host (`send.<domain>`): the MAIL FROM domain.
    case 'spf': return type === 'MX' ? { purpose: 'mail-from-mx', required: true } : type === 'TXT' ? { purpose: 'mail-from-spf', required: true } : null;
    case 'dkim': return type === 'TXT' || type === 'CNAME' ? { purpose: 'dkim', required: true } : null;
    case 'receiving': return type === 'MX' ? { purpose: 'inbound-mx', required: false } : null;
    case 'tracking': return type === 'CNAME' ? { purpose: 'tracking', required: false } : null;
    case 'dmarc': return type === 'TXT' ? { purpose: 'dmarc', required: false } : null;
    default:
      // Not in the SDK's list (yet): a TXT at `_dmarc` can only be DMARC; anything else is unknown.
      return type === 'TXT' && name.startsWith('_dmarc.') ? { purpose: 'dmarc', required: false } : null;
  }
}

export function toRecords(d: ResendDomain, debug?: (line: string) => void): DnsRecord[] {
  const domain = normaliseName(d.name);
  const out: DnsRecord[] = [];
  for (const r of d.records) {
    const type = (r.type ?? '').toUpperCase();
    const name = qualifyResendName(r.name ?? '', domain);
    const kind = purposeOf((r.record ?? '').toLowerCase(), type, name);
    // TrackingCAA and unknown kinds: our record model has no CAA, and guessing is worse than skipping.
    if (!kind || !r.value) { debug?.(`resend: skipping ${r.record ?? '?'} ${type} ${name}`); continue; }
    out.push(makeRecord({ ...kind, type: type as DnsRecord['type'], name, value: r.value, priority: type === 'MX' ? priorityOf(r.priority) : null }));
  }
  return out;
}

export function toIdentity(d: ResendDomain, debug?: (line: string) => void): ProviderIdentity {
  return {
    domain: normaliseName(d.name),
    providerId: d.id,
    region: d.region,
    status: toStatus(d.status),
    providerState: d.status,
    records: toRecords(d, debug),
  };
}
