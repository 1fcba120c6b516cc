/**
 * One AWS SDK call the way every AWS adapter (SES, Route 53) makes it: a fresh deadline per attempt
 * (--timeout, through an AbortSignal), bounded retries of our own (`withRetries`; the clients are
 * built with `maxAttempts: 1`), a debug line per retry, and the adapter's MailsetupError at the end.
 */
import type { MailsetupError } from '../errors.js';
import { realSleep, retryBudget, withRetries } from './retry.js';
import type { Failure } from './retry.js';

export interface AwsCallContext {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  debug?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface AwsCallSpec {
  /** As users read it: `SES`, `Route 53`. */
  service: string;
  /** Thrown in place of the SDK's abort error when our deadline fired. */
  TimeoutError: new (operation: string, timeoutMs: number) => Error;
  classify: (e: unknown) => Failure;
  toError: (e: unknown, operation: string, env: NodeJS.ProcessEnv) => MailsetupError;
}

type Send<T> = (abortSignal: AbortSignal) => Promise<T>;

export interface AwsCall {
  /**
   * `tolerate`: a final failure that is an answer (NotFound on a read, AlreadyExists on a create):
   * the call resolves to null instead. `onRetry` runs before each retry.
   */
  <T>(operation: string, send: Send<T>, opts: { tolerate: (e: unknown) => boolean; onRetry?: () => void }): Promise<T | null>;
  <T>(operation: string, send: Send<T>, opts?: { onRetry?: () => void }): Promise<T>;
}

export function awsCaller(ctx: AwsCallContext, spec: AwsCallSpec): AwsCall {
  const sleep = ctx.sleep ?? realSleep;
  async function call<T>(operation: string, send: Send<T>, opts: { tolerate?: (e: unknown) => boolean; onRetry?: () => void } = {}): Promise<T | null> {
    const attempt = async (): Promise<T> => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), ctx.timeoutMs);
      try {
        return await send(controller.signal);
      } catch (e) {
        if (controller.signal.aborted) throw new spec.TimeoutError(operation, ctx.timeoutMs);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      return await withRetries(attempt, {
        classify: spec.classify,
        budgetMs: retryBudget(ctx.timeoutMs),
        sleep,
        onRetry: (n, waitMs, e) => {
          opts.onRetry?.();
          ctx.debug?.(`${spec.service} ${operation}: attempt ${n} failed (${(e as Error).name}); retrying in ${Math.round(waitMs)} ms`);
        },
      });
    } catch (e) {
      if (opts.tolerate?.(e)) return null;
      ctx.debug?.(`${spec.service} ${operation} failed: ${(e as Error).name}`);
      throw spec.toError(e, operation, ctx.env);
    }
  }
  return call as AwsCall;
}
