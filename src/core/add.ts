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
import { auditDmarc, parseDmarc, type DmarcDetail } from '../validators/dmarc.js';
import type { DomainState, StateFile, StoredProviderId } from '../state/schema.js';
import { recordStatus, type StateStore } from '../state/store.js';
import { existsSync } from 'node:fs';
import { parseIdentity } from '../model/domain-name.js';
import { loadProvider, parseProviderId } from '../providers/index.js';
import type { ProviderId } from '../providers/types.js';
import { regionProblem } from '../providers/regions.js';
import { validateLookup } from './validate.js';
import type { Runtime } from './runtime.js';

export type DmarcChoice = 'none' | 'quarantine' | 'reject' | 'skip';
type Policy = Exclude<DmarcChoice, 'skip'>;

export interface AddOptions {
  identity: Identity;
  provider: StoredProviderId;
  register: Omit<RegisterOptions, 'domain'>;
  /** `--dmarc`; undefined when not given: the stored recommendation is kept, else p=none. */
  dmarc?: DmarcChoice;
  dmarcRua?: string;
}

export interface AddDeps {
  store: StateStore;
  provider: EmailProvider;
  /** Live lookup for the DMARC policy in force (the `--authoritative` servers for the zone when given). */
  lookup: Lookup;
  now?: () => Date;
}

export type AddNote =
  | { kind: 'apex'; domain: string; suggestion: string }
  /** A policy above the domain covers it; `proposed`: ours is stricter, else none is proposed. */
  | { kind: 'dmarc-covered'; by: string; policy: string | null; tag: string | null; proposed: boolean; asked: Policy }
  /** `_dmarc.<domain>` already holds DMARC that mailsetup did not write: nothing is proposed there. */
  | { kind: 'dmarc-exists'; at: string; policy: string | null; count: number; asked: Policy }
  /** Our own published policy is stricter than the one asked: it stays. */
  | { kind: 'dmarc-kept'; at: string; policy: string; asked: Policy }
  /** DNS did not answer: nothing new is proposed; `kept` when an earlier recommendation stays stored. */
  | { kind: 'dmarc-unchecked'; kept: boolean }
  /** The stored recommendation changed (re-running add with --dmarc): autoconfig publishes it. */
  | { kind: 'dmarc-updated'; from: string; to: string }
  | { kind: 'adopted'; providerId: string };

export interface AddResult {
  domain: string;
  entry: DomainState;
  adopted: boolean;
  notes: AddNote[];
  /** For a single sender: the address registered. */
  sender: { email: string; status: string } | null;
}

const RANK: Record<Policy, number> = { none: 0, quarantine: 1, reject: 2 };
const stricter = (a: Policy, b: Policy): boolean => RANK[a] > RANK[b];
const strictest = (ps: Policy[]): Policy | null => ps.reduce<Policy | null>((m, p) => (m === null || stricter(p, m) ? p : m), null);
const ws = (v: string): string => v.replace(/\s+/g, ' ').trim();

/**
 * The DMARC record mailsetup recommends, from the policy in force live (DESIGN.md `add`): never a
 * record at a name that already holds DMARC (a second record makes receivers ignore both), except
 * to tighten a record mailsetup itself published; never a policy weaker than the one in force at
 * the name or inherited from above. When DNS cannot be asked, nothing new is proposed — a blind
 * p=none could duplicate or weaken a policy — and an earlier recommendation stays as it was.
 */
async function recommendDmarc(domain: string, opts: AddOptions, prev: DomainState | undefined, lookup: Lookup, notes: AddNote[]): Promise<DnsRecord | null> {
  if (opts.dmarc === 'skip') return null;
  const stored = prev?.records.find((r) => r.purpose === 'dmarc' && r.source === 'mailsetup') ?? null;
  const storedTags = stored ? parseDmarc(stored.value).tags : {};
  // Without --dmarc a re-run keeps what was recommended before; --dmarc-rua likewise.
  const storedPolicy = (storedTags.p ?? '').toLowerCase() as Policy;
  const asked: Policy = opts.dmarc ?? (RANK[storedPolicy] !== undefined ? storedPolicy : 'none');
  const rua = opts.dmarcRua ?? storedTags.rua;
  const name = `_dmarc.${domain}`;
  const record = (value: string): DnsRecord => makeRecord({ purpose: 'dmarc', type: 'TXT', name, value, required: true, source: 'mailsetup' });
  const wanted = record(`v=DMARC1; p=${asked}${rua ? `; rua=${rua}` : ''}`);

  const audit = await auditDmarc(domain, lookup);
  const detail = audit.detail as DmarcDetail | undefined;
  if (audit.record === null && audit.findings.some((f) => f.code === 'DMARC_UNCHECKED')) {
    notes.push({ kind: 'dmarc-unchecked', kept: stored !== null });
    return stored;
  }
  const values = audit.record === null ? [] : Array.isArray(audit.record) ? audit.record : [audit.record];
  // Where the DMARC found lives: the one record that applies, or a name holding several.
  const multiple = audit.findings.find((f) => f.code === 'DMARC_MULTIPLE_RECORDS')?.name.replace(/^_dmarc\./, '') ?? null;
  const at = multiple ?? detail?.recordAt ?? null;

  if (at === domain) {
    const live = values.length === 1 ? (parseDmarc(values[0]!).policy?.p ?? null) : null;
    const owned = values.length === 1 && ((prev?.applied ?? []) as Array<{ type: string; name: string; value: string }>)
      .some((o) => o.type === 'TXT' && o.name === name && ws(o.value) === ws(values[0]!));
    if (!owned || live === null) {
      notes.push({ kind: 'dmarc-exists', at: name, policy: live, count: values.length, asked });
      return null;
    }
    // Ours (autoconfig wrote it): tighten it if asked, never loosen it.
    if (stricter(asked, live)) return wanted;
    if (stricter(live, asked)) notes.push({ kind: 'dmarc-kept', at: name, policy: live, asked });
    return record(values[0]!);
  }
  if (at !== null) {
    // Inherited from above. For a name that does not exist yet `np` applies, once it does `sp`:
    // the stricter of the two is what a proposal must not undercut.
    const inForce = strictest(values.flatMap((v) => { const p = parseDmarc(v).policy; return p ? [p.sp, p.np] : []; }));
    const proposed = inForce === null || stricter(asked, inForce);
    const tag = inForce === null || inForce === detail?.policy ? detail?.policyTag ?? null : null;
    notes.push({ kind: 'dmarc-covered', by: `_dmarc.${at}`, policy: inForce ?? detail?.policy ?? null, tag, proposed, asked });
    return proposed ? wanted : null;
  }
  return wanted;
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
    recommendDmarc(domain, opts, existing, deps.lookup, notes),
  ]);
  if (adopted) notes.push({ kind: 'adopted', providerId: identity.providerId });
  const before = existing?.records.find((r) => r.purpose === 'dmarc' && r.source === 'mailsetup');
  if (before && dmarc && ws(before.value) !== ws(dmarc.value)) notes.push({ kind: 'dmarc-updated', from: before.value, to: dmarc.value });
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

// --- The use case as the CLI and the library run it: check the request, pick the provider, add.

/** `add`'s flags, as given (the CLI's strings, or the library's typed values). */
export interface AddRequest {
  /** Else the provider the domain is stored with, else the state file's default (`init --provider`). */
  provider?: string;
  region?: string;
  dmarc?: string;
  dmarcRua?: string;
  dkim?: string;
  dkimKeySize?: number | string;
  mailFrom?: string;
  inbound?: boolean;
}

const DMARC_CHOICES: readonly DmarcChoice[] = ['none', 'quarantine', 'reject', 'skip'];

/** Every flag checked before anything touches the state file or the network (64 with a hint). */
function checkRequest(r: AddRequest): Omit<AddOptions, 'identity' | 'provider'> {
  // Not given: a re-run keeps the stored recommendation (recommendDmarc), a first run recommends p=none.
  const dmarc = r.dmarc === undefined ? undefined : String(r.dmarc).toLowerCase() as DmarcChoice;
  if (dmarc !== undefined && !DMARC_CHOICES.includes(dmarc)) throw new MailsetupError('USAGE', `--dmarc: "${dmarc}" is not one of ${DMARC_CHOICES.join(', ')}`, { hint: 'Use --dmarc none, quarantine, reject or skip.' });
  const rua = r.dmarcRua;
  if (rua !== undefined && !/^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/i.test(rua)) {
    throw new MailsetupError('USAGE', `--dmarc-rua: "${rua}" is not a mailto: address`, { hint: 'Use --dmarc-rua mailto:dmarc@example.com.' });
  }
  const dkim = r.dkim;
  if (dkim !== undefined && dkim !== 'easy' && dkim !== 'byo') throw new MailsetupError('USAGE', `--dkim: "${dkim}" is not easy or byo`, { hint: 'Use --dkim easy (default) or --dkim byo.' });
  const keySize = r.dkimKeySize === undefined ? undefined : Number(r.dkimKeySize);
  if (keySize !== undefined && keySize !== 1024 && keySize !== 2048) throw new MailsetupError('USAGE', `--dkim-key-size: "${String(r.dkimKeySize)}" is not 1024 or 2048`, { hint: 'Use --dkim-key-size 2048 (default) or 1024.' });
  const mailFrom = r.mailFrom;
  if (mailFrom !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(mailFrom)) {
    throw new MailsetupError('USAGE', `--mail-from: "${mailFrom}" is not a single DNS label`, { hint: 'Give a label such as mail or bounce; it becomes <label>.<domain>.' });
  }
  return {
    ...(dmarc ? { dmarc } : {}), ...(rua ? { dmarcRua: rua } : {}),
    register: {
      ...(r.region ? { region: r.region } : {}), ...(mailFrom ? { mailFrom: mailFrom.toLowerCase() } : {}), ...(dkim ? { dkim } : {}),
      ...(keySize ? { dkimKeySize: keySize as 1024 | 2048 } : {}), ...(r.inbound ? { inbound: true } : {}),
    },
  };
}

/**
 * The provider for this add: --provider; else, on a re-run, the one the domain is stored with (so
 * `add <domain> --dmarc reject` needs nothing more); else the state file's default (`init
 * --provider`). The state is read only when the flag is absent.
 */
async function chooseProvider(rt: Runtime, key: string, flag: string | undefined): Promise<{ id: ProviderId; region?: string }> {
  if (flag !== undefined) return { id: parseProviderId(flag) };
  const state = await rt.store().read();
  const stored = state.domains[key]?.provider;
  if (stored && stored !== 'sandbox') return { id: stored as ProviderId };
  const d = state.defaults;
  if (d?.provider && d.provider !== 'sandbox') return { id: d.provider as ProviderId, ...(d.region ? { region: d.region } : {}) };
  throw new MailsetupError('USAGE', `add needs a provider: none was given, and ${rt.store().path} names no default`, {
    hint: 'Pass --provider ses, sendgrid, mailgun or resend (or set a default once with "mailsetup init --provider <p>").',
  });
}

/** `add` from a target and its flags: what the CLI and the library call. */
export async function addTarget(rt: Runtime, target: string, req: AddRequest): Promise<{ result: AddResult; firstWrite: boolean }> {
  const identity = parseIdentity(target);
  const checked = checkRequest(req);
  const provider = await chooseProvider(rt, identity.email ?? identity.domain, req.provider);
  const region = req.region ?? provider.region;
  // A region the provider cannot have is bad usage, said now — not a provider error seconds later.
  const badRegion = region === undefined ? null : regionProblem(provider.id, region);
  if (badRegion) throw badRegion;
  if (region !== undefined) checked.register.region = region;
  const store = rt.store();
  const firstWrite = !existsSync(store.path);
  const factory = await loadProvider(provider.id);
  const client = await factory({ env: rt.env, timeoutMs: rt.apiTimeoutMs, ...(region ? { region } : {}), debug: (l) => rt.debug(l) });
  const work = runAdd({ identity, provider: provider.id, ...checked }, {
    store, provider: client, lookup: validateLookup(identity.domain, { dns: rt.dns, resolvers: rt.resolvers, authoritative: rt.authoritative }),
  });
  const result = await rt.waitFor(`registering ${identity.email ?? identity.domain} with ${provider.id} and reading its DNS`, work);
  return { result, firstWrite };
}

/** `add --json` (schemas/add.schema.json). */
export function addDocument(r: AddResult): Record<string, unknown> {
  const { provider, providerId, region, status, records } = r.entry;
  return { domain: r.domain, provider, providerId, region, status, adopted: r.adopted, records, notes: r.notes };
}
