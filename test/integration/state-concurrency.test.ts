/**
 * 20 real processes each add a different domain to one state file at the same moment: every one of
 * them must land, the file must parse, and no temp or lock file may be left behind. Child processes
 * rather than worker threads, because the lock is an inter-process one and that is how users hit it
 * (parallel CI jobs, a shell loop with `&`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { guardEnv } from '../helpers/cli.js';

const WRITERS = 20;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Each child bundles nothing itself: it imports the store bundled below, says "ready", waits for
// "go" on stdin so that all of them start together, and sleeps inside the mutator to widen the window
// in which an unlocked read-modify-write would lose another writer's domain.
const CHILD = `
import { StateStore } from './store.mjs';
const [path, domain] = process.argv.slice(2);
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
const now = new Date().toISOString();
await new StateStore({ path, env: {} }).update(async (state) => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  state.domains[domain] = {
    provider: 'ses', providerId: domain, region: 'us-east-1', status: 'pending', createdAt: now, updatedAt: now,
    history: [{ at: now, status: 'pending' }],
    records: [{ purpose: 'dkim', type: 'CNAME', name: 'tok._domainkey.' + domain, value: 'tok.dkim.amazonses.com', priority: null, ttl: null, required: true, source: 'provider' }],
  };
});
`;

let dir: string;
beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'mailsetup-concurrency-')));
  await build({
    entryPoints: [join(ROOT, 'src/state/store.ts')],
    outfile: join(dir, 'store.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    // The lock and atomic-write libraries are CommonJS and require() Node built-ins.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  writeFileSync(join(dir, 'child.mjs'), CHILD);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startChild(path: string, domain: string): { child: ChildProcess; ready: Promise<void>; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [join(dir, 'child.mjs'), path, domain], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...guardEnv() } });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${domain} exited (${code}) before it was ready: ${stderr}`)));
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stderr })));
  return { child, ready, exit };
}

describe('state file under concurrent writers', () => {
  it(`keeps all ${WRITERS} domains added by ${WRITERS} processes at once`, async () => {
    const state = join(dir, 'state');
    const path = join(state, 'mailsetup.json');
    const domains = Array.from({ length: WRITERS }, (_, i) => `d${String(i).padStart(2, '0')}.acme.com`);
    const children = domains.map((d) => startChild(path, d));
    try {
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.child.stdin!.end('go\n');
      const results = await Promise.all(children.map((c) => c.exit));
      results.forEach((r, i) => expect(r, `${domains[i]}: ${r.stderr}`).toEqual({ code: 0, stderr: '' }));
    } finally {
      for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    }
    const json = JSON.parse(readFileSync(path, 'utf8')) as { version: number; domains: Record<string, unknown> };
    expect(json.version).toBe(1);
    expect(Object.keys(json.domains)).toEqual(domains);
    expect(readdirSync(state)).toEqual(['mailsetup.json']);
  }, 90_000);
});
