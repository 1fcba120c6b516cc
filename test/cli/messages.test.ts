/** Messages that say what happened (issue 12 item 8): a dead resolver is "could not reach the resolver", not a delegation problem. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runCli } from '../helpers/cli.js';

const D = 'mail.deadres.test';
let dir: string;
let state: string;
let silent: Socket;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-msg-'));
  state = join(dir, 'mailsetup.json');
  writeFileSync(state, JSON.stringify({ version: 1, domains: { [D]: {
    provider: 'ses', providerId: D, region: 'eu-west-1', status: 'pending', createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
    records: [{ purpose: 'dmarc', type: 'TXT', name: `_dmarc.${D}`, value: 'v=DMARC1; p=none', priority: null, ttl: null, required: true, source: 'mailsetup' }],
  } } }));
  silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
});
afterAll(() => { silent.close(); rmSync(dir, { recursive: true, force: true }); });

describe('verify with a resolver that does not answer', () => {
  it.each([['closed port', () => '127.0.0.1:9'], ['silent server', () => `127.0.0.1:${silent.address().port}`]])('%s: "could not reach the resolver", unknown, no delegation advice', async (_, server) => {
    const r = await runCli(['verify', D, '--no-provider', '--exit-code', '--config', state, '--resolver', server(), '--timeout', '300ms']);
    expect(r.code).toBe(69);
    expect(r.stdout).toMatch(/Could not reach the resolver \(127\.0\.0\.1:\d+\)/);
    expect(r.stdout).not.toMatch(/delegation|registrar/i);
    const j = await runCli(['verify', D, '--no-provider', '--json', '--config', state, '--resolver', server(), '--timeout', '300ms']);
    const doc = parseJson(j);
    expect(doc.status).toBe('unknown');
    expect(doc.stage).toBe(null);
  });
});

describe('validate when nothing answers: "could not check" names each probe once', () => {
  it('each probed DKIM name appears once, the table says "could not check"', async () => {
    const r = await runCli(['validate', 'acme.test', '--resolver', '127.0.0.1:9', '--timeout', '300ms']);
    expect(r.code).toBe(69);
    for (const sel of ['google', 'selector1', 's2048', 'amazonses']) {
      expect(r.stdout.match(new RegExp(`\\b${sel}\\b`, 'g')) ?? [], sel).toHaveLength(1);
    }
    expect(r.stdout).not.toContain('google._domainkey.acme.test');
    expect(r.stdout).toMatch(/DKIM_UNCHECKED _domainkey\.acme\.test/);
    expect(r.stdout).toMatch(/DKIM +│ none +│.*could not check/);
  });
});

describe('IDNs', () => {
  it('titled as the U-label with the A-label beside it', async () => {
    const r = await runCli(['validate', 'bücher.example', '--resolver', '127.0.0.1:9', '--timeout', '200ms']);
    expect(r.stdout.split('\n')[0]).toBe('Mail authentication for bücher.example (xn--bcher-kva.example)');
    const j = await runCli(['validate', 'bücher.example', '--json', '--resolver', '127.0.0.1:9', '--timeout', '200ms']);
    expect(parseJson(j).domain).toBe('xn--bcher-kva.example'); // JSON keeps the name DNS holds
  });
});
