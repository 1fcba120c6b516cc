/**
 * Retries for provider and DNS-host API calls, shared by every adapter: 429 waits for Retry-After
 * when the server gives one (else exponential backoff), 5xx / network errors / timeouts back off a
 * bounded number of times, everything else fails at once. All of it within a budget (DESIGN.md:
 * a call that keeps failing gives up within about 30 s in all, retries included, unless --timeout
 * says otherwise): no retry starts once the budget is spent, so a hanging API (each attempt waits
 * out the per-call timeout, 30 s by default) is tried once, not four times over two minutes.
 */
export type Failure =
  | { kind: 'rate-limit'; retryAfterMs: number | null }
  | { kind: 'transient' }
  | { kind: 'fatal' };

export interface RetryOptions {
  /** Total attempts including the first (default 4). */
  attempts?: number;
  baseDelayMs?: number;
  /** Longest wait honoured from a Retry-After header (default 60 s). */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  classify: (error: unknown) => Failure;
  onRetry?: (attempt: number, waitMs: number, error: unknown) => void;
  /** No retry starts after this much time in all (default RETRY_BUDGET_MS; see `retryBudget`). */
  budgetMs?: number;
  now?: () => number;
}

export const RETRY_BUDGET_MS = 30_000;

/** The budget for a per-call timeout: about 30 s, or the timeout itself when --timeout asks for longer. */
export const retryBudget = (timeoutMs: number | undefined): number => Math.max(RETRY_BUDGET_MS, timeoutMs ?? 0);

export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export async function withRetries<T>(op: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const base = opts.baseDelayMs ?? 400;
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const started = now();
  const budget = opts.budgetMs ?? RETRY_BUDGET_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      const f = opts.classify(error);
      if (f.kind === 'fatal' || attempt >= attempts) throw error;
      const backoff = Math.min(8000, base * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      const wait = f.kind === 'rate-limit' && f.retryAfterMs !== null ? Math.min(f.retryAfterMs, opts.maxRetryAfterMs ?? 60_000) : backoff;
      if (now() - started + wait >= budget) throw error; // the budget is spent: give up now
      opts.onRetry?.(attempt, wait, error);
      await sleep(wait);
    }
  }
}
