/**
 * add → records → list → remove through the built CLI (a subprocess, no TTY), for each provider,
 * against its loopback emulator through the real SDK. Asserts the state file at each step, the exit
 * statuses of failures, and that no credential ever appears in output or state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { NAMED_CHECKZONE, requireProgram } from '../helpers/programs.js';
import type { ProviderEmulator } from '../emulators/types.js';
import { startSesEmulator } from '../emulators/ses.js';
import { startSendgridEmulator } from '../emulators/sendgrid.js';
import { startMailgunEmulator } from '../emulators/mailgun.js';
import { startResendEmulator } from '../emulators/resend.js';

const PROVIDERS: Array<[string, () => Promise<ProviderEmulator>]> = [
  ['ses', startSesEmulator],
  ['sendgrid', startSendgridEmulator],
  ['mailgun', startMailgunEmulator],
  ['resend', startResendEmulator],
];

let dns: EmbeddedDns;
let dir: string;
beforeAll(async () => {
  // The organisational domain already has p=reject, which covers the subdomain: add proposes no DMARC.
  dns = await startEmbeddedDns({ records: [{ name: '_dmarc.covered.test', type: 'TXT', data: 'v=DMARC1; p=reject' }] });
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-e2e-'));
});
afterAll(async () => { await dns.close(); rmSync(dir, { recursive: true, force: true }); });

for (const [id, start] of PROVIDERS) {
  describe(`${id}: add → records → list → remove`, () => {
    let emu: ProviderEmulator;
    let state: string;
    const secrets = () => emu.credentialEnv.map((k) => emu.env[k]!).filter((v) => v && v.length >= 4);
    const cli = async (args: string[], extraEnv: Record<string, string> = {}) => {
      const r = await runCli([...args, '--config', state, '--resolver', dns.address, '--timeout', '5s'], { ...emu.env, ...extraEnv });
      for (const s of secrets()) {
        expect(r.stdout).not.toContain(s);
        expect(r.stderr).not.toContain(s);
        if (existsSync(state)) expect(readFileSync(state, 'utf8')).not.toContain(s);
      }
      return r;
    };
    const readState = () => JSON.parse(readFileSync(state, 'utf8'));

    beforeAll(async () => { emu = await start(); state = join(dir, `${id}.json`); });
    afterAll(async () => { await emu.close(); });

    it('add registers the domain, stores it and prints the records (JSON)', async () => {
      const r = await cli(['add', 'mail.covered.test', '--provider', id, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = parseJson(r);
      expect(doc).toMatchObject({ domain: 'mail.covered.test', provider: id, status: 'pending' });
      expect(doc.records.some((x: { purpose: string }) => x.purpose === 'dkim')).toBe(true);
      expect(doc.records.find((x: { purpose: string }) => x.purpose === 'dmarc')).toBeUndefined();
      expect(doc.notes).toContainEqual(expect.objectContaining({ kind: 'dmarc-covered', by: '_dmarc.covered.test', policy: 'reject', proposed: false }));
      const s = readState();
      expect(s.version).toBe(1);
      expect(s.domains['mail.covered.test']).toMatchObject({ provider: id, providerId: doc.providerId, status: 'pending' });
      expect(s.domains['mail.covered.test'].history).toHaveLength(1);
      expect(emu.hasDomain('mail.covered.test')).toBe(true);
    });

    it('add again adopts the identity instead of failing', async () => {
      const r = await cli(['add', 'mail.covered.test', '--provider', id, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(parseJson(r).adopted).toBe(true);
    });

    it('records prints a zone fragment that BIND accepts', async () => {
      const r = await cli(['records', 'mail.covered.test', '--format', 'zone']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/IN (CNAME|TXT)/);
      if (!requireProgram(NAMED_CHECKZONE, 'named-checkzone', 'bind9-dnsutils')) return;
      const zoneFile = join(dir, `${id}.zone`);
      writeFileSync(zoneFile, `$TTL 300\n@ IN SOA ns1.covered.test. h.covered.test. ( 1 3600 600 86400 60 )\n@ IN NS ns1.covered.test.\nns1 IN A 127.0.0.1\n${r.stdout}`);
      const check = spawnSync(NAMED_CHECKZONE!, ['covered.test', zoneFile], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    });

    it('records --for namecheap prints names relative to the zone; --format csv and json work', async () => {
      // (No DMARC here: the parent's p=reject covers the subdomain. The DKIM names show the point.)
      const nc = await cli(['records', 'mail.covered.test', '--for', 'namecheap', '--format', 'csv']);
      expect(nc.stdout).toMatch(/^(CNAME|TXT),[^,]*\._domainkey\.mail,/m);
      expect(nc.stdout).not.toContain('_domainkey.mail.covered.test');
      const csv = await cli(['records', 'mail.covered.test', '--format', 'csv']);
      expect(csv.stdout.split('\n')[0]).toBe('type,name,value,priority,ttl,purpose,required,source');
      const json = parseJson(await cli(['records', 'mail.covered.test', '--json']));
      expect(json.records.length).toBe(readState().domains['mail.covered.test'].records.length);
    });

    // SES supports both --dkim byo and --inbound (its own tests cover them); the others refuse byo.
    it.runIf(id !== 'ses')('an option the provider cannot honour is refused (64) before any request', async () => {
      const before = emu.requests.length;
      const r = await cli(['add', 'opt.covered.test', '--provider', id, '--dkim', 'byo']);
      expect(r.code).toBe(64);
      expect(r.stderr).toMatch(/--dkim byo is not available \[PROVIDER_UNSUPPORTED\]/);
      expect(emu.requests.length).toBe(before);
    });

    it('list shows it, and filters by status', async () => {
      const all = parseJson(await cli(['list', '--json']));
      expect(all.domains.map((d: { domain: string }) => d.domain)).toEqual(['mail.covered.test']);
      expect(parseJson(await cli(['list', '--json', '--status', 'verified'])).domains).toEqual([]);
    });

    it('rejected credentials → exit 77 naming the variable, state untouched', async () => {
      const before = readFileSync(state, 'utf8');
      emu.fail({ kind: 'auth' }, 20);
      const r = await cli(['add', 'other.covered.test', '--provider', id]);
      emu.fail({ kind: 'auth' }, 0);
      expect(r.code).toBe(77);
      expect(r.stderr).toMatch(/\[PROVIDER_AUTH\]/);
      expect(emu.credentialEnv.some((k) => r.stderr.includes(k))).toBe(true);
      expect(readFileSync(state, 'utf8')).toBe(before);
    });

    it('a provider that keeps failing → exit 69, state untouched', async () => {
      const before = readFileSync(state, 'utf8');
      emu.fail({ kind: 'server-error' }, 50);
      const r = await cli(['add', 'other.covered.test', '--provider', id, '--json']);
      emu.fail({ kind: 'server-error' }, 0);
      expect(r.code).toBe(69);
      expect(parseJson(r).error.code).toBe('PROVIDER_UNAVAILABLE');
      expect(readFileSync(state, 'utf8')).toBe(before);
    });

    it('remove without --yes and without a terminal refuses (64) and changes nothing', async () => {
      const r = await cli(['remove', 'mail.covered.test']);
      expect(r.code).toBe(64);
      expect(r.stderr).toContain('CONFIRMATION_REQUIRED');
      expect(emu.hasDomain('mail.covered.test')).toBe(true);
    });

    it('remove --yes deletes the identity and the entry, never DNS', async () => {
      const queriesBefore = dns.queries.length;
      const r = await cli(['remove', 'mail.covered.test', '--yes']);
      expect(r.code, r.stderr).toBe(0);
      expect(emu.hasDomain('mail.covered.test')).toBe(false);
      expect(readState().domains).toEqual({});
      expect(dns.queries.length).toBe(queriesBefore);
      const again = await cli(['remove', 'mail.covered.test', '--yes']);
      expect(again.code).toBe(64);
      expect(again.stderr).toContain('DOMAIN_NOT_FOUND');
    });
  });
}

describe('state file guarantees through the CLI', () => {
  it('a corrupt state file → exit 78 naming it, and it is left byte for byte', async () => {
    const file = join(dir, 'corrupt.json');
    const text = '{ "version": 1, "domains": { oops';
    writeFileSync(file, text);
    const r = await runCli(['list', '--config', file]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(file);
    const add = await runCli(['add', 'mail.covered.test', '--provider', 'sendgrid', '--config', file, '--resolver', dns.address], { SENDGRID_API_KEY: 'SG.fake-test-key', SENDGRID_BASE_URL: 'http://127.0.0.1:9' });
    expect(add.code).toBe(78);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('missing credentials → exit 77 naming the variable', async () => {
    const r = await runCli(['add', 'mail.covered.test', '--provider', 'resend', '--config', join(dir, 'nokey.json'), '--resolver', dns.address]);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('RESEND_API_KEY');
  });

  it('an unknown provider → exit 64 with the list', async () => {
    const r = await runCli(['add', 'mail.covered.test', '--provider', 'postmark', '--resolver', dns.address]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/ses, sendgrid, mailgun, resend/);
  });
});
