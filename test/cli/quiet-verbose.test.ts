/**
 * --quiet prints errors and the one result line; --verbose prints every DNS question (server,
 * name, type, outcome, time) and every provider API call (method, path, status, time), never a
 * secret (issue 12 item 4). The built CLI against the embedded DNS server and provider emulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { runCli } from '../helpers/cli.js';
import { startSendgridEmulator } from '../emulators/sendgrid.js';
import { startSesEmulator } from '../emulators/ses.js';
import type { ProviderEmulator } from '../emulators/types.js';
import { txt } from '../helpers/zone-builders.js';

const D = 'mail.quiet.test';
let dns: EmbeddedDns;
let dir: string;
let state: string;

beforeAll(async () => {
  dns = await startEmbeddedDns({ records: [
    { name: 'quiet.test', type: 'SOA', data: { mname: 'ns.quiet.test', rname: 'h.quiet.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } },
    txt('quiet.test', 'v=spf1 -all'), txt('_dmarc.quiet.test', 'v=DMARC1; p=reject'), txt(`_dmarc.${D}`, 'v=DMARC1; p=none'),
  ] });
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-quiet-'));
  state = join(dir, 'mailsetup.json');
  writeFileSync(state, JSON.stringify({ version: 1, domains: { [D]: {
    provider: 'ses', providerId: D, region: 'eu-west-1', status: 'pending', createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
    records: [
      { purpose: 'dmarc', type: 'TXT', name: `_dmarc.${D}`, value: 'v=DMARC1; p=none', priority: null, ttl: null, required: true, source: 'mailsetup' },
      { purpose: 'mail-from-spf', type: 'TXT', name: `bounce.${D}`, value: 'v=spf1 include:amazonses.com ~all', priority: null, ttl: null, required: true, source: 'provider' },
    ],
  } } }));
});
afterAll(async () => { await dns.close(); rmSync(dir, { recursive: true, force: true }); });

const nonEmpty = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

describe('--quiet', () => {
  it('validate -q: the verdict line, nothing else', async () => {
    const r = await runCli(['validate', 'quiet.test', '-q', '--selector', 's1', '--resolver', dns.address]);
    expect(nonEmpty(r.stdout), r.stdout).toHaveLength(1);
    expect(r.stdout).toMatch(/^Verdict: /);
    expect(r.stderr).toBe('');
  });
  it('verify -q: one line per domain with its status', async () => {
    const r = await runCli(['verify', D, '-q', '--no-provider', '--config', state, '--resolver', dns.address, '--authoritative', dns.address]);
    expect(r.code).toBe(0);
    expect(nonEmpty(r.stdout), r.stdout).toEqual([expect.stringMatching(new RegExp(`^${D.replace(/\./g, '\\.')}\\s+pending`))]);
    expect(r.stderr).toBe('');
  });
  it('records -q: the records, not the advice', async () => {
    const r = await runCli(['records', D, '-q', '--config', state]);
    expect(r.stdout).toContain(`_dmarc.${D}`);
    expect(r.stdout).not.toMatch(/^!/m);
  });
  it('errors still show with -q', async () => {
    const r = await runCli(['records', 'nope.test', '-q', '--config', state]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: /);
  });
});

describe('--verbose', () => {
  it('verify -v: every DNS question with server, name, type, outcome and time', async () => {
    const r = await runCli(['verify', D, '-v', '--no-provider', '--config', state, '--resolver', dns.address, '--authoritative', dns.address]);
    expect(r.code).toBe(0);
    const port = dns.address.replace(/\./g, '\\.');
    expect(r.stderr).toMatch(new RegExp(`^dns ${port} \\(auth\\) _dmarc\\.${D.replace(/\./g, '\\.')} TXT → answer, 1 record \\(\\d+ ms\\)$`, 'm'));
    expect(r.stderr).toMatch(new RegExp(`^dns ${port} \\(auth\\) bounce\\.${D.replace(/\./g, '\\.')} TXT → nxdomain \\(\\d+ ms\\)$`, 'm'));
    // Quiet mode shows none of them.
    const q = await runCli(['verify', D, '-q', '--no-provider', '--config', state, '--resolver', dns.address, '--authoritative', dns.address]);
    expect(q.stderr).not.toMatch(/^dns /m);
  });

  describe('API calls', () => {
    let emus: ProviderEmulator[] = [];
    beforeAll(async () => { emus = [await startSendgridEmulator(), await startSesEmulator()]; });
    afterAll(async () => { for (const e of emus) await e.close(); });

    it.each([['sendgrid', 0], ['ses', 1]] as const)('add -v (%s): method, path, status and time of every call; no credential', async (provider, i) => {
      const emu = emus[i]!;
      const st = join(dir, `${provider}.json`);
      const before = emu.requests.length;
      const r = await runCli(['add', `mail.${provider}-v.test`, '--provider', provider, '-v', '--config', st, '--resolver', dns.address, '--authoritative', dns.address], emu.env);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('api '));
      const calls = emu.requests.length - before;
      expect(calls).toBeGreaterThan(0);
      expect(lines, r.stderr).toHaveLength(calls);
      for (const l of lines) expect(l).toMatch(/^api (GET|POST|PUT|PATCH|DELETE) 127\.0\.0\.1:\d+\/\S* → \d{3} \(\d+ ms\)$/);
      for (const v of Object.values(emu.env)) if (v.length >= 8 && !/^https?:/.test(v)) expect(r.stderr).not.toContain(v);
    });
  });
});
