/** Conformance: the examples of RFC 8461 (MTA-STS) and RFC 8460 (TLS-RPT), and their edges. */
import { describe, expect, it } from 'vitest';
import { mxMatches, parseStsPolicy, parseStsRecord } from '../../src/validators/mta-sts.js';
import { parseTlsRpt } from '../../src/validators/tls-rpt.js';

describe('RFC 8461 MTA-STS', () => {
  it('§3.1 example TXT record', () => {
    expect(parseStsRecord('v=STSv1; id=20160831085700Z;')).toEqual({ id: '20160831085700Z', problems: [] });
  });

  it.each([
    ['v=STSv1;', /no id=/],
    ['v=STSv1; id=abc_def', /1 to 32 letters and digits/],
    [`v=STSv1; id=${'a'.repeat(33)}`, /1 to 32/],
    ['v=STSv2; id=1', /exactly "v=STSv1"/],
    ['v=STSv1; id=1; id=2', /more than one id/],
  ])('record %j is refused', (rec, why) => {
    expect(parseStsRecord(rec).problems.join('\n')).toMatch(why);
  });

  it('extension fields are allowed', () => {
    expect(parseStsRecord('v=STSv1; id=1; ext=yes').problems).toEqual([]);
  });

  it('§3.2 example policy', () => {
    const text = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n';
    expect(parseStsPolicy(text)).toEqual({
      policy: { version: 'STSv1', mode: 'enforce', maxAge: 604800, mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'] },
      problems: [],
    });
  });

  it('LF line ends are tolerated; mode none needs no mx; extension keys are ignored', () => {
    expect(parseStsPolicy('version: STSv1\nmode: none\nmax_age: 0\nfuture: 1\n').problems).toEqual([]);
  });

  it.each([
    ['mode: enforce\nmx: a.example\nmax_age: 1\n', /no "version: STSv1"/],
    ['version: STSv1\nmode: enforce\nmax_age: 1\n', /no mx line/],
    ['version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n', /max_age/],
    ['version: STSv1\nmx: a.example\nmax_age: 1\n', /no mode line/],
    ['version: STSv1\nmode: enforce\nmx: a.example\n', /no max_age/],
    ['version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nmode: testing\n', /mode appears more than once/],
    ['<html>oops</html>', /not a "key: value" line/],
  ])('policy problem: %j', (text, why) => {
    expect(parseStsPolicy(text).problems.join('\n')).toMatch(why);
  });

  it('§4.1: a wildcard matches exactly one leftmost label; names compare case-insensitively', () => {
    expect(mxMatches('*.example.com', 'mail.example.com')).toBe(true);
    expect(mxMatches('*.example.com', 'example.com')).toBe(false);
    expect(mxMatches('*.example.com', 'foo.bar.example.com')).toBe(false);
    expect(mxMatches('mail.example.com', 'MAIL.Example.com.')).toBe(true);
    expect(mxMatches('mail.example.com', 'mail2.example.com')).toBe(false);
  });
});

describe('RFC 8460 TLS-RPT', () => {
  it.each([
    ['v=TLSRPTv1;rua=mailto:reports@example.com', ['mailto:reports@example.com']],
    ['v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt', ['https://reporting.example.com/v1/tlsrpt']],
    ['v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.com/x;', ['mailto:a@example.com', 'https://r.example.com/x']],
  ])('§3 example %j', (rec, rua) => {
    expect(parseTlsRpt(rec)).toEqual({ rua, problems: [] });
  });

  it.each([
    ['v=TLSRPTv1', /no rua=/],
    ['v=TLSRPTv1; rua=ftp://x.example', /neither a mailto/],
    ['v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com', /more than one rua/],
    ['v=tlsrptv1; rua=mailto:a@example.com', /exactly "v=TLSRPTv1"/],
  ])('%j is refused', (rec, why) => {
    expect(parseTlsRpt(rec).problems.join('\n')).toMatch(why);
  });
});

describe('auditMtaSts with the HTTPS port injected (a fake that fails closed)', async () => {
  const { auditMtaSts } = await import('../../src/validators/mta-sts.js');
  const { memoryLookup } = await import('../../src/dns/zone.js');
  const lookup = memoryLookup({ records: [{ name: '_mta-sts.example.com', type: 'TXT', data: 'v=STSv1; id=1' }] });
  const fakeFetch = (body: string, contentType = 'text/plain') => async (url: string) => {
    if (url !== 'https://mta-sts.example.com/.well-known/mta-sts.txt') throw new Error(`FakeFetch: no answer for ${url}`);
    return { ok: true as const, status: 200 as const, contentType, body: Buffer.from(body), address: '192.0.2.1' };
  };

  it('every MX covered: no finding; the coverage in the detail', async () => {
    const r = await auditMtaSts('example.com', lookup, { timeoutMs: 1000, mxHosts: ['mx1.example.com'], fetch: fakeFetch('version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 86400\n') });
    expect(r.findings).toEqual([]);
    expect((r.detail as { coverage: unknown }).coverage).toEqual([{ host: 'mx1.example.com', matched: '*.example.com' }]);
  });

  it('an MX two labels under the wildcard is not covered (enforce → error)', async () => {
    const r = await auditMtaSts('example.com', lookup, { timeoutMs: 1000, mxHosts: ['a.b.example.com'], fetch: fakeFetch('version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 86400\n') });
    expect(r.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['error:MTA_STS_MX_NOT_COVERED']);
  });

  it('mode none asks nothing of the MX hosts', async () => {
    const r = await auditMtaSts('example.com', lookup, { timeoutMs: 1000, mxHosts: ['elsewhere.net'], fetch: fakeFetch('version: STSv1\nmode: none\nmax_age: 0\n') });
    expect(r.findings).toEqual([]);
  });
});
