/**
 * SES/SDK failures → retry decisions and MailsetupError. The AWS error shape and the failures any
 * AWS service can have are read by ../aws-errors.ts (never importing the SDK); SES's own error
 * names, its x-amz-retry-after header and its hints stay here.
 */
import { MailsetupError, redact } from '../../errors.js';
import { AwsTimeoutError, THROTTLE_ERRORS, awsAccessError, awsShape, awsTransportError, classifyAwsError, firstLine, retryAfterMs } from '../../remote/aws-errors.js';
import type { AwsService } from '../../remote/aws-errors.js';
import type { Failure } from '../../remote/retry.js';

/** Thrown by api.ts when our own per-request deadline (--timeout) fired. */
export class SesTimeoutError extends AwsTimeoutError {
  constructor(operation: string, timeoutMs: number) {
    super('SES', operation, timeoutMs);
    this.name = 'SesTimeoutError';
  }
}

/** SES also says how long to wait in x-amz-retry-after (ms) when there is no Retry-After. */
function sesRetryAfterMs(e: unknown): number | null {
  const seconds = retryAfterMs(e);
  if (seconds !== null) return seconds;
  const ms = Number(awsShape(e).$response?.headers?.['x-amz-retry-after']);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

const PERMISSIONS = 'ses:CreateEmailIdentity, ses:GetEmailIdentity, ses:PutEmailIdentityMailFromAttributes, ses:DeleteEmailIdentity';

const SES: AwsService = {
  name: 'SES',
  TimeoutError: SesTimeoutError,
  throttles: THROTTLE_ERRORS,
  retryAfterMs: sesRetryAfterMs,
  deniedHint: `Grant the IAM identity ${PERMISSIONS}.`,
  rejectedHint: 'Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE), and that they belong to the right account and region.',
  throttledHint: 'Wait a minute and run the command again.',
  endpointVar: 'AWS_ENDPOINT_URL_SESV2',
};

export const classifySesError = (e: unknown): Failure => classifyAwsError(e, SES);

/** Turn anything the SDK or the network threw into the one error type the CLI renders. */
export function toMailsetupError(e: unknown, operation: string, env: NodeJS.ProcessEnv): MailsetupError {
  if (e instanceof MailsetupError) return e;
  const name = awsShape(e).name ?? 'Error';
  // The SDK's own messages hold no secret, but redact anyway: an error may echo a header.
  const said = redact(firstLine(e) || name, env);
  const common = awsAccessError(e, operation, said, SES);
  if (common) return common;
  if (name === 'LimitExceededException') {
    return new MailsetupError('PROVIDER_UNAVAILABLE', `SES refused ${operation}: ${said}`, {
      hint: 'The account has reached an SES quota (identities per region). Delete unused identities or ask AWS for more.',
    });
  }
  const transport = awsTransportError(e, operation, said, SES);
  if (transport) return transport;
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
