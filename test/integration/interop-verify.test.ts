/**
 * verify against real DNS software: BIND9 authoritative, unbound as the caching resolver. A record
 * is changed on BIND (dynamic update) while unbound still caches the old answer: verify must say
 * verified (the authoritative servers are truth) with STALE_CACHE and the seconds left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAMED, UNBOUND, requireProgram, startNamed, startUnbound, type RunningServer } from '../helpers/programs.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { query } from '../../src/dns/wire.js';
import { txtValues } from '../../src/dns/types.js';

const NSUPDATE = ['/usr/bin/nsupdate', '/usr/sbin/nsupdate'].find((p) => existsSync(p)) ?? null;
const ready = requireProgram(NAMED, 'BIND9 named', 'bind9') && requireProgram(UNBOUND, 'unbound', 'unbound') && requireProgram(NSUPDATE, 'nsupdate', 'bind9-dnsutils');

const zone = `$TTL 300
@       IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 60 )
        IN NS  ns1.example.test.
ns1     IN A   127.0.0.1
tok1._domainkey.mail IN CNAME tok1.dkim.amazonses.com.
bounce.mail IN MX 10 feedback-smtp.us-east-1.amazonses.com.
bounce.mail IN TXT "v=spf1 include:old-provider.example.test ~all"
_dmarc.mail IN TXT "v=DMARC1; p=none"
`;

describe.runIf(ready)('verify with BIND9 (authoritative) and unbound (caching resolver)', () => {
  let named: RunningServer;
  let unbound: RunningServer;
  let dir: string;
  let state: string;

  beforeAll(async () => {
    named = await startNamed({ 'example.test': zone }, '', { 'example.test': 'allow-update { 127.0.0.1; };' });
    unbound = await startUnbound(['example.test'], { host: '127.0.0.1', port: named.port });
    dir = mkdtempSync(join(tmpdir(), 'mailsetup-interop-verify-'));
    state = join(dir, 'mailsetup.json');
    const rec = (purpose: string, type: string, name: string, value: string, priority: number | null = null) => ({ purpose, type, name, value, priority, ttl: null, required: true, source: 'provider' });
    writeFileSync(state, JSON.stringify({ version: 1, domains: { 'mail.example.test': {
      provider: 'ses', providerId: 'mail.example.test', region: 'us-east-1', status: 'pending',
      createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
      records: [
        rec('dkim', 'CNAME', 'tok1._domainkey.mail.example.test', 'tok1.dkim.amazonses.com'),
        rec('mail-from-mx', 'MX', 'bounce.mail.example.test', 'feedback-smtp.us-east-1.amazonses.com', 10),
        rec('mail-from-spf', 'TXT', 'bounce.mail.example.test', 'v=spf1 include:amazonses.com ~all'),
        rec('dmarc', 'TXT', '_dmarc.mail.example.test', 'v=DMARC1; p=none'),
      ],
    } } }));
  });
  afterAll(async () => { await unbound?.stop(); await named?.stop(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  const verify = (...extra: string[]) => runCli(['verify', 'mail.example.test', '--config', state, '--authoritative', named.address, '--resolver', unbound.address, '--no-provider', '--json', ...extra]);

  it('the old SPF is wrong: SPF_INCLUDE_MISSING, failed, exit 2', async () => {
    const r = await verify('--exit-code');
    expect(r.code).toBe(2);
    const spf = parseJson(r).records.find((x: { type: string; name: string }) => x.type === 'TXT' && x.name === 'bounce.mail.example.test');
    expect(spf).toMatchObject({ status: 'invalid', code: 'SPF_INCLUDE_MISSING' });
  });

  it('fixed on BIND while unbound caches the old value → verified with STALE_CACHE', async () => {
    // unbound has the old answer cached (the run above made it ask); change it on BIND.
    const cached = await query(unbound.address, 'bounce.mail.example.test', 'TXT', { recursion: true, timeoutMs: 1000, retries: 1 });
    expect(txtValues(cached)).toEqual(['v=spf1 include:old-provider.example.test ~all']);
    const upd = spawnSync(NSUPDATE!, [], { encoding: 'utf8', input: `server 127.0.0.1 ${named.port}\nzone example.test\nupdate delete bounce.mail.example.test. TXT\nupdate add bounce.mail.example.test. 300 TXT "v=spf1 include:amazonses.com ~all"\nsend\n` });
    expect(upd.status, upd.stderr).toBe(0);
    const r = await verify('--exit-code');
    expect(r.code).toBe(0);
    const doc = parseJson(r);
    const spf = doc.records.find((x: { type: string; name: string }) => x.type === 'TXT' && x.name === 'bounce.mail.example.test');
    expect(spf).toMatchObject({ status: 'verified', code: 'STALE_CACHE' });
    expect(spf.resolvers[unbound.address]).toBe('stale');
    expect(spf.staleFor[unbound.address]).toBeGreaterThan(0);
    expect(spf.staleFor[unbound.address]).toBeLessThanOrEqual(300);
    expect(doc.stage).toBe('propagation');
  });
});
