/**
 * A hostile DNS server on loopback: it forwards each question to an honest upstream (the embedded
 * server, serving real zone data) and then misbehaves with the raw reply bytes, the way broken
 * servers and off-path attackers do — a reply from another source port, a reply cut short, the AA
 * bit cleared, a referral instead of an answer, a question whose labels were merged. UDP and TCP on
 * one port, like a real server. Only 127.0.0.1 is ever used.
 */
import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { listenDns } from '../../src/dns/listen.js';

export type Trick =
  /** A forged reply (the attacker's upstream answer) from another source port first, the real one 100 ms later. */
  | { kind: 'spoof-port'; attacker: string }
  /** The honest reply with its last `bytes` bytes cut off (header counts unchanged). */
  | { kind: 'cut'; bytes: number }
  /** NXDOMAIN without the AA bit: a server that is not authoritative for the zone. */
  | { kind: 'nxdomain-no-aa' }
  /** A referral: no answer, NS records for `zone` pointing at `ns`, no SOA, no AA. */
  | { kind: 'referral'; zone: string; ns: string }
  /** The reply's first two question labels merged into one label holding a dot (same length on the wire). */
  | { kind: 'merge-labels' }
  /** REFUSED, as BIND answers for a zone it does not serve. */
  | { kind: 'refused' }
  /** No reply at all. */
  | { kind: 'silent' };

export interface HostileRule { name: string | RegExp; type?: string; trick: Trick }

export interface HostileDns {
  address: string;
  port: number;
  /** Questions received (name, type), in order. */
  queries: Array<{ name: string; type: string }>;
  close(): Promise<void>;
}

function parseAddr(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
}

/** Ask `upstream` the raw query over UDP and return its raw reply (or null after 2 s). */
function forward(upstream: string, query: Buffer): Promise<Buffer | null> {
  const { host, port } = parseAddr(upstream);
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); resolve(null); }, 2000);
    s.on('message', (msg) => { clearTimeout(t); s.close(); resolve(msg); });
    s.send(query, port, host);
  });
}

function matches(rule: HostileRule, name: string, type: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const hit = typeof rule.name === 'string' ? n === rule.name : rule.name.test(n);
  return hit && (rule.type === undefined || rule.type === type);
}

/** Merge the first two labels of the question name in place: `[3]abc[2]de…` → `[6]abc.de…`. */
function mergeLabels(reply: Buffer): Buffer {
  const out = Buffer.from(reply);
  const first = out[12]!;
  const second = out[12 + 1 + first]!;
  if (first === 0 || second === 0 || (second & 0xc0) !== 0) return out;
  // Shift the first label right by one byte, overwriting the second length byte with a '.'.
  const merged = Buffer.concat([Buffer.from([first + 1 + second]), out.subarray(13, 13 + first), Buffer.from('.'), out.subarray(13 + first + 1, 13 + first + 1 + second)]);
  merged.copy(out, 12);
  return out;
}

export async function startHostileDns(upstream: string, rules: HostileRule[]): Promise<HostileDns> {
  const queries: HostileDns['queries'] = [];
  const liar = dgram.createSocket('udp4');
  await new Promise<void>((r) => liar.bind(0, '127.0.0.1', () => r()));

  /** The replies to send (raw), each with whether it goes out from the liar's port, and a delay. */
  async function respond(msg: Buffer): Promise<Array<{ bytes: Buffer; spoofed?: boolean; delayMs?: number }>> {
    let q: packet.DecodedPacket;
    try { q = packet.decode(msg); } catch { return []; }
    const question = q.questions?.[0];
    if (!question) return [];
    queries.push({ name: question.name, type: question.type });
    const rule = rules.find((r) => matches(r, question.name, question.type));
    const trick = rule?.trick;
    if (trick?.kind === 'silent') return [];
    if (trick?.kind === 'refused') {
      return [{ bytes: packet.encode({ type: 'response', id: q.id, flags: 5 /* REFUSED */, questions: [question] }) }];
    }
    if (trick?.kind === 'nxdomain-no-aa') {
      return [{ bytes: packet.encode({ type: 'response', id: q.id, flags: 3 /* NXDOMAIN, no AA */, questions: [question] }) }];
    }
    if (trick?.kind === 'referral') {
      return [{
        bytes: packet.encode({
          type: 'response', id: q.id, flags: 0, questions: [question],
          authorities: [{ type: 'NS', name: trick.zone, ttl: 3600, class: 'IN', data: trick.ns }],
        }),
      }];
    }
    const honest = await forward(upstream, msg);
    if (!honest) return [];
    if (trick?.kind === 'cut') return [{ bytes: honest.subarray(0, honest.length - trick.bytes) }];
    if (trick?.kind === 'merge-labels') return [{ bytes: mergeLabels(honest) }];
    if (trick?.kind === 'spoof-port') {
      const forged = await forward(trick.attacker, msg);
      return [...(forged ? [{ bytes: forged, spoofed: true }] : []), { bytes: honest, delayMs: 100 }];
    }
    return [{ bytes: honest }];
  }

  const listener = await listenDns('127.0.0.1', {
    udp: (msg, rinfo, udp) => void respond(msg).then((replies) => {
      for (const r of replies) {
        const send = () => (r.spoofed ? liar : udp).send(r.bytes, rinfo.port, rinfo.address);
        if (r.delayMs) setTimeout(send, r.delayMs); else send();
      }
    }),
    // TCP has no source-port trick: only the genuine reply goes down the connection.
    tcp: (msg, write) => void respond(msg).then((replies) => { for (const r of replies.filter((x) => !x.spoofed)) write(r.bytes); }),
  });
  return {
    address: listener.address,
    port: listener.port,
    queries,
    async close() {
      await Promise.all([listener.close(), new Promise<void>((r) => liar.close(() => r()))]);
    },
  };
}
