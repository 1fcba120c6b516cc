/**
 * `validate`: BIMI end to end — the built CLI against the embedded DNS server and an HTTPS server on
 * loopback (test CA through NODE_EXTRA_CA_CERTS) serving good and broken logos and certificates.
 * Every BIMI_* code is served broken here and found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/dns/zone.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { requireProgram } from '../helpers/programs.js';
import { createTestCa, OPENSSL, type TestCa } from '../helpers/tls-ca.js';
import { startHttps, type TestHttps } from '../helpers/https-server.js';
import { a, txt } from '../helpers/zone-builders.js';

const haveOpenssl = requireProgram(OPENSSL, 'openssl', 'openssl');
const svg = (o: { profile?: string; title?: boolean; extra?: string; viewBox?: string } = {}) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="${o.profile ?? 'tiny-ps'}" viewBox="${o.viewBox ?? '0 0 100 100'}">` +
  `${o.title === false ? '' : '<title>Brand</title>'}<circle cx="50" cy="50" r="40" fill="#c00"/>${o.extra ?? ''}</svg>\n`;
const SVG = { 'content-type': 'image/svg+xml' };
const PEM = { 'content-type': 'application/pem-certificate-chain' };

let dns: EmbeddedDns;
let web: TestHttps;
let ca: TestCa;

const bimi = (d: string, l: string, aTag = '', dmarc = 'v=DMARC1; p=reject'): ZoneRecord[] => [
  txt(`default._bimi.${d}`, `v=BIMI1; l=${l}; a=${aTag}`), txt(`_dmarc.${d}`, dmarc),
];
const B = 'https://brand.test';

beforeAll(async () => {
  if (!haveOpenssl) return;
  ca = createTestCa();
  const vmc = (names: string[], days?: number) => { const l = ca.leaf(names, days === undefined ? {} : { days }); return l.cert + ca.caPem; };
  web = await startHttps({
    'brand.test': {
      cert: ca.leaf(['brand.test']),
      routes: {
        '/good.svg': { headers: SVG, body: svg() },
        '/script.svg': { headers: SVG, body: svg({ extra: '<script>alert(1)</script>' }) },
        '/wide.svg': { headers: SVG, body: svg({ viewBox: '0 0 200 100' }) },
        '/tiny.svg': { headers: SVG, body: svg({ profile: 'tiny', title: false }) },
        '/external.svg': { headers: SVG, body: svg({ extra: '<use href="https://evil.test/x.svg#a"/>' }) },
        '/html.svg': { headers: { 'content-type': 'text/html' }, body: svg() },
        '/big.svg': { headers: SVG, body: svg({ extra: `<desc>${'x'.repeat(40_000)}</desc>` }) },
        '/moved.svg': { status: 302, headers: { location: `${B}/good.svg` } },
        '/vmc-good.pem': { headers: PEM, body: vmc(['bimi-good.test']) },
        '/vmc-expired.pem': { headers: PEM, body: vmc(['bimi-expired.test'], -1) },
        '/vmc-other.pem': { headers: PEM, body: vmc(['someone-else.test']) },
        '/vmc-garbage.pem': { headers: PEM, body: 'hello' },
      },
    },
  }, ca.leaf(['fallback.test']));
  dns = await startEmbeddedDns({
    records: [
      a('brand.test', '127.0.0.1'), a('down.brand.test', '127.0.0.2'),
      ...bimi('bimi-good.test', `${B}/good.svg`, `${B}/vmc-good.pem`),
      ...bimi('bimi-noauth.test', `${B}/good.svg`),
      ...bimi('bimi-none.test', `${B}/good.svg`, '', 'v=DMARC1; p=none'),
      ...bimi('bimi-pct.test', `${B}/good.svg`, '', 'v=DMARC1; p=quarantine; pct=50'),
      ...bimi('bimi-sp.test', `${B}/good.svg`, '', 'v=DMARC1; p=reject; sp=none'),
      ...bimi('bimi-script.test', `${B}/script.svg`),
      ...bimi('bimi-wide.test', `${B}/wide.svg`),
      ...bimi('bimi-tiny.test', `${B}/tiny.svg`),
      ...bimi('bimi-external.test', `${B}/external.svg`),
      ...bimi('bimi-html.test', `${B}/html.svg`),
      ...bimi('bimi-big.test', `${B}/big.svg`),
      ...bimi('bimi-moved.test', `${B}/moved.svg`),
      ...bimi('bimi-404.test', `${B}/nothing.svg`),
      ...bimi('bimi-down.test', 'https://down.brand.test/logo.svg'),
      ...bimi('bimi-expired.test', `${B}/good.svg`, `${B}/vmc-expired.pem`),
      ...bimi('bimi-other.test', `${B}/good.svg`, `${B}/vmc-other.pem`),
      ...bimi('bimi-garbage.test', `${B}/good.svg`, `${B}/vmc-garbage.pem`),
      ...bimi('bimi-http.test', 'http://brand.test/good.svg'),
      txt('default._bimi.bimi-two.test', `v=BIMI1; l=${B}/good.svg`), txt('default._bimi.bimi-two.test', `v=BIMI1; l=${B}/wide.svg`),
      txt('default._bimi.bimi-declined.test', 'v=BIMI1; l=; a=;'),
    ],
    faults: [{ name: 'default._bimi.bimi-servfail.test', fault: 'servfail' }],
  });
}, 60_000);
afterAll(async () => { await dns?.close(); await web?.close(); });

type Finding = { code: string; severity: string; message: string };
type Check = { check: string; status: string; findings: Finding[]; detail?: any };

async function validate(domain: string) {
  const r = await runCli(['validate', domain, '--resolver', dns.address, '--json', '--timeout', '3s', '--selector', 's1'],
    { NODE_EXTRA_CA_CERTS: ca.caPath, MAILSETUP_TEST_HTTPS_PORT: String(web.port) });
  const c: Check = parseJson(r).checks.find((x: Check) => x.check === 'bimi');
  return { c, codes: c.findings.map((f) => `${f.severity}:${f.code}`), messages: c.findings.map((f) => f.message).join('\n') };
}

describe.skipIf(!haveOpenssl)('validate: BIMI', () => {
  it('a good record, Tiny PS logo and certificate chain for the domain: pass', async () => {
    const v = await validate('bimi-good.test');
    expect(v.c.findings).toEqual([]);
    expect(v.c.status).toBe('pass');
    expect(v.c.detail.certificate).toMatchObject({ chainLength: 2, rootChecked: false });
  });

  it('a record without a=, and a declination record (l= empty), are fine', async () => {
    expect((await validate('bimi-noauth.test')).c.status).toBe('pass');
    const declined = await validate('bimi-declined.test');
    expect(declined.c.detail.declined).toBe(true);
    expect(declined.codes).toEqual([]);
  });

  it.each([
    ['bimi-none.test', 'error:BIMI_DMARC_NOT_ENFORCED', /p=none/],
    ['bimi-pct.test', 'error:BIMI_DMARC_NOT_ENFORCED', /pct=50/],
    ['bimi-sp.test', 'error:BIMI_DMARC_NOT_ENFORCED', /sp=none/],
    ['bimi-script.test', 'error:BIMI_SVG_INVALID', /<script>/],
    ['bimi-wide.test', 'error:BIMI_SVG_INVALID', /not square \(viewBox 200×100\)/],
    ['bimi-tiny.test', 'error:BIMI_SVG_INVALID', /baseProfile="tiny-ps"[\s\S]*<title>/],
    ['bimi-external.test', 'error:BIMI_SVG_INVALID', /external reference/],
    ['bimi-html.test', 'error:BIMI_SVG_INVALID', /not image\/svg\+xml/],
    ['bimi-big.test', 'error:BIMI_SVG_UNREACHABLE', /32768-byte limit/],
    ['bimi-moved.test', 'error:BIMI_SVG_UNREACHABLE', /redirect/],
    ['bimi-404.test', 'error:BIMI_SVG_UNREACHABLE', /HTTP 404/],
    ['bimi-down.test', 'warning:BIMI_SVG_UNREACHABLE', /fetched from here/],
    ['bimi-expired.test', 'error:BIMI_CERT_INVALID', /expired/],
    ['bimi-other.test', 'error:BIMI_CERT_INVALID', /not issued for bimi-other\.test/],
    ['bimi-garbage.test', 'error:BIMI_CERT_INVALID', /no PEM certificate/],
    ['bimi-http.test', 'error:BIMI_SYNTAX', /not an https: URL/],
    ['bimi-two.test', 'error:BIMI_SYNTAX', /2 BIMI records/],
    ['bimi-servfail.test', 'warning:BIMI_UNCHECKED', /could not be checked/],
    ['plain.test', 'info:BIMI_MISSING', /No BIMI record/],
  ])('%s → %s', async (domain, code, message) => {
    const v = await validate(domain);
    expect(v.codes).toContain(code);
    expect(v.messages).toMatch(message);
  });
});
