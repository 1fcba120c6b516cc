/**
 * The pieces every verify-shaped use case shares (verify, watch, health, autoconfig's re-check, and
 * the library): which domains a run is about, the dependencies `runVerify` needs from a Runtime,
 * and whether a stored domain's provider could be asked at all.
 */
import { parseDomain } from '../model/domain-name.js';
import type { VerifyDeps, VerifyOptions } from './verify.js';
import { loadProvider } from '../providers/index.js';
import type { EmailProvider, ProviderId } from '../providers/types.js';
import { providerCredentials } from '../providers/credentials.js';
import type { DomainState } from '../state/schema.js';
import { MailsetupError } from '../errors.js';
import { PROVIDER_NAMES } from '../render/validate.js';
import type { Runtime } from './runtime.js';

/** The public resolvers compared by default (`--resolver` replaces the whole set). */
export const PUBLIC_RESOLVERS = ['1.1.1.1', '8.8.8.8', '9.9.9.9', '208.67.222.222'];

export function verifyDeps(rt: Runtime): VerifyDeps {
  const providers = new Map<string, Promise<EmailProvider>>();
  return {
    store: rt.store(),
    dns: rt.dns,
    resolvers: rt.resolvers,
    comparators: rt.resolversGiven ? rt.resolvers : [...new Set([...rt.resolvers, ...PUBLIC_RESOLVERS])],
    authoritative: rt.authoritative,
    provider: (entry: DomainState) => {
      const key = `${entry.provider}|${entry.region ?? ''}`;
      let p = providers.get(key);
      if (!p) {
        if (entry.provider === 'sandbox') throw new MailsetupError('PROVIDER_UNSUPPORTED', 'the sandbox provider exists only inside "mailsetup demo"', { hint: 'Use --no-provider to check DNS only.' });
        p = loadProvider(entry.provider as ProviderId).then((f) => f({ env: rt.env, timeoutMs: rt.apiTimeoutMs, ...(entry.region ? { region: entry.region } : {}), debug: (l) => rt.debug(l) }));
        providers.set(key, p);
      }
      return p;
    },
  };
}

/** The domains named, de-duplicated and checked; or with `all`, every stored domain (not senders). */
export async function resolveTargets(rt: Runtime, args: string[], all: boolean): Promise<string[]> {
  if (all) {
    const state = await rt.store().read();
    const names = Object.keys(state.domains).filter((d) => !d.includes('@')).sort();
    if (names.length === 0) throw new MailsetupError('DOMAIN_NOT_FOUND', `no domains in ${rt.store().path}`, { hint: 'Add one with "mailsetup add <domain> --provider <p>".' });
    return names;
  }
  if (args.length === 0) throw new MailsetupError('USAGE', 'name a domain, or use --all', { hint: 'mailsetup verify mail.acme.com, or mailsetup verify --all.' });
  return [...new Set(args.map(parseDomain))];
}

/**
 * The first stored domain whose provider has no credentials configured (an offline presence check,
 * src/providers/credentials.ts) when the provider would be asked, as the PROVIDER_AUTH error to
 * raise after the DNS answers are shown; null when every provider can be asked.
 */
export async function missingCredentials(rt: Runtime, domains: string[], opts: VerifyOptions): Promise<MailsetupError | null> {
  if (opts.noProvider || opts.refresh) return null;
  const state = await rt.store().read();
  for (const d of domains) {
    const entry = state.domains[d];
    if (!entry || entry.provider === 'sandbox') continue;
    const presence = providerCredentials(entry.provider, rt.env);
    if (presence.present) continue;
    const name = PROVIDER_NAMES[entry.provider] ?? entry.provider;
    return new MailsetupError('PROVIDER_AUTH', `${name} was not asked for ${d}: no credentials (${presence.source} not set); the results above are DNS alone`, {
      hint: `Set ${presence.source} to include the provider's verdict, or pass --no-provider to check DNS only (the exit status then follows DNS).`,
    });
  }
  return null;
}
