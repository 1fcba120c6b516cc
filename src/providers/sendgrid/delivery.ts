/**
 * SendGrid delivery figures for `health` (reputation.md §2): `GET /v3/user/account` (reputation
 * 0–100) and `GET /v3/stats` by day. Both are account-wide — SendGrid has no figures per sending
 * domain — so each is asked once per adapter and window, however many domains share the account.
 * A key without the scope for one of them (403) loses that half only, with a notice saying which
 * scope to add; a rejected key (401) fails the run.
 */
import type { DailyFigures, DeliveryNotice, DeliveryReport } from '../types.js';
import type { SendgridApi } from './api.js';
import { SendgridFailure } from './errors.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const forbidden = (e: unknown): boolean => e instanceof SendgridFailure && e.kind === 'http' && e.status === 403;

/** `/v3/stats` rows → one entry per day; a metric missing from a row is null that day. */
export function statsDaily(body: unknown, dates: string[]): DailyFigures[] | null {
  if (!Array.isArray(body)) return null;
  const byDate = new Map<string, Record<string, unknown>>();
  for (const row of body) {
    const r = row as { date?: unknown; stats?: Array<{ metrics?: Record<string, unknown> }> };
    if (typeof r.date !== 'string') continue;
    const m = r.stats?.[0]?.metrics ?? {};
    byDate.set(r.date.slice(0, 10), m);
  }
  return dates.map((date) => {
    const m = byDate.get(date);
    // SendGrid returns every day of the range; a day it left out had no sending.
    if (!m) return { date, sent: 0, delivered: 0, bounces: 0, complaints: 0 };
    return { date, sent: num(m.processed), delivered: num(m.delivered), bounces: num(m.bounces), complaints: num(m.spam_reports) };
  });
}

export interface SendgridDelivery { figures(dates: string[]): Promise<DeliveryReport> }

export function createSendgridDelivery(api: () => SendgridApi, run: <T>(what: string, op: () => Promise<T>) => Promise<T>): SendgridDelivery {
  const cache = new Map<string, Promise<DeliveryReport>>();
  return {
    figures(dates) {
      const key = `${dates[0]}|${dates[dates.length - 1]}`;
      let p = cache.get(key);
      if (!p) {
        p = (async () => {
          const notices: DeliveryNotice[] = [];
          const [account, stats] = await Promise.all([
            run('reading the account reputation', async () => {
              try { return await api().json('GET', '/v3/user/account'); } catch (e) { if (forbidden(e)) return null; throw e; }
            }),
            run('reading /v3/stats', async () => {
              try {
                return await api().json('GET', '/v3/stats', { qs: { start_date: dates[0]!, end_date: dates[dates.length - 1]!, aggregated_by: 'day' } });
              } catch (e) { if (forbidden(e)) return null; throw e; }
            }),
          ]);
          if (account === null) notices.push({ code: 'VERDICT_UNAVAILABLE', severity: 'warning', message: 'The SendGrid API key may not read the account (HTTP 403 on /v3/user/account): reputation unknown.', hint: 'Give the key the "user.account.read" scope (Settings → API Keys → Restricted Access → User Account → Read).' });
          if (stats === null) notices.push({ code: 'FIGURES_FORBIDDEN', severity: 'warning', message: 'The SendGrid API key may not read statistics (HTTP 403 on /v3/stats).', hint: 'Give the key the "stats.read" scope (Settings → API Keys → Restricted Access → Stats → Read).' });
          const reputation = account === null ? null : num((account as { reputation?: unknown }).reputation);
          const type = account === null ? null : (account as { type?: unknown }).type;
          const verdict = account === null ? null : {
            restriction: null, sandbox: null, reputation,
            fields: { reputation, type: typeof type === 'string' ? type : null },
          };
          const daily = stats === null ? null : statsDaily(stats, dates);
          return { scope: daily ? 'account' : null, source: daily ? 'SendGrid GET /v3/stats' : null, daily, gauges: null, verdict, notices } satisfies DeliveryReport;
        })();
        // One call per account and window is the point: a failure is shared by every domain of the run too.
        cache.set(key, p);
      }
      return p;
    },
  };
}
