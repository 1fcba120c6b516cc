/**
 * The package as users get it: `npm pack` (from a copy of the sources, so the clean build it runs
 * cannot pull dist/ away from other test files' CLI processes), installed offline into an empty
 * folder. Everything dist/ needs is bundled: the install brings no other package.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { guardEnv } from '../helpers/cli.js';
import { mx, a, soa, txt } from '../helpers/zone-builders.js';
import { startSendgridEmulator } from '../emulators/sendgrid.js';

const ROOT = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'mailsetup-pack-'));
let tarball = '';
let entries: string[] = [];
let dns: EmbeddedDns;

function run(cmd: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? work, '.npm'), ...extraEnv }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Node in the consumer folder, asynchronously (the embedded DNS server and the emulators answer from
 * this process's event loop), with the loopback guard and nothing of this repository's environment.
 */
function runNode(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', ...guardEnv(), ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  const src = join(work, 'src-copy');
  mkdirSync(src);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.lib.json', 'bin', 'src', 'scripts', 'schemas']) cpSync(join(ROOT, f), join(src, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
  run('npm', ['pack', '--pack-destination', work, '--silent'], src);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  entries = run('tar', ['-tzf', tarball], work).stdout.split('\n').filter(Boolean);
  dns = await startEmbeddedDns({ records: [soa('pack.test'), txt('pack.test', 'v=spf1 -all'), txt('_dmarc.pack.test', 'v=DMARC1; p=reject'), mx('pack.test', 10, 'mx.pack.test'), a('mx.pack.test', '192.0.2.25')] });
}, 180_000);

afterAll(async () => {
  await dns?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('is under 5 MB and ships bin, dist, the licences and README — no source maps, no sources', () => {
    const size = statSync(tarball).size;
    console.log(`tarball ${(size / 1e6).toFixed(2)} MB, ${entries.length} files`);
    expect(size).toBeLessThan(5e6);
    expect(entries.filter((e) => e.endsWith('.map'))).toEqual([]);
    expect(entries.filter((e) => e.startsWith('package/src/') || e.startsWith('package/test/'))).toEqual([]);
    for (const f of ['package/bin/mailsetup.cjs', 'package/dist/main.cjs', 'package/dist/THIRD_PARTY_LICENSES.txt', 'package/LICENSE', 'package/README.md', 'package/schemas/verify.schema.json', 'package/dist/index.mjs', 'package/dist/index.cjs', 'package/dist/types/lib/index.d.ts']) expect(entries).toContain(f);
  });

  it('declares no runtime dependency: everything dist/ needs is bundled', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('installs offline into an empty folder as one package, and runs from there', async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}\n');
    const t0 = Date.now();
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', tarball], app);
    const installMs = Date.now() - t0;
    expect(readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['mailsetup']);
    const bin = join(app, 'node_modules', '.bin', 'mailsetup');
    expect(existsSync(bin)).toBe(true);
    const version = run(bin, ['--version'], app, guardEnv());
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    // Asynchronously: the DNS server answers from this process's event loop.
    const stdout = await new Promise<string>((done, fail) => {
      const child = spawn(bin, ['validate', 'pack.test', '--resolver', dns.address, '--selector', 's1', '--json'], { cwd: app, env: { PATH: process.env.PATH, NO_COLOR: '1', ...guardEnv() } });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.on('error', fail);
      child.on('close', () => done(out));
    });
    const doc = JSON.parse(stdout);
    expect(doc.domain).toBe('pack.test');
    expect(doc.checks.find((c: { check: string }) => c.check === 'dmarc').status).toBe('pass');
    console.log(`installed offline in ${installMs} ms`);
  });

  it('is a typed library: a TypeScript consumer type-checks against the shipped .d.ts, and validate() returns what the CLI prints', async () => {
    const app = join(work, 'app');
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['consumer.ts', 'readme.mts'] }));
    // The README's library example, verbatim: it must type-check against what ships.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## As a library'));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example, 'README has a ```ts example under "As a library"').toBeTruthy();
    writeFileSync(join(app, 'readme.mts'), `${example}\nexport {};\n`);
    writeFileSync(join(app, 'consumer.ts'), [
      "import { validate, verify, list, reports, MailsetupError, type Finding } from 'mailsetup';",
      'export async function audit(server: string): Promise<string[]> {',
      "  const report = await validate('pack.test', { resolvers: [server], selectors: ['s1'] });",
      '  const codes: string[] = report.checks.flatMap((c) => c.findings.map((f: Finding) => f.code));',
      "  const e = new MailsetupError('USAGE', 'x');",
      '  void verify; void list; void reports;',
      '  return [...codes, e.code, String(e.exitCode)];',
      '}',
      '',
    ].join('\n'));
    // @types/node is not in the consumer: give tsc the repository's, as a consumer project would have its own.
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--typeRoots', join(ROOT, 'node_modules/@types'), '--types', 'node'], { cwd: app, encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    // The same call at runtime, by package name, against the CLI's --json for the same question.
    writeFileSync(join(app, 'run.mjs'), `import { validate } from 'mailsetup';\nconst r = await validate('pack.test', { resolvers: [process.argv[2]], selectors: ['s1'] });\nprocess.stdout.write(JSON.stringify(r));\n`);
    const lib = JSON.parse((await runNode(['run.mjs', dns.address], app)).stdout);
    const cli = JSON.parse((await runNode([join(app, 'node_modules/mailsetup/bin/mailsetup.cjs'), 'validate', 'pack.test', '--resolver', dns.address, '--selector', 's1', '--json'], app)).stdout);
    const strip = (d: { dns?: unknown }) => ({ ...d, dns: undefined });
    expect(strip(lib)).toEqual(strip(cli));
    expect(lib.checks.length).toBeGreaterThanOrEqual(5);
  });

  it('loads a provider SDK chunk from the installed package: add() by package name against the SendGrid emulator', async () => {
    const app = join(work, 'app');
    const emu = await startSendgridEmulator();
    try {
      const config = join(work, 'lib-state.json');
      writeFileSync(join(app, 'add.mjs'), [
        "import { add, records, MailsetupError } from 'mailsetup';",
        'const [resolver, config] = process.argv.slice(2);',
        "const added = await add('mail.pack.test', { provider: 'sendgrid', config, resolvers: [resolver], timeoutMs: 2000 });",
        "const listed = await records('mail.pack.test', { config });",
        "const refused = await add('mail.pack.test', { provider: 'nope', config }).catch((e) => e instanceof MailsetupError ? `${e.code} ${e.exitCode}` : String(e));",
        'process.stdout.write(JSON.stringify({ added, listed, refused }));',
      ].join('\n'));
      const out = await runNode(['add.mjs', dns.address, config], app, emu.env);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stderr).toBe('');
      const r = JSON.parse(out.stdout) as { added: { provider: string; records: unknown[] }; listed: { records: unknown[] }; refused: string };
      expect(r.added.provider).toBe('sendgrid');
      expect(r.added.records.length).toBeGreaterThan(0);
      expect(r.listed.records).toEqual(r.added.records);
      expect(r.refused).toBe('USAGE 64');
      expect(emu.calls.length).toBeGreaterThan(0);
    } finally { await emu.close(); }
  });
});
