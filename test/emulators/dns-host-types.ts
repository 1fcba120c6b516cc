/**
 * What every DNS-host emulator (Cloudflare, Route 53, ResellerClub) offers tests: a loopback HTTP
 * server speaking the host's documented API closely enough that the real SDK cannot tell, with the
 * zone contents inspectable and faults switchable. (RFC 2136 is tested against real BIND instead.)
 */
import type { EmulatorFault } from './types.js';
import type { HostRecord } from '../../src/dns-hosts/types.js';

export interface DnsHostEmulator {
  baseUrl: string;
  /** Environment pointing the real SDK/client here with obviously fake credentials. */
  env: Record<string, string>;
  credentialEnv: string[];
  /** Create a zone (returns nothing; the writer must find it through the API). */
  addZone(name: string): void;
  /** Put a record in the zone directly (pre-existing records the writer must respect). */
  seed(zone: string, record: HostRecord): void;
  /** What the zone holds now, normalised like HostRecord. */
  records(zone: string): HostRecord[];
  /** Make the next `times` requests fail (0 clears); `afterRequests` lets the first N writes succeed first (Cloudflare, ResellerClub). */
  fail(fault: EmulatorFault, times?: number, afterRequests?: number): void;
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}
