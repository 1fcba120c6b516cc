/**
 * SendGrid failures, in two steps. `toFailure` runs inside `api.ts` on whatever the SDK threw and
 * keeps only what we need (status, SendGrid's own messages, retry hints): SDK and axios errors carry
 * the request config with the `Authorization: Bearer <key>` header, so none of them may travel past
 * the adapter, not even as a `cause`. `classify` feeds `withRetries`; `toMailsetupError` turns the
 * last failure into the user-facing error with the documented exit status.
 */
import { MailsetupError, redact } from '../../errors.js';
import { classifyHttpFailure } from '../http-adapter.js';
import type { FailureKind } from '../http-adapter.js';
import type { Failure } from '../../remote/retry.js';
import { parseRetryAfter } from '../../remote/retry.js';

/** A sanitised SendGrid failure: built from scratch, so it holds no headers, config or key. */
export class SendgridFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status: number | null = null,
    /** SendGrid's `errors[].message` (prefixed with the field when it names one). */
    readonly details: string[] = [],
    readonly field: string | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'SendgridFailure';
  }
}

type Headers = Record<string, unknown> & { get?: (name: string) => unknown };

function header(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  const h = headers as Headers;
  const direct = typeof h.get === 'function' ? h.get(name) : undefined;
  if (typeof direct === 'string') return direct;
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === name && (typeof v === 'string' || typeof v === 'number')) return String(v);
  return null;
}

/**
 * SendGrid documents X-RateLimit-Reset (epoch seconds) rather than Retry-After; prefer Retry-After
 * when a proxy or a future API version sends it, else wait until the reset instant.
 */
export function rateLimitWait(headers: unknown, now = Date.now()): number | null {
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'), now);
  if (retryAfter !== null) return retryAfter;
  const reset = header(headers, 'x-ratelimit-reset');
  if (reset === null || !/^\d+$/.test(reset.trim())) return null;
  const wait = Number(reset.trim()) * 1000 - now;
  // A reset already in the past (clock skew) says nothing useful: fall back to backoff.
  return wait > 0 ? wait : null;
}

function errorBody(body: unknown): { details: string[]; field: string | null } {
  const errors = body && typeof body === 'object' ? (body as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return { details: [], field: null };
  let field: string | null = null;
  const details: string[] = [];
  for (const e of errors) {
    if (!e || typeof e !== 'object') continue;
    const { message, field: f } = e as { message?: unknown; field?: unknown };
    if (typeof f === 'string' && f !== '') field ??= f;
    if (typeof message === 'string' && message !== '') details.push(typeof f === 'string' && f !== '' ? `${f}: ${message}` : message);
  }
  return { details, field };
}

const NETWORK_WORDS: Record<string, string> = {
  ERR_BAD_RESPONSE: 'the connection was cut mid-response',
  ECONNRESET: 'the connection was reset',
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
};

/** Anything the SDK rejected with → a SendgridFailure. Called only by api.ts. */
export function toFailure(error: unknown, timeoutMs: number): SendgridFailure {
  if (error instanceof SendgridFailure) return error;
  const e = (error ?? {}) as { code?: unknown; message?: unknown; response?: { status?: unknown; headers?: unknown; body?: unknown } };
  // ResponseError: `code` is the HTTP status (≥ 400), `response` = {headers, body}.
  if (typeof e.code === 'number' && e.response) {
    const status = e.code;
    const { details, field } = errorBody(e.response.body);
    const wait = status === 429 ? rateLimitWait(e.response.headers) : null;
    return new SendgridFailure('http', `HTTP ${status}`, status, details, field, wait);
  }
  // Raw axios errors may carry a `response` too (a 200 whose body stream was cut carries status
  // 200 and code ERR_BAD_RESPONSE), so the transport code decides, not the status.
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === 'ETIMEDOUT' || (code === 'ECONNABORTED' && /timeout/i.test(message))) {
    return new SendgridFailure('timeout', `no answer within ${timeoutMs} ms`);
  }
  if (code !== '') return new SendgridFailure('network', NETWORK_WORDS[code] ?? `network error ${code}`);
  const status = typeof e.response?.status === 'number' ? e.response.status : null;
  if (status !== null) return new SendgridFailure('http', `HTTP ${status}`, status);
  // Nothing recognisable: keep only the error's class name; its message may quote the request.
  const kind = error instanceof Error ? error.constructor.name : typeof error;
  return new SendgridFailure('network', `request failed (${kind})`);
}

export function classify(error: unknown): Failure {
  if (!(error instanceof SendgridFailure)) return { kind: 'fatal' };
  // Network, timeout and garbage bodies (usually a proxy's error page) are worth a bounded retry;
  // operations are written to be safe to repeat (index.ts).
  return classifyHttpFailure(error, 'transient');
}

export const KEY_HINT = 'Set SENDGRID_API_KEY to an API key with the "Sender Authentication" permission (Settings → API Keys); for an EU subuser also set SENDGRID_BASE_URL=https://api.eu.sendgrid.com.';

/** The final failure of an operation (`what`, e.g. "registering mail.acme.com") → MailsetupError. */
export function toMailsetupError(error: unknown, what: string, env: NodeJS.ProcessEnv): unknown {
  if (!(error instanceof SendgridFailure)) return error;
  // SendGrid's own texts should never echo the key, but they are third-party strings: redact anyway.
  const said = error.details.length > 0 ? `: ${redact(error.details.join('; '), env)}` : '';
  const status = error.status ?? 0;
  switch (error.kind) {
    case 'timeout':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `SendGrid timed out while ${what} (${error.message}, after retries)`, {
        hint: 'Try again later, or raise --timeout.',
      });
    case 'malformed':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `SendGrid sent an unreadable response while ${what} (${error.message})`, {
        hint: 'A proxy may be answering instead of SendGrid; check SENDGRID_BASE_URL and HTTPS_PROXY.',
      });
    case 'network':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `could not reach SendGrid while ${what} (${error.message})`, {
        hint: 'Check the network, SENDGRID_BASE_URL and any HTTPS_PROXY setting.',
      });
    case 'http':
      break;
  }
  if (status === 401) return new MailsetupError('PROVIDER_AUTH', `SendGrid rejected the API key in SENDGRID_API_KEY (HTTP 401${said})`, { hint: KEY_HINT });
  if (status === 403) {
    return new MailsetupError('PROVIDER_AUTH', `the API key in SENDGRID_API_KEY may not do this (HTTP 403${said})`, {
      hint: 'Give the key the "Sender Authentication" (and, for single senders, "Sender Verification") permission, or use a full-access key.',
    });
  }
  if (status === 429) return new MailsetupError('PROVIDER_UNAVAILABLE', `SendGrid kept rate-limiting us while ${what} (HTTP 429)`, { hint: 'Wait a minute and try again.' });
  if (status >= 500) return new MailsetupError('PROVIDER_UNAVAILABLE', `SendGrid failed while ${what} (HTTP ${status}${said}), after retries`, { hint: 'Try again later.' });
  if (status === 404) return new MailsetupError('DOMAIN_NOT_FOUND', `SendGrid does not know it (${what}, HTTP 404${said})`, { hint: 'Run `mailsetup add` again to recreate it.' });
  if (status === 400 || status === 409 || status === 422) {
    const aboutName = error.field !== null && /domain|subdomain|email/i.test(error.field);
    return new MailsetupError(aboutName ? 'DOMAIN_INVALID' : 'USAGE', `SendGrid refused the request while ${what} (HTTP ${status}${said})`);
  }
  return new MailsetupError('PROVIDER_UNAVAILABLE', `SendGrid answered HTTP ${status} while ${what}${said}`);
}
