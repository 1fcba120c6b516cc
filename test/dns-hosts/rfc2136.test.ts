/**
 * The RFC 2136 writer against real BIND9 (registrars.md §4.5): TSIG-signed updates, the server's
 * prerequisite checks, its TSIG errors. Seeding and inspection go through `nsupdate` and `dig`, so
 * nothing here trusts the writer to check itself. Under CI=true a missing `named` fails the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRfc2136Writer, sendSigned, SERVER_ENV } from '../../src/dns-hosts/rfc2136/index.js';
import { changeSpec, RCODE } from '../../src/dns-hosts/rfc2136/update.js';
import { parseTsigKey, TSIG_ENV } from '../../src/dns-hosts/rfc2136/tsig.js';
import type { DnsHostWriter, HostRecord } from '../../src/dns-hosts/types.js';
import { MailsetupError } from '../../src/errors.js';
import { runDnsHostContract } from '../contract/dns-host.js';
import {
  DIG, NSUPDATE, axfr as bindAxfr, bindHarness, bindKeyStanza, bindSerial, bindUpdatePolicy, bindZoneFile as zoneFile,
  dig as bindDig, nsupdate as bindNsupdate,
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
  let w: DnsHostWriter;
  beforeAll(async () => { w = await writerWith(); });

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

  it('an update whose record changed meanwhile fails as a conflict and overwrites nothing', async () => {
    const zone = await w.findZone('example.test');
    nsupdate('example.test', ['update add race.example.test. 300 TXT "v=DMARC1; p=none"']);
    const [seen] = await w.listRecords(zone, ['race.example.test']);
    nsupdate('example.test', ['update delete race.example.test. TXT', 'update add race.example.test. 300 TXT "v=DMARC1; p=reject"']);
    const report = await w.apply(zone, [{ kind: 'update', from: seen!, to: { ...seen!, value: 'v=DMARC1; p=quarantine' } }]);
    expect(report.applied).toEqual([]);
    expect(report.failed?.error).toBeInstanceOf(MailsetupError);
    expect(report.failed?.error.message).toMatch(/TXT at race\.example\.test changed since the plan was made/);
    expect(axfr('example.test').filter((r) => r.name === 'race.example.test').map((r) => r.value)).toEqual(['v=DMARC1; p=reject']);
  });

  it('the server enforces the prerequisite: an UPDATE built on a stale read gets NXRRSET and changes nothing', async () => {
    const zone = 'example.test';
    nsupdate(zone, ['update add stale.example.test. 300 TXT "one"']);
    const stale = { rdatas: [{ type: 'TXT' as const, strings: ['one'] }], ttl: 300, cname: false };
    nsupdate(zone, ['update add stale.example.test. 300 TXT "two"']);
    const spec = changeSpec(zone, { kind: 'create', record: { type: 'TXT', name: 'stale.example.test', value: 'three', priority: null, ttl: 300 } }, stale);
    const config = { host: '127.0.0.1', port: named.port, label: named.address, spec: named.address };
    expect(await sendSigned(config, parseTsigKey(KEY), spec, 3000)).toBe(RCODE.NXRRSET);
    expect(axfr(zone).filter((r) => r.name === 'stale.example.test').map((r) => r.value).sort()).toEqual(['one', 'two']);
  });

  it('a CNAME where the name is in use is refused by the server (YXDOMAIN), not silently dropped', async () => {
    const zone = await w.findZone('example.test');
    const report = await w.apply(zone, [{ kind: 'create', record: { type: 'CNAME', name: 'example.test', value: 'elsewhere.example.net', priority: null, ttl: 300 } }]);
    expect(report.failed?.error.message).toMatch(/prerequisite check failed \(YXDOMAIN\)/);
    expect((report.failed?.error as MailsetupError).code).toBe('VERIFICATION_FAILED');
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

  it('a key without permission for the type → PROVIDER_AUTH (REFUSED) naming MAILSETUP_TSIG_KEY; the report says what landed', async () => {
    const zone = await w.findZone('restricted.test');
    const rec = (type: string, label: string, value: string, priority: number | null = null) => ({ kind: 'create' as const, record: { type, name: `${label}.restricted.test`, value, priority, ttl: 300 } });
    const changes = [rec('TXT', 'p1', 'partial p1'), rec('MX', 'p2', 'mx.example.net', 10), rec('TXT', 'p3', 'partial p3')];
    const report = await w.apply(zone, changes);
    expect(report.applied).toEqual([changes[0]]);
    expect(report.failed?.change).toEqual(changes[1]);
    expect(report.skipped).toEqual([changes[2]]);
    expect(axfr('restricted.test').filter((r) => r.name.startsWith('p')).map((r) => r.name)).toEqual(['p1.restricted.test']);
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

  it('a server that does not answer → DNS_UNAVAILABLE naming the variable', async () => {
    const dead = await writerWith({ [SERVER_ENV]: '127.0.0.1:9' }, 300);
    const err = (await dead.findZone('example.test').catch((e: unknown) => e)) as MailsetupError;
    expect(err.code).toBe('DNS_UNAVAILABLE');
    expect(`${err.message} ${err.hint}`).toContain(SERVER_ENV);
  });
});

describe('rfc2136: configuration', () => {
  it('no server → bad usage naming MAILSETUP_RFC2136_SERVER; no key → PROVIDER_AUTH naming MAILSETUP_TSIG_KEY', async () => {
    const noServer = await createRfc2136Writer({ env: { [TSIG_ENV]: KEY }, timeoutMs: 100 });
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
