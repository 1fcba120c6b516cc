/**
 * autoconfig: read what the zone holds at the names we need, compute the plan (pure), let the caller
 * show and confirm it, apply the same plan, remember what we wrote (ownership for later runs), wait
 * for the authoritative servers to serve the new SOA serial. Never prints, never prompts directly.
 */
import type { DnsAnswer, Lookup } from '../dns/types.js';
import type { DnsEngine } from '../dns/engine.js';
import { MailsetupError } from '../errors.js';
import { computePlan, planChanges, type Plan, type PlanEntry } from '../dns-hosts/plan.js';
import type { ApplyReport, DnsHostWriter, HostChange, HostRecord, HostZone } from '../dns-hosts/types.js';
import { sameRecord } from '../dns-hosts/plan.js';
import { auditSpf } from '../validators/spf/audit.js';
import type { DomainState } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { normName } from '../dns/zone.js';
import { detectHost } from '../dns-hosts/detect.js';
import { loadWriter, parseHostId } from '../dns-hosts/index.js';
import { RERUN_HINT } from '../dns-hosts/pin.js';
import type { HostId } from '../dns-hosts/types.js';
import { discoverAuthoritative } from '../dns/authoritative.js';
import type { Runtime } from './runtime.js';

export type OwnedRecord = Pick<HostRecord, 'type' | 'name' | 'value' | 'priority'>;

export interface AutoconfigPlan {
  domain: string;
  zone: HostZone;
  plan: Plan;
  entry: DomainState;
}

/** An SPF update must not push the merged record past 10 lookups: such an entry becomes a conflict. */
async function checkMergedSpf(plan: Plan, resolver: Lookup): Promise<void> {
  for (const e of plan.entries) {
    if (e.action !== 'update' || e.change?.kind !== 'update' || !/^v=spf1/i.test(e.change.to.value)) continue;
    const to = e.change.to;
    // Evaluate the merged record as if it were published: answer its TXT from the plan, the rest from DNS.
    const overlay: Lookup = async (name, type) => {
      const real = await resolver(name, type);
      if (type !== 'TXT' || normName(name) !== to.name) return real;
      const others = real.records.filter((r) => r.type === 'TXT' && !/^v=spf1/i.test(r.data.join('')));
      return { ...real, outcome: 'answer', records: [...others, { name: to.name, type: 'TXT', ttl: 300, data: [to.value] }] } satisfies DnsAnswer;
    };
    const audit = await auditSpf(to.name, overlay);
    const lookups = (audit.detail as { lookups?: number } | undefined)?.lookups ?? 0;
    if (lookups > 10) {
      Object.assign(e, {
        action: 'conflict', change: null,
        reason: `merging would make the SPF record at ${to.name} need ${lookups} DNS lookups (the limit is 10)`,
        fix: 'Send from a dedicated return-path subdomain instead (add the domain again with --mail-from bounce), so the provider gets its own SPF record.',
      } satisfies Partial<PlanEntry>);
    }
  }
}

export async function planAutoconfig(domain: string, deps: { store: StateStore; writer: DnsHostWriter; resolver: Lookup; ttl: number }): Promise<AutoconfigPlan> {
  const state = await deps.store.read();
  const entry = state.domains[domain];
  if (!entry) {
    throw new MailsetupError('DOMAIN_NOT_FOUND', `${domain} is not in ${deps.store.path}`, { hint: `Run "mailsetup add ${domain} --provider <p>" first.` });
  }
  const zone = await deps.writer.findZone(domain);
  const wanted = entry.records.filter((r) => r.name === zone.name || r.name.endsWith('.' + zone.name));
  const names = [...new Set(wanted.map((r) => r.name))];
  const existing = await deps.writer.listRecords(zone, names);
  const owned = ((entry.applied ?? []) as OwnedRecord[]);
  const plan = computePlan(wanted, existing, owned, deps.ttl);
  await checkMergedSpf(plan, deps.resolver);
  return { domain, zone, plan, entry };
}

export interface AutoconfigResult {
  report: ApplyReport;
  serial: { before: number | null; after: number | null; inSync: boolean; servers: string[] };
}

function written(c: HostChange): HostRecord { return c.kind === 'create' ? c.record : c.to; }

/** Apply the plan's changes, then record what was written (even when the apply stopped half way). */
export async function applyAutoconfig(p: AutoconfigPlan, deps: {
  store: StateStore; writer: DnsHostWriter; dns: DnsEngine; authoritative: string[]; resolver: Lookup; waitMs: number; sleep?: (ms: number) => Promise<void>;
}): Promise<AutoconfigResult> {
  const changes = planChanges(p.plan);
  const servers = deps.authoritative.length ? deps.authoritative : await authoritativeServers(p.zone.name, deps.resolver);
  const before = await soaSerial(servers, p.zone.name, deps.dns);
  const report = await deps.writer.apply(p.zone, changes);
  if (report.applied.length > 0) {
    await deps.store.update((s) => {
      const e = s.domains[p.domain];
      if (!e) return;
      let applied = ((e.applied ?? []) as OwnedRecord[]).slice();
      for (const c of report.applied) {
        if (c.kind === 'update') applied = applied.filter((o) => !sameRecord(o, c.from));
        const w = written(c);
        applied.push({ type: w.type, name: w.name, value: w.value, priority: w.priority });
      }
      e.applied = applied;
      e.dnsHost = deps.writer.id;
    });
  }
  let after = before;
  let inSync = changes.length === 0;
  if (report.applied.length > 0 && servers.length > 0) {
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = Date.now() + deps.waitMs;
    for (;;) {
      deps.dns.forget((name, type) => type === 'SOA' && name === p.zone.name);
      const serials = await Promise.all(servers.map((s) => deps.dns.ask(s, p.zone.name, 'SOA', false).then((a) => (a.records[0]?.type === 'SOA' ? a.records[0].data.serial : null))));
      const known = serials.filter((x): x is number => x !== null);
      after = known.length ? Math.min(...known) : null;
      inSync = known.length === servers.length && (before === null || known.every((x) => x !== before)) && new Set(known).size === 1;
      if (inSync || Date.now() >= deadline) break;
      await sleep(500);
    }
  }
  return { report, serial: { before, after, inSync, servers } };
}

async function authoritativeServers(zone: string, resolver: Lookup): Promise<string[]> {
  const { discoverAuthoritative } = await import('../dns/authoritative.js');
  try { return (await discoverAuthoritative(zone, resolver)).servers; } catch { return []; }
}

async function soaSerial(servers: string[], zone: string, dns: DnsEngine): Promise<number | null> {
  if (servers.length === 0) return null;
  const a = await dns.ask(servers[0]!, zone, 'SOA', false);
  return a.records[0]?.type === 'SOA' ? a.records[0].data.serial : null;
}

// --- The use case as the CLI and the library run it: choose the host, plan, apply, explain failure.

export const HOST_LABEL: Record<HostId, string> = { cloudflare: 'Cloudflare', route53: 'Amazon Route 53', resellerclub: 'ResellerClub', rfc2136: 'RFC 2136 dynamic update' };

/** `--ttl`: whole seconds, 1 to 604800 (default 3600). */
export function parseTtl(value: unknown): number {
  const ttl = value === undefined ? 3600 : Number(value);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 604800) throw new MailsetupError('USAGE', `--ttl: "${String(value)}" is not a number of seconds`, { hint: 'Use --ttl 3600 (1 to 604800).' });
  return ttl;
}

/** --dns, else the zone's NS names, else RFC 2136 when its server is configured. */
export async function chooseHost(rt: Runtime, domain: string, flag: string | undefined): Promise<HostId> {
  if (flag) return parseHostId(flag);
  let found: ReturnType<typeof detectHost> = null;
  try {
    const set = await discoverAuthoritative(domain, rt.dns.lookupVia(rt.resolvers, true));
    found = detectHost(set.nameservers.map((n) => n.host));
  } catch { /* fall through to the hints below */ }
  if (found?.writer) return found.id as HostId;
  if (rt.env.MAILSETUP_RFC2136_SERVER) return 'rfc2136';
  if (found) {
    throw new MailsetupError('PROVIDER_UNSUPPORTED', `${domain} is hosted at ${found.name}, which autoconfig cannot write to yet`, {
      hint: `Publish the records by hand: mailsetup records ${domain} --for ${found.recordsFor}, then mailsetup watch ${domain}.`,
    });
  }
  throw new MailsetupError('USAGE', `could not tell which DNS host serves ${domain}`, {
    hint: 'Name it with --dns cloudflare|route53|resellerclub|rfc2136, or publish by hand with mailsetup records.',
  });
}

/** A plan made against the zone as it is now, with the writer that will apply exactly it. */
export interface AutoconfigSession {
  hostId: HostId;
  writer: DnsHostWriter;
  planned: AutoconfigPlan;
  /** What applying would write (creates and updates, in plan order). */
  changes: HostChange[];
  /** How many plan entries are conflicts (written by nobody; the owner decides). */
  conflicts: number;
  resolver: Lookup;
}

/** The state is read first, so a broken state file is reported before anything touches the network. */
export async function openAutoconfig(rt: Runtime, domain: string, o: { dnsHost?: string | undefined; ttl: number }): Promise<AutoconfigSession> {
  await rt.store().read();
  const hostId = await rt.waitFor(`finding where ${domain}'s DNS is hosted`, chooseHost(rt, domain, o.dnsHost));
  const resolver = rt.dns.lookupVia(rt.resolvers, true);
  const writer = await (await loadWriter(hostId))({ env: rt.env, timeoutMs: rt.apiTimeoutMs, debug: (l) => rt.debug(l), lookup: resolver, authoritative: rt.authoritative });
  return { hostId, writer, resolver, ...(await rt.waitFor(`reading the zone of ${domain} at ${HOST_LABEL[hostId]}`, planSession(rt, domain, writer, resolver, o.ttl))) };
}

async function planSession(rt: Runtime, domain: string, writer: DnsHostWriter, resolver: Lookup, ttl: number): Promise<Pick<AutoconfigSession, 'planned' | 'changes' | 'conflicts'>> {
  const planned = await planAutoconfig(domain, { store: rt.store(), writer, resolver, ttl });
  return { planned, changes: planChanges(planned.plan), conflicts: planned.plan.entries.filter((e) => e.action === 'conflict').length };
}

/** Apply the session's plan and wait (up to `waitMs`) for the authoritative servers to serve it. */
export function applySession(rt: Runtime, s: AutoconfigSession, waitMs = 60_000): Promise<AutoconfigResult> {
  return applyAutoconfig(s.planned, { store: rt.store(), writer: s.writer, dns: rt.dns, authoritative: rt.authoritative, resolver: s.resolver, waitMs });
}

/**
 * What went wrong in an apply, as the one error the command ends with: the zone moved under the
 * plan (HOST_CONFLICT: what was written is recorded, the rest needs a fresh plan), or the host
 * stopped half way (its own error code, with how far it got). Null when everything was applied.
 */
export function applyFailure(s: AutoconfigSession, result: AutoconfigResult): MailsetupError | null {
  const { applied, conflicts, skipped, failed } = result.report;
  if (conflicts.length > 0 && !failed) {
    const names = [...new Set(conflicts.map((x) => (x.change.kind === 'create' ? x.change.record.name : x.change.to.name)))];
    return new MailsetupError('HOST_CONFLICT',
      `${names.join(', ')} changed since the plan was made: ${conflicts.length} change(s) refused, nothing written there; ${applied.length} applied, ${skipped.length} not attempted${s.writer.capabilities.atomicBatch ? ' (this host applies all or nothing)' : ''}`,
      { hint: RERUN_HINT });
  }
  if (failed) {
    const e = failed.error;
    return new MailsetupError(e instanceof MailsetupError ? e.code : 'PROVIDER_UNAVAILABLE',
      `the DNS host stopped at change ${s.changes.indexOf(failed.change) + 1} of ${s.changes.length}: ${applied.length} applied (listed above), ${1 + skipped.length} not${conflicts.length ? `, ${conflicts.length} refused because the zone changed at their names (HOST_CONFLICT)` : ''}`,
      { hint: `${e instanceof MailsetupError && e.hint ? e.hint + ' ' : ''}Run autoconfig again: what was applied is recorded and will show as unchanged.` });
  }
  return null;
}
