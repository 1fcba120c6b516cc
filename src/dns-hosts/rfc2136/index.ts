/**
 * The RFC 2136 writer: self-hosted DNS (BIND, Knot, PowerDNS …) updated by TSIG-signed dynamic
 * UPDATE messages sent to the zone's primary (MAILSETUP_RFC2136_SERVER, key MAILSETUP_TSIG_KEY).
 * Reads are plain non-recursive queries to the same server (src/dns/wire.ts). No npm package does
 * UPDATE + TSIG (registrars.md §4.3), so update.ts and tsig.ts build and sign the messages.
 */
import { randomInt } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import type { DnsAnswer, DnsRR, RRType } from '../../dns/types.js';
import { formatServer, parseServer, query } from '../../dns/wire.js';
import { applySequentially } from '../apply.js';
import type { ApplyReport, DnsHostWriter, HostChange, HostContext, HostFactory, HostRecord, HostZone } from '../types.js';
import { parseTsigKey, signMessage, TSIG_ENV, TSIG_ERROR, verifyReply } from './tsig.js';
import type { TsigKey } from './tsig.js';
import {
  changeSpec, encodeUpdate, exchangeTcp, probeSpec, RCODE, RCODE_NAME, rcodeOf, conflictError,
} from './update.js';
import type { CurrentRRset, Endpoint, MailType, Rdata, UpdateSpec } from './update.js';

export const SERVER_ENV = 'MAILSETUP_RFC2136_SERVER';
const MAIL_TYPES: readonly MailType[] = ['TXT', 'CNAME', 'MX'];

interface Config { server: Endpoint; key: TsigKey }

/** `host[:port]`: an IP address as `query` takes it, or a host name resolved once here. */
async function resolveServer(env: NodeJS.ProcessEnv): Promise<Endpoint> {
  const spec = env[SERVER_ENV]?.trim() ?? '';
  const hint = `Set ${SERVER_ENV}=host[:port], the zone's primary server (e.g. 192.0.2.53 or ns1.example.com:5353).`;
  if (spec === '') throw new MailsetupError('USAGE', `the RFC 2136 writer needs the server to send updates to, and ${SERVER_ENV} is not set`, { hint });
  const ip = parseServer(spec);
  if (ip) return { host: ip.host, port: ip.port, label: formatServer(ip), spec: formatServer(ip) };
  const m = /^([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)\.?(?::(\d{1,5}))?$/i.exec(spec);
  const port = Number(m?.[2] ?? 53);
  if (!m || port < 1 || port > 65535) throw new MailsetupError('USAGE', `${SERVER_ENV} is not host[:port]: ${spec.slice(0, 100)}`, { hint });
  try {
    const { address, family } = await lookup(m[1]!);
    const resolved = { host: address, port, family: family as 4 | 6 };
    return { host: address, port, label: `${m[1]} (${formatServer(resolved)})`, spec: formatServer(resolved) };
  } catch (e) {
    throw new MailsetupError('DNS_UNAVAILABLE', `could not resolve ${m[1]} from ${SERVER_ENV}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint });
  }
}

async function loadConfig(env: NodeJS.ProcessEnv): Promise<Config> {
  const key = parseTsigKey(env[TSIG_ENV]);
  return { key, server: await resolveServer(env) };
}

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

const PREREQ_FAILED: Record<number, string> = {
  [RCODE.YXDOMAIN]: 'the name holds records now',
  [RCODE.YXRRSET]: 'the RRset exists now',
  [RCODE.NXRRSET]: 'the RRset is no longer as read',
  [RCODE.NXDOMAIN]: 'the name no longer exists',
};

/** Turn a failed RCODE into the error the user needs. */
function rcodeError(rcode: number, what: string, zone: string, config: Config): MailsetupError {
  const name = RCODE_NAME[rcode] ?? `RCODE ${rcode}`;
  const server = config.server.label;
  switch (rcode) {
    case RCODE.YXRRSET: case RCODE.NXRRSET: case RCODE.YXDOMAIN: case RCODE.NXDOMAIN:
      return conflictError(what, `the server's prerequisite check failed (${name}): ${PREREQ_FAILED[rcode]}`);
    case RCODE.REFUSED:
      return new MailsetupError('PROVIDER_AUTH', `${server} refused the update of ${what} (REFUSED): the key "${config.key.name}" in ${TSIG_ENV} is not allowed to make this change in ${zone}, or the server's own checks rejected the record`, {
        hint: 'Grant the key the TXT, CNAME and MX types in the zone\'s update-policy (e.g. `grant <key> zonesub TXT CNAME MX;`). If it has them, the server log says which check failed (BIND: an in-zone MX target needs an address record).',
      });
    case RCODE.NOTAUTH:
      return new MailsetupError('PROVIDER_AUTH', `${server} is not authoritative for ${zone} or does not accept the key "${config.key.name}" from ${TSIG_ENV} for it (NOTAUTH)`, {
        hint: `Point ${SERVER_ENV} at the zone's primary server and check that it has this key.`,
      });
    case RCODE.NOTIMP:
      return new MailsetupError('PROVIDER_UNSUPPORTED', `${server} does not implement dynamic updates (NOTIMP)`, { hint: `Point ${SERVER_ENV} at a primary that accepts RFC 2136 updates.` });
    case RCODE.SERVFAIL:
      return new MailsetupError('DNS_UNAVAILABLE', `${server} failed while updating ${what} (SERVFAIL)`, { hint: 'Check the server\'s log, then run autoconfig again.' });
    default:
      return new MailsetupError('INTERNAL', `${server} answered ${name} to the update of ${what} in ${zone}`);
  }
}

function readFailure(a: DnsAnswer, server: string): MailsetupError {
  return new MailsetupError('DNS_UNAVAILABLE', `could not read ${a.type} ${a.name} from ${server} (${a.outcome}${a.error ? `: ${a.error}` : ''})`, {
    hint: `Check ${SERVER_ENV} and that the server answers queries for the zone.`,
  });
}

const isFailed = (a: DnsAnswer) => a.outcome !== 'answer' && a.outcome !== 'nodata' && a.outcome !== 'nxdomain';

function toRdata(r: DnsRR): Rdata | null {
  if (r.type === 'TXT') return { type: 'TXT', strings: r.data };
  if (r.type === 'MX') return { type: 'MX', preference: r.data.preference, exchange: r.data.exchange };
  if (r.type === 'CNAME') return { type: 'CNAME', target: r.data };
  return null;
}

function toHostRecord(r: DnsRR): HostRecord | null {
  if (r.type === 'TXT') return { type: 'TXT', name: r.name, value: r.data.join(''), priority: null, ttl: r.ttl };
  if (r.type === 'MX') return { type: 'MX', name: r.name, value: r.data.exchange, priority: r.data.preference, ttl: r.ttl };
  if (r.type === 'CNAME') return { type: 'CNAME', name: r.name, value: r.data, priority: null, ttl: r.ttl };
  return null;
}

class Rfc2136Writer implements DnsHostWriter {
  readonly id = 'rfc2136' as const;
  readonly capabilities = { proxy: false, rrsetWrites: false, minTtl: 0 };
  private config: Promise<Config> | null = null;

  constructor(private readonly ctx: HostContext) {}

  /** Read lazily, so a missing variable surfaces as an error of the first call, not of the factory. */
  private conf(): Promise<Config> {
    this.config ??= loadConfig(this.ctx.env);
    return this.config;
  }

  private async ask(server: Endpoint, name: string, type: RRType): Promise<DnsAnswer> {
    const a = await query(server.spec, name, type, { recursion: false, timeoutMs: this.ctx.timeoutMs, retries: 1 });
    if (isFailed(a)) throw readFailure(a, server.label);
    return a;
  }

  async findZone(name: string): Promise<HostZone> {
    const config = await this.conf();
    const labels = normaliseName(name).split('.');
    for (let i = 0; i < labels.length; i++) {
      const candidate = labels.slice(i).join('.');
      const a = await query(config.server.spec, candidate, 'SOA', { recursion: false, timeoutMs: this.ctx.timeoutMs, retries: 1 });
      if (a.outcome === 'timeout' || a.outcome === 'error') throw readFailure(a, config.server.label);
      if (!(a.outcome === 'answer' && a.aa && a.records.some((r) => r.type === 'SOA' && r.name === candidate))) continue;
      // Prove the key (and the server's willingness to take updates) now, before a plan is shown.
      const rcode = await sendSigned(config.server, config.key, probeSpec(candidate), this.ctx.timeoutMs);
      if (rcode !== RCODE.NOERROR) throw rcodeError(rcode, 'nothing (a key check)', candidate, config);
      this.ctx.debug?.(`rfc2136: ${config.server.label} serves ${candidate} and accepts key ${config.key.name}`);
      return { name: candidate, id: candidate };
    }
    throw new MailsetupError('DOMAIN_NOT_FOUND', `${config.server.label} is not authoritative for any zone holding ${normaliseName(name)}`, {
      hint: `Point ${SERVER_ENV} at the primary server of the zone.`,
    });
  }

  async listRecords(_zone: HostZone, names: string[]): Promise<HostRecord[]> {
    const { server } = await this.conf();
    const wanted = [...new Set(names.map(normaliseName))];
    const answers = await Promise.all(wanted.flatMap((n) => MAIL_TYPES.map((t) => this.ask(server, n, t))));
    return answers.flatMap((a) => a.records.filter((r) => r.name === a.name && r.type === a.type))
      .map(toHostRecord).filter((r): r is HostRecord => r !== null);
  }

  private async current(server: Endpoint, name: string, type: MailType): Promise<CurrentRRset> {
    const a = await this.ask(server, name, type);
    const own = a.records.filter((r) => r.name === name && r.type === type);
    return {
      rdatas: own.map(toRdata).filter((d): d is Rdata => d !== null),
      ttl: own[0]?.ttl ?? null,
      cname: type !== 'CNAME' && a.cnames.some((c) => c.name === name),
    };
  }

  private async applyOne(zone: HostZone, change: HostChange, config: Config): Promise<void> {
    const rec = change.kind === 'create' ? change.record : change.to;
    if (!MAIL_TYPES.includes(rec.type as MailType)) throw new MailsetupError('PROVIDER_UNSUPPORTED', `the RFC 2136 writer writes TXT, MX and CNAME records, not ${rec.type}`);
    const norm = { ...rec, name: normaliseName(rec.name) };
    const c: HostChange = change.kind === 'create' ? { kind: 'create', record: norm } : { kind: 'update', from: { ...change.from, name: normaliseName(change.from.name) }, to: norm };
    if (c.kind === 'update' && (c.from.name !== norm.name || c.from.type !== norm.type)) {
      throw new MailsetupError('INTERNAL', `an update must keep the name and type (${c.from.type} ${c.from.name} → ${norm.type} ${norm.name})`);
    }
    const spec = changeSpec(zone.name, c, await this.current(config.server, norm.name, rec.type as MailType));
    const rcode = await sendSigned(config.server, config.key, spec, this.ctx.timeoutMs);
    this.ctx.debug?.(`rfc2136: ${c.kind} ${norm.type} ${norm.name} → ${RCODE_NAME[rcode] ?? rcode}`);
    if (rcode !== RCODE.NOERROR) throw rcodeError(rcode, `${norm.type} at ${norm.name}`, zone.name, config);
  }

  async apply(zone: HostZone, changes: HostChange[]): Promise<ApplyReport> {
    return applySequentially(changes, async (change) => this.applyOne(zone, change, await this.conf()));
  }
}

export const createRfc2136Writer: HostFactory = async (ctx) => new Rfc2136Writer(ctx);
