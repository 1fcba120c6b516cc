/**
 * Interruption on a real terminal (issue 12 item 3; DESIGN.md exit 130): Ctrl-C at a [y/N] prompt
 * or during a long network step prints "Aborted" and exits 130 — never "internal error" (70) — and
 * the state file is exactly as it was; "n" at the prompt says "Nothing was written." with exit 64
 * and no error line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainLines, runPty, SCRIPT } from '../helpers/pty.js';
import { requireProgram } from '../helpers/programs.js';
import { runCli } from '../helpers/cli.js';

const ready = requireProgram(SCRIPT, 'script (util-linux)', 'util-linux');
const D = 'mail.stop.test';

describe.runIf(ready)('Ctrl-C and "n" on a terminal', () => {
  let dir: string;
  let state: string;
  let silent: Socket;
  let silentAddress: string;
  const original = JSON.stringify({ version: 1, domains: { [D]: {
    provider: 'ses', providerId: D, region: 'eu-west-1', status: 'pending', createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
    records: [{ purpose: 'dmarc', type: 'TXT', name: `_dmarc.${D}`, value: 'v=DMARC1; p=none', priority: null, ttl: null, required: true, source: 'mailsetup' }],
  } } }, null, 2);
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailsetup-stop-'));
    state = join(dir, 'mailsetup.json');
    // A DNS server that never answers: every question waits out the timeout.
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    silentAddress = `127.0.0.1:${silent.address().port}`;
  });
  afterAll(() => { silent.close(); rmSync(dir, { recursive: true, force: true }); });

  const fresh = () => writeFileSync(state, original);

  it('Ctrl-C at the remove prompt: "Aborted", exit 130, the state file untouched', async () => {
    fresh();
    const r = await runPty(['remove', D, '--keep-provider', '--config', state], { cols: 80, env: { NO_COLOR: '1' }, input: [{ after: /\[y\/N\]/, write: '\x03', delayMs: 200 }] });
    expect(r.code, r.out).toBe(130);
    expect(r.out).toMatch(/Aborted/);
    expect(r.out).not.toMatch(/internal error|This is a bug/);
    expect(readFileSync(state, 'utf8')).toBe(original);
    expect(existsSync(`${state}.lock`)).toBe(false);
  }, 30_000);

  it('"n" at the remove prompt: "Nothing was written.", exit 64, no error line', async () => {
    fresh();
    const r = await runPty(['remove', D, '--keep-provider', '--config', state], { cols: 80, env: { NO_COLOR: '1' }, input: [{ after: /\[y\/N\]/, write: 'n\r', delayMs: 200 }] });
    expect(r.code, r.out).toBe(64);
    expect(plainLines(r.out).map((l) => l.trim())).toContain('Nothing was written.');
    expect(r.out).not.toMatch(/error:|CONFIRMATION_REQUIRED/);
    expect(readFileSync(state, 'utf8')).toBe(original);
  }, 30_000);

  it('"y" at the prompt still removes (the prompt works)', async () => {
    fresh();
    const r = await runPty(['remove', D, '--keep-provider', '--config', state], { cols: 80, env: { NO_COLOR: '1' }, input: [{ after: /\[y\/N\]/, write: 'y\r', delayMs: 200 }] });
    expect(r.code, r.out).toBe(0);
    expect(JSON.parse(readFileSync(state, 'utf8')).domains[D]).toBeUndefined();
  }, 30_000);

  it('Ctrl-C during a long network step (verify against a silent server): "Aborted", exit 130, at once', async () => {
    fresh();
    const started = Date.now();
    const r = await runPty(['verify', D, '--no-provider', '--config', state, '--resolver', silentAddress, '--authoritative', silentAddress, '--timeout', '20s'],
      { cols: 80, env: { NO_COLOR: '1' }, input: [{ after: /^/, write: '\x03', delayMs: 1500 }] });
    expect(r.code, r.out).toBe(130);
    expect(r.out).toMatch(/Aborted/);
    expect(r.out).not.toMatch(/internal error/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readFileSync(state, 'utf8')).toBe(original);
  }, 30_000);

  it('a network step over a second shows a spinner with what it waits for, on a terminal only', async () => {
    fresh();
    const args = ['verify', D, '--no-provider', '--config', state, '--resolver', silentAddress, '--authoritative', silentAddress, '--timeout', '2s', '--exit-code'];
    const r = await runPty(args, { cols: 80, env: { NO_COLOR: '1' } });
    expect(r.code, r.out).toBe(69);
    expect(r.out).toMatch(new RegExp(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] checking ${D.replace(/\./g, '\\.')} on the authoritative servers and resolvers`));
    const piped = await runCli(args);
    expect(piped.code).toBe(69);
    expect(piped.stdout + piped.stderr).not.toMatch(/checking|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|\x1b\[/);
  }, 40_000);
});
