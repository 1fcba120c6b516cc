/**
 * The per-run DNS engine: every question goes through `ask`, which memoises by (server, RD, name,
 * type) with in-flight de-duplication, so a run asks each question once however many checks need
 * it, and bounds how many questions are in flight at once.
 */
import type { DnsAnswer, Lookup, RRType } from './types.js';
import { isFailure } from './types.js';
import { query } from './wire.js';
import { normName } from './zone.js';
import { createLimiter } from '../util/concurrency.js';

export interface DnsEngineOptions {
  timeoutMs?: number;
  retries?: number;
  concurrency?: number;
}

export class DnsEngine {
  private readonly memo = new Map<string, Promise<DnsAnswer>>();
  private readonly limit: ReturnType<typeof createLimiter>;
  readonly timeoutMs: number;
  readonly retries: number;
  /** Questions that went to the wire (one per distinct key). */
  sent = 0;
  /** Calls to `ask`, answered from the memo or not. */
  asked = 0;

  constructor(options: DnsEngineOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2500;
    this.retries = options.retries ?? 1;
    this.limit = createLimiter(options.concurrency ?? 16);
  }

  ask(server: string, name: string, type: RRType, recursion: boolean): Promise<DnsAnswer> {
    this.asked++;
    const key = `${server}|${recursion ? 'rd' : 'nord'}|${normName(name)}|${type}`;
    let pending = this.memo.get(key);
    if (!pending) {
      this.sent++;
      pending = this.limit(() => query(server, name, type, { recursion, timeoutMs: this.timeoutMs, retries: this.retries }));
      this.memo.set(key, pending);
    }
    return pending;
  }

  /** Forget answers for a name (used by `watch` between rounds). */
  forget(predicate: (name: string, type: RRType) => boolean): void {
    for (const key of [...this.memo.keys()]) {
      const [, , name, type] = key.split('|');
      if (predicate(name!, type as RRType)) this.memo.delete(key);
    }
  }

  /**
   * A Lookup over a server list: the first server is asked; the next only when it could not
   * answer (timeout, SERVFAIL, REFUSED), as a stub resolver fails over.
   */
  lookupVia(servers: string[], recursion: boolean): Lookup {
    if (servers.length === 0) throw new Error('lookupVia needs at least one server');
    return async (name, type) => {
      let last: DnsAnswer | undefined;
      for (const server of servers) {
        last = await this.ask(server, name, type, recursion);
        if (!isFailure(last)) return last;
      }
      return last!;
    };
  }
}
