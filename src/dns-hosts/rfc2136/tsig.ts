/**
 * TSIG (RFC 8945) for RFC 2136 updates: parse the key from MAILSETUP_TSIG_KEY (the `nsupdate -y`
 * form), sign a finished message, and check the server's signed reply. `dns-packet` has no TSIG
 * codec, so the RR is built and read here by hand; layout and behaviour were checked against BIND
 * 9.18 (registrars.md §4.2). The secret never leaves this module in any message.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as packet from 'dns-packet';
import { MailsetupError } from '../../errors.js';

export const TSIG_ENV = 'MAILSETUP_TSIG_KEY';
const TYPE_TSIG = 250;
const CLASS_ANY = 255;
export const FUDGE = 300;

/** TSIG error codes (RFC 8945 §3, §5.3). */
export const TSIG_ERROR = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

const HASHES = {
  'hmac-sha256': 'sha256', 'hmac-sha512': 'sha512', 'hmac-sha384': 'sha384', 'hmac-sha224': 'sha224', 'hmac-sha1': 'sha1',
} as const;
export type TsigAlgorithm = keyof typeof HASHES;

export interface TsigKey {
  algorithm: TsigAlgorithm;
  /** Key name, lower-case, without the trailing dot. */
  name: string;
  secret: Buffer;
}

const nameCodec = packet as unknown as { name: { encode(n: string): Buffer; decode(b: Buffer, o: number): string } };
/** Canonical wire form: lower-case, uncompressed (RFC 8945 §4.3.3). */
const wireName = (n: string): Buffer => nameCodec.name.encode(n.toLowerCase());

const FORM = 'hmac-sha256:<key name>:<base64 secret>';
const keyHint = `Set ${TSIG_ENV}=${FORM}, the nsupdate -y form (tsig-keygen prints the name and secret). hmac-sha512, hmac-sha384, hmac-sha224 and hmac-sha1 work too.`;

/** Parse `algorithm:name:secret`. Never echoes the value: it holds the secret. */
export function parseTsigKey(raw: string | undefined): TsigKey {
  const value = raw?.trim() ?? '';
  if (value === '') throw new MailsetupError('PROVIDER_AUTH', `RFC 2136 updates are signed with a TSIG key, and ${TSIG_ENV} is not set`, { hint: keyHint });
  const parts = value.split(':');
  if (parts.length !== 3) {
    throw new MailsetupError('PROVIDER_AUTH', `${TSIG_ENV} is not in the form ${FORM} (it has ${parts.length} colon-separated parts, 3 are needed)`, { hint: keyHint });
  }
  const [alg, name, secret] = parts as [string, string, string];
  const algorithm = alg.toLowerCase().replace(/\.$/, '');
  if (!(algorithm in HASHES)) {
    throw new MailsetupError('PROVIDER_AUTH', `${TSIG_ENV} names an algorithm mailsetup does not support (${alg.slice(0, 30)}); use hmac-sha256`, { hint: keyHint });
  }
  const keyName = name.toLowerCase().replace(/\.$/, '');
  if (keyName === '' || !/^[a-z0-9_.-]+$/.test(keyName)) throw new MailsetupError('PROVIDER_AUTH', `${TSIG_ENV} has an empty or invalid key name`, { hint: keyHint });
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) || secret.length % 4 !== 0) {
    throw new MailsetupError('PROVIDER_AUTH', `the secret in ${TSIG_ENV} (key ${keyName}) is not valid base64`, { hint: keyHint });
  }
  return { algorithm: algorithm as TsigAlgorithm, name: keyName, secret: Buffer.from(secret, 'base64') };
}

function u48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(seconds / 2 ** 32), 0);
  b.writeUInt32BE(seconds % 2 ** 32, 2);
  return b;
}
function u16(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; }

interface TsigFields { algorithm: string; timeSigned: number; fudge: number; error: number; other: Buffer }

/** The TSIG variables of RFC 8945 §4.3.3 that follow the message in the MAC input. */
function variables(keyName: string, f: TsigFields): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(CLASS_ANY, 0); // class; TTL 0 follows
  return Buffer.concat([wireName(keyName), head, wireName(f.algorithm), u48(f.timeSigned), u16(f.fudge), u16(f.error), u16(f.other.length), f.other]);
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(HASHES[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

export interface SignedMessage { message: Buffer; mac: Buffer; id: number }

/** Append a TSIG RR to a finished message (ID final, ARCOUNT without the TSIG). */
export function signMessage(unsigned: Buffer, key: TsigKey, timeSigned = Math.floor(Date.now() / 1000)): SignedMessage {
  const id = unsigned.readUInt16BE(0);
  const fields: TsigFields = { algorithm: key.algorithm, timeSigned, fudge: FUDGE, error: 0, other: Buffer.alloc(0) };
  const mac = hmac(key, [unsigned, variables(key.name, fields)]);
  const rdata = Buffer.concat([wireName(key.algorithm), u48(timeSigned), u16(FUDGE), u16(mac.length), mac, u16(id), u16(0), u16(0)]);
  const header = Buffer.alloc(10);
  header.writeUInt16BE(TYPE_TSIG, 0);
  header.writeUInt16BE(CLASS_ANY, 2);
  header.writeUInt32BE(0, 4);
  header.writeUInt16BE(rdata.length, 8);
  const message = Buffer.concat([unsigned, wireName(key.name), header, rdata]);
  message.writeUInt16BE(unsigned.readUInt16BE(10) + 1, 10);
  return { message, mac, id };
}

/** Offset just past a (possibly compressed) name. */
function skipName(buf: Buffer, offset: number): number {
  let o = offset;
  for (;;) {
    const len = buf[o];
    if (len === undefined) throw new Error('truncated name');
    if (len === 0) return o + 1;
    if ((len & 0xc0) === 0xc0) return o + 2;
    o += 1 + len;
  }
}

interface FoundTsig extends TsigFields { offset: number; keyName: string; mac: Buffer; originalId: number }

/** The TSIG RR when it is the last RR of the message, with its offset. */
function findTsig(buf: Buffer): FoundTsig | null {
  const qd = buf.readUInt16BE(4);
  const rrs = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  let o = 12;
  for (let i = 0; i < qd; i++) o = skipName(buf, o) + 4;
  let last = -1;
  for (let i = 0; i < rrs; i++) {
    last = o;
    o = skipName(buf, o);
    o += 10 + buf.readUInt16BE(o + 8);
  }
  if (last < 0) return null;
  const rdStart = skipName(buf, last);
  if (buf.readUInt16BE(rdStart) !== TYPE_TSIG) return null;
  let r = rdStart + 10;
  const algorithm = nameCodec.name.decode(buf, r);
  r = skipName(buf, r);
  const timeSigned = buf.readUInt16BE(r) * 2 ** 32 + buf.readUInt32BE(r + 2);
  const fudge = buf.readUInt16BE(r + 6);
  const macSize = buf.readUInt16BE(r + 8);
  const mac = buf.subarray(r + 10, r + 10 + macSize);
  r += 10 + macSize;
  const originalId = buf.readUInt16BE(r);
  const error = buf.readUInt16BE(r + 2);
  const otherLen = buf.readUInt16BE(r + 4);
  const other = buf.subarray(r + 6, r + 6 + otherLen);
  return { offset: last, keyName: nameCodec.name.decode(buf, last), algorithm, timeSigned, fudge, error, other, mac, originalId };
}

export interface TsigCheck {
  /** false: the reply carried no TSIG RR at all. */
  present: boolean;
  /** TSIG error (0, BADSIG, BADKEY, BADTIME …). */
  error: number;
  /** The MAC verified against our key and request MAC (false for BADSIG/BADKEY, which carry none). */
  verified: boolean;
  /** BADTIME: the server's clock (Other Data), in Unix seconds. */
  serverTime: number | null;
}

/** Check a reply's TSIG (RFC 8945 §5.3, §4.3.1): MAC over request MAC, reply without TSIG, variables. */
export function verifyReply(reply: Buffer, key: TsigKey, requestMac: Buffer, now = Math.floor(Date.now() / 1000)): TsigCheck {
  let t: FoundTsig | null;
  try { t = findTsig(reply); } catch { t = null; }
  if (!t) return { present: false, error: 0, verified: false, serverTime: null };
  const serverTime = t.error === TSIG_ERROR.BADTIME && t.other.length === 6 ? t.other.readUInt16BE(0) * 2 ** 32 + t.other.readUInt32BE(2) : null;
  if (t.mac.length === 0 || t.keyName.toLowerCase() !== key.name || t.algorithm.toLowerCase() !== key.algorithm) {
    return { present: true, error: t.error, verified: false, serverTime };
  }
  const stripped = Buffer.from(reply.subarray(0, t.offset));
  stripped.writeUInt16BE(t.originalId, 0);
  stripped.writeUInt16BE(stripped.readUInt16BE(10) - 1, 10);
  const expected = hmac(key, [u16(requestMac.length), requestMac, stripped, variables(key.name, t)]);
  const minLength = Math.max(10, expected.length / 2);
  const macOk = t.mac.length >= minLength && t.mac.length <= expected.length && timingSafeEqual(t.mac, expected.subarray(0, t.mac.length));
  // RFC 8945 §5.4.3: a signed reply from outside the fudge window is a clock problem too.
  const timeOk = Math.abs(now - t.timeSigned) <= t.fudge;
  return { present: true, error: macOk && !timeOk && t.error === 0 ? TSIG_ERROR.BADTIME : t.error, verified: macOk, serverTime: timeOk ? serverTime : serverTime ?? t.timeSigned };
}
