/**
 * Cloudflare writer: the shared DNS-host contract, then what only Cloudflare has (proxied flag,
 * automatic TTL, quoted TXT content, record ids, its paging), all through the real `cloudflare`
 * SDK against the loopback emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCloudflareWriter } from '../../src/dns-hosts/cloudflare/index.js';
import type { DnsHostWriter, HostContext } from '../../src/dns-hosts/types.js';
import { runDnsHostContract } from '../contract/dns-host.js';
import { hostRecord as rec, cloudflareHarness, pinAtApply, type PinningWriter } from '../helpers/host-harness.js';
import { startCloudflareEmulator } from '../emulators/cloudflare.js';
import type { CloudflareEmulator } from '../emulators/cloudflare.js';
import { caught } from '../helpers/caught.js';

runDnsHostContract({
  id: 'cloudflare',
  makeWriter: createCloudflareWriter,
  makeHarness: () => cloudflareHarness('contract.example'),
});

describe('cloudflare writer', () => {
  let emu: CloudflareEmulator;
  let writer: PinningWriter;
  const sleeps: number[] = [];
  const ctx = (over: Partial<HostContext> = {}): HostContext => ({
    env: { ...emu.env }, timeoutMs: 2000, sleep: async (ms) => { sleeps.push(ms); }, ...over,
  });
  const zone = () => writer.findZone('acme.test');

  beforeAll(async () => {
    emu = await startCloudflareEmulator();
    emu.addZone('acme.test');
    emu.addZone('mail.deleg.test');
    emu.addZone('deleg.test');
    writer = pinAtApply(await createCloudflareWriter(ctx()));
  });
  afterAll(async () => { await emu.close(); });
  beforeEach(() => { sleeps.length = 0; emu.fail({ kind: 'server-error' }, 0); });

  it('picks the longest zone that holds the name, one round trip for all candidates', async () => {
    expect((await writer.findZone('s1._domainkey.mail.deleg.test')).name).toBe('mail.deleg.test');
    expect((await writer.findZone('Other.Deleg.Test.')).name).toBe('deleg.test');
    const e = await caught(writer.findZone('nowhere.invalid'));
    expect(e.code).toBe('DOMAIN_NOT_FOUND');
    // `_domainkey` labels are never zones; no request is spent on them.
    expect(emu.calls.filter((c) => c.path === '/zones').map((c) => c.query.name)).not.toContain('_domainkey.mail.deleg.test');
  });

  it('creates CNAMEs DNS-only (proxied: false) and reports an existing proxied record as proxied', async () => {
    const z = await zone();
    emu.seedRaw('acme.test', { type: 'CNAME', name: 'www.acme.test', content: 'acme.pages.dev', ttl: 1, proxied: true });
    const report = await writer.apply(z, [{ kind: 'create', record: rec('CNAME', 'k1._domainkey.acme.test', 'k1.dkim.amazonses.com') }]);
    expect(report.failed).toBeNull();
    const post = emu.calls.find((c) => c.method === 'POST' && (c.body as { name?: string }).name === 'k1._domainkey.acme.test');
    expect(post?.body).toMatchObject({ type: 'CNAME', proxied: false, content: 'k1.dkim.amazonses.com', ttl: 300 });
    expect(emu.raw('acme.test').find((r) => r.name === 'k1._domainkey.acme.test')?.proxied).toBe(false);
    const listed = await writer.listRecords(z, ['www.acme.test', 'k1._domainkey.acme.test']);
    expect(listed.find((r) => r.name === 'www.acme.test')).toMatchObject({ type: 'CNAME', value: 'acme.pages.dev', proxied: true, ttl: null });
    expect(listed.find((r) => r.name === 'k1._domainkey.acme.test')?.proxied).toBe(false);
  });

  it('writes TXT quoted in ≤255-byte strings and reads quoted, split or bare content back the same', async () => {
    const z = await zone();
    const dkim = `v=DKIM1; k=rsa; p=${'B'.repeat(380)}`;
    const quoted = 'say "hi" \\ bye';
    await writer.apply(z, [
      { kind: 'create', record: rec('TXT', 'k2._domainkey.acme.test', dkim) },
      { kind: 'create', record: rec('TXT', 'q.acme.test', quoted) },
    ]);
    const raw = emu.raw('acme.test');
    expect(raw.find((r) => r.name === 'k2._domainkey.acme.test')?.content).toBe(`"${dkim.slice(0, 255)}" "${dkim.slice(255)}"`);
    expect(raw.find((r) => r.name === 'q.acme.test')?.content).toBe('"say \\"hi\\" \\\\ bye"');
    emu.seedRaw('acme.test', { type: 'TXT', name: 'bare.acme.test', content: 'v=spf1 -all', ttl: 1 });
    const listed = await writer.listRecords(z, ['k2._domainkey.acme.test', 'q.acme.test', 'bare.acme.test']);
    expect(Object.fromEntries(listed.map((r) => [r.name, r.value]))).toEqual({
      'k2._domainkey.acme.test': dkim, 'q.acme.test': quoted, 'bare.acme.test': 'v=spf1 -all',
    });
  });

  it('TTL: null is automatic (1, read back as null), below 60 is raised to 60', async () => {
    const z = await zone();
    await writer.apply(z, [
      { kind: 'create', record: rec('TXT', 'auto.acme.test', 'x', { ttl: null }) },
      { kind: 'create', record: rec('TXT', 'short.acme.test', 'y', { ttl: 5 }) },
    ]);
    const raw = emu.raw('acme.test');
    expect(raw.find((r) => r.name === 'auto.acme.test')?.ttl).toBe(1);
    expect(raw.find((r) => r.name === 'short.acme.test')?.ttl).toBe(60);
    const listed = await writer.listRecords(z, ['auto.acme.test']);
    expect(listed[0]?.ttl).toBeNull();
  });

  it('pages through many records at a name and stops without asking for an empty page', async () => {
    const z = await zone();
    for (let i = 0; i < 230; i++) emu.seedRaw('acme.test', { type: 'TXT', name: 'many.acme.test', content: `token-${i}`, ttl: 1 });
    const before = emu.calls.length;
    const listed = await writer.listRecords(z, ['many.acme.test']);
    expect(listed).toHaveLength(230);
    const pages = emu.calls.slice(before).map((c) => Number(c.query.page));
    expect(pages).toEqual([1, 2, 3]);
    expect(emu.calls[before]?.query).toMatchObject({ 'name.exact': 'many.acme.test', per_page: '100' });
  });

  it('update PATCHes the record by id, keeps its comment, and refuses when it changed since the plan', async () => {
    const z = await zone();
    emu.seedRaw('acme.test', { type: 'TXT', name: '_dmarc.acme.test', content: 'v=DMARC1; p=none', ttl: 300, comment: 'owned by ops' });
    const [from] = await writer.listRecords(z, ['_dmarc.acme.test']);
    const ok = await writer.apply(z, [{ kind: 'update', from: from!, to: { ...from!, value: 'v=DMARC1; p=quarantine' } }]);
    expect(ok.failed).toBeNull();
    const stored = emu.raw('acme.test').find((r) => r.name === '_dmarc.acme.test');
    expect(stored).toMatchObject({ id: from!.hostId, content: '"v=DMARC1; p=quarantine"', comment: 'owned by ops' });
    expect(emu.calls.at(-1)).toMatchObject({ method: 'PATCH', path: `/zones/${z.id}/dns_records/${from!.hostId}` });
    // Stale plan: `from` no longer matches what Cloudflare holds.
    const stale = await writer.apply(z, [{ kind: 'update', from: from!, to: { ...from!, value: 'v=DMARC1; p=reject' } }]);
    expect(stale.applied).toEqual([]);
    expect(stale.conflicts[0]?.error).toMatchObject({ code: 'HOST_CONFLICT', exitCode: 2 });
    expect(emu.raw('acme.test').find((r) => r.name === '_dmarc.acme.test')?.content).toBe('"v=DMARC1; p=quarantine"');
    // Without a host id the record is found by value.
    const noId = { ...from!, value: 'v=DMARC1; p=quarantine', hostId: undefined };
    const byValue = await writer.apply(z, [{ kind: 'update', from: noId, to: { ...noId, value: 'v=DMARC1; p=reject' } }]);
    expect(byValue.failed).toBeNull();
  });

  it('an identical record already there (81058) counts as applied', async () => {
    const z = await zone();
    await writer.apply(z, [{ kind: 'create', record: rec('TXT', 'dup.acme.test', 'same') }]);
    // Pinned to the zone as it is now (the record there): the POST meets 81058, and nothing is duplicated.
    const change = { kind: 'create' as const, record: rec('TXT', 'dup.acme.test', 'same') };
    const again = await writer.apply(z, [change]);
    expect(again).toEqual({ applied: [change], failed: null, skipped: [], conflicts: [] });
    expect(emu.records('acme.test').filter((r) => r.name === 'dup.acme.test')).toHaveLength(1);
  });

  it('honours Retry-After on 429, backs off on 5xx and resets, and gives up with exit 69', async () => {
    emu.fail({ kind: 'rate-limit', retryAfterSeconds: 7 }, 1);
    await zone();
    expect(sleeps).toContain(7000);
    emu.fail({ kind: 'reset' }, 2);
    await zone();
    emu.fail({ kind: 'server-error' }, 10);
    const e = await caught(zone());
    expect(e.exitCode).toBe(69);
    expect(e.message).toMatch(/kept failing after retries/);
  });

  it('a malformed answer is PROVIDER_UNAVAILABLE at once; a slow one times out and is retried', async () => {
    const before = emu.requests.length;
    emu.fail({ kind: 'malformed' }, 1);
    const e = await caught(writer.findZone('acme.test'));
    expect(e.code).toBe('PROVIDER_UNAVAILABLE');
    expect(emu.requests.length - before).toBe(1);
    const quick = await createCloudflareWriter(ctx({ timeoutMs: 200 }));
    emu.fail({ kind: 'slow', delayMs: 1000 }, 1);
    expect((await quick.findZone('acme.test')).name).toBe('acme.test');
  });

  it('a missing token or a token without permission is PROVIDER_AUTH naming CLOUDFLARE_API_TOKEN', async () => {
    const missing = await caught(createCloudflareWriter(ctx({ env: { CLOUDFLARE_BASE_URL: emu.env.CLOUDFLARE_BASE_URL } })));
    expect(missing).toMatchObject({ code: 'PROVIDER_AUTH', exitCode: 77 });
    expect(missing.message).toContain('CLOUDFLARE_API_TOKEN');
    for (const kind of ['forbidden', 'auth'] as const) {
      emu.fail({ kind }, 1);
      const e = await caught(zone());
      expect(e.exitCode).toBe(77);
      expect(`${e.message} ${e.hint}`).toContain('CLOUDFLARE_API_TOKEN');
      expect(e.message).not.toContain(emu.env.CLOUDFLARE_API_TOKEN);
    }
  });

  it('reads token and base URL from ctx.env only, never from process.env', async () => {
    const saved = { ...process.env };
    process.env.CLOUDFLARE_BASE_URL = 'http://127.0.0.1:9/client/v4';
    process.env.CLOUDFLARE_API_KEY = 'global-key-must-not-be-sent';
    process.env.CLOUDFLARE_EMAIL = 'someone@example.invalid';
    try {
      const w = await createCloudflareWriter(ctx());
      const before = emu.calls.length;
      expect((await w.findZone('acme.test')).name).toBe('acme.test');
      expect(emu.calls.length).toBeGreaterThan(before);
      for (const c of emu.calls.slice(before)) expect(c.headers).toEqual({ authorization: `Bearer ${emu.env.CLOUDFLARE_API_TOKEN}`, 'x-auth-key': undefined, 'x-auth-email': undefined });
    } finally {
      for (const k of ['CLOUDFLARE_BASE_URL', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_EMAIL']) {
        if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
      }
    }
  });
});
