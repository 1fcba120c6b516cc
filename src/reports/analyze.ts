/**
 * From parsed reports to the `reports` document: duplicates counted once, the window, per policy
 * domain the sources (named and classed), totals, the policy history, and the readiness verdict
 * (DESIGN.md "`reports`", reference §6.3–6.5). Pure: no I/O, the clock and the live record are
 * given, so tests pin every figure.
 */
import type { AggregateReport, InputFinding, PolicyValue, ReportRecordRow } from './model.js';
import type { ReadResult } from './read.js';
import { nameRecord, organisationalDomain, PROVIDER_NAMES, stateSenders, type Kind, type Naming, type StateSender } from './sources.js';
import type { StateFile } from '../state/schema.js';
import { evaluateReadiness, type Readiness, type ReadinessFinding, THRESHOLDS, type Thresholds } from './readiness.js';

export type SourceClass = 'authorized' | 'misaligned' | 'forwarder' | 'unauthorized' | 'unidentified';
export const CLASSES: readonly SourceClass[] = ['authorized', 'misaligned', 'forwarder', 'unauthorized', 'unidentified'];

const DAY = 86_400;

export interface DayStats { messages: number; dmarcPass: number; quarantined: number }

export interface Source {
  id: string;
  name: string;
  class: SourceClass;
  identifiedBy: string[];
  messages: number;
  dmarcPass: number;
  passRate: number;
  dkimAligned: number;
  spfAligned: number;
  dkim: { domain: string | null; selector: string | null; aligned: boolean; pass: number; fail: number }[];
  spf: { domain: string | null; aligned: boolean; pass: number; fail: number }[];
  ips: { count: number; top: string[] };
  reporters: string[];
  firstSeen: string;
  lastSeen: string;
  authenticatedAs: string | null;
  overrides: Record<string, number>;
  dispositions: Record<string, number>;
  findings: ReadinessFinding[];
  /** Per UTC day (YYYY-MM-DD). Not in the JSON document. */
  days: Map<string, DayStats>;
}

export interface ReportedPolicy {
  p: PolicyValue | null; sp: PolicyValue | null; np: PolicyValue | null; adkim: string | null; aspf: string | null;
  testing: string | null; pct: number | null; from: string; to: string;
}

export interface DomainAnalysis {
  domain: string;
  provider: string | null;
  window: { from: string; to: string; firstReport: string | null; lastReport: string | null; spanDays: number; reportDays: number };
  reporters: { org: string; email: string | null; reports: number; messages: number }[];
  policy: { live: string | null; reported: ReportedPolicy[] };
  totals: {
    messages: number; dmarcPass: number; dkimAligned: number; spfAligned: number;
    dispositions: Record<string, number>; byClass: Record<SourceClass, number>;
  };
  sources: Source[];
  readiness: Readiness;
  findings: ReadinessFinding[];
  /** The reports used (in the window), for --format csv. */
  reports: AggregateReport[];
  /** Per record, its source id (parallel to reports[i].records). */
  recordSources: string[][];
}

export interface ReportsDocument {
  domains: DomainAnalysis[];
  inputs: {
    read: number; reports: number; duplicates: number; outsideWindow: number;
    other: { tlsrpt: number; failure: number };
    rejected: InputFinding[];
  };
  findings: InputFinding[];
  checkedAt: string;
}

export interface AnalyzeOptions {
  now: Date;
  sinceSeconds: number;
  domains?: string[];
  state?: StateFile | null;
  /** Live `_dmarc` TXT per policy domain: string, null (none published), or undefined (not looked up / failed). */
  live?: Map<string, string | null | undefined>;
  thresholds?: Partial<Thresholds>;
  strict?: boolean;
}

export const dayOf = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString().slice(0, 10);

/** The day a report's counts belong to: its midpoint for a report of up to 36 h, else its first day. */
export function reportDay(r: AggregateReport): string {
  const span = Math.max(0, r.end - r.begin);
  return dayOf(span <= 36 * 3600 ? r.begin + Math.floor(span / 2) : r.begin);
}

/** Drop duplicate deliveries: same reporter, report id, domain and range. */
export function dedupe(reports: AggregateReport[]): { kept: AggregateReport[]; findings: InputFinding[]; duplicates: number } {
  const byKey = new Map<string, number>();
  const kept: (AggregateReport | null)[] = [];
  const findings: InputFinding[] = [];
  let duplicates = 0;
  for (const r of reports) {
    const key = JSON.stringify([(r.org || r.email || '').toLowerCase(), r.reportId, r.policy.domain, r.begin, r.end]);
    const at = byKey.get(key);
    if (at === undefined) { byKey.set(key, kept.length); kept.push(r); continue; }
    duplicates++;
    const first = kept[at]!;
    if (first.digest === r.digest) {
      findings.push({ severity: 'info', code: 'REPORT_DUPLICATE', input: r.input, message: `the same report as ${first.input} (${r.org}, id ${r.reportId}); counted once`, hint: null });
    } else {
      findings.push({ severity: 'warning', code: 'REPORT_DUPLICATE', input: r.input, message: `same reporter, report id, domain and range as ${first.input}, but different content; the later copy is used`, hint: null });
      kept[at] = r;
    }
  }
  return { kept: kept.filter((r): r is AggregateReport => r !== null), findings, duplicates };
}

interface Acc {
  id: string; name: string; kind: Kind; identifiedBy: Set<string>; authenticatedAs: string | null; known: boolean;
  messages: number; dmarcPass: number; dkimAligned: number; spfAligned: number;
  dkim: Map<string, Source['dkim'][number]>; spf: Map<string, Source['spf'][number]>;
  ips: Map<string, number>; reporters: Set<string>; reporterDays: Set<string>; days: Map<string, DayStats>;
  overrides: Record<string, number>; dispositions: Record<string, number>;
}

export function analyze(read: ReadResult, options: AnalyzeOptions): ReportsDocument {
  const thresholds = { ...THRESHOLDS, ...options.thresholds };
  const { kept, findings: dupFindings, duplicates } = dedupe(read.reports);
  const windowEnd = Math.floor(options.now.getTime() / 1000);
  const windowStart = windowEnd - options.sinceSeconds;
  const wanted = options.domains?.map((d) => d.toLowerCase().replace(/\.$/, ''));
  let outsideWindow = 0;
  const byDomain = new Map<string, AggregateReport[]>();
  for (const r of kept) {
    if (wanted && !wanted.includes(r.policy.domain)) continue;
    if (r.end < windowStart || r.begin > windowEnd) { outsideWindow++; continue; }
    const list = byDomain.get(r.policy.domain) ?? [];
    list.push(r);
    byDomain.set(r.policy.domain, list);
  }
  const senders = stateSenders(options.state ?? null);
  const domains = [...byDomain.keys()].sort().map((d) => analyzeDomain(d, byDomain.get(d)!, senders, options, thresholds, windowStart, windowEnd));
  const findings = [...read.findings, ...dupFindings];
  return {
    domains,
    inputs: {
      read: read.read,
      reports: read.reports.length,
      duplicates,
      outsideWindow,
      other: read.other,
      rejected: read.findings.filter((f) => f.severity === 'error' || (f.severity === 'warning' && f.code !== 'REPORT_SCHEMA_DEVIATION')),
    },
    findings,
    checkedAt: options.now.toISOString(),
  };
}

function analyzeDomain(
  domain: string, reports: AggregateReport[], allSenders: StateSender[], options: AnalyzeOptions, thresholds: Thresholds,
  windowStart: number, windowEnd: number,
): DomainAnalysis {
  reports.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const org = organisationalDomain(domain);
  const senders = allSenders.filter((s) => organisationalDomain(s.domain) === org)
    // The sender at the policy domain itself first, then the deeper ones.
    .sort((a, b) => (a.domain === domain ? -1 : b.domain === domain ? 1 : a.domain.localeCompare(b.domain)));
  const accs = new Map<string, Acc>();
  const reporters = new Map<string, { org: string; email: string | null; reports: number; messages: number }>();
  const reportDays = new Set<string>();
  const dispositions: Record<string, number> = { none: 0, pass: 0, quarantine: 0, reject: 0 };
  const recordSources: string[][] = [];
  const policyByDay = new Map<string, ReportedPolicy>();
  let messages = 0, dmarcPass = 0, dkimAligned = 0, spfAligned = 0;

  // Failing rows from an IP that also sends passing mail for a legitimate source belong to that
  // source: its failures must count against it, not vanish into "spoofing".
  const namings = reports.map((r) => r.records.map((rec) => nameRecord(rec, domain, senders)));
  const legitByIp = new Map<string, Naming>();
  reports.forEach((r, i) => r.records.forEach((rec, j) => {
    const n = namings[i]![j]!;
    if ((n.kind === 'state' || n.kind === 'aligned') && (rec.dkim === 'pass' || rec.spf === 'pass') && !legitByIp.has(rec.sourceIp)) legitByIp.set(rec.sourceIp, n);
  }));
  reports.forEach((r, i) => r.records.forEach((rec, j) => {
    const n = namings[i]![j]!;
    const owner = legitByIp.get(rec.sourceIp);
    if (owner && (n.kind === 'unauth' || n.kind === 'unidentified')) namings[i]![j] = { ...owner, identifiedBy: ['same-ip'] };
  }));

  for (const [ri, r] of reports.entries()) {
    const day = reportDay(r);
    reportDays.add(day);
    const reporterKey = r.org.toLowerCase();
    const rep = reporters.get(reporterKey) ?? { org: r.org, email: r.email, reports: 0, messages: 0 };
    rep.reports++;
    reporters.set(reporterKey, rep);
    const pp = r.policy;
    policyByDay.set(day, { p: pp.p, sp: pp.sp, np: pp.np, adkim: pp.adkim, aspf: pp.aspf, testing: pp.testing, pct: pp.pct, from: day, to: day });
    const ids: string[] = [];
    for (const [j, rec] of r.records.entries()) {
      const n = namings[ri]![j]!;
      ids.push(n.key);
      const a = accs.get(n.key) ?? newAcc(n.key, n.name, n.kind, n.authenticatedAs, n.known);
      for (const by of n.identifiedBy) a.identifiedBy.add(by);
      accs.set(n.key, a);
      addRecord(a, rec, domain, day, rep.org);
      rep.messages += rec.count;
      messages += rec.count;
      const pass = rec.dkim === 'pass' || rec.spf === 'pass';
      if (pass) dmarcPass += rec.count;
      if (rec.dkim === 'pass') dkimAligned += rec.count;
      if (rec.spf === 'pass') spfAligned += rec.count;
      dispositions[rec.disposition ?? 'none'] = (dispositions[rec.disposition ?? 'none'] ?? 0) + rec.count;
    }
    recordSources.push(ids);
  }

  const sorted = [...reportDays].sort();
  const firstReport = sorted[0] ?? null;
  const lastReport = sorted[sorted.length - 1] ?? null;
  const spanDays = firstReport && lastReport ? Math.round((Date.parse(lastReport) - Date.parse(firstReport)) / 86_400_000) + 1 : 0;

  const sources = [...accs.values()].map((a) => toSource(a, messages)).sort((x, y) => y.messages - x.messages || x.name.localeCompare(y.name));
  const byClass = Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<SourceClass, number>;
  for (const s of sources) byClass[s.class] += s.messages;

  // The reported policy as segments of consecutive report days with the same values.
  const reported: ReportedPolicy[] = [];
  for (const day of sorted) {
    const p = policyByDay.get(day)!;
    const last = reported[reported.length - 1];
    if (last && last.p === p.p && last.sp === p.sp && last.np === p.np && last.adkim === p.adkim && last.aspf === p.aspf && last.testing === p.testing && last.pct === p.pct) last.to = day;
    else reported.push({ ...p });
  }

  const live = options.live?.get(domain);
  const stateAtDomain = senders.find((s) => s.domain === domain) ?? null;
  const analysis: DomainAnalysis = {
    domain,
    provider: stateAtDomain?.provider ?? null,
    window: { from: new Date(windowStart * 1000).toISOString(), to: new Date(windowEnd * 1000).toISOString(), firstReport, lastReport, spanDays, reportDays: sorted.length },
    reporters: [...reporters.values()].sort((a, b) => b.messages - a.messages || a.org.localeCompare(b.org)),
    policy: { live: live ?? null, reported },
    totals: { messages, dmarcPass, dkimAligned, spfAligned, dispositions, byClass },
    sources,
    readiness: undefined as unknown as Readiness,
    findings: [],
    reports,
    recordSources,
  };
  const { readiness, findings } = evaluateReadiness(analysis, {
    thresholds, strict: !!options.strict, liveKnown: live !== undefined, windowEndDay: dayOf(windowEnd),
    stateDomain: stateAtDomain ? stateAtDomain.domain : null, stateDmarc: stateAtDomain?.dmarc ?? null,
  });
  analysis.readiness = readiness;
  analysis.findings = findings;
  return analysis;
}

function newAcc(id: string, name: string, kind: Kind, authenticatedAs: string | null, known: boolean): Acc {
  return {
    id, name, kind, identifiedBy: new Set(), authenticatedAs, known, messages: 0, dmarcPass: 0, dkimAligned: 0, spfAligned: 0,
    dkim: new Map(), spf: new Map(), ips: new Map(), reporters: new Set(), reporterDays: new Set(), days: new Map(),
    overrides: {}, dispositions: { none: 0, pass: 0, quarantine: 0, reject: 0 },
  };
}

function addRecord(a: Acc, rec: ReportRecordRow, domain: string, day: string, reporter: string): void {
  const org = organisationalDomain(domain);
  const alignedTo = (d: string | null): boolean => !!d && organisationalDomain(d) === org;
  const n = rec.count;
  const pass = rec.dkim === 'pass' || rec.spf === 'pass';
  a.messages += n;
  if (pass) a.dmarcPass += n;
  if (rec.dkim === 'pass') a.dkimAligned += n;
  if (rec.spf === 'pass') a.spfAligned += n;
  for (const d of rec.authDkim) {
    const k = `${d.domain}/${d.selector}`;
    const e = a.dkim.get(k) ?? { domain: d.domain, selector: d.selector, aligned: alignedTo(d.domain), pass: 0, fail: 0 };
    if (d.result === 'pass') e.pass += n; else e.fail += n;
    a.dkim.set(k, e);
  }
  for (const s of rec.authSpf) {
    const k = String(s.domain);
    const e = a.spf.get(k) ?? { domain: s.domain, aligned: alignedTo(s.domain), pass: 0, fail: 0 };
    if (s.result === 'pass') e.pass += n; else e.fail += n;
    a.spf.set(k, e);
  }
  a.ips.set(rec.sourceIp, (a.ips.get(rec.sourceIp) ?? 0) + n);
  a.reporters.add(reporter);
  a.reporterDays.add(`${reporter}|${day}`);
  const ds = a.days.get(day) ?? { messages: 0, dmarcPass: 0, quarantined: 0 };
  ds.messages += n;
  if (pass) ds.dmarcPass += n;
  if (rec.disposition === 'quarantine' || rec.disposition === 'reject') ds.quarantined += n;
  a.days.set(day, ds);
  for (const r of rec.reasons) if (r.type) a.overrides[r.type] = (a.overrides[r.type] ?? 0) + n;
  const disp = rec.disposition ?? 'none';
  a.dispositions[disp] = (a.dispositions[disp] ?? 0) + n;
}

/**
 * The class (reference §6.3). Authenticated-elsewhere traffic is a real misaligned service only with
 * evidence — the service table (or the provider in state), or the same pairing on ≥ 3 days from ≥ 2
 * reporters — or every spammer passing SPF for their own domain would block enforcement.
 */
function classify(a: Acc): SourceClass {
  switch (a.kind) {
    case 'state': return 'authorized';
    case 'aligned': return a.dmarcPass > 0 ? 'authorized' : 'unauthorized';
    case 'forwarder': return 'forwarder';
    case 'unidentified': return 'unidentified';
    case 'unauth': return 'unauthorized';
    case 'other-auth': {
      if (a.dmarcPass > 0) return 'authorized';
      const days = new Set([...a.reporterDays].map((x) => x.split('|')[1]));
      return a.known || (days.size >= 3 && a.reporters.size >= 2) ? 'misaligned' : 'unauthorized';
    }
  }
}

function toSource(a: Acc, total: number): Source {
  void total;
  const days = [...a.days.keys()].sort();
  const cls = classify(a);
  const identifiedBy = [...a.identifiedBy];
  if (a.kind === 'other-auth' && cls === 'misaligned' && !a.known) identifiedBy.push('recurring');
  return {
    id: a.id,
    name: a.name,
    class: cls,
    identifiedBy,
    messages: a.messages,
    dmarcPass: a.dmarcPass,
    passRate: a.messages === 0 ? 0 : round4(a.dmarcPass / a.messages),
    dkimAligned: a.dkimAligned,
    spfAligned: a.spfAligned,
    dkim: [...a.dkim.values()].sort((x, y) => y.pass + y.fail - (x.pass + x.fail)).slice(0, 20),
    spf: [...a.spf.values()].sort((x, y) => y.pass + y.fail - (x.pass + x.fail)).slice(0, 20),
    ips: { count: a.ips.size, top: [...a.ips.entries()].sort((x, y) => y[1] - x[1]).slice(0, 5).map(([ip]) => ip) },
    reporters: [...a.reporters].sort(),
    firstSeen: days[0]!,
    lastSeen: days[days.length - 1]!,
    authenticatedAs: a.authenticatedAs,
    overrides: a.overrides,
    dispositions: a.dispositions,
    findings: [],
    days: a.days,
  };
}

export const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
export { PROVIDER_NAMES };
