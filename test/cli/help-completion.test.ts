/**
 * Help, `completion` and `init` through the built CLI: every command's help shows the global
 * options and examples, `help <command>` is success, completion scripts are real scripts (sourced
 * in bash and driven the way bash drives them; checked by zsh and fish where installed), and
 * `init` creates the state file next to the code without ever overwriting one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, guardEnv, runCli } from '../helpers/cli.js';
import { requireProgram } from '../helpers/programs.js';

const COMMANDS = ['validate', 'add', 'records', 'verify', 'watch', 'autoconfig', 'list', 'remove', 'demo', 'init', 'completion', 'health', 'warmup', 'reports'];
const dir = mkdtempSync(join(tmpdir(), 'mailsetup-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('help', () => {
  it.each(COMMANDS)('%s --help: its options, the global options and examples; exit 0', async (cmd) => {
    const r = await runCli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: mailsetup ${cmd}`));
    expect(r.stdout).toMatch(/Global Options:[\s\S]*--json[\s\S]*--resolver/);
    expect(r.stdout).toMatch(/Examples:\n {2}(mailsetup|source|MAILSETUP)/);
  });

  it('help and --version to a pipe or a file: one write, no stream (Node\'s stream and net modules stay unloaded)', () => {
    const preload = join(dir, 'net-loaded.cjs');
    // fs.writeSync: process.stderr would itself load the stream modules.
    writeFileSync(preload, "process.on('exit', () => require('node:fs').writeSync(2, 'NET ' + process.moduleLoadList.includes('NativeModule net') + '\\n'));");
    for (const args of [['--help'], ['--version'], ['validate', '--help']]) {
      const r = spawnSync(process.execPath, ['-r', preload, BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(4);
      expect(r.stderr).toBe('NET false\n');
    }
    // The same help text through a file.
    const out = join(dir, 'help.txt');
    const viaFile = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" validate --help > "${out}"`], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    expect(viaFile.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(spawnSync(process.execPath, [BIN, 'validate', '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } }).stdout);
  });

  it('help into a pipe the reader has closed: exit 0 and nothing on stderr (no EPIPE trace)', () => {
    for (const args of ['--help', '--version', 'validate --help']) {
      // `true` exits at once, long before the CLI writes: the write meets a closed pipe (EPIPE).
      const r = spawnSync('sh', ['-c', `{ "${process.execPath}" "${BIN}" ${args}; echo "exit $?" >&2; } | true`], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
      expect(r.stderr).toBe('exit 0\n');
    }
  });

  it('"help <command>" is success (exit 0); no command at all is bad usage (64)', async () => {
    const help = await runCli(['help', 'validate']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mailsetup validate/);
    const none = await runCli([]);
    expect(none.code).toBe(64);
    expect(none.stderr).toMatch(/Usage: mailsetup/);
  });

  it('a misspelt provider or DNS host gets a did-you-mean, exit 64', async () => {
    // Refused before any question: the loopback --resolver only keeps the harness's promise.
    const p = await runCli(['add', 'mail.acme.test', '--provider', 'sendgird', '--config', join(dir, 'x.json'), '--resolver', '127.0.0.1:9']);
    expect(p.code).toBe(64);
    expect(p.stderr).toMatch(/Did you mean --provider sendgrid\?/);
    const d = await runCli(['autoconfig', 'mail.acme.test', '--dns', 'route35', '--config', join(dir, 'x.json'), '--resolver', '127.0.0.1:9']);
    expect(d.code).toBe(64);
    expect(d.stderr).toMatch(/Did you mean --dns route53\?/);
  });
});

function script(shell: string): string {
  const r = spawnSync(process.execPath, [BIN, 'completion', shell], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1', ...guardEnv() } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** Source the bash script, set the words as bash would, call the function, return COMPREPLY. */
function complete(words: string[]): string[] {
  const file = join(dir, 'mailsetup.bash');
  writeFileSync(file, script('bash'));
  const arr = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `source '${file}'; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _mailsetup; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('completion', () => {
  it('bash: commands, then each command\'s flags, then enumerated values — from the command tree', () => {
    expect(complete(['mailsetup', 'a'])).toEqual(['add', 'autoconfig']);
    expect(complete(['mailsetup', 'add', 'x', '--provider', 's'])).toEqual(['ses', 'sendgrid']);
    expect(complete(['mailsetup', '--config', 'st.json', 'autoconfig', 'd', '--dns', 'r'])).toEqual(['route53', 'resellerclub', 'rfc2136']);
    expect(complete(['mailsetup', 'records', 'x', '--format', ''])).toEqual(['table', 'json', 'zone', 'csv']);
    expect(complete(['mailsetup', 'verify', '--no-'])).toEqual(['--no-provider', '--no-color']);
    expect(complete(['mailsetup', 'completion', 'f'])).toEqual(['fish']);
  });

  it('zsh and fish: the scripts parse in their shells', () => {
    for (const [shell, path, check] of [['zsh', '/usr/bin/zsh', ['-n']], ['fish', '/usr/bin/fish', ['--no-execute']]] as const) {
      const zshOrFish = existsSync(path) ? path : null;
      if (!requireProgram(zshOrFish, shell, shell)) continue;
      const file = join(dir, `mailsetup.${shell}`);
      writeFileSync(file, script(shell));
      const r = spawnSync(path, [...check, file], { encoding: 'utf8' });
      expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
      expect(readFileSync(file, 'utf8')).toMatch(/autoconfig/);
    }
  });

  it('an unknown shell is bad usage with a suggestion', async () => {
    const r = await runCli(['completion', 'bsh']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/Did you mean completion bash\?/);
  });
});

describe('init', () => {
  it('creates ./mailsetup.json with the default provider, then never overwrites it', () => {
    const cwd = mkdtempSync(join(dir, 'repo-'));
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'init', ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1', ...guardEnv() } });
    const first = run('--provider', 'ses');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Created .*mailsetup\.json/);
    const saved = JSON.parse(readFileSync(join(cwd, 'mailsetup.json'), 'utf8'));
    expect(saved).toMatchObject({ version: 1, domains: {}, defaults: { provider: 'ses' } });
    writeFileSync(join(cwd, 'mailsetup.json'), '{"version":1,"domains":{},"mine":true}\n');
    const second = run('--json');
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: false });
    expect(readFileSync(join(cwd, 'mailsetup.json'), 'utf8')).toBe('{"version":1,"domains":{},"mine":true}\n');
  });
});
