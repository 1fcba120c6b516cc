/**
 * `warmup` as pure functions (DESIGN.md "`warmup`"): the plan — from `start` a day to `target` a
 * day in `days` days, the same factor every day, never more than ×2 — and where a domain stands on
 * it, from the daily `health` snapshots, with the hold and step-back rules.
 *
 * Caps are whole messages: day i is ⌈start × f^(i−1)⌉, the last day exactly `target`. Rounding up
 * keeps the caps non-decreasing and every step at most ×2 (⌈x·f⌉ ≤ 2⌈x⌉ when f ≤ 2), and the day
 * before the last at least target / 2, so the last step is ×2 at most too.
 */
import { MailsetupError } from '../errors.js';

export const WARMUP_DEFAULTS = { start: 200, days: 21 } as const;
export const MAX_DAYS = 365;
export const MAX_TARGET = 1_000_000_000;

export interface WarmupPlanInput { start: number; target: number; days: number }

export interface PlanDay { day: number; cap: number }

/** The daily growth factor; USAGE when the ramp would need more than ×2 a day. */
export function planFactor({ start, target, days }: WarmupPlanInput): number {
  if (!Number.isInteger(start) || start < 1 || start > MAX_TARGET) throw new MailsetupError('USAGE', `--start must be a whole number of messages a day, at least 1 (got ${start})`, { hint: `The default is ${WARMUP_DEFAULTS.start}.` });
  if (!Number.isInteger(target) || target < 1 || target > MAX_TARGET) throw new MailsetupError('USAGE', `--target must be a whole number of messages a day, from 1 to ${MAX_TARGET} (got ${target})`, { hint: 'Give the daily volume the domain should reach, e.g. --target 50000.' });
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new MailsetupError('USAGE', `--days must be a whole number from 1 to ${MAX_DAYS} (got ${days})`, { hint: `The default is ${WARMUP_DEFAULTS.days} (three weeks).` });
  if (target < start) throw new MailsetupError('USAGE', `--target ${target} is below --start ${start}`, { hint: 'A warm-up ramps up: give a target above the starting volume, or a lower --start.' });
  if (target === start) return 1;
  if (days === 1) throw new MailsetupError('USAGE', `a one-day plan cannot go from ${start} to ${target}`, { hint: 'Give --days 2 or more.' });
  const factor = (target / start) ** (1 / (days - 1));
  if (factor > 2 + 1e-12) {
    const need = Math.ceil(Math.log2(target / start) - 1e-12) + 1;
    throw new MailsetupError('USAGE', `reaching ${target} a day from ${start} in ${days} days needs ×${factor.toFixed(2)} a day; a warm-up never grows faster than ×2`, {
      hint: `Use --days ${need} or more, or a higher --start (at least ${Math.ceil(target / 2 ** (days - 1))}).`,
    });
  }
  return factor;
}

/** The day-by-day caps, day 1 = start, day `days` = target. */
export function planCaps(input: WarmupPlanInput): PlanDay[] {
  const factor = planFactor(input);
  const out: PlanDay[] = [];
  for (let i = 1; i <= input.days; i++) {
    const cap = i === input.days ? input.target : Math.min(input.target, Math.ceil(input.start * factor ** (i - 1) - 1e-9));
    out.push({ day: i, cap: Math.max(cap, out[out.length - 1]?.cap ?? input.start) });
  }
  return out;
}

/** One day's delivery figures as the `health` snapshots hold them. */
export interface DayFigures { date: string; sent: number | null; delivered: number | null; bounces: number | null; complaints: number | null }

/** What `warmup` knows about one past UTC day. */
export interface DayRecord { status: string | null; figures: DayFigures | null }

export type WarmupRule = 'start' | 'advance' | 'hold' | 'step-back' | 'no-data' | 'complete';

export interface WarmupStep {
  date: string;
  /** The step of the plan in force that day (1-based). */
  step: number;
  cap: number;
  rule: WarmupRule;
  reason: string;
}

export const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
export const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

const pct = (r: number) => `${(r * 100).toFixed(2).replace(/\.?0+$/, '')} %`;

/** Why the day before calls for a hold or a step back, or null when it lets the ramp go on. */
function judgeDay(date: string, rec: DayRecord | undefined): { rule: 'advance' | 'hold' | 'step-back' | 'no-data'; reason: string } {
  if (!rec || (rec.status === null && rec.figures === null)) {
    return { rule: 'no-data', reason: `no health snapshot for ${date}: holding (run "mailsetup health" daily so the ramp can move on)` };
  }
  if (rec.status === 'flagged') return { rule: 'step-back', reason: `${date} was flagged by health: one step back` };
  const f = rec.figures;
  if (f && f.sent !== null && f.sent > 0 && f.bounces !== null && f.bounces * 100 > f.sent * 2) {
    return { rule: 'hold', reason: `bounce rate ${pct(f.bounces / f.sent)} on ${date} is above 2 %: holding` };
  }
  const base = f?.delivered ?? null;
  if (f && base !== null && base > 0 && f.complaints !== null && f.complaints * 1000 > base) {
    return { rule: 'hold', reason: `complaint rate ${pct(f.complaints / base)} on ${date} is above 0.1 %: holding` };
  }
  if (!f) return { rule: 'advance', reason: `${date} was ${rec.status ?? 'not judged'}, no daily figures: moving on` };
  return { rule: 'advance', reason: `${date} stayed under 2 % bounces and 0.1 % complaints: moving on` };
}

/**
 * Every day of the plan from `startDate` to `today`, each with the step in force and the rule that
 * put it there. Day one is step 1; each later day looks at the day before: flagged → one step back,
 * bounce rate above 2 % or complaint rate above 0.1 % → hold, no snapshot → hold, else one step on.
 */
export function walkPlan(caps: PlanDay[], startDate: string, today: string, days: Map<string, DayRecord>): WarmupStep[] {
  const steps: WarmupStep[] = [];
  if (today < startDate) return steps;
  let step = 1;
  steps.push({ date: startDate, step, cap: caps[0]!.cap, rule: 'start', reason: 'day one of the plan' });
  for (let date = addDays(startDate, 1); date <= today; date = addDays(date, 1)) {
    const before = addDays(date, -1);
    const j = judgeDay(before, days.get(before));
    let rule: WarmupRule = j.rule;
    if (j.rule === 'step-back') step = Math.max(1, step - 1);
    else if (j.rule === 'advance') {
      if (step >= caps.length) rule = 'complete';
      step = Math.min(caps.length, step + 1);
    }
    steps.push({ date, step, cap: caps[step - 1]!.cap, rule, reason: rule === 'complete' ? `the plan is complete: ${caps[caps.length - 1]!.cap} a day` : j.reason });
  }
  return steps;
}
