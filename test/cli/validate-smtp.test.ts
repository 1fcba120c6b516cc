/**
 * `validate --smtp` end to end: SMTP servers on loopback addresses (one port, moved from 25 by the
 * MAILSETUP_TEST_SMTP_PORT test hook, which only applies to loopback addresses) with STARTTLS and a
 * good certificate, without STARTTLS, with a wrong-name certificate, and an MX where nothing listens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { freePort, requireProgram } from '../helpers/programs.js';
import { createTestCa, OPENSSL, type TestCa } from '../helpers/tls-ca.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp-server.js';
import { startHttps, type TestHttps } from '../helpers/https-server.js';
import { a, mx, txt } from '../helpers/zone-builders.js';

const haveOpenssl = requireProgram(OPENSSL, 'openssl', 'openssl');
let dns: EmbeddedDns;
let ca: TestCa;
let port: number;
let web: TestHttps;
const servers: TestSmtp[] = [];

beforeAll(async () => {
  if (!haveOpenssl) return;
  ca = createTestCa();
  port = await freePort();
  servers.push(await startSmtp('127.0.0.1', port, { starttls: true, cert: ca.leaf(['mx.good.smtp.test']) }));
  servers.push(await startSmtp('127.0.0.3', port, { starttls: false }));
  servers.push(await startSmtp('127.0.0.4', port, { starttls: true, cert: ca.leaf(['someone-else.test']) }));
  servers.push(await startSmtp('127.0.0.6', port, { starttls: true, brokenTls: true }));
  web = await startHttps({ 'mta-sts.strict.smtp.test': { cert: ca.leaf(['mta-sts.strict.smtp.test']), routes: {
    '/.well-known/mta-sts.txt': { headers: { 'content-type': 'text/plain' }, body: 'version: STSv1\nmode: enforce\nmx: mx.wrong.smtp.test\nmax_age: 86400\n' },
  } } }, ca.leaf(['fallback.test']));
  dns = await startEmbeddedDns({
    records: [
      mx('good.smtp.test', 10, 'mx.good.smtp.test'), a('mx.good.smtp.test', '127.0.0.1'),
      mx('plain.smtp.test', 10, 'mx.plain.smtp.test'), a('mx.plain.smtp.test', '127.0.0.3'),
      mx('wrong.smtp.test', 10, 'mx.wrong.smtp.test'), a('mx.wrong.smtp.test', '127.0.0.4'),
      mx('dead.smtp.test', 10, 'mx.dead.smtp.test'), a('mx.dead.smtp.test', '127.0.0.5'),
      // MTA-STS enforce makes a wrong-name certificate an error.
      mx('strict.smtp.test', 10, 'mx.wrong.smtp.test'), txt('_mta-sts.strict.smtp.test', 'v=STSv1; id=1'), a('mta-sts.strict.smtp.test', '127.0.0.1'),
      mx('broken.smtp.test', 10, 'mx.broken.smtp.test'), a('mx.broken.smtp.test', '127.0.0.6'),
      mx('null.smtp.test', 0, '.'),
      mx('two.smtp.test', 10, 'mx.good.smtp.test'), mx('two.smtp.test', 20, 'mx.plain.smtp.test'),
    ],
  });
}, 60_000);
afterAll(async () => { await dns?.close(); await web?.close(); for (const s of servers) await s.close(); });

type Finding = { code: string; severity: string; message: string };
async function smtp(domain: string, ...extra: string[]) {
  const r = await runCli(['validate', domain, '--resolver', dns.address, '--json', '--timeout', '2s', '--selector', 's1', '--smtp', ...extra],
    { NODE_EXTRA_CA_CERTS: ca.caPath, MAILSETUP_TEST_SMTP_PORT: String(port), MAILSETUP_TEST_HTTPS_PORT: String(web.port) });
  if (r.code !== 0 && r.code !== 2) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const doc = parseJson(r);
  const c = doc.checks.find((x: { check: string }) => x.check === 'smtp');
  return { r, doc, c, codes: (c?.findings ?? []).map((f: Finding) => `${f.severity}:${f.code}`) as string[] };
}

describe.skipIf(!haveOpenssl)('validate --smtp', () => {
  it('banner, EHLO, STARTTLS and a certificate for the MX name: pass, with what was seen', async () => {
    const v = await smtp('good.smtp.test');
    expect(v.codes).toEqual([]);
    expect(v.c.status).toBe('pass');
    expect(v.c.detail.hosts[0]).toMatchObject({ host: 'mx.good.smtp.test', banner: 'test.smtp ESMTP', starttls: true, tls: { authorized: true } });
    expect(servers[0]!.heard).toContain('EHLO mailsetup.invalid');
    expect(servers[0]!.heard).toContain('tls:QUIT');
  });

  it.each([
    ['plain.smtp.test', 'warning:SMTP_STARTTLS_MISSING'],
    ['wrong.smtp.test', 'warning:SMTP_CERT_INVALID'],
    ['strict.smtp.test', 'error:SMTP_CERT_INVALID'],
    ['dead.smtp.test', 'warning:SMTP_UNREACHABLE'],
    ['broken.smtp.test', 'warning:SMTP_TLS_FAILED'],
    ['null.smtp.test', 'info:SMTP_NO_HOSTS'],
  ])('%s → %s', async (domain, code) => {
    const v = await smtp(domain);
    expect(v.codes).toContain(code);
    if (domain === 'strict.smtp.test') expect(v.doc.checks.find((c: { check: string }) => c.check === 'mta-sts').status).toBe('pass');
  });

  it('every MX host is checked, each on its own', async () => {
    const v = await smtp('two.smtp.test');
    expect(v.c.detail.hosts.map((h: { host: string }) => h.host)).toEqual(['mx.good.smtp.test', 'mx.plain.smtp.test']);
    expect(v.c.findings.map((f: Finding & { name: string }) => `${f.name}:${f.code}`)).toEqual(['mx.plain.smtp.test:SMTP_STARTTLS_MISSING']);
  });

  it('without --smtp nothing connects to port 25, and there is no smtp check', async () => {
    const before = servers[0]!.heard.length;
    const r = await runCli(['validate', 'good.smtp.test', '--resolver', dns.address, '--json', '--timeout', '2s'], { MAILSETUP_TEST_SMTP_PORT: String(port) });
    expect(parseJson(r).checks.map((c: { check: string }) => c.check)).not.toContain('smtp');
    expect(servers[0]!.heard.length).toBe(before);
  });

  it('an unreachable host is bounded by --timeout', async () => {
    const started = Date.now();
    await smtp('dead.smtp.test', '--timeout', '500ms');
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
