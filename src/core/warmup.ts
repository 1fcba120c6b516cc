/**
 * `warmup` as a use case: validate the flags, store, replace or drop a domain's plan, and say where
 * the domain stands on it from the `health` snapshots. The CLI (src/cli/commands/warmup.ts) and the
 * library (src/lib/insights.ts) both call `runWarmup`; the plan arithmetic is in `warmup-plan.ts`.
 */
import { parseDomain } from '../model/domain-name.js';
import { MailsetupError } from '../errors.js';
import type { HealthSnapshot, WarmupPlanState } from '../state/schema.js';
import { addDays, planCaps, planFactor, utcDay, walkPlan, WARMUP_DEFAULTS, type DayRecord, type PlanDay, type WarmupStep } from './warmup-plan.js';
import type { Runtime } from './runtime.js';

/** A whole number flag (`50000`, `50,000`, `50_000`); USAGE naming the flag otherwise. */
export function wholeNumber(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim().replace(/[_,]/g, '');
  if (!/^\d+$/.test(text)) throw new MailsetupError('USAGE', `${flag} must be a whole number (got "${String(value)}")`, { hint: `For example ${flag} ${flag === '--days' ? 21 : 50000}.` });
  return Number(text);
}

/** The days `warmup` knows of, from the health snapshots: each day's status, and its own figures. */
export function daysFromSnapshots(snapshots: HealthSnapshot[]): Map<string, DayRecord> {
  const days = new Map<string, DayRecord>();
  for (const s of [...snapshots].sort((a, b) => (a.date < b.date ? -1 : 1))) {
    const own = days.get(s.date) ?? { status: null, figures: null };
    days.set(s.date, { ...own, status: s.status });
    if (s.lastDay) {
      const prev = days.get(s.lastDay.date) ?? { status: null, figures: null };
      days.set(s.lastDay.date, { ...prev, figures: { date: s.lastDay.date, sent: s.lastDay.sent, delivered: s.lastDay.delivered, bounces: s.lastDay.bounces, complaints: s.lastDay.complaints } });
    }
  }
  return days;
}

/** `warmup --json` with a plan: the plan with its daily caps, and where the domain stands today. */
export interface WarmupView {
  domain: string;
  plan: WarmupPlanState & { factor: number; caps: Array<PlanDay & { date: string }> };
  position: {
    date: string;
    /** Calendar day of the plan (1 = the day it started). */
    day: number;
    /** The step of the plan in force today, after holds and step-backs. */
    step: number;
    cap: number;
    rule: WarmupStep['rule'];
    reason: string;
    yesterday: { date: string; sent: number | null; cap: number; bounceRate: number | null; complaintRate: number | null; status: string | null } | null;
  };
}

/** `warmup --reset --json`: the plan is gone; `dropped` says whether there was one. */
export interface WarmupReset {
  domain: string;
  plan: null;
  dropped: boolean;
}

export function warmupView(domain: string, plan: WarmupPlanState, snapshots: HealthSnapshot[], now: Date): WarmupView {
  const caps = planCaps(plan);
  const start = plan.startedAt.slice(0, 10);
  const today = utcDay(now) < start ? start : utcDay(now);
  const days = daysFromSnapshots(snapshots);
  const steps = walkPlan(caps, start, today, days);
  const cur = steps[steps.length - 1]!;
  const prev = steps.length > 1 ? steps[steps.length - 2]! : null;
  const prevDay = prev ? days.get(prev.date) : undefined;
  const f = prevDay?.figures ?? null;
  return {
    domain,
    plan: { ...plan, factor: Number(planFactor(plan).toFixed(4)), caps: caps.map((c) => ({ ...c, date: addDays(start, c.day - 1) })) },
    position: {
      date: cur.date, day: steps.length, step: cur.step, cap: cur.cap, rule: cur.rule, reason: cur.reason,
      yesterday: prev ? {
        date: prev.date, sent: f?.sent ?? null, cap: prev.cap,
        bounceRate: f && f.sent !== null && f.sent > 0 && f.bounces !== null ? f.bounces / f.sent : null,
        complaintRate: f && f.delivered !== null && f.delivered > 0 && f.complaints !== null ? f.complaints / f.delivered : null,
        status: prevDay?.status ?? null,
      } : null,
    },
  };
}

/** What `warmup` was asked: the flags as given (validated here, so the library refuses the same way). */
export interface WarmupRequest {
  domain: string;
  /** Daily volume to reach: starts a new plan (replacing any). */
  target?: unknown;
  /** Volume on day one (default 200); only with `target`. */
  start?: unknown;
  /** Days to reach the target (default 21); only with `target`. */
  days?: unknown;
  /** Drop the plan (with `target`: replace it). */
  reset?: boolean;
}

export type WarmupOutcome =
  | { kind: 'dropped'; document: WarmupReset; statePath: string }
  | {
    kind: 'view';
    document: WarmupView;
    /** A new plan was stored by this run. */
    created: boolean;
    /** The plan this run replaced, if any. */
    replaced: WarmupPlanState | null;
    statePath: string;
  };

export async function runWarmup(rt: Runtime, req: WarmupRequest, now: Date = new Date()): Promise<WarmupOutcome> {
  const domain = parseDomain(req.domain);
  const target = wholeNumber(req.target, '--target');
  const start = wholeNumber(req.start, '--start');
  const days = wholeNumber(req.days, '--days');
  const store = rt.store();
  if (target === undefined && !req.reset && (start !== undefined || days !== undefined)) {
    throw new MailsetupError('USAGE', '--start and --days shape a new plan: give --target too', { hint: `mailsetup warmup ${domain} --target 50000${start !== undefined ? ` --start ${start}` : ''}${days !== undefined ? ` --days ${days}` : ''}` });
  }
  const plan: WarmupPlanState | null = target === undefined ? null : { start: start ?? WARMUP_DEFAULTS.start, target, days: days ?? WARMUP_DEFAULTS.days, startedAt: now.toISOString() };
  if (plan) planFactor(plan); // refuse an impossible ramp before touching the state
  const state = await store.read();
  const entry = state.domains[domain];
  if (!entry) throw new MailsetupError('DOMAIN_NOT_FOUND', `${domain} is not in ${store.path}`, { hint: `Add it with "mailsetup add ${domain} --provider <p>", or check the name with "mailsetup list".` });

  let replaced: WarmupPlanState | null = null;
  if (req.reset || plan) {
    const had = await store.update((s) => {
      const e = s.domains[domain];
      if (!e) throw new MailsetupError('DOMAIN_NOT_FOUND', `${domain} is not in ${store.path}`);
      const before = e.warmup ?? null;
      if (plan) e.warmup = plan;
      else delete e.warmup;
      return before;
    });
    if (!plan) return { kind: 'dropped', document: { domain, plan: null, dropped: had !== null }, statePath: store.path };
    replaced = had;
  }
  const current = plan ?? entry.warmup;
  if (!current) {
    throw new MailsetupError('USAGE', `${domain} has no warm-up plan`, { hint: `Start one with "mailsetup warmup ${domain} --target <messages a day>".` });
  }
  return { kind: 'view', document: warmupView(domain, current, entry.health ?? [], now), created: plan !== null, replaced, statePath: store.path };
}
