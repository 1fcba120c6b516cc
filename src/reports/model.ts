/**
 * The typed model of a DMARC aggregate report (RFC 7489 Appendix C ∪ the pre-RFC draft ∪ RFC 9990
 * Appendix A), and of what reading an input produced. Every field a real reporter has been seen to
 * leave out is optional here (see shared/reference/dmarc-reports.md §1.4); only `source_ip` and
 * `count` are required of a record.
 */

export type ReportSeverity = 'error' | 'warning' | 'info';

/** A finding about an input (not about a domain's readiness). */
export interface InputFinding {
  severity: ReportSeverity;
  code: string;
  /** Which input: a path, `path#entry`, `-` (stdin), `mbox#3` … */
  input: string;
  message: string;
  hint?: string | null;
}

export type Disposition = 'none' | 'quarantine' | 'reject' | 'pass';
export type PolicyValue = 'none' | 'quarantine' | 'reject';

export interface DkimAuth {
  domain: string | null;
  selector: string | null;
  /** Lower-case: pass, fail, none, neutral, policy, temperror, permerror, or what the reporter wrote. */
  result: string | null;
  humanResult: string | null;
}

export interface SpfAuth {
  domain: string | null;
  scope: string | null;
  result: string | null;
}

export interface ReportRecordRow {
  sourceIp: string;
  count: number;
  disposition: Disposition | null;
  /** policy_evaluated: the DMARC-aligned results. */
  dkim: 'pass' | 'fail' | null;
  spf: 'pass' | 'fail' | null;
  reasons: { type: string; comment: string | null }[];
  headerFrom: string | null;
  envelopeFrom: string | null;
  envelopeTo: string | null;
  authDkim: DkimAuth[];
  authSpf: SpfAuth[];
}

export interface PublishedPolicy {
  domain: string;
  p: PolicyValue | null;
  sp: PolicyValue | null;
  np: PolicyValue | null;
  adkim: 'r' | 's' | null;
  aspf: 'r' | 's' | null;
  pct: number | null;
  fo: string | null;
  testing: 'y' | 'n' | null;
  discoveryMethod: string | null;
}

export interface AggregateReport {
  /** rfc9990 (its namespace, or a 9990-only field such as np, testing, generator), else rfc7489. */
  schema: 'rfc7489' | 'rfc9990';
  namespace: string | null;
  version: string | null;
  org: string;
  email: string | null;
  reportId: string;
  /** Epoch seconds (decimals dropped). */
  begin: number;
  end: number;
  errors: string[];
  generator: string | null;
  policy: PublishedPolicy;
  records: ReportRecordRow[];
  /** Schema deviations noticed while reading (missing required elements, upper case, …). */
  deviations: string[];
  /** Where it came from. */
  input: string;
  /** A digest of the normalised report, to tell an identical re-delivery from a changed one. */
  digest: string;
}
