/**
 * The only file that talks to `@aws-sdk/client-sesv2`. Everything the SDK would read from
 * process.env (region, credentials, endpoint) is resolved here from `ctx.env` and passed in
 * explicitly, so a caller's environment — not the process's — decides where requests go.
 * Retries are ours (`awsCaller`, `maxAttempts: 1` on the client) so they stay bounded and honour
 * Retry-After; each attempt has its own --timeout deadline.
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { MailsetupError } from '../../errors.js';
import { awsCaller } from '../../remote/aws-call.js';
import { awsClientConfig, esmOrDefault, quietAwsSdk, regionFromConfig, resolveAwsEndpoint } from '../../remote/aws-env.js';
import { isNamed } from '../../remote/aws-errors.js';
import type { ProviderContext } from '../types.js';
import type { SesIdentityDetails } from './convert.js';
import { classifySesError, SesTimeoutError, toMailsetupError } from './errors.js';

type Sdk = typeof import('@aws-sdk/client-sesv2');
let sdkPromise: Promise<Sdk> | undefined;

function loadSdk(): Promise<Sdk> {
  quietAwsSdk();
  return (sdkPromise ??= import('@aws-sdk/client-sesv2').then((m) => esmOrDefault(m, 'SESv2Client')));
}

const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

export function resolveRegion(ctx: ProviderContext): string {
  const region = ctx.region || ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION || regionFromConfig(ctx.env);
  if (!region) {
    throw new MailsetupError('USAGE', 'No AWS region for SES', {
      hint: 'Pass --region (e.g. --region eu-west-1) or set AWS_REGION.',
    });
  }
  if (!REGION_RE.test(region)) {
    throw new MailsetupError('USAGE', `"${region}" is not an AWS region name`, { hint: 'Use a region id such as us-east-1 or eu-west-1.' });
  }
  return region;
}

/** AWS_ENDPOINT_URL_SESV2 beats AWS_ENDPOINT_URL, as in the SDK's own configured-endpoint rules. */
export function resolveEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  return resolveAwsEndpoint(env, 'AWS_ENDPOINT_URL_SESV2');
}

export type CreateOutcome = { existed: false; details: SesIdentityDetails } | { existed: true; afterRetry: boolean };

export interface SesApi {
  readonly region: string;
  /**
   * `existed` when SES already had the identity (the caller adopts it). `afterRetry`: an earlier
   * attempt of this same call may have reached SES, so the existing identity may be our own.
   */
  createIdentity(identity: string, byo?: { selector: string; privateKey: string }): Promise<CreateOutcome>;
  getIdentity(identity: string): Promise<SesIdentityDetails | null>;
  putMailFrom(identity: string, mailFromDomain: string): Promise<void>;
  /** false when SES did not have it. */
  deleteIdentity(identity: string): Promise<boolean>;
}

export async function createSesApi(ctx: ProviderContext): Promise<SesApi> {
  const region = resolveRegion(ctx);
  const endpoint = resolveEndpoint(ctx.env);
  const sdk = await loadSdk();
  const client: SESv2Client = new sdk.SESv2Client(awsClientConfig(ctx.env, region, endpoint, ctx.timeoutMs));
  /** One SDK call with a per-attempt deadline, bounded retries, and our error type at the end. */
  const call = awsCaller(ctx, { service: 'SES', TimeoutError: SesTimeoutError, classify: classifySesError, toError: toMailsetupError });

  return {
    region,
    async createIdentity(identity, byo) {
      let afterRetry = false;
      const details = await call('CreateEmailIdentity', (abortSignal) => client.send(new sdk.CreateEmailIdentityCommand({
        EmailIdentity: identity,
        ...(byo ? { DkimSigningAttributes: { DomainSigningSelector: byo.selector, DomainSigningPrivateKey: byo.privateKey } } : {}),
      }), { abortSignal }), { tolerate: (e) => isNamed(e, 'AlreadyExistsException'), onRetry: () => { afterRetry = true; } });
      return details === null ? { existed: true, afterRetry } : { existed: false, details };
    },
    async getIdentity(identity) {
      return call('GetEmailIdentity', (abortSignal) => client.send(new sdk.GetEmailIdentityCommand({ EmailIdentity: identity }), { abortSignal }),
        { tolerate: (e) => isNamed(e, 'NotFoundException') });
    },
    async putMailFrom(identity, mailFromDomain) {
      await call('PutEmailIdentityMailFromAttributes', (abortSignal) => client.send(new sdk.PutEmailIdentityMailFromAttributesCommand({
        EmailIdentity: identity, MailFromDomain: mailFromDomain, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
      }), { abortSignal }));
    },
    async deleteIdentity(identity) {
      let found = true;
      await call('DeleteEmailIdentity', (abortSignal) => client.send(new sdk.DeleteEmailIdentityCommand({ EmailIdentity: identity }), { abortSignal }),
        { tolerate: (e) => { found = !isNamed(e, 'NotFoundException'); return !found; } });
      return found;
    },
  };
}
