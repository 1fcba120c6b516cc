/**
 * `health`: per domain, the provider's delivery figures and verdict (one adapter per provider and
 * region, so account-wide calls are made once), DNS checked as `verify --no-provider` does, judged
 * by `health-rules.ts`; then one snapshot per domain per UTC day in the state file.
 */
import { EXIT, MailsetupError } from '../errors.js';
import { healthWindow } from '../providers/window.js';
import type { DeliveryReport, DeliveryWindow, EmailProvider } from '../providers/types.js';
import type { DomainState, HealthSnapshot, StateFile } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { mapLimit } from '../util/concurrency.js';
import { healthExitCode, healthiestFirst, judge, PROVIDER_NAME, type DnsState, type HealthFigures, type HealthFinding, type HealthStatus } from './health-rules.js';
import { addDays, utcDay } from './warmup-plan.js';
import type { Runtime } from './runtime.js';
import { resolveTargets, verifyDeps } from './targets.js';
import { verifyDomain } from './verify.js';

export const SNAPSHOT_DAYS = 90;

export interface DomainHealth {
  domain: string;
  provider: string;
  status: HealthStatus;
  window: { from: string; to: string; days: number };
  figures: HealthFigures | null;
  /** The provider's verdict fields (`enforcementStatus`, `reputation`, `isDisabled` …); null when none. */
  verdict: Record<string, unknown> | null;
  dns: DnsState;
  findings: HealthFinding[];
  /** Per-day figures as the provider gave them (for the snapshot's last complete day). */
  daily: DeliveryReport['daily'];
  /** The provider could not be asked in this run (the run exits 69). */
  providerFailed: boolean;
}

export interface HealthDeps {
  store: StateStore;
  provider: (entry: DomainState) => Promise<EmailProvider>;
  /** The domain's DNS state as `verify --no-provider` sees it. */
  dns: (domain: string, entry: DomainState) => Promise<DnsState>;
  now?: () => Date;
  concurrency?: number;
}

export interface HealthRun {
  results: DomainHealth[];
  checkedAt: string;
  /** At least one domain's provider could not be asked. */
  incomplete: boolean;
}

async function report(domain: string, entry: DomainState, window: DeliveryWindow, deps: HealthDeps): Promise<DeliveryReport> {
  if (entry.provider === 'sandbox') {
    throw new MailsetupError('PROVIDER_UNSUPPORTED', `${domain} uses the demo's sandbox provider, which has no delivery figures`, { hint: 'Run health on domains added with a real provider.' });
  }
  const provider = await deps.provider(entry);
  if (!provider.deliveryFigures) {
    throw new MailsetupError('PROVIDER_UNSUPPORTED', `${entry.provider} gives no delivery figures to mailsetup`, { hint: 'Run health on SES, SendGrid, Mailgun or Resend domains.' });
  }
  return provider.deliveryFigures(domain, entry.providerId, window);
}

/** Judge `domains` (all in the state file); `single` runs rethrow a provider failure (exit 69/77). */
export async function runHealth(domains: string[], window: DeliveryWindow, deps: HealthDeps): Promise<HealthRun> {
  const state = await deps.store.read();
  for (const d of domains) {
    if (!state.domains[d]) {
      throw new MailsetupError('DOMAIN_NOT_FOUND', `${d} is not in ${deps.store.path}`, { hint: `Add it with "mailsetup add ${d} --provider <p>", or check the name with "mailsetup list".` });
    }
  }
  const now = (deps.now ?? (() => new Date()))();
  const win = { from: window.from.toISOString(), to: window.to.toISOString(), days: window.days };
  const results = await mapLimit(domains, deps.concurrency ?? 8, async (domain): Promise<DomainHealth> => {
    const entry = state.domains[domain]!;
    const dnsP = deps.dns(domain, entry).catch((): DnsState => 'unknown');
    let rep: DeliveryReport;
    let providerFailed = false;
    try {
      rep = await report(domain, entry, window, deps);
    } catch (e) {
      // Credentials, bad usage or a bad state file stop the run; one domain's outage does not stop the others.
      if (!(e instanceof MailsetupError) || domains.length === 1 || e.code !== 'PROVIDER_UNAVAILABLE') throw e;
      providerFailed = true;
      rep = { scope: null, source: null, daily: null, gauges: null, verdict: null, notices: [{ code: 'PROVIDER_UNAVAILABLE', severity: 'warning', message: `${PROVIDER_NAME[entry.provider] ?? entry.provider} could not be asked: ${e.message}`, hint: e.hint }] };
    }
    const dns = await dnsP;
    const j = judge(domain, entry.provider, rep, dns);
    return { domain, provider: entry.provider, status: j.status, window: win, figures: j.figures, verdict: rep.verdict?.fields ?? null, dns, findings: j.findings, daily: rep.daily, providerFailed };
  });
  const sorted = healthiestFirst(results);
  await deps.store.update((s) => { storeSnapshots(s, sorted, now); });
  return { results: sorted, checkedAt: now.toISOString(), incomplete: results.some((r) => r.providerFailed) };
}

/** One snapshot per domain per UTC day (a later run that day replaces it), 90 days kept. */
export function storeSnapshots(s: StateFile, results: DomainHealth[], now: Date): void {
  const today = utcDay(now);
  const yesterday = addDays(today, -1);
  const oldest = addDays(today, -(SNAPSHOT_DAYS - 1));
  for (const r of results) {
    const e = s.domains[r.domain];
    // Nothing learnt about the domain: keep what an earlier run of the day stored.
    if (!e || r.providerFailed || (r.figures === null && r.verdict === null)) continue;
    const last = r.daily?.find((d) => d.date === yesterday) ?? null;
    const snap: HealthSnapshot = {
      date: today, sent: r.figures?.sent ?? null, delivered: r.figures?.delivered ?? null, bounces: r.figures?.bounces ?? null,
      complaints: r.figures?.complaints ?? null, status: r.status, days: r.window.days, scope: r.figures?.scope ?? null,
      lastDay: last ? { date: last.date, sent: last.sent, delivered: last.delivered, bounces: last.bounces, complaints: last.complaints } : null,
    };
    const kept = (Array.isArray(e.health) ? e.health : []).filter((h) => h.date !== today && h.date >= oldest);
    e.health = [...kept, snap].sort((a, b) => (a.date < b.date ? -1 : 1));
  }
}

/** `--days`: a whole number from 1 to `max` (USAGE otherwise, naming the flag). */
export function parseDays(value: unknown, flag = '--days', max = 30, fallback = 7): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(String(value).trim()) || n < 1 || n > max) {
    throw new MailsetupError('USAGE', `${flag} must be a whole number from 1 to ${max} (got "${String(value)}")`, { hint: `For example ${flag} ${fallback}.` });
  }
  return n;
}

/** What `health` was asked: domains named, or every stored one (`all`); the window in days. */
export interface HealthRequest {
  domains: string[];
  all: boolean;
  /** `--days` as given (validated by `parseDays`); default 7. */
  days?: unknown;
}

/** The domains one `health` run judges, and the demo domains `--all` left out (say so). */
export interface HealthPlan {
  domains: string[];
  /** Domains with the demo's sandbox provider, skipped by `--all` (they have no figures anywhere). */
  skippedDemo: string[];
  days: number;
}

/** Validate the request and pick the domains: named ones, or with `all` every stored domain but the demo's. */
export async function planHealth(rt: Runtime, req: HealthRequest): Promise<HealthPlan> {
  const days = parseDays(req.days);
  let domains = await resolveTargets(rt, req.domains, req.all);
  let skippedDemo: string[] = [];
  if (req.all) {
    const state = await rt.store().read();
    skippedDemo = domains.filter((d) => state.domains[d]?.provider === 'sandbox');
    if (skippedDemo.length > 0) {
      domains = domains.filter((d) => !skippedDemo.includes(d));
      if (domains.length === 0) throw new MailsetupError('DOMAIN_NOT_FOUND', `no domain in ${rt.store().path} has a real provider`, { hint: 'Add one with "mailsetup add <domain> --provider <p>".' });
    }
  }
  return { domains, skippedDemo, days };
}

/**
 * Run the plan: each domain's provider figures and verdict, DNS as `verify --no-provider` judges it
 * (the authoritative servers decide; the resolver comparison adds nothing to the verdict, so the
 * public set is not asked), judged and stored as the day's snapshot.
 */
export async function checkHealth(rt: Runtime, plan: HealthPlan, now: Date = new Date()): Promise<HealthRun> {
  const vdeps = { ...verifyDeps(rt), comparators: [] };
  return runHealth(plan.domains, healthWindow(plan.days, now), {
    store: vdeps.store,
    provider: vdeps.provider,
    dns: async (domain, entry) => (await verifyDomain(domain, entry, { noProvider: true, refresh: false }, vdeps)).status,
    now: () => now,
    concurrency: 8,
  });
}

/**
 * The exit status of a run: with `--exit-code` the worst domain's (0 healthy, 1 warning, 2 flagged,
 * 69 unknown); else 69 when some provider could not be asked (the check did not fully run), else 0.
 */
export function healthExit(run: HealthRun, exitCode: boolean): number {
  if (exitCode) return healthExitCode(run.results.map((r) => r.status));
  return run.incomplete ? EXIT.UNAVAILABLE : EXIT.OK;
}

/** `health --history --json`: the stored daily snapshots of each domain (no provider call). */
export interface HealthHistoryDocument {
  domains: Array<{ domain: string; history: HealthSnapshot[] }>;
}

/** The snapshots of the domains named, or of every stored domain when none is named or with `all`. */
export async function healthHistory(rt: Runtime, req: HealthRequest): Promise<HealthHistoryDocument> {
  parseDays(req.days); // not used, but refused the same way as without --history
  const state = await rt.store().read();
  const domains = req.domains.length === 0 || req.all ? Object.keys(state.domains).filter((d) => !d.includes('@')).sort() : await resolveTargets(rt, req.domains, false);
  for (const d of domains) if (!state.domains[d]) throw new MailsetupError('DOMAIN_NOT_FOUND', `${d} is not in ${rt.store().path}`, { hint: 'Check the name with "mailsetup list".' });
  return { domains: domains.map((d) => ({ domain: d, history: state.domains[d]!.health ?? [] })) };
}
