/**
 * Tests never leave loopback (issue 10, item 7). The guard (test/helpers/net-guard.mjs) refuses
 * anything sent off loopback, in vitest workers and in every CLI child; these tests prove that it
 * trips — so a green suite means nothing was sent — and that the unbound the interop tests start
 * answers names outside its test zones itself, NXDOMAIN at once, instead of asking the root servers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { lookup as promisesLookup, Resolver } from 'node:dns/promises';
import net from 'node:net';
import { query } from '../../src/dns/wire.js';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { assertLoopbackResolver, assertStayedOnLoopback, guardEnv, runCli, spawnCli } from '../helpers/cli.js';
import { isLoopback, NET_GUARD_MARKER, takeNetGuardViolations } from '../helpers/net-guard.mjs';
import { requireProgram, startNamed, startUnbound, UNBOUND, NAMED, type RunningServer } from '../helpers/programs.js';
import { soa, txt } from '../helpers/zone-builders.js';

describe('the loopback guard', () => {
  // These tests trip the guard on purpose: what they recorded is checked here, not by the setup file.
  afterEach(() => { takeNetGuardViolations(); });

  it('tells loopback from everything else', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', undefined]) expect(isLoopback(h), String(h)).toBe(true);
    for (const h of ['192.0.2.1', '10.255.255.53', '8.8.8.8', '169.254.169.254', '2001:db8::1', '::', 'example.com', 'localhost.example.com', '0.0.0.0']) expect(isLoopback(h), h).toBe(false);
  });

  it('refuses a UDP datagram or a TCP connection off loopback in this process, before anything is sent', async () => {
    const sock = dgram.createSocket('udp4');
    try {
      expect(() => sock.send(Buffer.from('x'), 53, '192.0.2.1')).toThrow(NET_GUARD_MARKER);
      expect(() => sock.send(Buffer.from('x'), 0, 1, 53, '192.0.2.1')).toThrow(NET_GUARD_MARKER);
      expect(() => sock.connect(53, '192.0.2.1')).toThrow(NET_GUARD_MARKER);
    } finally { sock.close(); }
    expect(() => net.connect({ host: '192.0.2.1', port: 443 })).toThrow(NET_GUARD_MARKER);
    expect(() => net.connect(443, 'example.com')).toThrow(NET_GUARD_MARKER);
    expect(takeNetGuardViolations()).toHaveLength(5);
  });

  it('refuses node:dns questions to the system resolvers (getaddrinfo and c-ares send from C, unseen above)', async () => {
    expect(() => dns.lookup('example.com', () => {})).toThrow(NET_GUARD_MARKER);
    // The ESM named binding (`import { lookup } from 'node:dns/promises'`, as the RFC 2136 writer has it) is the wrapper too.
    await expect((async () => promisesLookup('example.com'))()).rejects.toThrow(NET_GUARD_MARKER);
    expect(() => dns.resolveTxt('example.com', () => {})).toThrow(NET_GUARD_MARKER);
    const system = new Resolver();
    system.setServers(['192.0.2.53']);
    await expect((async () => system.resolveTxt('example.com'))()).rejects.toThrow(NET_GUARD_MARKER);
    expect(takeNetGuardViolations()).toHaveLength(4);
    // Loopback servers, localhost and address literals are fine.
    const local = new Resolver({ timeout: 200, tries: 1 });
    local.setServers(['127.0.0.1:9']);
    await local.resolveTxt('example.com').catch(() => {});
    expect((await promisesLookup('127.0.0.1')).address).toBe('127.0.0.1');
    expect(takeNetGuardViolations()).toEqual([]);
  });

  it('lets loopback through: a real question to a server on 127.0.0.1 is answered', async () => {
    const dns = await startEmbeddedDns({ records: [soa('lo.test'), txt('lo.test', 'ok')] });
    try {
      const a = await query(dns.address, 'lo.test', 'TXT', { recursion: false, timeoutMs: 2000, retries: 0 });
      expect(a.outcome).toBe('answer');
    } finally { await dns.close(); }
    expect(takeNetGuardViolations()).toEqual([]);
  });

  it('trips in a CLI child told to ask 192.0.2.1, and runCli fails such a run', async () => {
    const args = ['validate', 'example.test', '--resolver', '192.0.2.1', '--timeout', '500ms'];
    const started = Date.now();
    const r = await spawnCli(args, {}, () => {});
    expect(r.stderr).toContain(`${NET_GUARD_MARKER}: refused a UDP`);
    expect(r.stderr).toContain('192.0.2.1:53');
    // Refused on the spot: no datagram went out to wait for.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(() => assertStayedOnLoopback(args, r)).toThrow(/tried to leave loopback/);
    // runCli refuses such a run before it starts, too: a DNS command needs a loopback --resolver.
    await expect(runCli(args)).rejects.toThrow(/--resolver 192\.0\.2\.1 is not on loopback/);
  });

  it('runCli refuses a DNS command without a loopback --resolver (the default would be the system\'s)', () => {
    expect(() => assertLoopbackResolver(['validate', 'example.test'])).toThrow(/give it --resolver/);
    expect(() => assertLoopbackResolver(['verify', 'a.test', '--resolver', '127.0.0.1:53', '--authoritative', '10.0.0.1'])).toThrow(/--authoritative 10\.0\.0\.1 is not on loopback/);
    expect(() => assertLoopbackResolver(['--json', 'watch', 'a.test', '--resolver', '127.0.0.1:5353'])).not.toThrow();
    expect(() => assertLoopbackResolver(['records', 'a.test'])).not.toThrow();
  });

  it('every CLI child gets the guard and AWS_EC2_METADATA_DISABLED=true', () => {
    const env = guardEnv();
    expect(env.AWS_EC2_METADATA_DISABLED).toBe('true');
    expect(env.NODE_OPTIONS).toMatch(/^--import=file:.*net-guard\.mjs$/);
    expect(process.env.AWS_EC2_METADATA_DISABLED).toBe('true');
  });
});

describe('unbound in the tests has a local root', () => {
  const have = requireProgram(UNBOUND, 'unbound', 'unbound') && requireProgram(NAMED, 'named', 'bind9');
  let named: RunningServer;
  let unbound: RunningServer;

  beforeAll(async () => {
    if (!have) return;
    named = await startNamed({ 'example.test': `$TTL 300\n@ IN SOA ns.example.test. h.example.test. 1 3600 600 86400 60\n@ IN NS ns.example.test.\nns IN A 127.0.0.1\n@ IN TXT "v=spf1 -all"\n` });
    unbound = await startUnbound(['example.test'], { host: '127.0.0.1', port: named.port });
  });
  afterAll(async () => { await unbound?.stop(); await named?.stop(); });

  it.runIf(have)('answers a name outside the test zones NXDOMAIN, at once', async () => {
    for (const name of ['example.com', 'amazonses.com', 'a.root-servers.net']) {
      const started = Date.now();
      const a = await query(unbound.address, name, 'TXT', { recursion: true, timeoutMs: 3000, retries: 0 });
      expect(a.outcome, name).toBe('nxdomain');
      expect(Date.now() - started, name).toBeLessThan(1000);
    }
  });

  it.runIf(have)('still resolves the test zone through its stub', async () => {
    const a = await query(unbound.address, 'example.test', 'TXT', { recursion: true, timeoutMs: 3000, retries: 0 });
    expect(a.outcome).toBe('answer');
    expect(JSON.stringify(a)).toContain('v=spf1 -all');
  });
});
