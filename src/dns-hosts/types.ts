/**
 * One small interface for every DNS host autoconfig can write to. A writer reads the records at
 * the names mailsetup cares about and applies a list of create/update changes that core has
 * already decided (src/dns-hosts/plan.ts). Writers never decide what to change, and never delete.
 * Each writer lives in `src/dns-hosts/<id>/`, imports its SDK only there, lazily.
 */

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
}

/** A write core has decided on. `update` replaces exactly `from` with `to` at the same name and type. */
export type HostChange =
  | { kind: 'create'; record: HostRecord }
  | { kind: 'update'; from: HostRecord; to: HostRecord };

export interface ApplyReport {
  /** Changes that were applied, in order. */
  applied: HostChange[];
  /** The change that failed (the rest were not attempted), with the error. */
  failed: { change: HostChange; error: Error } | null;
  /** The changes not attempted after a failure. */
  skipped: HostChange[];
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
}

export interface DnsHostWriter {
  readonly id: HostId | 'zonefile';
  readonly capabilities: HostCapabilities;
  /** The zone that holds `name` (the longest matching zone the credentials can see). */
  findZone(name: string): Promise<HostZone>;
  /** Every record at the given names (all types), as the host holds them now. */
  listRecords(zone: HostZone, names: string[]): Promise<HostRecord[]>;
  /**
   * Apply changes in order; stop at the first failure and say exactly what was applied. Creates must
   * not clobber a concurrent write (RFC 2136: prerequisites; APIs: read-before-write where possible).
   */
  apply(zone: HostZone, changes: HostChange[]): Promise<ApplyReport>;
}

export interface HostContext {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  debug?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export type HostFactory = (ctx: HostContext) => Promise<DnsHostWriter>;
