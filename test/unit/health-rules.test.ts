/** The health figure model, rate formulas, thresholds, status rules and ordering, as pure functions. */
import { describe, expect, it } from 'vitest';
import { figuresFrom, healthExitCode, healthiestFirst, judge } from '../../src/core/health-rules.js';
import type { DailyFigures, DeliveryReport, ProviderVerdict } from '../../src/providers/types.js';

const day = (sent: number | null, bounces: number | null, complaints: number | null, delivered: number | null = sent, date = '2026-12-01'): DailyFigures =>
  ({ date, sent, delivered, bounces, complaints });
const report = (daily: DailyFigures[] | null, extra: Partial<DeliveryReport> = {}): DeliveryReport =>
  ({ scope: 'domain', source: 'test', daily, gauges: null, verdict: null, notices: [], ...extra });
const verdict = (v: Partial<ProviderVerdict>): ProviderVerdict => ({ restriction: null, sandbox: null, reputation: null, fields: {}, ...v });
const codes = (j: { findings: Array<{ code: string; severity: string }> }) => j.findings.map((f) => `${f.severity}:${f.code}`);

describe('figures', () => {
  it('sums the days; bounce rate over sent, complaint rate over delivered (or the complaint base)', () => {
    const f = figuresFrom(report([day(1000, 10, 1, 900), day(1000, 20, 0, 950)]))!;
    expect(f).toMatchObject({ sent: 2000, delivered: 1850, bounces: 30, complaints: 1, bounceRate: 30 / 2000, complaintRate: 1 / 1850, ratesFrom: 'counts' });
    const vdm = figuresFrom(report([{ ...day(1000, 0, 2, 990), complaintBase: 500 }]))!;
    expect(vdm.complaintRate).toBe(2 / 500);
  });
  it('a count the provider does not give is null, never 0; no days at all is a real zero', () => {
    const f = figuresFrom(report([day(100, null, null)]))!;
    expect(f.bounces).toBeNull();
    expect(f.bounceRate).toBeNull();
    expect(f.complaintRate).toBeNull();
    expect(figuresFrom(report([]))).toMatchObject({ sent: 0, bounceRate: null });
    expect(figuresFrom(report(null))).toBeNull();
  });
  it('provider gauges win over computed rates and count as the provider\'s own', () => {
    const f = figuresFrom(report(null, { gauges: { bounceRate: 0.04, complaintRate: null } }))!;
    expect(f).toMatchObject({ sent: null, bounceRate: 0.04, complaintRate: null, ratesFrom: 'provider' });
  });
});

describe('thresholds, just over and just under (exact fractions)', () => {
  const status = (sent: number, bounces: number, complaints: number) => judge('d.test', 'mailgun', report([day(sent, bounces, complaints)]), 'verified');
  it('bounce: exactly 2 % is healthy, just over is warning; exactly 3 % is warning, just over is flagged', () => {
    expect(status(10000, 200, 0).status).toBe('healthy');
    expect(status(10000, 201, 0).status).toBe('warning');
    expect(status(10000, 300, 0).status).toBe('warning');
    expect(status(10000, 301, 0).status).toBe('flagged');
    expect(codes(status(10000, 301, 0))).toContain('error:BOUNCE_RATE_HIGH');
    expect(status(10000, 301, 0).findings[0]).toMatchObject({ figure: 0.0301, threshold: 0.03 });
  });
  it('complaint: exactly 0.08 % healthy, over warning; exactly 0.1 % warning, over flagged', () => {
    expect(status(100000, 0, 80).status).toBe('healthy');
    expect(status(100000, 0, 81).status).toBe('warning');
    expect(status(100000, 0, 100).status).toBe('warning');
    expect(status(100000, 0, 101).status).toBe('flagged');
    expect(codes(status(100000, 0, 101))).toContain('error:COMPLAINT_RATE_HIGH');
  });
  it('below 100 sent: rates shown, not judged, LOW_VOLUME says why', () => {
    const j = status(99, 50, 10);
    expect(j.status).toBe('healthy');
    expect(j.figures!.bounceRate).toBeCloseTo(50 / 99);
    expect(codes(j)).toEqual(['info:LOW_VOLUME']);
    expect(status(100, 4, 0).status).toBe('flagged');
  });
});

describe('status rules', () => {
  const ok = [day(1000, 0, 0)];
  it('provider restriction, reputation, sandbox, DNS', () => {
    expect(judge('d', 'ses', report(ok, { verdict: verdict({ restriction: 'SES EnforcementStatus is PROBATION' }) }), 'verified').status).toBe('flagged');
    expect(judge('d', 'ses', report(ok, { verdict: verdict({ sandbox: true }) }), 'verified').status).toBe('warning');
    expect(judge('d', 'sendgrid', report(ok, { scope: 'account', verdict: verdict({ reputation: 65 }) }), 'verified').status).toBe('flagged');
    expect(judge('d', 'sendgrid', report(ok, { scope: 'account', verdict: verdict({ reputation: 75 }) }), 'verified').status).toBe('warning');
    expect(judge('d', 'sendgrid', report(ok, { scope: 'account', verdict: verdict({ reputation: 80 }) }), 'verified').status).toBe('healthy');
    expect(judge('d', 'mailgun', report(ok), 'failed').status).toBe('flagged');
    expect(judge('d', 'mailgun', report(ok), 'pending').status).toBe('warning');
    expect(judge('d', 'mailgun', report(ok), 'unknown').status).toBe('unknown');
  });
  it('no figure and no verdict is unknown; a missing figure never reads as healthy', () => {
    expect(judge('d', 'resend', report(null), 'verified').status).toBe('unknown');
    const partial = judge('d', 'sendgrid', report(null, { verdict: verdict({ reputation: 99 }) }), 'verified');
    expect(partial.status).toBe('warning');
    expect(codes(partial)).toContain('warning:FIGURES_UNAVAILABLE');
    expect(partial.figures).toBeNull();
  });
  it('account-wide figures say so', () => {
    expect(codes(judge('d', 'sendgrid', report(ok, { scope: 'account' }), 'verified'))).toContain('info:FIGURES_ACCOUNT_WIDE');
  });
});

describe('order and exit code', () => {
  it('healthiest first: status, then headroom under both thresholds, then name', () => {
    const mk = (domain: string, sent: number, b: number, c: number, dns: 'verified' | 'pending' = 'verified') => ({ domain, ...judge(domain, 'mailgun', report([day(sent, b, c)]), dns) });
    const order = healthiestFirst([mk('c', 1000, 10, 0), mk('a', 1000, 0, 0), mk('f', 1000, 40, 0), mk('w', 1000, 0, 0, 'pending'), mk('b', 1000, 0, 0)]).map((x) => x.domain);
    expect(order).toEqual(['a', 'b', 'c', 'w', 'f']);
  });
  it('worst wins: flagged 2 > unknown 69 > warning 1 > healthy 0', () => {
    expect(healthExitCode(['healthy'])).toBe(0);
    expect(healthExitCode(['healthy', 'warning'])).toBe(1);
    expect(healthExitCode(['warning', 'unknown'])).toBe(69);
    expect(healthExitCode(['unknown', 'flagged'])).toBe(2);
  });
});
