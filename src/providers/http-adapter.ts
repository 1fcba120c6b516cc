/**
 * What the HTTP-API email adapters (SendGrid, Mailgun, Resend) share, where it is one logic rather
 * than one look: the API key read from a named variable, the base-URL override and its check, the
 * region check, the HTTP failure → retry decision, and one operation run under `withRetries`. Each
 * adapter keeps its own failure class, messages and hints.
 */
import { MailsetupError } from '../errors.js';
import { retryBudget, withRetries } from '../remote/retry.js';
import type { Failure } from '../remote/retry.js';
import type { ProviderContext } from './types.js';

/** How a sanitised adapter failure came about. */
export type FailureKind = 'http' | 'network' | 'timeout' | 'malformed';

/** The API key in `variable`, trimmed; PROVIDER_AUTH naming the variable when it is unset or blank. */
export function requireApiKey(env: NodeJS.ProcessEnv, service: string, variable: string, hint: string): string {
  const apiKey = env[variable]?.trim();
  if (!apiKey) throw new MailsetupError('PROVIDER_AUTH', `${service} needs an API key, and ${variable} is not set`, { hint });
  return apiKey;
}

/**
 * `variable` when set (emulators, proxies), without trailing slashes: the SDKs append their own
 * `/v3/…` paths, so a trailing slash would double it. `fallback` otherwise.
 */
export function baseUrlFrom(env: NodeJS.ProcessEnv, variable: string, fallback: string): string {
  const override = env[variable]?.trim();
  return override ? override.replace(/\/+$/, '') : fallback;
}

/** A base URL (from `variable`, or the default) must be http(s) with a host; USAGE otherwise. */
export function requireHttpUrl(baseUrl: string, variable: string, hint: string): string {
  if (!/^https?:\/\/[^/]/i.test(baseUrl) || !URL.canParse(baseUrl)) {
    throw new MailsetupError('USAGE', `${variable} is not an http(s) URL: ${baseUrl}`, { hint });
  }
  return baseUrl;
}

/** `wanted` (already normalised) when it is one of `regions`; USAGE quoting what the user gave otherwise. */
export function requireRegion<R extends string>(service: string, regions: readonly R[], wanted: string, given: string | undefined): R {
  if ((regions as readonly string[]).includes(wanted)) return wanted as R;
  throw new MailsetupError('USAGE', `${service} has no region "${given}"`, { hint: `Use one of: ${regions.join(', ')}.` });
}

/**
 * The retry decision for a sanitised failure: network trouble and timeouts are worth a bounded
 * retry, 429 waits (for the server's hint when it gave one), 5xx retries, any other status is final.
 * `malformed`: whether a body we could not read is worth another try (a proxy's error page may be).
 */
export function classifyHttpFailure(
  failure: { kind: FailureKind; status: number | null; retryAfterMs: number | null },
  malformed: 'fatal' | 'transient',
): Failure {
  if (failure.kind === 'malformed') return { kind: malformed };
  if (failure.kind !== 'http') return { kind: 'transient' };
  const status = failure.status ?? 0;
  if (status === 429) return { kind: 'rate-limit', retryAfterMs: failure.retryAfterMs };
  return status >= 500 ? { kind: 'transient' } : { kind: 'fatal' };
}

/**
 * One operation under `withRetries` (`label` starts the debug line of each retry), its final
 * failure turned into the adapter's user-facing error by `toError`.
 */
export function runWithRetries<T>(
  ctx: ProviderContext,
  label: string,
  classify: (error: unknown) => Failure,
  op: () => Promise<T>,
  toError: (error: unknown) => unknown,
): Promise<T> {
  return withRetries(op, {
    classify,
    budgetMs: retryBudget(ctx.timeoutMs),
    ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
    onRetry: (attempt, waitMs, error) => ctx.debug?.(`${label}: attempt ${attempt} failed (${error instanceof Error ? error.message : 'error'}), retrying in ${Math.round(waitMs)} ms`),
  }).catch((error: unknown) => { throw toError(error); });
}
