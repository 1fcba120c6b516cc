/**
 * Cloudflare failures → retry decisions and MailsetupError (registrars.md §1.5). Works on the
 * error's shape (status, errors[], headers) rather than SDK classes, so it never imports the SDK.
 * The envelope on failure is `{success:false, errors:[{code, message}]}`.
 */
import { MailsetupError, redact } from '../../errors.js';
import { parseRetryAfter } from '../../remote/retry.js';
import type { Failure } from '../../remote/retry.js';

export const TOKEN_VAR = 'CLOUDFLARE_API_TOKEN';

interface CfErrorShape {
  name?: string;
  message?: string;
  status?: number;
  errors?: Array<{ code?: number; message?: string }>;
  headers?: { get?(name: string): string | null };
  cause?: { code?: string; name?: string };
}

const shape = (e: unknown): CfErrorShape => (typeof e === 'object' && e !== null ? (e as CfErrorShape) : {});

/** Token invalid (9109), not allowed for this zone (10000), malformed auth headers (6003, 6111, 6103). */
const AUTH_CODES = new Set([9109, 10000, 6003, 6111, 6103]);
/** "Record already exists" / "An identical record already exists". */
const DUPLICATE_CODES = new Set([81057, 81058]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** Thrown by api.ts when Cloudflare answered 2xx but not with what the API promises. */
export class CloudflareMalformedError extends Error {
  constructor(operation: string) {
    super(`Cloudflare answered ${operation} with a response that could not be read`);
    this.name = 'CloudflareMalformedError';
  }
}

export const codesOf = (e: unknown): number[] => (shape(e).errors ?? []).map((x) => Number(x.code)).filter(Number.isFinite);
export const isDuplicate = (e: unknown): boolean => shape(e).status === 400 && codesOf(e).some((c) => DUPLICATE_CODES.has(c));

function isAuth(e: unknown): boolean {
  const s = shape(e);
  return s.status === 401 || s.status === 403 || codesOf(e).some((c) => AUTH_CODES.has(c));
}

/** No HTTP answer at all (the SDK's APIConnectionError / timeout), or the body was cut off. */
function isNetwork(e: unknown): boolean {
  const s = shape(e);
  if (s.status !== undefined || e instanceof MailsetupError || e instanceof CloudflareMalformedError) return false;
  if (Array.isArray(s.errors) && s.headers === undefined) return true; // APIError without a response
  if (s.cause?.code && NETWORK_CODES.has(s.cause.code)) return true;
  return s.name === 'TypeError' && /^(terminated|fetch failed)$/i.test(s.message ?? '')
    || s.name === 'AbortError' || s.name === 'TimeoutError';
}

export function classifyCloudflareError(e: unknown): Failure {
  const s = shape(e);
  if (s.status === 429) return { kind: 'rate-limit', retryAfterMs: parseRetryAfter(s.headers?.get?.('retry-after') ?? null) };
  if (isAuth(e)) return { kind: 'fatal' };
  if (s.status !== undefined && s.status >= 500) return { kind: 'transient' };
  if (isNetwork(e)) return { kind: 'transient' };
  return { kind: 'fatal' };
}

/** The API's own words: `81053 An A, AAAA, or CNAME record with that host already exists.` */
function apiWords(e: unknown, env: NodeJS.ProcessEnv): string {
  const s = shape(e);
  const listed = (s.errors ?? []).map((x) => `${x.code ?? ''} ${x.message ?? ''}`.trim()).filter(Boolean).join('; ');
  return redact(listed || String(s.message ?? s.name ?? 'error').split('\n')[0]!, env);
}

/** Turn anything the SDK or the network threw into the one error type the CLI renders. */
export function toMailsetupError(e: unknown, operation: string, env: NodeJS.ProcessEnv): MailsetupError {
  if (e instanceof MailsetupError) return e;
  const s = shape(e);
  if (e instanceof CloudflareMalformedError || s.name === 'SyntaxError') {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `Cloudflare answered ${operation} with a response that could not be read`, {
      hint: 'Check CLOUDFLARE_BASE_URL if set, or any proxy in between.',
    });
  }
  if (isAuth(e)) {
    return new MailsetupError('PROVIDER_AUTH', `Cloudflare rejected the API token for ${operation} (HTTP ${s.status ?? '?'}: ${apiWords(e, env)})`, {
      hint: `Check ${TOKEN_VAR}: it needs Zone → Zone: Read and Zone → DNS: Edit on this zone.`,
    });
  }
  if (s.status === 429) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `Cloudflare kept rate-limiting ${operation} after retries`, {
      hint: 'Wait a few minutes and run the command again.',
    });
  }
  if ((s.status !== undefined && s.status >= 500) || isNetwork(e)) {
    const what = s.status !== undefined ? `HTTP ${s.status}` : apiWords(e, env);
    return new MailsetupError('PROVIDER_UNAVAILABLE', `Cloudflare ${operation} kept failing after retries: ${what}`, {
      hint: 'Cloudflare may be having trouble, or the API is unreachable from here. Try again later.',
    });
  }
  if (s.status === 404) {
    return new MailsetupError('DOMAIN_NOT_FOUND', `Cloudflare ${operation}: not found (${apiWords(e, env)})`, {
      hint: 'The zone or record may have been deleted since it was read. Run the command again.',
    });
  }
  if (s.status !== undefined) {
    return new MailsetupError('DOMAIN_INVALID', `Cloudflare refused ${operation}: ${apiWords(e, env)}`);
  }
  return new MailsetupError('PROVIDER_UNAVAILABLE', `Cloudflare ${operation} failed: ${apiWords(e, env)}`);
}
