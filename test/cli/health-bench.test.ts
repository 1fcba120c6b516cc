/**
 * `health --all` over 100 domains (25 per provider) against the four emulators: wall time and the
 * API calls each provider received, printed for the closing note, and the calls bounded: one
 * GetAccount per SES region, one /v3/stats and one /v3/user/account per SendGrid account, one
 * metrics call per domain where figures are per domain (plus Mailgun's domain read).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson } from '../helpers/cli.js';
import { startHealthWorld, type HealthWorld, type Provider } from '../helpers/health-world.js';
import { spread } from '../emulators/delivery-seed.js';

const PROVIDERS: Provider[] = ['ses', 'sendgrid', 'mailgun', 'resend'];
const domains = Array.from({ length: 100 }, (_, i) => `mail.d${String(i).padStart(3, '0')}.bench.test`);
const providerOf = (i: number) => PROVIDERS[i % 4]!;
let w: HealthWorld;

beforeAll(async () => {
  w = await startHealthWorld(domains);
  w.ses.setAccount({ VdmEnabled: 'ENABLED', EnforcementStatus: 'HEALTHY', SendingEnabled: true, ProductionAccessEnabled: true });
  w.sendgrid.setAccount({ reputation: 97 });
  w.sendgrid.setStatsDays(spread({ sent: 70000, bounces: 300, complaints: 10 }));
  domains.forEach((d, i) => {
    const days = spread({ sent: 1000 + i * 100, bounces: i % 40, complaints: i % 3 });
    if (providerOf(i) === 'ses') w.ses.setVdmDays(d, days);
    if (providerOf(i) === 'mailgun') w.mailgun.setMetricsDays(d, days);
    if (providerOf(i) === 'resend') w.resend.setMetricsDays(d, days);
  });
});
afterAll(async () => { await w.close(); });

describe('health --all over 100 domains', () => {
  it('judges every domain with bounded API calls, and prints the wall time', async () => {
    const state = w.state(Object.fromEntries(domains.map((d, i) => [d, providerOf(i)])));
    const before = { ses: w.ses.requests.length, sendgrid: w.sendgrid.requests.length, mailgun: w.mailgun.requests.length, resend: w.resend.requests.length, dns: 0 };
    const dnsBefore = w.dns.queries.length;
    const started = performance.now();
    const r = await w.run(['health', '--all', '--json'], state);
    const wall = performance.now() - started;
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson(r);
    expect(doc.domains).toHaveLength(100);
    expect(doc.domains.every((d: { dns: string; figures: { sent: number | null } }) => d.dns === 'verified' && d.figures.sent !== null)).toBe(true);
    const calls = Object.fromEntries(PROVIDERS.map((p) => [p, w[p].requests.slice(before[p])]));
    const count = (p: Provider, path: string) => calls[p]!.filter((q) => q.path === path).length;
    expect(count('ses', '/v2/email/account')).toBe(1);
    expect(count('ses', '/v2/email/metrics/batch')).toBe(25);
    expect(count('sendgrid', '/v3/stats')).toBe(1);
    expect(count('sendgrid', '/v3/user/account')).toBe(1);
    expect(count('mailgun', '/v1/analytics/metrics')).toBe(25);
    expect(count('resend', '/emails/metrics')).toBe(25);
    const total = PROVIDERS.reduce((s, p) => s + calls[p]!.length, 0);
    expect(total).toBe(1 + 25 + 2 + 50 + 25);
    const statuses = doc.domains.reduce((m: Record<string, number>, d: { status: string }) => ({ ...m, [d.status]: (m[d.status] ?? 0) + 1 }), {});
    const dnsQuestions = w.dns.queries.length - dnsBefore;
    // Four stored records per domain on the authoritative server, the zone cut, and the DKIM CNAME's
    // target followed: about 7 a domain, never the public resolvers.
    expect(dnsQuestions).toBeLessThanOrEqual(100 * 8);
    console.log(`health --all, 100 domains (25 per provider), concurrency 8: ${Math.round(wall)} ms wall (process start included); API calls: ${PROVIDERS.map((p) => `${p} ${calls[p]!.length}`).join(', ')} = ${total}; DNS questions ${dnsQuestions}; statuses ${JSON.stringify(statuses)}`);
    expect(wall).toBeLessThan(30_000);
  }, 60_000);
});
