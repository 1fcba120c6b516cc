/**
 * An authoritative DNS server in process, on loopback, speaking the real wire protocol over UDP and
 * TCP on one port. It serves `ZoneData` through `answerFromZone` (the same semantics as
 * `memoryLookup`). The demo publishes records through it; tests serve broken zones from it.
 */
import * as packet from 'dns-packet';
import type { DnsRR, RRType } from './types.js';
import { listenDns } from './listen.js';
import { answerFromZone, normName, type ZoneData } from './zone.js';

export interface EmbeddedDns {
  /** `127.0.0.1:PORT`, ready for `--resolver` / `--authoritative`. */
  address: string;
  port: number;
  setZone(zone: ZoneData): void;
  /** Every question received, in order (for "asked once" assertions). */
  queries: Array<{ name: string; type: string; transport: 'udp' | 'tcp' }>;
  close(): Promise<void>;
}

export interface EmbeddedDnsOptions {
  host?: string;
  /** Answer after this delay (simulates a slow server). */
  delayMs?: number;
}

// DS and DNSKEY are answered from the zone data, which holds none: the embedded server's zones are unsigned (NODATA), as a real one's would be.
const SUPPORTED = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'TXT', 'DS', 'DNSKEY']);

/** Bytes for a TXT character-string: latin-1 when every code point fits (raw-byte test data), else UTF-8. */
function txtBytes(s: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u00ff]*$/.test(s) ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf8');
}

/** A character-string holds at most 255 bytes: split longer strings (dns-packet would corrupt them). */
function txtChunks(strings: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const s of strings) {
    const b = txtBytes(s);
    if (b.length === 0) out.push(b);
    for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  }
  return out;
}

function toWire(rr: DnsRR): packet.Answer {
  const base = { name: rr.name, ttl: rr.ttl, class: 'IN' as const };
  switch (rr.type) {
    case 'TXT': return { ...base, type: 'TXT', data: txtChunks(rr.data) };
    case 'SPF': return { ...base, type: 'TXT', data: txtChunks(rr.data) };
    case 'MX': return { ...base, type: 'MX', data: rr.data };
    case 'SOA': return { ...base, type: 'SOA', data: rr.data };
    default: return { ...base, type: rr.type, data: rr.data } as packet.Answer;
  }
}

function soaFor(zone: ZoneData, qname: string): packet.Answer {
  const apexes = zone.records.filter((r) => r.type === 'SOA' && (qname === normName(r.name) || qname.endsWith('.' + normName(r.name))));
  apexes.sort((a, b) => b.name.length - a.name.length);
  const neg = zone.negativeTtl ?? 60;
  const found = apexes[0];
  if (found) return toWire({ name: normName(found.name), type: 'SOA', ttl: neg, data: found.data as never });
  const labels = qname.split('.');
  const apex = labels.slice(-2).join('.') || '.';
  return {
    name: apex, type: 'SOA', ttl: neg, class: 'IN',
    data: { mname: `ns.${apex}`, rname: `hostmaster.${apex}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: neg },
  };
}

export async function startEmbeddedDns(initial: ZoneData, options: EmbeddedDnsOptions = {}): Promise<EmbeddedDns> {
  let zone = initial;
  const host = options.host ?? '127.0.0.1';
  const queries: EmbeddedDns['queries'] = [];

  /** Returns the reply datagrams to send, in order (a wire fault may add a bogus one first). */
  function respond(msg: Buffer, transport: 'udp' | 'tcp'): Buffer[] {
    let q: packet.DecodedPacket;
    try { q = packet.decode(msg); } catch { return []; }
    const question = q.questions?.[0];
    if (!question || q.type !== 'query') return [];
    const qname = normName(question.name);
    queries.push({ name: qname, type: question.type, transport });
    const base = { type: 'response' as const, id: q.id ?? 0, questions: [question] };
    const rd = (q.flags ?? 0) & packet.RECURSION_DESIRED;
    const flag = (rcode: number, aa: boolean): number => (aa ? packet.AUTHORITATIVE_ANSWER : 0) | rd | rcode;
    if (!SUPPORTED.has(question.type)) {
      return [packet.encode({ ...base, flags: flag(4 /* NOTIMP */, false) })];
    }
    const reply = answerFromZone(zone, qname, question.type as RRType);
    if (reply.fault === 'timeout') return [];
    if (reply.fault) return [packet.encode({ ...base, flags: flag(reply.fault === 'servfail' ? 2 : 5, false) })];
    const wire = zone.wireFaults?.find((f) => normName(f.name) === qname && (f.type === undefined || f.type === question.type));
    const answers = reply.answers.map(toWire);
    const authorities = answers.length === 0 || reply.rcode === 'NXDOMAIN' ? [soaFor(zone, qname)] : [];
    const full = packet.encode({ ...base, flags: flag(reply.rcode === 'NXDOMAIN' ? 3 : 0, true), answers, authorities });
    const edns = q.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    const limit = Math.max(512, edns?.udpPayloadSize ?? 512);
    const out: Buffer[] = [];
    if (wire?.fault === 'wrong-id') out.push(packet.encode({ ...base, id: ((q.id ?? 0) + 1) % 65536, flags: flag(0, true), answers: [] }));
    if (wire?.fault === 'wrong-question') {
      out.push(packet.encode({ ...base, questions: [{ ...question, name: `wrong.${qname}` }], flags: flag(0, true), answers: [] }));
    }
    if (transport === 'udp' && (full.length > limit || wire?.fault === 'truncate')) {
      out.push(packet.encode({ ...base, flags: flag(0, true) | packet.TRUNCATED_RESPONSE }));
    } else {
      out.push(full);
    }
    return out;
  }

  const later = (fn: () => void): void => { if (options.delayMs) setTimeout(fn, options.delayMs); else fn(); };

  const listener = await listenDns(host, {
    udp: (msg, rinfo, udp) => later(() => { for (const b of respond(msg, 'udp')) udp.send(b, rinfo.port, rinfo.address); }),
    tcp: (msg, write) => later(() => { for (const b of respond(msg, 'tcp')) write(b); }),
  });
  return {
    address: listener.address,
    port: listener.port,
    queries,
    setZone(z) { zone = z; },
    close: () => listener.close(),
  };
}
