/** Lazy registry: a provider's SDK is imported only when that provider is used. */
import { MailsetupError } from '../errors.js';
import { choiceHint } from '../util/did-you-mean.js';
import type { ProviderFactory, ProviderId } from './types.js';
import { PROVIDER_IDS } from './types.js';

const loaders = {
  ses: async () => (await import('./ses/index.js')).createSesProvider,
  sendgrid: async () => (await import('./sendgrid/index.js')).createSendgridProvider,
  mailgun: async () => (await import('./mailgun/index.js')).createMailgunProvider,
  resend: async () => (await import('./resend/index.js')).createResendProvider,
} satisfies Record<ProviderId, () => Promise<ProviderFactory>>;

export function parseProviderId(value: string): ProviderId {
  const id = value.toLowerCase();
  if ((PROVIDER_IDS as readonly string[]).includes(id)) return id as ProviderId;
  throw new MailsetupError('USAGE', `unknown provider "${value}"`, { hint: choiceHint(value, PROVIDER_IDS, '--provider') });
}

export async function loadProvider(id: ProviderId): Promise<ProviderFactory> {
  return loaders[id]();
}
