/**
 * `validate` end to end: the built CLI as a subprocess, against the embedded DNS server on loopback
 * serving one broken zone per diagnosis. Every finding code `validate` owns is served and found here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/dns/zone.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { rsaPublicKey } from '../helpers/keys.js';
import { a, cname, mx, txt } from '../helpers/zone-builders.js';

const key2048 = rsaPublicKey(2048);
const key512 = rsaPublicKey(512);
const dmarcOk = (d: string) => txt(`_dmarc.${d}`, 'v=DMARC1; p=reject');

const records: ZoneRecord[] = [
  // A clean domain: every check passes.
  txt('clean.test', 'v=spf1 include:_spf.provider.test -all'),
  txt('_spf.provider.test', 'v=spf1 ip4:192.0.2.0/24 -all'),
  dmarcOk('clean.test'),
  txt('s1._domainkey.clean.test', `v=DKIM1; k=rsa; p=${key2048}`),
  mx('clean.test', 10, 'mx.clean.test'), a('mx.clean.test', '192.0.2.25'),
  // SPF
  dmarcOk('spf-none.test'),
  txt('spf-multi.test', 'v=spf1 -all'), txt('spf-multi.test', 'v=spf1 ~all'),
  txt('spf-syntax.test', 'v=spf1 ip4:192.0.2.1~all'),
  txt('spf-lookups.test', `v=spf1 ${Array.from({ length: 11 }, (_, i) => `include:i${i}.provider.test`).join(' ')} -all`),
  ...Array.from({ length: 11 }, (_, i) => txt(`i${i}.provider.test`, 'v=spf1 -all')),
  txt('spf-void.test', 'v=spf1 a:v1.nowhere.test a:v2.nowhere.test a:v3.nowhere.test -all'),
  txt('spf-plusall.test', 'v=spf1 +all'),
  txt('spf-ptr.test', 'v=spf1 ptr -all'),
  // mx with many exchanges: their address lookups are not among the 10.
  txt('spf-mx.test', `v=spf1 mx ${Array.from({ length: 8 }, (_, i) => `include:i${i}.provider.test`).join(' ')} -all`),
  ...Array.from({ length: 6 }, (_, i) => mx('spf-mx.test', i, `m${i}.spf-mx.test`)),
  ...Array.from({ length: 6 }, (_, i) => a(`m${i}.spf-mx.test`, `192.0.2.${i + 1}`)),
  txt('spf-quoted.test', '"v=spf1 -all"'),
  txt('spf-noinclude.test', 'v=spf1 include:gone.provider.test -all'),
  // DMARC
  txt('dmarc-none.test', 'v=spf1 -all'),
  txt('_dmarc.dmarc-syntax.test', 'v=DMARC1; p=maybe'),
  txt('_dmarc.dmarc-multi.test', 'v=DMARC1; p=none'), txt('_dmarc.dmarc-multi.test', 'v=DMARC1; p=reject'),
  txt('_dmarc.dmarc-policy-none.test', 'v=DMARC1; p=none; rua=mailto:reports@dmarc-policy-none.test'),
  txt('_dmarc.dmarc-rua.test', 'v=DMARC1; p=reject; rua=mailto:reports@collector.test'),
  txt('_dmarc.dmarc-rua-ok.test', 'v=DMARC1; p=reject; rua=mailto:reports@authorised.test'),
  txt('*._report._dmarc.authorised.test', 'v=DMARC1;'),
  mx('authorised.test', 10, 'mx.authorised.test'), mx('collector.test', 10, 'mx.collector.test'),
  txt('dmarc-apex.test', 'v=DMARC1; p=reject'),
  txt('_dmarc.dmarc-order.test', 'p=reject; v=DMARC1; rua=mailto:d@dmarc-order.test'),
  txt('_dmarc.dmarc-cname.test', 'v=DMARC1; p=reject'), cname('_dmarc.dmarc-cname.test', 'dmarc.provider.test'),
  txt('_dmarc.covering.test', 'v=DMARC1; p=reject; sp=quarantine'),
  // DKIM
  txt('s1._domainkey.dkim-bad.test', 'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA!!notbase64'),
  txt('s1._domainkey.dkim-short.test', `v=DKIM1; k=rsa; p=${key512}`),
  txt('s1._domainkey.dkim-revoked.test', 'v=DKIM1; k=rsa; p='),
  txt('s1._domainkey.dkim-testing.test', `v=DKIM1; t=y; k=rsa; p=${key2048}`),
  // Whitespace inside p= is legal (RFC 6376 §3.6.1): split across strings and with spaces.
  txt('s1._domainkey.dkim-spaces.test', [`v=DKIM1; k=rsa; p=${key2048.slice(0, 100)} `, ` ${key2048.slice(100, 200)}  ${key2048.slice(200)}`]),
  cname('s1._domainkey.dkim-cname.test', 's1.dkim.provider.test'),
  txt('s1.dkim.provider.test', `v=DKIM1; k=rsa; p=${key2048}`),
  // Misplaced and quoted records
  txt('s1._domainkey.mail.doubled.test.doubled.test', `v=DKIM1; k=rsa; p=${key2048}`),
  txt('_dmarc.mail.doubled.test.doubled.test', 'v=DMARC1; p=reject'),
  txt('s1._domainkey.level.test', `v=DKIM1; k=rsa; p=${key2048}`),
  txt('_dmarc.quoted.test', '"v=DMARC1; p=reject"'),
  txt('s1._domainkey.quoted.test', `"v=DKIM1; k=rsa; p=${key2048}"`),
  // MX
  mx('mx-null.test', 0, '.'),
  mx('mx-cname.test', 10, 'alias.mx-cname.test'), cname('alias.mx-cname.test', 'mx.clean.test'),
  mx('mx-ip.test', 10, '192.0.2.25'),
  mx('mx-priority.test', 10, '10 feedback-smtp.us-east-1.amazonses.com'),
];

let dns: EmbeddedDns;
beforeAll(async () => {
  dns = await startEmbeddedDns({
    records,
    faults: [
      { name: 'spf-servfail.test', type: 'TXT', fault: 'servfail' },
    ],
  });
});
afterAll(async () => { await dns.close(); });

async function validate(target: string, ...extra: string[]) {
  // A generous timeout: CI machines are small, and a slow answer must not turn into "could not check".
  const r = await runCli(['validate', target, '--resolver', dns.address, '--json', '--timeout', '2s', ...extra]);
  return { ...r, doc: parseJson(r) };
}

type Check = { check: string; status: string; record: unknown; findings: Array<{ code: string; severity: string; name: string; term?: string | null; message: string }> };
const check = (doc: { checks: Check[] }, name: string): Check => doc.checks.find((c) => c.check === name)!;
const codes = (c: Check) => c.findings.map((f) => f.code);

describe('validate: a clean domain', () => {
  it('passes every check and exits 0 with --exit-code', async () => {
    const r = await validate('clean.test', '--selector', 's1', '--exit-code');
    expect(r.code).toBe(0);
    expect(r.doc.domain).toBe('clean.test');
    for (const c of ['spf', 'dkim', 'dmarc', 'mx']) expect(check(r.doc, c).findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(check(r.doc, 'spf').status).toBe('pass');
    expect(check(r.doc, 'spf').record).toBe('v=spf1 include:_spf.provider.test -all');
  });

  it('takes an email address and audits its domain', async () => {
    const r = await validate('Jane@Clean.Test', '--selector', 's1');
    expect(r.doc.domain).toBe('clean.test');
    expect(check(r.doc, 'dkim').status).toBe('pass');
  });

  it('probes common selectors when none is given and says which it found', async () => {
    const r = await validate('clean.test');
    const detail = (check(r.doc, 'dkim') as unknown as { detail: { selectors: Array<{ selector: string; found: boolean }> } }).detail;
    expect(detail.selectors.filter((s) => s.found).map((s) => s.selector)).toEqual(['s1']);
    expect(detail.selectors.length).toBeGreaterThan(10);
  });

  it('prints a human report with a verdict per check and fixes', async () => {
    const r = await runCli(['validate', 'spf-plusall.test', '--resolver', dns.address]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SPF\s+│\s+fail/);
    expect(r.stdout).toContain('SPF_PLUS_ALL');
    expect(r.stdout).toMatch(/fix: /);
    expect(r.stdout).toMatch(/Verdict: /);
    expect(r.stdout).not.toMatch(/\x1b\[/); // NO_COLOR and no TTY: no escape codes
  });
});

describe('validate: SPF diagnoses', () => {
  it.each([
    ['spf-none.test', 'SPF_MISSING', null],
    ['spf-multi.test', 'SPF_MULTIPLE_RECORDS', null],
    ['spf-syntax.test', 'SPF_SYNTAX', 'ip4:192.0.2.1~all'],
    ['spf-lookups.test', 'SPF_TOO_MANY_LOOKUPS', null],
    ['spf-void.test', 'SPF_TOO_MANY_VOID_LOOKUPS', null],
    ['spf-plusall.test', 'SPF_PLUS_ALL', '+all'],
    ['spf-ptr.test', 'SPF_PTR', 'ptr'],
    ['spf-noinclude.test', 'SPF_INCLUDE_NO_RECORD', 'include:gone.provider.test'],
  ])('%s → %s', async (domain, code, term) => {
    const r = await validate(domain);
    const spf = check(r.doc, 'spf');
    const f = spf.findings.find((x) => x.code === code);
    expect(f, JSON.stringify(spf.findings)).toBeDefined();
    expect(f!.name).toEqual(expect.any(String));
    if (term) expect(f!.term).toBe(term);
  });

  it('shows the record found even when it is invalid', async () => {
    const r = await validate('spf-syntax.test');
    expect(check(r.doc, 'spf').record).toBe('v=spf1 ip4:192.0.2.1~all');
    const m = await validate('spf-multi.test');
    expect([...(check(m.doc, 'spf').record as string[])].sort()).toEqual(['v=spf1 -all', 'v=spf1 ~all']);
  });

  it('counts as RFC 7208 §4.6.4 says: mx address lookups are not among the 10', async () => {
    const r = await validate('spf-mx.test');
    const spf = check(r.doc, 'spf') as unknown as { detail: { lookups: number; voidLookups: number }; findings: Check['findings'] };
    expect(spf.detail.lookups).toBe(9);
    expect(codes(spf as unknown as Check)).not.toContain('SPF_TOO_MANY_LOOKUPS');
  });

  it('counts exactly 11 lookups and 3 void lookups where they are', async () => {
    const l = check((await validate('spf-lookups.test')).doc, 'spf') as unknown as { detail: { lookups: number } };
    expect(l.detail.lookups).toBe(11);
    const v = check((await validate('spf-void.test')).doc, 'spf') as unknown as { detail: { voidLookups: number } };
    expect(v.detail.voidLookups).toBe(3);
  });

  it('a TXT pasted with its quotes → RECORD_QUOTED', async () => {
    const r = await validate('spf-quoted.test');
    expect(codes(check(r.doc, 'spf'))).toContain('RECORD_QUOTED');
  });

  it('SERVFAIL on the SPF query is "could not check", never SPF_MISSING', async () => {
    const r = await validate('spf-servfail.test');
    const spf = check(r.doc, 'spf');
    expect(spf.status).toBe('none');
    expect(codes(spf)).not.toContain('SPF_MISSING');
    expect(codes(spf)).toContain('SPF_LOOKUP_FAILED');
  });
});

describe('validate: DMARC diagnoses', () => {
  it.each([
    ['dmarc-none.test', 'DMARC_MISSING'],
    ['dmarc-syntax.test', 'DMARC_SYNTAX'],
    ['dmarc-multi.test', 'DMARC_MULTIPLE_RECORDS'],
    ['dmarc-policy-none.test', 'DMARC_POLICY_NONE'],
    ['dmarc-rua.test', 'DMARC_RUA_NOT_AUTHORIZED'],
    ['dmarc-apex.test', 'DMARC_WRONG_NAME'],
    ['dmarc-apex.test', 'DMARC_MISSING'],
    ['dmarc-order.test', 'DMARC_SYNTAX'],
    ['dmarc-cname.test', 'DMARC_CNAME_CONFLICT'],
  ])('%s → %s', async (domain, code) => {
    const r = await validate(domain);
    expect(codes(check(r.doc, 'dmarc'))).toContain(code);
  });

  it('v=DMARC1 not first: the fix is the owner\'s record reordered, never a new p=none', async () => {
    const r = await validate('dmarc-order.test');
    const dmarc = check(r.doc, 'dmarc');
    expect(codes(dmarc)).not.toContain('DMARC_MISSING');
    expect((dmarc.findings.find((f) => f.code === 'DMARC_SYNTAX') as { hint?: string } | undefined)?.hint).toBe('Publish your record with v=DMARC1 moved to the front: "v=DMARC1; p=reject; rua=mailto:d@dmarc-order.test".');
    expect(JSON.stringify(dmarc.findings)).not.toContain('p=none');
  });

  it('a wildcard report authorisation is accepted', async () => {
    const r = await validate('dmarc-rua-ok.test');
    expect(codes(check(r.doc, 'dmarc'))).not.toContain('DMARC_RUA_NOT_AUTHORIZED');
  });

  it('a subdomain covered by its organisational domain is not missing', async () => {
    const r = await validate('mail.covering.test');
    const d = check(r.doc, 'dmarc');
    expect(codes(d)).not.toContain('DMARC_MISSING');
    expect(d.status).not.toBe('fail');
  });
});

describe('validate: DKIM diagnoses', () => {
  it.each([
    ['dkim-bad.test', 'DKIM_KEY_INVALID'],
    ['dkim-short.test', 'DKIM_KEY_TOO_SHORT'],
    ['dkim-revoked.test', 'DKIM_REVOKED'],
    ['dkim-testing.test', 'DKIM_TESTING'],
    ['clean.test', null],
    ['dkim-none.test', 'DKIM_MISSING'],
  ])('%s --selector s1 → %s', async (domain, code) => {
    const r = await validate(domain, '--selector', 's1');
    const dkim = check(r.doc, 'dkim');
    if (code) expect(codes(dkim)).toContain(code);
    else expect(dkim.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('whitespace inside p= is legal and not flagged', async () => {
    const r = await validate('dkim-spaces.test', '--selector', 's1');
    const dkim = check(r.doc, 'dkim');
    expect(dkim.status).toBe('pass');
    expect(codes(dkim)).not.toContain('DKIM_KEY_INVALID');
  });

  it('follows a DKIM CNAME to the provider and guesses nothing it cannot know', async () => {
    const r = await validate('dkim-cname.test', '--selector', 's1');
    expect(check(r.doc, 'dkim').status).toBe('pass');
  });
});

describe('validate: misplaced and quoted records', () => {
  it('the zone appended twice → RECORD_ZONE_DOUBLED, naming where the record really is', async () => {
    const r = await validate('mail.doubled.test', '--selector', 's1');
    const dkim = check(r.doc, 'dkim').findings.find((f) => f.code === 'RECORD_ZONE_DOUBLED');
    expect(dkim?.name).toBe('s1._domainkey.mail.doubled.test.doubled.test');
    expect(codes(check(r.doc, 'dmarc'))).toContain('RECORD_ZONE_DOUBLED');
  });

  it('DKIM published at the apex instead of the sending subdomain → RECORD_WRONG_LEVEL', async () => {
    const r = await validate('mail.level.test', '--selector', 's1');
    const f = check(r.doc, 'dkim').findings.find((x) => x.code === 'RECORD_WRONG_LEVEL');
    expect(f?.name).toBe('s1._domainkey.level.test');
    expect(check(r.doc, 'dkim').status).toBe('fail');
  });

  it('DMARC and DKIM values pasted with their quotes → RECORD_QUOTED', async () => {
    const r = await validate('quoted.test', '--selector', 's1');
    expect(codes(check(r.doc, 'dmarc'))).toContain('RECORD_QUOTED');
    expect(codes(check(r.doc, 'dkim'))).toContain('RECORD_QUOTED');
  });
});

describe('validate: MX diagnoses', () => {
  it.each([
    ['spf-none.test', 'MX_MISSING'],
    ['mx-null.test', 'MX_NULL'],
    ['mx-cname.test', 'MX_TARGET_CNAME'],
    ['mx-ip.test', 'MX_TARGET_IP'],
    ['mx-priority.test', 'MX_PRIORITY_IN_VALUE'],
  ])('%s → %s', async (domain, code) => {
    const r = await validate(domain);
    expect(codes(check(r.doc, 'mx'))).toContain(code);
  });
});

describe('validate: exit codes and failures', () => {
  it('--exit-code exits 2 when a finding is an error', async () => {
    const r = await validate('spf-plusall.test', '--exit-code');
    expect(r.code).toBe(2);
  });

  it('without --exit-code, findings do not change the exit status', async () => {
    const r = await validate('spf-plusall.test');
    expect(r.code).toBe(0);
  });

  it('when no DNS question can be answered: exit 69, every check "none", nothing reported missing', async () => {
    const r = await runCli(['validate', 'x.test', '--resolver', '127.0.0.1:9', '--json', '--timeout', '200ms']);
    expect(r.code).toBe(69);
    const doc = parseJson(r);
    for (const c of doc.checks as Check[]) {
      expect(c.status).toBe('none');
      expect(codes(c).some((x) => /_MISSING$/.test(x))).toBe(false);
    }
  });

  it('an invalid domain → DOMAIN_INVALID, exit 64, JSON error on stdout', async () => {
    const r = await runCli(['validate', 'bad..name', '--json', '--resolver', dns.address]);
    expect(r.code).toBe(64);
    expect(parseJson(r).error.code).toBe('DOMAIN_INVALID');
  });

  it('an invalid domain in human mode: one line and a hint on stderr, no stack trace', async () => {
    const r = await runCli(['validate', 'bad-.com', '--resolver', dns.address]);
    expect(r.code).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^error: .*\[DOMAIN_INVALID\]\nhint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('guesses the sending provider from SPF includes and DKIM targets', async () => {
    await dns.close();
    dns = await startEmbeddedDns({
      records: [
        txt('guess.test', 'v=spf1 include:sendgrid.net -all'), txt('sendgrid.net', 'v=spf1 ip4:167.89.0.0/17 -all'),
        cname('s1._domainkey.guess.test', 's1.domainkey.u1.wl.sendgrid.net'),
        txt('s1.domainkey.u1.wl.sendgrid.net', `v=DKIM1; k=rsa; p=${key2048}`),
      ],
    });
    const r = await validate('guess.test');
    expect(r.doc.provider).toBe('sendgrid');
  });
});
