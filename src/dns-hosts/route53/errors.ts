/**
 * Route 53 / AWS SDK failures → retry decisions and MailsetupError (registrars.md §2.3). The AWS
 * error shape and the failures any AWS service can have are read by providers/aws-errors.ts (never
 * importing the SDK). Route 53's own parts stay here: PriorRequestNotComplete, and both error bodies
 * it has used: `<ErrorResponse><Error><Code>` (→ err.name) and the legacy
 * `<InvalidChangeBatch><Messages>` (→ name "Unknown", text in err.Messages).
 */
import { MailsetupError, redact } from '../../errors.js';
import {
  AwsTimeoutError, THROTTLE_ERRORS, awsAccessError, awsShape, awsTransportError, classifyAwsError, firstLine, isNamed, retryAfterMs,
} from '../../remote/aws-errors.js';
import type { AwsService } from '../../remote/aws-errors.js';
import type { Failure } from '../../remote/retry.js';

/** Thrown by api.ts when our own per-request deadline (--timeout) fired. */
export class Route53TimeoutError extends AwsTimeoutError {
  constructor(operation: string, timeoutMs: number) {
    super('Route 53', operation, timeoutMs);
    this.name = 'Route53TimeoutError';
  }
}

/** The legacy body's `<Messages>`, as the SDK hands it on. */
const messagesOf = (e: unknown): unknown => (awsShape(e) as { Messages?: unknown }).Messages;

/** The text Route 53 gave, whichever error body it used. */
export function route53Words(e: unknown): string {
  const m = messagesOf(e);
  const legacy = Array.isArray(m) ? m.map(String).join('; ') : typeof m === 'object' && m !== null ? Object.values(m).flat().map(String).join('; ') : '';
  return legacy || firstLine(e) || String(awsShape(e).name ?? 'error');
}

export const isInvalidChangeBatch = (e: unknown): boolean =>
  isNamed(e, 'InvalidChangeBatch') || (isNamed(e, 'Unknown') && messagesOf(e) !== undefined);

const PERMISSIONS = 'route53:ListHostedZonesByName, route53:ListResourceRecordSets, route53:ChangeResourceRecordSets, route53:GetChange';

const ROUTE_53: AwsService = {
  name: 'Route 53',
  TimeoutError: Route53TimeoutError,
  /** PriorRequestNotComplete: the previous change to this zone is still being applied; wait and retry. */
  throttles: new Set([...THROTTLE_ERRORS, 'PriorRequestNotComplete']),
  retryAfterMs,
  deniedHint: `Grant the IAM identity ${PERMISSIONS} on the hosted zone.`,
  rejectedHint: 'Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE).',
  throttledHint: 'Route 53 allows about 5 requests a second per account. Wait a minute and run the command again.',
  endpointVar: 'AWS_ENDPOINT_URL_ROUTE_53',
};

export const classifyRoute53Error = (e: unknown): Failure => classifyAwsError(e, ROUTE_53);

export function toMailsetupError(e: unknown, operation: string, env: NodeJS.ProcessEnv): MailsetupError {
  if (e instanceof MailsetupError) return e;
  const name = awsShape(e).name ?? 'Error';
  const said = redact(route53Words(e), env);
  const common = awsAccessError(e, operation, said, ROUTE_53) ?? awsTransportError(e, operation, said, ROUTE_53);
  if (common) return common;
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
