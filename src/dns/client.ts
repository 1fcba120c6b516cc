/** Convenience: a Lookup over the wire with its own engine (memoised, bounded, with failover). */
import { DnsEngine } from './engine.js';
import type { Lookup } from './types.js';

export function createWireLookup(opts: { servers: string[]; recursion?: boolean; timeoutMs?: number; retries?: number; concurrency?: number }): Lookup {
  const engine = new DnsEngine({
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
  });
  return engine.lookupVia(opts.servers, opts.recursion ?? true);
}
