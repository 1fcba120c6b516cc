/**
 * Resend delivery figures for `health` (reputation.md §4): `GET /emails/metrics` by day and by
 * domain, filtered by the domain's id. Resend publishes no account or domain verdict, so a Resend
 * domain is judged on its figures and DNS alone. Bounces are `bounced_permanent`.
 */
import type { DailyFigures } from '../types.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The metrics body → one entry per day for this domain; rows of other domains are left out. */
export function resendDaily(body: unknown, dates: string[], name: string, id: string): DailyFigures[] | null {
  const rows = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(rows)) return null;
  const byDate = new Map<string, DailyFigures>();
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    if (r.domain_id !== undefined && r.domain_id !== id && r.domain_name !== name) continue;
    if (typeof r.period !== 'string') continue;
    const date = r.period.slice(0, 10);
    const prev = byDate.get(date);
    const add = (a: number | null | undefined, b: unknown) => (num(b) === null ? (a ?? null) : (a ?? 0) + num(b)!);
    byDate.set(date, { date, sent: add(prev?.sent, r.sent), delivered: add(prev?.delivered, r.delivered), bounces: add(prev?.bounces, r.bounced_permanent), complaints: add(prev?.complaints, r.complained) });
  }
  return dates.map((date) => byDate.get(date) ?? { date, sent: 0, delivered: 0, bounces: 0, complaints: 0 });
}
