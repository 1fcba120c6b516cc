/**
 * autoconfig end to end against real BIND9 through RFC 2136 + TSIG: plan, refuse without
 * confirmation, apply (merging into the existing SPF, leaving foreign records alone), wait for the
 * SOA serial, verify — then a second run changes nothing. Checked afterwards with dig.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAMED, requireProgram, startNamed, type RunningServer } from '../helpers/programs.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { rsaPublicKey } from '../helpers/keys.js';

const DIG = ['/usr/bin/dig', '/usr/sbin/dig'].find((p) => existsSync(p)) ?? null;
const ready = requireProgram(NAMED, 'BIND9 named', 'bind9') && requireProgram(DIG, 'dig', 'bind9-dnsutils');
const SECRET = Buffer.from('mailsetup-autoconfig-test-secret').toString('base64');
const KEY = `hmac-sha256:autoconfig-test.:${SECRET}`;
const dkim = `v=DKIM1; k=rsa; p=${rsaPublicKey(2048)}`;

const zone = `$TTL 300
@       IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 60 )
        IN NS  ns1.example.test.
ns1     IN A   127.0.0.1
bounce.mail IN TXT "v=spf1 include:_spf.example.test ~all"
bounce.mail IN TXT "some-other-verification=abc"
_spf    IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.mail IN TXT "v=DMARC1; p=reject"
`;

describe.runIf(ready)('autoconfig through RFC 2136 against BIND9', () => {
  let named: RunningServer;
  let dir: string;
  let state: string;
  const env = () => ({ MAILSETUP_RFC2136_SERVER: named.address, MAILSETUP_TSIG_KEY: KEY });
  const cli = (...args: string[]) => runCli(['autoconfig', 'mail.example.test', '--config', state, '--dns', 'rfc2136', '--authoritative', named.address, '--resolver', named.address, '--no-provider', ...args], env());
  const dig = (name: string, type: string) => spawnSync(DIG!, ['+short', '+norec', '-p', String(named.port), '@127.0.0.1', name, type], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    named = await startNamed({ 'example.test': zone }, `key "autoconfig-test." { algorithm hmac-sha256; secret "${SECRET}"; };`, { 'example.test': 'update-policy { grant autoconfig-test. zonesub ANY; };' });
    dir = mkdtempSync(join(tmpdir(), 'mailsetup-autoconfig-'));
    state = join(dir, 'mailsetup.json');
    const rec = (purpose: string, type: string, name: string, value: string, priority: number | null = null, source = 'provider') => ({ purpose, type, name, value, priority, ttl: null, required: true, source });
    writeFileSync(state, JSON.stringify({ version: 1, domains: { 'mail.example.test': {
      provider: 'ses', providerId: 'mail.example.test', region: 'us-east-1', status: 'pending',
      createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
      records: [
        rec('dkim', 'TXT', 'sel1._domainkey.mail.example.test', dkim),
        rec('mail-from-mx', 'MX', 'bounce.mail.example.test', 'feedback-smtp.us-east-1.amazonses.com', 10),
        rec('mail-from-spf', 'TXT', 'bounce.mail.example.test', 'v=spf1 include:amazonses.com ~all'),
        rec('dmarc', 'TXT', '_dmarc.mail.example.test', 'v=DMARC1; p=none', null, 'mailsetup'),
      ],
    } } }, null, 2));
  });
  afterAll(async () => { await named?.stop(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('--dry-run prints the plan and writes nothing', async () => {
    const r = await cli('--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson(r);
    expect(doc.changes.map((c: { action: string; record: { type: string } }) => `${c.action} ${c.record.type}`)).toEqual(['create TXT', 'create MX', 'update TXT', 'unchanged TXT']);
    expect(doc.changes[2].to).toBe('v=spf1 include:_spf.example.test include:amazonses.com ~all');
    expect(doc.untouched).toEqual([{ type: 'TXT', name: 'bounce.mail.example.test', value: 'some-other-verification=abc', priority: null }]);
    expect(dig('sel1._domainkey.mail.example.test', 'TXT')).toEqual([]);
  });

  it('without a terminal and without --yes: the plan, exit 64, nothing written', async () => {
    const r = await cli();
    expect(r.code).toBe(64);
    expect(r.stdout).toContain('create');
    expect(r.stderr).toContain('CONFIRMATION_REQUIRED');
    expect(dig('bounce.mail.example.test', 'MX')).toEqual([]);
  });

  it('--yes applies, merges the SPF, keeps the stricter DMARC and the foreign TXT, then verifies', async () => {
    const r = await cli('--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/authoritative server\(s\) serve the new zone/);
    expect(r.stdout).toMatch(/mail\.example\.test\s+verified/);
    expect(dig('bounce.mail.example.test', 'TXT')).toEqual(['"some-other-verification=abc"', '"v=spf1 include:_spf.example.test include:amazonses.com ~all"']);
    expect(dig('bounce.mail.example.test', 'MX')).toEqual(['10 feedback-smtp.us-east-1.amazonses.com.']);
    expect(dig('_dmarc.mail.example.test', 'TXT')).toEqual(['"v=DMARC1; p=reject"']);
    expect(dig('sel1._domainkey.mail.example.test', 'TXT').join('').replace(/" "/g, '').replace(/"/g, '')).toBe(dkim);
    const s = JSON.parse(readFileSync(state, 'utf8')).domains['mail.example.test'];
    expect(s.applied).toHaveLength(3);
    expect(s.dnsHost).toBe('rfc2136');
  });

  it('a second run prints "Nothing to change" and writes nothing', async () => {
    const serial = dig('example.test', 'SOA')[0];
    const r = await cli('--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Nothing to change.');
    expect(dig('example.test', 'SOA')[0]).toBe(serial);
  });

  it('mailsetup verify agrees afterwards', async () => {
    const r = await runCli(['verify', 'mail.example.test', '--config', state, '--authoritative', named.address, '--resolver', named.address, '--no-provider', '--exit-code']);
    expect(r.code, r.stdout).toBe(0);
  });
});
