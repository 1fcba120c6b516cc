/** The state file's health snapshots and warm-up plan: validated where they are (additive, optional). */
import { describe, expect, it } from 'vitest';
import { validateState } from '../../src/state/schema.js';
import { storeSnapshots, type DomainHealth } from '../../src/core/health.js';
import type { StateFile } from '../../src/state/schema.js';

const at = '2026-11-30T00:00:00.000Z';
const domain = (extra: Record<string, unknown>) => ({ version: 1, domains: { 'mail.acme.com': { provider: 'ses', providerId: 'mail.acme.com', region: null, records: [], status: 'verified', createdAt: at, updatedAt: at, history: [], ...extra } } });

describe('state: health snapshots and warmup plans', () => {
  it('accepts well-formed ones and files without them', () => {
    expect(validateState(domain({}))).toEqual([]);
    expect(validateState(domain({
      health: [{ date: '2026-12-01', sent: 10, delivered: 9, bounces: null, complaints: 0, status: 'healthy', days: 7, scope: 'domain', lastDay: { date: '2026-11-30', sent: 2, delivered: 2, bounces: 0, complaints: 0 } }],
      warmup: { start: 200, target: 50000, days: 21, startedAt: at },
    }))).toEqual([]);
  });
  it('names the exact spot of a bad hand edit', () => {
    expect(validateState(domain({ health: [{ date: '1 Dec', sent: -1, delivered: 0, bounces: 0, complaints: 0, status: 'great' }] }))).toEqual([
      'domains["mail.acme.com"].health[0].date: expected a UTC date such as "2026-12-01", got "1 Dec"',
      'domains["mail.acme.com"].health[0].sent: expected null or a number from 0, got number -1',
      'domains["mail.acme.com"].health[0].status: expected healthy|warning|flagged|unknown, got "great"',
    ]);
    expect(validateState(domain({ warmup: { start: 0, target: 5, days: 21 } }))).toEqual([
      'domains["mail.acme.com"].warmup.start: expected an integer from 1 to 1000000000, got number 0',
      'domains["mail.acme.com"].warmup.startedAt: required',
    ]);
  });
  it('storeSnapshots: one per UTC day, replaced the same day, 90 days kept, none for a domain that could not be asked', () => {
    const s = domain({ health: [
      { date: '2026-08-01', sent: 1, delivered: 1, bounces: 0, complaints: 0, status: 'healthy' },
      { date: '2026-12-05', sent: 1, delivered: 1, bounces: 0, complaints: 0, status: 'healthy' },
      { date: '2026-12-06', sent: 5, delivered: 5, bounces: 0, complaints: 0, status: 'healthy' },
    ] }) as unknown as StateFile;
    const r = (over: Partial<DomainHealth>): DomainHealth => ({
      domain: 'mail.acme.com', provider: 'ses', status: 'warning', window: { from: at, to: at, days: 7 }, verdict: {}, dns: 'verified', findings: [], providerFailed: false,
      figures: { sent: 100, delivered: 99, bounces: 3, complaints: 0, complaintBase: 99, bounceRate: 0.03, complaintRate: 0, scope: 'domain', source: 'x', ratesFrom: 'counts' },
      daily: [{ date: '2026-12-05', sent: 60, delivered: 60, bounces: 2, complaints: 0 }, { date: '2026-12-06', sent: 40, delivered: 39, bounces: 1, complaints: 0 }],
      ...over,
    });
    storeSnapshots(s, [r({ providerFailed: true })], new Date('2026-12-06T12:00:00Z'));
    expect(s.domains['mail.acme.com']!.health!.map((h) => h.sent)).toEqual([1, 1, 5]);
    storeSnapshots(s, [r({})], new Date('2026-12-06T12:00:00Z'));
    const h = s.domains['mail.acme.com']!.health!;
    expect(h.map((x) => x.date)).toEqual(['2026-12-05', '2026-12-06']);
    expect(h[1]).toMatchObject({ sent: 100, bounces: 3, status: 'warning', lastDay: { date: '2026-12-05', sent: 60, bounces: 2 } });
    expect(validateState(s)).toEqual([]);
  });
});
