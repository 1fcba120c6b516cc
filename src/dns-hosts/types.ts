/**
 * One small interface for every DNS host autoconfig can write to. A writer reads the records at
 * the names mailsetup cares about and applies a list of create/update changes that core has
 * already decided (src/dns-hosts/plan.ts). Writers never decide what to change, and never delete.
 * Each writer lives in `src/dns-hosts/<id>/`, imports its SDK only there, lazily.
 *
 * Plans are pinned: every change carries what its name held when the plan was made (`seen`, all
 * types). A writer writes at a name only while the name still holds exactly that (plus what this
 * same apply wrote there); otherwise the change is refused as HOST_CONFLICT and nothing is written
 * at that name. Where the host has its own precondition (RFC 2136 prerequisites, Route 53
 * DELETE-with-values in the batch, Cloudflare record ids) the writer uses it as well, so the check
 * holds up to the write itself and not only up to the re-read.
 */
import type { MailsetupError } from '../errors.js';
import type { Lookup } from '../dns/types.js';

export type HostId = 'cloudflare' | 'route53' | 'resellerclub' | 'rfc2136';
export const HOST_IDS: readonly HostId[] = ['cloudflare', 'route53', 'resellerclub', 'rfc2136'];

/** A record as the host holds it, normalised: FQDN lower-case without the dot, TXT unquoted and joined. */
export interface HostRecord {
  type: string;
  name: string;
  value: string;
  priority: number | null;
  ttl: number | null;
  /** The host's own record id, when it has one (Cloudflare); opaque to core. */
  hostId?: string;
  /** Cloudflare: served through the proxy. */
  proxied?: boolean;
  /**
   * The value exactly as the host stores it, when a precondition must quote it byte for byte
   * (Route 53 wire value, ResellerClub's spelling, RFC 2136 RDATA in base64); opaque to core.
   */
  raw?: string;
}

/**
 * A write core has decided on. `update` replaces exactly `from` with `to` at the same name and type.
 * `seen`: every record (all types) the change's name held when the plan was made — the pin.
 */
export type HostChange =
  | { kind: 'create'; record: HostRecord; seen: HostRecord[] }
  | { kind: 'update'; from: HostRecord; to: HostRecord; seen: HostRecord[] };

export interface ApplyReport {
  /** Changes that were applied, in order. */
  applied: HostChange[];
  /** The change that failed (the rest were not attempted), with the error. */
  failed: { change: HostChange; error: Error } | null;
  /** The changes not attempted after a failure (or, on an atomic host, because the batch was refused). */
  skipped: HostChange[];
  /** Changes refused because their name no longer held what the plan saw (HOST_CONFLICT): nothing written there. */
  conflicts: Array<{ change: HostChange; error: MailsetupError }>;
}

export interface HostZone {
  /** The zone apex, e.g. acme.com. */
  name: string;
  /** The host's id for the zone (Cloudflare zone id, Route 53 hosted zone id, …). */
  id: string;
}

export interface HostCapabilities {
  /** Records have a proxied flag that must be off for mail (Cloudflare). */
  proxy: boolean;
  /** Writes replace whole RRsets (Route 53 UPSERT): the writer merges sibling values itself. */
  rrsetWrites: boolean;
  /** Minimum TTL the host accepts (Cloudflare: 60, or 1 = automatic). */
  minTtl: number;
  /**
   * One apply is one all-or-nothing transaction (a Route 53 ChangeBatch, one RFC 2136 UPDATE): a
   * conflict or failure anywhere means nothing of the apply was written. Otherwise changes are
   * written one by one, and a conflict at one name leaves the other names to go ahead.
   */
  atomicBatch: boolean;
}

export interface DnsHostWriter {
  readonly id: HostId | 'zonefile';
  readonly capabilities: HostCapabilities;
  /** The zone that holds `name` (the longest matching zone the credentials can see). */
  findZone(name: string): Promise<HostZone>;
  /** Every record at the given names (all types), as the host holds them now. */
  listRecords(zone: HostZone, names: string[]): Promise<HostRecord[]>;
  /**
   * Apply changes in order; stop at the first failure and say exactly what was applied. Before
   * writing at a name, check it still holds `seen` (all types): if not, the change goes to
   * `conflicts` and nothing is written at that name.
   */
  apply(zone: HostZone, changes: HostChange[]): Promise<ApplyReport>;
}

export interface HostContext {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  debug?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  /** The run's recursive lookups (RFC 2136: find the zone's SOA MNAME when no server is configured). */
  lookup?: Lookup;
  /** --authoritative servers (`ip:port`): where the zone's servers answer, ports included. */
  authoritative?: string[];
}

export type HostFactory = (ctx: HostContext) => Promise<DnsHostWriter>;
