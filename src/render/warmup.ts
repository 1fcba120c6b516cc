/**
 * `warmup` → human lines: the plan day by day (a table fitted to the terminal), today's cap — the
 * result line, kept with `--quiet` — yesterday against the plan, and the rule that applied.
 */
import type { WarmupReset, WarmupView } from '../core/warmup.js';
import { escapeText as shown } from './escape.js';
import { fitted, plain, result, type HumanLine } from './lines.js';
import { renderTable } from './table.js';

const n = (x: number) => x.toLocaleString('en-US');

/** `created`: the plan was stored by this run (its days are then always listed). */
export function renderWarmup(v: WarmupView, created: boolean, columns = 100): HumanLine[] {
  const p = v.plan;
  const pos = v.position;
  const head = [`${shown(v.domain)}: warm-up from ${n(p.start)} to ${n(p.target)} a day over ${p.days} days (×${p.factor} a day), started ${shown(p.startedAt.slice(0, 10))}`];
  if (created || p.caps.length <= 31) {
    const rows = p.caps.map((c) => [String(c.day), c.date, n(c.cap), c.day === pos.step ? '← today\'s cap' : '']);
    head.push(...renderTable([{ head: 'day', align: 'right', stack: 'title' }, { head: 'date', stack: 'title' }, { head: 'cap', align: 'right' }, { head: '' }], rows, { width: columns - 2, colorLevel: 0, plain: true }).map((l) => `  ${l}`.trimEnd()));
  }
  head.push('');
  const tail: string[] = [];
  if (pos.yesterday) {
    const y = pos.yesterday;
    const sent = y.sent === null ? 'unknown (no health snapshot with that day\'s figures)' : `${n(y.sent)} of a planned ${n(y.cap)}${y.sent > y.cap ? ' — over the plan' : ''}`;
    tail.push(`yesterday (${y.date}): sent ${sent}`);
  }
  tail.push(`rule: ${pos.rule} — ${shown(pos.reason)}`);
  tail.push('Send to the most engaged recipients first; run "mailsetup health" daily so the ramp holds when bounces or complaints rise.');
  return fitted([
    ...plain(head),
    result(`today (${shown(pos.date)}, day ${pos.day} of the plan): send at most ${n(pos.cap)} (step ${pos.step} of ${p.days})`),
    ...plain(tail),
  ], columns);
}

/** `warmup --reset`: one line, the result. */
export function renderWarmupReset(doc: WarmupReset, statePath: string): HumanLine[] {
  return [result(doc.dropped ? `${shown(doc.domain)}: warm-up plan dropped (${statePath})` : `${shown(doc.domain)}: there was no warm-up plan`)];
}
