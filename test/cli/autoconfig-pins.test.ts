/**
 * autoconfig as a user runs it, for what pinned plans and the RFC 2136 writer promise at the CLI:
 * a zone edited between plan and apply ends in HOST_CONFLICT (exit 2) with nothing written at that
 * name and a hint to re-run; without MAILSETUP_RFC2136_SERVER the zone's SOA MNAME is used (so
 * `--dry-run` needs no server variable); a wrong port fails within `--timeout`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { startRoute53Emulator, type Route53Emulator } from '../emulators/route53.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { axfr, bindSerial, bindZoneFile, DIG, NSUPDATE } from '../helpers/host-harness.js';
import { NAMED, requireProgram, startNamed, type RunningServer } from '../helpers/programs.js';

const rec = (purpose: string, type: string, name: string, value: string, priority: number | null = null) =>
  ({ purpose, type, name, value, priority, ttl: null, required: true, source: 'provider' });

/** A state file with one SES-like domain under `zone`, nothing applied yet. */
function writeState(path: string, domain: string): void {
  writeFileSync(path, JSON.stringify({ version: 1, domains: { [domain]: {
    provider: 'ses', providerId: domain, region: 'us-east-1', status: 'pending',
    createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z', history: [],
    records: [
      rec('dkim', 'CNAME', `k1._domainkey.${domain}`, 'k1.dkim.amazonses.com'),
      rec('mail-from-mx', 'MX', `bounce.${domain}`, 'feedback-smtp.us-east-1.amazonses.com', 10),
      rec('mail-from-spf', 'TXT', `bounce.${domain}`, 'v=spf1 include:amazonses.com ~all'),
    ],
  } } }, null, 2));
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mailsetup-pins-')); });
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('autoconfig: a zone edited between plan and apply (Route 53 emulator)', () => {
  let emu: Route53Emulator;
  let dns: EmbeddedDns;
  beforeAll(async () => {
    emu = await startRoute53Emulator();
    emu.addZone('pins.test');
    dns = await startEmbeddedDns({ records: [] }); // loopback only: the CLI never asks the system resolvers
  });
  afterAll(async () => { await emu?.close(); await dns?.close(); });

  it('HOST_CONFLICT, exit 2: nothing written (one atomic batch), the report names the name and says to re-run', async () => {
    const state = join(dir, 'r53.json');
    writeState(state, 'mail.pins.test');
    // Someone else writes at a planned name after the plan, just before the ChangeBatch lands.
    emu.beforeNextChange(() => emu.seed('pins.test', { type: 'TXT', name: 'bounce.mail.pins.test', value: 'v=spf1 include:other.example ~all', priority: null, ttl: 300 }));
    const r = await runCli(['autoconfig', 'mail.pins.test', '--dns', 'route53', '--yes', '--json', '--config', state, '--resolver', dns.address, '--authoritative', dns.address, '--timeout', '5s'], emu.env);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const doc = parseJson(r);
    expect(doc.error.code).toBe('HOST_CONFLICT');
    expect(doc.error.message).toContain('bounce.mail.pins.test');
    expect(doc.error.hint).toMatch(/fresh plan/);
    expect(doc.applied).toEqual([]);
    expect(doc.conflicts.map((c: { change: { type: string } }) => c.change.type).sort()).toEqual(['MX', 'TXT']);
    expect(doc.skipped.map((c: { type: string }) => c.type)).toEqual(['CNAME']);
    // The JSON report carries records, not the pins.
    expect(JSON.stringify(doc)).not.toContain('"seen"');
    expect(emu.records('pins.test').map((x) => `${x.type} ${x.name} ${x.value}`)).toEqual(['TXT bounce.mail.pins.test v=spf1 include:other.example ~all']);
    // Human output: the refused changes are listed, the error has the code and the hint.
    emu.beforeNextChange(() => emu.seed('pins.test', { type: 'A', name: 'k1._domainkey.mail.pins.test', value: '192.0.2.9', priority: null, ttl: 300 }));
    const h = await runCli(['autoconfig', 'mail.pins.test', '--dns', 'route53', '--yes', '--config', state, '--resolver', dns.address, '--authoritative', dns.address, '--timeout', '5s'], emu.env);
    expect(h.code, h.stdout + h.stderr).toBe(2);
    expect(h.stdout).toMatch(/refused CNAME\s+k1\._domainkey\.mail\.pins\.test/);
    expect(h.stderr).toContain('HOST_CONFLICT');
    expect(h.stderr).toMatch(/Run autoconfig again/);
    expect(h.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

const hasBind = requireProgram(NAMED, 'BIND9 named', 'bind9') && requireProgram(NSUPDATE, 'nsupdate', 'bind9-dnsutils') && requireProgram(DIG, 'dig', 'bind9-dnsutils');
const KEY = `hmac-sha256:pins-test.:${Buffer.from('mailsetup-pins-test-secret-32byt').toString('base64')}`;

describe.skipIf(!hasBind)('autoconfig over RFC 2136 without MAILSETUP_RFC2136_SERVER (BIND)', () => {
  let named: RunningServer;
  beforeAll(async () => {
    named = await startNamed({ 'mname.test': bindZoneFile('mname.test') }, `key "pins-test." { algorithm hmac-sha256; secret "${KEY.split(':')[2]}"; };`,
      { 'mname.test': 'update-policy { grant pins-test. zonesub ANY; }; allow-transfer { key "pins-test."; };' });
  });
  afterAll(async () => { await named?.stop(); });
  const cli = (state: string, ...args: string[]) => runCli(['autoconfig', 'mail.mname.test', '--dns', 'rfc2136', '--config', state, '--resolver', named.address, '--authoritative', named.address, ...args], { MAILSETUP_TSIG_KEY: KEY });

  it('--dry-run finds the primary from the SOA MNAME (port from --authoritative) and writes nothing', async () => {
    const state = join(dir, 'mname-dry.json');
    writeState(state, 'mail.mname.test');
    const r = await cli(state, '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson(r);
    expect(doc.zone).toBe('mname.test');
    expect(doc.changes.map((c: { action: string }) => c.action)).toEqual(['create', 'create', 'create']);
    expect(axfr(named, KEY, 'mname.test').filter((x) => x.name.endsWith('mail.mname.test'))).toEqual([]);
  });

  it('--yes writes the whole plan in one UPDATE through the MNAME: the serial climbs by exactly 1', async () => {
    const state = join(dir, 'mname-yes.json');
    writeState(state, 'mail.mname.test');
    const serial = () => bindSerial(named, KEY, 'mname.test');
    const before = serial();
    const r = await cli(state, '--yes', '--no-provider', '--json', '--timeout', '5s');
    const doc = parseJson(r);
    expect(doc.error, r.stderr).toBeUndefined();
    expect(doc.applied).toHaveLength(3);
    expect(serial()).toBe(before + 1);
    expect(axfr(named, KEY, 'mname.test').filter((x) => x.name.endsWith('mail.mname.test')).map((x) => x.type).sort()).toEqual(['CNAME', 'MX', 'TXT']);
  });

  it('a wrong port in MAILSETUP_RFC2136_SERVER fails with exit 69 within --timeout, naming the variable', async () => {
    const state = join(dir, 'mname-port.json');
    writeState(state, 'mail.mname.test');
    const started = Date.now();
    const r = await runCli(['--timeout', '2s', 'autoconfig', 'mail.mname.test', '--dns', 'rfc2136', '--dry-run', '--config', state, '--resolver', named.address, '--authoritative', named.address],
      { MAILSETUP_TSIG_KEY: KEY, MAILSETUP_RFC2136_SERVER: '127.0.0.1:9' });
    expect(Date.now() - started).toBeLessThan(2000 + 3000); // the timeout, plus Node's start-up on a busy machine
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('DNS_UNAVAILABLE');
    expect(r.stderr).toContain('MAILSETUP_RFC2136_SERVER');
  });
});
