import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESELLERCLUB_URL, resolveBaseUrl } from '../../src/dns-hosts/resellerclub/api.js';
import { hostParam, parseSearch, qualifyHost } from '../../src/dns-hosts/resellerclub/convert.js';
import { createResellerclubWriter } from '../../src/dns-hosts/resellerclub/index.js';
import type { DnsHostWriter, HostContext, HostRecord } from '../../src/dns-hosts/types.js';
import { MailsetupError } from '../../src/errors.js';
import { runDnsHostContract } from '../contract/dns-host.js';
import { resellerclubHarness } from '../helpers/host-harness.js';
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
  let w: DnsHostWriter;
  const ctx = (over: Partial<HostContext> = {}): HostContext => ({ env: { ...emu.env }, timeoutMs: 2000, sleep: async () => {}, ...over });
  beforeAll(async () => { emu = await startResellerclubEmulator({ quoteTxt: true, strictTtl: true }); });
  afterAll(async () => { await emu.close(); });
  beforeEach(async () => { emu.fail({ kind: 'auth' }, 0); emu.rejectAllIps(false); w = await createResellerclubWriter(ctx()); });

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

  it('refuses as a conflict what changed since the plan: a rival SPF, a vanished record, a CNAME clash', async () => {
    emu.addZone('race.example');
    const zone = await w.findZone('race.example');
    emu.seed('race.example', txt('race.example', 'v=spf1 include:other.example ~all'));
    emu.seed('race.example', { type: 'CNAME', name: 'www.race.example', value: 'elsewhere.example', priority: null, ttl: 14400 });
    const writes = () => emu.calls.filter((c) => c.method === 'POST').length;
    const before = writes();
    const report = await w.apply(zone, [
      { kind: 'create', record: txt('race.example', 'v=spf1 include:amazonses.com ~all') },
    ]);
    expect(report.failed?.error.message).toMatch(/changed since the plan was made \(a v=spf1 record appeared there/);
    const gone = await w.apply(zone, [{ kind: 'update', from: txt('race.example', 'v=spf1 -all'), to: txt('race.example', 'v=spf1 ~all') }]);
    expect((gone.failed?.error as MailsetupError).code).toBe('VERIFICATION_FAILED');
    const clash = await w.apply(zone, [{ kind: 'create', record: txt('www.race.example', 'hello') }]);
    expect(clash.failed?.error.message).toMatch(/the name is a CNAME now/);
    expect(writes()).toBe(before);
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
