/**
 * Route 53 / AWS SDK failures → retry decisions and MailsetupError (registrars.md §2.3). Works on
 * the error's shape (name, $metadata, $response), never on SDK classes, so it never imports the
 * SDK. Tolerates both error bodies Route 53 has used: `<ErrorResponse><Error><Code>` (→ err.name)
 * and the legacy `<InvalidChangeBatch><Messages>` (→ name "Unknown", text in err.Messages).
 */
import { MailsetupError, redact } from '../../errors.js';
import { parseRetryAfter } from '../../providers/retry.js';
import type { Failure } from '../../providers/retry.js';

/** Thrown by api.ts when our own per-request deadline (--timeout) fired. */
export class Route53TimeoutError extends Error {
  constructor(readonly operation: string, readonly timeoutMs: number) {
    super(`Route 53 ${operation} timed out after ${timeoutMs} ms`);
    this.name = 'Route53TimeoutError';
  }
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  Messages?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

const shape = (e: unknown): SdkErrorShape => (typeof e === 'object' && e !== null ? (e as SdkErrorShape) : {});

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError', 'ProviderError']);
const AUTH_ERRORS = new Set([
  'InvalidClientTokenId', 'SignatureDoesNotMatch', 'IncompleteSignature', 'MissingAuthenticationToken',
  'MissingAuthenticationTokenException', 'UnrecognizedClientException', 'InvalidSignatureException',
  'ExpiredToken', 'ExpiredTokenException', 'AccessDenied', 'AccessDeniedException', 'NotAuthorized',
]);
/** PriorRequestNotComplete: the previous change to this zone is still being applied; wait and retry. */
const THROTTLE_ERRORS = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'PriorRequestNotComplete']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export const statusOf = (e: unknown): number | undefined => shape(e).$metadata?.httpStatusCode ?? shape(e).$response?.statusCode;
export const isNamed = (e: unknown, name: string): boolean => shape(e).name === name;
const firstLine = (e: unknown): string => String(shape(e).message ?? '').split('\n')[0] ?? '';

/** The text Route 53 gave, whichever error body it used. */
export function route53Words(e: unknown): string {
  const m = shape(e).Messages;
  const legacy = Array.isArray(m) ? m.map(String).join('; ') : typeof m === 'object' && m !== null ? Object.values(m).flat().map(String).join('; ') : '';
  return legacy || firstLine(e) || String(shape(e).name ?? 'error');
}

export const isInvalidChangeBatch = (e: unknown): boolean =>
  isNamed(e, 'InvalidChangeBatch') || (isNamed(e, 'Unknown') && shape(e).Messages !== undefined);

function isNetwork(e: unknown): boolean {
  const s = shape(e);
  if (CREDENTIAL_ERRORS.has(s.name ?? '')) return false;
  if (s.code && NETWORK_CODES.has(s.code)) return true;
  if (s.name === 'TimeoutError' || s.name === 'AbortError') return true;
  return /^(aborted|socket hang up)$/i.test(firstLine(e));
}

/** A 2xx that still threw (an unreadable body), or a parse failure. Check isNetwork first. */
function isMalformed(e: unknown): boolean {
  const status = statusOf(e);
  return shape(e).name === 'SyntaxError' || (status !== undefined && status >= 200 && status < 300);
}

function retryAfterMs(e: unknown): number | null {
  return parseRetryAfter(shape(e).$response?.headers?.['retry-after'] ?? null);
}

export function classifyRoute53Error(e: unknown): Failure {
  if (e instanceof MailsetupError) return { kind: 'fatal' };
  if (e instanceof Route53TimeoutError) return { kind: 'transient' };
  const s = shape(e);
  const status = statusOf(e);
  if (status === 429 || THROTTLE_ERRORS.has(s.name ?? '')) return { kind: 'rate-limit', retryAfterMs: retryAfterMs(e) };
  if (isNetwork(e)) return { kind: 'transient' };
  if (isMalformed(e)) return { kind: 'fatal' };
  if (status !== undefined && status >= 500) return { kind: 'transient' };
  return { kind: 'fatal' };
}

const CREDENTIAL_HINT =
  'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE to a profile in ~/.aws/config.';
const PERMISSIONS = 'route53:ListHostedZonesByName, route53:ListResourceRecordSets, route53:ChangeResourceRecordSets, route53:GetChange';

export function toMailsetupError(e: unknown, operation: string, env: NodeJS.ProcessEnv): MailsetupError {
  if (e instanceof MailsetupError) return e;
  const s = shape(e);
  const name = s.name ?? 'Error';
  const status = statusOf(e);
  const said = redact(route53Words(e), env);
  if (e instanceof Route53TimeoutError) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `${e.message} (kept failing after retries)`, {
      hint: 'Route 53 did not answer in time. Check the network or raise --timeout.',
    });
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new MailsetupError('PROVIDER_AUTH', `No usable AWS credentials for Route 53 ${operation}: ${said}`, { hint: CREDENTIAL_HINT });
  }
  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    const denied = /AccessDenied|NotAuthorized/.test(name);
    return new MailsetupError('PROVIDER_AUTH', denied
      ? `AWS denied Route 53 ${operation} for these credentials (${name})`
      : `AWS rejected the credentials for Route 53 ${operation} (${name})`, {
      hint: denied
        ? `Grant the IAM identity ${PERMISSIONS} on the hosted zone.`
        : 'Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE).',
    });
  }
  if (status === 429 || THROTTLE_ERRORS.has(name)) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `Route 53 kept throttling ${operation} (${name}) after retries`, {
      hint: 'Route 53 allows about 5 requests a second per account. Wait a minute and run the command again.',
    });
  }
  if (isNetwork(e) || (status !== undefined && status >= 500)) {
    const what = isNetwork(e) ? `${said}${s.code ? ` (${s.code})` : ''}` : `HTTP ${status} ${name}`;
    return new MailsetupError('PROVIDER_UNAVAILABLE', `Route 53 ${operation} kept failing after retries: ${what}`, {
      hint: 'AWS may be having trouble, or the endpoint is unreachable. Try again later.',
    });
  }
  if (isMalformed(e)) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `Route 53 answered ${operation} with a response that could not be read`, {
      hint: 'Check AWS_ENDPOINT_URL_ROUTE_53 / AWS_ENDPOINT_URL if set, or any proxy in between.',
    });
  }
  if (name === 'NoSuchHostedZone') {
    return new MailsetupError('DOMAIN_NOT_FOUND', `Route 53 has no such hosted zone (${operation}): ${said}`, {
      hint: 'The zone may have been deleted since it was found. Run the command again.',
    });
  }
  if (isInvalidChangeBatch(e) || name === 'InvalidInput') {
    return new MailsetupError('DOMAIN_INVALID', `Route 53 refused ${operation}: ${said}`);
  }
  return new MailsetupError('PROVIDER_UNAVAILABLE', `Route 53 ${operation} failed: ${name}: ${said}`);
}
