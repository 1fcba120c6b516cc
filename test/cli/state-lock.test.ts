/**
 * A state file locked by another live process: the command waits for the lock up to its wait, then
 * fails with STATE_LOCKED (exit 69) naming the lock — never CONFIG_INVALID ("fix the file by hand"),
 * and never after writing anything. The holder is a real second process taking the same
 * proper-lockfile lock (and refreshing it) the way a running mailsetup does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runCli } from '../helpers/cli.js';
import { stateFor } from '../helpers/zone-builders.js';
import { StateStore } from '../../src/state/store.js';
import type { MailsetupError } from '../../src/errors.js';

const LOCKFILE = createRequire(import.meta.url).resolve('proper-lockfile');
// Same stale/update timings as src/state/store.ts: a live holder keeps the lock fresh.
const HOLDER = `
const lockfile = require(process.argv[1]);
lockfile.lock(process.argv[2], { realpath: false, stale: 10000, update: 2000 }).then(() => process.stdout.write('locked\\n'), (e) => { console.error(e); process.exit(1); });
setInterval(() => {}, 1000);
`;

function holdLock(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', HOLDER, LOCKFILE, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
  });
}

const kill = (child: ChildProcess): Promise<void> => new Promise((r) => { if (child.exitCode !== null) r(); else { child.once('exit', () => r()); child.kill('SIGKILL'); } });

describe('a state file locked by another process', { timeout: 30_000 }, () => {
  let dir: string;
  let state: string;
  let holder: ChildProcess | undefined;
  const D = 'mail.locked.test';
  const env = { AWS_EC2_METADATA_DISABLED: 'true', MAILSETUP_LOCK_WAIT: '2s' };

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'mailsetup-lock-')));
    state = join(dir, 'mailsetup.json');
    writeFileSync(state, stateFor([D]));
  });
  afterEach(async () => {
    if (holder) await kill(holder);
    holder = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('STATE_LOCKED, exit 69, after the wait and not much later; the hint names the lock; nothing written', async () => {
    holder = await holdLock(state);
    const before = readFileSync(state, 'utf8');
    const t0 = Date.now();
    const r = await runCli(['remove', D, '--keep-provider', '--yes', '--config', state], env);
    const elapsed = Date.now() - t0;
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr).toContain('[STATE_LOCKED]');
    expect(r.stderr).toContain(`${state}.lock`);
    expect(r.stderr).toMatch(/taken over automatically once it is 10 s old/);
    expect(r.stderr).not.toContain('CONFIG_INVALID');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // The holder refreshes its lock every 2 s, so it is never taken for stale: we waited the 2 s.
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(8000);
    expect(readFileSync(state, 'utf8')).toBe(before);
  });

  it('--json: the error is the JSON document on stdout', async () => {
    holder = await holdLock(state);
    const r = await runCli(['remove', D, '--keep-provider', '--yes', '--json', '--config', state], { ...env, MAILSETUP_LOCK_WAIT: '500ms' });
    expect(r.code).toBe(69);
    const doc = parseJson(r);
    expect(doc.error.code).toBe('STATE_LOCKED');
    expect(doc.error.hint).toContain(`${state}.lock`);
  });

  it('once the holder is gone and its lock is stale, the same command goes through', async () => {
    holder = await holdLock(state);
    await kill(holder); // killed: its lock directory stays behind
    holder = undefined;
    expect(existsSync(`${state}.lock`)).toBe(true);
    const old = new Date(Date.now() - 20_000);
    utimesSync(`${state}.lock`, old, old);
    const r = await runCli(['remove', D, '--keep-provider', '--yes', '--config', state], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(state, 'utf8')).domains).toEqual({});
    expect(existsSync(`${state}.lock`)).toBe(false);
  });

  it('StateStore: lockWaitMs bounds the wait; a bad MAILSETUP_LOCK_WAIT is a usage error', async () => {
    holder = await holdLock(state);
    const t0 = Date.now();
    const e = await new StateStore({ path: state, lockWaitMs: 300 }).update(() => {}).then(() => null, (x: MailsetupError) => x);
    expect(e?.code).toBe('STATE_LOCKED');
    expect(e?.exitCode).toBe(69);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(Date.now() - t0).toBeLessThan(2000);
    const bad = await new StateStore({ path: state, env: { MAILSETUP_LOCK_WAIT: 'soon' } }).update(() => {}).then(() => null, (x: MailsetupError) => x);
    expect(bad?.code).toBe('USAGE');
  });
});
