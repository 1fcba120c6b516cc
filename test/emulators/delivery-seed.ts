/**
 * What tests seed into the provider emulators for `health`: one UTC day's sending as each
 * provider's own counters would show it. Each emulator turns these into its wire format (SES VDM
 * SEND/DELIVERY/PERMANENT_BOUNCE/…, CloudWatch Send/Bounce…, SendGrid processed/bounces/
 * spam_reports, Mailgun sent_count/hard_bounces_count…, Resend sent/bounced_permanent…).
 */
export interface DaySeed {
  /** `YYYY-MM-DD`, UTC. */
  date: string;
  sent: number;
  delivered: number;
  /** Permanent (hard) bounces. */
  bounces: number;
  complaints: number;
  /** SES VDM DELIVERY_COMPLAINT (deliveries to feedback-loop receivers); defaults to `delivered`. */
  deliveryComplaint?: number;
}

/** `n` days before today (UTC), as `YYYY-MM-DD`. */
export const daysAgo = (n: number, now = new Date()): string => new Date(Date.parse(now.toISOString().slice(0, 10)) - n * 86_400_000).toISOString().slice(0, 10);

/** `total` sends spread over the last `days` days (today included), with the given bounce and complaint counts on yesterday. */
export function spread(total: { sent: number; bounces: number; complaints: number; delivered?: number }, days = 7): DaySeed[] {
  const out: DaySeed[] = [];
  const per = Math.floor(total.sent / days);
  for (let i = days - 1; i >= 0; i--) {
    const sent = i === 1 ? total.sent - per * (days - 1) : per;
    out.push({ date: daysAgo(i), sent, delivered: sent, bounces: 0, complaints: 0 });
  }
  const y = out[days - 2] ?? out[0]!;
  y.bounces = total.bounces;
  y.complaints = total.complaints;
  const delivered = total.delivered ?? total.sent - total.bounces;
  const others = out.reduce((s, d) => (d === y ? s : s + d.delivered), 0);
  y.delivered = delivered - others;
  return out;
}

/** Seeds whose date lies in [from, to] (dates compared as UTC days). */
export function within(days: DaySeed[], from: Date | string, to: Date | string): DaySeed[] {
  const f = new Date(from).toISOString().slice(0, 10);
  const t = new Date(to).toISOString().slice(0, 10);
  return days.filter((d) => d.date >= f && d.date <= t);
}
