/**
 * `warmup` through the built CLI: a plan stored in the domain's state and printed day by day; run
 * again, the position on the plan from hand-made `health` snapshots, with the hold and step-back
 * rules named; --reset; impossible ramps refused (64) without touching the state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runCli } from '../helpers/cli.js';
import { sesWanted } from '../helpers/zone-builders.js';
import { daysAgo } from '../emulators/delivery-seed.js';

const D = 'mail.warm.test';
let dir: string;
let n = 0;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mailsetup-warmup-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function state(extra: Record<string, unknown> = {}): string {
  const at = '2026-11-30T00:00:00.000Z';
  const file = join(dir, `state-${++n}.json`);
  writeFileSync(file, JSON.stringify({ version: 1, domains: { [D]: { provider: 'mailgun', providerId: D, region: null, records: sesWanted(D), status: 'verified', createdAt: at, updatedAt: at, history: [], ...extra } } }, null, 2) + '\n');
  return file;
}
const warmup = (file: string, ...args: string[]) => runCli(['warmup', D, '--config', file, ...args], { AWS_EC2_METADATA_DISABLED: 'true' });
const startedDaysAgo = (k: number) => `${daysAgo(k)}T09:00:00.000Z`;
const snap = (date: string, status: string, lastDay: { date: string; sent: number; bounces: number; complaints?: number } | null = null) => ({
  date, sent: 1000, delivered: 1000, bounces: 0, complaints: 0, status, days: 7, scope: 'domain',
  lastDay: lastDay ? { delivered: lastDay.sent, complaints: 0, ...lastDay } : null,
});

describe('warmup', () => {
  it('--target stores the plan and prints it day by day: 200 a day to the target in 21 days', async () => {
    const file = state();
    const r = await warmup(file, '--target', '50000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson(r);
    expect(doc.plan).toMatchObject({ start: 200, target: 50000, days: 21, factor: 1.3179 });
    expect(doc.plan.caps).toHaveLength(21);
    expect(doc.plan.caps[0]).toEqual({ day: 1, cap: 200, date: daysAgo(0) });
    expect(doc.plan.caps[20]).toMatchObject({ day: 21, cap: 50000 });
    expect(doc.position).toMatchObject({ day: 1, step: 1, cap: 200, rule: 'start' });
    const saved = JSON.parse(readFileSync(file, 'utf8')).domains[D].warmup;
    expect(saved).toMatchObject({ start: 200, target: 50000, days: 21 });
    expect(Date.parse(saved.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    const human = await warmup(file);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/today \(.+, day 1 of the plan\): send at most 200 \(step 1 of 21\)/);
  });

  it('a ramp faster than ×2 a day is refused (64) with the days it needs; the state is untouched', async () => {
    const file = state();
    const before = readFileSync(file, 'utf8');
    const r = await warmup(file, '--target', '1000000', '--days', '5');
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/never grows faster than ×2/);
    expect(r.stderr).toMatch(/--days 14 or more/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect((await warmup(file, '--target', 'lots')).code).toBe(64);
    expect((await warmup(file)).stderr).toMatch(/has no warm-up plan.*\n.*--target/);
  });

  it('clean days: one step a day, yesterday\'s volume against the plan', async () => {
    const file = state({
      warmup: { start: 100, target: 1600, days: 5, startedAt: startedDaysAgo(2) },
      health: [snap(daysAgo(1), 'healthy', { date: daysAgo(2), sent: 90, bounces: 0 }), snap(daysAgo(0), 'healthy', { date: daysAgo(1), sent: 250, bounces: 1 })],
    });
    const doc = parseJson(await warmup(file, '--json'));
    expect(doc.position).toMatchObject({ day: 3, step: 3, cap: 400, rule: 'advance', yesterday: { date: daysAgo(1), sent: 250, cap: 200, bounceRate: 0.004 } });
    const human = await warmup(file);
    expect(human.stdout).toMatch(/yesterday \(.+\): sent 250 of a planned 200 — over the plan/);
  });

  it('holds after a day with bounces above 2 %, and names the rule', async () => {
    const file = state({
      warmup: { start: 100, target: 1600, days: 5, startedAt: startedDaysAgo(2) },
      health: [snap(daysAgo(1), 'healthy', { date: daysAgo(2), sent: 100, bounces: 0 }), snap(daysAgo(0), 'warning', { date: daysAgo(1), sent: 200, bounces: 5 })],
    });
    const doc = parseJson(await warmup(file, '--json'));
    expect(doc.position).toMatchObject({ step: 2, cap: 200, rule: 'hold' });
    expect(doc.position.reason).toMatch(/bounce rate 2\.5 % on .* above 2 %/);
    expect((await warmup(file)).stdout).toMatch(/rule: hold — bounce rate 2\.5 %/);
  });

  it('holds after complaints above 0.1 %', async () => {
    const file = state({
      warmup: { start: 100, target: 1600, days: 5, startedAt: startedDaysAgo(1) },
      health: [snap(daysAgo(0), 'healthy', { date: daysAgo(1), sent: 1000, bounces: 0, complaints: 2 })],
    });
    expect(parseJson(await warmup(file, '--json')).position).toMatchObject({ step: 1, rule: 'hold', reason: expect.stringMatching(/complaint rate 0\.2 %/) });
  });

  it('steps back a day after a flagged day', async () => {
    const file = state({
      warmup: { start: 100, target: 1600, days: 5, startedAt: startedDaysAgo(3) },
      health: [
        snap(daysAgo(2), 'healthy', { date: daysAgo(3), sent: 100, bounces: 0 }),
        snap(daysAgo(1), 'flagged', { date: daysAgo(2), sent: 200, bounces: 0 }),
        snap(daysAgo(0), 'healthy', { date: daysAgo(1), sent: 400, bounces: 0 }),
      ],
    });
    const doc = parseJson(await warmup(file, '--json'));
    // day 1 → step 1; day 2 → 2; day 3 (after day 2, clean figures) → 3; today, after flagged yesterday → 2.
    expect(doc.position).toMatchObject({ day: 4, step: 2, cap: 200, rule: 'step-back' });
  });

  it('holds when there is no snapshot for yesterday, and says to run health daily', async () => {
    const file = state({ warmup: { start: 100, target: 1600, days: 5, startedAt: startedDaysAgo(1) } });
    const doc = parseJson(await warmup(file, '--json'));
    expect(doc.position).toMatchObject({ step: 1, rule: 'no-data', yesterday: { sent: null } });
    expect(doc.position.reason).toMatch(/mailsetup health/);
  });

  it('--reset drops the plan', async () => {
    const file = state({ warmup: { start: 100, target: 1600, days: 5, startedAt: startedDaysAgo(1) } });
    const r = await warmup(file, '--reset', '--json');
    expect(parseJson(r)).toEqual({ domain: D, plan: null, dropped: true });
    expect(JSON.parse(readFileSync(file, 'utf8')).domains[D].warmup).toBeUndefined();
  });
});
