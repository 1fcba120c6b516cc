/**
 * `validate` over several domains: arguments and `--file`, one JSON array, one CSV row per domain,
 * `--exit-code` over all — the built CLI against the embedded DNS server on loopback.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { spawnSync } from 'node:child_process';
import { BIN, guardEnv, parseJson, runCli } from '../helpers/cli.js';
import { rsaPublicKey } from '../helpers/keys.js';
import { a, mx, txt } from '../helpers/zone-builders.js';

let dns: EmbeddedDns;
const dir = mkdtempSync(join(tmpdir(), 'mailsetup-many-'));
beforeAll(async () => {
  dns = await startEmbeddedDns({
    records: [
      txt('good.test', 'v=spf1 -all'), txt('s1._domainkey.good.test', `v=DKIM1; k=rsa; p=${rsaPublicKey(2048)}`), txt('_dmarc.good.test', 'v=DMARC1; p=reject'), mx('good.test', 0, '.'),
      txt('good2.test', 'v=spf1 -all'), txt('_dmarc.good2.test', 'v=DMARC1; p=reject'), mx('good2.test', 10, 'mx.good2.test'), a('mx.good2.test', '192.0.2.1'),
      txt('bad.test', 'v=spf1 +all'), txt('_dmarc.bad.test', 'v=DMARC1; p=reject'),
      // RFC 9989 against RFC 7489: an intermediate record (b.) is what the PSL walk applies, not the walk to the top.
      txt('_dmarc.org9989.test', 'v=DMARC1; p=reject'), txt('_dmarc.b.org9989.test', 'v=DMARC1; p=none'),
    ],
        // Every name validate asks about dark.test fails: nothing about it could be checked.
    faults: ['dark.test', '_dmarc.dark.test', 's1._domainkey.dark.test', '_mta-sts.dark.test', '_smtp._tls.dark.test', 'default._bimi.dark.test']
      .map((name) => ({ name, fault: 'servfail' as const })),
  });
});
afterAll(async () => { await dns.close(); });

const run = (...args: string[]) => runCli(['validate', ...args, '--resolver', dns.address, '--timeout', '2s']);

describe('validate: several domains', () => {
  it('arguments → one JSON array in the order given, each a full report', async () => {
    const r = await run('good.test', 'bad.test', '--json');
    const doc = parseJson(r);
    expect(Array.isArray(doc)).toBe(true);
    expect(doc.map((d: { domain: string }) => d.domain)).toEqual(['good.test', 'bad.test']);
    expect(doc[1].checks.find((c: { check: string }) => c.check === 'spf').findings.map((f: { code: string }) => f.code)).toContain('SPF_PLUS_ALL');
    expect(r.code).toBe(0);
  });

  it('one domain still prints one object, as before', async () => {
    const doc = parseJson(await run('good.test', '--json'));
    expect(Array.isArray(doc)).toBe(false);
    expect(doc.domain).toBe('good.test');
  });

  it('--file: one per line, # comments and blank lines skipped, duplicates audited once', async () => {
    const file = join(dir, 'list.txt');
    writeFileSync(file, '# our domains\ngood.test\n\n  good2.test   # the second\ngood.test\n');
    const r = await run('--file', file, '--format', 'json');
    const doc = parseJson(r);
    expect(doc.map((d: { domain: string }) => d.domain)).toEqual(['good.test', 'good2.test']);
  });

  it('--format csv: a header, then one row per domain with each check\'s status and the error codes', async () => {
    const r = await run('good.test', 'bad.test', '--format', 'csv');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('domain,spf,dkim,dmarc,mx,cname,mta-sts,tls-rpt,dnssec,bimi,smtp,errors');
    expect(lines).toHaveLength(3);
    const bad = lines[2]!.split(',');
    expect(bad[0]).toBe('bad.test');
    expect(bad[1]).toBe('fail');
    expect(bad[bad.length - 1]).toContain('SPF_PLUS_ALL');
    const good = lines[1]!.split(',');
    expect(good[1]).toBe('pass');
    expect(good[good.length - 1]).toBe('');
  });

  it('--exit-code over all: 2 when any domain has an error, 0 when none does', async () => {
    expect((await run('good.test', 'bad.test', '--exit-code', '--json')).code).toBe(2);
    expect((await run('good.test', 'good2.test', '--exit-code', '--json')).code).toBe(0);
  });

  it('a domain that could not be checked is never a pass: 69, "unknown" in CSV', async () => {
    const r = await run('good.test', 'dark.test', '--exit-code', '--format', 'csv', '--selector', 's1');
    expect(r.code).toBe(69);
    const dark = r.stdout.trim().split('\n').find((l) => l.startsWith('dark.test'))!.split(',');
    expect(dark.slice(1, 6)).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
    expect(dark.slice(6, 10)).toEqual(['unknown', 'unknown', 'unknown', 'unknown']); // mta-sts, tls-rpt, dnssec, bimi
    expect(dark[dark.length - 1]).toBe('DNS_UNAVAILABLE');
    expect(r.stderr).toMatch(/no DNS server answered for dark\.test/);
    // Without --exit-code too: a domain nothing could be checked for is never a silent 0.
    const json = await run('good.test', 'dark.test', '--json', '--selector', 's1');
    expect(json.code).toBe(69);
    const dnssec = parseJson(json)[1].checks.find((c: { check: string }) => c.check === 'dnssec');
    expect(dnssec.findings.map((f: { code: string; severity: string }) => `${f.severity}:${f.code}`)).toEqual(['warning:DNSSEC_UNCHECKED']);
    // An error elsewhere wins: 2 (needs a human) over 69.
    expect((await run('bad.test', 'dark.test', '--exit-code', '--json', '--selector', 's1')).code).toBe(2);
  });

  it('human output: each report, then a summary worst first', async () => {
    const r = await run('good.test', 'bad.test');
    expect(r.stdout).toContain('Mail authentication for good.test');
    expect(r.stdout).toContain('Mail authentication for bad.test');
    const summary = r.stdout.slice(r.stdout.indexOf('Summary of 2 domains'));
    expect(summary.indexOf('bad.test')).toBeLessThan(summary.indexOf('good.test'));
    expect(summary).toMatch(/1 with errors, 1 without errors/);
  });

  it('bad input: no domain, a missing file, a bad line → one line, a hint, exit 64', async () => {
    const none = await run();
    expect(none.code).toBe(64);
    expect(none.stderr).toMatch(/^error: validate needs a domain/);
    const missing = await run('--file', join(dir, 'nope.txt'));
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/cannot read .*no such file/);
    const file = join(dir, 'bad.txt');
    writeFileSync(file, 'good.test\nbad..name\n');
    const badLine = await run('--file', file);
    expect(badLine.code).toBe(64);
    expect(badLine.stderr).toMatch(/line 2: .*\[DOMAIN_INVALID\]/);
    expect(badLine.stderr).not.toMatch(/\n\s+at /);
    const fmt = await run('good.test', '--format', 'xml');
    expect(fmt.code).toBe(64);
  });
});

describe('validate: the new checks cost start-up only when they run', () => {
  /** The HTTP/TLS modules a CLI run loaded, printed by a preload at exit. */
  function loaded(args: string[]): string[] {
    const preload = join(dir, 'modules.cjs');
    writeFileSync(preload, "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (_?tls|https?|_http_\\w+)$/.test(m))) + '\\n'));");
    const r = spawnSync(process.execPath, ['-r', preload, BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1', ...guardEnv() } });
    const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
    if (!line) throw new Error(`no module list: ${r.stderr}`);
    return JSON.parse(line.slice(7));
  }

  it('--help and validate --help load no TLS or HTTP module; nor does a validate with no HTTPS document to fetch', () => {
    expect(loaded(['--help'])).toEqual([]);
    expect(loaded(['validate', '--help'])).toEqual([]);
    expect(loaded(['validate', 'good.test', '--resolver', dns.address, '--json'])).toEqual([]);
  });
});

describe('validate: RFC 9989 discovery beside RFC 7489', () => {
  it('an intermediate record: RFC 7489 applies it, RFC 9989 the organisational domain\'s — DMARC_ORG_DOMAIN_DIFFERS (info), both in the JSON', async () => {
    const before = dns.queries.length;
    const doc = parseJson(await run('a.b.org9989.test', '--json'));
    const dmarc = doc.checks.find((c: { check: string }) => c.check === 'dmarc');
    expect(dmarc.detail.recordAt).toBe('b.org9989.test');
    expect(dmarc.detail.dmarcbis).toMatchObject({ organisationalDomain: 'org9989.test', recordAt: 'org9989.test', incomplete: false });
    expect(dmarc.findings).toContainEqual(expect.objectContaining({ code: 'DMARC_ORG_DOMAIN_DIFFERS', severity: 'info' }));
    // The walk reaches the top-level label.
    expect(dns.queries.slice(before).map((q) => q.name)).toContain('_dmarc.test');
  });

  it('no such finding where the two agree', async () => {
    const dmarc = parseJson(await run('good.test', '--json')).checks.find((c: { check: string }) => c.check === 'dmarc');
    expect(dmarc.findings.map((f: { code: string }) => f.code)).not.toContain('DMARC_ORG_DOMAIN_DIFFERS');
  });
});
