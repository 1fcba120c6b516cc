/** `list`, `records` and `remove` over the state file (and, for remove, the provider). */
import { MailsetupError } from '../errors.js';
import type { DomainState, DomainStatus } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import type { EmailProvider } from '../providers/types.js';

export interface ListedDomain { domain: string; provider: string; status: DomainStatus; updatedAt: string; records: number; region: string | null; providerId: string }

export async function listDomains(store: StateStore, status?: DomainStatus): Promise<ListedDomain[]> {
  const state = await store.read();
  return Object.entries(state.domains)
    .filter(([, d]) => !status || d.status === status)
    .map(([domain, d]) => ({ domain, provider: d.provider, status: d.status, updatedAt: d.updatedAt, records: d.records.length, region: d.region, providerId: d.providerId }))
    .sort((a, b) => a.domain.localeCompare(b.domain));
}

export async function getDomain(store: StateStore, domain: string): Promise<DomainState> {
  const state = await store.read();
  const entry = state.domains[domain];
  if (!entry) {
    const known = Object.keys(state.domains);
    throw new MailsetupError('DOMAIN_NOT_FOUND', `${domain} is not in ${store.path}`, {
      hint: known.length ? `Known domains: ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', …' : ''}. Add it with "mailsetup add ${domain} --provider <p>".` : `Add it with "mailsetup add ${domain} --provider <p>".`,
    });
  }
  return entry;
}

export interface RemoveResult { domain: string; entry: DomainState; providerDeleted: boolean }

/** Delete the provider identity (unless keepProvider), then the state entry. DNS is never touched. */
export async function removeDomain(store: StateStore, domain: string, provider: EmailProvider | null): Promise<RemoveResult> {
  const entry = await getDomain(store, domain);
  if (provider) await provider.remove(domain, entry.providerId);
  await store.update((s) => { delete s.domains[domain]; });
  return { domain, entry, providerDeleted: provider !== null };
}
