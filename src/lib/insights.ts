/**
 * `health`, `warmup` and `reports` as library calls: each takes the CLI's flags as options
 * (camelCase) and returns the document `--json` prints, built by the same core use case
 * (src/core/health.ts, warmup.ts, reports.ts) the CLI calls. Nothing is printed, nothing prompts,
 * nothing exits; a bad option throws the CLI's `MailsetupError` (same code, exit code, message).
 *
 *   import { health, warmup, reports } from 'mailsetup';
 *   const { domains } = await health('all', { days: 7 });
 */
import { checkHealth, healthHistory as readHealthHistory, planHealth } from '../core/health.js';
import { runReports, type ReportsRequest } from '../core/reports.js';
import { runWarmup } from '../core/warmup.js';
import { healthDocument } from '../render/health.js';
import { runtime, type ClientOptions } from './client.js';
import type { HealthHistoryDocument, HealthRunDocument, ReportsDocument, WarmupDocument } from './documents.js';

const targets = (domains: string[] | 'all') => ({ domains: domains === 'all' ? [] : domains, all: domains === 'all' });

export interface HealthOptions extends ClientOptions {
  /** The window: the last `days` UTC days, today included (1–30, default 7). */
  days?: number;
}

/**
 * `mailsetup health <domains> --json` (or `--all` with `'all'`, which skips the demo's sandbox
 * domains): each domain's delivery figures, provider verdict and DNS, judged, healthiest first.
 * Stores the day's snapshot in the state file, as the CLI does. A provider that could not be asked
 * for one of several domains leaves that domain `unknown` (the CLI then exits 69).
 */
export async function health(domains: string[] | 'all', options: HealthOptions = {}): Promise<HealthRunDocument> {
  const rt = runtime(options);
  const plan = await planHealth(rt, { ...targets(domains), days: options.days });
  const run = await checkHealth(rt, plan);
  return healthDocument(run.results, run.checkedAt) as unknown as HealthRunDocument;
}

/** `mailsetup health <domains> --history --json`: the stored daily snapshots (no provider call); `'all'` or `[]`: every domain. */
export async function healthHistory(domains: string[] | 'all', options: HealthOptions = {}): Promise<HealthHistoryDocument> {
  return await readHealthHistory(runtime(options), { ...targets(domains), days: options.days }) as unknown as HealthHistoryDocument;
}

export interface WarmupOptions extends ClientOptions {
  /** Daily volume to reach: stores a new plan (replacing any), as `--target`. */
  target?: number;
  /** Volume on day one (default 200), as `--start`; only with `target`. */
  start?: number;
  /** Days to reach the target (default 21), as `--days`; only with `target`. */
  days?: number;
  /** Drop the plan, as `--reset`. */
  reset?: boolean;
}

/**
 * `mailsetup warmup <domain> --json`: the plan and where the domain stands on it today; with
 * `target`, a new plan is stored first; with `reset` alone, the plan is dropped and
 * `{ domain, plan: null, dropped }` returned.
 */
export async function warmup(domain: string, options: WarmupOptions = {}): Promise<WarmupDocument> {
  const outcome = await runWarmup(runtime(options), { domain, target: options.target, start: options.start, days: options.days, reset: !!options.reset });
  return outcome.document as unknown as WarmupDocument;
}

/** `reports`' flags (core/reports.ts `ReportsRequest`, without the paths) and the common options. */
export interface ReportsOptions extends ClientOptions, Omit<ReportsRequest, 'paths'> {}

/**
 * `mailsetup reports <paths> --json`: who sends as each policy domain and whether the next DMARC
 * step is safe. When no input held a report, or none is in the window, the document says so
 * (`inputs.reports` 0, or no `domains`) where the CLI also exits 64.
 */
export async function reports(paths: string[], options: ReportsOptions = {}): Promise<ReportsDocument> {
  const outcome = await runReports(runtime(options), {
    paths,
    ...(options.domains ? { domains: options.domains } : {}),
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.to !== undefined ? { to: options.to } : {}),
    strict: !!options.strict,
    dns: options.dns !== false,
    ...(options.thresholds ? { thresholds: options.thresholds } : {}),
  });
  return outcome.document as unknown as ReportsDocument;
}
