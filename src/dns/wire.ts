/**
 * DNS over the wire: one question to one server, UDP first (EDNS0, 1232-byte payload), TCP when the
 * reply is truncated, a timeout and one retry. Only the asked address and port are heard (connected
 * UDP socket), a reply must carry our ID and our question (label by label) or it is ignored, and it
 * must decode exactly (src/dns/message.ts) or the question failed. Lame and referral answers come
 * back as the outcome `lame`, never as "does not exist". `node:dns` can't be used: it hides TTLs
 * for TXT/CNAME, the AA bit and the SOA that carries the negative TTL.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import type { DnsAnswer, DnsRR, DnssecFlags, RRType } from './types.js';
import { toDnsAnswer } from './zone.js';
import { canonicalName, decodeHeader, decodeMessage, encodeQuery, MalformedMessage, TYPE_CODES, type Message } from './message.js';
import { formatServer, parseServer, type ServerAddress } from './server-address.js';

export { formatServer, parseServer, type ServerAddress } from './server-address.js';

export interface QueryOptions {
  /** Set RD (ask a recursive resolver); false for authoritative servers. */
  recursion: boolean;
  timeoutMs: number;
  /** Extra attempts after a timeout (default 1). */
  retries: number;
  /** DO / CD bits (DNSSEC); none by default. */
  dnssec?: DnssecFlags;
}

/** Follow the CNAME chain from `qname` through the answer section, as RFC 1034 §4.3.2 builds it. */
function chainAnswers(qname: string, qtype: RRType, answers: DnsRR[]): DnsRR[] {
  const out: DnsRR[] = [];
  let current = qname;
  for (let hop = 0; hop < 16; hop++) {
    const own = answers.filter((r) => r.name === current);
    const wanted = own.filter((r) => r.type === qtype);
    if (wanted.length > 0) return out.concat(wanted);
    const cname = own.find((r) => r.type === 'CNAME');
    if (!cname || qtype === 'CNAME') return out;
    out.push(cname);
    current = cname.data as string;
  }
  return out;
}

/**
 * A datagram or frame is the reply to our question only when it carries our ID, is a response, and
 * repeats our question — name compared label by label (both in canonical presentation form), type
 * and class. Anything else is ignored, as a stub resolver must (RFC 5452 §9.1).
 */
function isOurReply(msg: Buffer, id: number, name: string, type: RRType): boolean {
  try {
    const h = decodeHeader(msg);
    return h.id === id && h.response && h.question !== null && h.question.name === name && h.question.type === TYPE_CODES[type] && h.question.class === 1;
  } catch {
    return false;
  }
}

type Attempt = Message | 'timeout';

/**
 * The socket's "name lookup": servers are IP literals (parseServer), so there is nothing to resolve.
 * dgram's default, dns.lookup, would load node:dns and defer each bind and connect through it for
 * nothing. Asynchronous like dns.lookup.
 */
const literalAddress = ((address: string, _family: unknown, callback: (err: null, address: string, family: number) => void): void => {
  process.nextTick(callback, null, address, address.includes(':') ? 6 : 4);
}) as unknown as dgram.SocketOptions['lookup'];

/**
 * One UDP exchange on a socket connected to the server: the kernel then delivers only datagrams
 * from the address and port we asked (RFC 5452 §9.1), and `rinfo` is checked again in case the
 * platform does not filter. A reply that is ours but does not decode exactly rejects the attempt.
 */
function udpAsk(server: ServerAddress, query: Buffer, id: number, name: string, type: RRType, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: server.family === 6 ? 'udp6' : 'udp4', lookup: literalAddress });
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    let done = false;
    function finish(r: Attempt | Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (r instanceof Error) reject(r); else resolve(r);
    }
    socket.on('error', (e) => finish(e));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== server.host || rinfo.port !== server.port) return;
      if (!isOurReply(msg, id, name, type)) return;
      try { finish(decodeMessage(msg)); } catch (e) { finish(e as Error); }
    });
    socket.connect(server.port, server.host, () => {
      socket.send(query, (e) => { if (e) finish(e); });
    });
  });
}

function tcpAsk(server: ServerAddress, query: Buffer, id: number, name: string, type: RRType, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    function finish(r: Attempt | Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (r instanceof Error) reject(r); else resolve(r);
    }
    socket.on('error', (e) => finish(e));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const size = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + size);
        buf = buf.subarray(2 + size);
        if (!isOurReply(msg, id, name, type)) continue;
        try {
          const reply = decodeMessage(msg);
          // Over TCP a reply cannot be truncated: TC here means the server cut it anyway.
          if (reply.tc) return finish(new MalformedMessage('TC set on a TCP reply'));
          return finish(reply);
        } catch (e) {
          return finish(e as Error);
        }
      }
    });
    socket.on('end', () => finish(new Error(buf.length ? `connection closed in the middle of a reply (${buf.length} bytes of a frame)` : 'connection closed before a reply')));
  });
}

/**
 * A reply that answers nothing and points elsewhere (NS in the authority section, no SOA), or, for
 * a non-recursive question, one without the AA bit: the server is not authoritative for the name
 * (lame or a referral), so its silence about the record means nothing.
 */
function lameness(reply: Message, recursion: boolean, records: DnsRR[]): string | null {
  if (reply.rcode !== 'NOERROR' && reply.rcode !== 'NXDOMAIN') return null;
  const hasNs = reply.authorityTypes.some((a) => a.type === TYPE_CODES.NS);
  const hasSoa = reply.authorityTypes.some((a) => a.type === TYPE_CODES.SOA);
  if (records.length === 0 && reply.answers.length === 0 && hasNs && !hasSoa && reply.rcode === 'NOERROR') {
    const to = [...new Set(reply.authorityTypes.filter((a) => a.type === TYPE_CODES.NS).map((a) => a.name || '.'))].join(', ');
    return `a referral to the servers of ${to} instead of an answer`;
  }
  if (!recursion && !reply.aa) return `${reply.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : 'an answer'} without the AA bit: not authoritative for this name`;
  return null;
}

function failure(name: string, type: RRType, server: string, outcome: 'timeout' | 'error' | 'lame', error: string): DnsAnswer {
  return { name: canonicalName(name), type, server, outcome, aa: false, records: [], cnames: [], negativeTtl: null, error };
}

/** Counters for the bench and tests: wire questions started, and how many went over TCP. */
export const wireStats = { udp: 0, tcp: 0, questions: 0 };

/**
 * Ask `server` one question. Never throws: network trouble becomes `timeout` or `error`, server
 * trouble `servfail`/`refused`, so callers can say "could not check" instead of "missing".
 */
export async function query(serverSpec: string, name: string, type: RRType, opts: QueryOptions): Promise<DnsAnswer> {
  const server = parseServer(serverSpec);
  if (!server) return failure(name, type, serverSpec, 'error', `not a server address: ${serverSpec}`);
  const label = formatServer(server);
  const qname = canonicalName(name);
  wireStats.questions++;
  let lastError = 'no reply';
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    try {
      const id = randomInt(0, 65536);
      wireStats.udp++;
      let reply = await udpAsk(server, encodeQuery(id, qname, type, opts.recursion, opts.dnssec), id, qname, type, opts.timeoutMs);
      if (reply !== 'timeout' && reply.tc) {
        wireStats.tcp++;
        const tcpId = randomInt(0, 65536);
        reply = await tcpAsk(server, encodeQuery(tcpId, qname, type, opts.recursion, opts.dnssec), tcpId, qname, type, opts.timeoutMs);
      }
      if (reply === 'timeout') { lastError = `no reply within ${opts.timeoutMs} ms`; continue; }
      const soa = reply.authorities.find((r) => r.type === 'SOA');
      const negativeTtl = soa && soa.type === 'SOA' ? Math.min(soa.ttl, soa.data.minimum) : null;
      const chain = chainAnswers(qname, type, reply.answers);
      const lame = lameness(reply, opts.recursion, chain.filter((r) => r.type === type));
      if (lame) return { ...failure(qname, type, label, 'lame', lame), aa: reply.aa };
      const answer = toDnsAnswer(qname, type, label, reply.aa, reply.rcode, chain, negativeTtl);
      if (!opts.dnssec) return answer;
      return { ...answer, ad: reply.ad, signatures: reply.answers.filter((r) => r.type === 'RRSIG').length };
    } catch (e) {
      lastError = e instanceof MalformedMessage ? `a reply that does not decode exactly (${e.message})` : e instanceof Error ? e.message : String(e);
    }
  }
  return lastError.startsWith('no reply') ? failure(qname, type, label, 'timeout', lastError) : failure(qname, type, label, 'error', lastError);
}
