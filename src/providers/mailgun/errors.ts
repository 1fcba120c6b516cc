/**
 * Mailgun failures, in two steps. `toFailure` runs inside `api.ts` on whatever the SDK threw and
 * keeps only what we need; `classify` feeds `withRetries`; `toMailsetupError` turns the last failure
 * into the user-facing error with the documented exit status.
 *
 * mailgun.js folds every failure into one `MailgunAPIError` shape (`{status, message, details}`),
 * transport failures included: with no HTTP response it reports `status: 400` and puts the axios
 * error code (`ECONNRESET`, `ECONNABORTED` …) where the HTTP reason phrase would be; a body cut off
 * mid-stream keeps the 200 it started with. A 200 whose body
 * is not JSON is not an error to the SDK at all; it then crashes building its `Domain` object, so any
 * non-SDK exception out of an SDK call means "unreadable answer".
 */
import { MailsetupError, redact } from '../../errors.js';
import { classifyHttpFailure } from '../http-adapter.js';
import type { FailureKind } from '../http-adapter.js';
import type { Failure } from '../../remote/retry.js';
import { parseRetryAfter } from '../../remote/retry.js';

/** A sanitised Mailgun failure, built from scratch so it carries no request config or key. */
export class MailgunFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status: number | null = null,
    /** Mailgun's own `message` text, when it sent one. */
    readonly details: string = '',
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'MailgunFailure';
  }
}

interface SdkError { type?: unknown; status?: unknown; message?: unknown; details?: unknown }

const NETWORK_WORDS: Record<string, string> = {
  ECONNRESET: 'the connection was reset',
  ERR_BAD_RESPONSE: 'the connection was cut mid-response',
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
};

/** An axios error code standing in for a reason phrase; ERR_BAD_REQUEST is a real 4xx reply. */
const TRANSPORT_CODE = /^(E[A-Z]+|ERR_[A-Z_]+)$/;

/** Anything an SDK call rejected with → MailgunFailure. `retryAfter` is the header api.ts saw. */
export function toFailure(error: unknown, timeoutMs: number, retryAfter: string | null): MailgunFailure {
  if (error instanceof MailgunFailure) return error;
  const e = (error ?? {}) as SdkError;
  if (e.type !== 'MailgunAPIError') {
    // Only the SDK's own parsing can throw here (see header); its message may quote the body.
    return new MailgunFailure('malformed', 'the answer was not the JSON Mailgun documents');
  }
  const status = typeof e.status === 'number' ? e.status : 400;
  const reason = typeof e.message === 'string' ? e.message : '';
  const details = typeof e.details === 'string' ? e.details : '';
  if (status === 400 && reason !== 'ERR_BAD_REQUEST' && TRANSPORT_CODE.test(reason)) {
    if (reason === 'ECONNABORTED' || reason === 'ETIMEDOUT' || /timeout/i.test(details)) {
      return new MailgunFailure('timeout', `no answer within ${timeoutMs} ms`);
    }
    return new MailgunFailure('network', NETWORK_WORDS[reason] ?? `network error ${reason}`);
  }
  // A 2xx "error" is a body cut off after the headers (axios: "stream has been aborted").
  if (status < 400) return new MailgunFailure('network', `the connection was cut mid-response (HTTP ${status})`);
  // The SDK's sign that the base URL has a path too many: the API root answered instead.
  if (reason === 'Incorrect url') return new MailgunFailure('malformed', 'the API root answered instead of an endpoint (a path in the base URL?)');
  return new MailgunFailure('http', `HTTP ${status}`, status, details, status === 429 ? parseRetryAfter(retryAfter) : null);
}

export function classify(error: unknown): Failure {
  if (!(error instanceof MailgunFailure)) return { kind: 'fatal' };
  // A 200 with garbage is a proxy or a wrong base URL far more often than a blip: fail at once.
  return classifyHttpFailure(error, 'fatal');
}

export const isNotFound = (e: unknown): boolean => e instanceof MailgunFailure && e.kind === 'http' && e.status === 404;

/** Mailgun's answer to creating a domain that exists (wording unverified, hence the loose match). */
export const isAlreadyExists = (e: unknown): boolean =>
  e instanceof MailgunFailure && e.kind === 'http' && (e.status === 400 || e.status === 409) && /already|exists|taken/i.test(e.details);

export const KEY_HINT = 'Set MAILGUN_API_KEY to a Mailgun private API key (Account → API keys). Keys are per region: for an EU account use --region eu.';

/** The final failure of an operation (`what`, e.g. "registering mail.acme.com") → MailsetupError. */
export function toMailsetupError(error: unknown, what: string, env: NodeJS.ProcessEnv, baseUrl: string): unknown {
  if (!(error instanceof MailgunFailure)) return error;
  // Mailgun's texts should never echo the key, but they are third-party strings: redact anyway.
  const said = error.details !== '' ? `: ${redact(error.details.slice(0, 200), env)}` : '';
  const where = redact(baseUrl, env);
  switch (error.kind) {
    case 'timeout':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `Mailgun (${where}) timed out while ${what} (${error.message}, after retries)`, {
        hint: 'Try again later, or raise --timeout.',
      });
    case 'malformed':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `Mailgun (${where}) sent an unreadable response while ${what}: ${error.message}`, {
        hint: 'A proxy may be answering instead of Mailgun; check MAILGUN_BASE_URL (no path) and HTTPS_PROXY.',
      });
    case 'network':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `could not reach Mailgun (${where}) while ${what}: ${error.message}`, {
        hint: 'Check the network, MAILGUN_BASE_URL and any HTTPS_PROXY setting.',
      });
    case 'http':
      break;
  }
  const status = error.status ?? 0;
  if (status === 401 || status === 403) {
    return new MailsetupError('PROVIDER_AUTH', `Mailgun rejected the API key in MAILGUN_API_KEY (HTTP ${status}${said})`, { hint: KEY_HINT });
  }
  if (status === 429) return new MailsetupError('PROVIDER_UNAVAILABLE', `Mailgun kept rate-limiting us while ${what} (HTTP 429)`, { hint: 'Wait a minute and try again.' });
  if (status >= 500) return new MailsetupError('PROVIDER_UNAVAILABLE', `Mailgun failed while ${what} (HTTP ${status}${said}), after retries`, { hint: 'Try again later.' });
  if (status === 404) {
    return new MailsetupError('DOMAIN_NOT_FOUND', `Mailgun does not have this domain (${what}, HTTP 404${said})`, {
      hint: 'Run `mailsetup add` again to recreate it, or check --region: US and EU accounts are separate.',
    });
  }
  return new MailsetupError('USAGE', `Mailgun refused the request while ${what} (HTTP ${status}${said})`);
}
