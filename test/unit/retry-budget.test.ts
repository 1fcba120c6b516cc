/** Provider retries stay within about 30 s in all (DESIGN.md; issue 12 item 5), on a fake clock. */
import { describe, expect, it } from 'vitest';
import { retryBudget, withRetries } from '../../src/remote/retry.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => { t += ms; }, sleep: async (ms: number) => { t += ms; } };
}
const transient = () => ({ kind: 'transient' as const });

describe('retry budget', () => {
  it('a call that hangs until the 30 s per-call timeout is tried once, not four times (2 minutes)', async () => {
    const c = clock();
    let calls = 0;
    await expect(withRetries(async () => { calls++; c.advance(30_000); throw new Error('timeout'); }, { classify: transient, now: c.now, sleep: c.sleep, budgetMs: retryBudget(30_000) })).rejects.toThrow('timeout');
    expect(calls).toBe(1);
    expect(c.now()).toBe(30_000);
  });
  it('fast failures are still retried (4 attempts) within the budget', async () => {
    const c = clock();
    let calls = 0;
    await expect(withRetries(async () => { calls++; c.advance(50); throw new Error('503'); }, { classify: transient, now: c.now, sleep: c.sleep })).rejects.toThrow('503');
    expect(calls).toBe(4);
    expect(c.now()).toBeLessThan(30_000);
  });
  it('a 10 s per-call timeout: retried while the 30 s last, then given up (about 30 s in all)', async () => {
    const c = clock();
    let calls = 0;
    await expect(withRetries(async () => { calls++; c.advance(10_000); throw new Error('timeout'); }, { classify: transient, now: c.now, sleep: c.sleep, budgetMs: retryBudget(10_000) })).rejects.toThrow();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(c.now()).toBeLessThanOrEqual(40_000);
  });
  it('a Retry-After longer than what is left is not waited for', async () => {
    const c = clock();
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw new Error('429'); }, { classify: () => ({ kind: 'rate-limit' as const, retryAfterMs: 45_000 }), now: c.now, sleep: c.sleep })).rejects.toThrow('429');
    expect(calls).toBe(1);
    expect(c.now()).toBe(0);
  });
  it('--timeout longer than 30 s sets the budget', () => {
    expect(retryBudget(undefined)).toBe(30_000);
    expect(retryBudget(5_000)).toBe(30_000);
    expect(retryBudget(90_000)).toBe(90_000);
  });
});
