/**
 * What every AWS adapter (SES, Route 53) needs from an environment: region, credentials and a
 * configured endpoint, all resolved from the caller's `env` and handed to the SDK explicitly. The
 * SDK's own chain reads process.env directly, which a test or an embedding caller cannot steer.
 * No SDK is imported here except `@aws-sdk/credential-providers`, lazily, for profile-style sources.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MailsetupError } from '../errors.js';

export interface AwsCredentialIdentity { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

/**
 * When esbuild bundles an SDK's CommonJS build (its default for platform node) into our ESM
 * bundle, a dynamic import yields only `default`, as Node itself would; unbundled we get names.
 */
export function esmOrDefault<T extends object>(mod: T, probe: keyof T): T {
  const fallback = (mod as T & { default?: T }).default;
  return typeof mod[probe] === 'function' || !fallback ? mod : fallback;
}

/**
 * On Node < 22 the AWS SDK prints a NodeVersionSupportWarning to stderr when a client is built
 * (providers.md §1.2, registrars.md §2.1); it is noise for our users and would break "stderr is
 * ours". The SDK reads only process.env for this. A user who set the variable keeps their choice.
 */
export function quietAwsSdk(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || homedir();
}

function configFile(env: NodeJS.ProcessEnv): string {
  return env.AWS_CONFIG_FILE || join(home(env), '.aws', 'config');
}

/** `region = …` of the active profile in ~/.aws/config, as `aws configure` writes it. */
export function regionFromConfig(env: NodeJS.ProcessEnv): string | undefined {
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

/**
 * The configured endpoint for one service: `AWS_ENDPOINT_URL_<SERVICE>` beats `AWS_ENDPOINT_URL`,
 * as in the SDK's own configured-endpoint rules (`serviceVar` is e.g. AWS_ENDPOINT_URL_SESV2).
 */
export function resolveAwsEndpoint(env: NodeJS.ProcessEnv, serviceVar: string): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  for (const name of [serviceVar, 'AWS_ENDPOINT_URL']) {
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
 */
export function awsCredentialChain(env: NodeJS.ProcessEnv, region: string): AwsCredentialIdentityProvider {
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

/**
 * The options every AWS client of ours is built with: region, endpoint and credentials resolved
 * from `env` and passed explicitly, retries left to awsCall (`maxAttempts: 1`).
 */
export function awsClientConfig(env: NodeJS.ProcessEnv, region: string, endpoint: string | undefined, timeoutMs: number) {
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    credentials: awsCredentialChain(env, region),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs },
  };
}
