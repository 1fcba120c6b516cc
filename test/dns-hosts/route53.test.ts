/**
 * Route 53 writer: the shared DNS-host contract, then what only Route 53 has (RRset-wide writes,
 * quoted 255-byte TXT strings, atomic ChangeBatches, GetChange until INSYNC, Throttling), all
 * through the real `@aws-sdk/client-route-53` against the loopback emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRoute53Writer } from '../../src/dns-hosts/route53/index.js';
import type { DnsHostWriter, HostChange, HostContext, HostRecord } from '../../src/dns-hosts/types.js';
import { runDnsHostContract } from '../contract/dns-host.js';
import { hostRecord as rec, pinAtApply, route53Harness, type LooseChange, type PinningWriter } from '../helpers/host-harness.js';
import { startRoute53Emulator } from '../emulators/route53.js';
import type { Route53Emulator } from '../emulators/route53.js';
import { caught } from '../helpers/caught.js';

runDnsHostContract({
  id: 'route53',
  makeWriter: createRoute53Writer,
  // Its harness has no `fail`: Route 53 applies a whole apply as one atomic ChangeBatch (see below).
  makeHarness: () => route53Harness('contract.example'),
});

const create = (r: HostRecord): LooseChange => ({ kind: 'create', record: r });

describe('route53 writer', () => {
  let emu: Route53Emulator;
  let writer: PinningWriter;
  const sleeps: number[] = [];
  const ctx = (over: Partial<HostContext> = {}): HostContext => ({
    env: { ...emu.env }, timeoutMs: 2000, sleep: async (ms) => { sleeps.push(ms); }, ...over,
  });
  const zone = () => writer.findZone('acme.test');
  const writes = () => emu.calls.filter((c) => c.method === 'POST');

  beforeAll(async () => {
    emu = await startRoute53Emulator();
    for (const z of ['acme.test', 'deleg.test', 'mail.deleg.test', '_domainkey.deleg.test', 'b.test', 'c.test']) emu.addZone(z);
    emu.addPrivateZone('internal.acme.test');
    writer = pinAtApply(await createRoute53Writer(ctx()));
  });
  afterAll(async () => { await emu.close(); });
  beforeEach(() => { sleeps.length = 0; emu.fail({ kind: 'server-error' }, 0); emu.setInsyncAfter(1); emu.useLegacyErrors(false); });

  it('picks the longest public zone, skipping private zones and the next zone in the listing', async () => {
    expect((await writer.findZone('s1._domainkey.mail.deleg.test')).name).toBe('mail.deleg.test');
    // A delegated `_domainkey` zone is where its selectors must be written.
    expect((await writer.findZone('s1._domainkey.deleg.test')).name).toBe('_domainkey.deleg.test');
    expect((await writer.findZone('x.internal.acme.test')).name).toBe('acme.test');
    // `a.test` does not exist: ListHostedZonesByName answers from the next zone (b.test) on.
    expect((await caught(writer.findZone('a.test'))).code).toBe('DOMAIN_NOT_FOUND');
  });

  it('keeps sibling TXT values: a create or an update replaces the whole RRset, DELETE with the values read + CREATE', async () => {
    const z = await zone();
    emu.seed('acme.test', rec('TXT', 'acme.test', 'v=spf1 include:_spf.example.net ~all', { ttl: 3600 }));
    emu.seed('acme.test', rec('TXT', 'acme.test', 'google-site-verification=abc', { ttl: 3600 }));
    const added = await writer.apply(z, [create(rec('TXT', 'acme.test', 'amazonses:token'))]);
    expect(added.failed).toBeNull();
    const body = writes().at(-1)!.body;
    // The DELETE carries the set exactly as read (values and TTL): Route 53 refuses the batch if it changed.
    expect(body).toMatch(/<Action>DELETE<\/Action>.*<TTL>3600<\/TTL>.*v=spf1 include:_spf\.example\.net ~all.*google-site-verification=abc.*<Action>CREATE<\/Action>/s);
    expect(body).not.toContain('UPSERT');
    const [spf] = (await writer.listRecords(z, ['acme.test'])).filter((r) => r.type === 'TXT' && r.value.startsWith('v=spf1'));
    await writer.apply(z, [{ kind: 'update', from: spf!, to: { ...spf!, value: 'v=spf1 include:_spf.example.net include:amazonses.com ~all' } }]);
    const txt = emu.raw('acme.test').find((s) => s.name === 'acme.test' && s.type === 'TXT');
    // The siblings' TTL is not ours to change.
    expect(txt).toEqual({ name: 'acme.test', type: 'TXT', ttl: 3600, values: ['"v=spf1 include:_spf.example.net include:amazonses.com ~all"', '"google-site-verification=abc"', '"amazonses:token"'] });
  });

  it('splits a 400-byte DKIM key into quoted 255-byte strings, MX as "10 host.", CNAME with the dot', async () => {
    const z = await zone();
    const dkim = `v=DKIM1; k=rsa; p=${'C'.repeat(400 - 18)}`;
    expect(dkim).toHaveLength(400);
    await writer.apply(z, [
      create(rec('TXT', 'sel._domainkey.acme.test', dkim)),
      create(rec('MX', 'bounce.acme.test', 'feedback-smtp.us-east-1.amazonses.com')),
      create(rec('CNAME', 'tok._domainkey.acme.test', 'tok.dkim.amazonses.com')),
      create(rec('TXT', 'utf.acme.test', 'café "quoted"')),
    ]);
    const raw = Object.fromEntries(emu.raw('acme.test').map((s) => [`${s.type} ${s.name}`, s.values]));
    expect(raw['TXT sel._domainkey.acme.test']).toEqual([`"${dkim.slice(0, 255)}" "${dkim.slice(255)}"`]);
    expect(raw['MX bounce.acme.test']).toEqual(['10 feedback-smtp.us-east-1.amazonses.com.']);
    expect(raw['CNAME tok._domainkey.acme.test']).toEqual(['tok.dkim.amazonses.com.']);
    expect(raw['TXT utf.acme.test']).toEqual(['"caf\\303\\251 \\"quoted\\""']);
    const listed = await writer.listRecords(z, ['sel._domainkey.acme.test', 'utf.acme.test']);
    expect(listed.map((r) => r.value).sort()).toEqual([dkim, 'café "quoted"'].sort());
    // One apply, one ChangeBatch.
    expect(writes().at(-1)?.body.match(/<Change>/g)).toHaveLength(4);
  });

  it('polls GetChange until INSYNC, with our sleep', async () => {
    const z = await zone();
    emu.setInsyncAfter(3);
    const before = emu.calls.length;
    await writer.apply(z, [create(rec('TXT', 'sync.acme.test', 'x'))]);
    const polls = emu.calls.slice(before).filter((c) => c.path.startsWith('/2013-04-01/change/'));
    expect(polls).toHaveLength(4); // 3 × PENDING, then INSYNC
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]); // backing off from 1 s
  });

  it('retries Throttling, honouring Retry-After when given, and gives up with exit 69', async () => {
    emu.fail({ kind: 'rate-limit', retryAfterSeconds: 3 }, 1);
    await zone();
    expect(sleeps).toContain(3000);
    emu.fail({ kind: 'rate-limit', retryAfterSeconds: null }, 2);
    await zone();
    emu.fail({ kind: 'rate-limit', retryAfterSeconds: null }, 10);
    const e = await caught(zone());
    expect(e).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', exitCode: 69 });
    expect(e.message).toMatch(/throttling/);
  });

  it('an unreadable answer fails at once; a reset or a slow answer is retried', async () => {
    const before = emu.requests.length;
    emu.fail({ kind: 'malformed' }, 1);
    expect((await caught(writer.findZone('acme.test'))).code).toBe('PROVIDER_UNAVAILABLE');
    expect(emu.requests.length - before).toBe(1);
    emu.fail({ kind: 'reset' }, 2);
    expect((await zone()).name).toBe('acme.test');
    const quick = await createRoute53Writer(ctx({ timeoutMs: 200 }));
    emu.fail({ kind: 'slow', delayMs: 1000 }, 1);
    expect((await quick.findZone('acme.test')).name).toBe('acme.test');
  });

  it('a failed batch applied none of its changes; the report says so', async () => {
    const z = await zone();
    const changes = ['f1', 'f2', 'f3'].map((l) => create(rec('TXT', `${l}.acme.test`, `partial ${l}`)));
    // Reads succeed; the one ChangeBatch fails with 500 on every attempt.
    emu.fail({ kind: 'server-error' }, 100, 3);
    const report = await writer.apply(z, changes);
    emu.fail({ kind: 'server-error' }, 0);
    expect(report.applied).toEqual([]);
    expect(report.failed?.change).toEqual(changes[0]);
    expect(report.failed?.error).toMatchObject({ exitCode: 69 });
    expect(report.skipped).toEqual([changes[1], changes[2]]);
    expect(emu.records('acme.test').map((r) => r.name)).not.toContain('f1.acme.test');
  });

  it('a rejected batch blames the change Route 53 names, in either error form', async () => {
    const z = await zone();
    for (const legacy of [false, true]) {
      emu.useLegacyErrors(legacy);
      // Another writer creates the RRset between our read and our write: CREATE fails, nothing clobbered.
      const changes = [create(rec('TXT', `ok${legacy}.acme.test`, 'fine')), create(rec('TXT', `race${legacy}.acme.test`, 'ours'))];
      emu.beforeNextChange(() => emu.seed('acme.test', rec('TXT', `race${legacy}.acme.test`, 'theirs')));
      const report = await writer.apply(z, changes);
      expect(report.applied).toEqual([]);
      expect(report.failed).toBeNull();
      expect(report.conflicts.map((x) => x.change)).toEqual([changes[1]]);
      expect(report.conflicts[0]!.error).toMatchObject({ code: 'HOST_CONFLICT', exitCode: 2 });
      expect(report.conflicts[0]!.error.message).toContain('already exists');
      expect(report.skipped).toEqual([changes[0]]);
      expect(emu.records('acme.test').filter((r) => r.name === `race${legacy}.acme.test`).map((r) => r.value)).toEqual(['theirs']);
    }
  });

  it('a CREATE refused because the zone already holds exactly that RRset (an earlier attempt landed) counts as applied', async () => {
    const z = await zone();
    const change = create(rec('TXT', 'landed.acme.test', 'ours'));
    emu.beforeNextChange(() => emu.seed('acme.test', rec('TXT', 'landed.acme.test', 'ours')));
    expect(await writer.apply(z, [change])).toEqual({ applied: [change], failed: null, skipped: [], conflicts: [] });
  });

  it('a change that cannot merge (a stale update, a CNAME beside other data) stops the whole batch before anything is sent', async () => {
    const z = await zone();
    const stale = rec('TXT', 'acme.test', 'v=spf1 gone ~all');
    const changes: LooseChange[] = [
      create(rec('TXT', 'before.acme.test', 'first')),
      { kind: 'update', from: stale, to: { ...stale, value: 'v=spf1 new ~all' } },
      create(rec('TXT', 'after.acme.test', 'never')),
    ];
    const sent = writes().length;
    const report = await writer.apply(z, changes);
    expect(report.applied).toEqual([]);
    expect(report.conflicts.map((x) => x.change)).toEqual([changes[1]]);
    expect(report.conflicts[0]!.error).toMatchObject({ code: 'HOST_CONFLICT' });
    expect(report.skipped).toEqual([changes[0], changes[2]]);
    const cname = await writer.apply(z, [create(rec('CNAME', 'acme.test', 'x.example.net'))]);
    expect(cname.conflicts[0]?.error.message).toMatch(/CNAME cannot sit beside/);
    expect(writes()).toHaveLength(sent);
  });

  it('a second identical apply writes nothing', async () => {
    const z = await zone();
    const changes = [create(rec('TXT', 'idem.acme.test', 'once')), create(rec('MX', 'idem.acme.test', 'mx.example.net'))];
    await writer.apply(z, changes);
    const before = writes().length;
    // The same changes again, pinned to the zone before the first apply: the names changed, so nothing is sent.
    const again = await writer.apply(z, changes);
    expect(again.applied).toEqual([]);
    expect(again.conflicts.map((x) => x.error.code)).toEqual(['HOST_CONFLICT', 'HOST_CONFLICT']);
    expect(writes()).toHaveLength(before);
  });

  it('missing or rejected AWS credentials are PROVIDER_AUTH naming the variables', async () => {
    const none = await createRoute53Writer(ctx({ env: { ...emu.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } }));
    const missing = await caught(none.findZone('acme.test'));
    expect(missing).toMatchObject({ code: 'PROVIDER_AUTH', exitCode: 77 });
    expect(missing.hint).toContain('AWS_ACCESS_KEY_ID');
    emu.fail({ kind: 'forbidden' }, 1);
    const denied = await caught(zone());
    expect(denied).toMatchObject({ code: 'PROVIDER_AUTH' });
    expect(denied.hint).toContain('route53:ChangeResourceRecordSets');
  });
});
