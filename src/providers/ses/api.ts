/**
 * The only file that talks to `@aws-sdk/client-sesv2`. Everything the SDK would read from
 * process.env (region, credentials, endpoint) is resolved here from `ctx.env` and passed in
 * explicitly, so a caller's environment — not the process's — decides where requests go.
 * Retries are ours (`withRetries`, `maxAttempts: 1` on the client) so they stay bounded and honour
 * Retry-After; each attempt has its own --timeout deadline.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { MailsetupError } from '../../errors.js';
import { realSleep, withRetries } from '../retry.js';
import type { ProviderContext } from '../types.js';
import type { SesIdentityDetails } from './convert.js';
import { classifySesError, isNamed, SesTimeoutError, toMailsetupError } from './errors.js';

type Sdk = typeof import('@aws-sdk/client-sesv2');
interface AwsCredentialIdentity { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }
type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;
let sdkPromise: Promise<Sdk> | undefined;

function loadSdk(): Promise<Sdk> {
  // On Node < 22 the SDK prints a NodeVersionSupportWarning to stderr when a client is built
  // (providers.md §1.2); it is noise for our users and would break "stderr is ours". A user who
  // set the variable explicitly keeps their choice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return (sdkPromise ??= import('@aws-sdk/client-sesv2').then((m) => esmOrDefault(m, 'SESv2Client')));
}

/**
 * When esbuild bundles the SDK's CommonJS build (its default for platform node) into our ESM
 * bundle, a dynamic import yields only `default`, as Node itself would; unbundled we get names.
 */
function esmOrDefault<T extends object>(mod: T, probe: keyof T): T {
  const fallback = (mod as T & { default?: T }).default;
  return typeof mod[probe] === 'function' || !fallback ? mod : fallback;
}

const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || homedir();
}

function configFile(env: NodeJS.ProcessEnv): string {
  return env.AWS_CONFIG_FILE || join(home(env), '.aws', 'config');
}

/** `region = …` of the active profile in ~/.aws/config, as `aws configure` writes it. */
function regionFromConfig(env: NodeJS.ProcessEnv): string | undefined {
  const file = configFile(env);
  if (!existsSync(file)) return undefined;
  const profile = env.AWS_PROFILE || 'default';
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inSection = false;
  try {
    for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
      const line = raw.replace(/[#;].*$/, '').trim();
      const section = line.match(/^\[\s*(.+?)\s*\]$/);
      if (section) inSection = wanted.includes(section[1]!);
      else if (inSection) {
        const kv = line.match(/^region\s*=\s*(\S+)$/);
        if (kv) return kv[1];
      }
    }
  } catch {
    return undefined; // an unreadable config file just means "no region from it"
  }
  return undefined;
}

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
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  for (const name of ['AWS_ENDPOINT_URL_SESV2', 'AWS_ENDPOINT_URL'] as const) {
    const value = env[name];
    if (!value) continue;
    try {
      return new URL(value).toString();
    } catch {
      throw new MailsetupError('USAGE', `${name} is not a URL`, { hint: `Set ${name} to e.g. http://127.0.0.1:4566, or unset it.` });
    }
  }
  return undefined;
}

function credentialError(message: string): Error {
  return Object.assign(new Error(message), { name: 'CredentialsProviderError', tryNextLink: false });
}

/**
 * The AWS default credential chain, evaluated over `env`: static keys, then profiles (which
 * cover SSO, credential_process and assumed roles), web identity, container, instance metadata.
 * The SDK's own chain reads process.env directly, which a test or an embedding caller cannot steer.
 */
function credentialChain(env: NodeJS.ProcessEnv, region: string): AwsCredentialIdentityProvider {
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: token, AWS_PROFILE: profile } = env;
  // Same precedence as the SDK: an explicit profile wins over static keys.
  if (!profile && id && secret) {
    const creds: AwsCredentialIdentity = { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
    return async () => creds;
  }
  return async () => {
    const p = esmOrDefault(await import('@aws-sdk/credential-providers'), 'fromIni');
    const links: Array<() => Promise<AwsCredentialIdentity>> = [
      () => p.fromIni({
        profile: profile || 'default',
        filepath: env.AWS_SHARED_CREDENTIALS_FILE || join(home(env), '.aws', 'credentials'),
        configFilepath: configFile(env),
        clientConfig: { region },
      })(),
    ];
    if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
      links.push(() => p.fromTokenFile({
        webIdentityTokenFile: env.AWS_WEB_IDENTITY_TOKEN_FILE, roleArn: env.AWS_ROLE_ARN,
        roleSessionName: env.AWS_ROLE_SESSION_NAME, clientConfig: { region },
      })());
    }
    if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) {
      links.push(() => p.fromHttp({
        awsContainerCredentialsFullUri: env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
        awsContainerCredentialsRelativeUri: env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
        awsContainerAuthorizationToken: env.AWS_CONTAINER_AUTHORIZATION_TOKEN,
        awsContainerAuthorizationTokenFile: env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
      })());
    }
    const imdsOff = env.AWS_EC2_METADATA_DISABLED && env.AWS_EC2_METADATA_DISABLED !== 'false';
    if (!imdsOff) links.push(() => p.fromInstanceMetadata({ timeout: 1000, maxRetries: 0 })());
    let profileProblem: string | undefined;
    for (const [i, link] of links.entries()) {
      try {
        return await link();
      } catch (e) {
        const err = e as { name?: string; message?: string; tryNextLink?: boolean };
        if (i === 0 && profile) profileProblem = err.message;
        // Anything but "this source has nothing" (an expired SSO session, a failing
        // credential_process) is the answer the user needs to see.
        if (err.tryNextLink === false && err.name !== 'CredentialsProviderError') throw credentialError(String(err.message));
      }
    }
    throw credentialError(profile
      ? `AWS_PROFILE=${profile} gave no credentials (${profileProblem ?? 'profile not found'})`
      : 'none found in the environment, ~/.aws, web identity, container or instance metadata');
  };
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
  const client: SESv2Client = new sdk.SESv2Client({
    region,
    ...(endpoint ? { endpoint } : {}),
    credentials: credentialChain(ctx.env, region),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: ctx.timeoutMs },
  });
  const sleep = ctx.sleep ?? realSleep;

  /** One SDK call with a per-attempt deadline, bounded retries, and our error type at the end. */
  async function call<T>(operation: string, send: (signal: AbortSignal) => Promise<T>, tolerate?: (e: unknown) => boolean, onRetry?: () => void): Promise<T | null> {
    const attempt = async (): Promise<T> => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), ctx.timeoutMs);
      try {
        return await send(controller.signal);
      } catch (e) {
        if (controller.signal.aborted) throw new SesTimeoutError(operation, ctx.timeoutMs);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      return await withRetries(attempt, {
        classify: classifySesError,
        sleep,
        onRetry: (n, waitMs, e) => {
          onRetry?.();
          ctx.debug?.(`SES ${operation}: attempt ${n} failed (${(e as Error).name}); retrying in ${Math.round(waitMs)} ms`);
        },
      });
    } catch (e) {
      if (tolerate?.(e)) return null;
      ctx.debug?.(`SES ${operation} failed: ${(e as Error).name}`);
      throw toMailsetupError(e, operation, ctx.env);
    }
  }

  return {
    region,
    async createIdentity(identity, byo) {
      let afterRetry = false;
      const details = await call('CreateEmailIdentity', (abortSignal) => client.send(new sdk.CreateEmailIdentityCommand({
        EmailIdentity: identity,
        ...(byo ? { DkimSigningAttributes: { DomainSigningSelector: byo.selector, DomainSigningPrivateKey: byo.privateKey } } : {}),
      }), { abortSignal }), (e) => isNamed(e, 'AlreadyExistsException'), () => { afterRetry = true; });
      return details === null ? { existed: true, afterRetry } : { existed: false, details };
    },
    async getIdentity(identity) {
      return call('GetEmailIdentity', (abortSignal) => client.send(new sdk.GetEmailIdentityCommand({ EmailIdentity: identity }), { abortSignal }),
        (e) => isNamed(e, 'NotFoundException'));
    },
    async putMailFrom(identity, mailFromDomain) {
      await call('PutEmailIdentityMailFromAttributes', (abortSignal) => client.send(new sdk.PutEmailIdentityMailFromAttributesCommand({
        EmailIdentity: identity, MailFromDomain: mailFromDomain, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
      }), { abortSignal }));
    },
    async deleteIdentity(identity) {
      let found = true;
      await call('DeleteEmailIdentity', (abortSignal) => client.send(new sdk.DeleteEmailIdentityCommand({ EmailIdentity: identity }), { abortSignal }),
        (e) => { found = !isNamed(e, 'NotFoundException'); return !found; });
      return found;
    },
  };
}
