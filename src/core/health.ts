/**
 * `health`: per domain, the provider's delivery figures and verdict (one adapter per provider and
 * region, so account-wide calls are made once), DNS checked as `verify --no-provider` does, judged
 * by `health-rules.ts`; then one snapshot per domain per UTC day in the state file.
 */
import { MailsetupError } from '../errors.js';
import type { DeliveryReport, DeliveryWindow, EmailProvider } from '../providers/types.js';
import type { DomainState, HealthSnapshot, StateFile } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { mapLimit } from '../util/concurrency.js';
import { healthiestFirst, judge, PROVIDER_NAME, type DnsState, type HealthFigures, type HealthFinding, type HealthStatus } from './health-rules.js';
import { addDays, utcDay } from './warmup-plan.js';

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
