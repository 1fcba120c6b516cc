/**
 * RFC 2136 UPDATE messages, built by hand: `dns-packet` encodes names and RDATA only, because it
 * cannot write class NONE and corrupts TXT strings over 255 bytes (registrars.md §4.3). One message
 * carries one change, guarded by prerequisites (§2.4) computed from the RRset as the server holds it
 * right now, so a concurrent edit makes the server refuse the whole message instead of being
 * overwritten. Messages go over TCP (a long DKIM key does not fit a 512-byte datagram).
 */
import net from 'node:net';
import * as packet from 'dns-packet';
import { MailsetupError } from '../../errors.js';
import { splitTxt } from '../txt.js';
import type { HostChange } from '../types.js';

const TYPES = { CNAME: 5, SOA: 6, MX: 15, TXT: 16, ANY: 255 } as const;
const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE_UPDATE = 5;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10 } as const;
export const RCODE_NAME: Record<number, string> = Object.fromEntries(Object.entries(RCODE).map(([k, v]) => [v, k]));

export type MailType = 'TXT' | 'MX' | 'CNAME';
/** One RR's RDATA as the server holds it. TXT keeps its character-strings: their split is part of the RDATA. */
export type Rdata =
  | { type: 'TXT'; strings: string[] }
  | { type: 'MX'; preference: number; exchange: string }
  | { type: 'CNAME'; target: string };

/** An RRset at one name as read just before writing. */
export interface CurrentRRset { rdatas: Rdata[]; ttl: number | null; cname: boolean }

interface Codec<T> { encode(value: T): Buffer }
const dp = packet as unknown as {
  name: Codec<string>; txt: Codec<Buffer[]>; mx: Codec<{ preference: number; exchange: string }>; cname: Codec<string>;
};

export const joinedValue = (d: Rdata): string => (d.type === 'TXT' ? d.strings.join('') : d.type === 'MX' ? d.exchange : d.target);

export function rdataFor(type: string, value: string, priority: number | null): Rdata {
  if (type === 'TXT') return { type, strings: splitTxt(value) };
  if (type === 'MX') return { type, preference: priority ?? 10, exchange: value };
  if (type === 'CNAME') return { type, target: value };
  throw new MailsetupError('PROVIDER_UNSUPPORTED', `the RFC 2136 writer writes TXT, MX and CNAME records, not ${type}`);
}

/** Same record: TXT by joined value, MX by preference and exchange, names case-insensitively. */
export function sameRecord(a: Rdata, b: Rdata): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'TXT') return joinedValue(a) === joinedValue(b);
  if (a.type === 'MX' && b.type === 'MX') return a.preference === b.preference && a.exchange.toLowerCase() === b.exchange.toLowerCase();
  return joinedValue(a).toLowerCase() === joinedValue(b).toLowerCase();
}

/** RDATA with its RDLENGTH prefix. */
function encodeRdata(d: Rdata): Buffer {
  switch (d.type) {
    case 'TXT': return dp.txt.encode(d.strings.map((s) => Buffer.from(s, 'utf8')));
    case 'MX': return dp.mx.encode({ preference: d.preference, exchange: d.exchange });
    case 'CNAME': return dp.cname.encode(d.target);
  }
}

function rr(name: string, type: number, cls: number, ttl: number, rdata: Buffer | null): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(cls, 2);
  head.writeUInt32BE(ttl, 4);
  return Buffer.concat([dp.name.encode(name), head, rdata ?? Buffer.from([0, 0])]);
}

const prereq = {
  rrsetAbsent: (name: string, type: MailType) => rr(name, TYPES[type], CLASS.NONE, 0, null),
  nameUnused: (name: string) => rr(name, TYPES.ANY, CLASS.NONE, 0, null),
  rrsetExists: (name: string, type: 'SOA' | MailType) => rr(name, TYPES[type], CLASS.ANY, 0, null),
  /** Value-dependent (§2.4.2): the RRset is exactly these RRs. */
  rrsetEquals: (name: string, rdatas: Rdata[]) => rdatas.map((d) => rr(name, TYPES[d.type], CLASS.IN, 0, encodeRdata(d))),
};
const op = {
  add: (name: string, ttl: number, d: Rdata) => rr(name, TYPES[d.type], CLASS.IN, ttl, encodeRdata(d)),
  /** Delete exactly this RR (§2.5.4): class NONE, TTL 0. */
  deleteOne: (name: string, d: Rdata) => rr(name, TYPES[d.type], CLASS.NONE, 0, encodeRdata(d)),
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
  return { zone, prerequisites: [prereq.rrsetExists(zone, 'SOA')], updates: [] };
}

export function conflictError(what: string, detail: string): MailsetupError {
  return new MailsetupError('VERIFICATION_FAILED', `${what} changed since the plan was made (${detail}); nothing was written for this change`, {
    hint: 'Someone else edited the zone meanwhile. Run autoconfig again to plan against the zone as it is now.',
  });
}

const DEFAULT_TTL = 3600;
const kindPrefix = (v: string): string | null => (/^v=spf1(\s|$)/i.test(v) ? 'v=spf1' : /^v=dmarc1\s*;?/i.test(v) ? 'v=DMARC1' : null);

/**
 * The UPDATE for one change, given the RRset the server holds now. A create requires the RRset to be
 * exactly what we just read (so the new RR is not there yet and nothing slipped in), or for a CNAME
 * that the name is not in use at all; an update requires the RRset, `from` included, to be unchanged,
 * then deletes exactly `from` and adds `to`. TTL: a new RR joins an existing RRset at the RRset's TTL
 * (BIND would otherwise re-TTL the siblings we do not own).
 */
export function changeSpec(zone: string, change: HostChange, current: CurrentRRset): UpdateSpec {
  const rec = change.kind === 'create' ? change.record : change.to;
  const name = rec.name;
  const type = rec.type as MailType;
  const what = `${type} at ${name}`;
  const wanted = rdataFor(type, rec.value, rec.priority);
  if (change.kind === 'create') {
    if (current.rdatas.some((d) => sameRecord(d, wanted))) throw conflictError(what, 'the record exists already');
    const prefix = type === 'TXT' ? kindPrefix(rec.value) : null;
    const rival = prefix ? current.rdatas.find((d) => kindPrefix(joinedValue(d)) === prefix) : undefined;
    if (rival) throw conflictError(what, `a ${prefix} record appeared there: "${joinedValue(rival).slice(0, 80)}"`);
    if (type === 'CNAME') {
      if (current.rdatas.length > 0) throw conflictError(what, 'the name has a CNAME now');
      return { zone, prerequisites: [prereq.nameUnused(name)], updates: [op.add(name, rec.ttl ?? DEFAULT_TTL, wanted)] };
    }
    if (current.cname) throw conflictError(what, 'the name is a CNAME now');
    const ttl = current.rdatas.length > 0 && current.ttl !== null ? current.ttl : rec.ttl ?? DEFAULT_TTL;
    const guard = current.rdatas.length === 0 ? [prereq.rrsetAbsent(name, type)] : prereq.rrsetEquals(name, current.rdatas);
    return { zone, prerequisites: [...guard, prereq.rrsetAbsent(name, 'CNAME')], updates: [op.add(name, ttl, wanted)] };
  }
  const from = rdataFor(change.from.type, change.from.value, change.from.priority);
  // Delete the RR exactly as stored (its TXT split may differ from ours).
  const stored = current.rdatas.find((d) => sameRecord(d, from));
  if (!stored) throw conflictError(`${change.from.type} at ${change.from.name}`, `"${change.from.value.slice(0, 80)}" is no longer there`);
  const siblings = current.rdatas.filter((d) => d !== stored && !sameRecord(d, wanted));
  const ttl = siblings.length > 0 && current.ttl !== null ? current.ttl : rec.ttl ?? change.from.ttl ?? current.ttl ?? DEFAULT_TTL;
  return { zone, prerequisites: prereq.rrsetEquals(name, current.rdatas), updates: [op.deleteOne(name, stored), op.add(name, ttl, wanted)] };
}

/** Where updates go: `label` for messages, `spec` (ip[:port]) for `query`. */
export interface Endpoint { host: string; port: number; label: string; spec: string }

/** One message, one reply, over TCP (2-byte length prefix, RFC 1035 §4.2.2), within `timeoutMs`. */
export function exchangeTcp(server: Endpoint, message: Buffer, timeoutMs: number): Promise<Buffer> {
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
    const timer = setTimeout(() => finish(new MailsetupError('DNS_UNAVAILABLE',
      `no reply from ${server.label} within ${timeoutMs} ms; the change may or may not have been applied`,
      { hint: 'Check MAILSETUP_RFC2136_SERVER and that TCP port is reachable, then run autoconfig again (it re-reads the zone first).' })), timeoutMs);
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
      { hint: 'Check MAILSETUP_RFC2136_SERVER (host[:port] of the zone\'s primary) and that it accepts TCP.' })));
    socket.on('end', () => finish(new MailsetupError('DNS_UNAVAILABLE', `${server.label} closed the TCP connection without replying`)));
  });
}

export const rcodeOf = (reply: Buffer): number => reply.readUInt16BE(2) & 0x0f;
