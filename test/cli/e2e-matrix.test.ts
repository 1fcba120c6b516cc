/**
 * The whole lifecycle through the built CLI (a subprocess, no TTY), for every email provider × every
 * DNS host: add → autoconfig --dns <host> --yes (which re-checks: DNS right, provider pending) →
 * watch --exit-code (the provider's own check passes after the first round; watch keeps going until
 * it does) → verify --exit-code with the provider asked → remove --yes. The state file and the DNS
 * are checked after every step, and DNS really answers: BIND itself for RFC 2136; for the HTTP hosts
 * an embedded DNS server that serves the emulators' zones as they are (with an SOA serial bumped on
 * every change, which autoconfig waits for). Combinations run one after another on shared servers,
 * each with its own zone and state file. Idempotency and the plan rules are tested over every writer
 * in test/dns-hosts/autoconfig-plan.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { query } from '../../src/dns/wire.js';
import type { ZoneRecord } from '../../src/dns/zone.js';
import type { HostId, HostRecord } from '../../src/dns-hosts/types.js';
import type { DnsRecord } from '../../src/model/record.js';
import { parseJson, runCli, runCliStreaming, type CliResult } from '../helpers/cli.js';
import { axfr, bindKeyStanza, bindUpdatePolicy, bindZoneFile, DIG, NSUPDATE } from '../helpers/host-harness.js';
import { NAMED, requireProgram, startNamed, type RunningServer } from '../helpers/programs.js';
import { startCloudflareEmulator, type CloudflareEmulator } from '../emulators/cloudflare.js';
import { startMailgunEmulator } from '../emulators/mailgun.js';
import { startResellerclubEmulator, type ResellerclubEmulator } from '../emulators/resellerclub.js';
import { startResendEmulator } from '../emulators/resend.js';
import { startRoute53Emulator, type Route53Emulator } from '../emulators/route53.js';
import { startSendgridEmulator } from '../emulators/sendgrid.js';
import { startSesEmulator } from '../emulators/ses.js';
import type { ProviderEmulator } from '../emulators/types.js';

const PROVIDERS = [
  ['ses', startSesEmulator],
  ['sendgrid', startSendgridEmulator],
  ['mailgun', startMailgunEmulator],
  ['resend', startResendEmulator],
] as const satisfies ReadonlyArray<readonly [string, () => Promise<ProviderEmulator>]>;
type ProviderName = (typeof PROVIDERS)[number][0];

const HOST_IDS = ['cloudflare', 'route53', 'resellerclub', 'rfc2136'] as const satisfies readonly HostId[];
/** The NS names each HTTP host gives its zones (what `add` detects the host from). */
const NS: Record<Exclude<HostId, 'rfc2136'>, { ns: string[]; label: string }> = {
  cloudflare: { ns: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'], label: 'Cloudflare' },
  route53: { ns: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com'], label: 'Amazon Route 53' },
  resellerclub: { ns: ['dns1.resellerclub.com', 'dns2.resellerclub.com'], label: 'ResellerClub' },
};

const TSIG_KEY = `hmac-sha256:matrix-test.:${Buffer.from('mailsetup-e2e-matrix-tsig-key-32').toString('base64')}`;
const hasBind = requireProgram(NAMED, 'BIND9 named', 'bind9') && requireProgram(NSUPDATE, 'nsupdate', 'bind9-dnsutils') && requireProgram(DIG, 'dig', 'bind9-dnsutils');

const zoneOf = (p: ProviderName, h: HostId) => `${p}-${h}.test`;
const domainOf = (p: ProviderName, h: HostId) => `mail.${zoneOf(p, h)}`;
const under = (d: string) => (r: { name: string }) => r.name === d || r.name.endsWith(`.${d}`);
const key = (r: Pick<HostRecord, 'type' | 'name' | 'value' | 'priority'>) => `${r.type} ${r.name} ${r.type === 'MX' ? r.priority : '-'} ${r.value}`;
const wanted = (rs: DnsRecord[]) => rs.map((r) => key({ ...r, priority: r.type === 'MX' ? r.priority ?? 10 : null })).sort();

interface Host {
  id: HostId;
  env: Record<string, string>;
  /** Authoritative server and resolver for the CLI. */
  dns: () => string;
  /** What the host's zone holds now (SOA/NS/glue left out). */
  records: (zone: string) => HostRecord[];
}

let dir: string;
let mirror: EmbeddedDns;
let named: RunningServer | undefined;
let cloudflare: CloudflareEmulator;
let route53: Route53Emulator;
let resellerclub: ResellerclubEmulator;
const providers = new Map<ProviderName, ProviderEmulator>();
const hosts = new Map<HostId, Host>();

/**
 * Serve every HTTP-host zone from one embedded DNS server: SOA + NS (and the NS names' addresses),
 * then whatever the emulator holds, read afresh for every question — so a write is served at once,
 * as from a host whose API writes to its servers synchronously. A zone whose records differ from
 * the last time they were read gets the next SOA serial.
 */
function mirrorZones(dns: EmbeddedDns, sources: Array<{ zone: string; ns: string[]; records: () => HostRecord[] }>): void {
  const seen = new Map<string, { text: string; serial: number }>();
  const build = (): ZoneRecord[] => {
    const out: ZoneRecord[] = [];
    const glue = new Set<string>();
    for (const s of sources) {
      const rs = s.records();
      const text = JSON.stringify(rs);
      const was = seen.get(s.zone);
      const now = !was ? { text, serial: 1 } : was.text === text ? was : { text, serial: was.serial + 1 };
      seen.set(s.zone, now);
      out.push({ name: s.zone, type: 'SOA', data: { mname: s.ns[0]!, rname: `hostmaster.${s.zone}`, serial: now.serial, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } });
      for (const n of s.ns) { out.push({ name: s.zone, type: 'NS', data: n }); glue.add(n); }
      for (const r of rs) {
        const ttl = r.ttl ?? 300;
        if (r.type === 'MX') out.push({ name: r.name, type: 'MX', ttl, data: { preference: r.priority ?? 10, exchange: r.value } });
        else if (r.type === 'TXT' || r.type === 'CNAME' || r.type === 'A') out.push({ name: r.name, type: r.type, ttl, data: r.value });
      }
    }
    for (const n of glue) out.push({ name: n, type: 'A', data: '127.0.0.1' });
    return out;
  };
  // `records` is read by the server for each question it answers.
  dns.setZone({ get records() { return build(); }, negativeTtl: 5 });
}

/** What the authoritative server answers for a stored record's name and type, as comparable keys. */
async function served(server: string, r: DnsRecord): Promise<string[]> {
  const a = await query(server, r.name, r.type, { recursion: false, timeoutMs: 1500, retries: 1 });
  return a.records.flatMap((x) => {
    if (x.type === 'TXT') return [key({ type: 'TXT', name: x.name, value: x.data.join(''), priority: null })];
    if (x.type === 'MX') return [key({ type: 'MX', name: x.name, value: x.data.exchange, priority: x.data.preference })];
    if (x.type === 'CNAME') return [key({ type: 'CNAME', name: x.name, value: x.data, priority: null })];
    return [];
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-matrix-'));
  for (const [id, start] of PROVIDERS) providers.set(id, await start());
  [cloudflare, route53, resellerclub] = await Promise.all([startCloudflareEmulator(), startRoute53Emulator(), startResellerclubEmulator()]);
  // GetChange says INSYNC at the first poll: the writer still sleeps 1 s before it (real clock in the CLI).
  route53.setInsyncAfter(0);
  mirror = await startEmbeddedDns({ records: [] });
  const sources: Array<{ zone: string; ns: string[]; records: () => HostRecord[] }> = [];
  for (const [id, emu] of [['cloudflare', cloudflare], ['route53', route53], ['resellerclub', resellerclub]] as const) {
    hosts.set(id, { id, env: emu.env, dns: () => mirror.address, records: (z) => emu.records(z) });
    for (const [p] of PROVIDERS) {
      const zone = zoneOf(p, id);
      emu.addZone(zone);
      sources.push({ zone, ns: NS[id].ns, records: () => emu.records(zone) });
    }
  }
  mirrorZones(mirror, sources);
  if (hasBind) {
    const zones = Object.fromEntries(PROVIDERS.map(([p]) => [zoneOf(p, 'rfc2136'), bindZoneFile(zoneOf(p, 'rfc2136'))]));
    named = await startNamed(zones, bindKeyStanza(TSIG_KEY), Object.fromEntries(Object.keys(zones).map((z) => [z, bindUpdatePolicy('matrix-test.', 'ANY')])));
    const server = named;
    hosts.set('rfc2136', {
      id: 'rfc2136', env: { MAILSETUP_RFC2136_SERVER: server.address, MAILSETUP_TSIG_KEY: TSIG_KEY }, dns: () => server.address,
      records: (z) => axfr(server, TSIG_KEY, z).filter((r) => !(r.name === `ns1.${z}` && r.type === 'A')),
    });
  }
});

afterAll(async () => {
  await Promise.all([
    mirror?.close(), named?.stop(), cloudflare?.close(), route53?.close(), resellerclub?.close(),
    ...[...providers.values()].map((p) => p.close()),
  ]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const [p] of PROVIDERS) {
  for (const h of HOST_IDS) {
    describe.skipIf(h === 'rfc2136' && !hasBind)(`${p} × ${h}`, () => {
      const d = domainOf(p, h);
      const zone = zoneOf(p, h);
      let emu: ProviderEmulator;
      let host: Host;
      let state: string;
      let records: DnsRecord[];
      let afterAutoconfig: string[];
      const readState = () => JSON.parse(readFileSync(state, 'utf8'));
      const secrets = () => [...emu.credentialEnv.map((k) => emu.env[k]), host.env.CLOUDFLARE_API_TOKEN, host.env.AWS_SECRET_ACCESS_KEY, host.env.RESELLERCLUB_API_KEY, TSIG_KEY.split(':')[2]]
        .filter((v): v is string => !!v && v.length >= 8);
      const args = (...a: string[]) => [...a, '--config', state, '--authoritative', host.dns(), '--resolver', host.dns(), '--timeout', '5s'];
      const env = () => ({ ...emu.env, ...host.env });
      const noSecrets = (r: CliResult) => {
        for (const s of secrets()) {
          expect(r.stdout).not.toContain(s);
          expect(r.stderr).not.toContain(s);
          if (existsSync(state)) expect(readFileSync(state, 'utf8')).not.toContain(s);
        }
        return r;
      };
      const cli = async (...a: string[]) => noSecrets(await runCli(args(...a), env()));
      /** The zone at the host under the sending domain, and what the authoritative server answers. */
      const zoneKeys = () => host.records(zone).filter(under(d)).map(key).sort();
      const dnsKeys = async () => {
        const questions = [...new Map(records.map((r) => [`${r.type} ${r.name}`, r])).values()];
        return (await Promise.all(questions.map((r) => served(host.dns(), r)))).flat().sort();
      };

      beforeAll(() => {
        emu = providers.get(p)!;
        host = hosts.get(h)!;
        state = join(dir, `${p}-${h}.json`);
      });

      it('add registers the domain, stores its records and points at the next step', async () => {
        const r = await cli('add', d, '--provider', p);
        expect(r.code, r.stderr).toBe(0);
        // A host mailsetup can write to is named, and the next step is autoconfig.
        if (h !== 'rfc2136') {
          expect(r.stdout).toContain(`Your DNS is hosted at ${NS[h].label}, which mailsetup can write to.`);
          expect(r.stdout).toContain(`Next: mailsetup autoconfig ${d}`);
        } else {
          expect(r.stdout).toMatch(new RegExp(`mailsetup records ${d.replace(/\./g, '\\.')}.*then mailsetup watch`));
        }
        const entry = readState().domains[d];
        expect(entry).toMatchObject({ provider: p, status: 'pending' });
        expect(entry.applied).toBeUndefined();
        records = entry.records;
        expect(records.some((x) => x.purpose === 'dkim')).toBe(true);
        expect(records.find((x) => x.purpose === 'dmarc')).toMatchObject({ name: `_dmarc.${d}`, source: 'mailsetup' });
        expect(emu.hasDomain(d)).toBe(true);
        expect(zoneKeys()).toEqual([]);
        expect(await dnsKeys()).toEqual([]);
      });

      it('autoconfig --dns writes every record, remembers them, waits for the new serial', async () => {
        const r = await cli('autoconfig', d, '--dns', h, '--yes', '--json');
        expect(r.code, r.stdout + r.stderr).toBe(0);
        const doc = parseJson(r);
        expect(doc).toMatchObject({ domain: d, dnsHost: h, zone, failed: null, skipped: [] });
        expect(doc.applied).toHaveLength(records.length);
        expect(doc.serial.inSync).toBe(true);
        expect(doc.serial.after).toBeGreaterThan(doc.serial.before);
        // Then it re-checked with the provider asked: DNS right, the provider not there yet.
        expect(doc.verify).toMatchObject({ domain: d, provider: p, status: 'pending', stage: 'provider', allVerified: false });
        expect(doc.verify.providerStatus).not.toBe('verified');
        expect(doc.verify.records.map((x: { status: string }) => x.status)).toEqual(records.map(() => 'verified'));
        const entry = readState().domains[d];
        expect(entry.dnsHost).toBe(h);
        expect(entry.applied.map(key).sort()).toEqual(wanted(records));
        expect(entry.status).toBe('pending');
        expect(zoneKeys()).toEqual(wanted(records));
        expect(await dnsKeys()).toEqual(wanted(records));
        afterAutoconfig = zoneKeys();
      });

      it('watch --exit-code runs until the provider verifies the domain mid-watch', async () => {
        const rounds: Array<{ status: string; stage: string | null; providerStatus: string; records: Array<{ status: string }> }> = [];
        const r = noSecrets(await runCliStreaming(args('watch', d, '--interval', '500ms', '--timeout', '20s', '--exit-code', '--json'), env(), (line) => {
          rounds.push(JSON.parse(line));
          if (rounds.length === 1) emu.setVerified(d); // the provider's own check passes after the first round
        }));
        expect(r.code, r.stderr).toBe(0);
        expect(rounds.length).toBeGreaterThanOrEqual(2);
        expect(rounds[0]).toMatchObject({ domain: d, status: 'pending', stage: 'provider' });
        expect(rounds.every((x) => x.records.every((y) => y.status === 'verified'))).toBe(true);
        expect(rounds.at(-1)).toMatchObject({ status: 'verified', providerStatus: 'verified', stage: null });
        expect(readState().domains[d].status).toBe('verified');
        expect(zoneKeys()).toEqual(afterAutoconfig);
      });

      it('verify --exit-code, the provider asked → 0', async () => {
        const before = emu.requests.length;
        const r = await cli('verify', d, '--exit-code', '--json');
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(emu.requests.length).toBeGreaterThan(before);
        const doc = parseJson(r);
        expect(doc).toMatchObject({ domain: d, status: 'verified', providerStatus: 'verified', allVerified: true, stage: null });
        expect(doc.records.map((x: { status: string }) => x.status)).toEqual(records.map(() => 'verified'));
        const entry = readState().domains[d];
        expect(entry.status).toBe('verified');
        expect(entry.history.map((x: { status: string }) => x.status)).toEqual(['pending', 'verified']);
      });

      it('remove --yes deletes the identity and forgets the domain, and leaves DNS alone', async () => {
        const r = await cli('remove', d, '--yes');
        expect(r.code, r.stderr).toBe(0);
        expect(emu.hasDomain(d)).toBe(false);
        expect(readState().domains).toEqual({});
        expect(zoneKeys()).toEqual(afterAutoconfig);
        expect(await dnsKeys()).toEqual(wanted(records));
      });
    });
  }
}
