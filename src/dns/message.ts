/**
 * DNS messages (RFC 1035 §4) read strictly, and queries written, for the wire client.
 *
 * Why not dns-packet's decoder: it is lenient in the dangerous direction. A reply cut a few bytes
 * short still decodes (a TXT string is sliced past the end of the buffer and comes back shorter),
 * so a partial DKIM key or SPF record would be diagnosed as the user's mistake. It also joins labels
 * with dots, so the one label `a.b` and the two labels `a` + `b` read the same. Here a message must
 * decode exactly — every RDATA consumed to its RDLENGTH, nothing missing, nothing left over, the
 * section counts matching — or the question failed; names keep their label boundaries in
 * presentation form (RFC 4343 escapes: `\.` for a dot inside a label, `\\`, `\DDD` for any byte
 * outside printable ASCII), so comparing the strings compares label by label.
 */
import type { DnsRR, DnssecFlags, RRType } from './types.js';

export class MalformedMessage extends Error {}

/** The parts of a reply the client needs. Records of types mailsetup does not read are skipped. */
export interface Message {
  id: number;
  response: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  /** Authentic Data and Checking Disabled (RFC 4035 §3.2). */
  ad: boolean;
  cd: boolean;
  rcode: string;
  question: { name: string; type: number; class: number } | null;
  answers: DnsRR[];
  authorities: DnsRR[];
  /** Owner names and types of every authority record, whatever its type (referrals carry NS). */
  authorityTypes: Array<{ name: string; type: number }>;
}

export const TYPE_CODES: Record<RRType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, DS: 43, RRSIG: 46, DNSKEY: 48, SPF: 99 };
const TYPE_NAMES = new Map<number, RRType>(Object.entries(TYPE_CODES).map(([k, v]) => [v, k as RRType]));
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

/** One label's bytes in presentation form (lower-cased: DNS names compare case-insensitively). */
function labelText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    const c = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
    if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s;
}

/** ASCII without a backslash: every character is one byte and every dot separates labels. */
const UNESCAPED_ASCII = /^[\x00-\x5b\x5d-\x7f]*$/;
/** …and printable, so presentation form needs no escape either (labelText would leave it as is). */
const PLAIN_NAME = /^[\x21-\x5b\x5d-\x7e]*$/;

/** A name without its root dot (an escaped `\.` at the end is part of the last label). */
function withoutRootDot(name: string): string {
  return name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
}

/** Split a presentation-form name into label byte strings, honouring `\.`, `\\` and `\DDD`. */
export function nameLabels(name: string): Buffer[] {
  const n = withoutRootDot(name);
  if (n === '' || n === '.') return [];
  // Nearly every name: no escape and plain ASCII, so each label is its characters' bytes. (The loop
  // below allocates per character; a validate run splits a few hundred names.)
  if (UNESCAPED_ASCII.test(n)) return n.split('.').map((label) => Buffer.from(label, 'latin1'));
  return escapedNameLabels(name);
}

/** nameLabels for a name that may hold escapes or non-ASCII text (exported for the equivalence test). */
export function escapedNameLabels(name: string): Buffer[] {
  const n = withoutRootDot(name);
  if (n === '' || n === '.') return [];
  const labels: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < n.length; i++) {
    const ch = n[i]!;
    if (ch === '\\') {
      const ddd = /^\d{3}/.exec(n.slice(i + 1));
      if (ddd) { cur.push(Number(ddd[0]) & 0xff); i += 3; continue; }
      const next = n[i + 1];
      if (next !== undefined) { cur.push(...Buffer.from(next, 'utf8')); i += 1; continue; }
      cur.push(0x5c);
      continue;
    }
    if (ch === '.') { labels.push(Buffer.from(cur)); cur = []; continue; }
    cur.push(...Buffer.from(ch, 'utf8'));
  }
  labels.push(Buffer.from(cur));
  return labels;
}

/** The canonical presentation form of a name: lower case, no trailing dot, escapes normalised. */
export function canonicalName(name: string): string {
  if (PLAIN_NAME.test(name)) {
    // What the label-by-label form gives for printable ASCII without escapes, without the bytes.
    const n = withoutRootDot(name);
    return n === '.' ? '' : n.toLowerCase();
  }
  return escapedCanonicalName(name);
}

/** canonicalName through the labels' bytes, for any name (exported for the equivalence test). */
export function escapedCanonicalName(name: string): string {
  return escapedNameLabels(name).map(labelText).join('.');
}

/**
 * A query for one question: RD as asked, EDNS0 advertising a 1232-byte payload (DNS flag day 2020).
 * `dnssec.dnssecOk` sets DO in the OPT record (signatures wanted, and the AD bit back from a validating
 * resolver); `dnssec.checkingDisabled` sets CD (the resolver answers without validating).
 */
export function encodeQuery(id: number, name: string, type: RRType, recursion: boolean, dnssec: DnssecFlags = {}): Buffer {
  const labels = nameLabels(name);
  for (const l of labels) if (l.length === 0 || l.length > 63) throw new MalformedMessage(`cannot ask for ${name}: a label is empty or longer than 63 bytes`);
  const qname = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
  if (qname.length > 255) throw new MalformedMessage(`cannot ask for ${name}: longer than 255 bytes`);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE((recursion ? 0x0100 : 0) | (dnssec.checkingDisabled ? 0x0010 : 0), 2);
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(1, 10); // ARCOUNT: the OPT record
  const q = Buffer.alloc(4);
  q.writeUInt16BE(TYPE_CODES[type], 0);
  q.writeUInt16BE(1, 2); // IN
  // OPT: root name, TYPE 41, CLASS = UDP payload size, TTL = extended RCODE/flags 0, RDLENGTH 0.
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, dnssec.dnssecOk ? 0x80 : 0, 0, 0, 0]);
  return Buffer.concat([header, qname, q, opt]);
}

class Reader {
  constructor(readonly buf: Buffer, public pos = 0) {}
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new MalformedMessage(`${what} runs past the end of the message (${this.buf.length} bytes)`);
  }
  u8(what: string): number { this.need(1, what); return this.buf[this.pos++]!; }
  u16(what: string): number { this.need(2, what); const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v; }
  u32(what: string): number { this.need(4, what); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }

  /**
   * A domain name at the current position. Compression pointers (RFC 1035 §4.1.4) must point
   * backwards, to an earlier name, which also rules out loops; the whole name fits 255 bytes.
   */
  name(what: string): string {
    const labels: string[] = [];
    let pos = this.pos;
    let end: number | null = null;
    let length = 1;
    for (let hops = 0; ; hops++) {
      if (pos >= this.buf.length) throw new MalformedMessage(`${what}: name runs past the end of the message`);
      const len = this.buf[pos]!;
      if (len === 0) { pos += 1; break; }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new MalformedMessage(`${what}: compression pointer cut short`);
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (target >= pos || hops > 127) throw new MalformedMessage(`${what}: compression pointer does not point backwards`);
        end ??= pos + 2;
        pos = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new MalformedMessage(`${what}: unknown label type`);
      if (pos + 1 + len > this.buf.length) throw new MalformedMessage(`${what}: label runs past the end of the message`);
      length += len + 1;
      if (length > 255) throw new MalformedMessage(`${what}: name longer than 255 bytes`);
      labels.push(labelText(this.buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    this.pos = end ?? pos;
    return labels.join('.');
  }
}

function ipv6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups (RFC 5952), so the text matches what people write.
  let best = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i; while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** One resource record; its RDATA must be consumed exactly. Returns null for types we do not read. */
function readRR(r: Reader, where: string): { rr: DnsRR | null; name: string; type: number } {
  const name = r.name(`${where} owner`);
  const type = r.u16(`${where} type`);
  r.u16(`${where} class`);
  const ttl = r.u32(`${where} TTL`);
  const rdlength = r.u16(`${where} RDLENGTH`);
  r.need(rdlength, `${where} RDATA (${rdlength} bytes)`);
  const start = r.pos;
  const end = start + rdlength;
  const rtype = TYPE_NAMES.get(type);
  let rr: DnsRR | null = null;
  const what = `${where} ${rtype ?? `TYPE${type}`} RDATA`;
  switch (rtype) {
    case 'A':
      if (rdlength !== 4) throw new MalformedMessage(`${what}: ${rdlength} bytes, not 4`);
      rr = { name, type: 'A', ttl, data: [...r.buf.subarray(start, end)].join('.') };
      r.pos = end;
      break;
    case 'AAAA':
      if (rdlength !== 16) throw new MalformedMessage(`${what}: ${rdlength} bytes, not 16`);
      rr = { name, type: 'AAAA', ttl, data: ipv6(r.buf.subarray(start, end)) };
      r.pos = end;
      break;
    case 'CNAME': case 'NS': case 'PTR':
      rr = { name, type: rtype, ttl, data: r.name(what) };
      break;
    case 'MX': {
      const preference = r.u16(what);
      rr = { name, type: 'MX', ttl, data: { preference, exchange: r.name(what) } };
      break;
    }
    case 'TXT': case 'SPF': {
      // Zero character-strings is legal (RFC 1035 says one or more, but such records exist and
      // must not break the lookup); each string's length byte must stay inside RDLENGTH.
      const strings: string[] = [];
      while (r.pos < end) {
        const len = r.buf[r.pos]!;
        if (r.pos + 1 + len > end) throw new MalformedMessage(`${what}: a character-string runs past RDLENGTH`);
        strings.push(r.buf.toString('utf8', r.pos + 1, r.pos + 1 + len));
        r.pos += 1 + len;
      }
      rr = { name, type: rtype, ttl, data: strings };
      break;
    }
    case 'SOA': {
      const mname = r.name(what);
      const rname = r.name(what);
      const [serial, refresh, retry, expire, minimum] = [r.u32(what), r.u32(what), r.u32(what), r.u32(what), r.u32(what)];
      rr = { name, type: 'SOA', ttl, data: { mname, rname, serial, refresh, retry, expire, minimum } };
      break;
    }
    case 'DS': {
      if (rdlength < 5) throw new MalformedMessage(`${what}: ${rdlength} bytes, a DS needs at least 5`);
      const keyTag = r.u16(what); const algorithm = r.u8(what); const digestType = r.u8(what);
      rr = { name, type: 'DS', ttl, data: { keyTag, algorithm, digestType, digest: r.buf.toString('hex', r.pos, end) } };
      r.pos = end;
      break;
    }
    case 'DNSKEY': {
      if (rdlength < 5) throw new MalformedMessage(`${what}: ${rdlength} bytes, a DNSKEY needs at least 5`);
      const flags = r.u16(what); const protocol = r.u8(what); const algorithm = r.u8(what);
      rr = { name, type: 'DNSKEY', ttl, data: { flags, protocol, algorithm, publicKey: r.buf.toString('base64', r.pos, end) } };
      r.pos = end;
      break;
    }
    case 'RRSIG': {
      const typeCovered = r.u16(what); const algorithm = r.u8(what); const labels = r.u8(what);
      const originalTtl = r.u32(what); const expiration = r.u32(what); const inception = r.u32(what); const keyTag = r.u16(what);
      // The signer's name is never compressed (RFC 4034 §3.1.7); reading it must stay inside RDATA.
      const signerName = r.name(what);
      if (r.pos >= end) throw new MalformedMessage(`${what}: no signature after the signer's name`);
      rr = { name, type: 'RRSIG', ttl, data: { typeCovered, algorithm, labels, originalTtl, expiration, inception, keyTag, signerName, signature: r.buf.toString('base64', r.pos, end) } };
      r.pos = end;
      break;
    }
    default:
      r.pos = end;
  }
  if (r.pos !== end) throw new MalformedMessage(`${what}: ${r.pos - start} bytes read, RDLENGTH says ${rdlength}`);
  return { rr, name, type };
}

/** Header and question only: enough to tell whether a datagram is the reply to our question. */
export function decodeHeader(buf: Buffer): Pick<Message, 'id' | 'response' | 'opcode' | 'aa' | 'tc' | 'rd' | 'ad' | 'cd' | 'rcode' | 'question'> & { counts: number[]; reader: Reader } {
  const r = new Reader(buf);
  const id = r.u16('header');
  const flags = r.u16('header');
  const counts = [r.u16('header'), r.u16('header'), r.u16('header'), r.u16('header')];
  let question: Message['question'] = null;
  if (counts[0]! > 1) throw new MalformedMessage(`${counts[0]} questions in one reply`);
  if (counts[0] === 1) question = { name: r.name('question'), type: r.u16('question type'), class: r.u16('question class') };
  return {
    id, response: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0, rd: (flags & 0x0100) !== 0, ad: (flags & 0x0020) !== 0, cd: (flags & 0x0010) !== 0, rcode: RCODES[flags & 0xf] ?? `RCODE${flags & 0xf}`,
    question, counts, reader: r,
  };
}

/**
 * The whole message, strictly: every section as its count says, and not one byte more. A reply
 * with TC set may legitimately be cut anywhere after the question (RFC 2181 §9), so its sections
 * are not read: the client asks again over TCP.
 */
export function decodeMessage(buf: Buffer): Message {
  const h = decodeHeader(buf);
  const msg: Message = { id: h.id, response: h.response, opcode: h.opcode, aa: h.aa, tc: h.tc, rd: h.rd, ad: h.ad, cd: h.cd, rcode: h.rcode, question: h.question, answers: [], authorities: [], authorityTypes: [] };
  if (h.tc) return msg;
  const r = h.reader;
  const [, an, ns, ar] = h.counts as [number, number, number, number];
  for (let i = 0; i < an; i++) { const x = readRR(r, `answer ${i + 1}/${an}`); if (x.rr) msg.answers.push(x.rr); }
  for (let i = 0; i < ns; i++) {
    const x = readRR(r, `authority ${i + 1}/${ns}`);
    msg.authorityTypes.push({ name: x.name, type: x.type });
    if (x.rr) msg.authorities.push(x.rr);
  }
  for (let i = 0; i < ar; i++) readRR(r, `additional ${i + 1}/${ar}`);
  if (r.pos !== buf.length) throw new MalformedMessage(`${buf.length - r.pos} bytes left over after the ${an + ns + ar} records the header counts`);
  return msg;
}
