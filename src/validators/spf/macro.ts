/**
 * The client address and macro expansion of RFC 7208 §7, for the check_host() evaluator. Pure apart
 * from `%{p}`, whose value (the client's validated host name) needs DNS and is handed in as a
 * callback so that only a record that uses it pays for the reverse lookups.
 */
import { isIP } from '../../util/ip.js';
import type { DomainSpec, MacroToken } from './parse.js';

export interface ClientIp {
  /** 4 for IPv4 and for IPv4-mapped IPv6 (§5: "MUST still be considered an IPv4 address"). */
  family: 4 | 6;
  /** 4 or 16 octets. */
  bytes: number[];
  /** The readable form (%{c}): dotted quad, or RFC 5952 text for IPv6. */
  text: string;
}

function ipv4Bytes(s: string): number[] | null {
  if (isIP(s) !== 4) return null;
  return s.split('.').map(Number);
}

function ipv6Bytes(s: string): number[] | null {
  if (isIP(s) !== 6) return null;
  let head = s;
  let tail: number[] = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    tail = ipv4Bytes(v4[2]!) ?? [];
    head = v4[1]!.endsWith('::') ? v4[1]! : v4[1]!.slice(0, -1);
  }
  const halves = head.split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - tail.length / 2 - left.length - right.length;
  const groups = [...left, ...Array<string>(halves.length > 1 ? missing : 0).fill('0'), ...right].map((g) => parseInt(g, 16));
  return [...groups.flatMap((g) => [g >> 8, g & 0xff]), ...tail];
}

/** RFC 5952: lower case, no leading zeros, the first longest run of two or more zero groups as "::". */
function ipv6Text(bytes: number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Parse the client address; null when it is not an IPv4 or IPv6 address. */
export function parseClientIp(s: string): ClientIp | null {
  const v4 = ipv4Bytes(s);
  if (v4) return { family: 4, bytes: v4, text: v4.join('.') };
  const v6 = ipv6Bytes(s);
  if (!v6) return null;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  if (mapped) {
    const b = v6.slice(12);
    return { family: 4, bytes: b, text: b.join('.') };
  }
  return { family: 6, bytes: v6, text: ipv6Text(v6) };
}

/** Parse a network address of the given family (as written in ip4:/ip6:); null when it is not one. */
export function networkBytes(s: string, family: 4 | 6): number[] | null {
  return family === 4 ? ipv4Bytes(s) : ipv6Bytes(s);
}

/** True when the first `prefix` bits of `ip` and `network` agree (same length assumed). */
export function inPrefix(ip: number[], network: number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((ip[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * %{i}: the dotted quad, or for IPv6 the 32 nibbles separated by dots. The RFC 7208 suite expects
 * upper-case nibbles in explanations (v-macro-ip6), so they are upper case; DNS does not care.
 */
export function dottedIp(ip: ClientIp): string {
  if (ip.family === 4) return ip.text;
  return ip.bytes.flatMap((b) => [b >> 4, b & 0xf]).map((n) => n.toString(16).toUpperCase()).join('.');
}

/** The name a PTR query for this address asks (x.x.x.x.in-addr.arpa / nibbles.ip6.arpa). */
export function reverseName(ip: ClientIp): string {
  return `${dottedIp(ip).split('.').reverse().join('.')}.${ip.family === 4 ? 'in-addr' : 'ip6'}.arpa`;
}

/** Everything a macro letter can stand for (§7.3). `validatedName` is asked only for %{p}. */
export interface MacroContext {
  ip: ClientIp;
  /** <sender>: local-part@domain (postmaster@… when there was no local part). */
  sender: string;
  local: string;
  senderDomain: string;
  /** The current <domain> (changes through include and redirect). */
  domain: string;
  helo: string;
  receiver: string;
  /** Seconds since the epoch, for %{t}. */
  now: number;
  validatedName: () => Promise<string>;
}

async function letterValue(letter: string, ctx: MacroContext): Promise<string> {
  switch (letter) {
    case 's': return ctx.sender;
    case 'l': return ctx.local;
    case 'o': return ctx.senderDomain;
    case 'd': return ctx.domain;
    case 'i': return dottedIp(ctx.ip);
    case 'p': return ctx.validatedName();
    case 'v': return ctx.ip.family === 4 ? 'in-addr' : 'ip6';
    case 'h': return ctx.helo;
    case 'c': return ctx.ip.text;
    case 'r': return ctx.receiver;
    case 't': return String(ctx.now);
    default: return '';
  }
}

/** §7.3: upper-case macro letters are URL-escaped: everything outside ALPHA DIGIT - . _ ~ as %XX of UTF-8. */
function urlEscape(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/** Split on the delimiters (default "."), reverse, keep the rightmost parts, rejoin with "." (§7.3). */
function transform(value: string, t: Extract<MacroToken, { kind: 'macro' }>): string {
  if (t.keep === null && !t.reverse && t.delimiters === '') return value;
  const delims = t.delimiters === '' ? '.' : t.delimiters;
  let parts = value.split(new RegExp(`[${delims.replace(/[-\\\]^]/g, '\\$&')}]`));
  if (t.reverse) parts = parts.reverse();
  if (t.keep !== null && t.keep < parts.length) parts = parts.slice(parts.length - t.keep);
  return parts.join('.');
}

/** Expand a parsed macro-string (domain-spec or explain-string). */
export async function expandMacros(tokens: readonly MacroToken[], ctx: MacroContext): Promise<string> {
  let out = '';
  for (const t of tokens) {
    if (t.kind !== 'macro') { out += t.text; continue; }
    const value = transform(await letterValue(t.letter, ctx), t);
    out += t.urlEscape ? urlEscape(value) : value;
  }
  return out;
}

/**
 * Expand a domain-spec into the target-name: one trailing dot dropped (§7.3, trailing-dot-domain),
 * and a name over 253 octets cut from the left, whole labels at a time, until it fits.
 */
export async function expandDomain(spec: DomainSpec, ctx: MacroContext): Promise<string> {
  let name = (await expandMacros(spec.tokens, ctx)).replace(/\.$/, '');
  while (name.length > 253 && name.includes('.')) name = name.slice(name.indexOf('.') + 1);
  return name;
}
