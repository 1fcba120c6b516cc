/**
 * DNS over the wire: one question to one server, UDP first (EDNS0, 1232-byte payload), TCP when the
 * reply is truncated, a timeout and one retry, and replies checked against the question (ID, name,
 * type) so a stray or spoofed datagram is ignored rather than believed. `node:dns` can't be used:
 * it hides TTLs for TXT/CNAME, the AA bit and the SOA that carries the negative TTL.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import type { DnsAnswer, DnsRR, RRType } from './types.js';
import { normName, toDnsAnswer } from './zone.js';

export interface QueryOptions {
  /** Set RD (ask a recursive resolver); false for authoritative servers. */
  recursion: boolean;
  timeoutMs: number;
  /** Extra attempts after a timeout (default 1). */
  retries: number;
}

import { formatServer, parseServer, type ServerAddress } from './server-address.js';

export { formatServer, parseServer, type ServerAddress } from './server-address.js';

function encodeQuery(id: number, name: string, type: RRType, recursion: boolean, edns: boolean): Buffer {
  return packet.encode({
    type: 'query',
    id,
    flags: recursion ? packet.RECURSION_DESIRED : 0,
    questions: [{ type: type as packet.RecordType, class: 'IN', name }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as packet.Answer] : [],
  });
}

function decodeText(b: Buffer | string): string {
  return typeof b === 'string' ? b : b.toString('utf8');
}

function convert(a: packet.Answer): DnsRR | null {
  const name = normName(a.name);
  const ttl = 'ttl' in a && typeof a.ttl === 'number' ? a.ttl : 0;
  switch (a.type) {
    case 'A': case 'AAAA': case 'CNAME': case 'NS': case 'PTR':
      return { name, type: a.type, ttl, data: a.type === 'A' || a.type === 'AAAA' ? String(a.data) : normName(String(a.data)) };
    case 'MX':
      return { name, type: 'MX', ttl, data: { preference: a.data.preference ?? 0, exchange: normName(a.data.exchange) } };
    case 'TXT': {
      const d = a.data as unknown;
      const strings = Array.isArray(d) ? d.map((x) => decodeText(x as Buffer)) : [decodeText(d as Buffer)];
      return { name, type: 'TXT', ttl, data: strings };
    }
    case 'SOA':
      return {
        name, type: 'SOA', ttl,
        data: {
          mname: normName(a.data.mname), rname: normName(a.data.rname), serial: a.data.serial ?? 0,
          refresh: a.data.refresh ?? 0, retry: a.data.retry ?? 0, expire: a.data.expire ?? 0, minimum: a.data.minimum ?? 0,
        },
      };
    default:
      return null;
  }
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

type Reply = packet.DecodedPacket;

function matches(reply: Reply, id: number, name: string, type: RRType): boolean {
  const q = reply.questions?.[0];
  return reply.id === id && reply.type === 'response' && !!q && normName(q.name) === normName(name) && q.type === type;
}

function udpAsk(server: ServerAddress, query: Buffer, id: number, name: string, type: RRType, timeoutMs: number): Promise<Reply | 'timeout'> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(server.family === 6 ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    let done = false;
    function finish(r: Reply | 'timeout' | Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (r instanceof Error) reject(r); else resolve(r);
    }
    socket.on('error', (e) => finish(e));
    socket.on('message', (msg) => {
      let reply: Reply;
      try { reply = packet.decode(msg); } catch { return; /* garbage: keep waiting for the real reply */ }
      if (matches(reply, id, name, type)) finish(reply);
    });
    socket.send(query, server.port, server.host, (e) => { if (e) finish(e); });
  });
}

function tcpAsk(server: ServerAddress, query: Buffer, id: number, name: string, type: RRType, timeoutMs: number): Promise<Reply | 'timeout'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    function finish(r: Reply | 'timeout' | Error): void {
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
        try {
          const reply = packet.decode(msg);
          if (matches(reply, id, name, type)) return finish(reply);
        } catch { /* ignore undecodable frame */ }
      }
    });
    socket.on('end', () => finish(new Error('connection closed before a reply')));
  });
}

function failure(name: string, type: RRType, server: string, outcome: 'timeout' | 'error', error: string): DnsAnswer {
  return { name: normName(name), type, server, outcome, aa: false, records: [], cnames: [], negativeTtl: null, error };
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
  wireStats.questions++;
  let lastError = 'no reply';
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    const id = randomInt(0, 65536);
    try {
      wireStats.udp++;
      let reply = await udpAsk(server, encodeQuery(id, name, type, opts.recursion, true), id, name, type, opts.timeoutMs);
      if (reply !== 'timeout' && reply.flag_tc) {
        wireStats.tcp++;
        const tcpId = randomInt(0, 65536);
        reply = await tcpAsk(server, encodeQuery(tcpId, name, type, opts.recursion, true), tcpId, name, type, opts.timeoutMs);
      }
      if (reply === 'timeout') { lastError = `no reply within ${opts.timeoutMs} ms`; continue; }
      const all = (reply.answers ?? []).map(convert).filter((r): r is DnsRR => r !== null);
      const soa = (reply.authorities ?? []).map(convert).find((r) => r?.type === 'SOA');
      const negativeTtl = soa && soa.type === 'SOA' ? Math.min(soa.ttl, soa.data.minimum) : null;
      const rcode = (reply as Reply & { rcode?: string }).rcode ?? 'NOERROR';
      return toDnsAnswer(name, type, label, !!reply.flag_aa, rcode, chainAnswers(normName(name), type, all), negativeTtl);
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
  }
  return lastError.startsWith('no reply') ? failure(name, type, label, 'timeout', lastError) : failure(name, type, label, 'error', lastError);
}
