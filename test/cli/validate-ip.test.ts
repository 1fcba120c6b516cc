/**
 * `validate --ip` end to end: the built CLI against the embedded DNS server, which stands in for
 * the recursive resolver (`--resolver`), as check_host() asks resolvers only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/dns/zone.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { txt } from '../helpers/zone-builders.js';


const records: ZoneRecord[] = [
  txt('acme.test', 'v=spf1 include:_spf.provider.test mx -all exp=why.acme.test'),
  { name: 'acme.test', type: 'MX', data: { preference: 10, exchange: 'mx.acme.test' } },
  { name: 'mx.acme.test', type: 'A', data: '192.0.2.25' },
  txt('why.acme.test', '%{i} may not send mail as %{s}'),
  txt('_spf.provider.test', 'v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 ~all'),
  txt('soft.test', 'v=spf1 ip4:192.0.2.1 ~all'),
  txt('helo.test', 'v=spf1 a:%{h} -all'),
  { name: 'out.helo.test', type: 'A', data: '203.0.113.9' },
  txt('slow.test', 'v=spf1 include:timeout.provider.test -all'),
  txt('_dmarc.acme.test', 'v=DMARC1; p=reject'),
];

let dns: EmbeddedDns;
beforeAll(async () => { dns = await startEmbeddedDns({ records, faults: [{ name: 'timeout.provider.test', fault: 'timeout' }] }); });
afterAll(async () => { await dns.close(); });

const run = (...args: string[]) => runCli(['validate', ...args, '--resolver', dns.address, '--timeout', '2s']);

describe('validate --ip: the check_host() result', () => {
  it.each([
    ['acme.test', '198.51.100.7', 'pass'],
    ['acme.test', '2001:db8:5::1', 'pass'],
    ['acme.test', '192.0.2.25', 'pass'],
    ['acme.test', '203.0.113.1', 'fail'],
    ['soft.test', '203.0.113.1', 'softfail'],
    ['none.test', '203.0.113.1', 'none'],
  ])('%s --ip %s → %s', async (domain, ip, want) => {
    const r = await run(domain, '--ip', ip, '--json');
    expect(r.code).toBe(0);
    expect(parseJson(r).spf.result).toBe(want);
  });

  it('--json adds "spf": { result, trace, explanation } beside the audit', async () => {
    const r = await run('jane@acme.test', '--ip', '203.0.113.1', '--json');
    const doc = parseJson(r);
    expect(doc.checks.map((c: { check: string }) => c.check)).toContain('spf');
    expect(doc.spf).toMatchObject({
      result: 'fail', ip: '203.0.113.1', domain: 'acme.test', sender: 'jane@acme.test',
      explanation: '203.0.113.1 may not send mail as jane@acme.test', lookups: 2, voidLookups: 0,
    });
    const terms = doc.spf.trace.map((s: { depth: number; term: string }) => `${s.depth} ${s.term}`);
    expect(terms).toEqual([
      '0 v=spf1 include:_spf.provider.test mx -all exp=why.acme.test', '0 include:_spf.provider.test',
      '1 v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 ~all', '1 ip4:198.51.100.0/24', '1 ip6:2001:db8:5::/48', '1 ~all',
      '0 mx', '0 -all', '0 exp=why.acme.test',
    ]);
    const mx = doc.spf.trace.find((s: { term: string }) => s.term === 'mx');
    expect(mx).toMatchObject({ domain: 'acme.test', target: 'acme.test', matched: false, lookups: 2 });
    expect(mx.asked.map((q: { type: string; name: string }) => `${q.type} ${q.name}`)).toEqual(['MX acme.test', 'A mx.acme.test']);
    expect(doc.spf.trace[doc.spf.decidedBy]).toMatchObject({ term: '-all', matched: true, result: 'fail' });
  });

  it('@domain means postmaster@domain; --helo is taken as given, however odd', async () => {
    const r = await run('@acme.test', '--ip', '203.0.113.1', '--json');
    expect(parseJson(r).spf.sender).toBe('postmaster@acme.test');
    const h = await run('helo.test', '--ip', '203.0.113.9', '--helo', 'out.helo.test', '--json');
    expect(parseJson(h).spf.result).toBe('pass');
    const odd = await run('helo.test', '--ip', '203.0.113.9', '--helo', "JUMPIN' JUPITER", '--json');
    expect(odd.code).toBe(0);
    expect(parseJson(odd).spf).toMatchObject({ result: 'fail', helo: "JUMPIN' JUPITER" });
  });

  it('prints the result in words, the trace as a tree, and why', async () => {
    const r = await run('acme.test', '--ip', '203.0.113.1');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain('SPF evaluation for 203.0.113.1');
    expect(out).toMatch(/Result: fail — acme\.test says 203\.0\.113\.1 is not allowed/);
    expect(out).toMatch(/\n {4}include:_spf\.provider\.test {2}no match {2}\[1\/10 lookups\]/);
    expect(out).toMatch(/\n {6}ip4:198\.51\.100\.0\/24 {2}no match\n {10}203\.0\.113\.1 is not in 198\.51\.100\.0\/24/);
    expect(out).toMatch(/MX acme\.test → 10 mx\.acme\.test/);
    expect(out).toMatch(/Why: 203\.0\.113\.1 matched none of the terms reached \(include:_spf\.provider\.test, mx\); the record of acme\.test ends in "-all"/);
  });
});

describe('validate --ip: failures', () => {
  it('a DNS timeout during evaluation is temperror with exit 0, not 69', async () => {
    const r = await run('slow.test', '--ip', '192.0.2.1', '--json', '--timeout', '300ms');
    expect(r.code).toBe(0);
    expect(parseJson(r).spf.result).toBe('temperror');
  });

  it('no resolver answering at all: still temperror, exit 0', async () => {
    const r = await runCli(['validate', 'x.test', '--ip', '192.0.2.1', '--resolver', '127.0.0.1:9', '--timeout', '200ms', '--json']);
    expect(r.code).toBe(0);
    expect(parseJson(r).spf.result).toBe('temperror');
  });

  it.each([['192.0.2.300'], ['example.com'], ['2001:db8::g']])('--ip %s → usage error, exit 64, one line and a hint', async (bad) => {
    const r = await runCli(['validate', 'acme.test', '--ip', bad, '--resolver', dns.address]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: .*not an IPv4 or IPv6 address.*\nhint: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    const j = await runCli(['validate', 'acme.test', '--ip', bad, '--json', '--resolver', dns.address]);
    expect(j.code).toBe(64);
    expect(parseJson(j).error.code).toBe('USAGE');
  });

  it('--helo without --ip is a usage error', async () => {
    const r = await runCli(['validate', 'acme.test', '--helo', 'mail.acme.test', '--resolver', dns.address]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--helo needs --ip/);
  });
});

describe('validate --ip: the identity and --exit-code', () => {
  it('takes a local part with a space, as SMTP carries it (the RFC 7208 suite\'s own MAIL FROM)', async () => {
    const r = await run('Macro Error@acme.test', '--ip', '203.0.113.1', '--json');
    expect(r.code).toBe(0);
    expect(parseJson(r).spf).toMatchObject({ sender: 'Macro Error@acme.test', domain: 'acme.test', result: 'fail' });
  });

  it.each([
    ['a control character', 'evil\x1b[2J@acme.test', /\\x1b\[2J/],
    ['a bidi override', 'ab\u202Ec@acme.test', /\\u202e/],
    ['65 octets', `${'a'.repeat(65)}@acme.test`, /65 octets/],
  ])('refuses a local part with %s: DOMAIN_INVALID, exit 64, nothing raw echoed', async (_what, identity, shown) => {
    const r = await run(identity, '--ip', '192.0.2.1');
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: .*not a valid email address.*\nhint: /);
    expect(r.stderr).toMatch(shown);
    expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u202e]/);
    const j = await run(identity, '--ip', '192.0.2.1', '--json');
    expect(parseJson(j).error.code).toBe('DOMAIN_INVALID');
  });

  it.each([
    ['pass and no error finding', 'acme.test', '198.51.100.7', 0],
    ['fail', 'acme.test', '203.0.113.1', 2],
    ['softfail', 'soft.test', '203.0.113.1', 2],
    ['none', 'none.test', '203.0.113.1', 2],
    ['temperror', 'slow.test', '192.0.2.1', 69],
  ])('--exit-code counts the --ip result: %s → %i', async (_what, domain, ip, code) => {
    const r = await run(domain, '--ip', ip, '--exit-code', '--json', '--timeout', '300ms');
    expect(r.code).toBe(code);
  });

  it('a malformed MAIL FROM domain is evaluated as a receiver would (none), and said to be unusable', async () => {
    const r = await run('foo@A...acme.test', '--ip', '192.0.2.1', '--json');
    expect(r.code).toBe(0);
    const doc = parseJson(r);
    expect(doc.spf.result).toBe('none');
    expect(doc.checks).toHaveLength(1);
    expect(doc.checks[0]).toMatchObject({ check: 'spf', status: 'none', findings: [{ code: 'SPF_DOMAIN_INVALID', severity: 'error' }] });
    expect((await run('foo@A...acme.test', '--ip', '192.0.2.1', '--exit-code')).code).toBe(2);
    // Without --ip it is an input error, as before.
    expect((await run('foo@A...acme.test')).code).toBe(64);
  });

  it('--exit-code: pass is still 2 when a finding is an error', async () => {
    // soft.test's SPF passes 192.0.2.1, but the domain has no DMARC: an error finding.
    const r = await run('soft.test', '--ip', '192.0.2.1', '--exit-code', '--json');
    const doc = parseJson(r);
    expect(doc.spf.result).toBe('pass');
    expect(doc.checks.flatMap((c: { findings: Array<{ severity: string }> }) => c.findings).some((f: { severity: string }) => f.severity === 'error')).toBe(true);
    expect(r.code).toBe(2);
  });
});
