/**
 * ResellerClub failures. Errors come as `{"status":"ERROR","message":"…"}` (some KB pages say
 * `error`), usually with a non-200 status; exact codes and texts are not documented
 * (registrars.md §3.2). Known shapes: "Invalid credentials for <reseller id>" and, when the caller's
 * IP is not whitelisted, "Access Denied. You are not authorized to perform this action." — both seen
 * with HTTP 500, so a 5xx is retried only when its message is not a credential rejection.
 */
import { MailsetupError } from '../../errors.js';
import type { Failure } from '../../remote/retry.js';

export const USERID_ENV = 'RESELLERCLUB_AUTH_USERID';
export const KEY_ENV = 'RESELLERCLUB_API_KEY';
export const BASE_URL_ENV = 'RESELLERCLUB_BASE_URL';

export type FailureKind = 'http' | 'api' | 'network' | 'timeout' | 'malformed';

export class RcFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status: number | null = null,
    /** The API's own message (may echo the reseller id: redact before showing). */
    readonly apiMessage = '',
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'RcFailure';
  }
}

const AUTH_TEXT = /invalid credential|access denied|not authori[sz]ed|authenticat|api[- ]?key|whitelist|white-list|ip address/i;
const INACTIVE_TEXT = /activat/i;
const NOT_FOUND_TEXT = /not (found|registered)|does ?n[o']t exist|no (such|entity|record)|invalid domain/i;

export const isAuthFailure = (e: RcFailure): boolean =>
  (e.kind === 'http' && (e.status === 401 || e.status === 403)) || ((e.kind === 'http' || e.kind === 'api') && AUTH_TEXT.test(e.apiMessage));

/** The API said the domain (`zone`) is not there, or not set up for DNS: an answer, not an outage. */
export const isDomainAnswer = (e: RcFailure, zone: string): boolean =>
  (e.kind === 'http' || e.kind === 'api') && e.status !== 429 && !isAuthFailure(e) && e.apiMessage !== '' &&
  (NOT_FOUND_TEXT.test(e.apiMessage) || INACTIVE_TEXT.test(e.apiMessage) || e.apiMessage.toLowerCase().includes(zone));

export function classify(error: unknown): Failure {
  if (!(error instanceof RcFailure)) return { kind: 'fatal' };
  if (error.kind === 'network' || error.kind === 'timeout') return { kind: 'transient' };
  if (error.kind !== 'http') return { kind: 'fatal' };
  const status = error.status ?? 0;
  if (status === 429) return { kind: 'rate-limit', retryAfterMs: error.retryAfterMs };
  // Retry a 5xx unless its message is a definite answer (credentials, whitelist, no such domain).
  const definite = isAuthFailure(error) || [NOT_FOUND_TEXT, INACTIVE_TEXT, /already exist/i].some((re) => re.test(error.apiMessage));
  return status >= 500 && !definite ? { kind: 'transient' } : { kind: 'fatal' };
}

const CREDENTIALS_HINT =
  `ResellerClub answers API calls only from whitelisted IP addresses: add this machine's public IP in the reseller control panel under Settings → API ` +
  `(it can take about 30 minutes to apply). Also check ${USERID_ENV} (your reseller id) and ${KEY_ENV}.`;

export function missingCredential(name: string): MailsetupError {
  return new MailsetupError('PROVIDER_AUTH', `ResellerClub needs ${USERID_ENV} and ${KEY_ENV}, and ${name} is not set`, {
    hint: `Set ${USERID_ENV} to your reseller id and ${KEY_ENV} to an API key (control panel → Settings → API).`,
  });
}

/** Their text, without our credentials (the id is echoed in "Invalid credentials for …"). */
export function said(e: RcFailure, secrets: string[]): string {
  let text = e.apiMessage.slice(0, 200);
  for (const s of secrets) if (s.length >= 3) text = text.split(s).join('***');
  const status = e.status === null ? '' : `HTTP ${e.status}`;
  return [status, text].filter((x) => x !== '').join(': ');
}

/** The final failure of `what` (e.g. "adding TXT at _dmarc.acme.com") → MailsetupError. */
export function toMailsetupError(error: unknown, what: string, secrets: string[], baseUrl: string): unknown {
  if (!(error instanceof RcFailure)) return error;
  const where = `ResellerClub (${baseUrl})`;
  switch (error.kind) {
    case 'timeout':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `${where} timed out while ${what} (${error.message}, after retries)`, { hint: 'Try again later, or raise --timeout.' });
    case 'network':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `could not reach ${where} while ${what}: ${error.message}`, {
        hint: `Check the network, ${BASE_URL_ENV} and any HTTPS_PROXY setting.`,
      });
    case 'malformed':
      return new MailsetupError('PROVIDER_UNAVAILABLE', `${where} sent an unreadable answer while ${what}: ${error.message}`, {
        hint: `A proxy may be answering instead of ResellerClub; check ${BASE_URL_ENV} and HTTPS_PROXY.`,
      });
    default:
      break;
  }
  const text = said(error, secrets);
  if (isAuthFailure(error)) {
    return new MailsetupError('PROVIDER_AUTH', `ResellerClub rejected the credentials in ${USERID_ENV}/${KEY_ENV}, or this machine's IP is not whitelisted (${text})`, {
      hint: CREDENTIALS_HINT,
    });
  }
  const status = error.status ?? 0;
  if (status === 429) return new MailsetupError('PROVIDER_UNAVAILABLE', `ResellerClub kept rate-limiting us while ${what} (${text})`, { hint: 'Wait a minute and try again.' });
  if (INACTIVE_TEXT.test(error.apiMessage)) {
    return new MailsetupError('DOMAIN_NOT_FOUND', `ResellerClub's DNS service is not active for this domain (${what}: ${text})`, {
      hint: 'Activate the free DNS service for the domain order (control panel → the order → DNS Management, or the dns/activate.json API), then run autoconfig again.',
    });
  }
  if (status >= 500) return new MailsetupError('PROVIDER_UNAVAILABLE', `ResellerClub failed while ${what} (${text}), after retries`, { hint: 'Try again later.' });
  return new MailsetupError('USAGE', `ResellerClub refused the request while ${what} (${text})`);
}
