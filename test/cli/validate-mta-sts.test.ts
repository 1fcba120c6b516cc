/**
 * `validate`: MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) end to end — the built CLI against the
 * embedded DNS server and an HTTPS server on loopback with certificates from a test CA, trusted through
 * NODE_EXTRA_CA_CERTS. Every MTA_STS_* / TLSRPT_* code is served broken here and found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/dns/zone.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { requireProgram } from '../helpers/programs.js';
import { createTestCa, OPENSSL, type TestCa } from '../helpers/tls-ca.js';
import { startHttps, type HostConfig, type TestHttps } from '../helpers/https-server.js';
import { a, mx, txt } from '../helpers/zone-builders.js';

const haveOpenssl = requireProgram(OPENSSL, 'openssl', 'openssl');
const PATH = '/.well-known/mta-sts.txt';
const policy = (mode: string, ...mxs: string[]) => `version: STSv1\r\nmode: ${mode}\r\n${mxs.map((m) => `mx: ${m}\r\n`).join('')}max_age: 86400\r\n`;
const plain = { 'content-type': 'text/plain' };

/** One domain with an MTA-STS record, its MX and the policy host on loopback. */
function stsDomain(d: string, opts: { mx?: string; record?: string; host?: string | null } = {}): ZoneRecord[] {
  const mxHost = opts.mx ?? `mx1.${d}`;
  return [
    mx(d, 10, mxHost), a(mxHost, '192.0.2.25'),
    txt(`_mta-sts.${d}`, opts.record ?? 'v=STSv1; id=20240101T000000'),
    ...(opts.host === null ? [] : [a(`mta-sts.${d}`, opts.host ?? '127.0.0.1')]),
  ];
}

let dns: EmbeddedDns;
let web: TestHttps;
let ca: TestCa;

beforeAll(async () => {
  if (!haveOpenssl) return;
  ca = createTestCa();
  const certFor = (d: string) => ca.leaf([`mta-sts.${d}`]);
  const served: Record<string, { policy: string | Buffer; status?: number; headers?: Record<string, string>; cert?: { key: string; cert: string } }> = {
    'good.test': { policy: policy('enforce', '*.good.test') },
    'uncovered.test': { policy: policy('enforce', 'mx1.uncovered.test') },
    'testing.test': { policy: policy('testing', 'mx1.other.test') },
    'badpolicy.test': { policy: 'version: STSv1\nmode: strict\nmax_age: forever\nmx: *.*.badpolicy.test\n' },
    'ctype.test': { policy: policy('enforce', '*.ctype.test'), headers: { 'content-type': 'text/html' } },
    'redirect.test': { policy: '', status: 301, headers: { location: 'https://elsewhere.test/policy' } },
    'big.test': { policy: Buffer.alloc(100_000, 'x') },
    'expired.test': { policy: policy('enforce', '*.expired.test'), cert: ca.leaf(['mta-sts.expired.test'], { days: -1 }) },
    'wrongname.test': { policy: policy('enforce', '*.wrongname.test'), cert: ca.leaf(['mta-sts.someone-else.test']) },
    'selfsigned.test': { policy: policy('enforce', '*.selfsigned.test'), cert: ca.leaf(['mta-sts.selfsigned.test'], { selfSigned: true }) },
  };
  const hosts: Record<string, HostConfig> = {};
  for (const [d, s] of Object.entries(served)) {
    hosts[`mta-sts.${d}`] = { cert: s.cert ?? certFor(d), routes: { [PATH]: { status: s.status ?? 200, headers: s.headers ?? plain, body: s.policy } } };
  }
  // 404.test has a host and a certificate but no policy file.
  hosts['mta-sts.404.test'] = { cert: certFor('404.test'), routes: {} };
  web = await startHttps(hosts, certFor('fallback.test'));

  dns = await startEmbeddedDns({
    records: [
      ...Object.keys(served).filter((d) => d !== 'uncovered.test').flatMap((d) => stsDomain(d)),
      txt('_smtp._tls.good.test', 'v=TLSRPTv1; rua=mailto:tlsrpt@good.test,https://reports.good.test/tlsrpt'),
      ...stsDomain('uncovered.test', { mx: 'mx.provider.test' }),
      ...stsDomain('404.test'),
      ...stsDomain('nohost.test', { host: null }),
      ...stsDomain('down.test', { host: '127.0.0.2' }), // nothing listens there
      ...stsDomain('badrecord.test', { record: 'v=STSv1; id=not-valid!' }),
      txt('_mta-sts.tworecords.test', 'v=STSv1; id=1'), txt('_mta-sts.tworecords.test', 'v=STSv1; id=2'),
      // TLS-RPT alone
      txt('_smtp._tls.rpt-bad.test', 'v=TLSRPTv1; rua=ftp://reports.rpt-bad.test'),
      txt('_smtp._tls.rpt-norua.test', 'v=TLSRPTv1;'),
      txt('_smtp._tls.rpt-two.test', 'v=TLSRPTv1; rua=mailto:a@rpt-two.test'), txt('_smtp._tls.rpt-two.test', 'v=TLSRPTv1; rua=mailto:b@rpt-two.test'),
      // Nothing optional at all.
      txt('plain.test', 'v=spf1 -all'), txt('_dmarc.plain.test', 'v=DMARC1; p=reject'), mx('plain.test', 10, 'mx.plain.test'), a('mx.plain.test', '192.0.2.1'),
    ],
    faults: [{ name: '_mta-sts.servfail.test', fault: 'servfail' }, { name: '_smtp._tls.servfail.test', fault: 'servfail' }],
  });
}, 60_000);
afterAll(async () => { await dns?.close(); await web?.close(); });

type Finding = { code: string; severity: string; name: string; message: string };
type Check = { check: string; status: string; findings: Finding[]; detail?: any };

async function validate(domain: string, env: NodeJS.ProcessEnv = {}) {
  const r = await runCli(['validate', domain, '--resolver', dns.address, '--json', '--timeout', '3s', '--selector', 's1'],
    { NODE_EXTRA_CA_CERTS: ca.caPath, MAILSETUP_TEST_HTTPS_PORT: String(web.port), ...env });
  const doc = parseJson(r);
  const check = (name: string): Check => doc.checks.find((c: Check) => c.check === name);
  return { r, doc, check, codes: (name: string) => check(name).findings.map((f) => `${f.severity}:${f.code}`) };
}

describe.skipIf(!haveOpenssl)('validate: MTA-STS', () => {
  it('a good record and enforce policy covering every MX: pass, with the policy in the detail; TLS-RPT pass', async () => {
    const v = await validate('good.test');
    expect(v.check('mta-sts').status).toBe('pass');
    expect(v.check('mta-sts').findings).toEqual([]);
    expect(v.check('mta-sts').detail.policy).toMatchObject({ version: 'STSv1', mode: 'enforce', maxAge: 86400, mx: ['*.good.test'] });
    expect(v.check('mta-sts').detail.coverage).toEqual([{ host: 'mx1.good.test', matched: '*.good.test' }]);
    expect(v.check('tls-rpt').status).toBe('pass');
    expect(v.check('tls-rpt').detail.rua).toEqual(['mailto:tlsrpt@good.test', 'https://reports.good.test/tlsrpt']);
    expect(web.requests).toContain(`mta-sts.good.test${PATH}`);
  });

  it.each([
    ['uncovered.test', 'error:MTA_STS_MX_NOT_COVERED'],
    ['testing.test', 'info:MTA_STS_TESTING'],
    ['testing.test', 'warning:MTA_STS_MX_NOT_COVERED'],
    ['badpolicy.test', 'error:MTA_STS_SYNTAX'],
    ['ctype.test', 'error:MTA_STS_SYNTAX'],
    ['badrecord.test', 'error:MTA_STS_SYNTAX'],
    ['tworecords.test', 'error:MTA_STS_SYNTAX'],
    ['redirect.test', 'error:MTA_STS_POLICY_UNREACHABLE'],
    ['big.test', 'error:MTA_STS_POLICY_UNREACHABLE'],
    ['404.test', 'error:MTA_STS_RECORD_WITHOUT_POLICY'],
    ['nohost.test', 'error:MTA_STS_RECORD_WITHOUT_POLICY'],
    ['expired.test', 'error:MTA_STS_CERT_INVALID'],
    ['wrongname.test', 'error:MTA_STS_CERT_INVALID'],
    ['selfsigned.test', 'error:MTA_STS_CERT_INVALID'],
    ['down.test', 'warning:MTA_STS_POLICY_UNREACHABLE'],
    ['servfail.test', 'warning:MTA_STS_UNCHECKED'],
  ])('%s → %s', async (domain, code) => {
    const v = await validate(domain);
    expect(v.codes('mta-sts')).toContain(code);
  });

  it('says what is wrong in the policy, naming each problem', async () => {
    const msgs = (await validate('badpolicy.test')).check('mta-sts').findings.map((f) => f.message).join('\n');
    expect(msgs).toMatch(/mode "strict"/);
    expect(msgs).toMatch(/max_age "forever"/);
    expect(msgs).toMatch(/mx "\*\.\*\.badpolicy\.test"/);
  });

  it('a redirect is not followed, and an expired certificate says so', async () => {
    const before = web.requests.length;
    await validate('redirect.test');
    expect(web.requests.slice(before).some((r) => r.startsWith('elsewhere.test'))).toBe(false);
    expect((await validate('expired.test')).check('mta-sts').findings[0]!.message).toMatch(/CERT_HAS_EXPIRED/);
  });

  it('the test CA is trusted only through NODE_EXTRA_CA_CERTS: without it the certificate is invalid', async () => {
    const v = await validate('good.test', { NODE_EXTRA_CA_CERTS: '' });
    expect(v.codes('mta-sts')).toContain('error:MTA_STS_CERT_INVALID');
  });

  it('a could-not-fetch is "could not check", never "missing" nor an error, and --exit-code stays 0', async () => {
    const r = await runCli(['validate', 'down.test', '--resolver', dns.address, '--json', '--timeout', '3s', '--selector', 's1', '--exit-code'],
      { NODE_EXTRA_CA_CERTS: ca.caPath, MAILSETUP_TEST_HTTPS_PORT: String(web.port) });
    const sts = parseJson(r).checks.find((c: Check) => c.check === 'mta-sts');
    expect(sts.findings.map((f: Finding) => f.code)).not.toContain('MTA_STS_RECORD_WITHOUT_POLICY');
    expect(sts.findings.every((f: Finding) => f.severity !== 'error')).toBe(true);
  });
});

describe.skipIf(!haveOpenssl)('validate: TLS-RPT', () => {
  it.each([
    ['rpt-bad.test', 'error:TLSRPT_SYNTAX'],
    ['rpt-norua.test', 'error:TLSRPT_SYNTAX'],
    ['rpt-two.test', 'error:TLSRPT_SYNTAX'],
    ['servfail.test', 'warning:TLSRPT_UNCHECKED'],
    ['uncovered.test', 'warning:TLSRPT_MISSING'], // absent under an enforce policy
    ['testing.test', 'info:TLSRPT_MISSING'],
  ])('%s → %s', async (domain, code) => {
    expect((await validate(domain)).codes('tls-rpt')).toContain(code);
  });
});

describe.skipIf(!haveOpenssl)('validate: a domain with none of the optional records', () => {
  it('gets only info findings from the optional checks, status none, and --exit-code 0', async () => {
    const r = await runCli(['validate', 'plain.test', '--resolver', dns.address, '--json', '--timeout', '3s', '--exit-code', '--selector', 's1'],
      { NODE_EXTRA_CA_CERTS: ca.caPath, MAILSETUP_TEST_HTTPS_PORT: String(web.port) });
    const doc = parseJson(r);
    for (const name of ['mta-sts', 'tls-rpt', 'dnssec', 'bimi']) {
      const c = doc.checks.find((x: Check) => x.check === name);
      expect(c.status, name).toBe('none');
      expect(c.findings.map((f: Finding) => f.severity), name).toEqual(['info']);
    }
    expect(doc.checks.flatMap((c: Check) => ['mta-sts', 'tls-rpt', 'dnssec', 'bimi'].includes(c.check) ? c.findings.map((f) => f.code) : []))
      .toEqual(['MTA_STS_MISSING', 'TLSRPT_MISSING', 'DNSSEC_UNSIGNED', 'BIMI_MISSING']);
    // s1 is absent → DKIM error; every other error is not from the optional checks.
    const optionalErrors = doc.checks.filter((c: Check) => ['mta-sts', 'tls-rpt', 'dnssec', 'bimi'].includes(c.check)).flatMap((c: Check) => c.findings).filter((f: Finding) => f.severity !== 'info');
    expect(optionalErrors).toEqual([]);
  });
});
