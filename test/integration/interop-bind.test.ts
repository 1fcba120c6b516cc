/**
 * Interop with real DNS software: BIND9 serves the zone authoritatively, unbound resolves it
 * recursively, and `validate` runs as a subprocess against both. Locally, missing programs are
 * reported loudly and the tests skip; under CI=true a missing program fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMED, UNBOUND, requireProgram, startNamed, startUnbound, type RunningServer } from '../helpers/programs.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { rsaPublicKey } from '../helpers/keys.js';
import { query } from '../../src/dns/wire.js';
import { txtValues } from '../../src/dns/types.js';

const haveNamed = requireProgram(NAMED, 'BIND9 named', 'bind9 bind9-dnsutils');
const haveUnbound = requireProgram(UNBOUND, 'unbound', 'unbound');

/** A zone-file TXT: split into quoted ≤ 255-byte strings, as BIND wants. */
function zoneTxt(value: string, size = 200): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += size) parts.push(`"${value.slice(i, i + size)}"`);
  return `( ${parts.join(' ')} )`;
}

const key = rsaPublicKey(2048);
const big = Array.from({ length: 6 }, (_, i) => `"${String(i).repeat(250)}"`).join(' ');
const zone = `$TTL 300
@       IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 60 )
        IN NS  ns1.example.test.
ns1     IN A   127.0.0.1
@       IN TXT "v=spf1 -all"
_dmarc  IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.test"
@       IN MX  10 mx.example.test.
mx      IN A   192.0.2.25
mail    IN TXT "v=spf1 " "include:_spf.example.test " "~all"
mail    IN MX  10 feedback.example.test.
feedback IN A  192.0.2.26
_spf    IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
s1._domainkey.mail IN TXT ${zoneTxt(`v=DKIM1; k=rsa; p=${key}`)}
big     IN TXT ${big}
bad     IN TXT "v=spf1 include:_spf.example.test +all"
bad     IN TXT "v=spf1 -all"
`;

describe.runIf(haveNamed)('BIND9 as the authoritative server', () => {
  let named: RunningServer;
  beforeAll(async () => { named = await startNamed({ 'example.test': zone }); });
  afterAll(async () => { await named?.stop(); });

  it('the wire client reads BIND answers: AA bit, TTL, NXDOMAIN vs NODATA with the negative TTL', async () => {
    const opts = { recursion: false, timeoutMs: 1000, retries: 1 };
    const spf = await query(named.address, 'mail.example.test', 'TXT', opts);
    expect(spf.aa).toBe(true);
    expect(spf.records[0]?.ttl).toBe(300);
    expect(txtValues(spf)).toEqual(['v=spf1 include:_spf.example.test ~all']);
    const nx = await query(named.address, 'nope.example.test', 'TXT', opts);
    expect(nx.outcome).toBe('nxdomain');
    expect(nx.negativeTtl).toBe(60);
    expect((await query(named.address, 'mx.example.test', 'TXT', opts)).outcome).toBe('nodata');
  });

  it('falls back to TCP for an answer too big for UDP', async () => {
    const a = await query(named.address, 'big.example.test', 'TXT', { recursion: false, timeoutMs: 1000, retries: 1 });
    expect(a.outcome).toBe('answer');
    expect(txtValues(a)[0]).toHaveLength(1500);
  });

  it('validate passes a correct subdomain served by BIND (split TXT strings joined)', async () => {
    const r = await runCli(['validate', 'mail.example.test', '--selector', 's1', '--authoritative', named.address, '--resolver', named.address, '--json', '--exit-code']);
    const doc = parseJson(r);
    const status = Object.fromEntries(doc.checks.map((c: { check: string; status: string }) => [c.check, c.status]));
    expect(status).toMatchObject({ spf: 'pass', dkim: 'pass', dmarc: 'pass' });
    expect(r.code).toBe(0);
  });

  it('validate finds two SPF records at one name in BIND', async () => {
    const r = await runCli(['validate', 'bad.example.test', '--authoritative', named.address, '--resolver', named.address, '--json', '--exit-code']);
    expect(r.code).toBe(2);
    const spf = parseJson(r).checks.find((c: { check: string }) => c.check === 'spf');
    expect(spf.findings.map((f: { code: string }) => f.code)).toContain('SPF_MULTIPLE_RECORDS');
  });

  describe.runIf(haveUnbound)('through unbound as the recursive resolver', () => {
    let unbound: RunningServer;
    beforeAll(async () => { unbound = await startUnbound(['example.test'], { host: '127.0.0.1', port: named.port }); });
    afterAll(async () => { await unbound?.stop(); });

    it('validate reads the same records through a real caching resolver', async () => {
      const r = await runCli(['validate', 'mail.example.test', '--selector', 's1', '--resolver', unbound.address, '--json']);
      const doc = parseJson(r);
      const spf = doc.checks.find((c: { check: string }) => c.check === 'spf');
      expect(spf.record).toBe('v=spf1 include:_spf.example.test ~all');
      expect(spf.status).toBe('pass');
      expect(doc.checks.find((c: { check: string }) => c.check === 'dkim').status).toBe('pass');
    });
  });
});
