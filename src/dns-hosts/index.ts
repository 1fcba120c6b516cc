/** Lazy registry of DNS-host writers: a host's SDK is imported only when that host is written to. */
import { MailsetupError } from '../errors.js';
import { choiceHint } from '../util/did-you-mean.js';
import type { HostFactory, HostId } from './types.js';
import { HOST_IDS } from './types.js';

const loaders = {
  cloudflare: async () => (await import('./cloudflare/index.js')).createCloudflareWriter,
  route53: async () => (await import('./route53/index.js')).createRoute53Writer,
  resellerclub: async () => (await import('./resellerclub/index.js')).createResellerclubWriter,
  rfc2136: async () => (await import('./rfc2136/index.js')).createRfc2136Writer,
} satisfies Record<HostId, () => Promise<HostFactory>>;

export function parseHostId(value: string): HostId {
  const id = value.toLowerCase();
  if ((HOST_IDS as readonly string[]).includes(id)) return id as HostId;
  throw new MailsetupError('USAGE', `--dns: unknown DNS host "${value}"`, { hint: choiceHint(value, HOST_IDS, '--dns') });
}

export async function loadWriter(id: HostId): Promise<HostFactory> {
  return loaders[id]();
}
