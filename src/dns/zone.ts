/**
 * In-memory zone data and the one place that decides how a name/type is answered from it. Both the
 * embedded wire server (demo, tests) and `memoryLookup` (unit tests) answer through `answerFromZone`,
 * so their semantics cannot drift apart.
 */
import type { DnsAnswer, DnsRR, Lookup, MxData, RRType, SoaData } from './types.js';

export type ZoneValue = string | string[] | MxData | SoaData;

export interface ZoneRecord {
  name: string;
  type: RRType;
  ttl?: number;
  /** A/AAAA/CNAME/NS/PTR: string; TXT/SPF: string (one string) or string[] (the character-strings of one RR); MX; SOA. */
  data: ZoneValue;
}

/** A question the server must not answer well: `type` omitted means every type at that name. */
export interface ZoneFault {
  name: string;
  type?: RRType;
  fault: 'timeout' | 'servfail' | 'refused';
}

/** Misbehaviour only a wire server can show (the embedded server honours these; memoryLookup ignores them). */
export interface WireFault {
  name: string;
  type?: RRType;
  /** wrong-id / wrong-question: a bogus reply first, then the real one; truncate: TC on UDP. */
  fault: 'wrong-id' | 'wrong-question' | 'truncate';
}

export interface ZoneData {
  records: ZoneRecord[];
  faults?: ZoneFault[];
  wireFaults?: WireFault[];
  /** TTL used when a record has none (default 300). */
  defaultTtl?: number;
  /** Negative-caching TTL reported with NXDOMAIN/NODATA (default 60). */
  negativeTtl?: number;
}

export type ZoneReply =
  | { fault: ZoneFault['fault'] }
  | { fault: null; rcode: 'NOERROR' | 'NXDOMAIN'; answers: DnsRR[]; negativeTtl: number | null };

export function normName(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

function toRR(r: ZoneRecord, ttl: number): DnsRR {
  const name = normName(r.name);
  switch (r.type) {
    case 'TXT':
    case 'SPF':
      return { name, type: r.type, ttl, data: Array.isArray(r.data) ? (r.data as string[]) : [String(r.data)] };
    case 'MX': {
      const mx = r.data as MxData;
      return { name, type: 'MX', ttl, data: { preference: mx.preference, exchange: normName(mx.exchange) } };
    }
    case 'SOA':
      return { name, type: 'SOA', ttl, data: r.data as SoaData };
    case 'DS': case 'DNSKEY': case 'RRSIG':
      // Zone data is unsigned: DNSSEC tests use BIND (test/helpers/dnssec.ts).
      throw new Error(`zone data cannot hold ${r.type} records (the embedded server signs nothing)`);
    default:
      return { name, type: r.type, ttl, data: normName(String(r.data)) };
  }
}

const MAX_CHAIN = 8;

/** Answer one question from zone data, following CNAMEs inside the data as a server would. */
export function answerFromZone(zone: ZoneData, qname: string, qtype: RRType): ZoneReply {
  const defTtl = zone.defaultTtl ?? 300;
  const negTtl = zone.negativeTtl ?? 60;
  const answers: DnsRR[] = [];
  let name = normName(qname);
  for (let hop = 0; hop <= MAX_CHAIN; hop++) {
    const fault = zone.faults?.find((f) => normName(f.name) === name && (f.type === undefined || f.type === qtype));
    if (fault) return { fault: fault.fault };
    const here = zone.records.filter((r) => normName(r.name) === name);
    const wanted = here.filter((r) => r.type === qtype);
    if (wanted.length > 0) {
      answers.push(...wanted.map((r) => toRR(r, r.ttl ?? defTtl)));
      return { fault: null, rcode: 'NOERROR', answers, negativeTtl: null };
    }
    const cname = qtype !== 'CNAME' ? here.find((r) => r.type === 'CNAME') : undefined;
    if (cname) {
      const rr = toRR(cname, cname.ttl ?? defTtl);
      answers.push(rr);
      name = rr.data as string;
      continue;
    }
    // A name "exists" when it owns records or is an empty non-terminal above a name that does.
    const exists = here.length > 0 || zone.records.some((r) => normName(r.name).endsWith('.' + name));
    return { fault: null, rcode: exists || answers.length > 0 ? 'NOERROR' : 'NXDOMAIN', answers, negativeTtl: negTtl };
  }
  return { fault: 'servfail' }; // CNAME loop
}

/** Shape a zone reply (or a wire reply) into the engine's `DnsAnswer`. */
export function toDnsAnswer(
  name: string, type: RRType, server: string, aa: boolean,
  rcode: string, answers: DnsRR[], negativeTtl: number | null,
): DnsAnswer {
  const records = answers.filter((r) => r.type === type);
  const cnames = type === 'CNAME' ? [] : answers.filter((r) => r.type === 'CNAME');
  let outcome: DnsAnswer['outcome'];
  if (rcode === 'NXDOMAIN') outcome = 'nxdomain';
  else if (rcode === 'SERVFAIL') outcome = 'servfail';
  else if (rcode === 'REFUSED') outcome = 'refused';
  else if (rcode !== 'NOERROR') outcome = 'error';
  else outcome = records.length > 0 ? 'answer' : 'nodata';
  return {
    name: normName(name), type, server, outcome, aa, records, cnames,
    negativeTtl: outcome === 'nxdomain' || outcome === 'nodata' ? negativeTtl : null,
    ...(outcome === 'error' ? { error: `rcode ${rcode}` } : {}),
  };
}

/** A `Lookup` over zone data, in process. For unit tests; integration tests use the wire server. */
export function memoryLookup(zone: ZoneData): Lookup & { calls: Array<[string, RRType]> } {
  const calls: Array<[string, RRType]> = [];
  const lookup = async (name: string, type: RRType): Promise<DnsAnswer> => {
    calls.push([normName(name), type]);
    const reply = answerFromZone(zone, name, type);
    if (reply.fault) {
      const outcome = reply.fault === 'timeout' ? 'timeout' : reply.fault;
      return { name: normName(name), type, server: 'memory', outcome, aa: false, records: [], cnames: [], negativeTtl: null, error: reply.fault };
    }
    return toDnsAnswer(name, type, 'memory', true, reply.rcode, reply.answers, reply.negativeTtl);
  };
  return Object.assign(lookup, { calls });
}
