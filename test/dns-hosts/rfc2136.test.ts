/**
 * The RFC 2136 writer against real BIND9 (registrars.md §4.5): TSIG-signed updates, the server's
 * prerequisite checks, its TSIG errors. Seeding and inspection go through `nsupdate` and `dig`, so
 * nothing here trusts the writer to check itself. Under CI=true a missing `named` fails the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRfc2136Writer, sendSigned, SERVER_ENV } from '../../src/dns-hosts/rfc2136/index.js';
import { buildUpdate, RCODE } from '../../src/dns-hosts/rfc2136/update.js';
import { parseTsigKey, TSIG_ENV } from '../../src/dns-hosts/rfc2136/tsig.js';
import type { DnsHostWriter, HostRecord } from '../../src/dns-hosts/types.js';
import { MailsetupError } from '../../src/errors.js';
import { runDnsHostContract } from '../contract/dns-host.js';
import {
  DIG, NSUPDATE, axfr as bindAxfr, bindHarness, bindKeyStanza, bindSerial, bindUpdatePolicy, bindZoneFile as zoneFile,
  dig as bindDig, nsupdate as bindNsupdate, pinAtApply, pinNow, type PinningWriter,
} from '../helpers/host-harness.js';
import { NAMED, requireProgram, startNamed } from '../helpers/programs.js';
import type { RunningServer } from '../helpers/programs.js';

const SECRET = 'bWFpbHNldHVwLXRlc3QtdHNpZy1zZWNyZXQtMzJieXQ='; // base64("mailsetup-test-tsig-secret-32byt")
const KEY = `hmac-sha256:mailsetup-test.:${SECRET}`;
const WRONG_SECRET = Buffer.from('not-the-secret-the-server-has-32').toString('base64');
const hasBind = requireProgram(NAMED, 'BIND9 named', 'bind9') && requireProgram(NSUPDATE, 'nsupdate', 'bind9-dnsutils') && requireProgram(DIG, 'dig', 'bind9-dnsutils');

const policy = (types: string) => bindUpdatePolicy('mailsetup-test.', types);

let named: RunningServer;
const env = () => ({ [SERVER_ENV]: named.address, [TSIG_ENV]: KEY });
const writerWith = (over: Record<string, string> = {}, timeoutMs = 3000) => createRfc2136Writer({ env: { ...env(), ...over }, timeoutMs });
const nsupdate = (zone: string, lines: string[]) => bindNsupdate(named, KEY, zone, lines);
const dig = (args: string[]) => bindDig(named, KEY, args);
const axfr = (zone: string): HostRecord[] => bindAxfr(named, KEY, zone);
const serial = (zone: string) => bindSerial(named, KEY, zone);

beforeAll(async () => {
  if (!hasBind) return;
  named = await startNamed(
    {
      // BIND refuses an update adding an MX whose in-zone target has no address (check-integrity).
      'contract.test': zoneFile('contract.test', 'mx IN A 127.0.0.1\n'),
      'example.test': zoneFile('example.test', '@ IN TXT "v=spf1 -all"\n@ 600 IN TXT "google-site-verification=keep-me"\n'),
      'restricted.test': zoneFile('restricted.test'),
    },
    bindKeyStanza(KEY),
    { 'contract.test': policy('ANY'), 'example.test': policy('ANY'), 'restricted.test': policy('TXT') },
  );
});
afterAll(async () => { await named?.stop(); });

if (hasBind) {
  runDnsHostContract({
    id: 'rfc2136',
    makeWriter: createRfc2136Writer,
    makeHarness: async () => bindHarness(named, KEY, TSIG_ENV, env(), 'contract.test'), // named is shared by the file, stopped in afterAll
  });
}

describe.skipIf(!hasBind)('rfc2136 against BIND', () => {
  let w: PinningWriter;
  beforeAll(async () => { w = pinAtApply(await writerWith()); });

  it('finds the zone and checks the key with an UPDATE that changes nothing (serial unchanged)', async () => {
    const before = serial('example.test');
    expect(await w.findZone('_dmarc.mail.example.test')).toEqual({ name: 'example.test', id: 'example.test' });
    expect(serial('example.test')).toBe(before);
  });

  it('updates the SPF the zone already has, keeps its sibling TXT and the RRset TTL; dig sees it', async () => {
    const zone = await w.findZone('example.test');
    const spf = (await w.listRecords(zone, ['example.test'])).find((r) => r.value.startsWith('v=spf1'))!;
    expect(spf).toMatchObject({ type: 'TXT', name: 'example.test', value: 'v=spf1 -all' });
    const to = { ...spf, value: 'v=spf1 include:amazonses.com -all', ttl: 60 };
    const report = await w.apply(zone, [{ kind: 'update', from: spf, to }]);
    expect(report.failed).toBeNull();
    const txt = axfr('example.test').filter((r) => r.type === 'TXT' && r.name === 'example.test');
    expect(txt.map((r) => r.value).sort()).toEqual(['google-site-verification=keep-me', 'v=spf1 include:amazonses.com -all']);
    expect(new Set(txt.map((r) => r.ttl)).size).toBe(1); // one RRset TTL, siblings not re-TTLed to 60
    expect(txt[0]!.ttl).toBe(300);
  });

  it('an update whose record changed after the plan fails as HOST_CONFLICT and overwrites nothing (the re-read; the next test: the prerequisites)', async () => {
    const zone = await w.findZone('example.test');
    nsupdate('example.test', ['update add race.example.test. 300 TXT "v=DMARC1; p=none"']);
    const [seen] = await w.listRecords(zone, ['race.example.test']);
    const changes = await pinNow(w, zone, [{ kind: 'update', from: seen!, to: { ...seen!, value: 'v=DMARC1; p=quarantine' } }]);
    nsupdate('example.test', ['update delete race.example.test. TXT', 'update add race.example.test. 300 TXT "v=DMARC1; p=reject"']);
    const before = serial('example.test');
    const report = await w.apply(zone, changes);
    expect(report.applied).toEqual([]);
    expect(report.conflicts).toHaveLength(1);
    expect(report.conflicts[0]!.error).toBeInstanceOf(MailsetupError);
    expect(report.conflicts[0]!.error.code).toBe('HOST_CONFLICT');
    expect(report.conflicts[0]!.error.message).toMatch(/race\.example\.test changed since the plan was made \(TXT "v=DMARC1; p=reject" appeared; TXT "v=DMARC1; p=none" is gone\)/);
    expect(axfr('example.test').filter((r) => r.name === 'race.example.test').map((r) => r.value)).toEqual(['v=DMARC1; p=reject']);
    expect(serial('example.test')).toBe(before);
  });

  it('the server enforces the prerequisites: an UPDATE pinned to a stale read gets NXRRSET and changes nothing', async () => {
    const zone = 'example.test';
    nsupdate(zone, ['update add stale.example.test. 300 TXT "one"']);
    const seen = await w.listRecords({ name: zone, id: zone }, ['stale.example.test']);
    nsupdate(zone, ['update add stale.example.test. 300 TXT "two"']);
    const spec = buildUpdate(zone, [{ kind: 'create', record: { type: 'TXT', name: 'stale.example.test', value: 'three', priority: null, ttl: 300 }, seen }]);
    const config = { host: '127.0.0.1', port: named.port, label: named.address, spec: named.address };
    expect(await sendSigned(config, parseTsigKey(KEY), spec, 3000)).toBe(RCODE.NXRRSET);
    // A record of another type at a name the plan saw empty: "name not in use" fails (YXDOMAIN).
    nsupdate(zone, ['update add empty-then-a.example.test. 300 A 192.0.2.5']);
    const late = buildUpdate(zone, [{ kind: 'create', record: { type: 'TXT', name: 'empty-then-a.example.test', value: 'x', priority: null, ttl: 300 }, seen: [] }]);
    expect(await sendSigned(config, parseTsigKey(KEY), late, 3000)).toBe(RCODE.YXDOMAIN);
    expect(axfr(zone).filter((r) => r.name === 'stale.example.test').map((r) => r.value).sort()).toEqual(['one', 'two']);
    expect(axfr(zone).filter((r) => r.name === 'empty-then-a.example.test').map((r) => r.type)).toEqual(['A']);
  });

  it('a CNAME where the name is in use is refused by the server (YXDOMAIN), not silently dropped', async () => {
    const zone = await w.findZone('example.test');
    const report = await w.apply(zone, [{ kind: 'create', record: { type: 'CNAME', name: 'example.test', value: 'elsewhere.example.net', priority: null, ttl: 300 } }]);
    expect(report.applied).toEqual([]);
    expect(report.conflicts[0]?.error.message).toMatch(/prerequisite check failed \(YXDOMAIN\)/);
    expect(report.conflicts[0]?.error.code).toBe('HOST_CONFLICT');
    expect(axfr('example.test').filter((r) => r.name === 'example.test' && r.type === 'CNAME')).toEqual([]);
  });

  it('one UPDATE per run: the serial climbs by exactly 1 for a run that writes several records', async () => {
    const zone = await w.findZone('example.test');
    const before = serial('example.test');
    const report = await w.apply(zone, [
      { kind: 'create', record: { type: 'CNAME', name: 's1._domainkey.one.example.test', value: 's1.dkim.example.net', priority: null, ttl: 300 } },
      { kind: 'create', record: { type: 'CNAME', name: 's2._domainkey.one.example.test', value: 's2.dkim.example.net', priority: null, ttl: 300 } },
      { kind: 'create', record: { type: 'MX', name: 'bounce.one.example.test', value: 'feedback-smtp.example.net', priority: 10, ttl: 300 } },
      { kind: 'create', record: { type: 'TXT', name: 'bounce.one.example.test', value: 'v=spf1 include:example.net ~all', priority: null, ttl: 300 } },
      { kind: 'create', record: { type: 'TXT', name: '_dmarc.one.example.test', value: 'v=DMARC1; p=none', priority: null, ttl: 300 } },
    ]);
    expect(report.failed).toBeNull();
    expect(report.applied).toHaveLength(5);
    expect(serial('example.test')).toBe(before + 1);
    expect(axfr('example.test').filter((r) => r.name.endsWith('one.example.test'))).toHaveLength(5);
  });

  it('TXT longer than 255 bytes (and multi-byte text) goes out as ≤255-byte strings and reads back intact', async () => {
    const zone = await w.findZone('example.test');
    const long = `v=DKIM1; k=rsa; p=${'A'.repeat(600)}`;
    const utf8 = `note=${'é'.repeat(200)}`; // 405 bytes; a split inside "é" would corrupt it
    const report = await w.apply(zone, [
      { kind: 'create', record: { type: 'TXT', name: 'k1._domainkey.example.test', value: long, priority: null, ttl: 300 } },
      { kind: 'create', record: { type: 'TXT', name: 'utf8.example.test', value: utf8, priority: null, ttl: 300 } },
    ]);
    expect(report.failed).toBeNull();
    const strings = dig(['k1._domainkey.example.test', 'TXT'])[0]!.match(/"[^"]*"/g)!.map((s) => s.slice(1, -1));
    expect(strings.length).toBe(3);
    for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
    expect(strings.join('')).toBe(long);
    const listed = await w.listRecords(zone, ['k1._domainkey.example.test', 'utf8.example.test']);
    expect(listed.map((r) => r.value).sort()).toEqual([long, utf8].sort());
  });

  it('a key without permission for one type → PROVIDER_AUTH (REFUSED) naming MAILSETUP_TSIG_KEY; one UPDATE, so nothing landed', async () => {
    const zone = await w.findZone('restricted.test');
    const rec = (type: string, label: string, value: string, priority: number | null = null) => ({ kind: 'create' as const, record: { type, name: `${label}.restricted.test`, value, priority, ttl: 300 } });
    const changes = [rec('TXT', 'p1', 'partial p1'), rec('MX', 'p2', 'mx.example.net', 10), rec('TXT', 'p3', 'partial p3')];
    const before = serial('restricted.test');
    const report = await w.apply(zone, changes);
    expect(report.applied).toEqual([]);
    expect(report.failed?.change).toEqual(changes[0]);
    expect(report.skipped).toEqual([changes[1], changes[2]]);
    expect(axfr('restricted.test').filter((r) => r.name.startsWith('p'))).toEqual([]);
    expect(serial('restricted.test')).toBe(before);
    const err = report.failed?.error as MailsetupError;
    expect(err.code).toBe('PROVIDER_AUTH');
    expect(err.message).toMatch(/REFUSED/);
    expect(err.message).toContain(TSIG_ENV);
  });

  const authCases: Array<[string, string, RegExp]> = [
    ['a wrong secret', `hmac-sha256:mailsetup-test.:${WRONG_SECRET}`, /BADSIG/],
    ['an unknown key name', `hmac-sha256:nobody-knows-me.:${SECRET}`, /BADKEY/],
    ['the right key with another algorithm', `hmac-sha512:mailsetup-test.:${SECRET}`, /BADKEY/],
  ];
  it.each(authCases)('%s → PROVIDER_AUTH from findZone, naming the variable, no secret', async (_label, key, reason) => {
    const bad = await writerWith({ [TSIG_ENV]: key });
    const err = (await bad.findZone('example.test').catch((e: unknown) => e)) as MailsetupError;
    expect(err).toBeInstanceOf(MailsetupError);
    expect(err.exitCode).toBe(77);
    expect(err.message).toMatch(reason);
    expect(err.message).toContain(TSIG_ENV);
    expect(`${err.message} ${err.hint}`).not.toContain(key.split(':')[2]!);
  });

  it('a clock an hour off → PROVIDER_AUTH (BADTIME) that talks about the clock', async () => {
    const config = { host: '127.0.0.1', port: named.port, label: named.address, spec: named.address };
    const spec = { zone: 'example.test', prerequisites: [], updates: [] };
    const err = (await sendSigned(config, parseTsigKey(KEY), spec, 3000, Math.floor(Date.now() / 1000) - 3600).catch((e: unknown) => e)) as MailsetupError;
    expect(err.code).toBe('PROVIDER_AUTH');
    expect(err.message).toMatch(/BADTIME.*clock/);
    expect(err.message).toMatch(/3[56]\d\d s behind the server's/);
  });

  it('a wrong port → DNS_UNAVAILABLE naming the variable, within the timeout', async () => {
    const dead = await writerWith({ [SERVER_ENV]: '127.0.0.1:9' }, 2000);
    const started = Date.now();
    const err = (await dead.findZone('example.test').catch((e: unknown) => e)) as MailsetupError;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('DNS_UNAVAILABLE');
    expect(`${err.message} ${err.hint}`).toContain(SERVER_ENV);
  });

  it('a server that never answers → DNS_UNAVAILABLE within the timeout (one attempt, not one per retry)', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => {}); // accepts, never replies
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const dead = await writerWith({ [SERVER_ENV]: `127.0.0.1:${port}` }, 800);
      const started = Date.now();
      const err = (await dead.findZone('example.test').catch((e: unknown) => e)) as MailsetupError;
      expect(Date.now() - started).toBeLessThan(1500);
      expect(err.code).toBe('DNS_UNAVAILABLE');
      expect(err.message).toMatch(/within 800 ms/);
    } finally {
      silent.close();
    }
  });

  it('without MAILSETUP_RFC2136_SERVER: the zone\'s SOA MNAME, found through the run\'s lookups, is the server', async () => {
    const { DnsEngine } = await import('../../src/dns/engine.js');
    const lookup = new DnsEngine({ timeoutMs: 2000 }).lookupVia([named.address], true);
    const mname = pinAtApply(await createRfc2136Writer({ env: { [TSIG_ENV]: KEY }, timeoutMs: 3000, lookup, authoritative: [named.address] }));
    const zone = await mname.findZone('_dmarc.mail.example.test');
    expect(zone.name).toBe('example.test');
    const listed = await mname.listRecords(zone, ['example.test']);
    expect(listed.map((r) => r.type)).toContain('NS');
    const report = await mname.apply(zone, [{ kind: 'create', record: { type: 'TXT', name: 'via-mname.example.test', value: 'mname=yes', priority: null, ttl: 300 } }]);
    expect(report.applied).toHaveLength(1);
    expect(axfr('example.test').filter((r) => r.name === 'via-mname.example.test').map((r) => r.value)).toEqual(['mname=yes']);
    // No lookups to go through and no variable: a usage error that says what to set.
    const none = await createRfc2136Writer({ env: { [TSIG_ENV]: KEY }, timeoutMs: 300 });
    await expect(none.findZone('example.test')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(SERVER_ENV) });
  });
});

describe('rfc2136: configuration', () => {
  it('no server → bad usage naming MAILSETUP_RFC2136_SERVER; no key → PROVIDER_AUTH naming MAILSETUP_TSIG_KEY', async () => {
    const noServer = await createRfc2136Writer({ env: { [TSIG_ENV]: KEY }, timeoutMs: 100 }); // and no lookups: nowhere to find the MNAME
    await expect(noServer.findZone('example.test')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(SERVER_ENV) });
    const noKey = await createRfc2136Writer({ env: { [SERVER_ENV]: '127.0.0.1:9' }, timeoutMs: 100 });
    await expect(noKey.findZone('example.test')).rejects.toMatchObject({ code: 'PROVIDER_AUTH', exitCode: 77, message: expect.stringContaining(TSIG_ENV) });
  });

  it('parses the nsupdate -y form and refuses malformed keys without echoing them', () => {
    expect(parseTsigKey(`HMAC-SHA256:Mailsetup-Test.:${SECRET}`)).toMatchObject({ algorithm: 'hmac-sha256', name: 'mailsetup-test' });
    expect(parseTsigKey(`hmac-sha512:k:${SECRET}`).algorithm).toBe('hmac-sha512');
    for (const bad of [`mailsetup-test:${SECRET}`, `hmac-md5:k:${SECRET}`, 'hmac-sha256:k:not base64!', 'hmac-sha256::c2VjcmV0']) {
      const err = (() => { try { parseTsigKey(bad); return null; } catch (e) { return e as MailsetupError; } })();
      expect(err?.code).toBe('PROVIDER_AUTH');
      expect(err?.message).toContain(TSIG_ENV);
      expect(err?.message).not.toContain(SECRET);
    }
  });
});
