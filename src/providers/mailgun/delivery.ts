/**
 * Mailgun delivery figures for `health` (reputation.md §3): the Metrics API (`POST
 * /v1/analytics/metrics`) filtered by the domain, by day, and the domain's `is_disabled` as the
 * verdict. Bounces are `hard_bounces_count` (what SES and the Mailgun CLI count), not Mailgun's own
 * `bounce_rate` (soft + hard); counts may arrive as strings.
 */
import type { DailyFigures, DeliveryWindow } from '../types.js';

const METRICS = ['sent_count', 'delivered_count', 'hard_bounces_count', 'complained_count'];

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** RFC 2822 in UTC, as the Metrics API wants it: `Mon, 01 Dec 2026 00:00:00 +0000`. */
export const rfc2822 = (d: Date): string => d.toUTCString().replace(/GMT$/, '+0000');

export function metricsQuery(domain: string, w: DeliveryWindow): Record<string, unknown> {
  return {
    start: rfc2822(w.from), end: rfc2822(w.to), resolution: 'day', dimensions: ['time'], metrics: METRICS,
    filter: { AND: [{ attribute: 'domain', comparator: '=', values: [{ label: domain, value: domain }] }] },
    include_aggregates: true, include_subaccounts: false,
  };
}

/** The Metrics API's `items` → one entry per day; a metric absent from an item is null that day. */
export function metricsDaily(body: unknown, dates: string[]): DailyFigures[] | null {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return null;
  const byDate = new Map<string, Record<string, unknown>>();
  for (const item of items) {
    const it = item as { dimensions?: Array<{ dimension?: unknown; value?: unknown }>; metrics?: Record<string, unknown> };
    const time = it.dimensions?.find((d) => d.dimension === 'time')?.value;
    const at = typeof time === 'string' ? Date.parse(time) : NaN;
    if (Number.isNaN(at)) continue;
    byDate.set(new Date(at).toISOString().slice(0, 10), it.metrics ?? {});
  }
  return dates.map((date) => {
    const m = byDate.get(date);
    if (!m) return { date, sent: 0, delivered: 0, bounces: 0, complaints: 0 };
    return { date, sent: num(m.sent_count), delivered: num(m.delivered_count), bounces: num(m.hard_bounces_count), complaints: num(m.complained_count) };
  });
}
