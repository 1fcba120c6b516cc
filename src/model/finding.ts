/**
 * Findings are the contract of `validate`: a stable SCREAMING_SNAKE_CASE code, a severity, the DNS
 * name concerned and, when there is one, the SPF term or DMARC tag. Messages are for humans; tests
 * and users branch on codes.
 */

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  /** The DNS name concerned. */
  name: string;
  /** The SPF term or DMARC/DKIM tag concerned, when there is one. */
  term?: string | null;
  /** One sentence: what to change. */
  hint?: string | null;
}

export type CheckName = 'spf' | 'dkim' | 'dmarc' | 'mx' | 'cname' | 'mta-sts' | 'tls-rpt' | 'dnssec' | 'bimi' | 'smtp';
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'none';

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  /** The DNS name checked (for DKIM: the selector names probed, comma-separated in `name`). */
  name: string;
  /** The record(s) found, verbatim, even when invalid; null when none. */
  record: string | string[] | null;
  findings: Finding[];
  /** Check-specific structured detail (SPF tree, DKIM selectors, MX hosts …). */
  detail?: unknown;
}

/** Finding codes that mean "could not ask", not "found a problem". */
export function isLookupFailure(f: Pick<Finding, 'code'>): boolean {
  return /(_LOOKUP_FAILED|_UNAVAILABLE|_DNS_ERROR|_UNCHECKED|COULD_NOT_CHECK)$/.test(f.code);
}

/** pass / warn / fail from findings; `none` is decided by the caller (nothing could be checked). */
export function statusFromFindings(findings: Finding[]): Exclude<CheckStatus, 'none'> {
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'pass';
}
