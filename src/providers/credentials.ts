/**
 * Whether a provider's credentials are configured at all, decided from the environment and local
 * files only: no SDK import, no network. `autoconfig` asks this before its re-check so that a run
 * holding only DNS-host credentials never constructs the provider (and never ends in exit 77).
 *
 * It answers "configured", not "valid": a key that is set but rejected still reaches the provider,
 * which then says so. For SES the AWS default chain cannot be fully judged offline; we accept the
 * sources that need no request — static keys, AWS_PROFILE, a shared credentials or config file,
 * web identity, a container endpoint — and deliberately leave out instance metadata (IMDS): probing
 * it is a network call that hangs for a second or more off EC2. On an instance with only a role
 * attached this says "absent", and the output points to `mailsetup verify`, which runs the full
 * chain — the safe direction: the provider is not asked, and we say so.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface CredentialPresence {
  present: boolean;
  /** Where they were found (a variable or file name, never a value), or what to set when absent. */
  source: string;
}

const API_KEY: Record<string, string> = { sendgrid: 'SENDGRID_API_KEY', mailgun: 'MAILGUN_API_KEY', resend: 'RESEND_API_KEY' };

function awsPresence(env: NodeJS.ProcessEnv): CredentialPresence {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return { present: true, source: 'AWS_ACCESS_KEY_ID' };
  if (env.AWS_PROFILE) return { present: true, source: `AWS_PROFILE=${env.AWS_PROFILE}` };
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) return { present: true, source: 'AWS_WEB_IDENTITY_TOKEN_FILE' };
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return { present: true, source: 'the container credentials endpoint' };
  const home = env.HOME || env.USERPROFILE || homedir();
  // The config file counts too: SSO, credential_process and assume-role profiles live there.
  for (const file of [env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'), env.AWS_CONFIG_FILE || join(home, '.aws', 'config')]) {
    if (existsSync(file)) return { present: true, source: file };
  }
  return { present: false, source: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)' };
}

/** Are credentials for `provider` (a stored provider id) configured in `env`? */
export function providerCredentials(provider: string, env: NodeJS.ProcessEnv): CredentialPresence {
  if (provider === 'ses') return awsPresence(env);
  const name = API_KEY[provider];
  // The sandbox provider exists only inside `mailsetup demo`: nothing outside it can ask it.
  if (!name) return { present: false, source: provider === 'sandbox' ? 'the demo (the sandbox provider exists only there)' : `credentials for ${provider}` };
  return env[name] ? { present: true, source: name } : { present: false, source: name };
}
