/**
 * `health` as pure functions (DESIGN.md "`health`"): window totals from a provider's daily figures,
 * the two rates, the thresholds, the status rules with one finding per reason, the order
 * "healthiest first", and the `--exit-code` status. No I/O here: `health.ts` gathers, this judges.
 *
 * Thresholds are compared as exact fractions (`count × q > base × p` for p/q), so 3 bounces in 100
 * sends is exactly 3 % (not above it) whatever floating point would say.
 */
import type { DailyFigures, DeliveryNotice, DeliveryReport } from '../providers/types.js';
import type { DomainStatus } from '../state/schema.js';

export type HealthStatus = 'healthy' | 'warning' | 'flagged' | 'unknown';

/** A threshold as a fraction p/q, and how people write it. */
export interface Threshold { p: number; q: number; label: string }

export const THRESHOLDS = {
  /** Above this bounce rate: flagged (the "flagged when the bounce rate passes 3 %"). */
  bounceFlagged: { p: 3, q: 100, label: '3 %' },
  /** Above this: warning (SES: "maintain a bounce rate below 2 %"). */
  bounceWarning: { p: 2, q: 100, label: '2 %' },
  /** Above this complaint rate: flagged (SES review, Mailgun and Gmail guidance: 0.1 %). */
  complaintFlagged: { p: 1, q: 1000, label: '0.1 %' },
  /** Above this: warning (Resend's acceptable-use limit: 0.08 %). */
  complaintWarning: { p: 8, q: 10000, label: '0.08 %' },
  /** Rates are judged only from this many messages sent in the window. */
  minSent: 100,
  /** SendGrid reputation: below 70 "may be subject to immediate suspension"; 70–80 "poor". */
  reputationFlagged: 70,
  reputationWarning: 80,
} as const;

export interface HealthFigures {
  sent: number | null;
  delivered: number | null;
  bounces: number | null;
  complaints: number | null;
  /** What complaints are divided by: delivered, or (SES VDM) deliveries to feedback-loop receivers. */
  complaintBase: number | null;
  /** Fractions 0–1 (0.031 = 3.1 %); null when they cannot be computed. */
  bounceRate: number | null;
  complaintRate: number | null;
  scope: 'domain' | 'account';
  /** Where the figures came from (a provider call). */
  source: string | null;
  /** The rates are the provider's own gauges rather than computed from counts (SES CloudWatch). */
  ratesFrom: 'counts' | 'provider';
}

export interface HealthFinding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  hint: string | null;
  /** The figure judged, and the threshold it crossed (fractions for rates). */
  figure?: number | null;
  threshold?: number | null;
}

export type DnsState = DomainStatus | 'unchecked';

export interface Judgement {
  status: HealthStatus;
  figures: HealthFigures | null;
  findings: HealthFinding[];
}

/** Sum of one count over the days; null when the provider did not give it on any day. */
function total(days: DailyFigures[], pick: (d: DailyFigures) => number | null | undefined): number | null {
  let sum: number | null = null;
  for (const d of days) {
    const v = pick(d);
    if (typeof v === 'number' && Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  // No day at all: the provider answered and reported no sending, which is a real zero.
  return days.length === 0 ? 0 : sum;
}

/** Window totals and rates from a provider's report; null when it gave no figure at all. */
export function figuresFrom(report: DeliveryReport): HealthFigures | null {
  const gauges = report.gauges;
  const hasGauge = !!gauges && (gauges.bounceRate !== null || gauges.complaintRate !== null);
  if (!report.daily && !hasGauge) return null;
  const days = report.daily ?? [];
  const unknownCounts = report.daily === null;
  const sent = unknownCounts ? null : total(days, (d) => d.sent);
  const delivered = unknownCounts ? null : total(days, (d) => d.delivered);
  const bounces = unknownCounts ? null : total(days, (d) => d.bounces);
  const complaints = unknownCounts ? null : total(days, (d) => d.complaints);
  const base = unknownCounts ? null : days.some((d) => d.complaintBase !== undefined) ? total(days, (d) => d.complaintBase) : delivered;
  let bounceRate = sent !== null && sent > 0 && bounces !== null ? bounces / sent : null;
  let complaintRate = base !== null && base > 0 && complaints !== null ? complaints / base : null;
  let ratesFrom: HealthFigures['ratesFrom'] = 'counts';
  if (hasGauge) {
    // The provider's own computation is what it enforces on: it wins over ours.
    bounceRate = gauges.bounceRate ?? bounceRate;
    complaintRate = gauges.complaintRate ?? complaintRate;
    ratesFrom = 'provider';
  }
  return { sent, delivered, bounces, complaints, complaintBase: base, bounceRate, complaintRate, scope: report.scope ?? 'account', source: report.source, ratesFrom };
}

/** count/base > p/q, exactly. */
const overFraction = (count: number, base: number, t: Threshold): boolean => count * t.q > base * t.p;
/** A provider's gauge (a float) above p/q. */
const overGauge = (rate: number, t: Threshold): boolean => rate > t.p / t.q + 1e-12;

export const percent = (rate: number | null, digits = 2): string => (rate === null ? '—' : `${(rate * 100).toFixed(digits).replace(/\.?0+$/, '')} %`);

/** What each provider does at higher rates (reputation.md §1.6, §4.3), for the hints. */
const PAUSES: Record<string, { bounce: string; complaint: string }> = {
  ses: { bounce: ' SES reviews the account at 5 % and may pause sending at 10 %.', complaint: ' SES reviews the account at 0.1 % and may pause sending at 0.5 %.' },
  resend: { bounce: ' Resend may pause sending at 4 %.', complaint: ' Resend\'s acceptable-use limit is 0.08 %.' },
  sendgrid: { bounce: ' SendGrid lowers the account reputation as bounces rise.', complaint: ' SendGrid lowers the account reputation with every spam report.' },
  mailgun: { bounce: ' Mailgun disables domains above thresholds it does not publish.', complaint: ' Mailgun asks for less than 0.1 %.' },
};

function rateFindings(f: HealthFigures, provider: string): HealthFinding[] {
  const out: HealthFinding[] = [];
  const judged = f.ratesFrom === 'provider' || (f.sent !== null && f.sent >= THRESHOLDS.minSent);
  if (!judged) {
    const sent = f.sent === null ? 'an unknown number of' : String(f.sent);
    out.push({
      severity: 'info', code: 'LOW_VOLUME',
      message: `${sent} message${f.sent === 1 ? '' : 's'} sent in the window: rates are shown but not judged below ${THRESHOLDS.minSent}.`,
      hint: 'Widen the window with --days (up to 30), or judge again once more mail has gone out.', figure: f.sent, threshold: THRESHOLDS.minSent,
    });
    return out;
  }
  const scope = f.scope === 'account' ? ' (account-wide)' : '';
  const bounce = (t: Threshold): boolean => (f.ratesFrom === 'provider' || f.bounces === null || f.sent === null
    ? f.bounceRate !== null && overGauge(f.bounceRate, t)
    : overFraction(f.bounces, f.sent, t));
  if (bounce(THRESHOLDS.bounceFlagged) || bounce(THRESHOLDS.bounceWarning)) {
    const flagged = bounce(THRESHOLDS.bounceFlagged);
    const t = flagged ? THRESHOLDS.bounceFlagged : THRESHOLDS.bounceWarning;
    out.push({
      severity: flagged ? 'error' : 'warning', code: 'BOUNCE_RATE_HIGH',
      message: `Hard-bounce rate ${percent(f.bounceRate)}${scope} is above ${t.label}${flagged ? ' (flagged)' : ''}.`,
      hint: (flagged
        ? 'Stop sending to addresses that bounced, remove old or bought lists, and send only to recent, confirmed recipients.'
        : 'Clean the list (drop addresses that bounced, confirm new sign-ups) before the rate reaches 3 %.') + (PAUSES[provider]?.bounce ?? ''),
      figure: f.bounceRate, threshold: t.p / t.q,
    });
  }
  const complaint = (t: Threshold): boolean => (f.ratesFrom === 'counts' && f.complaints !== null && f.complaintBase !== null && f.complaintBase > 0
    ? overFraction(f.complaints, f.complaintBase, t)
    : f.complaintRate !== null && overGauge(f.complaintRate, t));
  if (complaint(THRESHOLDS.complaintFlagged) || complaint(THRESHOLDS.complaintWarning)) {
    const flagged = complaint(THRESHOLDS.complaintFlagged);
    const t = flagged ? THRESHOLDS.complaintFlagged : THRESHOLDS.complaintWarning;
    out.push({
      severity: flagged ? 'error' : 'warning', code: 'COMPLAINT_RATE_HIGH',
      message: `Complaint rate ${percent(f.complaintRate, 3)}${scope} is above ${t.label}${flagged ? ' (flagged)' : ''}.`,
      hint: `Send only to people who asked for the mail, make unsubscribing one click (List-Unsubscribe), and slow down to the most engaged recipients; Gmail rejects bulk mail above 0.3 %.${PAUSES[provider]?.complaint ?? ''}`,
      figure: f.complaintRate, threshold: t.p / t.q,
    });
  }
  return out;
}

function verdictFindings(report: DeliveryReport, provider: string): HealthFinding[] {
  const v = report.verdict;
  if (!v) return [];
  const out: HealthFinding[] = [];
  if (v.restriction) {
    out.push({ severity: 'error', code: 'PROVIDER_ENFORCEMENT', message: v.restriction, hint: ENFORCEMENT_HINT[provider] ?? 'Read the provider\'s notice and fix its cause before sending more.' });
  }
  if (v.sandbox === true) {
    out.push({
      severity: 'warning', code: 'PROVIDER_SANDBOX', message: 'The SES account is still in the sandbox: it sends only to verified addresses, within a small daily quota.',
      hint: 'Request production access (SES console → Account dashboard → Request production access).',
    });
  }
  if (v.reputation !== null) {
    const r = v.reputation;
    if (r < THRESHOLDS.reputationFlagged || r < THRESHOLDS.reputationWarning) {
      const flagged = r < THRESHOLDS.reputationFlagged;
      out.push({
        severity: flagged ? 'error' : 'warning', code: 'REPUTATION_LOW',
        message: `SendGrid account reputation ${r} is below ${flagged ? THRESHOLDS.reputationFlagged : THRESHOLDS.reputationWarning}${flagged ? ' (accounts below 70 may be suspended)' : ' (70–80 is "poor")'}.`,
        hint: 'Reputation falls with bounces, blocks and spam reports: clean the list and slow down; it recovers as delivered mail outweighs them.',
        figure: r, threshold: flagged ? THRESHOLDS.reputationFlagged : THRESHOLDS.reputationWarning,
      });
    }
  }
  return out;
}

const ENFORCEMENT_HINT: Record<string, string> = {
  ses: 'Open the SES console (Reputation metrics / Account dashboard), answer the case AWS opened, and fix the cause; sending stays restricted until AWS lifts it.',
  mailgun: 'Read the reason in the Mailgun dashboard (Domains → the domain) and contact Mailgun support once the cause is fixed.',
  sendgrid: 'Contact SendGrid support; fix bounces and spam reports first.',
};

function dnsFindings(dns: DnsState, domain: string): HealthFinding[] {
  if (dns === 'failed') {
    return [{ severity: 'error', code: 'DNS_NOT_VERIFIED', message: `DNS for ${domain} is failed: a record is present but wrong.`, hint: `Run "mailsetup verify ${domain}" for the record and the fix.` }];
  }
  if (dns === 'pending') {
    return [{ severity: 'warning', code: 'DNS_NOT_VERIFIED', message: `DNS for ${domain} is pending: a record is missing or not yet served.`, hint: `Run "mailsetup verify ${domain}" to see which, or "mailsetup autoconfig ${domain}".` }];
  }
  if (dns === 'unknown') {
    return [{ severity: 'warning', code: 'DNS_UNKNOWN', message: `DNS for ${domain} could not be checked in this run.`, hint: 'Check the network and the zone\'s name servers; run again.' }];
  }
  return [];
}

/** The whole judgement of one domain: figures, findings, status. */
export function judge(domain: string, provider: string, report: DeliveryReport, dns: DnsState): Judgement {
  const figures = figuresFrom(report);
  const findings: HealthFinding[] = [];
  findings.push(...verdictFindings(report, provider));
  if (figures) findings.push(...rateFindings(figures, provider));
  findings.push(...dnsFindings(dns, domain));
  for (const n of report.notices) findings.push(noticeFinding(n));
  if (!figures) {
    findings.push({
      severity: 'warning', code: 'FIGURES_UNAVAILABLE', message: `${PROVIDER_NAME[provider] ?? provider} gave no delivery figures for ${domain}: bounce and complaint rates are unknown (shown as null).`,
      hint: report.notices[0]?.hint ?? 'Check the provider\'s permissions for reading statistics.',
    });
  }
  if (figures?.scope === 'account') {
    findings.push({
      severity: 'info', code: 'FIGURES_ACCOUNT_WIDE',
      message: `${PROVIDER_NAME[provider] ?? provider}'s figures here cover the whole account (every sending domain), not ${domain} alone.`,
      hint: provider === 'ses' ? 'Enable Virtual Deliverability Manager for per-identity figures.' : provider === 'sendgrid' ? 'SendGrid has no statistics per sending domain; use a subuser per domain to separate them.' : null,
    });
  }
  const status = statusOf(findings, figures !== null || report.verdict !== null, dns);
  return { status, figures, findings: dedupe(findings) };
}

function noticeFinding(n: DeliveryNotice): HealthFinding {
  return { severity: n.severity, code: n.code, message: n.message, hint: n.hint };
}

function dedupe(findings: HealthFinding[]): HealthFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => (seen.has(f.code + f.message) ? false : (seen.add(f.code + f.message), true)));
}

export const PROVIDER_NAME: Record<string, string> = { ses: 'SES', sendgrid: 'SendGrid', mailgun: 'Mailgun', resend: 'Resend' };

/**
 * flagged (any error) > unknown (nothing could be had, or DNS could not be asked) > warning > healthy.
 * A figure or verdict that could not be had never reads as healthy: it is at least a warning.
 */
export function statusOf(findings: HealthFinding[], anything: boolean, dns: DnsState): HealthStatus {
  if (findings.some((f) => f.severity === 'error')) return 'flagged';
  if (!anything || dns === 'unknown') return 'unknown';
  if (findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'healthy';
}

const RANK: Record<HealthStatus, number> = { healthy: 0, warning: 1, unknown: 2, flagged: 3 };

/** Room left under the flagged thresholds, 1 = no bounces or complaints, ≤ 0 = at or over; -∞ unknown. */
export function headroom(f: HealthFigures | null): number {
  if (!f || (f.bounceRate === null && f.complaintRate === null)) return Number.NEGATIVE_INFINITY;
  const b = f.bounceRate === null ? 1 : 1 - f.bounceRate / (THRESHOLDS.bounceFlagged.p / THRESHOLDS.bounceFlagged.q);
  const c = f.complaintRate === null ? 1 : 1 - f.complaintRate / (THRESHOLDS.complaintFlagged.p / THRESHOLDS.complaintFlagged.q);
  return Math.min(b, c);
}

/** Healthiest first: by status, then most headroom under both thresholds, then name. */
export function healthiestFirst<T extends { domain: string; status: HealthStatus; figures: HealthFigures | null }>(items: T[]): T[] {
  return [...items].sort((a, b) => RANK[a.status] - RANK[b.status] || headroom(b.figures) - headroom(a.figures) || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
}

/** `--exit-code`: 0 healthy, 1 warning, 2 flagged, 69 unknown; the worst over all domains. */
export function healthExitCode(statuses: HealthStatus[]): number {
  const s = new Set(statuses);
  if (s.has('flagged')) return 2;
  if (s.has('unknown')) return 69;
  if (s.has('warning')) return 1;
  return 0;
}
