import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailsetupError } from '../../src/errors.js';
import { createResendProvider, RESEND_URL, resolveBaseUrl } from '../../src/providers/resend/index.js';
import { qualifyResendName, toRecords, toStatus } from '../../src/providers/resend/convert.js';
import type { ProviderContext } from '../../src/providers/types.js';
import { runEmailProviderContract } from '../contract/email-provider.js';
import type { ResendEmulator } from '../emulators/resend.js';
import { startResendEmulator } from '../emulators/resend.js';

runEmailProviderContract({ id: 'resend', startEmulator: () => startResendEmulator(), makeProvider: createResendProvider });

describe('resend: adapter against the emulator', () => {
  let emu: ResendEmulator;
  const ctx = (over: Partial<ProviderContext> = {}): ProviderContext => ({ env: { ...emu.env }, timeoutMs: 2000, sleep: async () => {}, ...over });

  beforeAll(async () => { emu = await startResendEmulator({ dmarc: true }); });
  afterAll(async () => { await emu.close(); });

  it('qualifies the relative names Resend gives and unquotes the SPF value', async () => {
    const p = await createResendProvider(ctx());
    const { identity } = await p.register({ domain: 'mail.example.org' });
    // What the wire said, to be sure the test exercises relative names and quotes.
    const raw = (await (await fetch(`${emu.baseUrl}/domains/${identity.providerId}`, { headers: { authorization: `Bearer ${emu.env.RESEND_API_KEY}` } })).json()) as { records: Array<{ name: string; value: string }> };
    expect(raw.records.map((r) => r.name)).toEqual(['send.mail', 'send.mail', 'resend._domainkey.mail', '_dmarc.mail']);
    expect(raw.records[1]!.value).toBe('"v=spf1 include:amazonses.com ~all"');
    expect(identity.records.map((r) => [r.purpose, r.type, r.name, r.type === 'MX' ? `${r.priority} ${r.value}` : r.value.slice(0, 34), r.required])).toEqual([
      ['mail-from-mx', 'MX', 'send.mail.example.org', '10 feedback-smtp.us-east-1.amazonses.com', true],
      ['mail-from-spf', 'TXT', 'send.mail.example.org', 'v=spf1 include:amazonses.com ~all', true],
      ['dkim', 'TXT', 'resend._domainkey.mail.example.org', 'p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCB', true],
      ['dmarc', 'TXT', '_dmarc.mail.example.org', 'v=DMARC1; p=none;', false],
    ]);
    expect(identity.region).toBe('us-east-1');
    expect(identity.providerState).toBe('not_started');
  });

  it('an apex domain gets names directly under it', async () => {
    const p = await createResendProvider(ctx());
    const { identity } = await p.register({ domain: 'apex-example.com' });
    expect(identity.records.map((r) => r.name)).toContain('send.apex-example.com');
  });

  it.each([['eu-west-1'], ['sa-east-1'], ['ap-northeast-1']])('region %s → feedback-smtp.%s.amazonses.com', async (region) => {
    const p = await createResendProvider(ctx({ region }));
    const { identity } = await p.register({ domain: `${region}.example.net` });
    expect(identity.region).toBe(region);
    expect(identity.records.find((r) => r.purpose === 'mail-from-mx')?.value).toBe(`feedback-smtp.${region}.amazonses.com`);
    expect(emu.creates.at(-1)).toEqual({ name: `${region}.example.net`, region });
  });

  it('RegisterOptions.region wins over ctx.region; an unknown region is refused before any request', async () => {
    const p = await createResendProvider(ctx({ region: 'us-east-1' }));
    await p.register({ domain: 'opt.example.net', region: 'eu-west-1' });
    expect(emu.creates.at(-1)).toMatchObject({ region: 'eu-west-1' });
    const before = emu.requests.length;
    await expect(p.register({ domain: 'bad.example.net', region: 'us-west-2' })).rejects.toMatchObject({ code: 'USAGE' });
    expect(emu.requests.length).toBe(before);
  });

  it('--mail-from becomes the custom return path', async () => {
    const p = await createResendProvider(ctx());
    const { identity } = await p.register({ domain: 'rp.example.net', mailFrom: 'bounce' });
    expect(emu.creates.at(-1)).toMatchObject({ custom_return_path: 'bounce' });
    expect(identity.records.filter((r) => r.purpose.startsWith('mail-from')).map((r) => r.name)).toEqual(['bounce.rp.example.net', 'bounce.rp.example.net']);
  });

  it('adopts a domain found on a later page of the list', async () => {
    emu.seed('old.example.net');
    for (let i = 0; i < 120; i++) emu.seed(`filler${i}.example.net`);
    const p = await createResendProvider(ctx());
    const { identity, adopted } = await p.register({ domain: 'old.example.net' });
    expect(adopted).toBe(true);
    expect(identity.domain).toBe('old.example.net');
    expect(emu.requests.filter((r) => r.method === 'GET' && r.path === '/domains').length).toBeGreaterThanOrEqual(2);
  });

  it('maps provider failure states, and finds the domain by name when the stored id is not a Resend id', async () => {
    const p = await createResendProvider(ctx());
    const { identity } = await p.register({ domain: 'states.example.net' });
    emu.setStatus('states.example.net', 'partially_failed');
    expect((await p.get('states.example.net', identity.providerId))?.status).toBe('failed');
    emu.setStatus('states.example.net', 'partially_verified');
    expect((await p.get('states.example.net', 'states.example.net'))).toMatchObject({ status: 'pending', providerId: identity.providerId });
  });

  it('refuses to act on another domain\'s id (hand-edited state)', async () => {
    const p = await createResendProvider(ctx());
    const a = await p.register({ domain: 'a.example.net' });
    await p.register({ domain: 'b.example.net' });
    await expect(p.remove('b.example.net', a.identity.providerId)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(emu.hasDomain('a.example.net')).toBe(true);
  });

  it('a sending-only key → PROVIDER_AUTH naming RESEND_API_KEY; a wrong key too', async () => {
    const p = await createResendProvider(ctx());
    emu.fail({ kind: 'auth' });
    const e = (await p.get('x.example.net', '').catch((x: unknown) => x)) as MailsetupError;
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH', exitCode: 77 });
    expect(e.message).toMatch(/RESEND_API_KEY.*restricted_api_key/);
    const wrong = await createResendProvider(ctx({ env: { ...emu.env, RESEND_API_KEY: 're_wrong_key' } }));
    const e2 = (await wrong.get('x.example.net', '').catch((x: unknown) => x)) as MailsetupError;
    expect(e2).toMatchObject({ code: 'PROVIDER_AUTH' });
    expect(`${e2.message} ${e2.hint}`).not.toContain('re_wrong_key');
  });

  it('the SDK never reads process.env: key and base URL come from ctx.env only', async () => {
    const saved = { k: process.env.RESEND_API_KEY, u: process.env.RESEND_BASE_URL };
    process.env.RESEND_API_KEY = emu.env.RESEND_API_KEY;
    process.env.RESEND_BASE_URL = emu.baseUrl;
    try {
      const p = await createResendProvider({ env: {}, timeoutMs: 1000 });
      await expect(p.get('x.example.net', '')).rejects.toMatchObject({ code: 'PROVIDER_AUTH' });
      expect(resolveBaseUrl({})).toBe(RESEND_URL);
    } finally {
      if (saved.k === undefined) delete process.env.RESEND_API_KEY; else process.env.RESEND_API_KEY = saved.k;
      if (saved.u === undefined) delete process.env.RESEND_BASE_URL; else process.env.RESEND_BASE_URL = saved.u;
    }
  });
});

describe('resend: convert', () => {
  it.each([
    ['send.mail', 'mail.example.org', 'send.mail.example.org'], // relative to the registrable domain
    ['resend._domainkey.mail', 'mail.example.org', 'resend._domainkey.mail.example.org'],
    ['resend._domainkey', 'mail.example.org', 'resend._domainkey.mail.example.org'], // relative to the domain
    ['send', 'example.com', 'send.example.com'],
    ['links.mail.example.org', 'mail.example.org', 'links.mail.example.org'], // already qualified
    ['Send.Mail.Example.Org.', 'mail.example.org', 'send.mail.example.org'],
    ['send.a.b', 'a.b.example.co.uk', 'send.a.b.example.co.uk'], // multi-label public suffix
    ['send.mail', 'mail.acme.github.io', 'send.mail.acme.github.io'], // private suffix moves the boundary
    ['@', 'example.com', 'example.com'],
  ])('%s for %s → %s', (name, domain, expected) => {
    expect(qualifyResendName(name, domain)).toBe(expected);
  });

  it.each([
    ['verified', 'verified'], ['not_started', 'pending'], ['pending', 'pending'], ['partially_verified', 'pending'],
    ['temporary_failure', 'pending'], ['failed', 'failed'], ['partially_failed', 'failed'], ['brand_new', 'pending'],
  ])('status %s → %s', (raw, mapped) => {
    expect(toStatus(raw)).toBe(mapped);
  });

  it('DKIM CNAMEs lose their trailing dot; CAA and unknown kinds are skipped', () => {
    const records = toRecords({
      id: 'x', name: 'mail.example.org', status: 'pending', region: 'us-east-1',
      records: [
        { record: 'DKIM', name: 'abc._domainkey.mail', type: 'CNAME', value: 'abc.dkim.amazonses.com.' },
        { record: 'TrackingCAA', name: 'links.mail.example.org', type: 'CAA', value: '0 issue "amazon.com"' },
        { record: 'Tracking', name: 'links.mail.example.org', type: 'CNAME', value: 'links1.resend-dns.com' },
        { record: 'Mystery', name: 'x.mail', type: 'TXT', value: 'x' },
      ],
    });
    expect(records.map((r) => [r.purpose, r.name, r.value, r.required])).toEqual([
      ['dkim', 'abc._domainkey.mail.example.org', 'abc.dkim.amazonses.com', true],
      ['tracking', 'links.mail.example.org', 'links1.resend-dns.com', false],
    ]);
  });
});
