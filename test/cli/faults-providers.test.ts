/**
 * Provider faults through the built CLI, for every provider at once, against the loopback emulators
 * through the real SDKs: 403, 429 with and without Retry-After (which must succeed), a body that is
 * not JSON, a connection reset mid-response, a response slower than --timeout, on `add`, on
 * `verify` (with the provider) and on `remove`. Each failure must exit with the documented status
 * (77 credentials, 69 unavailable), say one line plus a hint (or print one JSON error document with
 * --json), and leave the state file byte for byte as it was; a success after retries writes a
 * valid file. (`providers-lifecycle.test.ts` covers the happy path, 401 and 500 on `add`.)
 *
 * Each test runs the same scenario against the four providers concurrently (each has its own
 * emulator and state file), so retries and back-off waits overlap instead of adding up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { parseJson, runCli, type CliResult } from '../helpers/cli.js';
import type { EmulatorFault, ProviderEmulator } from '../emulators/types.js';
import { startSesEmulator } from '../emulators/ses.js';
import { startSendgridEmulator } from '../emulators/sendgrid.js';
import { startMailgunEmulator } from '../emulators/mailgun.js';
import { startResendEmulator } from '../emulators/resend.js';

const STARTERS: Array<[string, () => Promise<ProviderEmulator>]> = [
  ['ses', startSesEmulator],
  ['sendgrid', startSendgridEmulator],
  ['mailgun', startMailgunEmulator],
  ['resend', startResendEmulator],
];
const LABEL: Record<string, RegExp> = { ses: /SES|AWS/, sendgrid: /SendGrid|SENDGRID/, mailgun: /Mailgun/, resend: /Resend/ };
/** Enough failures to outlast every retry of one command (4 attempts per operation, a few operations). */
const ALWAYS = 60;

interface P { id: string; emu: ProviderEmulator; state: string }
let dns: EmbeddedDns;
let dir: string;
let ps: P[] = [];

async function cli(p: P, args: string[], timeout = '5s'): Promise<CliResult> {
  const r = await runCli([...args, '--config', p.state, '--resolver', dns.address, '--timeout', timeout], p.emu.env, 60_000);
  // Never a credential, whatever happened.
  for (const k of p.emu.credentialEnv) {
    const v = p.emu.env[k]!;
    expect(r.stdout, `${p.id}: ${k} leaked`).not.toContain(v);
    expect(r.stderr, `${p.id}: ${k} leaked`).not.toContain(v);
    if (existsSync(p.state)) expect(readFileSync(p.state, 'utf8'), `${p.id}: ${k} in state`).not.toContain(v);
  }
  expect(r.stdout + r.stderr, `${p.id}: a stack trace`).not.toMatch(/\n\s+at .+[:(]\d+/);
  return r;
}

/** Run one scenario for every provider concurrently; report every provider that failed, not just the first. */
async function each(scenario: (p: P) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(ps.map(scenario));
  for (const p of ps) p.emu.fail({ kind: 'auth' }, 0);
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`[${ps[i]!.id}] ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : []));
  if (failed.length > 0) throw new Error(failed.join('\n\n'));
}

const stateText = (p: P) => readFileSync(p.state, 'utf8');
const readState = (p: P) => JSON.parse(stateText(p)) as { version: number; domains: Record<string, { status: string }> };

interface Expected { code: string; exit: number; json: boolean; message?: RegExp }

/** The documented failure shape: exit status, and one line plus a hint, or one JSON error document. */
function expectFailure(p: P, r: CliResult, e: Expected): string {
  const ctx = `${p.id}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.code, ctx).toBe(e.exit);
  let message: string;
  if (e.json) {
    const doc = parseJson(r);
    expect(doc, ctx).toEqual({ error: { code: e.code, message: expect.any(String), hint: expect.any(String) } });
    message = doc.error.message;
    expect(doc.error.hint.length, ctx).toBeGreaterThan(10);
  } else {
    expect(r.stdout, ctx).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines, ctx).toHaveLength(2);
    expect(lines[0], ctx).toMatch(new RegExp(`^error: .+ \\[${e.code}\\]$`));
    expect(lines[1], ctx).toMatch(/^hint: .{10,}/);
    message = lines[0]!;
  }
  expect(message, ctx).not.toContain('\n');
  expect(message, ctx).toMatch(LABEL[p.id]!);
  if (e.message) expect(message, ctx).toMatch(e.message);
  return message;
}

/** `fault` on every request for the whole command; the command must fail as `e` and change nothing. */
async function failsCleanly(p: P, fault: EmulatorFault, args: string[], e: Expected, timeout = '5s'): Promise<CliResult> {
  const before = stateText(p);
  p.emu.fail(fault, ALWAYS);
  const r = await cli(p, e.json ? [...args, '--json'] : args, timeout);
  p.emu.fail(fault, 0);
  expectFailure(p, r, e);
  expect(stateText(p), `${p.id}: the state file changed`).toBe(before);
  return r;
}

beforeAll(async () => {
  dns = await startEmbeddedDns({ records: [{ name: '_dmarc.covered.test', type: 'TXT', data: 'v=DMARC1; p=reject' }] });
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-faults-providers-'));
  ps = await Promise.all(STARTERS.map(async ([id, start]) => ({ id, emu: await start(), state: join(dir, `${id}.json`) })));
  // Each provider's state file starts with one domain, added through the CLI.
  await each(async (p) => {
    const r = await cli(p, ['add', 'mail.covered.test', '--provider', p.id]);
    expect(r.code, r.stderr).toBe(0);
  });
}, 60_000);
afterAll(async () => {
  await dns.close();
  for (const p of ps) await p.emu.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('add', { timeout: 60_000 }, () => {
  it('403 → PROVIDER_AUTH, exit 77 (human form for two providers, JSON for the others); nothing written', async () => {
    await each(async (p) => {
      const json = p.id === 'sendgrid' || p.id === 'resend';
      await failsCleanly(p, { kind: 'forbidden' }, ['add', 'new.covered.test', '--provider', p.id], { code: 'PROVIDER_AUTH', exit: 77, json });
      expect(p.emu.hasDomain('new.covered.test'), p.id).toBe(false);
    });
  });

  it('429 with Retry-After: 1 → waits, then succeeds and saves the domain', async () => {
    await each(async (p) => {
      p.emu.fail({ kind: 'rate-limit', retryAfterSeconds: 1 }, 1);
      const started = Date.now();
      const r = await cli(p, ['add', 'rl1.covered.test', '--provider', p.id, '--json']);
      expect(r.code, `${p.id}: ${r.stderr}${r.stdout}`).toBe(0);
      expect(Date.now() - started, `${p.id}: Retry-After was not honoured`).toBeGreaterThanOrEqual(900);
      expect(parseJson(r)).toMatchObject({ domain: 'rl1.covered.test', provider: p.id });
      expect(readState(p).domains['rl1.covered.test'], p.id).toBeDefined();
      expect(p.emu.hasDomain('rl1.covered.test'), p.id).toBe(true);
    });
  });

  it('429 without Retry-After → backs off, then succeeds', async () => {
    await each(async (p) => {
      p.emu.fail({ kind: 'rate-limit', retryAfterSeconds: null }, 1);
      const r = await cli(p, ['add', 'rl2.covered.test', '--provider', p.id]);
      expect(r.code, `${p.id}: ${r.stderr}`).toBe(0);
      expect(r.stderr, p.id).not.toMatch(/^error:/m);
      expect(readState(p).domains['rl2.covered.test'], p.id).toBeDefined();
      // Exactly one identity, however many attempts it took.
      expect(p.emu.hasDomain('rl2.covered.test'), p.id).toBe(true);
    });
  });

  it('a body that is not JSON → PROVIDER_UNAVAILABLE, exit 69 (JSON error document); nothing written', async () => {
    await each(async (p) => {
      await failsCleanly(p, { kind: 'malformed' }, ['add', 'bad.covered.test', '--provider', p.id], { code: 'PROVIDER_UNAVAILABLE', exit: 69, json: true });
    });
  });

  it('the connection reset mid-response, every time → exit 69 after retries, one line and a hint; nothing written', async () => {
    await each(async (p) => {
      await failsCleanly(p, { kind: 'reset' }, ['add', 'reset.covered.test', '--provider', p.id], { code: 'PROVIDER_UNAVAILABLE', exit: 69, json: false });
    });
  });

  it('a response slower than --timeout 1s → exit 69 saying "timed out"; nothing written', async () => {
    await each(async (p) => {
      const started = Date.now();
      await failsCleanly(p, { kind: 'slow', delayMs: 4000 }, ['add', 'slow.covered.test', '--provider', p.id], { code: 'PROVIDER_UNAVAILABLE', exit: 69, json: true, message: /timed out/ }, '1s');
      // Bounded: a few 1 s attempts plus back-off, not the 4 s of the slow answer times the retries.
      expect(Date.now() - started, p.id).toBeLessThan(15_000);
    });
  });
});

describe('verify (asking the provider)', { timeout: 60_000 }, () => {
  const verify = (p: P, ...extra: string[]) => ['verify', 'mail.covered.test', '--authoritative', dns.address, ...extra];

  it('rejected credentials → exit 77 naming the variable; the state file is untouched', async () => {
    await each(async (p) => {
      const r = await failsCleanly(p, { kind: 'auth' }, verify(p), { code: 'PROVIDER_AUTH', exit: 77, json: false });
      expect(p.emu.credentialEnv.some((k) => r.stderr.includes(k)), `${p.id}: ${r.stderr}`).toBe(true);
    });
  });

  it('a provider that keeps failing (500) → exit 69, JSON error document, state untouched', async () => {
    await each(async (p) => {
      await failsCleanly(p, { kind: 'server-error' }, verify(p), { code: 'PROVIDER_UNAVAILABLE', exit: 69, json: true });
    });
  });

  it('429 once → retried, the check runs, and the state file written is valid', async () => {
    await each(async (p) => {
      p.emu.fail({ kind: 'rate-limit', retryAfterSeconds: 1 }, 1);
      const r = await cli(p, [...verify(p), '--json']);
      expect(r.code, `${p.id}: ${r.stderr}${r.stdout}`).toBe(0);
      const doc = parseJson(r);
      expect(doc, p.id).toMatchObject({ domain: 'mail.covered.test', provider: p.id });
      expect(['pending', 'verified', 'failed', 'unchecked']).toContain(doc.providerStatus);
      const s = readState(p);
      expect(s.version).toBe(1);
      expect(s.domains['mail.covered.test']!.status, p.id).toBe(doc.status);
    });
  });
});

describe('remove', { timeout: 60_000 }, () => {
  it('403 → exit 77 (JSON), the identity and the entry are kept', async () => {
    await each(async (p) => {
      await failsCleanly(p, { kind: 'forbidden' }, ['remove', 'rl1.covered.test', '--yes'], { code: 'PROVIDER_AUTH', exit: 77, json: true });
      expect(p.emu.hasDomain('rl1.covered.test'), p.id).toBe(true);
    });
  });

  it('a provider that keeps failing (500) → exit 69 after retries, one line and a hint; everything kept', async () => {
    await each(async (p) => {
      await failsCleanly(p, { kind: 'server-error' }, ['remove', 'rl1.covered.test', '--yes'], { code: 'PROVIDER_UNAVAILABLE', exit: 69, json: false });
      expect(p.emu.hasDomain('rl1.covered.test'), p.id).toBe(true);
      expect(readState(p).domains['rl1.covered.test'], p.id).toBeDefined();
    });
  });

  it('429 once → retried and removed; the state file left is valid and lacks only that domain', async () => {
    await each(async (p) => {
      const before = Object.keys(readState(p).domains).sort();
      p.emu.fail({ kind: 'rate-limit', retryAfterSeconds: null }, 1);
      const r = await cli(p, ['remove', 'rl1.covered.test', '--yes', '--json']);
      expect(r.code, `${p.id}: ${r.stderr}${r.stdout}`).toBe(0);
      expect(parseJson(r)).toMatchObject({ domain: 'rl1.covered.test', removed: true, providerDeleted: true });
      expect(p.emu.hasDomain('rl1.covered.test'), p.id).toBe(false);
      expect(Object.keys(readState(p).domains).sort()).toEqual(before.filter((d) => d !== 'rl1.covered.test'));
    });
  });
});
