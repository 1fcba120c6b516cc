/**
 * The library (src/lib/index.ts) as a platform calls it: each use case returns the document the
 * CLI's --json prints for the same state — compared with a CLI subprocess run on a copy of that
 * state — validated against its schema, with nothing printed and failures thrown as
 * MailsetupError with the CLI's code and exit status. The real SDKs talk to loopback emulators
 * (SendGrid for add/remove, Route 53 for autoconfig); DNS is the embedded server.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { startSendgridEmulator, type SendgridEmulator } from '../emulators/sendgrid.js';
import { startRoute53Emulator, type Route53Emulator } from '../emulators/route53.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { assertSchema } from '../helpers/schemas.js';
import { soa, txt } from '../helpers/zone-builders.js';
import * as lib from '../../src/lib/index.js';

let dir: string;
let dns: EmbeddedDns;
let sendgrid: SendgridEmulator;
let route53: Route53Emulator;
const written: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-lib-'));
  dns = await startEmbeddedDns({ records: [soa('lib.test'), txt('_dmarc.lib.test', 'v=DMARC1; p=quarantine')] });
  sendgrid = await startSendgridEmulator();
  route53 = await startRoute53Emulator();
  route53.addZone('zone.test');
});
afterAll(async () => {
  await dns?.close(); await sendgrid?.close(); await route53?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Nothing a library call does may reach the console.
beforeEach(() => {
  written.length = 0;
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { written.push(`stdout: ${String(c)}`); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { written.push(`stderr: ${String(c)}`); return true; });
});
afterEach(() => { vi.restoreAllMocks(); expect(written).toEqual([]); });

const copy = (from: string, name: string): string => { const to = join(dir, name); copyFileSync(from, to); return to; };
/** checkedAt is the time of the run; everything else must match. */
const timeless = (d: unknown): unknown => JSON.parse(JSON.stringify(d, (k, v) => (k === 'checkedAt' || k === 'updatedAt' ? '<time>' : v)));

describe('add, records, list, verify, remove', { timeout: 60_000 }, () => {
  let state: string;
  const common = () => ({ config: state, resolvers: [dns.address], timeoutMs: 2000, env: sendgrid.env });

  it('add returns the add document, validated, and stores the domain; DMARC in force is not weakened', async () => {
    state = join(dir, 'add.json');
    const doc = await lib.add('mail.lib.test', { ...common(), provider: 'sendgrid' });
    assertSchema('add', doc);
    expect(doc).toMatchObject({ domain: 'mail.lib.test', provider: 'sendgrid', adopted: false });
    expect(doc.records.length).toBeGreaterThan(0);
    // _dmarc.lib.test holds p=quarantine: p=none would not be stricter, so none is proposed.
    expect(doc.records.some((r) => r.purpose === 'dmarc')).toBe(false);
    expect(doc.notes?.map((n) => n.kind)).toContain('dmarc-covered');
    expect(JSON.parse(readFileSync(state, 'utf8')).domains['mail.lib.test'].provider).toBe('sendgrid');
  });

  it('bad input throws MailsetupError with the CLI\'s code and exit status, before any request', async () => {
    const calls = sendgrid.calls.length;
    const e = await lib.add('mail.lib.test', { ...common(), provider: 'sendgrid', dmarc: 'strict' as 'reject' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(lib.MailsetupError);
    expect(e).toMatchObject({ code: 'USAGE', exitCode: 64 });
    expect((e as lib.MailsetupError).hint).toMatch(/--dmarc none, quarantine, reject or skip/);
    const notFound = await lib.records('nowhere.lib.test', common()).catch((x: unknown) => x);
    expect(notFound).toMatchObject({ code: 'DOMAIN_NOT_FOUND', exitCode: 64 });
    expect(sendgrid.calls.length).toBe(calls);
  });

  it('records, list and verify return what the CLI prints for the same state', async () => {
    // verify records its verdict in the state: records and list first, on both sides.
    const recs = await lib.records('mail.lib.test', common());
    const listed = await lib.list(common());
    vi.restoreAllMocks();
    const cli = (args: string[]) => runCli([...args, '--json', '--config', state, '--resolver', dns.address, '--timeout', '2s'], sendgrid.env);
    expect(recs).toEqual(parseJson(await cli(['records', 'mail.lib.test'])));
    expect(listed).toEqual(parseJson(await cli(['list'])));
    const twin = copy(state, 'verify-twin.json');
    const verified = await lib.verify(['mail.lib.test'], { ...common(), noProvider: true });
    expect(verified).toHaveLength(1);
    assertSchema('verify', verified);
    const r = await runCli(['verify', 'mail.lib.test', '--no-provider', '--json', '--config', twin, '--resolver', dns.address, '--timeout', '2s'], sendgrid.env);
    expect(timeless(verified[0])).toEqual(timeless(parseJson(r)));
  });

  it('remove: the call is the confirmation; the document matches the CLI\'s --yes --json', async () => {
    const twin = copy(state, 'add-twin.json');
    const doc = await lib.remove('mail.lib.test', { ...common(), keepProvider: true });
    assertSchema('remove', doc);
    expect(doc).toMatchObject({ domain: 'mail.lib.test', removed: true, providerDeleted: false });
    expect(JSON.parse(readFileSync(state, 'utf8')).domains['mail.lib.test']).toBeUndefined();
    vi.restoreAllMocks();
    const r = await runCli(['remove', 'mail.lib.test', '--keep-provider', '--yes', '--json', '--config', twin], sendgrid.env);
    expect(doc).toEqual(parseJson(r));
  });
});

describe('validate', { timeout: 60_000 }, () => {
  it('one target → one report, several → one each (duplicates once), as the CLI prints them', async () => {
    const one = await lib.validate('lib.test', { resolvers: [dns.address], timeoutMs: 1000, selectors: ['s1'] });
    const many = await lib.validate(['lib.test', 'postmaster@lib.test', 'lib.test'], { resolvers: [dns.address], timeoutMs: 1000, selectors: ['s1'] });
    vi.restoreAllMocks();
    assertSchema('validate', one);
    assertSchema('validate', many);
    expect(many.map((r) => r.domain)).toEqual(['lib.test', 'lib.test']);
    // The DNS summary counts this run's questions (the CLI's run asks its own): compared apart.
    const strip = (d: object) => ({ ...d, dns: undefined });
    const cli = await runCli(['validate', 'lib.test', 'postmaster@lib.test', 'lib.test', '--selector', 's1', '--json', '--resolver', dns.address, '--timeout', '1s']);
    expect(many.map(strip)).toEqual((parseJson(cli) as object[]).map(strip));
    expect(strip(one)).toEqual(strip(many[0]!));
    expect(one.checks.find((c) => c.check === 'dmarc')?.status).toBe('pass');
  });

  it('a bad selector or --helo without --ip is refused before any DNS question', async () => {
    const sent = dns.queries.length;
    await expect(lib.validate('lib.test', { resolvers: [dns.address], selectors: ['bad selector'] })).rejects.toMatchObject({ code: 'USAGE', exitCode: 64 });
    await expect(lib.validate('lib.test', { resolvers: [dns.address], helo: 'mx.lib.test' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/--helo needs --ip/) });
    expect(dns.queries.length).toBe(sent);
  });
});

const rec = (purpose: string, type: string, name: string, value: string, priority: number | null = null) =>
  ({ purpose, type, name, value, priority, ttl: null, required: true, source: 'provider' });

describe('autoconfigPlan and autoconfig (Route 53 emulator)', { timeout: 60_000 }, () => {
  let state: string;
  const common = () => ({ config: state, resolvers: [dns.address], authoritative: [dns.address], timeoutMs: 1000, env: route53.env, dnsHost: 'route53', waitMs: 300, noProvider: true });

  beforeAll(() => {
    state = join(dir, 'r53.json');
    writeFileSync(state, JSON.stringify({ version: 1, domains: { 'mail.zone.test': {
      provider: 'ses', providerId: 'mail.zone.test', region: 'us-east-1', status: 'pending',
      createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z', history: [],
      records: [
        rec('dkim', 'CNAME', 'k1._domainkey.mail.zone.test', 'k1.dkim.amazonses.com'),
        rec('mail-from-mx', 'MX', 'bounce.mail.zone.test', 'feedback-smtp.us-east-1.amazonses.com', 10),
        rec('mail-from-spf', 'TXT', 'bounce.mail.zone.test', 'v=spf1 include:amazonses.com ~all'),
      ],
    } } }));
  });

  it('the plan is the CLI\'s --dry-run document, and writes nothing', async () => {
    const plan = await lib.autoconfigPlan('mail.zone.test', common());
    assertSchema('autoconfig', plan);
    expect(plan.changes.map((c) => c.action)).toEqual(['create', 'create', 'create']);
    expect(route53.records('zone.test')).toEqual([]);
    vi.restoreAllMocks();
    const r = await runCli(['autoconfig', 'mail.zone.test', '--dns', 'route53', '--dry-run', '--json', '--config', state, '--resolver', dns.address, '--authoritative', dns.address, '--timeout', '2s'], route53.env);
    expect(plan).toEqual(parseJson(r));
  });

  it('an approved plan that no longer matches the zone: HOST_CONFLICT, nothing written', async () => {
    const approved = await lib.autoconfigPlan('mail.zone.test', common());
    route53.seed('zone.test', { type: 'TXT', name: 'bounce.mail.zone.test', value: 'v=spf1 include:other.example ~all', priority: null, ttl: 300 });
    const e = await lib.autoconfig('mail.zone.test', { ...common(), approved }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(lib.MailsetupError);
    expect(e).toMatchObject({ code: 'HOST_CONFLICT', exitCode: 2 });
    expect((e as Error).message).toMatch(/not the one approved/);
    expect(route53.records('zone.test').map((x) => `${x.type} ${x.name}`)).toEqual(['TXT bounce.mail.zone.test']);
  });

  it('the plan approved as it is now: applied, then re-checked; the document validates', async () => {
    const approved = await lib.autoconfigPlan('mail.zone.test', common());
    // The SPF seeded above is merged, not duplicated: the plan updates it.
    expect(approved.changes.map((c) => c.action).sort()).toEqual(['create', 'create', 'update']);
    const doc = await lib.autoconfig('mail.zone.test', { ...common(), approved });
    assertSchema('autoconfig', doc);
    expect((doc.applied ?? []).length).toBe(3);
    expect(doc.providerCheck).toMatchObject({ asked: false });
    expect(['verified', 'pending', 'failed', 'unknown']).toContain(doc.dnsStatus);
    expect(route53.records('zone.test').map((x) => `${x.type} ${x.name} ${x.priority ?? ''}${x.priority === null ? '' : ' '}${x.value}`.replace(/  +/g, ' ')).sort()).toEqual([
      'CNAME k1._domainkey.mail.zone.test k1.dkim.amazonses.com',
      'MX bounce.mail.zone.test 10 feedback-smtp.us-east-1.amazonses.com',
      'TXT bounce.mail.zone.test v=spf1 include:other.example include:amazonses.com ~all',
    ].sort());
    // A second run changes nothing.
    const again = await lib.autoconfigPlan('mail.zone.test', common());
    expect(again.changes.every((c) => c.action === 'unchanged')).toBe(true);
  });
});
