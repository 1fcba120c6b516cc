import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESELLERCLUB_URL, resolveBaseUrl } from '../../src/dns-hosts/resellerclub/api.js';
import { hostParam, parseSearch, qualifyHost } from '../../src/dns-hosts/resellerclub/convert.js';
import { createResellerclubWriter } from '../../src/dns-hosts/resellerclub/index.js';
import type { DnsHostWriter, HostContext, HostRecord } from '../../src/dns-hosts/types.js';
import { MailsetupError } from '../../src/errors.js';
import { runDnsHostContract } from '../contract/dns-host.js';
import { pinAtApply, pinNow, resellerclubHarness, type PinningWriter } from '../helpers/host-harness.js';
import { startResellerclubEmulator } from '../emulators/resellerclub.js';
import type { ResellerclubEmulator } from '../emulators/resellerclub.js';

runDnsHostContract({
  id: 'resellerclub',
  makeWriter: createResellerclubWriter,
  makeHarness: () => resellerclubHarness('contract.test'),
});

const txt = (name: string, value: string, ttl = 14400): HostRecord => ({ type: 'TXT', name, value, priority: null, ttl });

describe('resellerclub: pure parts', () => {
  it('talks to the documented production host unless RESELLERCLUB_BASE_URL says otherwise', () => {
    expect(RESELLERCLUB_URL).toBe('https://httpapi.com/api');
    expect(resolveBaseUrl({})).toBe(RESELLERCLUB_URL);
    expect(resolveBaseUrl({ RESELLERCLUB_BASE_URL: 'https://test.httpapi.com/api/' })).toBe('https://test.httpapi.com/api');
  });

  it('a malformed RESELLERCLUB_BASE_URL is bad usage; an unreachable host is PROVIDER_UNAVAILABLE; neither shows the key', async () => {
    const key = 'rc-secret-key-value';
    const env = { RESELLERCLUB_AUTH_USERID: '1', RESELLERCLUB_API_KEY: key };
    const bad = await createResellerclubWriter({ env: { ...env, RESELLERCLUB_BASE_URL: 'not a url' }, timeoutMs: 500, sleep: async () => {} });
    await expect(bad.findZone('acme.com')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('RESELLERCLUB_BASE_URL') });
    const down = await createResellerclubWriter({ env: { ...env, RESELLERCLUB_BASE_URL: 'http://127.0.0.1:9/api' }, timeoutMs: 500, sleep: async () => {} });
    const err = (await down.findZone('acme.com').catch((e: unknown) => e)) as MailsetupError;
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(`${err.message} ${err.hint}`).not.toContain(key);
  });

  it('hosts: relative with @ at the apex going out; relative or qualified coming back', () => {
    expect(hostParam('acme.com', 'acme.com')).toBe('@');
    expect(hostParam('_dmarc.Mail.acme.com.', 'acme.com')).toBe('_dmarc.mail');
    for (const h of ['@', '', 'acme.com', 'ACME.com.']) expect(qualifyHost(h, 'acme.com')).toBe('acme.com');
    expect(qualifyHost('_dmarc', 'acme.com')).toBe('_dmarc.acme.com');
    expect(qualifyHost('_dmarc.acme.com', 'acme.com')).toBe('_dmarc.acme.com');
  });

  it('search answers: numbered entries, string counts, quoted TXT, MX priority inline or apart', () => {
    const txtPage = parseSearch({ recsonpage: '2', recsindb: '2', 1: { host: '@', value: '"v=spf1 -all"', type: 'TXT', timetolive: '14400', status: 'Active' }, 2: { host: 'k', value: '"a" "b"', type: 'TXT', timetolive: '7200' } }, 'acme.com', 'TXT');
    expect(txtPage?.records.map((r) => [r.name, r.value, r.raw, r.ttl])).toEqual([['acme.com', 'v=spf1 -all', '"v=spf1 -all"', 14400], ['k.acme.com', 'ab', '"a" "b"', 7200]]);
    const mx = parseSearch({ recsindb: 2, 1: { host: 'acme.com', value: 'MX.Example.net.', priority: '5', type: 'MX' }, 2: { host: 'acme.com', value: '20 mx2.example.net', type: 'MX' } }, 'acme.com', 'MX');
    expect(mx?.records.map((r) => [r.value, r.priority])).toEqual([['mx.example.net', 5], ['mx2.example.net', 20]]);
    expect(parseSearch({ status: 'Success' }, 'acme.com', 'TXT')).toBeNull();
  });
});

describe('resellerclub: writer against the emulator', () => {
  let emu: ResellerclubEmulator;
  let w: PinningWriter;
  const ctx = (over: Partial<HostContext> = {}): HostContext => ({ env: { ...emu.env }, timeoutMs: 2000, sleep: async () => {}, ...over });
  beforeAll(async () => { emu = await startResellerclubEmulator({ quoteTxt: true, strictTtl: true }); });
  afterAll(async () => { await emu.close(); });
  beforeEach(async () => { emu.fail({ kind: 'auth' }, 0); emu.rejectAllIps(false); w = pinAtApply(await createResellerclubWriter(ctx())); });

  it('finds the zone as the registrable domain, with auth on every call and writes as form posts', async () => {
    emu.addZone('acme.co.uk');
    expect(await w.findZone('s1._domainkey.mail.acme.co.uk')).toEqual({ name: 'acme.co.uk', id: 'acme.co.uk' });
    const zone = { name: 'acme.co.uk', id: 'acme.co.uk' };
    expect((await w.apply(zone, [{ kind: 'create', record: txt('_dmarc.acme.co.uk', 'v=DMARC1; p=none') }])).failed).toBeNull();
    for (const c of emu.calls.slice(-3)) expect(c.params).toMatchObject({ 'auth-userid': '424242', 'api-key': 'rc-fake-test-api-key' });
    const add = emu.calls.at(-1)!;
    expect(add).toMatchObject({ method: 'POST', path: '/api/dns/manage/add-txt-record.json', contentType: 'application/x-www-form-urlencoded' });
    expect(add.params).toMatchObject({ 'domain-name': 'acme.co.uk', host: '_dmarc', value: 'v=DMARC1; p=none', ttl: '14400' });
  });

  it('a domain not in the account, or without DNS activated → DOMAIN_NOT_FOUND with the way out', async () => {
    await expect(w.findZone('mail.nowhere.example')).rejects.toMatchObject({ code: 'DOMAIN_NOT_FOUND' });
    emu.addZone('dormant.example', { activated: false });
    const err = (await w.findZone('dormant.example').catch((e: unknown) => e)) as MailsetupError;
    expect(err.code).toBe('DOMAIN_NOT_FOUND');
    expect(err.hint).toMatch(/Activate the free DNS service/);
  });

  it('an IP that is not whitelisted → PROVIDER_AUTH (77) with the whitelisting hint, without retrying', async () => {
    emu.addZone('walled.example');
    emu.rejectAllIps(true);
    const before = emu.requests.length;
    const err = (await w.findZone('walled.example').catch((e: unknown) => e)) as MailsetupError;
    expect(err.exitCode).toBe(77);
    expect(err.hint).toMatch(/whitelisted IP addresses.*Settings → API/);
    expect(emu.requests.length - before).toBe(1);
  });

  it('missing credentials → PROVIDER_AUTH naming the variable, before any request', async () => {
    const before = emu.requests.length;
    const noKey = await createResellerclubWriter(ctx({ env: { RESELLERCLUB_AUTH_USERID: '424242', RESELLERCLUB_BASE_URL: emu.baseUrl } }));
    await expect(noKey.findZone('acme.co.uk')).rejects.toMatchObject({ code: 'PROVIDER_AUTH', message: expect.stringContaining('RESELLERCLUB_API_KEY is not set') });
    expect(emu.requests.length).toBe(before);
  });

  it('429 (Retry-After honoured) and 5xx are retried', async () => {
    emu.addZone('busy.example');
    const waits: number[] = [];
    const retrying = await createResellerclubWriter(ctx({ sleep: async (ms) => { waits.push(ms); } }));
    emu.fail({ kind: 'rate-limit', retryAfterSeconds: 2 }, 1);
    await retrying.findZone('busy.example');
    emu.fail({ kind: 'server-error' }, 2);
    await retrying.findZone('busy.example');
    expect(waits[0]).toBe(2000);
    expect(waits).toHaveLength(3);
    emu.fail({ kind: 'server-error' }, 10);
    await expect(retrying.findZone('busy.example')).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringMatching(/after retries/) });
    expect(waits).toHaveLength(6); // 4 attempts in all
  });

  it('updates by the value exactly as the API returned it (re-quoted TXT) and raises TTLs to 7200', async () => {
    emu.addZone('quoted.example');
    emu.seed('quoted.example', txt('quoted.example', 'v=spf1 -all'));
    emu.seed('quoted.example', txt('quoted.example', 'google-site-verification=keep'));
    const zone = await w.findZone('quoted.example');
    const spf = (await w.listRecords(zone, ['quoted.example'])).find((r) => r.value.startsWith('v=spf1'))!;
    expect(spf.value).toBe('v=spf1 -all');
    const report = await w.apply(zone, [{ kind: 'update', from: spf, to: { ...spf, value: 'v=spf1 include:amazonses.com -all', ttl: 300 } }]);
    expect(report.failed).toBeNull();
    expect(emu.calls.at(-1)!.params).toMatchObject({ host: '@', 'current-value': '"v=spf1 -all"', 'new-value': 'v=spf1 include:amazonses.com -all', ttl: '7200' });
    expect(emu.records('quoted.example').map((r) => r.value).sort()).toEqual(['google-site-verification=keep', 'v=spf1 include:amazonses.com -all']);
  });

  it('refuses as HOST_CONFLICT what changed since the plan (any type), writing nothing: a rival SPF, an A where a CNAME goes, a vanished record', async () => {
    emu.addZone('race.example');
    const zone = await w.findZone('race.example');
    const writes = () => emu.calls.filter((c) => c.method === 'POST').length;
    // Planned against an empty zone…
    const changes = await pinNow(w.inner, zone, [
      { kind: 'create', record: txt('race.example', 'v=spf1 include:amazonses.com ~all') },
      { kind: 'create', record: { type: 'CNAME', name: 'k1._domainkey.race.example', value: 'k1.dkim.example.net', priority: null, ttl: 14400 } },
    ]);
    // …then someone publishes an SPF at the apex and an A record at the DKIM name.
    emu.seed('race.example', txt('race.example', 'v=spf1 include:other.example ~all'));
    emu.seed('race.example', { type: 'A', name: 'k1._domainkey.race.example', value: '192.0.2.1', priority: null, ttl: 14400 });
    const before = writes();
    const report = await w.apply(zone, changes);
    expect(report.applied).toEqual([]);
    expect(report.failed).toBeNull();
    expect(report.conflicts.map((x) => x.error.code)).toEqual(['HOST_CONFLICT', 'HOST_CONFLICT']);
    expect(report.conflicts[0]!.error.message).toMatch(/^race\.example changed since the plan was made \(TXT "v=spf1 include:other\.example ~all" appeared\); nothing was written at race\.example$/);
    expect(report.conflicts[1]!.error.message).toMatch(/k1\._domainkey\.race\.example changed since the plan was made \(A "192\.0\.2\.1" appeared\)/);
    const vanished = txt('race.example', 'v=spf1 -all');
    const gone = await w.apply(zone, [{ kind: 'update', from: vanished, to: txt('race.example', 'v=spf1 ~all'), seen: [vanished] }]);
    expect(gone.conflicts.map((x) => x.error.message)).toEqual([expect.stringMatching(/TXT "v=spf1 -all" is gone/)]);
    expect(writes()).toBe(before);
    expect(emu.records('race.example').map((r) => `${r.type} ${r.value}`).sort()).toEqual(['A 192.0.2.1', 'TXT v=spf1 include:other.example ~all']);
  });

  it('lists every type the API searches (A, AAAA, CNAME, MX, NS, TXT, SRV), one search per type', async () => {
    emu.addZone('types.example');
    const zone = await w.findZone('types.example');
    const n = 'all.types.example';
    for (const [type, value] of [['A', '192.0.2.1'], ['AAAA', '2001:db8::1'], ['NS', 'ns1.elsewhere.example'], ['TXT', 'hello'], ['MX', 'mx.types.example'], ['SRV', 'sip.types.example']] as const) {
      emu.seed('types.example', { type, name: n, value, priority: type === 'MX' ? 10 : null, ttl: 14400 });
    }
    const before = emu.calls.length;
    const got = await w.listRecords(zone, [n]);
    expect(got.map((r) => r.type).sort()).toEqual(['A', 'AAAA', 'MX', 'NS', 'SRV', 'TXT']);
    expect(emu.calls.slice(before).map((c) => c.params.type).sort()).toEqual(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']);
    // Someone else adds an A through the documented endpoint (add-ipv4-record): the writer sees it.
    const body = new URLSearchParams({ 'auth-userid': emu.env.RESELLERCLUB_AUTH_USERID!, 'api-key': emu.env.RESELLERCLUB_API_KEY!, 'domain-name': 'types.example', host: 'api', value: '192.0.2.44' });
    expect((await fetch(`${emu.baseUrl}/dns/manage/add-ipv4-record.json`, { method: 'POST', body })).status).toBe(200);
    expect((await w.listRecords(zone, ['api.types.example'])).map((r) => `${r.type} ${r.value}`)).toEqual(['A 192.0.2.44']);
  });

  it('a write whose reply is lost is read back and counted as applied', async () => {
    emu.addZone('lossy.example');
    const zone = await w.findZone('lossy.example');
    emu.loseNextWriteReply();
    const report = await w.apply(zone, [{ kind: 'create', record: txt('_dmarc.lossy.example', 'v=DMARC1; p=none') }]);
    expect(report.failed).toBeNull();
    expect(emu.records('lossy.example').map((r) => r.value)).toEqual(['v=DMARC1; p=none']);
  });

  it('lists across pages of 50', async () => {
    emu.addZone('big.example');
    for (let i = 0; i < 120; i++) emu.seed('big.example', txt(`r${i}.big.example`, `v${i}`));
    emu.seed('big.example', txt('r7.big.example', 'second'));
    const zone = await w.findZone('big.example');
    const got = await w.listRecords(zone, ['r7.big.example', 'r119.big.example']);
    expect(got.map((r) => `${r.name}=${r.value}`).sort()).toEqual(['r119.big.example=v119', 'r7.big.example=second', 'r7.big.example=v7']);
  });
});
