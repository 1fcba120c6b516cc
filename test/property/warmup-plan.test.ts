/** The warm-up plan arithmetic, as properties, and the hold / step-back rules from hand-made days. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, planCaps, planFactor, walkPlan, type DayRecord } from '../../src/core/warmup-plan.js';
import { MailsetupError } from '../../src/errors.js';

const feasible = fc.record({ start: fc.integer({ min: 1, max: 5000 }), days: fc.integer({ min: 2, max: 60 }), grow: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ start, days, grow }) => ({ start, days, target: Math.max(start, Math.floor(start * Math.min(2 ** ((days - 1) * grow), 1e5))) }));

describe('plan arithmetic (property)', () => {
  it('caps never fall, never more than double, start on day one and reach the target on the last day', () => {
    fc.assert(fc.property(feasible, (input) => {
      const caps = planCaps(input);
      expect(caps).toHaveLength(input.days);
      expect(caps[0]!.cap).toBe(input.start);
      expect(caps[caps.length - 1]!.cap).toBe(input.target);
      for (let i = 1; i < caps.length; i++) {
        expect(caps[i]!.cap).toBeGreaterThanOrEqual(caps[i - 1]!.cap);
        expect(caps[i]!.cap).toBeLessThanOrEqual(2 * caps[i - 1]!.cap);
      }
      expect(planFactor(input)).toBeLessThanOrEqual(2);
    }), { numRuns: 500 });
  });
  it('a ramp that would need more than ×2 a day is refused with the days it would need', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 2, max: 30 }), (start, days) => {
      fc.pre(start * 2 ** (days - 1) < 1e8);
      const target = Math.ceil(start * 2 ** (days - 1) * 1.001) + 1;
      try { planFactor({ start, target, days }); return false; } catch (e) {
        return e instanceof MailsetupError && e.code === 'USAGE' && /--days \d+/.test(e.hint ?? '');
      }
    }));
  });
  it('the default plan: 200 → 50,000 in 21 days', () => {
    const caps = planCaps({ start: 200, target: 50000, days: 21 });
    expect(caps.map((c) => c.cap).slice(0, 4)).toEqual([200, 264, 348, 458]);
    expect(planFactor({ start: 200, target: 50000, days: 21 })).toBeCloseTo(1.3179, 3);
  });
});

describe('position on the plan: hold and step-back rules', () => {
  const caps = planCaps({ start: 100, target: 1600, days: 5 }); // 100 200 400 800 1600
  const start = '2026-12-01';
  const fig = (date: string, sent: number, bounces: number, complaints = 0): DayRecord => ({ status: 'healthy', figures: { date, sent, delivered: sent, bounces, complaints } });
  const at = (n: number) => addDays(start, n);

  it('advances one step a day while the days before stay clean', () => {
    const days = new Map([[at(0), fig(at(0), 100, 0)], [at(1), fig(at(1), 200, 1)]]);
    const w = walkPlan(caps, start, at(2), days);
    expect(w.map((s) => [s.step, s.cap, s.rule])).toEqual([[1, 100, 'start'], [2, 200, 'advance'], [3, 400, 'advance']]);
  });
  it('holds after a day with bounces above 2 %, and says so', () => {
    const days = new Map([[at(0), fig(at(0), 100, 0)], [at(1), fig(at(1), 200, 5)]]);
    const last = walkPlan(caps, start, at(2), days).at(-1)!;
    expect(last).toMatchObject({ step: 2, cap: 200, rule: 'hold' });
    expect(last.reason).toMatch(/bounce rate 2\.5 % .* above 2 %/);
  });
  it('exactly 2 % bounces does not hold', () => {
    const days = new Map([[at(0), fig(at(0), 100, 2)]]);
    expect(walkPlan(caps, start, at(1), days).at(-1)!.rule).toBe('advance');
  });
  it('holds after complaints above 0.1 %', () => {
    const days = new Map([[at(0), fig(at(0), 1000, 0, 2)]]);
    expect(walkPlan(caps, start, at(1), days).at(-1)).toMatchObject({ step: 1, rule: 'hold' });
  });
  it('steps back a day after a flagged day', () => {
    const days = new Map<string, DayRecord>([[at(0), fig(at(0), 100, 0)], [at(1), fig(at(1), 200, 0)], [at(2), { status: 'flagged', figures: null }]]);
    const w = walkPlan(caps, start, at(3), days);
    expect(w.at(-1)).toMatchObject({ step: 2, cap: 200, rule: 'step-back' });
  });
  it('holds when there is no snapshot for the day before', () => {
    expect(walkPlan(caps, start, at(1), new Map()).at(-1)).toMatchObject({ step: 1, rule: 'no-data' });
  });
  it('stays at the target once the plan is complete', () => {
    const days = new Map(Array.from({ length: 8 }, (_, i) => [at(i), fig(at(i), 100, 0)] as const));
    const last = walkPlan(caps, start, at(7), days).at(-1)!;
    expect(last).toMatchObject({ step: 5, cap: 1600, rule: 'complete' });
  });
});
