/**
 * verify end to end: the built CLI against a state file and two embedded DNS servers — one
 * authoritative for every test zone, one playing a caching resolver (which can hold an older
 * answer). Every verify diagnosis is served as a broken zone and checked through the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/dns/zone.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { rsaPublicKey } from '../helpers/keys.js';
import { cname, mx, rec, sesPublished, sesWanted, soa, stateFor, txt } from '../helpers/zone-builders.js';

const key = rsaPublicKey(2048);
const without = (rs: ZoneRecord[], name: string, type?: string) => rs.filter((r) => !(r.name === name && (!type || r.type === type)));

const shared: ZoneRecord[] = [
  txt('amazonses.com', 'v=spf1 ip4:54.240.0.0/18 ~all'), txt('sendgrid.net', 'v=spf1 ip4:167.89.0.0/17 ~all'), txt('other.test', 'v=spf1 ip4:192.0.2.0/24 ~all'),
];

const zones: Record<string, ZoneRecord[]> = {
  'good.test': sesPublished('mail.good.test'),
  'missing.test': [],
  'quoted.test': [...without(sesPublished('mail.quoted.test'), '_dmarc.mail.quoted.test'), txt('_dmarc.mail.quoted.test', '"v=DMARC1; p=none"')],
  'doubled.test': [...without(sesPublished('mail.doubled.test'), 'tok1._domainkey.mail.doubled.test'), cname('tok1._domainkey.mail.doubled.test.doubled.test', 'tok1.dkim.amazonses.com')],
  'level.test': [...without(sesPublished('mail.level.test'), 'tok1._domainkey.mail.level.test'), cname('tok1._domainkey.level.test', 'tok1.dkim.amazonses.com')],
  'mxprio.test': [...without(sesPublished('mail.mxprio.test'), 'bounce.mail.mxprio.test', 'MX'), mx('bounce.mail.mxprio.test', 10, '10 feedback-smtp.us-east-1.amazonses.com')],
  'proxied.test': [...without(sesPublished('mail.proxied.test'), 'tok1._domainkey.mail.proxied.test'), { name: 'tok1._domainkey.mail.proxied.test', type: 'A', data: '104.16.0.1' }, txt('tok1._domainkey.mail.proxied.test', 'x')],
  'spfmulti.test': [...sesPublished('mail.spfmulti.test'), txt('bounce.mail.spfmulti.test', 'v=spf1 -all')],
  'merged.test': [...without(sesPublished('mail.merged.test'), 'bounce.mail.merged.test', 'TXT'), txt('bounce.mail.merged.test', ['v=spf1 include:sendgrid.net ', 'include:AmazonSES.com ~all'])],
  'noinclude.test': [...without(sesPublished('mail.noinclude.test'), 'bounce.mail.noinclude.test', 'TXT'), txt('bounce.mail.noinclude.test', 'v=spf1 include:other.test ~all')],
  'mismatch.test': [...without(sesPublished('mail.mismatch.test'), 'tok1._domainkey.mail.mismatch.test'), cname('tok1._domainkey.mail.mismatch.test', 'tok9.dkim.amazonses.com')],
  'strict.test': [...without(sesPublished('mail.strict.test'), '_dmarc.mail.strict.test'), txt('_dmarc.mail.strict.test', 'v=DMARC1; p=reject; adkim=s'), cname('TOK1._domainkey.mail.strict.test.', 'TOK1.DKIM.AMAZONSES.COM.')].filter((r) => r.name !== 'tok1._domainkey.mail.strict.test'),
  'stale.test': sesPublished('mail.stale.test'),
  'aspf.test': [...without(sesPublished('mail.aspf.test'), '_dmarc.mail.aspf.test'), txt('_dmarc.mail.aspf.test', 'v=DMARC1; p=reject; aspf=s')],
  // The provider's include written in the record, but 11 DNS-querying terms: a permerror at receivers.
  'toomany.test': [...without(sesPublished('mail.toomany.test'), 'bounce.mail.toomany.test', 'TXT'), txt('bounce.mail.toomany.test', `v=spf1 include:amazonses.com ${Array.from({ length: 10 }, (_, i) => `include:s${i}.other.test`).join(' ')} ~all`), ...Array.from({ length: 10 }, (_, i) => txt(`s${i}.other.test`, 'v=spf1 ip4:192.0.2.1 -all'))],
  'plusall.test': [...without(sesPublished('mail.plusall.test'), 'bounce.mail.plusall.test', 'TXT'), txt('bounce.mail.plusall.test', 'v=spf1 include:amazonses.com +all')],
  // A CR hides the first record's +all on a terminal; the whole thing does not parse.
  'spfcr.test': [...without(sesPublished('mail.spfcr.test'), 'bounce.mail.spfcr.test', 'TXT'), txt('bounce.mail.spfcr.test', 'v=spf1 +all\rv=spf1 include:amazonses.com -all')],
  'dkimtxt.test': [txt('sel._domainkey.mail.dkimtxt.test', `v=DKIM1; k=rsa; p=${key.slice(0, 120)}`)],
};

let auth: EmbeddedDns;
let resolver: EmbeddedDns;
let dir: string;
let state: string;

/** The state file over `domains`: SES records, but a TXT DKIM key for mail.dkimtxt.test. */
const stateJson = (domains: string[]): string => stateFor(domains, (d) => (d === 'mail.dkimtxt.test'
  ? [rec({ purpose: 'dkim', type: 'TXT', name: 'sel._domainkey.mail.dkimtxt.test', value: `v=DKIM1; k=rsa; p=${key}` })]
  : sesWanted(d)));

beforeAll(async () => {
  const authRecords = [...shared, ...Object.entries(zones).flatMap(([z, rs]) => [soa(z), ...rs])];
  auth = await startEmbeddedDns({ records: authRecords, faults: [{ name: 'tok1._domainkey.mail.down.test', fault: 'timeout' }, { name: 'bounce.mail.down.test', fault: 'timeout' }, { name: '_dmarc.mail.down.test', fault: 'timeout' }, { name: 'down.test', fault: 'timeout' }] });
  // The resolver holds the old SPF for stale.test, with 250 s left.
  const resolverRecords = authRecords
    .filter((r) => !(r.name === 'bounce.mail.stale.test' && r.type === 'TXT'))
    .concat([txt('bounce.mail.stale.test', 'v=spf1 include:old-provider.test ~all', 250)]);
  resolver = await startEmbeddedDns({ records: resolverRecords });
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-verify-'));
  state = join(dir, 'mailsetup.json');
  writeFileSync(state, stateJson([...Object.keys(zones).map((z) => `mail.${z}`), 'mail.down.test']));
});
afterAll(async () => { await auth.close(); await resolver.close(); rmSync(dir, { recursive: true, force: true }); });

const verify = async (domains: string[], ...extra: string[]) => {
  const r = await runCli(['verify', ...domains, '--config', state, '--authoritative', auth.address, '--resolver', resolver.address, '--no-provider', '--timeout', '2s', ...extra]);
  return r;
};
const one = async (d: string) => {
  const r = await verify([d], '--json');
  const doc = parseJson(r);
  return { r, doc, byName: (type: string, name: string) => doc.records.find((x: { type: string; name: string }) => x.type === type && x.name === name) };
};

describe('verify: outcomes and exit codes', () => {
  it('everything right → verified, exit 0 with --exit-code', async () => {
    const r = await verify(['mail.good.test'], '--exit-code', '--json');
    expect(r.code).toBe(0);
    const doc = parseJson(r);
    expect(doc).toMatchObject({ domain: 'mail.good.test', status: 'verified', allVerified: true, stage: null });
    expect(doc.records.every((x: { status: string; code: string | null }) => x.status === 'verified' && x.code === null)).toBe(true);
    expect(doc.records[0].resolvers[auth.address]).toBe('verified');
    expect(doc.records[0].resolvers[resolver.address]).toBe('verified');
  });

  it('nothing published → pending at stage "authoritative", exit 1; resolvers never asked', async () => {
    const before = resolver.queries.filter((q) => q.name.endsWith('missing.test')).length;
    const r = await verify(['mail.missing.test'], '--exit-code', '--json');
    expect(r.code).toBe(1);
    const doc = parseJson(r);
    expect(doc).toMatchObject({ status: 'pending', stage: 'authoritative' });
    expect(doc.records.every((x: { status: string }) => x.status === 'missing')).toBe(true);
    expect(doc.records[0].hint).toMatch(/Publish/);
    expect(resolver.queries.filter((q) => q.name.endsWith('missing.test')).length).toBe(before);
  });

  it('a wrong record → failed, exit 2', async () => {
    const r = await verify(['mail.mismatch.test'], '--exit-code');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('VALUE_MISMATCH');
    expect(r.stdout).toContain('fix:');
  });

  it('no authoritative answer → unknown (never missing), exit 69 with --exit-code', async () => {
    const r = await verify(['mail.down.test'], '--exit-code', '--json', '--timeout', '300ms');
    expect(r.code).toBe(69);
    const doc = parseJson(r);
    expect(doc.status).toBe('unknown');
    expect(doc.records.every((x: { status: string }) => x.status === 'unknown')).toBe(true);
  });

  it('without --exit-code the status is 0 whatever the outcome', async () => {
    expect((await verify(['mail.mismatch.test'])).code).toBe(0);
  });

  it('several domains → a JSON array; --all checks every domain', async () => {
    const r = await verify(['mail.good.test', 'mail.missing.test'], '--json');
    const doc = parseJson(r);
    expect(Array.isArray(doc)).toBe(true);
    expect(doc.map((d: { domain: string }) => d.domain)).toEqual(['mail.good.test', 'mail.missing.test']);
    const all = parseJson(await verify([], '--all', '--json', '--timeout', '300ms'));
    expect(all.length).toBe(Object.keys(zones).length + 1);
  });

  it('records status changes in the state file history', async () => {
    await verify(['mail.good.test']);
    const s = JSON.parse(readFileSync(state, 'utf8'));
    const e = s.domains['mail.good.test'];
    expect(e.status).toBe('verified');
    expect(e.history.at(-1)).toMatchObject({ status: 'verified' });
  });

  it('GITHUB_ACTIONS=true adds ::error and ::warning annotations', async () => {
    const r = await runCli(['verify', 'mail.mismatch.test', 'mail.missing.test', '--config', state, '--authoritative', auth.address, '--resolver', resolver.address, '--no-provider'], { GITHUB_ACTIONS: 'true' });
    expect(r.stdout).toMatch(/^::error title=VALUE_MISMATCH: tok1\._domainkey\.mail\.mismatch\.test::/m);
    expect(r.stdout).toMatch(/^::warning title=missing: CNAME tok1\._domainkey\.mail\.missing\.test::/m);
  });
});

describe('verify: diagnoses', () => {
  it.each([
    ['mail.quoted.test', 'TXT', '_dmarc.mail.quoted.test', 'RECORD_QUOTED'],
    ['mail.doubled.test', 'CNAME', 'tok1._domainkey.mail.doubled.test', 'RECORD_ZONE_DOUBLED'],
    ['mail.level.test', 'CNAME', 'tok1._domainkey.mail.level.test', 'RECORD_WRONG_LEVEL'],
    ['mail.mxprio.test', 'MX', 'bounce.mail.mxprio.test', 'MX_PRIORITY_IN_VALUE'],
    ['mail.proxied.test', 'CNAME', 'tok1._domainkey.mail.proxied.test', 'CNAME_PROXIED'],
    ['mail.spfmulti.test', 'TXT', 'bounce.mail.spfmulti.test', 'SPF_MULTIPLE_RECORDS'],
    ['mail.noinclude.test', 'TXT', 'bounce.mail.noinclude.test', 'SPF_INCLUDE_MISSING'],
    ['mail.mismatch.test', 'CNAME', 'tok1._domainkey.mail.mismatch.test', 'VALUE_MISMATCH'],
    ['mail.plusall.test', 'TXT', 'bounce.mail.plusall.test', 'SPF_PLUS_ALL'],
    ['mail.toomany.test', 'TXT', 'bounce.mail.toomany.test', 'SPF_TOO_MANY_LOOKUPS'],
    ['mail.spfcr.test', 'TXT', 'bounce.mail.spfcr.test', 'SPF_SYNTAX'],
    ['mail.dkimtxt.test', 'TXT', 'sel._domainkey.mail.dkimtxt.test', 'DKIM_KEY_INVALID'],
  ])('%s: %s %s → %s', async (domain, type, name, code) => {
    const { doc, byName } = await one(domain);
    const r = byName(type, name);
    expect(r, JSON.stringify(doc.records)).toBeDefined();
    expect(r.status).toBe('invalid');
    expect(r.code).toBe(code);
    expect(r.hint).toEqual(expect.any(String));
    expect(doc.status).toBe('failed');
  });

  it('a merged SPF (split strings, other includes, other case) verifies', async () => {
    const { byName } = await one('mail.merged.test');
    expect(byName('TXT', 'bounce.mail.merged.test')).toMatchObject({ status: 'verified', code: null });
  });

  it('a stricter DMARC and a CNAME differing in case and trailing dot verify', async () => {
    const { doc } = await one('mail.strict.test');
    expect(doc.status).toBe('verified');
  });

  it('a resolver still caching the old value → verified with STALE_CACHE and the seconds left', async () => {
    const { doc, byName } = await one('mail.stale.test');
    const spf = byName('TXT', 'bounce.mail.stale.test');
    expect(spf).toMatchObject({ status: 'verified', code: 'STALE_CACHE' });
    expect(spf.resolvers[resolver.address]).toBe('stale');
    expect(spf.staleFor[resolver.address]).toBeGreaterThan(200);
    expect(doc.stage).toBe('propagation');
  });
});

describe('verify: alignment', () => {
  it('warns when a custom return-path breaks SPF alignment under aspf=s', async () => {
    const { doc } = await one('mail.aspf.test');
    expect(doc.status).toBe('verified');
    expect(doc.notes.join(' ')).toMatch(/aspf=s.*bounce\.mail\.aspf\.test/);
    const good = await one('mail.good.test');
    expect(good.doc.notes).toEqual([]);
  });
});

describe('watch', () => {
  it('exits 0 within one interval once the record appears; no escape codes off a terminal', async () => {
    const d = 'mail.late.test';
    writeFileSync(join(dir, 'late.json'), stateJson([d]));
    const lateAuth = await startEmbeddedDns({ records: [soa('late.test'), ...shared, ...without(sesPublished(d), `_dmarc.${d}`)] });
    try {
      const started = Date.now();
      const run = runCli(['watch', d, '--config', join(dir, 'late.json'), '--authoritative', lateAuth.address, '--resolver', lateAuth.address, '--no-provider', '--interval', '1s', '--timeout', '30s']);
      await new Promise((r) => setTimeout(r, 1500));
      lateAuth.setZone({ records: [soa('late.test'), ...shared, ...sesPublished(d)] });
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(12_000);
      expect(r.stdout).toMatch(/TXT _dmarc\.mail\.late\.test: missing → verified/);
      expect(r.stdout + r.stderr).not.toMatch(/\x1b\[/);
    } finally {
      await lateAuth.close();
    }
  });

  it('--json prints one JSON document per round; --timeout with --exit-code exits 1', async () => {
    const r = await runCli(['watch', 'mail.missing.test', '--config', state, '--authoritative', auth.address, '--resolver', resolver.address, '--no-provider', '--interval', '500ms', '--timeout', '1200ms', '--exit-code', '--json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ domain: 'mail.missing.test', status: 'pending' });
  });
});
