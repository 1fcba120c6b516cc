/**
 * `verify`: for each domain, the provider's verdict and every stored record looked up on the zone's
 * authoritative servers (truth), then — only for records the authoritative servers already serve —
 * on each resolver in the comparator set (propagation). Returns plain data per DESIGN.md; history
 * of status changes is written to the state file.
 */
import type { DnsRecord } from '../model/record.js';
import type { DnsAnswer, Lookup, RRType } from '../dns/types.js';
import { isFailure } from '../dns/types.js';
import type { DnsEngine } from '../dns/engine.js';
import { discoverAuthoritative } from '../dns/authoritative.js';
import { findZoneCut } from '../dns/authoritative.js';
import { MailsetupError } from '../errors.js';
import type { EmailProvider, ProviderStatus } from '../providers/types.js';
import type { DomainState, DomainStatus } from '../state/schema.js';
import { recordStatus, type StateStore } from '../state/store.js';
import { foundValues, matchRecord, type RecordStatus } from './verify-match.js';
import { mapLimit } from '../util/concurrency.js';
import { auditDmarc, type DmarcDetail } from '../validators/dmarc.js';

export type Stage = 'delegation' | 'authoritative' | 'propagation' | 'provider' | null;
export type ResolverView = 'verified' | 'missing' | 'stale' | 'unknown' | 'not-asked';

export interface CheckedRecord extends DnsRecord {
  status: RecordStatus;
  code: string | null;
  found: string[];
  detail: string | null;
  hint: string | null;
  /** Per authoritative server and per resolver: what each one sees. */
  resolvers: Record<string, ResolverView>;
  /** For resolvers still serving an old answer: seconds until it expires. */
  staleFor: Record<string, number>;
}

export interface DomainVerification {
  domain: string;
  provider: string;
  status: DomainStatus;
  stage: Stage;
  providerStatus: ProviderStatus | 'unchecked' | 'unknown';
  /** What we asked the provider to do, if anything (`verification requested`). */
  providerAction: string | null;
  allVerified: boolean;
  authoritative: { zone: string | null; servers: string[] };
  records: CheckedRecord[];
  notes: string[];
  checkedAt: string;
}

export interface VerifyOptions {
  noProvider: boolean;
  refresh: boolean;
}

export interface VerifyDeps {
  store: StateStore;
  dns: DnsEngine;
  /** Recursive resolvers used for discovery and SPF includes (the first of the comparator set). */
  resolvers: string[];
  /** The comparator set shown per record. */
  comparators: string[];
  /** --authoritative: skip NS discovery. */
  authoritative: string[];
  provider: (entry: DomainState) => Promise<EmailProvider>;
  now?: () => Date;
  concurrency?: number;
}

const QTYPE: Record<DnsRecord['type'], RRType> = { CNAME: 'CNAME', TXT: 'TXT', MX: 'MX' };

/** The first authoritative answer that is an answer, else the last failure. */
function truth(answers: DnsAnswer[]): DnsAnswer {
  return answers.find((a) => !isFailure(a)) ?? answers[answers.length - 1]!;
}

function view(r: DnsRecord, a: DnsAnswer, expectedFound: string[]): { view: ResolverView; ttl: number | null } {
  if (isFailure(a)) return { view: 'unknown', ttl: null };
  const got = foundValues(r, a).map((v) => v.toLowerCase().replace(/\.$/, '').replace(/\s+/g, ''));
  const want = expectedFound.map((v) => v.toLowerCase().replace(/\.$/, '').replace(/\s+/g, ''));
  if (want.length > 0 && want.every((w) => got.includes(w))) return { view: 'verified', ttl: null };
  if (got.length === 0) return { view: 'missing', ttl: a.negativeTtl };
  return { view: 'stale', ttl: Math.min(...a.records.map((x) => x.ttl)) };
}

export function aggregate(records: CheckedRecord[], providerStatus: DomainVerification['providerStatus'], noProvider: boolean): DomainStatus {
  const req = records.filter((r) => r.required);
  if (req.some((r) => r.status === 'invalid') || (!noProvider && providerStatus === 'failed')) return 'failed';
  if (req.some((r) => r.status === 'unknown')) return 'unknown';
  if (req.some((r) => r.status === 'missing') || (!noProvider && providerStatus !== 'verified')) return 'pending';
  return 'verified';
}

export async function verifyDomain(domain: string, entry: DomainState, opts: VerifyOptions, deps: VerifyDeps): Promise<DomainVerification> {
  const now = deps.now ?? (() => new Date());
  const resolverLookup: Lookup = deps.dns.lookupVia(deps.resolvers, true);
  const notes: string[] = [];
  let provider: EmailProvider | null = null;
  let providerStatus: DomainVerification['providerStatus'] = 'unchecked';
  let records = entry.records;

  // The provider first: --refresh may change which records we check.
  if (!opts.noProvider) {
    provider = await deps.provider(entry);
    const identity = await provider.get(domain, entry.providerId);
    if (!identity) {
      throw new MailsetupError('DOMAIN_NOT_FOUND', `${entry.provider} no longer has ${domain} (id ${entry.providerId})`, {
        hint: `Run "mailsetup add ${domain} --provider ${entry.provider}" to register it again, or "mailsetup remove ${domain} --keep-provider".`,
      });
    }
    providerStatus = identity.status;
    if (opts.refresh) {
      // The provider's list replaces ours purpose by purpose. Purposes it never reports back (SES
      // does not return a BYODKIM public key, nor whether --inbound was asked for) keep the stored
      // records, and so do mailsetup's own recommendations.
      const reported = new Set(identity.records.map((r) => r.purpose));
      const kept = entry.records.filter((r) => r.source === 'mailsetup' || !reported.has(r.purpose));
      records = [...identity.records, ...kept.filter((o) => !identity.records.some((p) => p.type === o.type && p.name === o.name))];
    }
  }

  // Truth: the zone's authoritative servers, asked without recursion.
  let zone: string | null = null;
  let servers = deps.authoritative;
  /** The resolver itself gave no answer (timeout, unreachable): "could not reach", never a delegation problem. */
  let resolverDown = false;
  try {
    if (servers.length === 0) {
      const set = await discoverAuthoritative(domain, resolverLookup);
      zone = set.zone;
      servers = set.servers;
    } else {
      zone = await findZoneCut(domain, deps.dns.lookupVia(servers, false)).catch(() => null);
    }
  } catch (e) {
    if (!(e instanceof MailsetupError)) throw e;
    resolverDown = e.code === 'DNS_UNAVAILABLE' && / answered (timeout|error) for /.test(e.message);
    notes.push(e.message);
  }
  // Misplacement checks and CNAME targets the zone's servers do not serve go through this lookup,
  // which follows such targets through the resolvers (a provider's CNAME into its own zone).
  const authLookup = servers.length ? deps.dns.authoritativeVia(servers, deps.resolvers) : null;
  /** Records whose every authoritative answer was lame or a referral: the delegation is broken. */
  const lame = new Set<CheckedRecord>();
  const zoneName = zone ?? domain.split('.').slice(-2).join('.');

  const checked: CheckedRecord[] = await Promise.all(records.map(async (r) => {
    if (!authLookup && resolverDown) {
      return {
        ...r, status: 'unknown' as const, code: null, found: [], resolvers: {}, staleFor: {},
        detail: `Could not reach the resolver (${deps.resolvers.join(', ')}): no answer, so the zone's servers could not be looked up.`,
        hint: 'Check the network, or pass a reachable --resolver (or the zone\'s servers with --authoritative).',
      };
    }
    if (!authLookup) {
      return { ...r, status: 'unknown' as const, code: null, found: [], detail: 'The zone\'s authoritative servers could not be found.', hint: 'Check the delegation (NS records at the registrar).', resolvers: {}, staleFor: {} };
    }
    const qtype = QTYPE[r.type];
    const perServer = await Promise.all(servers.map((s) => deps.dns.ask(s, r.name, qtype, false)));
    let best = truth(perServer);
    // The name is a CNAME whose target these servers did not resolve (outside their zone): follow it.
    const followed = !isFailure(best) && best.records.length === 0 && best.cnames.length > 0 ? await authLookup(r.name, qtype) : null;
    if (followed) best = followed;
    for (const [i, a] of perServer.entries()) if (followed && !isFailure(a) && a.records.length === 0 && a.cnames.length > 0) perServer[i] = followed;
    const match = await matchRecord(r, best, { zone: zoneName, domain, authLookup, resolverLookup });
    const resolvers: Record<string, ResolverView> = {};
    const staleFor: Record<string, number> = {};
    for (const [i, s] of servers.entries()) resolvers[s] = view(r, perServer[i]!, match.found).view;
    // Resolvers only once the authoritative servers serve the record: asking earlier would make
    // them cache the NXDOMAIN for the zone's negative TTL and slow propagation down.
    if (match.status === 'verified' || match.status === 'invalid') {
      const answers = await Promise.all(deps.comparators.map((s) => deps.dns.ask(s, r.name, QTYPE[r.type], true)));
      for (const [i, s] of deps.comparators.entries()) {
        const v = view(r, answers[i]!, match.found);
        resolvers[s] = v.view;
        if ((v.view === 'stale' || v.view === 'missing') && v.ttl !== null) staleFor[s] = v.ttl;
      }
    } else {
      for (const s of deps.comparators) resolvers[s] = 'not-asked';
    }
    const out: CheckedRecord = { ...r, ...match, resolvers, staleFor };
    if (match.status === 'unknown' && perServer.every((a) => a.outcome === 'lame')) {
      lame.add(out);
      out.detail = `The servers named as authoritative for ${zoneName} (${servers.join(', ')}) do not answer for ${r.name} with authority: ${perServer[0]?.error ?? 'lame'}.`;
      out.hint = 'Check the delegation: the NS records at the parent zone (registrar) and the zone configured on each of those servers.';
    }
    if (match.status === 'verified' && Object.keys(staleFor).length > 0) {
      const worst = Math.max(...Object.values(staleFor));
      out.code = 'STALE_CACHE';
      out.detail = `Served correctly by the authoritative servers; ${Object.keys(staleFor).join(', ')} still cache${Object.keys(staleFor).length === 1 ? 's' : ''} an older answer for up to ${worst} s.`;
      out.hint = `Nothing to change: wait ${worst} s for the cached answer to expire.`;
    }
    return out;
  }));

  // "Could not check" is reported as such, whatever an earlier run saw: a CI gate must never pass
  // while DNS cannot be asked. The last verified time is kept in the state (never demoted there)
  // and shown, so the reader knows this is an outage, not a regression.
  const previous = (entry.verifiedAt ?? {}) as Record<string, string>;
  for (const r of checked) {
    const at = previous[`${r.type} ${r.name}`];
    if (r.status === 'unknown' && at) r.detail = `${r.detail ?? 'No answer.'} Last verified at ${at}.`;
  }

  // A custom MAIL FROM / return-path is a different domain in the SPF sense: under aspf=s (strict)
  // SPF passes for it never align with the From domain, so DMARC rests on DKIM alone.
  const returnPath = checked.find((r) => ['mail-from-mx', 'mail-from-spf', 'return-path'].includes(r.purpose) && r.name !== domain);
  if (returnPath && authLookup) {
    // Asked of the authoritative servers: a resolver must not hear of names before they are served.
    const dmarc = await auditDmarc(domain, authLookup);
    const d = dmarc.detail as DmarcDetail | undefined;
    if (d?.tags?.aspf === 's') {
      notes.push(`DMARC for ${domain} (at _dmarc.${d.recordAt ?? domain}) sets aspf=s: mail whose return-path is ${returnPath.name} does not pass strict SPF alignment, so DMARC relies on DKIM alone. Use aspf=r (relaxed), or make sure DKIM always signs with d=${domain}.`);
    }
  }

  let status = aggregate(checked, providerStatus, opts.noProvider);
  const dnsReady = checked.filter((r) => r.required).every((r) => r.status === 'verified');
  let providerAction: string | null = null;
  if (provider && dnsReady && providerStatus === 'pending' && provider.capabilities.triggerVerify) {
    const after = await provider.verify(domain, entry.providerId);
    providerAction = 'verification requested';
    providerStatus = after.status;
    status = aggregate(checked, providerStatus, opts.noProvider);
  }
  let stage: Stage = null;
  if (status === 'pending' || status === 'unknown') {
    if (resolverDown && !authLookup) stage = null; // nothing is known about the delegation
    else if (!authLookup || checked.some((r) => r.required && lame.has(r))) stage = 'delegation';
    else if (checked.some((r) => r.required && r.status === 'missing')) stage = 'authoritative';
    else if (checked.some((r) => Object.values(r.resolvers).some((v) => v === 'stale' || v === 'missing'))) stage = 'propagation';
    else if (!opts.noProvider && providerStatus !== 'verified') stage = 'provider';
  }
  if (status === 'verified' && checked.some((r) => r.code === 'STALE_CACHE')) stage = 'propagation';
  return {
    domain, provider: entry.provider, status, stage, providerStatus, providerAction,
    allVerified: status === 'verified', authoritative: { zone, servers }, records: checked, notes,
    checkedAt: now().toISOString(),
  };
}

/** Verify several domains concurrently (shared engine, so shared DNS cache), then record history. */
export async function runVerify(domains: string[], opts: VerifyOptions, deps: VerifyDeps): Promise<DomainVerification[]> {
  const state = await deps.store.read();
  for (const d of domains) {
    if (!state.domains[d]) {
      throw new MailsetupError('DOMAIN_NOT_FOUND', `${d} is not in ${deps.store.path}`, { hint: `Add it with "mailsetup add ${d} --provider <p>", or check the name with "mailsetup list".` });
    }
  }
  const results = await mapLimit(domains, deps.concurrency ?? 8, (d) => verifyDomain(d, state.domains[d]!, opts, deps));
  const now = deps.now ?? (() => new Date());
  await deps.store.update((s) => {
    for (const v of results) {
      const e = s.domains[v.domain];
      if (!e) continue;
      const verified = { ...((e.verifiedAt ?? {}) as Record<string, string>) };
      for (const r of v.records) {
        const key = `${r.type} ${r.name}`;
        if (r.status === 'verified' && !verified[key]) verified[key] = v.checkedAt;
        if (r.status === 'missing' || r.status === 'invalid') delete verified[key];
      }
      if (JSON.stringify(verified) !== JSON.stringify(e.verifiedAt ?? {})) e.verifiedAt = verified;
      // --refresh: the provider's current list becomes the stored one (what `records` prints next).
      if (opts.refresh) {
        e.records = v.records.map(({ purpose, type, name, value, priority, ttl, required, source }) => ({ purpose, type, name, value, priority, ttl, required, source }));
      }
      // A run that could not check does not demote a verified domain in the state: only this
      // run's output says "unknown".
      if (v.status === 'unknown' && e.status === 'verified') continue;
      recordStatus(e, v.status, v.stage ? `stage ${v.stage}` : null, now());
    }
  });
  return results;
}

/** `--exit-code`: 0 verified, 1 pending, 2 failed, 69 could not check; the worst over all domains. */
export function verifyExitCode(results: DomainVerification[]): number {
  const s = new Set(results.map((r) => r.status));
  if (s.has('failed')) return 2;
  if (s.has('unknown')) return 69;
  if (s.has('pending')) return 1;
  return 0;
}
