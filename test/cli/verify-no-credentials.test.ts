/**
 * verify and watch without provider credentials (issue 12 item 7): the DNS results come first,
 * then exit 77 with the variable to set and a hint naming --no-provider — never 77 with no answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { txt } from '../helpers/zone-builders.js';

let dns: EmbeddedDns;
let dir: string;
let state: string;
const entry = (provider: string, d: string) => ({
  provider, providerId: d, region: provider === 'ses' ? 'eu-west-1' : null, status: 'pending', createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
  records: [
    { purpose: 'dmarc', type: 'TXT', name: `_dmarc.${d}`, value: 'v=DMARC1; p=none', priority: null, ttl: null, required: true, source: 'mailsetup' },
    { purpose: 'mail-from-spf', type: 'TXT', name: `bounce.${d}`, value: 'v=spf1 include:amazonses.com ~all', priority: null, ttl: null, required: true, source: 'provider' },
  ],
});

beforeAll(async () => {
  dns = await startEmbeddedDns({ records: [
    { name: 'nocreds.test', type: 'SOA', data: { mname: 'ns.nocreds.test', rname: 'h.nocreds.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } },
    txt('_dmarc.ses.nocreds.test', 'v=DMARC1; p=none'), txt('_dmarc.sg.nocreds.test', 'v=DMARC1; p=none'),
  ] });
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-nocreds-'));
  state = join(dir, 'mailsetup.json');
  writeFileSync(state, JSON.stringify({ version: 1, domains: { 'ses.nocreds.test': entry('ses', 'ses.nocreds.test'), 'sg.nocreds.test': entry('sendgrid', 'sg.nocreds.test') } }));
});
afterAll(async () => { await dns.close(); rmSync(dir, { recursive: true, force: true }); });

// HOME points at an empty folder: no ~/.aws files count as credentials.
const env = () => ({ HOME: dir });
const net = () => ['--resolver', dns.address, '--authoritative', dns.address];

describe('no provider credentials', () => {
  it.each([['ses.nocreds.test', /AWS_ACCESS_KEY_ID/], ['sg.nocreds.test', /SENDGRID_API_KEY/]])('verify %s: DNS results first, then 77 naming the variable and --no-provider', async (d, variable) => {
    const r = await runCli(['verify', d, '--config', state, ...net()], env());
    expect(r.code, r.stderr).toBe(77);
    expect(r.stdout).toMatch(new RegExp(`✔ TXT +_dmarc\\.${d.replace(/\./g, '\\.')}.*verified`));
    expect(r.stdout).toMatch(/bounce\..*missing/);
    expect(r.stderr).toMatch(/^error: .*\[PROVIDER_AUTH\]$/m);
    expect(r.stderr).toMatch(variable);
    expect(r.stderr).toMatch(/^hint: .*--no-provider/m);
  });

  it('watch: one DNS-only check shown, then 77 at once (not after the timeout)', async () => {
    const started = Date.now();
    const r = await runCli(['watch', 'ses.nocreds.test', '--config', state, ...net(), '--interval', '1s', '--timeout', '20s'], env());
    expect(r.code, r.stderr).toBe(77);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stdout).toMatch(/_dmarc\.ses\.nocreds\.test.*verified/);
    expect(r.stderr).toMatch(/--no-provider/);
  });

  it('--no-provider: no 77, the DNS verdict decides', async () => {
    const r = await runCli(['verify', 'ses.nocreds.test', '--no-provider', '--exit-code', '--config', state, ...net()], env());
    expect(r.code).toBe(1);
  });

  it('--json keeps one document: the error', async () => {
    const r = await runCli(['verify', 'ses.nocreds.test', '--json', '--config', state, ...net()], env());
    expect(r.code, r.stdout + r.stderr).toBe(77);
    expect(parseJson(r).error.code).toBe('PROVIDER_AUTH');
  });
});
