/**
 * The per-run DNS engine: every question goes through `ask`, which memoises by (server, RD, name,
 * type) with in-flight de-duplication, so a run asks each question once however many checks need
 * it, and bounds how many questions are in flight at once.
 *
 * A server that has never answered in this run and let a question time out on every attempt is
 * taken as down: later questions to it fail at once as `timeout` instead of each waiting out the
 * timeout again, so a run with every server silent ends in about one timeout per dependent step
 * (DESIGN.md "Resolver comparator"). This can only turn an answer into "could not ask", never the
 * reverse, and one reply from the server clears it.
 */
import type { DnsAnswer, DnssecFlags, Lookup, RRType } from './types.js';
import { isFailure } from './types.js';
import { query } from './wire.js';
import { canonicalName } from './message.js';
import { createLimiter } from '../util/concurrency.js';

export interface DnsEngineOptions {
  timeoutMs?: number;
  retries?: number;
  concurrency?: number;
  /** Told of every question that goes to the wire (not memo hits), for `--verbose`; it changes nothing. */
  observer?: (q: DnsQuestionEvent) => void;
}

/** One question asked on the wire: where, what, how it ended and how long it took. */
export interface DnsQuestionEvent {
  server: string;
  name: string;
  type: RRType;
  recursion: boolean;
  outcome: DnsAnswer['outcome'];
  records: number;
  ms: number;
  /** Not sent: the server has not answered anything in this run. */
  skipped: boolean;
}

export class DnsEngine {
  private readonly memo = new Map<string, { name: string; type: RRType; answer: Promise<DnsAnswer> }>();
  /** Servers that answered something in this run, and servers that timed out without ever answering. */
  private readonly alive = new Set<string>();
  private readonly down = new Set<string>();
  private readonly limit: ReturnType<typeof createLimiter>;
  private readonly observer: ((q: DnsQuestionEvent) => void) | undefined;
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
    this.observer = options.observer;
  }

  private tell(server: string, a: DnsAnswer, recursion: boolean, started: number, skipped: boolean): void {
    if (!this.observer) return;
    try {
      this.observer({ server, name: a.name, type: a.type, recursion, outcome: a.outcome, records: a.records.length, ms: Date.now() - started, skipped });
    } catch { /* an observer never changes an answer */ }
  }

  ask(server: string, name: string, type: RRType, recursion: boolean, dnssec?: DnssecFlags): Promise<DnsAnswer> {
    this.asked++;
    const qname = canonicalName(name);
    // DO and CD change the answer (AD bit, signatures, a bogus zone's SERVFAIL): each is its own question.
    const bits = dnssec ? `${dnssec.dnssecOk ? 'DO' : ''}${dnssec.checkingDisabled ? 'CD' : ''}` : '';
    const key = JSON.stringify(bits ? [server, recursion, qname, type, bits] : [server, recursion, qname, type]);
    let pending = this.memo.get(key);
    if (!pending) {
      this.sent++;
      const answer = this.limit(async () => {
        const started = Date.now();
        if (this.down.has(server) && !this.alive.has(server)) {
          const skipped: DnsAnswer = {
            name: qname, type, server, outcome: 'timeout' as const, aa: false, records: [], cnames: [], negativeTtl: null,
            error: `not asked: ${server} has not answered any question in this run`,
          };
          this.tell(server, skipped, recursion, started, true);
          return skipped;
        }
        const a = await query(server, qname, type, { recursion, timeoutMs: this.timeoutMs, retries: this.retries, ...(bits ? { dnssec } : {}) });
        if (a.outcome === 'timeout') this.down.add(server); else this.alive.add(server);
        this.tell(server, a, recursion, started, false);
        return a;
      });
      pending = { name: qname, type, answer };
      this.memo.set(key, pending);
    }
    return pending.answer;
  }

  /** Forget answers for a name (used by `watch` between rounds); a forgotten round also forgets which servers were down. */
  forget(predicate: (name: string, type: RRType) => boolean): void {
    for (const [key, entry] of [...this.memo.entries()]) {
      if (predicate(entry.name, entry.type)) this.memo.delete(key);
    }
    this.down.clear();
  }

  /**
   * A Lookup over authoritative servers that finishes what they cannot: when the answer stops at a
   * CNAME whose target they do not serve (a provider's DKIM CNAME into the provider's zone), the
   * target is asked of the same servers first and, if they are not authoritative for it (lame,
   * referral, REFUSED), of the recursive resolvers — so such a record is checked, not called
   * missing. A target that cannot be resolved either way leaves the answer a failure ("could not
   * ask"), never "missing".
   */
  authoritativeVia(servers: string[], resolvers: string[]): Lookup {
    const viaAuth = this.lookupVia(servers, false);
    const viaResolvers = resolvers.length ? this.lookupVia(resolvers, true) : null;
    return async (name, type) => {
      let answer = await viaAuth(name, type);
      for (let hop = 0; hop < 8; hop++) {
        if (type === 'CNAME' || isFailure(answer) || answer.records.length > 0 || answer.cnames.length === 0) return answer;
        const target = String(answer.cnames[answer.cnames.length - 1]!.data);
        let next = await viaAuth(target, type);
        // An authoritative server that answers for the target with nothing is believed only when it
        // is authoritative for it (AA set, checked by the wire client); otherwise ask the resolvers.
        if (isFailure(next) && viaResolvers) next = await viaResolvers(target, type);
        const seen = new Set(answer.cnames.map((c) => c.name));
        if (next.cnames.some((c) => seen.has(c.name))) {
          return { ...answer, outcome: 'error', records: [], error: `CNAME loop through ${target}` };
        }
        answer = {
          ...answer,
          outcome: next.outcome, records: next.records, cnames: [...answer.cnames, ...next.cnames],
          negativeTtl: next.negativeTtl, ...(next.error ? { error: `${target}: ${next.error}` } : {}),
        };
        if (next.cnames.length === 0) return answer;
      }
      return answer;
    };
  }

  /**
   * A Lookup over a server list: the first server is asked; the next only when it could not
   * answer (timeout, SERVFAIL, REFUSED), as a stub resolver fails over.
   */
  lookupVia(servers: string[], recursion: boolean, dnssec?: DnssecFlags): Lookup {
    if (servers.length === 0) throw new Error('lookupVia needs at least one server');
    return async (name, type) => {
      let last: DnsAnswer | undefined;
      for (const server of servers) {
        last = await this.ask(server, name, type, recursion, dnssec);
        if (!isFailure(last)) return last;
      }
      return last!;
    };
  }
}
