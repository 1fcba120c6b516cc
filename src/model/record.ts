/**
 * The record model every provider, writer and output speaks (DESIGN.md "Records and statuses").
 * Normalise once, at the adapter boundary: names fully qualified, lower-case, ASCII, no trailing
 * dot; MX priority in `priority`, never in `value`; TXT unquoted and unsplit.
 */
import { domainToASCII } from 'node:url';

export type RecordPurpose =
  | 'dkim' | 'spf' | 'dmarc' | 'mail-from-mx' | 'mail-from-spf' | 'return-path'
  | 'verification' | 'inbound-mx' | 'tracking';
export type RecordType = 'CNAME' | 'TXT' | 'MX';

export interface DnsRecord {
  purpose: RecordPurpose;
  type: RecordType;
  name: string;
  value: string;
  priority: number | null;
  ttl: number | null;
  required: boolean;
  source: 'provider' | 'mailsetup';
}

/** Lower-case, punycode, no trailing dot. */
export function normaliseName(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  const ascii = domainToASCII(n);
  return ascii === '' ? n : ascii;
}

/** A provider may give a name relative to the domain (`send`, `resend._domainkey`): qualify it. */
export function qualify(name: string, domain: string): string {
  const n = normaliseName(name);
  if (n === '@' || n === '') return domain;
  return n === domain || n.endsWith('.' + domain) ? n : `${n}.${domain}`;
}

/** Strip one layer of surrounding quotes and join `"a" "b"` splits the way a zone file would. */
export function unquoteTxt(value: string): string {
  const v = value.trim();
  const parts = v.match(/^"((?:[^"\\]|\\.)*)"(\s+"((?:[^"\\]|\\.)*)")*$/);
  if (!parts) return v;
  return [...v.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1')).join('');
}

export function makeRecord(r: Omit<DnsRecord, 'priority' | 'ttl' | 'required' | 'source'> & Partial<DnsRecord>): DnsRecord {
  const type = r.type;
  const value = type === 'TXT' ? unquoteTxt(r.value) : normaliseName(r.value);
  return {
    purpose: r.purpose,
    type,
    name: normaliseName(r.name),
    value,
    priority: type === 'MX' ? (r.priority ?? 10) : null,
    ttl: r.ttl ?? null,
    required: r.required ?? true,
    source: r.source ?? 'provider',
  };
}
