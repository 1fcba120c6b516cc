import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Mailgun from 'mailgun.js';
import { MailsetupError } from '../../src/errors.js';
import { createMailgunProvider, MAILGUN_EU_URL, MAILGUN_US_URL, resolveBaseUrl } from '../../src/providers/mailgun/index.js';
import { toRecords, toStatus } from '../../src/providers/mailgun/convert.js';
import type { ProviderContext } from '../../src/providers/types.js';
import { runEmailProviderContract } from '../contract/email-provider.js';
import type { MailgunEmulator } from '../emulators/mailgun.js';
import { startMailgunEmulator } from '../emulators/mailgun.js';

runEmailProviderContract({ id: 'mailgun', startEmulator: () => startMailgunEmulator(), makeProvider: createMailgunProvider });

describe('mailgun: base URL', () => {
  it('--region eu goes to the EU API host, the default to the US one', () => {
    expect(resolveBaseUrl({}, 'eu')).toBe('https://api.eu.mailgun.net');
    expect(MAILGUN_EU_URL).toBe('https://api.eu.mailgun.net');
    expect(resolveBaseUrl({}, 'us')).toBe(MAILGUN_US_URL);
    expect(MAILGUN_US_URL).toBe('https://api.mailgun.net');
  });

  it('MAILGUN_BASE_URL wins over the region, without a trailing slash (the SDK appends /v4/…)', () => {
    expect(resolveBaseUrl({ MAILGUN_BASE_URL: 'http://127.0.0.1:9/' }, 'eu')).toBe('http://127.0.0.1:9');
    expect(resolveBaseUrl({ MAILGUN_BASE_URL: '  ' }, 'eu')).toBe(MAILGUN_EU_URL);
  });

  it('an unknown region is bad usage, before any request', async () => {
    const p = await createMailgunProvider({ env: { MAILGUN_API_KEY: 'mg-fake-test-key' }, timeoutMs: 1000, region: 'ap' });
    await expect(p.register({ domain: 'x.example.com' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('mailgun: adapter against the emulator', () => {
  let emu: MailgunEmulator;
  const ctx = (over: Partial<ProviderContext> = {}): ProviderContext => ({ env: { ...emu.env }, timeoutMs: 2000, sleep: async () => {}, ...over });

  beforeAll(async () => { emu = await startMailgunEmulator(); });
  afterAll(async () => { await emu.close(); });

  it('maps sending and receiving records to purposes', async () => {
    const p = await createMailgunProvider(ctx());
    const { identity } = await p.register({ domain: 'Records.Example.COM' });
    expect(identity.providerId).toBe('records.example.com');
    expect(identity.providerState).toBe('unverified');
    const byPurpose = (purpose: string) => identity.records.filter((r) => r.purpose === purpose);
    expect(byPurpose('spf')).toEqual([expect.objectContaining({ type: 'TXT', name: 'records.example.com', value: 'v=spf1 include:mailgun.org ~all', required: true })]);
    expect(byPurpose('dkim')).toEqual([expect.objectContaining({ type: 'TXT', name: 'mx._domainkey.records.example.com', required: true })]);
    expect(byPurpose('dkim')[0]!.value).toMatch(/^k=rsa; p=[A-Za-z0-9+/=]+$/);
    expect(byPurpose('tracking')).toEqual([expect.objectContaining({ type: 'CNAME', name: 'email.records.example.com', value: 'mailgun.org', required: false })]);
    expect(byPurpose('inbound-mx').map((r) => [r.name, r.value, r.priority, r.required])).toEqual([
      ['records.example.com', 'mxa.mailgun.org', 10, false],
      ['records.example.com', 'mxb.mailgun.org', 10, false],
    ]);
  });

  it('sends --dkim-key-size as the string "2048"', async () => {
    const p = await createMailgunProvider(ctx());
    const { identity } = await p.register({ domain: 'bigkey.example.com', dkimKeySize: 2048 });
    expect(emu.creates.at(-1)).toEqual({ name: 'bigkey.example.com', dkim_key_size: '2048' });
    const key = identity.records.find((r) => r.purpose === 'dkim')!.value.replace(/^.*p=/, '');
    expect(Buffer.from(key, 'base64').length).toBeGreaterThan(256); // a 2048-bit SPKI, not the 1024 default
  });

  it('why strings: the SDK with Node FormData refuses a number before sending anything', async () => {
    const client = new Mailgun(FormData).client({ username: 'api', key: emu.env.MAILGUN_API_KEY!, url: emu.baseUrl });
    const before = emu.requests.length;
    await expect(client.domains.create({ name: 'number.example.com', dkim_key_size: 2048 })).rejects.toMatchObject({ message: expect.stringMatching(/Unknown value type/) });
    expect(emu.requests.length).toBe(before);
  });

  it('the emulator rejects a field value Mailgun cannot parse, as Mailgun does (400 {message})', async () => {
    const form = new FormData();
    form.append('name', 'badfield.example.com');
    form.append('dkim_key_size', '2048.0');
    const res = await fetch(`${emu.baseUrl}/v4/domains`, { method: 'POST', body: form, headers: { authorization: `Basic ${Buffer.from(`api:${emu.env.MAILGUN_API_KEY}`).toString('base64')}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: expect.stringMatching(/dkim_key_size/) });
    expect(emu.hasDomain('badfield.example.com')).toBe(false);
  });

  it('verify before DNS is right stays pending; verifying an unknown domain is DOMAIN_NOT_FOUND', async () => {
    const p = await createMailgunProvider(ctx());
    await p.register({ domain: 'early.example.com' });
    expect((await p.verify('early.example.com', 'early.example.com')).status).toBe('pending');
    const e = await p.verify('nope.example.com', 'nope.example.com').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MailsetupError);
    expect(e).toMatchObject({ code: 'DOMAIN_NOT_FOUND' });
  });

  it('a stored id that is not a host name never reaches the URL path', async () => {
    const p = await createMailgunProvider(ctx());
    const before = emu.requests.length;
    await expect(p.remove('x.example.com', '../v3/domains/other.example.com')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(emu.requests.length).toBe(before);
  });

  it('--dkim byo is refused as unsupported', async () => {
    const p = await createMailgunProvider(ctx());
    await expect(p.register({ domain: 'byo.example.com', dkim: 'byo' })).rejects.toMatchObject({ code: 'PROVIDER_UNSUPPORTED' });
  });

  it('a rejected key names MAILGUN_API_KEY and hints at the region', async () => {
    const p = await createMailgunProvider(ctx({ env: { ...emu.env, MAILGUN_API_KEY: 'mg-wrong-key' } }));
    const e = (await p.get('x.example.com', 'x.example.com').catch((x: unknown) => x)) as MailsetupError;
    expect(e.code).toBe('PROVIDER_AUTH');
    expect(e.message).toContain('MAILGUN_API_KEY');
    expect(e.hint).toMatch(/region eu/);
    expect(`${e.message} ${e.hint}`).not.toContain('mg-wrong-key');
  });
});

describe('mailgun: EU records', () => {
  it('an EU account gets the EU MX and tracking targets', async () => {
    const emu = await startMailgunEmulator({ region: 'eu' });
    try {
      const p = await createMailgunProvider({ env: emu.env, timeoutMs: 2000, region: 'eu' });
      const { identity } = await p.register({ domain: 'eu.example.com' });
      expect(identity.region).toBe('eu');
      expect(identity.records.filter((r) => r.type !== 'TXT').map((r) => r.value).sort()).toEqual(['eu.mailgun.org', 'mxa.eu.mailgun.org', 'mxb.eu.mailgun.org']);
    } finally {
      await emu.close();
    }
  });
});

describe('mailgun: convert', () => {
  it('maps state: active → verified, unverified → pending, disabled → failed', () => {
    expect(toStatus('active')).toBe('verified');
    expect(toStatus('unverified')).toBe('pending');
    expect(toStatus('disabled')).toBe('failed');
    expect(toStatus('active', true)).toBe('failed');
    expect(toStatus('something-new')).toBe('pending');
  });

  it('automatic sender security: the two pdk CNAMEs are DKIM, trailing dots dropped', () => {
    const records = toRecords({
      name: 'auto.example.com', state: 'unverified', receiving_dns_records: null,
      sending_dns_records: [
        { record_type: 'CNAME', name: 'pdk1._domainkey.auto.example.com', value: 'pdk1._domainkey.abc.dkim1.mailgun.com.' },
        { record_type: 'CNAME', name: 'pdk2._domainkey.auto.example.com', value: 'pdk2._domainkey.abc.dkim1.mailgun.com' },
        { record_type: 'CNAME', name: 'track.auto.example.com', value: 'mailgun.org' },
      ],
    });
    expect(records.map((r) => [r.purpose, r.name, r.value, r.required])).toEqual([
      ['dkim', 'pdk1._domainkey.auto.example.com', 'pdk1._domainkey.abc.dkim1.mailgun.com', true],
      ['dkim', 'pdk2._domainkey.auto.example.com', 'pdk2._domainkey.abc.dkim1.mailgun.com', true],
      ['tracking', 'track.auto.example.com', 'mailgun.org', false],
    ]);
  });
});
