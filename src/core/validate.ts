/**
 * `validate`: audit whatever is live for a domain — SPF, DKIM, DMARC, MX, CNAME, MTA-STS, TLS-RPT, DNSSEC, BIMI — through one
 * memoised Lookup. No state, no credentials. Returns plain data; rendering is elsewhere.
 */
import type { Identity } from '../model/domain-name.js';
import { organisationalDomain, isSubdomainOf } from '../model/domain-name.js';
import type { CheckResult, Finding } from '../model/finding.js';
import { isLookupFailure } from '../model/finding.js';
import type { Lookup } from '../dns/types.js';
import type { DnsEngine } from '../dns/engine.js';
import { auditSpf, guessProviders } from '../validators/spf/audit.js';
import { auditDmarc } from '../validators/dmarc.js';
import { auditDkim } from '../validators/dkim.js';
import { auditMx } from '../validators/mx.js';
import { auditCname } from '../validators/cname.js';
import { auditTlsRpt } from '../validators/tls-rpt.js';
import { auditBimi } from '../validators/bimi.js';
import { auditDnssec } from '../validators/dnssec.js';
import { auditSmtp } from '../validators/smtp.js';
import { discoverDmarcbis, orgDomainDiffers, type DmarcbisDiscovery } from '../validators/dmarc-discovery.js';
import type { DmarcDetail } from '../validators/dmarc.js';
import { auditMtaSts, type MtaStsDetail } from '../validators/mta-sts.js';
import type { MxDetail } from '../validators/mx.js';
import { checkHost, type SpfEvaluation } from '../validators/spf/evaluate.js';
import { findMisplaced, isQuoted, quotedFinding } from '../validators/diagnose.js';
import { statusFromFindings } from '../model/finding.js';
import { txtValues } from '../dns/types.js';
import { EXIT } from '../errors.js';

export interface ValidateOptions {
  /** With `problem` set (only with `--ip`): a domain that cannot be a DNS name, evaluated as given. */
  identity: Identity & { problem?: string | null };
  selectors?: string[];
  /** `--ip`: also run SPF check_host() for this client address (`--helo`: the HELO name, default the domain). */
  ip?: string;
  helo?: string;
}

/** `validate --ip`: the check_host() result with what it was asked about. */
export interface SpfEvaluationReport extends SpfEvaluation {
  ip: string;
  domain: string;
  sender: string;
  helo: string;
}

export interface ValidateReport {
  domain: string;
  email: string | null;
  organisationalDomain: string;
  checks: CheckResult[];
  /** The sending provider guessed from SPF includes and DKIM targets (first of `providers`). */
  provider: string | null;
  providers: string[];
  /** True when no check could be made at all (every lookup failed). */
  unreachable: boolean;
  dns: { servers: string[]; questions: number; asked: number };
  /** Present with `--ip`. */
  spf?: SpfEvaluationReport;
}

export interface ValidateDeps {
  dns: DnsEngine;
  resolvers: string[];
  authoritative: string[];
  /** Network timeout for HTTPS fetches and SMTP conversations (`--timeout`; default: the DNS engine's). */
  timeoutMs?: number;
  /** `--smtp`: also talk to each MX host on port 25. */
  smtp?: boolean;
}

/**
 * Names in the audited organisational domain go to `--authoritative` servers when given (RD=0);
 * everything else (provider includes, report destinations) to the recursive resolvers.
 */
export function validateLookup(domain: string, deps: ValidateDeps): Lookup {
  const viaResolvers = deps.dns.lookupVia(deps.resolvers, true);
  if (deps.authoritative.length === 0) return viaResolvers;
  // Following CNAME targets the authoritative servers do not serve through the resolvers.
  const viaAuth = deps.dns.authoritativeVia(deps.authoritative, deps.resolvers);
  const org = organisationalDomain(domain);
  return (name, type) => (isSubdomainOf(name, org) ? viaAuth(name, type) : viaResolvers(name, type));
}

/** The hosts mail to the domain goes to (every MX, not only the 10 looked up); none for a null MX. */
function mxHostsOf(mx: CheckResult): string[] {
  const d = mx.detail as MxDetail | undefined;
  if (!d || d.nullMx) return [];
  return [...new Set(d.deliverTo.map((x) => x.host).filter((h) => h !== '' && h !== '.'))];
}

export { isLookupFailure } from '../model/finding.js';

export async function runValidate(opts: ValidateOptions, deps: ValidateDeps): Promise<ValidateReport> {
  const domain = opts.identity.domain;
  const dnsSummary = () => ({ servers: deps.authoritative.length > 0 ? [...deps.authoritative, ...deps.resolvers] : deps.resolvers, questions: deps.dns.sent, asked: deps.dns.asked });
  if (opts.identity.problem && opts.ip) {
    // A malformed domain has no records to audit; check_host() says `none` for it, with the reason in its trace.
    // One error finding says so, so that no output reads as "all checks pass".
    const spf = await evaluateSpf(opts, deps);
    const finding: Finding = {
      severity: 'error', code: 'SPF_DOMAIN_INVALID', name: domain, term: null,
      message: `"${domain}" is not a usable domain name (${opts.identity.problem}): receivers evaluate SPF for it as none, and nothing else was checked.`,
      hint: 'Check a fully qualified domain name such as example.com.',
    };
    const check: CheckResult = { check: 'spf', status: 'none', name: domain, record: null, findings: [finding] };
    return { domain, email: opts.identity.email, organisationalDomain: domain, checks: [check], provider: null, providers: [], unreachable: false, spf, dns: dnsSummary() };
  }
  const lookup = validateLookup(domain, deps);
  const dkimOpts = opts.selectors && opts.selectors.length > 0 ? { selectors: opts.selectors } : {};
  const evaluation = opts.ip ? evaluateSpf(opts, deps) : undefined;
  const mxAudit = auditMx(domain, lookup);
  const netTimeoutMs = deps.timeoutMs ?? deps.dns.timeoutMs;
  // MTA-STS needs the MX hosts to check its patterns against; its record and policy are fetched meanwhile.
  const mtaStsAudit = auditMtaSts(domain, lookup, { timeoutMs: netTimeoutMs, mxHosts: mxAudit.then(mxHostsOf) });
  // --smtp: each MX host's STARTTLS, judged strictly when MTA-STS enforces it.
  const smtpAudit = deps.smtp
    ? mxAudit.then((m) => auditSmtp(m, { timeoutMs: netTimeoutMs, enforced: mtaStsAudit.then((s) => (s.detail as MtaStsDetail | undefined)?.policy?.mode === 'enforce') }))
    : Promise.resolve(null);
  const dnssecAudit = auditDnssec(domain, organisationalDomain(domain), {
    validating: deps.dns.lookupVia(deps.resolvers, true, { dnssecOk: true }),
    unchecked: deps.dns.lookupVia(deps.resolvers, true, { dnssecOk: true, checkingDisabled: true }),
  });
  const dmarcAudit = auditDmarc(domain, lookup);
  // RFC 9989's walk beside RFC 7489's answer: the same memoised lookup, so shared questions are asked once.
  const dmarcbis = discoverDmarcbis(domain, lookup);
  const bimiAudit = auditBimi(domain, lookup, { timeoutMs: netTimeoutMs, dmarc: dmarcAudit });
  const [spf, dmarc, dkim, mx, tlsRpt, mtaSts, bimi, dnssec, smtp] = await Promise.all([
    auditSpf(domain, lookup),
    dmarcAudit,
    auditDkim(domain, lookup, dkimOpts),
    mxAudit,
    auditTlsRpt(domain, lookup),
    mtaStsAudit,
    bimiAudit,
    dnssecAudit,
    smtpAudit,
  ]);
  const bis = await dmarcbis;
  const dmarcDetail = dmarc.detail as (DmarcDetail & { dmarcbis?: DmarcbisDiscovery }) | undefined;
  if (dmarcDetail && dmarc.status !== 'none') {
    dmarcDetail.dmarcbis = bis;
    const differs = orgDomainDiffers(domain, dmarcDetail.organisationalDomain, dmarcDetail.recordAt, bis);
    if (differs) dmarc.findings.push(differs);
  }
  // RFC 8460 is optional, but under an enforced MTA-STS policy its reports are how failures are seen.
  const stsMode = (mtaSts.detail as MtaStsDetail | undefined)?.policy?.mode;
  const tlsRptMissing = tlsRpt.findings.find((f) => f.code === 'TLSRPT_MISSING');
  if (tlsRptMissing && stsMode === 'enforce') {
    tlsRptMissing.severity = 'warning';
    tlsRptMissing.message += ' MTA-STS is in enforce mode: without reports, mail refused for a TLS problem goes unnoticed.';
    tlsRpt.status = 'warn';
  }
  // CNAME checks reuse the names the other checks touched; the memo answers most questions.
  const dkimNames = ((dkim.detail as { selectors?: Array<{ name: string; found: boolean }> } | undefined)?.selectors ?? [])
    .filter((s) => s.found).map((s) => s.name);
  const cname = await auditCname([domain, `_dmarc.${domain}`, ...dkimNames], lookup);
  const checks = [spf, dkim, dmarc, mx, cname, mtaSts, tlsRpt, dnssec, bimi, ...(smtp ? [smtp] : [])];
  await addPlacementDiagnoses(checks, domain, opts.selectors ?? [], lookup);

  const providers = new Set<string>();
  const spfTree = (spf.detail as { tree?: unknown } | undefined)?.tree;
  if (spfTree) for (const p of guessProviders(spfTree as never)) providers.add(p);
  for (const s of (dkim.detail as { selectors?: Array<{ provider?: string | null }> } | undefined)?.selectors ?? []) {
    if (s.provider) providers.add(s.provider);
  }
  const unreachable = checks.every((c) => c.status === 'none') && checks.some((c) => c.findings.some(isLookupFailure));
  return {
    domain,
    email: opts.identity.email,
    organisationalDomain: organisationalDomain(domain),
    checks,
    provider: [...providers][0] ?? null,
    providers: [...providers],
    unreachable,
    ...(evaluation ? { spf: await evaluation } : {}),
    dns: dnsSummary(),
  };
}

/**
 * check_host() as a receiver runs it: through the recursive resolvers only (DESIGN.md), on the same
 * memoised engine as the audit, so questions both need are asked once.
 */
async function evaluateSpf(opts: ValidateOptions, deps: ValidateDeps): Promise<SpfEvaluationReport> {
  const domain = opts.identity.domain;
  const sender = opts.identity.email ?? `postmaster@${domain}`;
  const helo = opts.helo ?? domain;
  const result = await checkHost(opts.ip!, domain, sender, deps.dns.lookupVia(deps.resolvers, true), { helo });
  return { ip: opts.ip!, domain, sender, helo, ...result };
}

function addFinding(check: CheckResult, f: Finding): void {
  if (check.findings.some((x) => x.code === f.code && x.name === f.name)) return;
  check.findings.push(f);
  check.status = statusFromFindings(check.findings);
}

/**
 * Diagnoses that need a look beyond the expected name: a DMARC or DKIM value pasted with its quotes,
 * and records that are missing because they were published at a misplaced name. Only asked when
 * the expected record was not found, so a healthy domain costs no extra questions.
 */
async function addPlacementDiagnoses(checks: CheckResult[], domain: string, selectors: string[], lookup: Lookup): Promise<void> {
  const zone = organisationalDomain(domain);
  const byName = (n: string) => checks.find((c) => c.check === n)!;
  const has = (c: CheckResult, code: string) => c.findings.some((f) => f.code === code);
  const tasks: Array<Promise<void>> = [];

  const dmarc = byName('dmarc');
  tasks.push((async () => {
    const name = `_dmarc.${domain}`;
    for (const v of txtValues(await lookup(name, 'TXT'))) {
      if (isQuoted(v) && /^"\s*v=DMARC1/i.test(v.trim())) addFinding(dmarc, quotedFinding(name, v, 'DMARC record'));
    }
    if (has(dmarc, 'DMARC_MISSING')) {
      const f = await findMisplaced(name, domain, zone, 'TXT', lookup, (vs) => vs.some((x) => /^v=DMARC1/i.test(x)), 'DMARC record');
      if (f) {
        addFinding(dmarc, f);
        // The owner's record exists, misplaced: moving it is the fix, not a new (maybe weaker) p=none.
        const missing = dmarc.findings.find((x) => x.code === 'DMARC_MISSING')!;
        missing.hint = f.hint;
      }
    }
  })());

  const spf = byName('spf');
  if (has(spf, 'SPF_MISSING')) {
    tasks.push(findMisplaced(domain, domain, zone, 'TXT', lookup, (vs) => vs.some((x) => /^v=spf1( |$)/i.test(x)), 'SPF record')
      .then((f) => { if (f) addFinding(spf, f); }));
  }

  const dkim = byName('dkim');
  for (const selector of selectors) {
    const name = `${selector}._domainkey.${domain}`;
    tasks.push((async () => {
      const answer = await lookup(name, 'TXT');
      for (const v of txtValues(answer)) {
        if (isQuoted(v) && /^"\s*(v=DKIM1|k=|p=)/i.test(v.trim())) addFinding(dkim, quotedFinding(name, v, 'DKIM key'));
      }
      if (answer.outcome === 'nxdomain' || (answer.outcome === 'nodata' && answer.cnames.length === 0)) {
        const f = await findMisplaced(name, domain, zone, 'TXT', lookup, (vs) => vs.some((x) => /(^|;)\s*p=/.test(x)), 'DKIM key');
        if (f) addFinding(dkim, f);
      }
    })());
  }
  await Promise.all(tasks);
}

/**
 * `validate --exit-code`: 2 when any finding is an error, else 0. With `--ip` the question asked is
 * whether this client may send: 0 only on `pass` with no error finding, 69 on `temperror` (DNS could
 * not answer, so nothing was decided), 2 for every other result (DESIGN.md "SPF evaluation").
 */
export function validateExitCode(report: ValidateReport): number {
  const errors = report.checks.some((c) => c.findings.some((f) => f.severity === 'error'));
  if (report.spf) {
    if (report.spf.result === 'temperror') return EXIT.UNAVAILABLE;
    return report.spf.result === 'pass' && !errors ? EXIT.OK : EXIT.FAILED;
  }
  return errors ? EXIT.FAILED : EXIT.OK;
}
