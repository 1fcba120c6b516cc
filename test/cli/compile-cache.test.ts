/**
 * The launcher keeps the code V8 compiled for dist/ between runs (bin/mailsetup.cjs). It is an
 * optimisation only: these tests hold that it is used, that bad data in it never changes what the
 * CLI does, that it is never read from a folder others can write to, and that it can be turned off.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import module from 'node:module';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

// On Node 22.1+ the launcher hands the job to Node's own compile cache (module.enableCompileCache),
// which has its own layout and tests; what is tested here is the launcher's cache for older Node.
const nodeHasItsOwn = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe.skipIf(nodeHasItsOwn)('compile cache (Node without module.enableCompileCache)', () => {
  let root: string;
  const folder = () => join(root, `mailsetup-${process.version}-${process.arch}${typeof process.getuid === 'function' ? `-${process.getuid()}` : ''}`);
  const entries = () => readdirSync(folder()).sort();
  const mtimes = () => Object.fromEntries(entries().map((e) => [e, statSync(join(folder(), e)).mtimeMs]));

  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'mailsetup-cc-')); });
  afterEach(() => { rmSync(root, { recursive: true, force: true }); });

  it('writes one entry per dist file a run loaded, in a folder only this user can use, and reads them back unchanged', async () => {
    const first = await runCli(['--help'], { NODE_COMPILE_CACHE: root });
    expect(first.code).toBe(0);
    expect(statSync(folder()).mode & 0o777).toBe(0o700);
    const names = entries();
    // --help reads one file of dist/: main.cjs carries the chunks it needs (scripts/pack-chunks.mjs).
    expect(names.filter((e) => e.includes('-main.cjs-'))).toHaveLength(1);
    for (const e of names) expect(statSync(join(folder(), e)).mode & 0o777).toBe(0o600);
    const before = mtimes();

    // A second run finds the data accepted: nothing is rewritten, and the output is the same.
    const second = await runCli(['--help'], { NODE_COMPILE_CACHE: root });
    expect(second).toMatchObject({ code: 0, stdout: first.stdout, stderr: first.stderr });
    expect(mtimes()).toEqual(before);

    // A command that loads more files adds their entries and keeps the others.
    const invalid = await runCli(['validate', 'bad..name', '--resolver', '127.0.0.1:9'], { NODE_COMPILE_CACHE: root });
    expect(invalid.code).toBe(64);
    expect(entries().filter((e) => /-validate-\w+\.cjs-/.test(e))).toHaveLength(1);
    for (const e of names) expect(entries()).toContain(e);
  });

  it('ignores data V8 rejects (here: garbage), runs the same, and replaces it', async () => {
    const clean = await runCli(['--version'], { NODE_COMPILE_CACHE: root });
    const main = entries().find((e) => e.includes('-main.cjs-'))!;
    writeFileSync(join(folder(), main), Buffer.alloc(4096, 0x5a));
    const again = await runCli(['--version'], { NODE_COMPILE_CACHE: root });
    expect(again).toMatchObject({ code: 0, stdout: clean.stdout, stderr: '' });
    expect(statSync(join(folder(), main)).size).not.toBe(4096);
  });

  it('neither reads nor writes a folder that others can write to', async () => {
    await runCli(['--version'], { NODE_COMPILE_CACHE: root });
    const main = entries().find((e) => e.includes('-main.cjs-'))!;
    // Data planted by "someone else": were it read, V8 would reject it and the launcher rewrite it.
    writeFileSync(join(folder(), main), Buffer.alloc(4096, 0x5a));
    chmodSync(folder(), 0o777);
    const before = mtimes();
    const r = await runCli(['--version'], { NODE_COMPILE_CACHE: root });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(mtimes()).toEqual(before);
    expect(statSync(join(folder(), main)).size).toBe(4096);
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    const r = await runCli(['--version'], { NODE_COMPILE_CACHE: root, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(r.code).toBe(0);
    expect(existsSync(folder())).toBe(false);
  });

  it('a folder it cannot create costs nothing but the cache', async () => {
    const file = join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    const r = await runCli(['--version'], { NODE_COMPILE_CACHE: file });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(statSync(file).isFile()).toBe(true);
  });
});
