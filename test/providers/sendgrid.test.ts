import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EU_BASE_URL, GLOBAL_BASE_URL, regionOfBaseUrl, resolveBaseUrl } from '../../src/providers/sendgrid/api.js';
import { parseDomain, toIdentity } from '../../src/providers/sendgrid/convert.js';
import type { SendgridIdentity } from '../../src/providers/sendgrid/index.js';
import { createSendgridProvider } from '../../src/providers/sendgrid/index.js';
import type { ProviderContext } from '../../src/providers/types.js';
import { runEmailProviderContract } from '../contract/email-provider.js';
import type { SendgridEmulator } from '../emulators/sendgrid.js';
import { startSendgridEmulator } from '../emulators/sendgrid.js';
import { caught } from '../helpers/caught.js';

runEmailProviderContract({ id: 'sendgrid', startEmulator: startSendgridEmulator, makeProvider: createSendgridProvider });

describe('sendgrid specifics', () => {
  let emu: SendgridEmulator;
  const debug: string[] = [];
  const ctx = (over: Partial<ProviderContext> = {}): ProviderContext => ({
    env: { ...emu.env }, timeoutMs: 2000, sleep: async () => {}, debug: (l) => debug.push(l), ...over,
  });
  const callsFor = (path: string, method = 'POST') => emu.calls.filter((c) => c.path === path && c.method === method);

  beforeAll(async () => { emu = await startSendgridEmulator(); });
  afterAll(async () => { await emu.close(); });

  it('sends every request to SENDGRID_BASE_URL even though setApiKey resets the base URL', async () => {
    const before = emu.calls.length;
    const p = await createSendgridProvider(ctx());
    await p.register({ domain: 'base.sg.test' });
    const mine = emu.calls.slice(before);
    expect(mine.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /v3/whitelabel/domains', 'POST /v3/whitelabel/domains']);
    expect(mine.every((c) => c.authorization === 'Bearer SG.fake-test-key')).toBe(true);
    expect(mine[0]?.query).toMatchObject({ domain: 'base.sg.test', exclude_subusers: 'true' });
    expect(mine[1]?.body).toEqual({ domain: 'base.sg.test', automatic_security: true });
  });

  it('picks the EU host from the region unless SENDGRID_BASE_URL says otherwise', () => {
    expect(resolveBaseUrl({}, 'global')).toBe(GLOBAL_BASE_URL);
    expect(resolveBaseUrl({}, 'eu')).toBe('https://api.eu.sendgrid.com');
    expect(resolveBaseUrl({ SENDGRID_BASE_URL: 'https://api.eu.sendgrid.com/' }, 'global')).toBe(EU_BASE_URL);
    expect(resolveBaseUrl({ SENDGRID_BASE_URL: 'http://127.0.0.1:9' }, 'eu')).toBe('http://127.0.0.1:9');
    expect(regionOfBaseUrl('https://api.eu.sendgrid.com/')).toBe('eu');
    expect(regionOfBaseUrl('https://api.sendgrid.com')).toBe('global');
    expect(regionOfBaseUrl('http://127.0.0.1:9')).toBeNull();
  });

  it('--region eu asks for an EU domain and reports the region; an unknown region is a usage error', async () => {
    const p = await createSendgridProvider(ctx());
    const { identity } = await p.register({ domain: 'eu.sg.test', region: 'eu' });
    expect(identity.region).toBe('eu');
    expect(callsFor('/v3/whitelabel/domains').at(-1)?.body).toMatchObject({ domain: 'eu.sg.test', region: 'eu' });
    expect((await caught(p.register({ domain: 'x.sg.test', region: 'us-east-1' }))).code).toBe('USAGE');
  });

  it('names records the way SendGrid does: return path <label>.<domain>, DKIM s1/s2 under the domain', async () => {
    const p = await createSendgridProvider(ctx());
    const auto = await p.register({ domain: 'mail.acme.test' });
    const rp = auto.identity.records.filter((r) => r.purpose === 'return-path');
    expect(rp).toHaveLength(1);
    expect(rp[0]?.name).toMatch(/^em\d+\.mail\.acme\.test$/);
    expect(rp[0]?.value).toMatch(/^u\d+\.wl\d+\.sendgrid\.net$/);
    expect(auto.identity.records.filter((r) => r.purpose === 'dkim').map((r) => r.name)).toEqual(['s1._domainkey.mail.acme.test', 's2._domainkey.mail.acme.test']);
    expect(auto.identity.records.every((r) => r.type === 'CNAME' && r.required && r.source === 'provider')).toBe(true);

    // --mail-from is the `subdomain` label; `domain` stays the sending domain, never its parent.
    const custom = await p.register({ domain: 'mail.acme.test', mailFrom: 'Bounce' });
    expect(custom.adopted).toBe(false);
    expect(callsFor('/v3/whitelabel/domains').at(-1)?.body).toEqual({ domain: 'mail.acme.test', subdomain: 'bounce', automatic_security: true });
    expect(custom.identity.records.find((r) => r.purpose === 'return-path')?.name).toBe('bounce.mail.acme.test');
    expect(custom.identity.providerId).not.toBe(auto.identity.providerId);
    const again = await p.register({ domain: 'mail.acme.test', mailFrom: 'bounce' });
    expect(again).toMatchObject({ adopted: true, identity: { providerId: custom.identity.providerId } });
    expect((await caught(p.register({ domain: 'mail.acme.test', mailFrom: 'a.b' }))).code).toBe('USAGE');
  });

  it('adopts only an exact match, not whatever the ?domain= filter returns', async () => {
    emu.seed('xmail.near.test');
    const p = await createSendgridProvider(ctx());
    const { adopted, identity } = await p.register({ domain: 'mail.near.test' });
    expect(adopted).toBe(false);
    expect(identity.domain).toBe('mail.near.test');
  });

  it('maps validate results per record, with SendGrid\'s reasons, and keeps the domain pending', async () => {
    const p = await createSendgridProvider(ctx());
    const { identity } = await p.register({ domain: 'partial.sg.test' });
    emu.setRecordPublished('partial.sg.test', 'dkim1', true);
    const v = (await p.verify('partial.sg.test', identity.providerId)) as SendgridIdentity;
    expect(callsFor(`/v3/whitelabel/domains/${identity.providerId}/validate`)).toHaveLength(1);
    expect(v.status).toBe('pending');
    expect(v.providerState).toBe('not valid');
    const byKey = Object.fromEntries(v.checks.map((c) => [c.key, c]));
    expect(byKey.dkim1).toMatchObject({ purpose: 'dkim', name: 's1._domainkey.partial.sg.test', valid: true, reason: null });
    expect(byKey.dkim2).toMatchObject({ purpose: 'dkim', valid: false, reason: expect.stringContaining('s2._domainkey.partial.sg.test') });
    expect(byKey.mail_cname).toMatchObject({ purpose: 'return-path', valid: false });
    // get() reads the same per-record flags back from dns.*.valid (no reasons there).
    const got = (await p.get('partial.sg.test', identity.providerId)) as SendgridIdentity;
    expect(got.checks.filter((c) => c.valid).map((c) => c.key)).toEqual(['dkim1']);
  });

  it('maps an automatic_security=false domain (MX, TXT SPF, TXT DKIM) from the spec example', () => {
    const id = toIdentity(parseDomain({
      id: 7, domain: 'Example.COM', subdomain: 'mail', valid: false, automatic_security: false,
      dns: {
        mail_server: { valid: false, type: 'mx', host: 'mail.example.com', data: 'mx.sendgrid.net' },
        subdomain_spf: { valid: false, type: 'txt', host: 'mail.example.com', data: 'v=spf1 include:sendgrid.net ~all' },
        dkim: { valid: false, type: 'txt', host: 'm1._domainkey.example.com', data: 'k=rsa; t=s; p=MIGf' },
      },
    }), null);
    expect(id.records.map((r) => [r.purpose, r.type, r.name, r.value, r.priority])).toEqual([
      ['mail-from-mx', 'MX', 'mail.example.com', 'mx.sendgrid.net', 10],
      ['mail-from-spf', 'TXT', 'mail.example.com', 'v=spf1 include:sendgrid.net ~all', null],
      ['dkim', 'TXT', 'm1._domainkey.example.com', 'k=rsa; t=s; p=MIGf', null],
    ]);
    expect(id).toMatchObject({ domain: 'example.com', providerId: '7', status: 'pending' });
  });

  it('waits for X-RateLimit-Reset when there is no Retry-After', async () => {
    const waits: number[] = [];
    const p = await createSendgridProvider(ctx({ sleep: async (ms) => { waits.push(ms); } }));
    emu.fail({ kind: 'rate-limit', retryAfterSeconds: null }, 1);
    await p.register({ domain: 'reset-header.sg.test' });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
    expect(waits[0]).toBeLessThanOrEqual(2000);
  });

  it('403 → PROVIDER_AUTH; a non-numeric stored id is looked up by name', async () => {
    const p = await createSendgridProvider(ctx());
    emu.fail({ kind: 'forbidden' }, 1);
    const e = await caught(p.get('mail.acme.test', '1'));
    expect(e.code).toBe('PROVIDER_AUTH');
    expect(e.message).toContain('SENDGRID_API_KEY');
    const { identity } = await p.register({ domain: 'byname.sg.test' });
    expect((await p.get('byname.sg.test', 'byname.sg.test'))?.providerId).toBe(identity.providerId);
  });

  it('refuses to touch an id that belongs to another domain', async () => {
    const p = await createSendgridProvider(ctx());
    const other = await p.register({ domain: 'owner.sg.test' });
    const e = await caught(p.remove('intruder.sg.test', other.identity.providerId));
    expect(e.code).toBe('DOMAIN_NOT_FOUND');
    expect(e.message).toContain('owner.sg.test');
    expect(emu.hasDomain('owner.sg.test')).toBe(true);
    expect(callsFor(`/v3/whitelabel/domains/${other.identity.providerId}`, 'DELETE')).toHaveLength(0);
  });

  it('single sender: create, adopt on re-run, and see the click', async () => {
    const p = await createSendgridProvider(ctx());
    const first = await p.registerSender!('Ops@Acme.test');
    expect(first).toMatchObject({ email: 'ops@acme.test', status: 'pending', providerId: expect.stringMatching(/^\d+$/) });
    expect(callsFor('/v3/verified_senders').at(-1)?.body).toEqual({ nickname: 'ops@acme.test', from_email: 'ops@acme.test', reply_to: 'ops@acme.test' });
    expect((await p.registerSender!('ops@acme.test')).providerId).toBe(first.providerId);
    expect(callsFor('/v3/verified_senders')).toHaveLength(1);
    emu.setSenderVerified('ops@acme.test');
    expect((await p.checkSender!('ops@acme.test', first.providerId)).status).toBe('verified');
    expect((await caught(p.checkSender!('nobody@acme.test', '99999'))).code).toBe('DOMAIN_NOT_FOUND');
  });

  it('retries 500s, resets and garbage 4 times, and never prints the key: not in errors nor debug lines', async () => {
    const key = emu.env.SENDGRID_API_KEY!;
    for (const kind of ['server-error', 'reset', 'malformed'] as const) {
      const p = await createSendgridProvider(ctx());
      emu.fail({ kind }, 10);
      const before = emu.requests.length;
      const e = await caught(p.register({ domain: 'leak.sg.test' }));
      emu.fail({ kind }, 0);
      expect([e.code, emu.requests.length - before]).toEqual(['PROVIDER_UNAVAILABLE', 4]); // retried, bounded
      expect(`${e.message} ${e.hint} ${e.stack} ${JSON.stringify(e)} ${String(e.cause)}`).not.toContain(key);
    }
    const p = await createSendgridProvider(ctx({ timeoutMs: 100 }));
    emu.fail({ kind: 'slow', delayMs: 500 }, 10);
    const e = await caught(p.register({ domain: 'leak.sg.test' }));
    emu.fail({ kind: 'slow', delayMs: 0 }, 0);
    expect(e.message).toMatch(/timed out/);
    expect(debug.join('\n')).not.toContain(key);
    expect(debug.some((l) => l.startsWith('sendgrid: GET /v3/whitelabel/domains?domain='))).toBe(true);
  });
});
