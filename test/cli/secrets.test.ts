/**
 * Secrets never leave the environment (DESIGN.md "State file": credentials are never printed, not
 * even with --verbose, and never written). Every command runs through the built CLI with every
 * credential variable of `SECRET_ENV` set to a recognisable fake value, in normal, --json and
 * --verbose modes, against the provider emulators and the embedded DNS server — succeeding runs,
 * runs whose credentials are rejected, and runs where the provider keeps failing (500). After each
 * run, no value (nor its base64 or URL-encoded form, as an Authorization header would carry it) may
 * appear in stdout, stderr, the state file or any other file the run left behind.
 *
 * Also: the state file's permissions — 0600 when created outside a git work tree (it lives in the
 * user's config dir and is private), 0644 inside one (it is committed next to the code).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_ENV } from '../../src/errors.js';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { parseJson, runCli, type CliResult } from '../helpers/cli.js';
import type { ProviderEmulator } from '../emulators/types.js';
import { startSesEmulator } from '../emulators/ses.js';
import { startSendgridEmulator } from '../emulators/sendgrid.js';
import { startMailgunEmulator } from '../emulators/mailgun.js';
import { startResendEmulator } from '../emulators/resend.js';
import { rsaPublicKey } from '../helpers/keys.js';

/** FAKE-SECRET-<NAME>-7c3e for every credential variable mailsetup knows. */
const FAKES: Record<string, string> = Object.fromEntries(SECRET_ENV.map((name) => [name, `FAKE-SECRET-${name}-7c3e`]));

const MODES: Array<[string, string[]]> = [['normal', []], ['json', ['--json']], ['verbose', ['--verbose']]];
const STARTERS: Array<[string, () => Promise<ProviderEmulator>]> = [
  ['ses', startSesEmulator],
  ['sendgrid', startSendgridEmulator],
  ['mailgun', startMailgunEmulator],
  ['resend', startResendEmulator],
];

/** The value and the encodings a request carries it in (Bearer, Basic `api:<key>`, a query string). */
function forms(value: string): string[] {
  return [
    value,
    Buffer.from(value).toString('base64'),
    Buffer.from(`api:${value}`).toString('base64'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ];
}

/** Every file under `dir` (state, temp files, lock directories), as text; files that vanish meanwhile (a concurrent run's temp file) are skipped. */
function filesUnder(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const gone = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';
  let entries: import('node:fs').Dirent[];
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch (e) { if (gone(e)) return out; throw e; }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) {
      try { out.push([path, readFileSync(path, 'utf8')]); } catch (e) { if (!gone(e)) throw e; }
    }
  }
  return out;
}

let dir: string;
let dns: EmbeddedDns;

/** Run the CLI with `env` and assert that none of the secret values in it leaked anywhere. */
async function run(args: string[], env: Record<string, string>): Promise<CliResult> {
  const r = await runCli(args, env, 60_000);
  const secrets = SECRET_ENV.flatMap((name) => (env[name] && env[name]!.length >= 4 ? forms(env[name]!).map((f) => [name, f] as const) : []));
  expect(secrets.length).toBeGreaterThanOrEqual(SECRET_ENV.length);
  const where = `mailsetup ${args.join(' ')} (exit ${r.code})`;
  for (const [name, f] of secrets) {
    expect(r.stdout.includes(f), `${where}: $${name} in stdout:\n${r.stdout}`).toBe(false);
    expect(r.stderr.includes(f), `${where}: $${name} in stderr:\n${r.stderr}`).toBe(false);
    for (const [path, text] of filesUnder(dir)) expect(text.includes(f), `${where}: $${name} in ${path}`).toBe(false);
  }
  return r;
}

const key = rsaPublicKey(2048);
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-secrets-'));
  dns = await startEmbeddedDns({
    records: [
      { name: 'clean.test', type: 'TXT', data: 'v=spf1 include:sendgrid.net -all' },
      { name: 'sendgrid.net', type: 'TXT', data: 'v=spf1 ip4:167.89.0.0/17 -all' },
      { name: '_dmarc.clean.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
      { name: 's1._domainkey.clean.test', type: 'TXT', data: `v=DKIM1; k=rsa; p=${key}` },
      { name: '_dmarc.covered.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
    ],
  });
});
afterAll(async () => {
  await dns.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('validate (needs no credential, has them all in its environment)', () => {
  it.each(MODES)('%s mode, succeeding and failing', async (_, mode) => {
    const ok = await run(['validate', 'clean.test', '--resolver', dns.address, '--timeout', '3s', ...mode], FAKES);
    expect(ok.code, ok.stderr).toBe(0);
    const down = await run(['validate', 'clean.test', '--resolver', '127.0.0.1:9', '--timeout', '200ms', '--selector', 's1', ...mode], FAKES);
    expect(down.code).toBe(69);
    const bad = await run(['validate', 'bad..name', '--resolver', dns.address, ...mode], FAKES);
    expect(bad.code).toBe(64);
  });

  it.each(MODES)('%s mode: a secret echoed back in an error message is redacted (the check above would see it)', async (_, mode) => {
    const r = await run(['validate', FAKES.SENDGRID_API_KEY!, '--resolver', dns.address, ...mode], FAKES);
    expect(r.code).toBe(64);
    expect(mode.includes('--json') ? parseJson(r).error.message : r.stderr).toContain('***');
  });
});

describe('every provider command, in every mode', () => {
  let ps: Array<{ id: string; emu: ProviderEmulator; state: string }> = [];
  beforeAll(async () => {
    ps = await Promise.all(STARTERS.map(async ([id, start]) => ({ id, emu: await start(), state: join(dir, `${id}.json`) })));
  });
  afterAll(async () => { for (const p of ps) await p.emu.close(); });

  /** The emulator's own key where the run must succeed; every other credential variable fake. */
  const good = (emu: ProviderEmulator) => ({ ...FAKES, ...emu.env });
  /** Every credential variable fake, the provider's own included: the provider rejects it. */
  const rejected = (emu: ProviderEmulator) => ({ ...emu.env, ...FAKES });

  /** Run `job` for every provider concurrently and report every provider that failed. */
  async function each(job: (p: { id: string; emu: ProviderEmulator; state: string }) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(ps.map(job));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`[${ps[i]!.id}] ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : []));
    expect(failed.join('\n\n')).toBe('');
  }
  const cfg = (state: string) => ['--config', state, '--resolver', dns.address];

  it('add → verify → remove succeed in every mode (records, list and watch too), without a leak', async () => {
    await each(async (p) => {
      await Promise.all(MODES.map(async ([modeName, mode]) => {
        const d = `${modeName}.covered.test`;
        const add = await run(['add', d, '--provider', p.id, ...cfg(p.state), '--timeout', '10s', ...mode], good(p.emu));
        expect(add.code, `${modeName}: ${add.stderr}`).toBe(0);
        if (modeName === 'json') expect(parseJson(add).domain).toBe(d);
        // records and list read the state file only: one provider's file is enough for them.
        if (p.id === 'sendgrid') {
          for (const args of [['records', d], ['list']]) {
            const r = await run([...args, ...cfg(p.state), ...mode], good(p.emu));
            expect(r.code, `${args.join(' ')} ${modeName}: ${r.stderr}`).toBe(0);
          }
        }
        const verify = await run(['verify', d, ...cfg(p.state), '--authoritative', dns.address, '--timeout', '10s', ...mode], good(p.emu));
        expect(verify.code, `${modeName}: ${verify.stderr}`).toBe(0);
        // watch repeats verify: every provider once with --verbose, and SendGrid in every mode.
        if (p.id === 'sendgrid' || modeName === 'verbose') {
          const watch = await run(['watch', d, ...cfg(p.state), '--authoritative', dns.address, '--interval', '300ms', '--timeout', '1s', ...mode], good(p.emu));
          // The records are not published here, so the 1 s deadline passes while pending: watch
          // exits 1 then, with or without --exit-code (DESIGN.md), and the run is still leak-free.
          expect(watch.code, `${modeName}: ${watch.stderr}`).toBe(1);
        }
        const remove = await run(['remove', d, '--yes', ...cfg(p.state), '--timeout', '10s', ...mode], good(p.emu));
        expect(remove.code, `${modeName}: ${remove.stderr}`).toBe(0);
      }));
    });
  }, 120_000);

  it('credentials rejected by the provider: exit 77 from add (every mode), verify, watch and remove (--verbose), without a leak', async () => {
    await each(async (p) => {
      const d = 'held.covered.test';
      const add = await run(['add', d, '--provider', p.id, ...cfg(p.state), '--timeout', '10s'], good(p.emu));
      expect(add.code, add.stderr).toBe(0);
      const jobs: string[][] = [
        ...MODES.map(([, mode]) => ['add', 'bad.covered.test', '--provider', p.id, ...mode]),
        ['verify', d, '--authoritative', dns.address, '--verbose'],
        ['watch', d, '--authoritative', dns.address, '--interval', '300ms', '--timeout', '1s', '--verbose'],
        ['remove', d, '--yes', '--verbose'],
      ];
      await Promise.all(jobs.map(async (args) => {
        const r = await run([...args, ...cfg(p.state), ...(args[0] === 'watch' ? [] : ['--timeout', '10s'])], rejected(p.emu));
        expect(r.code, `${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(77);
      }));
    });
  }, 120_000);

  it('a provider that keeps failing (500): exit 69 from add (--json), verify and remove (--verbose), without a leak', async () => {
    await each(async (p) => {
      // Every request fails for the whole test; the runs go concurrently, their retries overlapping.
      p.emu.fail({ kind: 'server-error' }, 10_000);
      try {
        const jobs: string[][] = [
          ['add', 'other.covered.test', '--provider', p.id, '--json'],
          ['add', 'other.covered.test', '--provider', p.id, '--verbose'],
          ['verify', 'held.covered.test', '--authoritative', dns.address, '--verbose'],
          ['remove', 'held.covered.test', '--yes', '--verbose'],
        ];
        await Promise.all(jobs.map(async (args) => {
          const r = await run([...args, ...cfg(p.state), '--timeout', '10s'], good(p.emu));
          expect(r.code, `${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(69);
        }));
      } finally {
        p.emu.fail({ kind: 'server-error' }, 0);
      }
    });
  }, 120_000);
});

describe('state file permissions', () => {
  const sendgrid = async () => startSendgridEmulator();

  it('created with mode 0600 outside a git work tree (in a new 0700 directory), 0644 inside one', async () => {
    const emu = await sendgrid();
    try {
      const outside = mkdtempSync(join(tmpdir(), 'mailsetup-mode-'));
      const repo = mkdtempSync(join(tmpdir(), 'mailsetup-mode-git-'));
      try {
        try {
          execFileSync('git', ['init', '--quiet', repo]);
        } catch (e) {
          // No git binary: what mailsetup looks for is the .git directory itself.
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          mkdirSync(join(repo, '.git'));
        }
        const privatePath = join(outside, 'config', 'mailsetup', 'config.json');
        const sharedPath = join(repo, 'infra', 'mailsetup.json');
        mkdirSync(join(repo, 'infra'));
        for (const path of [privatePath, sharedPath]) {
          const r = await runCli(['add', 'mail.covered.test', '--provider', 'sendgrid', '--config', path, '--resolver', dns.address, '--timeout', '10s'], { ...FAKES, ...emu.env });
          expect(r.code, r.stderr).toBe(0);
        }
        expect(statSync(privatePath).mode & 0o777).toBe(0o600);
        expect(statSync(join(outside, 'config', 'mailsetup')).mode & 0o777).toBe(0o700);
        expect(statSync(sharedPath).mode & 0o777).toBe(0o644);

        // Later writes keep the mode the file has (here: the one the user chose).
        const r = await runCli(['remove', 'mail.covered.test', '--yes', '--config', sharedPath], { ...FAKES, ...emu.env });
        expect(r.code, r.stderr).toBe(0);
        expect(statSync(sharedPath).mode & 0o777).toBe(0o644);
        expect(readFileSync(sharedPath, 'utf8')).not.toContain('FAKE-SECRET');
      } finally {
        rmSync(outside, { recursive: true, force: true });
        rmSync(repo, { recursive: true, force: true });
      }
    } finally {
      await emu.close();
    }
  }, 60_000);

});
