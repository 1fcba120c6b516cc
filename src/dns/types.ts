/**
 * The DNS engine's vocabulary. Every DNS question in mailsetup goes through a `Lookup`; outcomes
 * that are not answers (NXDOMAIN, NODATA, SERVFAIL, timeout) are values here, never exceptions, so
 * validators can tell "does not exist" from "could not ask".
 */

export type RRType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'NS' | 'PTR' | 'SOA' | 'TXT' | 'SPF' | 'DS' | 'DNSKEY' | 'RRSIG';

export interface MxData { preference: number; exchange: string }
/** DS (RFC 4034 §5.1): the digest as hex. */
export interface DsData { keyTag: number; algorithm: number; digestType: number; digest: string }
/** DNSKEY (RFC 4034 §2.1): the public key as base64; flags 257 is a key-signing key (SEP bit). */
export interface DnskeyData { flags: number; protocol: number; algorithm: number; publicKey: string }
/** RRSIG (RFC 4034 §3.1): times are seconds since the epoch (serial arithmetic not applied). */
export interface RrsigData {
  typeCovered: number; algorithm: number; labels: number; originalTtl: number;
  expiration: number; inception: number; keyTag: number; signerName: string; signature: string;
}
export interface SoaData {
  mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number;
}

/** One resource record as read from the wire. Names are lower-case, without the trailing dot. */
export type DnsRR =
  | { name: string; type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR'; ttl: number; data: string }
  | { name: string; type: 'MX'; ttl: number; data: MxData }
  /** TXT/SPF: the character-strings of one RR, in order (join them with '' to get the value). */
  | { name: string; type: 'TXT' | 'SPF'; ttl: number; data: string[] }
  | { name: string; type: 'SOA'; ttl: number; data: SoaData }
  | { name: string; type: 'DS'; ttl: number; data: DsData }
  | { name: string; type: 'DNSKEY'; ttl: number; data: DnskeyData }
  | { name: string; type: 'RRSIG'; ttl: number; data: RrsigData };

/**
 * What became of one question.
 * - `answer`: NOERROR with at least one record of the asked type (possibly behind a CNAME chain)
 * - `nodata`: NOERROR, the name exists but has no record of that type (may still carry a CNAME)
 * - `nxdomain`: the name does not exist
 * - `servfail` / `refused` / `timeout` / `error`: the server could not answer; "could not ask"
 *   (`error` also covers a reply that does not decode exactly: bytes missing or left over)
 * - `lame`: the server answered but is not authoritative for the name — a referral, or (to a
 *   non-recursive question) a reply without the AA bit; its "nothing here" means nothing
 */
export type Outcome = 'answer' | 'nodata' | 'nxdomain' | 'servfail' | 'refused' | 'timeout' | 'error' | 'lame';

export interface DnsAnswer {
  name: string;
  type: RRType;
  /** The server asked (`ip:port`), or a label such as `memory` for in-process lookups. */
  server: string;
  outcome: Outcome;
  /** Authoritative Answer bit of the reply. */
  aa: boolean;
  /** Authentic Data bit (RFC 4035 §3.2.3): a validating resolver vouches for the answer. Absent when not read. */
  ad?: boolean;
  /** RRSIG records met in the answer section (asked with DO), whatever they cover. */
  signatures?: number;
  /** Records of the asked type, at `name` or at the end of its CNAME chain. */
  records: DnsRR[];
  /** CNAME records met on the way, in chain order. */
  cnames: DnsRR[];
  /** Negative-caching TTL (RFC 2308: min of SOA TTL and SOA MINIMUM) for nxdomain/nodata. */
  negativeTtl: number | null;
  /** Human-readable reason for servfail/refused/timeout/error. */
  error?: string;
}

/** DNSSEC bits of a question: DO (RFC 3225) asks for signatures, CD (RFC 4035 §3.2.2) disables validation. */
export interface DnssecFlags { dnssecOk?: boolean; checkingDisabled?: boolean }

/** Ask one question. Implementations never throw for DNS-level failures; they return an outcome. */
export type Lookup = (name: string, type: RRType) => Promise<DnsAnswer>;

/** True when the outcome means "the server gave no usable answer" (not "there is nothing"). */
export function isFailure(a: DnsAnswer): boolean {
  return a.outcome === 'servfail' || a.outcome === 'refused' || a.outcome === 'timeout' || a.outcome === 'error' || a.outcome === 'lame';
}

/** The TXT values of an answer, each RR's strings joined as RFC 7208 §3.3 / RFC 6376 §3.6.2.2 say. */
export function txtValues(a: DnsAnswer): string[] {
  return a.records.flatMap((r) => (r.type === 'TXT' || r.type === 'SPF' ? [r.data.join('')] : []));
}
