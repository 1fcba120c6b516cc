/**
 * RFC 2136 UPDATE messages, built by hand: `dns-packet` encodes names and RDATA only, because it
 * cannot write class NONE and corrupts TXT strings over 255 bytes (registrars.md §4.3). One apply
 * is one message: every change of the run, guarded by prerequisites (§2.4) computed from what the
 * plan saw at each name (HostChange.seen), so the server applies all of it or none, and a concurrent
 * edit anywhere the plan looked makes it refuse the whole message instead of being overwritten.
 * Messages go over TCP (a long DKIM key does not fit a 512-byte datagram).
 */
import net from 'node:net';
import * as packet from 'dns-packet';
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { splitTxt } from '../txt.js';
import { byName, hostConflict, pinKey, pinnable, written } from '../pin.js';
import type { HostChange, HostRecord } from '../types.js';

const TYPES = { CNAME: 5, SOA: 6, MX: 15, TXT: 16, ANY: 255 } as const;
const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE_UPDATE = 5;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10 } as const;
export const RCODE_NAME: Record<number, string> = Object.fromEntries(Object.entries(RCODE).map(([k, v]) => [v, k]));
/** The RCODEs of a failed prerequisite (§3.2): the zone is not what the plan saw. */
export const PREREQ_RCODES: ReadonlySet<number> = new Set([RCODE.YXDOMAIN, RCODE.YXRRSET, RCODE.NXRRSET, RCODE.NXDOMAIN]);

export type MailType = 'TXT' | 'MX' | 'CNAME';
/** One RR's RDATA. TXT keeps its character-strings: their split is part of the RDATA. */
export type Rdata =
  | { type: 'TXT'; strings: string[] }
  | { type: 'MX'; preference: number; exchange: string }
  | { type: 'CNAME'; target: string };

interface Codec<T> { encode(value: T): Buffer }
const dp = packet as unknown as {
  name: Codec<string>; txt: Codec<Buffer[]>; mx: Codec<{ preference: number; exchange: string }>; cname: Codec<string>;
  record(type: string): Codec<unknown>;
};

export function rdataFor(type: string, value: string, priority: number | null): Rdata {
  if (type === 'TXT') return { type, strings: splitTxt(value) };
  if (type === 'MX') return { type, preference: priority ?? 10, exchange: value };
  if (type === 'CNAME') return { type, target: value };
  throw new MailsetupError('PROVIDER_UNSUPPORTED', `the RFC 2136 writer writes TXT, MX and CNAME records, not ${type}`);
}

/** RDATA with its RDLENGTH prefix. */
function encodeRdata(d: Rdata): Buffer {
  switch (d.type) {
    case 'TXT': return dp.txt.encode(d.strings.map((s) => Buffer.from(s, 'utf8')));
    case 'MX': return dp.mx.encode({ preference: d.preference, exchange: d.exchange });
    case 'CNAME': return dp.cname.encode(d.target);
  }
}

/** A record's RDATA as stored (read from the server: `raw`), else encoded from its value. */
function storedRdata(r: HostRecord): Buffer {
  if (r.raw) return Buffer.from(r.raw, 'base64');
  return encodeRdata(rdataFor(r.type, r.value, r.priority));
}

/** `TXT` → 16; `UNKNOWN_65534` (dns-packet's name for a type it has no codec for) → 65534. */
export function typeNumber(type: string): number {
  const m = /^(?:UNKNOWN_|TYPE)(\d+)$/i.exec(type);
  const n = m ? Number(m[1]) : typeCodes[type.toUpperCase()];
  if (!n) throw new MailsetupError('INTERNAL', `no RR type number for ${type}`);
  return n;
}
const typeCodes: Record<string, number> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, RP: 17, AFSDB: 18, AAAA: 28, LOC: 29, SRV: 33, NAPTR: 35,
  KX: 36, CERT: 37, DNAME: 39, OPT: 41, DS: 43, SSHFP: 44, IPSECKEY: 45, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49, NSEC3: 50,
  NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53, HIP: 55, CDS: 59, CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65,
  SPF: 99, URI: 256, CAA: 257,
};

function rr(name: string, type: number, cls: number, ttl: number, rdata: Buffer | null): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(cls, 2);
  head.writeUInt32BE(ttl, 4);
  return Buffer.concat([dp.name.encode(name), head, rdata ?? Buffer.from([0, 0])]);
}

/**
 * At a name in use, "exactly these RRsets" cannot be said in one prerequisite (§2.4 has no "no
 * other types"), so the types a mail name can meet are each required absent; any other type
 * appearing there is caught by the re-read of a later run, not by the server.
 */
const GUARDED_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'CAA', 'PTR', 'HTTPS', 'SVCB', 'DNAME', 'NAPTR', 'TLSA', 'SPF'];

const prereq = {
  /** §2.4.3 RRset does not exist. */
  rrsetAbsent: (name: string, type: number) => rr(name, type, CLASS.NONE, 0, null),
  /** §2.4.5 Name is not in use (satisfied by an empty non-terminal too). */
  nameUnused: (name: string) => rr(name, TYPES.ANY, CLASS.NONE, 0, null),
  /** §2.4.1 RRset exists (value independent). */
  rrsetExists: (name: string, type: number) => rr(name, type, CLASS.ANY, 0, null),
  /** §2.4.2 RRset exists (value dependent): the RRset is exactly these RRs. */
  rrsetEquals: (name: string, type: number, rdatas: Buffer[]) => rdatas.map((d) => rr(name, type, CLASS.IN, 0, d)),
};
const op = {
  add: (name: string, type: number, ttl: number, rdata: Buffer) => rr(name, type, CLASS.IN, ttl, rdata),
  /** Delete exactly this RR (§2.5.4): class NONE, TTL 0. */
  deleteOne: (name: string, type: number, rdata: Buffer) => rr(name, type, CLASS.NONE, 0, rdata),
};

export interface UpdateSpec { zone: string; prerequisites: Buffer[]; updates: Buffer[] }

/** Header (OPCODE 5), zone section `zone SOA IN`, prerequisites, updates; no additional section yet. */
export function encodeUpdate(id: number, spec: UpdateSpec): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(spec.prerequisites.length, 6);
  header.writeUInt16BE(spec.updates.length, 8);
  const zone = Buffer.concat([dp.name.encode(spec.zone), Buffer.from([0, TYPES.SOA, 0, CLASS.IN])]);
  return Buffer.concat([header, zone, ...spec.prerequisites, ...spec.updates]);
}

/** An UPDATE that changes nothing and only requires the zone's SOA: proves the key and the server. */
export function probeSpec(zone: string): UpdateSpec {
  return { zone, prerequisites: [prereq.rrsetExists(zone, TYPES.SOA)], updates: [] };
}

const DEFAULT_TTL = 3600;

/**
 * The one UPDATE for a whole apply. Per name, the prerequisites pin what the plan saw: nothing at
 * all (name not in use), or each RRset seen exactly as it was (value dependent, RDATA as the server
 * sent it) and the other usual types absent. Then, in order: an update deletes exactly `from` and
 * adds `to`; a create adds. A record joining an RRset takes the RRset's TTL (BIND would otherwise
 * re-TTL the siblings we do not own).
 */
export function buildUpdate(zone: string, changes: HostChange[]): UpdateSpec {
  const prerequisites: Buffer[] = [];
  const updates: Buffer[] = [];
  for (const [name, at] of byName(changes)) {
    const seen = pinnable(at[0]!.seen);
    if (seen.length === 0) prerequisites.push(prereq.nameUnused(name));
    const types = [...new Set(seen.map((r) => r.type.toUpperCase()))];
    for (const t of types) prerequisites.push(...prereq.rrsetEquals(name, typeNumber(t), seen.filter((r) => r.type.toUpperCase() === t).map(storedRdata)));
    if (seen.length > 0) for (const t of GUARDED_TYPES) if (!types.includes(t)) prerequisites.push(prereq.rrsetAbsent(name, typeNumber(t)));
    for (const c of at) {
      const rec = written(c);
      const type = rec.type.toUpperCase();
      const wanted = encodeRdata(rdataFor(type, rec.value, rec.priority));
      // BIND drops a CNAME added beside other data (or data beside a CNAME) and still says NOERROR
      // (§3.4.2.2): make the server refuse the whole message instead.
      if (type === 'CNAME' && (c.kind === 'create' ? seen.length > 0 : seen.some((r) => r.type.toUpperCase() !== 'CNAME'))) prerequisites.push(prereq.nameUnused(name));
      if (type !== 'CNAME' && seen.some((r) => r.type.toUpperCase() === 'CNAME')) prerequisites.push(prereq.rrsetAbsent(name, TYPES.CNAME));
      if (c.kind === 'update') {
        if (normaliseName(c.from.name) !== name || c.from.type.toUpperCase() !== type) {
          throw new MailsetupError('INTERNAL', `an update must keep the name and type (${c.from.type} ${c.from.name} → ${type} ${name})`);
        }
        if (!seen.some((r) => pinKey(r) === pinKey(c.from))) throw hostConflict(name, null, `"${c.from.value.slice(0, 60)}" was not there when the plan was made`);
        updates.push(op.deleteOne(name, typeNumber(type), storedRdata(seen.find((r) => pinKey(r) === pinKey(c.from))!)));
      }
      const siblings = seen.filter((r) => r.type.toUpperCase() === type && !(c.kind === 'update' && pinKey(r) === pinKey(c.from)));
      const ttl = siblings[0]?.ttl ?? rec.ttl ?? DEFAULT_TTL;
      updates.push(op.add(name, typeNumber(type), ttl, wanted));
    }
  }
  return { zone, prerequisites, updates };
}

/** Where updates go: `label` for messages, `spec` (ip[:port]) for `query`. */
export interface Endpoint { host: string; port: number; label: string; spec: string }

/** One message, one reply, over TCP (2-byte length prefix, RFC 1035 §4.2.2), within `timeoutMs`. */
export function exchangeTcp(server: Endpoint, message: Buffer, timeoutMs: number, purpose: 'update' | 'query' = 'update'): Promise<Buffer> {
  const id = message.readUInt16BE(0);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (r: Buffer | Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (r instanceof Error) reject(r); else resolve(r);
    };
    // One attempt within the whole budget: a dead server or wrong port is reported within --timeout.
    const timer = setTimeout(() => finish(new MailsetupError('DNS_UNAVAILABLE',
      `no reply from ${server.label} within ${timeoutMs} ms${purpose === 'update' ? '; the update may or may not have been applied' : ''}`,
      { hint: 'Check MAILSETUP_RFC2136_SERVER (or the zone\'s SOA MNAME, used when it is unset) and that its TCP port is reachable, then run autoconfig again (it re-reads the zone first).' })), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message])));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const reply = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + reply.length);
        if (reply.length >= 12 && reply.readUInt16BE(0) === id && (reply.readUInt16BE(2) & 0x8000) !== 0) return finish(Buffer.from(reply));
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => finish(new MailsetupError('DNS_UNAVAILABLE',
      `could not talk to the DNS server ${server.label} over TCP (${e.code ?? e.message})`,
      { hint: 'Check MAILSETUP_RFC2136_SERVER (host[:port] of the zone\'s primary; unset, the SOA MNAME on port 53) and that it accepts TCP.' })));
    socket.on('end', () => finish(new MailsetupError('DNS_UNAVAILABLE', `${server.label} closed the TCP connection without replying`)));
  });
}

export const rcodeOf = (reply: Buffer): number => reply.readUInt16BE(2) & 0x0f;
