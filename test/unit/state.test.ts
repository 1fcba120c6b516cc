import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailsetupError } from '../../src/errors.js';
import { makeRecord } from '../../src/model/record.js';
import { isInsideGitWorkTree, locateStateFile } from '../../src/state/locate.js';
import { validateState, type DomainState, type StateFile } from '../../src/state/schema.js';
import { StateStore, parseState, recordStatus, serializeState } from '../../src/state/store.js';

let tmp: string;
beforeEach(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'mailsetup-state-')));
  // Every "outside git" assertion below depends on this.
  expect(isInsideGitWorkTree(tmp), `${tmp} must not be inside a git work tree for these tests`).toBe(false);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function makeDomain(overrides: Partial<DomainState> = {}): DomainState {
  return {
    provider: 'ses', providerId: 'mail.acme.com', region: 'us-east-1',
    records: [makeRecord({ purpose: 'dkim', type: 'CNAME', name: 'abc._domainkey.mail.acme.com', value: 'abc.dkim.amazonses.com' })],
    status: 'pending', createdAt: '2026-11-23T10:00:00.000Z', updatedAt: '2026-11-23T10:00:00.000Z', history: [],
    ...overrides,
  };
}

function write(path: string, content: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

async function configError(p: Promise<unknown>): Promise<MailsetupError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(MailsetupError);
  return e as MailsetupError;
}

describe('locateStateFile', () => {
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: join(tmp, 'home'), ...extra });

  it('takes --config first, relative to cwd', () => {
    expect(locateStateFile({ flag: 'x/s.json', env: env({ MAILSETUP_CONFIG: '/e.json' }), cwd: tmp })).toEqual({ path: join(tmp, 'x/s.json'), source: 'flag' });
  });

  it('rejects an empty --config instead of guessing', () => {
    expect(() => locateStateFile({ flag: '', env: env(), cwd: tmp })).toThrow(MailsetupError);
  });

  it('takes $MAILSETUP_CONFIG next, ignoring an empty value', () => {
    write(join(tmp, 'mailsetup.json'), '{}');
    expect(locateStateFile({ env: env({ MAILSETUP_CONFIG: 'e.json' }), cwd: tmp })).toEqual({ path: join(tmp, 'e.json'), source: 'env' });
    expect(locateStateFile({ env: env({ MAILSETUP_CONFIG: '' }), cwd: tmp }).source).toBe('project');
  });

  it('finds mailsetup.json in cwd, or in the nearest parent up to the git root', () => {
    mkdirSync(join(tmp, 'repo/.git'), { recursive: true });
    const deep = join(tmp, 'repo/a/b');
    mkdirSync(deep, { recursive: true });
    write(join(tmp, 'repo/mailsetup.json'), '{}');
    expect(locateStateFile({ env: env(), cwd: deep })).toEqual({ path: join(tmp, 'repo/mailsetup.json'), source: 'project' });
    write(join(tmp, 'repo/a/mailsetup.json'), '{}');
    expect(locateStateFile({ env: env(), cwd: deep }).path).toBe(join(tmp, 'repo/a/mailsetup.json'));
    write(join(deep, 'mailsetup.json'), '{}');
    expect(locateStateFile({ env: env(), cwd: deep }).path).toBe(join(deep, 'mailsetup.json'));
  });

  it('does not search above the git root (a .git file, as in worktrees, counts)', () => {
    write(join(tmp, 'mailsetup.json'), '{}');
    write(join(tmp, 'repo/.git'), 'gitdir: /elsewhere\n');
    mkdirSync(join(tmp, 'repo/sub'));
    expect(locateStateFile({ env: env(), cwd: join(tmp, 'repo/sub') }).source).toBe('xdg');
  });

  it('outside a git work tree looks at cwd only', () => {
    write(join(tmp, 'mailsetup.json'), '{}');
    mkdirSync(join(tmp, 'sub'));
    expect(locateStateFile({ env: env(), cwd: join(tmp, 'sub') }).source).toBe('xdg');
    expect(locateStateFile({ env: env(), cwd: tmp }).source).toBe('project');
  });

  it('falls back to $XDG_CONFIG_HOME, else ~/.config (a relative XDG_CONFIG_HOME is ignored)', () => {
    expect(locateStateFile({ env: env({ XDG_CONFIG_HOME: join(tmp, 'xdg') }), cwd: tmp }))
      .toEqual({ path: join(tmp, 'xdg/mailsetup/config.json'), source: 'xdg' });
    expect(locateStateFile({ env: env(), cwd: tmp }).path).toBe(join(tmp, 'home/.config/mailsetup/config.json'));
    expect(locateStateFile({ env: env({ XDG_CONFIG_HOME: 'rel' }), cwd: tmp }).path).toBe(join(tmp, 'home/.config/mailsetup/config.json'));
  });
});

describe('validateState', () => {
  it('accepts the DESIGN.md example (no history, no priority/ttl)', () => {
    const json = JSON.parse(`{ "version": 1, "domains": { "mail.acme.com": { "provider": "ses", "providerId": "mail.acme.com",
      "region": "us-east-1", "records": [ { "purpose": "dkim", "type": "CNAME", "name": "a._domainkey.mail.acme.com", "value": "a.dkim.amazonses.com" } ],
      "status": "pending", "createdAt": "2026-11-23T10:00:00.000Z", "updatedAt": "2026-11-23T10:00:00Z" } } }`);
    expect(validateState(json)).toEqual([]);
  });

  it('names each problem by its JSON path', () => {
    const domain = { ...makeDomain(), records: [{}, {}, { ...makeDomain().records[0], type: 'A' }], status: 'done' };
    const problems = validateState({ version: 1, domains: { 'mail.acme.com': domain, 'Mail.Example.com.': 3 }, providers: { mailgun: { baseUrl: 'https://u:p@api.eu.mailgun.net' } } });
    expect(problems).toContain('domains["mail.acme.com"].records[2].type: expected CNAME|TXT|MX, got "A"');
    expect(problems).toContain('domains["mail.acme.com"].status: expected pending|verified|failed|unknown, got "done"');
    expect(problems).toContain('domains["mail.acme.com"].records[0].purpose: required');
    expect(problems.some((p) => p.startsWith('domains["Mail.Example.com."]: domain names are stored') && p.includes('"mail.example.com"'))).toBe(true);
    expect(problems.some((p) => p.startsWith('providers.mailgun.baseUrl: expected a URL without user:password@'))).toBe(true);
  });

  it('refuses a version it does not understand', () => {
    expect(validateState({ version: 2, domains: {} })[0]).toMatch(/^version: 2 was written by a newer mailsetup/);
    expect(validateState({ domains: {} })[0]).toMatch(/^version: required/);
    expect(validateState([])).toEqual(['(top level): expected an object, got an array']);
  });
});

describe('StateStore.read', () => {
  it('returns an empty v1 state when the file is missing, and creates nothing', async () => {
    const path = join(tmp, 'nested/dir/mailsetup.json');
    expect(await new StateStore({ path }).read()).toEqual({ version: 1, domains: {} });
    expect(existsSync(join(tmp, 'nested'))).toBe(false);
  });

  it.each([
    ['corrupt JSON', '{ "version": 1,\n  "domains": { ,\n}', /not valid JSON: .* at line 2, column 16/],
    ['an empty file', '', /the file is empty/],
    ['a schema-invalid file', JSON.stringify({ version: 1, domains: { 'mail.acme.com': { ...makeDomain(), providerId: 42 } } }), /domains\["mail\.acme\.com"\]\.providerId: expected a non-empty string, got number 42/],
  ])('reports %s as CONFIG_INVALID (exit 78) naming the path, and update leaves it byte-for-byte', async (_, content, message) => {
    const path = write(join(tmp, 'mailsetup.json'), content);
    const before = readFileSync(path);
    const store = new StateStore({ path });
    for (const attempt of [store.read(), store.update((s) => { s.domains['x.acme.com'] = makeDomain(); })]) {
      const e = await configError(attempt);
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.exitCode).toBe(78);
      expect(e.message.startsWith(`${path}: `)).toBe(true);
      expect(e.message).toMatch(message);
      expect(e.hint).toMatch(/never overwrites/);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('reports an unreadable file as CONFIG_INVALID', async () => {
    const e = await configError(new StateStore({ path: tmp }).read());
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(tmp);
  });
});

describe('StateStore.update', () => {
  it('creates the file (and its directories) with mode 0600 outside a git work tree', async () => {
    const path = join(tmp, 'xdg/mailsetup/config.json');
    await new StateStore({ path }).update((s) => { s.domains['mail.acme.com'] = makeDomain(); });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(tmp, 'xdg/mailsetup')).mode & 0o777).toBe(0o700);
    expect(parseState(readFileSync(path, 'utf8'), path).domains['mail.acme.com']?.providerId).toBe('mail.acme.com');
  });

  it('creates it with mode 0644 inside a git work tree, and keeps an existing file’s mode', async () => {
    mkdirSync(join(tmp, '.git'));
    const path = join(tmp, 'mailsetup.json');
    const store = new StateStore({ path });
    await store.update((s) => { s.domains['mail.acme.com'] = makeDomain(); });
    expect(statSync(path).mode & 0o777).toBe(0o644);
    chmodSync(path, 0o640);
    await store.update((s) => { s.domains['b.acme.com'] = makeDomain(); });
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('writes pretty JSON with a trailing newline and domains sorted by name', async () => {
    const path = join(tmp, 'mailsetup.json');
    const store = new StateStore({ path });
    for (const name of ['z.acme.com', 'a.acme.com', 'm.acme.com']) await store.update((s) => { s.domains[name] = makeDomain(); });
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "version": 1,\n');
    expect(Object.keys(JSON.parse(text).domains)).toEqual(['a.acme.com', 'm.acme.com', 'z.acme.com']);
    expect(serializeState(await store.read())).toBe(text);
  });

  it('keeps unknown fields at the top level, per domain, per record and per history entry', async () => {
    const domain = { ...makeDomain(), tags: ['prod'], records: [{ ...makeDomain().records[0], note: 'from ticket 42' }], history: [{ at: '2026-11-23T10:00:00.000Z', status: 'pending', by: 'ci' }] };
    const path = write(join(tmp, 'mailsetup.json'), { version: 1, futureFeature: { a: [1, 2] }, defaults: { provider: 'ses', colour: 'auto' }, providers: { ses: { region: 'eu-west-1', profile: 'x' } }, domains: { 'mail.acme.com': domain } });
    const result = await new StateStore({ path }).update((s) => { s.domains['b.acme.com'] = makeDomain(); return 'done'; });
    expect(result).toBe('done');
    const after = JSON.parse(readFileSync(path, 'utf8')) as StateFile & Record<string, any>;
    expect(after.futureFeature).toEqual({ a: [1, 2] });
    expect(after.defaults).toEqual({ provider: 'ses', colour: 'auto' });
    expect(after.providers).toEqual({ ses: { region: 'eu-west-1', profile: 'x' } });
    expect(after.domains['mail.acme.com']).toEqual(domain);
  });

  it('does not rewrite the file when nothing changed', async () => {
    const path = join(tmp, 'mailsetup.json');
    const store = new StateStore({ path });
    await store.update((s) => { s.domains['mail.acme.com'] = makeDomain(); });
    const hand = readFileSync(path, 'utf8').replace('\n  "domains"', '\n\n  "domains"');
    writeFileSync(path, hand);
    await store.update(() => {});
    expect(readFileSync(path, 'utf8')).toBe(hand);
  });

  it('refuses to write a value that contains a secret from the environment, leaving the file as it was', async () => {
    const path = join(tmp, 'mailsetup.json');
    const secret = 'SG.abcdefghijklmnop.qrstuvwxyz';
    const store = new StateStore({ path, env: { SENDGRID_API_KEY: secret } });
    await store.update((s) => { s.domains['mail.acme.com'] = makeDomain(); });
    const before = readFileSync(path);
    const e = await configError(store.update((s) => { s.domains['mail.acme.com']!.providerId = `id-${secret}`; }));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toContain('$SENDGRID_API_KEY');
    expect(e.message).not.toContain(secret);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a no-op update does not create a missing file', async () => {
    const path = join(tmp, 'mailsetup.json');
    expect(await new StateStore({ path }).update(() => 7)).toBe(7);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('reports a secret the user put in the file as CONFIG_INVALID, not as a bug', async () => {
    const secret = 'key-0123456789abcdef';
    const path = write(join(tmp, 'mailsetup.json'), { version: 1, providers: { mailgun: { apiKey: secret } }, domains: {} });
    const e = await configError(new StateStore({ path, env: { MAILGUN_API_KEY: secret } }).update((s) => { s.domains['mail.acme.com'] = makeDomain(); }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('$MAILGUN_API_KEY');
    expect(e.message).not.toContain(secret);
  });

  it('takes over a lock left behind by a process that died', async () => {
    const path = join(tmp, 'mailsetup.json');
    mkdirSync(`${path}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    await new StateStore({ path }).update((s) => { s.domains['mail.acme.com'] = makeDomain(); });
    expect(readdirSync(tmp)).toEqual(['mailsetup.json']);
  });

  it('refuses to write a state the mutator made invalid', async () => {
    const path = join(tmp, 'mailsetup.json');
    const e = await configError(new StateStore({ path }).update((s) => { s.domains['mail.acme.com'] = { ...makeDomain(), status: 'done' as 'pending' }; }));
    expect(e.code).toBe('INTERNAL');
    expect(existsSync(path)).toBe(false);
  });

  it('releases the lock when the mutator throws', async () => {
    const path = join(tmp, 'mailsetup.json');
    const store = new StateStore({ path });
    await expect(store.update(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(existsSync(`${path}.lock`)).toBe(false);
    await store.update((s) => { s.domains['mail.acme.com'] = makeDomain(); });
    expect(Object.keys((await store.read()).domains)).toEqual(['mail.acme.com']);
  });
});

describe('recordStatus', () => {
  it('appends to history only when the status changes', () => {
    const d = makeDomain();
    const t = (s: string) => new Date(`2026-11-23T${s}Z`);
    expect(recordStatus(d, 'pending', 'registered', t('10:00:00'))).toBe(true);
    expect(recordStatus(d, 'pending', 'still waiting', t('10:01:00'))).toBe(false);
    expect(recordStatus(d, 'verified', undefined, t('10:02:00'))).toBe(true);
    expect(recordStatus(d, 'verified', undefined, t('10:03:00'))).toBe(false);
    expect(d.history).toEqual([
      { at: '2026-11-23T10:00:00.000Z', status: 'pending', detail: 'registered' },
      { at: '2026-11-23T10:02:00.000Z', status: 'verified' },
    ]);
    expect(d.status).toBe('verified');
    expect(d.updatedAt).toBe('2026-11-23T10:02:00.000Z');
    expect(validateState({ version: 1, domains: { 'mail.acme.com': d } })).toEqual([]);
  });
});
