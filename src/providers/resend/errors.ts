/**
 * Resend failures. The SDK never throws for HTTP problems: every call resolves to
 * `{ data, error, headers }`, where `error` is Resend's own `{statusCode, name, message}` body, or a
 * synthetic `application_error` — with the HTTP status when the body was not JSON, with
 * `statusCode: null` when there was no usable answer at all (network failure, abort, or a 2xx whose
 * body is not JSON; the SDK does not say which). `api.ts` turns that into a thrown `ResendFailure` so
 * `withRetries` can see it; `toMailsetupError` makes the user-facing error.
 */
import { MailsetupError, redact } from '../../errors.js';
import { classifyHttpFailure } from '../http-adapter.js';
import type { FailureKind } from '../http-adapter.js';
import type { Failure } from '../../remote/retry.js';
import { parseRetryAfter } from '../../remote/retry.js';

export class ResendFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status: number | null = null,
    /** Resend's error `name` (`validation_error`, `not_found` …). */
    readonly code: string = '',
    /** Resend's error `message`. */
    readonly details: string = '',
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ResendFailure';
  }
}

export interface ResendErrorBody { name?: unknown; statusCode?: unknown; message?: unknown }

/** Rate limits come with `retry-after` and `ratelimit-reset`, both in seconds. */
function rateLimitWait(headers: Record<string, string> | null): number | null {
  return parseRetryAfter(headers?.['retry-after']) ?? parseRetryAfter(headers?.['ratelimit-reset']);
}

export function toFailure(error: ResendErrorBody, headers: Record<string, string> | null, timedOut: boolean, timeoutMs: number): ResendFailure {
  // Our own deadline fired: the SDK reports that like any network failure, so ask the signal first.
  if (timedOut) return new ResendFailure('timeout', `no answer within ${timeoutMs} ms`);
  const code = typeof error.name === 'string' ? error.name : '';
  const details = typeof error.message === 'string' ? error.message : '';
  const status = typeof error.statusCode === 'number' ? error.statusCode : null;
  if (status === null) return new ResendFailure('network', 'no usable answer (network failure, or a body that was not JSON)');
  return new ResendFailure('http', `HTTP ${status}${code ? ` ${code}` : ''}`, status, code, details, status === 429 ? rateLimitWait(headers) : null);
}

export function classify(error: unknown): Failure {
  if (!(error instanceof ResendFailure)) return { kind: 'fatal' };
  // Resend names a rate limit in the body too, whatever the status.
  if (error.kind === 'http' && error.code === 'rate_limit_exceeded') return { kind: 'rate-limit', retryAfterMs: error.retryAfterMs };
  return classifyHttpFailure(error, 'fatal');
}

const isHttp = (e: unknown): e is ResendFailure => e instanceof ResendFailure && e.kind === 'http';

export const isNotFound = (e: unknown): boolean => isHttp(e) && (e.status === 404 || e.code === 'not_found');
export const isInvalidId = (e: unknown): boolean => isHttp(e) && e.code === 'invalid_parameter';

/** "The `x` domain has been registered already." arrives as a 403 `validation_error`. */
export const isAlreadyRegistered = (e: unknown): boolean =>
  isHttp(e) && e.code === 'validation_error' && /already/i.test(e.details);

const AUTH_CODES = new Set(['missing_api_key', 'invalid_api_key', 'restricted_api_key', 'invalid_access']);

export const KEY_HINT = 'Set RESEND_API_KEY to a Resend API key with full access (Resend → API Keys); sending-only keys cannot manage domains.';

/** The final failure of an operation (`what`, e.g. "registering mail.acme.com") → MailsetupError. */
export function toMailsetupError(error: unknown, what: string, env: NodeJS.ProcessEnv, baseUrl: string): unknown {
  if (!(error instanceof ResendFailure)) return error;
  const where = redact(baseUrl, env);
  switch (error.kind) {
    case 'timeout':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `Resend (${where}) timed out while ${what} (${error.message}, after retries)`, {
        hint: 'Try again later, or raise --timeout.',
      });
    case 'malformed':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `Resend (${where}) sent an unreadable response while ${what}: ${error.message}`, {
        hint: 'A proxy may be answering instead of Resend; check RESEND_BASE_URL and HTTPS_PROXY.',
      });
    case 'network':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `could not get an answer from Resend (${where}) while ${what}: ${error.message}`, {
        hint: 'Check the network, RESEND_BASE_URL and any HTTPS_PROXY setting.',
      });
    case 'http':
      break;
  }
  // Resend's texts should never echo the key, but they are third-party strings: redact anyway.
  const said = `HTTP ${error.status}${error.code ? ` ${error.code}` : ''}${error.details ? `: ${redact(error.details.slice(0, 200), env)}` : ''}`;
  const status = error.status ?? 0;
  if (AUTH_CODES.has(error.code) || status === 401 || (status === 403 && error.code !== 'validation_error')) {
    return new MailsetupError('PROVIDER_AUTH', `Resend rejected the API key in RESEND_API_KEY (${said})`, { hint: KEY_HINT });
  }
  if (status === 429) return new MailsetupError('PROVIDER_UNAVAILABLE', `Resend kept rate-limiting us while ${what} (${said})`, { hint: 'Wait a minute and try again.' });
  if (status >= 500) return new MailsetupError('PROVIDER_UNAVAILABLE', `Resend failed while ${what} (${said}), after retries`, { hint: 'Try again later.' });
  if (isNotFound(error)) {
    return new MailsetupError('DOMAIN_NOT_FOUND', `Resend does not have this domain (${what}, ${said})`, { hint: 'Run `mailsetup add` again to recreate it.' });
  }
  if (error.code === 'invalid_region') {
    return new MailsetupError('USAGE', `Resend refused the region while ${what} (${said})`, { hint: 'Use one of: us-east-1, eu-west-1, sa-east-1, ap-northeast-1.' });
  }
  return new MailsetupError('USAGE', `Resend refused the request while ${what} (${said})`);
}
