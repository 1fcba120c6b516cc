/**
 * The `sandbox` provider: a labelled SIMULATOR used by `mailsetup demo` (and as an always-available
 * contract target). It behaves like a real provider — issues random DKIM tokens and a MAIL FROM, and
 * reports `verified` once DNS serves every record it asked for — but talks to no service.
 */
import { randomBytes } from 'node:crypto';
import type { EmailProvider, ProviderCapabilities, ProviderIdentity, RegisterOptions } from '../types.js';
import { makeRecord } from '../../model/record.js';
import type { Lookup } from '../../dns/types.js';

export const SANDBOX_DKIM_ZONE = 'dkim.sandbox.mailsetup.test';

const capabilities: ProviderCapabilities = {
  singleSender: false, byoDkim: false, inbound: false, customMailFrom: true, triggerVerify: true, regions: null,
};

export function createSandboxProvider(lookup: Lookup): EmailProvider {
  const identities = new Map<string, ProviderIdentity>();

  function records(domain: string, tokens: string[], mailFrom: string) {
    return [
      ...tokens.map((t) => makeRecord({ purpose: 'dkim', type: 'CNAME', name: `${t}._domainkey.${domain}`, value: `${t}.${SANDBOX_DKIM_ZONE}` })),
      makeRecord({ purpose: 'mail-from-mx', type: 'MX', name: `${mailFrom}.${domain}`, value: 'feedback.sandbox.mailsetup.test', priority: 10 }),
      makeRecord({ purpose: 'mail-from-spf', type: 'TXT', name: `${mailFrom}.${domain}`, value: 'v=spf1 include:spf.sandbox.mailsetup.test ~all' }),
    ];
  }

  /** Verified once every record is served as asked: the simulator checks DNS like a provider does. */
  async function refresh(identity: ProviderIdentity): Promise<ProviderIdentity> {
    const ok = await Promise.all(identity.records.map(async (r) => {
      const a = await lookup(r.name, r.type);
      if (r.type === 'CNAME') return a.records.some((x) => x.type === 'CNAME' && x.data === r.value);
      if (r.type === 'MX') return a.records.some((x) => x.type === 'MX' && x.data.exchange === r.value);
      return a.records.some((x) => x.type === 'TXT' && x.data.join('').includes('include:spf.sandbox.mailsetup.test'));
    }));
    const status = ok.every(Boolean) ? 'verified' : 'pending';
    Object.assign(identity, { status, providerState: status.toUpperCase() });
    return identity;
  }

  return {
    id: 'sandbox',
    capabilities,
    async register(options: RegisterOptions) {
      const existing = identities.get(options.domain);
      if (existing) return { identity: existing, adopted: true };
      const tokens = Array.from({ length: 3 }, () => randomBytes(16).toString('hex'));
      const identity: ProviderIdentity = {
        domain: options.domain, providerId: `sbx-${randomBytes(4).toString('hex')}`, region: null,
        status: 'pending', providerState: 'PENDING', records: records(options.domain, tokens, options.mailFrom ?? 'bounce'),
      };
      identities.set(options.domain, identity);
      return { identity, adopted: false };
    },
    async get(domain) {
      const i = identities.get(domain);
      return i ? refresh(i) : null;
    },
    async verify(domain) {
      const i = identities.get(domain);
      if (!i) throw new Error(`sandbox: unknown domain ${domain}`);
      return refresh(i);
    },
    async remove(domain) { identities.delete(domain); },
  };
}
