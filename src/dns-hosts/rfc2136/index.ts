/**
 * The RFC 2136 writer: self-hosted DNS (BIND, Knot, PowerDNS …) updated by TSIG-signed dynamic
 * UPDATE messages (key MAILSETUP_TSIG_KEY) sent to the zone's primary: MAILSETUP_RFC2136_SERVER, or
 * when that is unset the zone's SOA MNAME, found through the run's own DNS lookups. Reads are plain
 * non-recursive queries over TCP to the same server — one ANY query per name, so every type is seen.
 * One apply is one UPDATE (update.ts): all changes or none, each name re-read first and pinned again
 * by prerequisites up to the write itself. No npm package
 * does UPDATE + TSIG (registrars.md §4.3), so update.ts and tsig.ts build and sign the messages.
 */
import { randomInt } from 'node:crypto';
import { lookup as systemLookup } from 'node:dns/promises';
import * as packet from 'dns-packet';
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { formatServer, parseServer } from '../../dns/wire.js';
import { emptyReport } from '../apply.js';
import { byName, hostConflict, nameOf, pinDiff, pinKey, pinnable } from '../pin.js';
import type { ApplyReport, DnsHostWriter, HostChange, HostContext, HostFactory, HostRecord, HostZone } from '../types.js';
import { parseTsigKey, signMessage, TSIG_ENV, TSIG_ERROR, verifyReply } from './tsig.js';
import type { TsigKey } from './tsig.js';
import { buildUpdate, encodeUpdate, exchangeTcp, PREREQ_RCODES, probeSpec, RCODE, RCODE_NAME, rcodeOf } from './update.js';
import type { Endpoint, UpdateSpec } from './update.js';

export const SERVER_ENV = 'MAILSETUP_RFC2136_SERVER';

interface Config { server: Endpoint; key: TsigKey }

/** `host[:port]` from MAILSETUP_RFC2136_SERVER: an IP address, or a host name resolved once here. */
async function resolveServer(spec: string): Promise<Endpoint> {
  const hint = `Set ${SERVER_ENV}=host[:port], the zone's primary server (e.g. 192.0.2.53 or ns1.example.com:5353).`;
  const ip = parseServer(spec);
  if (ip) return { host: ip.host, port: ip.port, label: formatServer(ip), spec: formatServer(ip) };
  const m = /^([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)\.?(?::(\d{1,5}))?$/i.exec(spec);
  const port = Number(m?.[2] ?? 53);
  if (!m || port < 1 || port > 65535) throw new MailsetupError('USAGE', `${SERVER_ENV} is not host[:port]: ${spec.slice(0, 100)}`, { hint });
  try {
    const { address, family } = await systemLookup(m[1]!);
    const resolved = { host: address, port, family: family as 4 | 6 };
    return { host: address, port, label: `${m[1]} (${formatServer(resolved)})`, spec: formatServer(resolved) };
  } catch (e) {
    throw new MailsetupError('DNS_UNAVAILABLE', `could not resolve ${m[1]} from ${SERVER_ENV}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint });
  }
}

/** One non-recursive question over TCP, one attempt within `timeoutMs`; the decoded reply. */
async function ask(server: Endpoint, name: string, type: string, timeoutMs: number): Promise<packet.Packet & { rcode?: string }> {
  const message = packet.encode({ type: 'query', id: randomInt(0, 65536), flags: 0, questions: [{ type: type as packet.RecordType, name, class: 'IN' }] });
  const reply = await exchangeTcp(server, message, timeoutMs, 'query');
  try {
    return packet.decode(reply) as packet.Packet & { rcode?: string };
  } catch {
    throw new MailsetupError('DNS_UNAVAILABLE', `${server.label} sent an unreadable answer for ${type} ${name}`);
  }
}

/** A record of any type as read, its RDATA kept (base64, with RDLENGTH) for value-dependent prerequisites. */
function toHostRecord(a: packet.Answer): HostRecord | null {
  if (!('data' in a) || a.data === undefined) return null;
  const raw = (packet as unknown as { record(t: string): { encode(d: unknown): Buffer } }).record(a.type).encode(a.data).toString('base64');
  const base = { type: a.type, name: normaliseName(a.name), priority: null, ttl: a.ttl ?? null, raw };
  const d = a.data as unknown;
  if (a.type === 'TXT') return { ...base, value: (d as Buffer[]).map((b) => Buffer.from(b).toString('utf8')).join('') };
  if (a.type === 'MX') { const mx = d as { preference: number; exchange: string }; return { ...base, value: normaliseName(mx.exchange), priority: mx.preference }; }
  if (typeof d === 'string') return { ...base, value: ['CNAME', 'NS', 'PTR', 'DNAME'].includes(a.type) ? normaliseName(d) : d };
  if (Buffer.isBuffer(d)) return { ...base, value: d.toString('hex') };
  return { ...base, value: JSON.stringify(d, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v)) };
}

/** Types asked one by one when a server answers ANY minimally (RFC 8482). */
const FALLBACK_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'CAA', 'PTR', 'NAPTR', 'TLSA', 'DNAME'];

function tsigFailure(error: number, key: TsigKey, server: string, serverTime: number | null, ourTime: number): MailsetupError {
  const hint = `Check ${TSIG_ENV}: it must be the algorithm, name and secret of a key the server has (named.conf "key" and update-policy/allow-update).`;
  switch (error) {
    case TSIG_ERROR.BADSIG:
      return new MailsetupError('PROVIDER_AUTH', `${server} rejected the TSIG signature (BADSIG): the secret in ${TSIG_ENV} does not match its key "${key.name}"`, { hint });
    case TSIG_ERROR.BADKEY:
      return new MailsetupError('PROVIDER_AUTH', `${server} does not know the TSIG key "${key.name}" with algorithm ${key.algorithm} (BADKEY), from ${TSIG_ENV}`, { hint });
    case TSIG_ERROR.BADTIME: {
      const d = serverTime === null ? 0 : ourTime - serverTime;
      const skew = serverTime === null ? '' : `; this machine's clock is ${Math.abs(d)} s ${d < 0 ? 'behind' : 'ahead of'} the server's`;
      return new MailsetupError('PROVIDER_AUTH', `${server} rejected the TSIG time (BADTIME): the clocks differ by more than 300 s${skew}. The key in ${TSIG_ENV} itself may be fine`, {
        hint: 'Fix this machine\'s clock (enable NTP, e.g. `timedatectl set-ntp true`), or the server\'s, and try again.',
      });
    }
    default:
      return new MailsetupError('PROVIDER_AUTH', `${server} answered with TSIG error ${error} for key "${key.name}" (${TSIG_ENV})`, { hint });
  }
}

/** Send one signed UPDATE; TSIG problems throw PROVIDER_AUTH, otherwise the RCODE comes back. */
export async function sendSigned(server: Endpoint, key: TsigKey, spec: UpdateSpec, timeoutMs: number, now?: number): Promise<number> {
  const time = now ?? Math.floor(Date.now() / 1000);
  const signed = signMessage(encodeUpdate(randomInt(0, 65536), spec), key, time);
  const reply = await exchangeTcp(server, signed.message, timeoutMs);
  const tsig = verifyReply(reply, key, signed.mac, time);
  if (tsig.error !== 0) throw tsigFailure(tsig.error, key, server.label, tsig.serverTime, time);
  const rcode = rcodeOf(reply);
  if (tsig.present && !tsig.verified) {
    throw new MailsetupError('PROVIDER_AUTH', `the reply from ${server.label} failed TSIG verification with key "${key.name}" (${TSIG_ENV}); it cannot be trusted`, {
      hint: 'Check that the secret matches the server\'s and that nothing between here and the server rewrites DNS.',
    });
  }
  if (!tsig.present && rcode === RCODE.NOERROR) {
    throw new MailsetupError('PROVIDER_AUTH', `${server.label} answered without a TSIG signature, so its answer cannot be trusted (key "${key.name}" from ${TSIG_ENV})`, {
      hint: 'The server may not have this key configured; check its key and update-policy.',
    });
  }
  return rcode;
}


/** Turn a failed RCODE (other than a failed prerequisite) into the error the user needs. */
function rcodeError(rcode: number, what: string, zone: string, config: Config): MailsetupError {
  const name = RCODE_NAME[rcode] ?? `RCODE ${rcode}`;
  const server = config.server.label;
  switch (rcode) {
    case RCODE.REFUSED:
      return new MailsetupError('PROVIDER_AUTH', `${server} refused ${what} (REFUSED): the key "${config.key.name}" in ${TSIG_ENV} is not allowed to make this change in ${zone}, or the server's own checks rejected a record`, {
        hint: 'Grant the key the TXT, CNAME and MX types in the zone\'s update-policy (e.g. `grant <key> zonesub TXT CNAME MX;`). If it has them, the server log says which check failed (BIND: an in-zone MX target needs an address record).',
      });
    case RCODE.NOTAUTH:
      return new MailsetupError('PROVIDER_AUTH', `${server} is not authoritative for ${zone} or does not accept the key "${config.key.name}" from ${TSIG_ENV} for it (NOTAUTH)`, {
        hint: `Point ${SERVER_ENV} at the zone's primary server and check that it has this key.`,
      });
    case RCODE.NOTIMP:
      return new MailsetupError('PROVIDER_UNSUPPORTED', `${server} does not implement dynamic updates (NOTIMP)`, { hint: `Point ${SERVER_ENV} at a primary that accepts RFC 2136 updates.` });
    case RCODE.SERVFAIL:
      return new MailsetupError('DNS_UNAVAILABLE', `${server} failed while applying ${what} (SERVFAIL)`, { hint: 'Check the server\'s log, then run autoconfig again.' });
    default:
      return new MailsetupError('INTERNAL', `${server} answered ${name} to ${what} in ${zone}`);
  }
}

const ZONE_HINT = `Set ${SERVER_ENV}=host[:port] to the zone's primary, or make sure the zone's SOA MNAME resolves.`;

class Rfc2136Writer implements DnsHostWriter {
  readonly id = 'rfc2136' as const;
  readonly capabilities = { proxy: false, rrsetWrites: false, minTtl: 0, atomicBatch: true };
  private key: TsigKey | null = null;
  /** Where updates and reads go: the variable, or the MNAME of the zone findZone found. */
  private server: Promise<Endpoint> | null = null;

  constructor(private readonly ctx: HostContext) {}

  /** Read lazily, so a missing key surfaces as an error of the first call, not of the factory. */
  private tsig(): TsigKey {
    this.key ??= parseTsigKey(this.ctx.env[TSIG_ENV]);
    return this.key;
  }

  private async config(): Promise<Config> {
    const key = this.tsig();
    const spec = this.ctx.env[SERVER_ENV]?.trim() ?? '';
    if (spec !== '') this.server ??= resolveServer(spec);
    if (!this.server) throw new MailsetupError('USAGE', `the RFC 2136 writer has no server: ${SERVER_ENV} is not set and no zone was looked up yet`, { hint: ZONE_HINT });
    return { key, server: await this.server };
  }

  /** The zone holding `name` and its primary (SOA MNAME) through the run's recursive lookups. */
  private async zoneByMname(name: string): Promise<{ zone: string; server: Endpoint }> {
    const lookup = this.ctx.lookup;
    if (!lookup) throw new MailsetupError('USAGE', `the RFC 2136 writer needs the server to send updates to, and ${SERVER_ENV} is not set`, { hint: ZONE_HINT });
    const labels = normaliseName(name).split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const candidate = labels.slice(i).join('.');
      const a = await lookup(candidate, 'SOA');
      if (a.outcome === 'timeout' || a.outcome === 'error' || a.outcome === 'servfail' || a.outcome === 'refused') {
        throw new MailsetupError('DNS_UNAVAILABLE', `could not look up the SOA of ${candidate} (${a.outcome}${a.error ? `: ${a.error}` : ''}) to find the zone's primary`, { hint: ZONE_HINT });
      }
      const soa = a.records.find((r) => r.type === 'SOA' && r.name === candidate);
      if (!soa || soa.type !== 'SOA') continue;
      const mname = normaliseName(soa.data.mname);
      const addr = [...(await lookup(mname, 'A')).records, ...(await lookup(mname, 'AAAA')).records].find((r) => r.type === 'A' || r.type === 'AAAA');
      if (!addr || (addr.type !== 'A' && addr.type !== 'AAAA')) {
        throw new MailsetupError('DNS_UNAVAILABLE', `the SOA of ${candidate} names ${mname} as its primary, and ${mname} has no address`, { hint: ZONE_HINT });
      }
      // --authoritative tells where the zone's servers answer; a port given there for this address is the one to use.
      const given = (this.ctx.authoritative ?? []).map((x) => parseServer(x)).find((x) => x?.host === addr.data);
      const at = { host: addr.data, port: given?.port ?? 53, family: (addr.type === 'A' ? 4 : 6) as 4 | 6 };
      return { zone: candidate, server: { host: at.host, port: at.port, label: `${mname} (${formatServer(at)}, the SOA MNAME of ${candidate})`, spec: formatServer(at) } };
    }
    throw new MailsetupError('DOMAIN_NOT_FOUND', `no zone holding ${normaliseName(name)} was found (no SOA on the way up)`, { hint: ZONE_HINT });
  }

  async findZone(name: string): Promise<HostZone> {
    const key = this.tsig();
    let zone: string | null = null;
    if ((this.ctx.env[SERVER_ENV]?.trim() ?? '') === '') {
      const found = await this.zoneByMname(name);
      this.server = Promise.resolve(found.server);
      zone = found.zone;
    }
    const config = await this.config();
    if (zone === null) {
      const labels = normaliseName(name).split('.');
      for (let i = 0; i < labels.length && zone === null; i++) {
        const candidate = labels.slice(i).join('.');
        const a = await ask(config.server, candidate, 'SOA', this.ctx.timeoutMs);
        if (a.flags !== undefined && (a.flags & 0x0400) !== 0 && (a.answers ?? []).some((r) => r.type === 'SOA' && normaliseName(r.name) === candidate)) zone = candidate;
      }
      if (zone === null) {
        throw new MailsetupError('DOMAIN_NOT_FOUND', `${config.server.label} is not authoritative for any zone holding ${normaliseName(name)}`, {
          hint: `Point ${SERVER_ENV} at the primary server of the zone.`,
        });
      }
    }
    // Prove the key (and the server's willingness to take updates) now, before a plan is shown.
    const rcode = await sendSigned(config.server, key, probeSpec(zone), this.ctx.timeoutMs);
    if (rcode !== RCODE.NOERROR) throw rcodeError(rcode, 'an update that changes nothing (a key check)', zone, config);
    this.ctx.debug?.(`rfc2136: ${config.server.label} serves ${zone} and accepts key ${config.key.name}`);
    return { name: zone, id: zone };
  }

  /** Every record at `name`, all types (but the server's own SOA/DNSSEC bookkeeping). */
  private async at(server: Endpoint, name: string): Promise<HostRecord[]> {
    const read = async (type: string) => {
      const a = await ask(server, name, type, this.ctx.timeoutMs);
      const rcode = a.rcode ?? 'NOERROR';
      if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') {
        throw new MailsetupError('DNS_UNAVAILABLE', `could not read ${type} ${name} from ${server.label} (${rcode})`, { hint: `Check ${SERVER_ENV} and that the server answers queries for the zone.` });
      }
      return (a.answers ?? []).filter((r) => normaliseName(r.name) === name);
    };
    let answers = await read('ANY');
    // RFC 8482: a server may answer ANY with one synthesized HINFO; then ask the usual types one by one.
    if (answers.length === 1 && answers[0]!.type === 'HINFO' && /rfc ?8482/i.test(JSON.stringify(answers[0]!.data))) {
      answers = (await Promise.all(FALLBACK_TYPES.map(read))).flat().filter((r) => r.type !== 'HINFO' || !/rfc ?8482/i.test(JSON.stringify(r.data)));
    }
    return pinnable(answers.map(toHostRecord).filter((r): r is HostRecord => r !== null));
  }

  async listRecords(_zone: HostZone, names: string[]): Promise<HostRecord[]> {
    const { server } = await this.config();
    const wanted = [...new Set(names.map(normaliseName))];
    return (await Promise.all(wanted.map((n) => this.at(server, n)))).flat();
  }

  async apply(zone: HostZone, changes: HostChange[]): Promise<ApplyReport> {
    if (changes.length === 0) return emptyReport();
    const stopped = (error: unknown): ApplyReport => ({ ...emptyReport(), failed: { change: changes[0]!, error: error instanceof Error ? error : new Error(String(error)) }, skipped: changes.slice(1) });
    // An update must replace a record the plan saw at its name; else the plan is not this zone's.
    const unseen = changes.filter((c) => c.kind === 'update' && !pinnable(c.seen).some((r) => pinKey(r) === pinKey(c.from)));
    if (unseen.length > 0) {
      const names = new Set(unseen.map(nameOf));
      const report = emptyReport();
      for (const change of changes) {
        if (names.has(nameOf(change))) report.conflicts.push({ change, error: hostConflict(nameOf(change), null, 'the record to replace was not there when the plan was made') });
        else report.skipped.push(change);
      }
      return report;
    }
    let config: Config;
    let spec: UpdateSpec;
    let rcode: number;
    try {
      config = await this.config();
      // Re-read every name (ANY: all types) first: the prerequisites cannot say "no type other than
      // these" at a name in use, so this read is what catches an unusual type appearing there.
      const refused = new Map<string, MailsetupError>();
      for (const [name, at] of byName(changes)) {
        const diff = pinDiff(at[0]!.seen, await this.at(config.server, name));
        if (diff) refused.set(name, hostConflict(name, diff));
      }
      if (refused.size > 0) {
        const report = emptyReport();
        for (const change of changes) {
          const error = refused.get(nameOf(change));
          if (error) report.conflicts.push({ change, error }); else report.skipped.push(change);
        }
        return report;
      }
      spec = buildUpdate(zone.name, changes);
      rcode = await sendSigned(config.server, config.key, spec, this.ctx.timeoutMs);
    } catch (e) {
      return stopped(e);
    }
    this.ctx.debug?.(`rfc2136: one UPDATE, ${spec.prerequisites.length} prerequisites, ${spec.updates.length} updates → ${RCODE_NAME[rcode] ?? rcode}`);
    if (rcode === RCODE.NOERROR) return { ...emptyReport(), applied: changes };
    if (!PREREQ_RCODES.has(rcode)) return stopped(rcodeError(rcode, `the update of ${changes.length} record(s)`, zone.name, config));
    // A prerequisite failed: nothing was written. Re-read each name to say which changed.
    const report = emptyReport();
    const why = `the server's prerequisite check failed (${RCODE_NAME[rcode]})`;
    const stale = new Map<string, MailsetupError>();
    for (const [name, at] of byName(changes)) {
      const now = await this.at(config.server, name).catch(() => null);
      const diff = now === null ? null : pinDiff(at[0]!.seen, now);
      if (now === null || diff) stale.set(name, hostConflict(name, diff, why));
    }
    // Changed and changed back, or a type the re-read cannot tell: every name is in doubt.
    if (stale.size === 0) for (const name of byName(changes).keys()) stale.set(name, hostConflict(name, null, why));
    for (const change of changes) {
      const error = stale.get(nameOf(change));
      if (error) report.conflicts.push({ change, error }); else report.skipped.push(change);
    }
    return report;
  }
}

export const createRfc2136Writer: HostFactory = async (ctx) => new Rfc2136Writer(ctx);
