/**
 * Harnesses over the DNS hosts autoconfig writes to, shared by the writer contract
 * (test/contract/dns-host.ts), the plan-level contract (test/contract/autoconfig-plan.ts) and the
 * CLI matrix: the Cloudflare, Route 53 and ResellerClub loopback emulators, and real BIND9 driven
 * through `nsupdate` and read back with `dig` AXFR (so nothing trusts the writer to check itself).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { quoteTxt, unquoteTxtStrings } from '../../src/dns-hosts/txt.js';
import type { ApplyReport, DnsHostWriter, HostChange, HostRecord, HostZone } from '../../src/dns-hosts/types.js';
import { nameOf } from '../../src/dns-hosts/pin.js';
import type { HostHarness } from '../contract/dns-host.js';
import { startCloudflareEmulator, type CloudflareEmulator } from '../emulators/cloudflare.js';
import type { DnsHostEmulator } from '../emulators/dns-host-types.js';
import { startResellerclubEmulator, type ResellerclubEmulator } from '../emulators/resellerclub.js';
import { startRoute53Emulator, type Route53Emulator } from '../emulators/route53.js';
import type { RunningServer } from './programs.js';

/** A harness over one emulator zone, with the emulator itself for what only it can do. */
export interface EmulatorHarness<E> extends HostHarness {
  emulator: E;
}

/** The harness over `zone` of a started emulator; `fail` only when the writer contract's fault cases hold for it. */
function overEmulator<E extends DnsHostEmulator>(emu: E, zone: string, withFail = true): EmulatorHarness<E> {
  emu.addZone(zone);
  return {
    emulator: emu, env: emu.env, zone, credentialEnv: emu.credentialEnv,
    seed: async (r) => emu.seed(zone, r),
    records: async () => emu.records(zone),
    ...(withFail ? { fail: (f, times, after) => emu.fail(f, times, after) } : {}),
    close: () => emu.close(),
  };
}

export async function cloudflareHarness(zone: string): Promise<EmulatorHarness<CloudflareEmulator>> {
  return overEmulator(await startCloudflareEmulator(), zone);
}

export async function route53Harness(zone: string): Promise<EmulatorHarness<Route53Emulator>> {
  // No `fail`: the writer contract's "failure half way" case expects one write request per change
  // (first lands, second fails). Route 53 applies all changes of an apply in one atomic
  // ChangeBatch, so that case cannot hold; route53.test.ts tests the atomic report instead.
  return overEmulator(await startRoute53Emulator(), zone, false);
}

export async function resellerclubHarness(zone: string): Promise<EmulatorHarness<ResellerclubEmulator>> {
  return overEmulator(await startResellerclubEmulator(), zone);
}

// --- BIND9 over RFC 2136 -------------------------------------------------------------------------

export const NSUPDATE = ['/usr/bin/nsupdate', '/usr/sbin/nsupdate'].find((p) => existsSync(p)) ?? null;
export const DIG = ['/usr/bin/dig', '/usr/sbin/dig'].find((p) => existsSync(p)) ?? null;

/** A minimal primary zone: SOA (serial 1), one NS with its address. */
export const bindZoneFile = (zone: string, extra = ''): string => `$TTL 300
@ IN SOA ns1.${zone}. hostmaster.${zone}. ( 1 3600 600 86400 60 )
@ IN NS ns1.${zone}.
ns1 IN A 127.0.0.1
${extra}`;

/** The `key` stanza for named.conf from an `nsupdate -y` style key (`alg:name:secret`). */
export function bindKeyStanza(key: string): string {
  const [alg, name, secret] = key.split(':') as [string, string, string];
  return `key "${name.replace(/\.?$/, '.')}" { algorithm ${alg}; secret "${secret}"; };`;
}

/** Zone options letting `keyName` update the given types anywhere in the zone, and transfer it. */
export const bindUpdatePolicy = (keyName: string, types: string): string =>
  `update-policy { grant ${keyName} zonesub ${types}; }; allow-transfer { key "${keyName}"; };`;

/** Run `nsupdate -y key` against the server: the lines, then `send`. Throws when it fails. */
export function nsupdate(named: RunningServer, key: string, zone: string, lines: string[]): void {
  const script = [`server 127.0.0.1 ${named.port}`, `zone ${zone}`, ...lines, 'send', ''].join('\n');
  const r = spawnSync(NSUPDATE!, ['-y', key, '-v'], { input: script, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nsupdate failed: ${r.stdout}${r.stderr}`);
}

/** A record's rdata as a zone file / nsupdate line wants it. */
export function rdataText(r: HostRecord): string {
  if (r.type === 'TXT') return quoteTxt(r.value);
  if (r.type === 'MX') return `${r.priority ?? 10} ${r.value}.`;
  if (r.type === 'A' || r.type === 'AAAA') return r.value;
  return `${r.value}.`;
}

/** `dig +noall +answer` against the server, signed with the key; the answer lines. */
export function dig(named: RunningServer, key: string, args: string[]): string[] {
  const r = spawnSync(DIG!, ['-y', key, '@127.0.0.1', '-p', String(named.port), '+noall', '+answer', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dig failed: ${r.stdout}${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
}

/** The zone as BIND holds it (AXFR), SOA/NS left out, normalised like HostRecord. */
export function axfr(named: RunningServer, key: string, zone: string): HostRecord[] {
  return dig(named, key, [zone, 'AXFR']).flatMap((line): HostRecord[] => {
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) return [];
    const [, owner, ttl, type, data] = m as unknown as [string, string, string, string, string];
    const name = owner.toLowerCase().replace(/\.$/, '');
    const base = { name, type, ttl: Number(ttl), priority: null };
    if (type === 'TXT') return [{ ...base, value: unquoteTxtStrings(data)! }];
    if (type === 'MX') { const [p, x] = data.split(/\s+/); return [{ ...base, priority: Number(p), value: x!.toLowerCase().replace(/\.$/, '') }]; }
    if (type === 'CNAME' || type === 'A' || type === 'AAAA') return [{ ...base, value: data.toLowerCase().replace(/\.$/, '') }];
    return [];
  });
}

/** The zone's SOA serial as BIND serves it. */
export const bindSerial = (named: RunningServer, key: string, zone: string): number => Number(dig(named, key, [zone, 'SOA'])[0]!.split(/\s+/)[6]);

/**
 * A harness over one zone of a running BIND (shared by the file; `close` leaves it running): seeds
 * with nsupdate, reads with AXFR. The zone needs `bindUpdatePolicy(<key name>, 'ANY')`.
 */
export function bindHarness(named: RunningServer, key: string, keyEnv: string, env: Record<string, string>, zone: string): HostHarness {
  return {
    env, zone, credentialEnv: [keyEnv],
    seed: async (r) => nsupdate(named, key, zone, [`update add ${r.name}. ${r.ttl ?? 300} ${r.type} ${rdataText(r)}`]),
    records: async () => axfr(named, key, zone),
    close: async () => {},
  };
}

/** A host record as writers take it: MX priority 10, TTL 300, unless `over` says otherwise. */
export const hostRecord = (type: string, name: string, value: string, over: Partial<HostRecord> = {}): HostRecord =>
  ({ type, name, value, priority: type === 'MX' ? 10 : null, ttl: 300, ...over });

// --- Pins ------------------------------------------------------------------------------------------

/** A change as a test writes it: `seen` given when the test pins it itself, else filled at apply. */
export type LooseChange =
  | { kind: 'create'; record: HostRecord; seen?: HostRecord[] }
  | { kind: 'update'; from: HostRecord; to: HostRecord; seen?: HostRecord[] };

export interface PinningWriter extends Omit<DnsHostWriter, 'apply'> {
  apply(zone: HostZone, changes: LooseChange[]): Promise<ApplyReport>;
  /** The writer underneath (its apply takes pinned changes only). */
  inner: DnsHostWriter;
}

/**
 * For tests of single writer calls: each change without `seen` is pinned, in place (reports hold
 * the same objects), to what its name holds at the start of apply — as a plan made just then
 * would. Tests of the pins themselves pass `seen` (or use `pinNow` before changing the zone).
 */
export function pinAtApply(w: DnsHostWriter): PinningWriter {
  return {
    id: w.id, capabilities: w.capabilities, inner: w,
    findZone: (name) => w.findZone(name),
    listRecords: (zone, names) => w.listRecords(zone, names),
    async apply(zone, changes) {
      await pinNow(w, zone, changes.filter((c) => !c.seen));
      return w.apply(zone, changes as HostChange[]);
    },
  };
}

/** Pin `changes` in place to what their names hold now (all types), and return them. */
export async function pinNow(w: DnsHostWriter, zone: HostZone, changes: LooseChange[]): Promise<HostChange[]> {
  const names = [...new Set(changes.map((c) => nameOf(c as HostChange)))];
  const now = names.length ? await w.listRecords(zone, names) : [];
  for (const c of changes) c.seen = now.filter((r) => r.name === nameOf(c as HostChange));
  return changes as HostChange[];
}
