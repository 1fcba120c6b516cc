import { parseDomain } from '../../model/domain-name.js';
import { addDays, planCaps, planFactor, utcDay, walkPlan, WARMUP_DEFAULTS, type DayRecord, type PlanDay, type WarmupStep } from '../../core/warmup-plan.js';
import { MailsetupError, EXIT } from '../../errors.js';
import type { HealthSnapshot, WarmupPlanState } from '../../state/schema.js';
import { createContext, type GlobalOptions } from '../context.js';

function wholeNumber(value: unknown, flag: string): number | undefined {
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

const n = (x: number) => x.toLocaleString('en-US');

function render(v: WarmupView, created: boolean): string[] {
  const p = v.plan;
  const lines: string[] = [];
  lines.push(`${v.domain}: warm-up from ${n(p.start)} to ${n(p.target)} a day over ${p.days} days (×${p.factor} a day), started ${p.startedAt.slice(0, 10)}`);
  const rows = p.caps.map((c) => `  day ${String(c.day).padStart(2)}  ${c.date}  ${n(c.cap).padStart(12)}${c.day === v.position.step ? '  ← today\'s cap' : ''}`);
  if (created || rows.length <= 31) lines.push(...rows);
  lines.push('');
  const pos = v.position;
  lines.push(`today (${pos.date}, day ${pos.day} of the plan): send at most ${n(pos.cap)} (step ${pos.step} of ${p.days})`);
  if (pos.yesterday) {
    const y = pos.yesterday;
    const sent = y.sent === null ? 'unknown (no health snapshot with that day\'s figures)' : `${n(y.sent)} of a planned ${n(y.cap)}${y.sent > y.cap ? ' — over the plan' : ''}`;
    lines.push(`yesterday (${y.date}): sent ${sent}`);
  }
  lines.push(`rule: ${pos.rule} — ${pos.reason}`);
  lines.push('Send to the most engaged recipients first; run "mailsetup health" daily so the ramp holds when bounces or complaints rise.');
  return lines;
}

export async function warmupCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const domain = parseDomain(args[0] ?? '');
  const target = wholeNumber(options.target, '--target');
  const start = wholeNumber(options.start, '--start');
  const days = wholeNumber(options.days, '--days');
  const store = ctx.store();
  const now = new Date();
  if (target === undefined && !options.reset && (start !== undefined || days !== undefined)) {
    throw new MailsetupError('USAGE', '--start and --days shape a new plan: give --target too', { hint: `mailsetup warmup ${domain} --target 50000${start !== undefined ? ` --start ${start}` : ''}${days !== undefined ? ` --days ${days}` : ''}` });
  }
  const plan: WarmupPlanState | null = target === undefined ? null : { start: start ?? WARMUP_DEFAULTS.start, target, days: days ?? WARMUP_DEFAULTS.days, startedAt: now.toISOString() };
  if (plan) planFactor(plan); // refuse an impossible ramp before touching the state
  const state = await store.read();
  const entry = state.domains[domain];
  if (!entry) throw new MailsetupError('DOMAIN_NOT_FOUND', `${domain} is not in ${store.path}`, { hint: `Add it with "mailsetup add ${domain} --provider <p>", or check the name with "mailsetup list".` });

  if (options.reset || plan) {
    const had = await store.update((s) => {
      const e = s.domains[domain];
      if (!e) throw new MailsetupError('DOMAIN_NOT_FOUND', `${domain} is not in ${store.path}`);
      const before = e.warmup ?? null;
      if (plan) e.warmup = plan;
      else delete e.warmup;
      return before;
    });
    if (!plan) {
      if (ctx.out.json) ctx.out.document({ domain, plan: null, dropped: had !== null });
      else ctx.out.line(had ? `${domain}: warm-up plan dropped (${store.path})` : `${domain}: there was no warm-up plan`);
      return EXIT.OK;
    }
    if (had && !ctx.out.json) ctx.out.note(`Replaced the plan started ${had.startedAt.slice(0, 10)}.`);
  }
  const current = plan ?? entry.warmup;
  if (!current) {
    throw new MailsetupError('USAGE', `${domain} has no warm-up plan`, { hint: `Start one with "mailsetup warmup ${domain} --target <messages a day>".` });
  }
  const view = warmupView(domain, current, entry.health ?? [], now);
  if (ctx.out.json) ctx.out.document(view);
  else {
    for (const l of render(view, plan !== null)) ctx.out.line(l);
    if (plan) ctx.out.note(`Plan saved in ${store.path}.`);
  }
  return EXIT.OK;
}
