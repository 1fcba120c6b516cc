/**
 * The verdict for the next DMARC step (DESIGN.md "`reports`", reference §6.4): `ready`, `wait`,
 * `blocked` or `at_target`, with every failed condition a finding that names the source and its
 * figures. The dangerous direction is saying "ready" when the data does not show it, so every
 * doubt (stale reports, no legitimate mail seen, a live record that could not be read) leans to
 * `wait`; spoofing never blocks, since it is what enforcement stops.
 */
import type { DomainAnalysis, Source } from './analyze.js';
import type { PolicyValue } from './model.js';

export interface Thresholds {
  minSpanDays: number;
  minReportDays: number;
  minMessages: number;
  minReporters: number;
  quarantinePassRate: number;
  rejectPassRate: number;
  newSourceDays: number;
  minSourceMessages: number;
  misalignedShare: number;
  quarantineDays: number;
  legitQuarantinedShare: number;
  mailingListShare: number;
  recentDays: number;
  policyDays: number;
  staleDays: number;
}

export const THRESHOLDS: Thresholds = {
  minSpanDays: 28,
  minReportDays: 14,
  minMessages: 100,
  minReporters: 2,
  quarantinePassRate: 0.98,
  rejectPassRate: 0.995,
  newSourceDays: 7,
  minSourceMessages: 10,
  misalignedShare: 0.01,
  quarantineDays: 28,
  legitQuarantinedShare: 0.001,
  mailingListShare: 0.01,
  recentDays: 14,
  policyDays: 3,
  staleDays: 3,
};

export type Verdict = 'ready' | 'wait' | 'blocked' | 'at_target';

export interface ReadinessFinding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  hint: string | null;
  /** The source concerned, when there is one. */
  source?: string;
  check?: string;
}

export interface Readiness {
  current: PolicyValue | null;
  next: PolicyValue | null;
  verdict: Verdict;
  checks: { id: string; ok: boolean; code?: string }[];
  blockers: string[];
  warnings: string[];
  suggestedRecord: string | null;
  /** How to apply it. */
  apply: string[];
  thresholds: Thresholds;
}

interface Ctx {
  thresholds: Thresholds;
  strict: boolean;
  liveKnown: boolean;
  windowEndDay: string;
  stateDomain: string | null;
  stateDmarc: string | null;
}

const pct = (x: number): string => `${(Math.floor(x * 1000) / 10).toFixed(1)} %`;
const addDays = (day: string, n: number): string => new Date(Date.parse(day) + n * 86_400_000).toISOString().slice(0, 10);
const daysBetween = (a: string, b: string): number => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);

function statsSince(s: Source, fromDay: string): { messages: number; dmarcPass: number; quarantined: number } {
  const out = { messages: 0, dmarcPass: 0, quarantined: 0 };
  for (const [day, d] of s.days) if (day >= fromDay) { out.messages += d.messages; out.dmarcPass += d.dmarcPass; out.quarantined += d.quarantined; }
  return out;
}

/** The live policy tag, parsed loosely (the record's audit is `validate`'s job). */
export function policyOf(record: string | null): PolicyValue | null {
  if (!record) return null;
  const m = /(?:^|;)\s*p\s*=\s*(none|quarantine|reject)\s*(?:;|$)/i.exec(record);
  return m ? (m[1]!.toLowerCase() as PolicyValue) : null;
}

/** The owner's record with only `p` changed (and `t` dropped). */
export function withPolicy(record: string, next: PolicyValue): string {
  const tags = record.split(';').map((t) => t.trim()).filter((t) => t !== '');
  const out: string[] = [];
  let replaced = false;
  for (const t of tags) {
    const [k] = t.split('=');
    const key = (k ?? '').trim().toLowerCase();
    if (key === 'p') { out.push(`p=${next}`); replaced = true; } else if (key !== 't') out.push(t);
  }
  if (!replaced) out.splice(1, 0, `p=${next}`);
  return out.join('; ');
}

export function evaluateReadiness(a: DomainAnalysis, ctx: Ctx): { readiness: Readiness; findings: ReadinessFinding[] } {
  const T = ctx.thresholds;
  const findings: ReadinessFinding[] = [];
  const checks: Readiness['checks'] = [];
  const latestReported = a.policy.reported[a.policy.reported.length - 1]?.p ?? null;
  const livePolicy = policyOf(a.policy.live);
  const current: PolicyValue | null = ctx.liveKnown && livePolicy ? livePolicy : latestReported;
  const next: PolicyValue | null = current === 'none' ? 'quarantine' : current === 'quarantine' ? 'reject' : current === 'reject' ? null : null;
  const toReject = current === 'quarantine' || current === 'reject';
  const lastDay = a.window.lastReport ?? ctx.windowEndDay;
  const recentFrom = addDays(lastDay, -(T.recentDays - 1));
  const check = (id: string, ok: boolean, code?: string): void => { checks.push(ok ? { id, ok } : { id, ok, code }); };
  const legit = a.sources.filter((s) => s.class === 'authorized' || s.class === 'misaligned');

  // C1: time.
  const c1 = a.window.spanDays >= T.minSpanDays && a.window.reportDays >= T.minReportDays;
  check('C1', c1, 'DMARC_REPORTS_INSUFFICIENT');
  if (!c1) findings.push({ severity: 'warning', code: 'DMARC_REPORTS_INSUFFICIENT', check: 'C1',
    message: a.window.spanDays < T.minSpanDays
      ? `${a.window.spanDays} of ${T.minSpanDays} days of reports (${a.window.reportDays} days with a report; ${T.minReportDays} needed)`
      : `reports on ${a.window.reportDays} of the ${T.minReportDays} days needed (they span ${a.window.spanDays} days)`,
    hint: 'Keep collecting: RFC 9989 asks for about a month at each step, so monthly senders show up.' });
  // Stale data: the newest report must be recent, or "the last 14 days" describe the past.
  const staleBy = daysBetween(lastDay, ctx.windowEndDay);
  const fresh = staleBy <= T.staleDays;
  check('C1b', fresh, 'DMARC_REPORTS_INSUFFICIENT');
  if (!fresh) findings.push({ severity: 'warning', code: 'DMARC_REPORTS_INSUFFICIENT', check: 'C1b',
    message: `the newest report is ${staleBy} days old (from ${lastDay}); the verdict needs reports up to the last ${T.staleDays} days`,
    hint: 'Point mailsetup reports at the newest rua mail too.' });
  // C2: volume and breadth.
  const legitMessages = legit.reduce((s, x) => s + x.messages, 0);
  const c2 = a.totals.messages >= T.minMessages && a.reporters.length >= T.minReporters && legitMessages > 0;
  check('C2', c2, 'DMARC_REPORTS_INSUFFICIENT');
  if (!c2) {
    const parts: string[] = [];
    if (a.totals.messages < T.minMessages) parts.push(`${a.totals.messages} of ${T.minMessages} messages`);
    if (a.reporters.length < T.minReporters) parts.push(`${a.reporters.length} of ${T.minReporters} reporting organisations`);
    if (legitMessages === 0) parts.push('no legitimate (aligned) mail at all');
    findings.push({ severity: 'warning', code: 'DMARC_REPORTS_INSUFFICIENT', check: 'C2', message: `not enough data: ${parts.join(', ')}`,
      hint: legitMessages === 0 ? 'No source passes DMARC: either the domain sends nothing, or its real mail is not reported yet; do not enforce on that.' : 'One reporter sees one slice of your recipients; wait for more.' });
  }
  // C3: every legitimate source passes. Over the last 14 days when it sent enough there, else over
  // the whole window (a monthly billing run must not escape the check by being quiet lately).
  const rate = toReject ? T.rejectPassRate : T.quarantinePassRate;
  let c3 = true;
  // Sources under the 10-message floor are judged together, so a long tail of small failing
  // senders cannot slip through one by one.
  const small = { messages: 0, dmarcPass: 0, names: [] as string[] };
  for (const s of a.sources.filter((x) => x.class === 'authorized')) {
    const recent = statsSince(s, toReject ? addDays(lastDay, -(T.minSpanDays - 1)) : recentFrom);
    const base = recent.messages >= T.minSourceMessages ? recent : s.messages >= T.minSourceMessages ? { messages: s.messages, dmarcPass: s.dmarcPass } : null;
    if (!base) { small.messages += s.messages; small.dmarcPass += s.dmarcPass; small.names.push(s.name); continue; }
    const r = base.dmarcPass / base.messages;
    if (r >= rate) continue;
    c3 = false;
    const f: ReadinessFinding = { severity: 'error', code: 'DMARC_SOURCE_FAILING', check: 'C3', source: s.id,
      message: `${s.name}: ${pct(r)} of ${base.messages} messages pass DMARC (${pct(rate)} needed for p=${toReject ? 'reject' : 'quarantine'}); ${failingMechanism(s)}`,
      hint: 'Fix this sender first: publish its DKIM key under your domain, or authorise its IPs in SPF with an aligned MAIL FROM.' };
    findings.push(f);
    s.findings.push(f);
  }
  if (small.messages >= T.minSourceMessages && small.dmarcPass / small.messages < rate) {
    c3 = false;
    findings.push({ severity: 'error', code: 'DMARC_SOURCE_FAILING', check: 'C3',
      message: `${small.names.length} small legitimate sources together: ${pct(small.dmarcPass / small.messages)} of ${small.messages} messages pass DMARC (${pct(rate)} needed): ${small.names.slice(0, 5).join(', ')}${small.names.length > 5 ? ', …' : ''}`,
      hint: 'Each sends little, but together they would lose mail under enforcement; fix their DKIM/SPF alignment.' });
  }
  check('C3', c3, 'DMARC_SOURCE_FAILING');
  // C4: real services sending as the domain, authenticated only for themselves.
  let c4 = true;
  const recentTotal = a.sources.reduce((sum, s) => sum + statsSince(s, recentFrom).messages, 0);
  for (const s of a.sources.filter((x) => x.class === 'misaligned')) {
    const recent = statsSince(s, recentFrom);
    const base = recent.messages > 0 ? recent.messages : s.messages;
    const share = recent.messages > 0 ? recent.messages / Math.max(1, recentTotal) : s.messages / Math.max(1, a.totals.messages);
    if (base < T.minSourceMessages && share < T.misalignedShare) continue;
    c4 = false;
    const spf = s.spf.find((x) => !x.aligned && x.domain)?.domain;
    const f: ReadinessFinding = { severity: 'error', code: 'DMARC_SOURCE_MISALIGNED', check: 'C4', source: s.id,
      message: `${s.messages} messages from ${s.name} authenticated as ${s.authenticatedAs ?? '?'}${spf && spf !== s.authenticatedAs ? ` (bounces via ${spf})` : ''}; neither aligns with ${a.domain}`,
      hint: `Set up DKIM for ${a.domain} (or a custom return path) in ${s.name}, or stop sending as ${a.domain} from it.` };
    findings.push(f);
    s.findings.push(f);
  }
  check('C4', c4, 'DMARC_SOURCE_MISALIGNED');
  // C5: a new legitimate source gets a week of reports.
  let c5 = true;
  const newFrom = addDays(lastDay, -(T.newSourceDays - 1));
  for (const s of legit) {
    if (!(s.firstSeen >= newFrom && a.window.firstReport !== null && s.firstSeen > a.window.firstReport)) continue;
    if (s.messages < 1) continue;
    c5 = false;
    const f: ReadinessFinding = { severity: 'warning', code: 'DMARC_SOURCE_NEW', check: 'C5', source: s.id,
      message: `${s.name} first appeared on ${s.firstSeen} (${s.messages} messages, ${pct(s.passRate)} passing); a new sender gets ${T.newSourceDays} days of reports first`,
      hint: `Wait until ${addDays(s.firstSeen, T.newSourceDays)} to see it settle.` };
    findings.push(f);
    s.findings.push(f);
  }
  check('C5', c5, 'DMARC_SOURCE_NEW');
  // C6: the reports show the policy in force.
  const lastPolicies = lastReportDayPolicies(a, T.policyDays);
  const reference = ctx.liveKnown ? livePolicy : latestReported;
  const c6 = lastPolicies.every((p) => p === reference) && reference !== null;
  check('C6', c6, 'DMARC_POLICY_MISMATCH');
  if (!c6) findings.push({ severity: 'info', code: 'DMARC_POLICY_MISMATCH', check: 'C6',
    message: ctx.liveKnown
      ? `the live record says p=${livePolicy ?? '(none)'}, the reports of the last ${T.policyDays} report days say p=${[...new Set(lastPolicies)].join('/')}`
      : `the reports of the last ${T.policyDays} report days disagree on the policy (p=${[...new Set(lastPolicies)].join('/')})`,
    hint: 'A recent change is not reported yet; wait a few days.' });
  if (!ctx.liveKnown) findings.push({ severity: 'info', code: 'DMARC_LIVE_UNCHECKED', check: 'C6',
    message: `the live _dmarc.${a.domain} record was not read; the policy in the newest report (p=${latestReported ?? '?'}) is taken as current`,
    hint: 'Run without --no-dns to compare the reports with the published record.' });

  let r1 = true, r2 = true, r3 = true;
  if (toReject) {
    // R1: a month at quarantine before reject (RFC 9989 §7.4).
    if (current === 'quarantine') {
      const seg = [...a.policy.reported].reverse().find((p) => p.p === 'quarantine');
      const lastSeg = a.policy.reported[a.policy.reported.length - 1];
      const days = seg && lastSeg === seg ? daysBetween(seg.from, seg.to) + 1 : 0;
      r1 = days >= T.quarantineDays;
      check('R1', r1, 'DMARC_QUARANTINE_TOO_SHORT');
      if (!r1) findings.push({ severity: 'warning', code: 'DMARC_QUARANTINE_TOO_SHORT', check: 'R1',
        message: `reports show p=quarantine for ${days} of ${T.quarantineDays} days`,
        hint: 'RFC 9989 asks for as long at quarantine as at none before reject.' });
    }
    // R2: legitimate mail already being quarantined or rejected.
    const legitRecent = legit.map((s) => statsSince(s, recentFrom));
    const lm = legitRecent.reduce((s, x) => s + x.messages, 0);
    const lq = legitRecent.reduce((s, x) => s + x.quarantined, 0);
    r2 = lm === 0 || lq / lm <= T.legitQuarantinedShare;
    check('R2', r2, 'DMARC_LEGIT_QUARANTINED');
    if (!r2) findings.push({ severity: 'error', code: 'DMARC_LEGIT_QUARANTINED', check: 'R2',
      message: `${lq} of ${lm} legitimate messages (${pct(lq / lm)}) were quarantined or rejected in the last ${T.recentDays} days`,
      hint: 'Legitimate mail is being lost already; fix the failing sender before tightening.' });
    // R3: mailing lists and forwarders that break both checks.
    const fwdFail = a.sources.filter((s) => s.class === 'forwarder').reduce((sum, s) => sum + (s.messages - s.dmarcPass), 0);
    r3 = legitMessages === 0 || fwdFail / legitMessages <= T.mailingListShare;
    check('R3', r3, 'DMARC_MAILING_LIST_TRAFFIC');
    if (!r3) findings.push({ severity: 'warning', code: 'DMARC_MAILING_LIST_TRAFFIC', check: 'R3',
      message: `${fwdFail} forwarded or mailing-list messages (${pct(fwdFail / legitMessages)} of legitimate volume) fail both SPF and DKIM; p=reject would bounce them`,
      hint: 'RFC 9989 §7.4: a domain whose users post to mailing lists should not publish p=reject; consider staying at quarantine.' });
  }

  const blockedCodes = new Set(['DMARC_SOURCE_FAILING', 'DMARC_SOURCE_MISALIGNED', 'DMARC_LEGIT_QUARANTINED']);
  if (ctx.strict) blockedCodes.add('DMARC_MAILING_LIST_TRAFFIC');
  const waitCodes = new Set(['DMARC_REPORTS_INSUFFICIENT', 'DMARC_SOURCE_NEW', 'DMARC_QUARANTINE_TOO_SHORT']);
  const failedChecks = checks.filter((c) => !c.ok);
  const blockers = [...new Set(failedChecks.map((c) => c.code!).filter((c) => blockedCodes.has(c)))];
  const waits = [...new Set(failedChecks.map((c) => c.code!).filter((c) => waitCodes.has(c) || c === 'DMARC_POLICY_MISMATCH'))];
  const warnings = [...new Set(findings.filter((f) => f.severity === 'warning' && !blockedCodes.has(f.code) && !waitCodes.has(f.code)).map((f) => f.code))];

  let verdict: Verdict;
  if (current === null) verdict = 'wait';
  // At reject, a failing source is a regression (blocked); "at target" needs the same evidence as a step.
  else if (current === 'reject') verdict = !c3 || !c4 || !r2 ? 'blocked' : waits.includes('DMARC_REPORTS_INSUFFICIENT') ? 'wait' : 'at_target';
  else if (blockers.length > 0) verdict = 'blocked';
  else if (waits.length > 0) verdict = 'wait';
  else verdict = 'ready';
  if (current === null) findings.push({ severity: 'warning', code: 'DMARC_POLICY_MISMATCH', message: 'no report states a valid policy (p=)', hint: null });

  // Spoofing stopped once enforced: shown, never a blocker.
  const spoofed = a.totals.byClass.unauthorized;
  if (spoofed > 0 && current !== 'reject') {
    findings.push({ severity: 'info', code: 'DMARC_SPOOFING_SEEN', message: `${spoofed} messages (${pct(spoofed / Math.max(1, a.totals.messages))}) from unauthorized senders: enforcement is what stops them`, hint: 'If some of them are yours after all, set up DKIM/SPF for them before tightening.' });
  }
  const unidentified = a.totals.byClass.unidentified;
  if (unidentified > 0.05 * a.totals.messages) {
    findings.push({ severity: 'warning', code: 'DMARC_SOURCE_UNIDENTIFIED', message: `${unidentified} messages (${pct(unidentified / Math.max(1, a.totals.messages))}) come with no authentication results at all; their senders cannot be told apart`, hint: 'Check whether any of those networks is yours before tightening.' });
  }

  // RFC 9989 `np`: non-existent subdomains never send, so once enforcing, say so for them too.
  const liveNp = a.policy.live ? /(?:^|;)\s*np\s*=\s*(\w+)/i.exec(a.policy.live)?.[1]?.toLowerCase() ?? null : null;
  const enforcing = current === 'quarantine' || current === 'reject' || (verdict === 'ready' && next !== null);
  if (ctx.liveKnown && a.policy.live && enforcing && liveNp !== 'reject') {
    findings.push({ severity: 'info', code: 'DMARC_NP_RECOMMENDED', message: `_dmarc.${a.domain} has ${liveNp ? `np=${liveNp}` : 'no np tag'}: names that do not exist never send mail`, hint: 'Add np=reject (RFC 9989) so mail from made-up subdomains is rejected too.' });
  }

  let suggestedRecord: string | null = null;
  const apply: string[] = [];
  if (verdict === 'ready' && next) {
    const basis = a.policy.live ?? ctx.stateDmarc;
    if (basis) suggestedRecord = withPolicy(basis, next);
    else {
      const p = a.policy.reported[a.policy.reported.length - 1]!;
      const tags = [`v=DMARC1`, `p=${next}`];
      if (p.sp) tags.push(`sp=${p.sp}`);
      if (p.np) tags.push(`np=${p.np}`);
      if (p.adkim) tags.push(`adkim=${p.adkim}`);
      if (p.aspf) tags.push(`aspf=${p.aspf}`);
      suggestedRecord = tags.join('; ');
      findings.push({ severity: 'info', code: 'DMARC_RECORD_REBUILT', message: 'the suggested record was rebuilt from the reports, which do not carry rua/ruf: keep your rua= tag when you publish it', hint: null });
    }
    if (ctx.stateDomain === a.domain) apply.push(`mailsetup add ${a.domain} --provider ${a.provider ?? "<provider>"} --dmarc ${next}`, `mailsetup autoconfig ${a.domain}`);
    else apply.push(`your DNS host: replace the TXT record at _dmarc.${a.domain} with the one above`);
  }
  return {
    readiness: { current, next, verdict, checks, blockers, warnings, suggestedRecord, apply, thresholds: T },
    findings,
  };
}

function lastReportDayPolicies(a: DomainAnalysis, n: number): (PolicyValue | null)[] {
  const days: { day: string; p: PolicyValue | null }[] = [];
  for (const seg of a.policy.reported) {
    for (let d = seg.from; d <= seg.to; d = addDays(d, 1)) days.push({ day: d, p: seg.p });
  }
  // Only days that had a report: the segments span gaps, so keep the segment boundaries honest.
  return days.slice(-n).map((x) => x.p);
}

function failingMechanism(s: Source): string {
  const dkimFail = s.dkim.filter((d) => d.aligned && d.fail > 0);
  if (dkimFail.length > 0) return `DKIM fails for ${dkimFail.map((d) => `d=${d.domain} s=${d.selector ?? '?'}`).join(', ')} (selector unknown or key wrong)`;
  const spfFail = s.spf.filter((x) => x.fail > 0);
  if (spfFail.length > 0) return `SPF fails for ${spfFail.map((x) => x.domain ?? '(empty)').join(', ')} (sending IP not authorised)`;
  return 'neither SPF nor DKIM aligns with the domain';
}
