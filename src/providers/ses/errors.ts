/**
 * SES/SDK failures → retry decisions and MailsetupError. Works on the error's shape (name,
 * $metadata, $response, code) rather than SDK classes, so this file never imports the SDK.
 */
import { MailsetupError, redact } from '../../errors.js';
import { parseRetryAfter } from '../retry.js';
import type { Failure } from '../retry.js';

/** Thrown by api.ts when our own per-request deadline (--timeout) fired. */
export class SesTimeoutError extends Error {
  constructor(readonly operation: string, readonly timeoutMs: number) {
    super(`SES ${operation} timed out after ${timeoutMs} ms`);
    this.name = 'SesTimeoutError';
  }
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

const shape = (e: unknown): SdkErrorShape => (typeof e === 'object' && e !== null ? (e as SdkErrorShape) : {});

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError', 'ProviderError']);
/** 403-class names SES and the AWS front door use for a bad key, bad secret or IAM deny. */
const AUTH_ERRORS = new Set([
  'UnrecognizedClientException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'InvalidSignatureException',
  'IncompleteSignature', 'MissingAuthenticationTokenException', 'MissingAuthenticationToken',
  'ExpiredToken', 'ExpiredTokenException', 'AccessDenied', 'AccessDeniedException', 'NotAuthorized',
]);
const THROTTLE_ERRORS = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export const statusOf = (e: unknown): number | undefined => shape(e).$metadata?.httpStatusCode ?? shape(e).$response?.statusCode;
export const isNamed = (e: unknown, name: string): boolean => shape(e).name === name;

/** The first line: the SDK appends a "Deserialization error" hint to whatever broke mid-body. */
const firstLine = (e: unknown): string => String(shape(e).message ?? '').split('\n')[0] ?? '';

function isNetwork(e: unknown): boolean {
  const s = shape(e);
  if (CREDENTIAL_ERRORS.has(s.name ?? '')) return false;
  if (s.code && NETWORK_CODES.has(s.code)) return true;
  if (s.name === 'TimeoutError' || s.name === 'AbortError') return true;
  // A reset mid-body surfaces from the body reader as a bare Error("aborted") / "socket hang up".
  return /^(aborted|socket hang up)$/i.test(firstLine(e));
}

/**
 * A body that is not the JSON the model promised (a proxy's HTML page, an ISO date where epoch
 * seconds belong): a 2xx that still threw, or a parse failure on an error body. Check isNetwork first.
 */
function isMalformed(e: unknown): boolean {
  const status = statusOf(e);
  return shape(e).name === 'SyntaxError' || (status !== undefined && status >= 200 && status < 300);
}

function retryAfterMs(e: unknown): number | null {
  const headers = shape(e).$response?.headers ?? {};
  const seconds = parseRetryAfter(headers['retry-after'] ?? null);
  if (seconds !== null) return seconds;
  const ms = Number(headers['x-amz-retry-after']);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

export function classifySesError(e: unknown): Failure {
  if (e instanceof MailsetupError) return { kind: 'fatal' };
  if (e instanceof SesTimeoutError) return { kind: 'transient' };
  const s = shape(e);
  const status = statusOf(e);
  if (status === 429 || (s.name && THROTTLE_ERRORS.has(s.name))) return { kind: 'rate-limit', retryAfterMs: retryAfterMs(e) };
  // Before the malformed check: a reset mid-body also ends in a deserialization error.
  if (isNetwork(e)) return { kind: 'transient' };
  // A body we cannot read will not read better on a second try.
  if (isMalformed(e)) return { kind: 'fatal' };
  if (status !== undefined && status >= 500) return { kind: 'transient' };
  return { kind: 'fatal' };
}

const CREDENTIAL_HINT =
  'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE to a profile in ~/.aws/config.';
const PERMISSIONS = 'ses:CreateEmailIdentity, ses:GetEmailIdentity, ses:PutEmailIdentityMailFromAttributes, ses:DeleteEmailIdentity';

/** Turn anything the SDK or the network threw into the one error type the CLI renders. */
export function toMailsetupError(e: unknown, operation: string, env: NodeJS.ProcessEnv): MailsetupError {
  if (e instanceof MailsetupError) return e;
  const s = shape(e);
  const name = s.name ?? 'Error';
  const status = statusOf(e);
  // The SDK's own messages hold no secret, but redact anyway: an error may echo a header.
  const said = redact(firstLine(e) || name, env);
  if (e instanceof SesTimeoutError) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `${e.message} (kept failing after retries)`, {
      hint: 'SES did not answer in time. Check the network or raise --timeout.',
    });
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new MailsetupError('PROVIDER_AUTH', `No usable AWS credentials for SES ${operation}: ${said}`, { hint: CREDENTIAL_HINT });
  }
  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    const denied = /AccessDenied|NotAuthorized/.test(name);
    return new MailsetupError('PROVIDER_AUTH', denied
      ? `AWS denied SES ${operation} for these credentials (${name})`
      : `AWS rejected the credentials for SES ${operation} (${name})`, {
      hint: denied
        ? `Grant the IAM identity ${PERMISSIONS}.`
        : `Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE), and that they belong to the right account and region.`,
    });
  }
  if (status === 429 || THROTTLE_ERRORS.has(name)) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `SES kept throttling ${operation} (${name}) after retries`, {
      hint: 'Wait a minute and run the command again.',
    });
  }
  if (name === 'LimitExceededException') {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `SES refused ${operation}: ${said}`, {
      hint: 'The account has reached an SES quota (identities per region). Delete unused identities or ask AWS for more.',
    });
  }
  if (isNetwork(e) || (status !== undefined && status >= 500)) {
    const what = isNetwork(e) ? `${said}${s.code ? ` (${s.code})` : ''}` : `HTTP ${status} ${name}`;
    return new MailsetupError('PROVIDER_UNAVAILABLE', `SES ${operation} kept failing after retries: ${what}`, {
      hint: 'AWS may be having trouble, or the endpoint is unreachable. Try again later.',
    });
  }
  if (isMalformed(e)) {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `SES answered ${operation} with a response that could not be read`, {
      hint: 'Check AWS_ENDPOINT_URL_SESV2 / AWS_ENDPOINT_URL if set, or any proxy in between.',
    });
  }
  if (name === 'BadRequestException') {
    return new MailsetupError('DOMAIN_INVALID', `SES rejected ${operation}: ${said}`);
  }
  if (name === 'NotFoundException') {
    return new MailsetupError('DOMAIN_NOT_FOUND', `SES has no such identity (${operation}): ${said}`, {
      hint: 'Run `mailsetup add` to register it again.',
    });
  }
  return new MailsetupError('PROVIDER_UNAVAILABLE', `SES ${operation} failed: ${name}: ${said}`);
}
