/**
 * `validate`'s DNSSEC check against real DNSSEC: BIND serving zones signed with dnssec-signzone — a
 * signed parent (sec.test) holding its children's DS — and unbound validating with the parent's key
 * as trust anchor (local root: nothing leaves loopback). Children: signed and chained (good), signed
 * without DS (island), signed with expired signatures (bogus), unsigned (plain). A second unbound
 * that does not validate gives no AD bit (unvalidated).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli } from '../helpers/cli.js';
import { NAMED, requireProgram, startNamed, UNBOUND, type RunningServer } from '../helpers/programs.js';
import { buildSignedZones, DNSSEC_KEYGEN, DNSSEC_SIGNZONE, startValidatingUnbound } from '../helpers/dnssec.js';

const have = requireProgram(NAMED, 'named', 'bind9') && requireProgram(UNBOUND, 'unbound', 'unbound')
  && requireProgram(DNSSEC_KEYGEN, 'dnssec-keygen', 'bind9-utils') && requireProgram(DNSSEC_SIGNZONE, 'dnssec-signzone', 'bind9-utils');

const body = '@ IN TXT "v=spf1 -all"\n_dmarc IN TXT "v=DMARC1; p=reject"\n@ IN MX 0 .\nmail IN TXT "v=spf1 -all"\n';
const ZONES = ['sec.test', 'good.sec.test', 'island.sec.test', 'bogus.sec.test', 'plain.sec.test'];

let named: RunningServer;
let validating: RunningServer;
let plainResolver: RunningServer;

beforeAll(async () => {
  if (!have) return;
  const { files, anchor } = buildSignedZones([
    { name: 'sec.test', body, signed: true, children: [
      { name: 'good.sec.test', ds: true }, { name: 'island.sec.test', ds: false },
      { name: 'bogus.sec.test', ds: true }, { name: 'plain.sec.test', ds: false },
    ] },
    { name: 'good.sec.test', body, signed: true },
    { name: 'island.sec.test', body, signed: true },
    { name: 'bogus.sec.test', body, signed: true, expired: true },
    { name: 'plain.sec.test', body, signed: false },
  ]);
  named = await startNamed(files);
  const upstream = { host: '127.0.0.1', port: named.port };
  validating = await startValidatingUnbound(ZONES, upstream, anchor);
  plainResolver = await startValidatingUnbound(ZONES, upstream, anchor, false);
}, 60_000);
afterAll(async () => { await validating?.stop(); await plainResolver?.stop(); await named?.stop(); });

type Finding = { code: string; severity: string; message: string };
async function dnssec(domain: string, resolver = validating.address, ...extra: string[]) {
  const r = await runCli(['validate', domain, '--resolver', resolver, '--json', '--timeout', '3s', '--selector', 's1', ...extra]);
  const doc = parseJson(r);
  const c = doc.checks.find((x: { check: string }) => x.check === 'dnssec');
  return { r, doc, c, codes: c.findings.map((f: Finding) => `${f.severity}:${f.code}`) as string[] };
}

describe.skipIf(!have)('validate: DNSSEC against BIND and a validating unbound', () => {
  it('a signed zone with a DS at its signed parent: pass, authenticated (AD), keys and DS counted', async () => {
    const v = await dnssec('good.sec.test');
    expect(v.codes).toEqual([]);
    expect(v.c.status).toBe('pass');
    expect(v.c.detail).toMatchObject({ apex: 'good.sec.test', authenticated: true, keySigningKeys: 1, dnskeys: 2, algorithms: [13] });
    expect(v.c.detail.ds).toBeGreaterThanOrEqual(1);
  });

  it('a name inside the signed zone finds the zone apex above it', async () => {
    const v = await dnssec('mail.good.sec.test');
    expect(v.c.detail.apex).toBe('good.sec.test');
    expect(v.c.detail.authenticated).toBe(true);
  });

  it('signed without a DS at the parent → DNSSEC_DS_MISSING (an island), not authenticated', async () => {
    const v = await dnssec('island.sec.test');
    expect(v.codes).toContain('warning:DNSSEC_DS_MISSING');
    expect(v.c.detail.authenticated).toBe(false);
  });

  it('expired signatures → DNSSEC_BOGUS (SERVFAIL that disappears with CD), an error, exit 2 with --exit-code', async () => {
    const v = await dnssec('bogus.sec.test', validating.address, '--exit-code');
    expect(v.codes).toContain('error:DNSSEC_BOGUS');
    expect(v.r.code).toBe(2);
    // The rest is "could not check" through a validating resolver, never "missing".
    for (const c of v.doc.checks) expect(c.findings.map((f: Finding) => f.code).filter((x: string) => /_MISSING$/.test(x) && x !== 'DKIM_MISSING'), c.check).toEqual([]);
  });

  it('an unsigned delegated zone under a signed parent → DNSSEC_UNSIGNED, info only', async () => {
    const v = await dnssec('plain.sec.test');
    expect(v.codes).toEqual(['info:DNSSEC_UNSIGNED']);
    expect(v.c.status).toBe('none');
  });

  it('through a resolver that does not validate: signed and chained, but DNSSEC_UNVALIDATED (info); bogus cannot show', async () => {
    expect((await dnssec('good.sec.test', plainResolver.address)).codes).toEqual(['info:DNSSEC_UNVALIDATED']);
    expect((await dnssec('bogus.sec.test', plainResolver.address)).codes).toEqual(['info:DNSSEC_UNVALIDATED']);
  });
});
