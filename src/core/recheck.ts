/**
 * autoconfig's re-check (DESIGN.md, `autoconfig`): the records against the zone's authoritative
 * servers, as `verify --no-provider` does; the provider's verdict added only after a write and only
 * when its credentials are configured. DNS alone decides the outcome: DNS and provider credentials
 * often live in different places (a CI job with a DNS token only), and a successful write must never
 * end as a credentials error. When the provider is not asked, or cannot be, the result says so and
 * how to ask it; that is never read as "the provider agrees".
 */
import { MailsetupError, redact } from '../errors.js';
import type { EmailProvider } from '../providers/types.js';
import { providerCredentials } from '../providers/credentials.js';
import type { DomainStatus } from '../state/schema.js';
import { aggregate, runVerify, type DomainVerification, type VerifyDeps } from './verify.js';

export interface ProviderCheck {
  /** The stored provider id. */
  id: string;
  asked: boolean;
  /** Why it was not asked, or why asking failed; null when asked. */
  reason: string | null;
  /** The error code when asking failed (credentials rejected, provider down …). */
  code: string | null;
  /** The command that asks it. */
  next: string | null;
}

export interface Recheck {
  verification: DomainVerification;
  /** The verdict of DNS alone: what the exit status follows. */
  dnsStatus: DomainStatus;
  provider: ProviderCheck;
}

export interface RecheckOptions {
  /** Whether this run wrote anything. A run that wrote nothing never touches provider credentials. */
  wrote: boolean;
  /** `--no-provider`. */
  noProvider: boolean;
  env: NodeJS.ProcessEnv;
}

/**
 * The verify deps with every provider call watched: a failure there (construction, credentials
 * rejected, provider down) is noted, so the caller can tell it from a DNS or state-file failure
 * without guessing from error codes.
 */
function watchProvider(deps: VerifyDeps): { deps: VerifyDeps; failure: () => unknown } {
  let failure: unknown = null;
  const note = (e: unknown): never => { failure ??= e; throw e; };
  const provider: VerifyDeps['provider'] = async (entry) => {
    let p: EmailProvider;
    try { p = await deps.provider(entry); } catch (e) { return note(e); }
    return new Proxy(p, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => Promise.resolve().then(() => (v as (...a: unknown[]) => unknown).apply(target, args)).catch(note);
      },
    });
  };
  return { deps: { ...deps, provider }, failure: () => failure };
}

export async function recheck(domain: string, opts: RecheckOptions, deps: VerifyDeps): Promise<Recheck> {
  const entry = (await deps.store.read()).domains[domain];
  if (!entry) throw new MailsetupError('DOMAIN_NOT_FOUND', `${domain} is not in ${deps.store.path}`, { hint: `Run "mailsetup add ${domain} --provider <p>" first.` });
  const next = `mailsetup verify ${domain}`;
  const skip = (reason: string, code: string | null = null): ProviderCheck => ({ id: entry.provider, asked: false, reason, code, next });

  let provider: ProviderCheck | null = null;
  if (opts.noProvider) provider = skip('--no-provider was given');
  else if (!opts.wrote) provider = skip('nothing was written, so there was nothing new for it to check');
  else {
    const creds = providerCredentials(entry.provider, opts.env);
    if (!creds.present) provider = skip(`its credentials are not set here (${creds.source})`);
  }

  if (!provider) {
    const watched = watchProvider(deps);
    try {
      const [v] = await runVerify([domain], { noProvider: false, refresh: false }, watched.deps);
      return { verification: v!, dnsStatus: aggregate(v!.records, v!.providerStatus, true), provider: { id: entry.provider, asked: true, reason: null, code: null, next: null } };
    } catch (e) {
      // DOMAIN_NOT_FOUND here is verify's "the provider no longer has it": the provider's answer too.
      const fromProvider = watched.failure() !== null || (e instanceof MailsetupError && e.code === 'DOMAIN_NOT_FOUND');
      if (!fromProvider) throw e;
      const err = e instanceof MailsetupError ? e : null;
      // Printed outside the error renderer, so redacted here: no credential in output, ever.
      const said = err ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : String((e as Error)?.message ?? e);
      provider = skip(`asking it failed: ${redact(said, opts.env)}`, err?.code ?? 'PROVIDER_UNAVAILABLE');
    }
  }
  const [v] = await runVerify([domain], { noProvider: true, refresh: false }, deps);
  return { verification: v!, dnsStatus: aggregate(v!.records, v!.providerStatus, true), provider };
}
