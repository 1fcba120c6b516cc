/**
 * TLS-RPT (RFC 8460): the TXT record at `_smtp._tls.<domain>` — `v=TLSRPTv1; rua=<uri>[,<uri>…]`,
 * each URI `mailto:` or `https:`. An absent record is `info` (it is optional); whether its absence
 * under an enforced MTA-STS policy is a warning is decided by the caller, who knows the policy.
 */
import type { Lookup } from '../dns/types.js';
import { isFailure, txtValues } from '../dns/types.js';
import type { CheckResult, Finding } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';

export interface TlsRptDetail { rua: string[] }

/** RFC 8460 §3: `tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]`. */
export function parseTlsRpt(value: string): { rua: string[]; problems: string[] } {
  const problems: string[] = [];
  const fields = value.split(';').map((f) => f.trim());
  if (fields[fields.length - 1] === '') fields.pop();
  if (fields[0] !== 'v=TLSRPTv1') problems.push('the record must start with exactly "v=TLSRPTv1"');
  const rua: string[] = [];
  let ruaSeen = 0;
  for (const field of fields.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})=(.*)$/.exec(field);
    if (!m) { problems.push(`"${field}" is not a name=value field`); continue; }
    if (m[1] !== 'rua') continue; // extension fields are allowed (RFC 8460 §3)
    ruaSeen++;
    for (const raw of m[2]!.split(',')) {
      const uri = raw.trim();
      if (/^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/i.test(uri)) rua.push(uri);
      else if (/^https:\/\/[^\s/]+/i.test(uri)) {
        try { new URL(uri); rua.push(uri); } catch { problems.push(`rua "${uri}" is not a valid https: URL`); }
      } else problems.push(`rua "${uri}" is neither a mailto: address nor an https: URL`);
    }
  }
  if (ruaSeen === 0) problems.push('no rua= field: reports have nowhere to go');
  if (ruaSeen > 1) problems.push('more than one rua= field');
  return { rua, problems };
}

export async function auditTlsRpt(domain: string, lookup: Lookup): Promise<CheckResult> {
  const name = `_smtp._tls.${domain}`;
  const answer = await lookup(name, 'TXT');
  const result = (findings: Finding[], record: string | string[] | null, detail: TlsRptDetail | undefined, none = false): CheckResult =>
    ({ check: 'tls-rpt', status: none ? 'none' : statusFromFindings(findings), name, record, findings, ...(detail ? { detail } : {}) });
  if (isFailure(answer)) {
    return result([{ severity: 'warning', code: 'TLSRPT_UNCHECKED', name, term: null,
      message: `The TXT lookup for ${name} failed (${answer.outcome}), so TLS-RPT could not be checked.`,
      hint: 'Retry later or with another --resolver; this says nothing about whether the record exists.' }], null, undefined, true);
  }
  // RFC 8460 §3: records that do not begin with the version are ignored; more than one → none applies.
  const records = txtValues(answer).filter((v) => /^v=TLSRPTv1(;|\s|$)/i.test(v.trim()));
  if (records.length === 0) {
    return result([{ severity: 'info', code: 'TLSRPT_MISSING', name, term: null,
      message: `No TLS-RPT record at ${name}: sending servers cannot report TLS failures delivering to ${domain}.`,
      hint: `Optional. To receive reports, publish TXT ${name} "v=TLSRPTv1; rua=mailto:tlsrpt@${domain}".` }], null, undefined, true);
  }
  if (records.length > 1) {
    return result([{ severity: 'error', code: 'TLSRPT_SYNTAX', name, term: 'v',
      message: `${records.length} TLS-RPT records at ${name}: senders treat that as none (RFC 8460 §3).`,
      hint: 'Keep one record and merge the rua= addresses into it, comma-separated.' }], records, undefined);
  }
  const parsed = parseTlsRpt(records[0]!);
  const findings: Finding[] = parsed.problems.map((p) => ({ severity: 'error', code: 'TLSRPT_SYNTAX', name, term: null,
    message: `The TLS-RPT record is invalid: ${p}.`,
    hint: `Use the form "v=TLSRPTv1; rua=mailto:tlsrpt@${domain}" (several URIs comma-separated).` }));
  return result(findings, records[0]!, { rua: parsed.rua });
}
