/** `list`, `records` and `remove` over the state file (and, for remove, the provider). */
import { MailsetupError } from '../errors.js';
import type { DomainState, DomainStatus } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import type { EmailProvider, ProviderId } from '../providers/types.js';
import { loadProvider } from '../providers/index.js';
import { organisationalDomain, parseDomain, parseIdentity } from '../model/domain-name.js';
import type { Runtime } from './runtime.js';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { emptyState } from '../state/schema.js';
import { serializeState } from '../state/store.js';
import { parseProviderId } from '../providers/index.js';

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

/** `records --json` (schemas/records.schema.json): what to publish for a stored domain. */
export async function recordsDocument(rt: Runtime, target: string, zone?: string): Promise<{ domain: string; provider: string; status: DomainStatus; zone: string; records: DomainState['records'] }> {
  const domain = parseDomain(target);
  const z = zone !== undefined ? parseDomain(zone) : organisationalDomain(domain);
  const entry = await getDomain(rt.store(), domain);
  return { domain, provider: entry.provider, status: entry.status, zone: z, records: entry.records };
}

/** The stored entry a remove is about (read first, so a confirmation can name its provider). */
export async function removalTarget(rt: Runtime, target: string): Promise<{ key: string; entry: DomainState }> {
  const identity = parseIdentity(target);
  const key = identity.email ?? identity.domain;
  return { key, entry: await getDomain(rt.store(), key) };
}

/**
 * `remove` once confirmed: the provider identity is deleted unless `keepProvider`, then the entry
 * is forgotten. DNS is never touched; the document lists the records that served the domain.
 */
export async function removeTarget(rt: Runtime, key: string, entry: DomainState, o: { keepProvider: boolean }): Promise<{ domain: string; removed: true; providerDeleted: boolean; records: DomainState['records'] }> {
  let provider: EmailProvider | null = null;
  if (!o.keepProvider) {
    if (entry.provider === 'sandbox') throw new MailsetupError('PROVIDER_UNSUPPORTED', 'the sandbox provider exists only inside "mailsetup demo"', { hint: 'Use --keep-provider to forget the domain.' });
    const factory = await loadProvider(entry.provider as ProviderId);
    provider = await factory({ env: rt.env, timeoutMs: rt.apiTimeoutMs, ...(entry.region ? { region: entry.region } : {}), debug: (l) => rt.debug(l) });
  }
  const work = removeDomain(rt.store(), key, provider);
  const result = await rt.waitFor(provider ? `deleting ${key} at ${entry.provider}` : `forgetting ${key}`, work);
  return { domain: key, removed: true, providerDeleted: result.providerDeleted, records: result.entry.records };
}

/**
 * `init`: create the state file at `path` (an empty state, with a default provider when given) so
 * it lives next to the infrastructure code. Never overwrites: an existing file — perhaps with every
 * domain in it — is left as it is, and `created` is false.
 */
export async function initStateFile(path: string, provider?: string): Promise<{ path: string; created: boolean; provider: string | null }> {
  const full = resolve(path);
  const state = emptyState();
  if (provider !== undefined) state.defaults = { provider: parseProviderId(provider) };
  try {
    // 'wx': create only.
    await writeFile(full, serializeState(state), { flag: 'wx', mode: 0o644 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { path: full, created: false, provider: null };
    throw new MailsetupError('CONFIG_INVALID', `cannot create ${full}: ${(e as Error).message}`, { hint: 'Check that the directory exists and is writable.' });
  }
  return { path: full, created: true, provider: state.defaults?.provider ?? null };
}
