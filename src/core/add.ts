/**
 * `add`: register (or adopt) the domain at the provider, add the records mailsetup recommends
 * (DMARC), and save the entry in the state file. The provider call happens outside the state lock;
 * if saving fails after registering, the next `add` recovers by adoption.
 */
import type { Identity } from '../model/domain-name.js';
import { organisationalDomain } from '../model/domain-name.js';
import { makeRecord, type DnsRecord } from '../model/record.js';
import { MailsetupError } from '../errors.js';
import type { EmailProvider, RegisterOptions } from '../providers/types.js';
import type { Lookup } from '../dns/types.js';
import { auditDmarc, type DmarcDetail } from '../validators/dmarc.js';
import type { DomainState, StateFile, StoredProviderId } from '../state/schema.js';
import { recordStatus, type StateStore } from '../state/store.js';

export type DmarcChoice = 'none' | 'quarantine' | 'reject' | 'skip';

export interface AddOptions {
  identity: Identity;
  provider: StoredProviderId;
  register: Omit<RegisterOptions, 'domain'>;
  dmarc: DmarcChoice;
  dmarcRua?: string;
}

export interface AddDeps {
  store: StateStore;
  provider: EmailProvider;
  /** Recursive lookup, for the existing DMARC policy. */
  lookup: Lookup;
  now?: () => Date;
}

export type AddNote =
  | { kind: 'apex'; domain: string; suggestion: string }
  | { kind: 'dmarc-covered'; by: string; policy: string | null; tag: string | null }
  | { kind: 'dmarc-exists'; at: string; policy: string | null }
  | { kind: 'dmarc-unchecked' }
  | { kind: 'adopted'; providerId: string };

export interface AddResult {
  domain: string;
  entry: DomainState;
  adopted: boolean;
  notes: AddNote[];
  /** For a single sender: the address registered. */
  sender: { email: string; status: string } | null;
}

/** The DMARC record mailsetup recommends, and whether an existing policy makes it optional. */
async function recommendDmarc(domain: string, opts: AddOptions, lookup: Lookup, notes: AddNote[]): Promise<DnsRecord | null> {
  if (opts.dmarc === 'skip') return null;
  let required = true;
  const audit = await auditDmarc(domain, lookup);
  const detail = audit.detail as DmarcDetail | undefined;
  if (audit.status === 'none' && audit.findings.some((f) => f.code === 'DMARC_UNCHECKED')) {
    notes.push({ kind: 'dmarc-unchecked' });
  } else if (detail?.recordAt && detail.inherited) {
    required = false;
    notes.push({ kind: 'dmarc-covered', by: detail.recordAt, policy: detail.policy, tag: detail.policyTag });
  } else if (detail?.recordAt === domain && detail.policy) {
    required = false;
    notes.push({ kind: 'dmarc-exists', at: `_dmarc.${domain}`, policy: detail.policy });
  }
  const value = `v=DMARC1; p=${opts.dmarc}${opts.dmarcRua ? `; rua=${opts.dmarcRua}` : ''}`;
  return makeRecord({ purpose: 'dmarc', type: 'TXT', name: `_dmarc.${domain}`, value, required, source: 'mailsetup' });
}

export async function runAdd(opts: AddOptions, deps: AddDeps): Promise<AddResult> {
  const now = deps.now ?? (() => new Date());
  const domain = opts.identity.domain;
  const key = opts.identity.email ?? domain;
  const state: StateFile = await deps.store.read();
  const existing = state.domains[key];
  if (existing && existing.provider !== opts.provider) {
    throw new MailsetupError('DOMAIN_EXISTS', `${key} is already set up with ${existing.provider} in ${deps.store.path}`, {
      hint: `Run "mailsetup remove ${key}" first, or keep using ${existing.provider}.`,
    });
  }
  const notes: AddNote[] = [];

  if (opts.identity.email) {
    const p = deps.provider;
    if (!p.capabilities.singleSender || !p.registerSender) {
      throw new MailsetupError('PROVIDER_UNSUPPORTED', `${p.id} cannot verify a single sender address`, {
        hint: 'Single-sender verification is offered by ses and sendgrid; or add the whole domain instead.',
      });
    }
    const sender = await p.registerSender(opts.identity.email);
    const entry = await deps.store.update((s) => {
      const at = now().toISOString();
      const prev = s.domains[key];
      const e: DomainState = {
        ...(prev ?? {}), provider: opts.provider, providerId: sender.providerId, region: opts.register.region ?? prev?.region ?? null,
        records: [], status: prev?.status ?? 'pending', createdAt: prev?.createdAt ?? at, updatedAt: at, history: prev?.history ?? [],
      };
      recordStatus(e, sender.status, 'registered', now());
      s.domains[key] = e;
      return e;
    });
    return { domain: key, entry, adopted: false, notes, sender: { email: sender.email, status: sender.status } };
  }

  // Options a provider cannot honour are refused here, from its declared capabilities, before any
  // request: one rule for every adapter (each keeps its own guard for direct use).
  const caps = deps.provider.capabilities;
  const unsupported = [
    opts.register.dkim === 'byo' && !caps.byoDkim ? { flag: '--dkim byo', why: 'generates the DKIM key itself', has: 'ses' } : null,
    opts.register.inbound && !caps.inbound ? { flag: '--inbound', why: 'has no receiving MX to publish', has: 'ses or mailgun' } : null,
  ].find((x) => x !== null);
  if (unsupported) {
    throw new MailsetupError('PROVIDER_UNSUPPORTED', `${deps.provider.id} ${unsupported.why}: ${unsupported.flag} is not available`, {
      hint: `Drop ${unsupported.flag}, or use --provider ${unsupported.has}.`,
    });
  }

  const org = organisationalDomain(domain);
  if (domain === org) notes.push({ kind: 'apex', domain, suggestion: `mail.${domain}` });

  // Register first (network, outside the lock), then save under the lock.
  const [{ identity, adopted }, dmarc] = await Promise.all([
    deps.provider.register({ domain, ...opts.register }),
    recommendDmarc(domain, opts, deps.lookup, notes),
  ]);
  if (adopted) notes.push({ kind: 'adopted', providerId: identity.providerId });
  const records = dmarc && !identity.records.some((r) => r.purpose === 'dmarc') ? [...identity.records, dmarc] : identity.records;

  const entry = await deps.store.update((s) => {
    const at = now().toISOString();
    const prev = s.domains[key];
    const e: DomainState = {
      ...(prev ?? {}),
      provider: opts.provider,
      providerId: identity.providerId,
      region: identity.region,
      records,
      status: prev?.status ?? identity.status,
      createdAt: prev?.createdAt ?? at,
      updatedAt: at,
      history: prev?.history ?? [],
    };
    recordStatus(e, identity.status, adopted ? 'adopted existing identity' : 'registered', now());
    s.domains[key] = e;
    return e;
  });
  return { domain, entry, adopted, notes, sender: null };
}
