/**
 * What every AWS adapter (SES, Route 53) needs to make sense of a failure: the AWS SDK v3 error
 * shape (name, code, $metadata, $response), read without importing the SDK; the retry decision;
 * and the MailsetupErrors for failures any AWS service can have (our deadline, credentials, auth,
 * throttling, network, 5xx, an unreadable body). Each adapter's errors.ts keeps its own service
 * errors, words and hints, and hands them in as an `AwsService`.
 */
import { MailsetupError } from '../errors.js';
import { parseRetryAfter } from './retry.js';
import type { Failure } from './retry.js';

export interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

export const awsShape = (e: unknown): AwsErrorShape => (typeof e === 'object' && e !== null ? (e as AwsErrorShape) : {});

/** Thrown by an adapter's api.ts (through awsCall) when our own per-request deadline (--timeout) fired. */
export class AwsTimeoutError extends Error {
  constructor(readonly service: string, readonly operation: string, readonly timeoutMs: number) {
    super(`${service} ${operation} timed out after ${timeoutMs} ms`);
    this.name = 'AwsTimeoutError';
  }
}

export const CREDENTIAL_ERRORS: ReadonlySet<string> = new Set(['CredentialsProviderError', 'TokenProviderError', 'ProviderError']);
/** 403-class names AWS services and the AWS front door use for a bad key, bad secret or IAM deny. */
export const AUTH_ERRORS: ReadonlySet<string> = new Set([
  'UnrecognizedClientException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'InvalidSignatureException',
  'IncompleteSignature', 'MissingAuthenticationTokenException', 'MissingAuthenticationToken',
  'ExpiredToken', 'ExpiredTokenException', 'AccessDenied', 'AccessDeniedException', 'NotAuthorized',
]);
/** The throttling names every AWS service may answer with; a service adds its own. */
export const THROTTLE_ERRORS: ReadonlySet<string> = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export const statusOf = (e: unknown): number | undefined => awsShape(e).$metadata?.httpStatusCode ?? awsShape(e).$response?.statusCode;
export const isNamed = (e: unknown, name: string): boolean => awsShape(e).name === name;

/** The first line: the SDK appends a "Deserialization error" hint to whatever broke mid-body. */
export const firstLine = (e: unknown): string => String(awsShape(e).message ?? '').split('\n')[0] ?? '';

export function isNetwork(e: unknown): boolean {
  const s = awsShape(e);
  if (CREDENTIAL_ERRORS.has(s.name ?? '')) return false;
  if (s.code && NETWORK_CODES.has(s.code)) return true;
  if (s.name === 'TimeoutError' || s.name === 'AbortError') return true;
  // A reset mid-body surfaces from the body reader as a bare Error("aborted") / "socket hang up".
  return /^(aborted|socket hang up)$/i.test(firstLine(e));
}

/**
 * A body that is not what the model promised (a proxy's HTML page, an ISO date where epoch
 * seconds belong): a 2xx that still threw, or a parse failure on an error body. Check isNetwork first.
 */
export function isMalformed(e: unknown): boolean {
  const status = statusOf(e);
  return awsShape(e).name === 'SyntaxError' || (status !== undefined && status >= 200 && status < 300);
}

/** The standard Retry-After header of the raw response, in ms. */
export function retryAfterMs(e: unknown): number | null {
  return parseRetryAfter(awsShape(e).$response?.headers?.['retry-after'] ?? null);
}

/** One AWS service as its adapter describes it to the shared helpers. */
export interface AwsService {
  /** As users read it: `SES`, `Route 53`. */
  name: string;
  TimeoutError: new (operation: string, timeoutMs: number) => AwsTimeoutError;
  /** Error names that mean "slow down": THROTTLE_ERRORS plus the service's own. */
  throttles: ReadonlySet<string>;
  /** How long a throttled answer asks us to wait (null: back off as usual). */
  retryAfterMs: (e: unknown) => number | null;
  /** Hint when IAM denies the call (names the permissions the adapter needs). */
  deniedHint: string;
  /** Hint when AWS rejects the key itself. */
  rejectedHint: string;
  /** Hint when throttling outlasted our retries. */
  throttledHint: string;
  /** The service's configured-endpoint variable, e.g. AWS_ENDPOINT_URL_SESV2. */
  endpointVar: string;
}

export function classifyAwsError(e: unknown, svc: AwsService): Failure {
  if (e instanceof MailsetupError) return { kind: 'fatal' };
  if (e instanceof svc.TimeoutError) return { kind: 'transient' };
  const s = awsShape(e);
  const status = statusOf(e);
  if (status === 429 || svc.throttles.has(s.name ?? '')) return { kind: 'rate-limit', retryAfterMs: svc.retryAfterMs(e) };
  // Before the malformed check: a reset mid-body also ends in a deserialization error.
  if (isNetwork(e)) return { kind: 'transient' };
  // A body we cannot read will not read better on a second try.
  if (isMalformed(e)) return { kind: 'fatal' };
  if (status !== undefined && status >= 500) return { kind: 'transient' };
  return { kind: 'fatal' };
}

const CREDENTIAL_HINT =
  'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE to a profile in ~/.aws/config.';

/**
 * Our deadline, missing credentials, a rejected or denied key, throttling that outlasted retries;
 * null for anything else. `said` is the service's own text, already redacted.
 */
export function awsAccessError(e: unknown, operation: string, said: string, svc: AwsService): MailsetupError | null {
  const name = awsShape(e).name ?? 'Error';
  const status = statusOf(e);
  if (e instanceof svc.TimeoutError) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `${e.message} (kept failing after retries)`, {
      hint: `${svc.name} did not answer in time. Check the network or raise --timeout.`,
    });
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new MailsetupError('PROVIDER_AUTH', `No usable AWS credentials for ${svc.name} ${operation}: ${said}`, { hint: CREDENTIAL_HINT });
  }
  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    const denied = /AccessDenied|NotAuthorized/.test(name);
    return new MailsetupError('PROVIDER_AUTH', denied
      ? `AWS denied ${svc.name} ${operation} for these credentials (${name})`
      : `AWS rejected the credentials for ${svc.name} ${operation} (${name})`, {
      hint: denied ? svc.deniedHint : svc.rejectedHint,
    });
  }
  if (status === 429 || svc.throttles.has(name)) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `${svc.name} kept throttling ${operation} (${name}) after retries`, { hint: svc.throttledHint });
  }
  return null;
}

/** The network, a 5xx, or an answer that could not be read; null for anything else. */
export function awsTransportError(e: unknown, operation: string, said: string, svc: AwsService): MailsetupError | null {
  const s = awsShape(e);
  const name = s.name ?? 'Error';
  const status = statusOf(e);
  if (isNetwork(e) || (status !== undefined && status >= 500)) {
    const what = isNetwork(e) ? `${said}${s.code ? ` (${s.code})` : ''}` : `HTTP ${status} ${name}`;
    return new MailsetupError('PROVIDER_UNAVAILABLE', `${svc.name} ${operation} kept failing after retries: ${what}`, {
      hint: 'AWS may be having trouble, or the endpoint is unreachable. Try again later.',
    });
  }
  if (isMalformed(e)) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `${svc.name} answered ${operation} with a response that could not be read`, {
      hint: `Check ${svc.endpointVar} / AWS_ENDPOINT_URL if set, or any proxy in between.`,
    });
  }
  return null;
}
