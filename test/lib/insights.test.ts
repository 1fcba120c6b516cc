/**
 * `health`, `healthHistory`, `warmup` and `reports` as library calls (src/lib/insights.ts, through
 * the package entry src/lib/index.ts), held against the built CLI's `--json` for the same inputs:
 * the same provider emulators and embedded DNS server on loopback, the same state files. Each
 * returned document deep-equals what the CLI prints (timestamps of the run aside) and matches its
 * schema; a bad option throws the CLI's error; and the call writes nothing to stdout or stderr.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { health, healthHistory, reports, warmup, MailsetupError } from '../../src/lib/index.js';
import { parseJson, runCli, type CliResult } from '../helpers/cli.js';
import { assertSchema } from '../helpers/schemas.js';
import { caught } from '../helpers/caught.js';
import { startHealthWorld, type HealthWorld } from '../helpers/health-world.js';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { daysAgo, spread } from '../emulators/delivery-seed.js';
import { generateReports, REPORTERS, type GenSource } from '../helpers/dmarc-reports.js';
import { sesWanted } from '../helpers/zone-builders.js';

const MG = 'mail.lib-mg.test';
const SG = 'mail.lib-sg.test';
let w: HealthWorld;
let dns: EmbeddedDns;
let dir: string;

beforeAll(async () => {
  w = await startHealthWorld([MG, SG]);
  dns = await startEmbeddedDns({ records: [{ name: '_dmarc.acme.test', type: 'TXT', data: 'v=DMARC1; p=none; rua=mailto:dmarc@acme.test' }] });
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-lib-insights-'));
});
afterAll(async () => {
  await Promise.all([w?.close(), dns?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Every write to the process's stdout and stderr while a library call runs. */
let writes: string[] = [];
function spyOutput(): void {
  writes = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => { writes.push(String(chunk)); return true; }) as typeof stream.write);
  }
}
afterEach(() => { vi.restoreAllMocks(); });

/** Run `call` with stdout/stderr watched; the library must not have written anything. */
async function silently<T>(call: () => Promise<T>): Promise<T> {
  spyOutput();
  try { return await call(); } finally {
    vi.restoreAllMocks();
    expect(writes, 'the library call printed').toEqual([]);
  }
}

/** The CLI's error document for a failing run: `{ error: { code, message, hint } }`, and its exit status. */
function cliError(r: CliResult): { code: number | null; error: { code: string; message: string; hint: string | null } } {
  return { code: r.code, error: parseJson(r).error };
}
const libError = (e: MailsetupError) => ({ code: e.exitCode, error: { code: e.code, message: e.message, hint: e.hint } });

describe('health()', () => {
  const lib = (state: string) => ({ config: state, resolvers: [w.dns.address], authoritative: [w.dns.address], timeoutMs: 3000, env: w.env });
  // The run's own clock: when it was checked (and so the end of the window).
  const untimed = (doc: any) => ({ ...doc, checkedAt: 'T', domains: doc.domains.map((d: any) => ({ ...d, window: { ...d.window, to: 'T' } })) });

  it('returns what `health --json` prints, for named domains and for "all"', async () => {
    w.mailgun.setMetricsDays(MG, spread({ sent: 2000, bounces: 50, complaints: 0 }));
    w.sendgrid.setAccount({ reputation: 99 });
    w.sendgrid.setStatsDays(spread({ sent: 1000, bounces: 5, complaints: 0 }));
    const state = w.state({ [MG]: 'mailgun', [SG]: 'sendgrid' });
    const cli = await w.run(['health', MG, '--json'], state);
    expect(cli.code, cli.stderr).toBe(0);
    const doc = await silently(() => health([MG], lib(state)));
    assertSchema('health', doc);
    expect(untimed(doc)).toEqual(untimed(parseJson(cli)));
    expect(doc.domains[0]).toMatchObject({ domain: MG, status: 'warning', figures: { sent: 2000, bounces: 50 } });

    const cliAll = await w.run(['health', '--all', '--json', '--days', '3'], state);
    expect(cliAll.code, cliAll.stderr).toBe(0);
    const all = await silently(() => health('all', { ...lib(state), days: 3 }));
    assertSchema('health', all);
    expect(untimed(all)).toEqual(untimed(parseJson(cliAll)));
    expect(all.domains.map((d) => d.domain)).toEqual([SG, MG]);
    expect(all.domains[0]!.window.days).toBe(3);
  });

  it('stores the day\'s snapshot as the CLI does; healthHistory() returns what `--history --json` prints', async () => {
    w.mailgun.setMetricsDays(MG, spread({ sent: 1000, bounces: 2, complaints: 0 }));
    const old = { date: daysAgo(4), sent: 500, delivered: 490, bounces: 2, complaints: 0, status: 'healthy' };
    const state = w.state({ [MG]: 'mailgun' }, { [MG]: { health: [old] } });
    await silently(() => health([MG], lib(state)));
    expect(JSON.parse(readFileSync(state, 'utf8')).domains[MG].health.map((s: { date: string }) => s.date)).toEqual([daysAgo(4), daysAgo(0)]);
    const cli = await w.run(['health', '--history', '--json'], state);
    const hist = await silently(() => healthHistory('all', lib(state)));
    assertSchema('health', hist);
    expect(hist).toEqual(parseJson(cli));
    expect(await silently(() => healthHistory([MG], lib(state)))).toEqual(hist);
  });

  it('refuses what the CLI refuses, with the same code, exit status, message and hint', async () => {
    const state = w.state({ [MG]: 'mailgun' });
    for (const [args, call] of [
      [['--days', '31'], () => health([MG], { ...lib(state), days: 31 })],
      [['--days', '0'], () => health([MG], { ...lib(state), days: 0 })],
      [['--days', '1.5', '--history'], () => healthHistory([MG], { ...lib(state), days: 1.5 })],
    ] as Array<[string[], () => Promise<unknown>]>) {
      const e = await silently(() => caught(call()));
      expect(e).toBeInstanceOf(MailsetupError);
      expect(libError(e)).toEqual(cliError(await w.run(['health', MG, ...args, '--json'], state)));
      expect(e).toMatchObject({ code: 'USAGE', exitCode: 64 });
    }
    const missing = await silently(() => caught(health(['nope.lib.test'], lib(state))));
    expect(libError(missing)).toEqual(cliError(await w.run(['health', 'nope.lib.test', '--json'], state)));
    expect(missing.code).toBe('DOMAIN_NOT_FOUND');
    // No credentials: the CLI's 77, naming the variable.
    const noKey = await silently(() => caught(health([MG], { ...lib(state), env: {} })));
    expect(noKey).toMatchObject({ code: 'PROVIDER_AUTH', exitCode: 77 });
    expect(noKey.message + noKey.hint).toContain('MAILGUN_API_KEY');
  });
});

describe('warmup()', () => {
  const D = 'mail.lib-warm.test';
  let n = 0;
  function state(extra: Record<string, unknown> = {}): string {
    const at = '2026-11-30T00:00:00.000Z';
    const file = join(dir, `warm-${++n}.json`);
    writeFileSync(file, JSON.stringify({ version: 1, domains: { [D]: { provider: 'mailgun', providerId: D, region: null, records: sesWanted(D), status: 'verified', createdAt: at, updatedAt: at, history: [], ...extra } } }, null, 2) + '\n');
    return file;
  }
  const cli = (file: string, ...args: string[]) => runCli(['warmup', D, '--config', file, '--json', ...args]);
  const plan = { start: 100, target: 1600, days: 5, startedAt: `${daysAgo(2)}T09:00:00.000Z` };
  const snaps = [
    { date: daysAgo(1), sent: 1000, delivered: 1000, bounces: 0, complaints: 0, status: 'healthy', days: 7, scope: 'domain', lastDay: { date: daysAgo(2), sent: 90, delivered: 90, bounces: 0, complaints: 0 } },
    { date: daysAgo(0), sent: 1000, delivered: 1000, bounces: 0, complaints: 0, status: 'warning', days: 7, scope: 'domain', lastDay: { date: daysAgo(1), sent: 200, delivered: 200, bounces: 5, complaints: 0 } },
  ];

  it('where the domain stands: the document `warmup --json` prints', async () => {
    const file = state({ warmup: plan, health: snaps });
    const r = await cli(file);
    const doc = await silently(() => warmup(D, { config: file }));
    assertSchema('warmup', doc);
    expect(doc).toEqual(parseJson(r));
    expect(doc).toMatchObject({ position: { day: 3, step: 2, rule: 'hold' } });
  });

  it('target/start/days store a new plan (as --target/--start/--days), reset drops it', async () => {
    const a = state();
    const b = state();
    const cliDoc = parseJson(await cli(a, '--target', '20000', '--start', '500', '--days', '14'));
    const doc = await silently(() => warmup(D, { config: b, target: 20000, start: 500, days: 14 }));
    assertSchema('warmup', doc);
    const started = (x: any) => ({ ...x, plan: { ...x.plan, startedAt: x.plan.startedAt.slice(0, 10) } });
    expect(started(doc)).toEqual(started(cliDoc));
    expect(JSON.parse(readFileSync(b, 'utf8')).domains[D].warmup).toMatchObject({ start: 500, target: 20000, days: 14 });
    const dropped = await silently(() => warmup(D, { config: b, reset: true }));
    expect(dropped).toEqual(parseJson(await cli(a, '--reset')));
    expect(dropped).toEqual({ domain: D, plan: null, dropped: true });
    expect(JSON.parse(readFileSync(b, 'utf8')).domains[D].warmup).toBeUndefined();
  });

  it('refuses what the CLI refuses, leaving the state untouched', async () => {
    const file = state();
    const before = readFileSync(file, 'utf8');
    for (const [args, options] of [
      [['--target', '1000000', '--days', '5'], { target: 1_000_000, days: 5 }],
      [['--target', '1.5'], { target: 1.5 }],
      [['--start', '300'], { start: 300 }],
      [[], {}],
    ] as Array<[string[], Record<string, number>]>) {
      const e = await silently(() => caught(warmup(D, { config: file, ...options })));
      expect(libError(e), args.join(' ')).toEqual(cliError(await cli(file, ...args)));
      expect(e.exitCode).toBe(64);
    }
    const bad = await silently(() => caught(warmup('not a domain', { config: file })));
    expect(libError(bad)).toEqual(cliError(await runCli(['warmup', 'not a domain', '--config', file, '--json'])));
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('reports()', () => {
  const REAL = 'test/fixtures/dmarc-reports';
  const SES: GenSource = { ip: '54.240.8.12', perDay: 100, dkim: [{ domain: 'acme.test', selector: 'abcdefghijklmnopqrstuvwxyz012345', result: 'pass' }], spf: { domain: 'amazonses.com', result: 'pass' }, envelopeFrom: 'amazonses.com' };
  const none = () => join(dir, 'none.json');

  it('returns what `reports --json` prints (not the internal analysis): the vendored reports, --no-dns', async () => {
    const r = await runCli(['reports', REAL, '--no-dns', '--since', '5000d', '--to', '2026-12-06T06:00:00Z', '--json', '--config', none()]);
    expect(r.code, r.stderr).toBe(0);
    const doc = await silently(() => reports([REAL], { dns: false, since: '5000d', to: '2026-12-06T06:00:00Z', config: none() }));
    assertSchema('reports', doc);
    expect(doc).toEqual(parseJson(r));
    // The --json shape: no per-day maps, no parsed reports.
    expect(doc.domains.every((d) => !('reports' in d) && d.sources.every((s) => !('days' in s)))).toBe(true);
    const one = await silently(() => reports([REAL], { dns: false, since: '5000d', to: new Date('2026-12-06T06:00:00Z'), domains: ['stalw.art'], config: none() }));
    expect(one).toEqual(parseJson(await runCli(['reports', REAL, '--no-dns', '--since', '5000d', '--to', '2026-12-06T06:00:00Z', '--domain', 'stalw.art', '--json', '--config', none()])));
  });

  it('reads the live _dmarc record through DNS, as the CLI does, unless dns: false', async () => {
    const month = join(dir, 'month');
    mkdirSync(month, { recursive: true });
    for (const rep of generateReports({ domain: 'acme.test', lastDay: '2026-12-05', days: 30, reporters: REPORTERS, sources: [SES] })) writeFileSync(join(month, `${rep.name.replace(/!/g, '_')}.xml`), rep.xml);
    const asked = () => dns.queries.filter((q) => q.name === '_dmarc.acme.test' && q.type === 'TXT').length;
    const b0 = asked();
    const r = await runCli(['reports', month, '--to', '2026-12-06T06:00:00Z', '--resolver', dns.address, '--timeout', '1s', '--json', '--config', none()]);
    const b1 = asked();
    expect(b1).toBeGreaterThan(b0);
    const doc = await silently(() => reports([month], { to: '2026-12-06T06:00:00Z', resolvers: [dns.address], timeoutMs: 1000, config: none() }));
    const b2 = asked();
    expect(b2 - b1).toBe(b1 - b0); // the library asked what the CLI asked
    assertSchema('reports', doc);
    expect(doc).toEqual(parseJson(r));
    expect(doc.domains[0]!.policy.live).toBe('v=DMARC1; p=none; rua=mailto:dmarc@acme.test');
    expect(doc.domains[0]!.readiness).toMatchObject({ verdict: 'ready', suggestedRecord: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.test' });
    const offline = await silently(() => reports([month], { to: '2026-12-06T06:00:00Z', resolvers: [dns.address], dns: false, config: none() }));
    expect(asked()).toBe(b2);
    expect(offline.domains[0]!.policy.live).toBeNull();
  });

  it('refuses what the CLI refuses: no input, a bad --since or --to', async () => {
    for (const [args, options] of [
      [['--since', 'soon'], { since: 'soon' }],
      [['--to', 'yesterday-ish'], { to: 'yesterday-ish' }],
    ] as Array<[string[], Record<string, string>]>) {
      const e = await silently(() => caught(reports([REAL], { dns: false, config: none(), ...options })));
      expect(libError(e)).toEqual(cliError(await runCli(['reports', REAL, '--no-dns', '--config', none(), '--json', ...args])));
      expect(e).toMatchObject({ code: 'USAGE', exitCode: 64 });
    }
    const empty = await silently(() => caught(reports([], { config: none() })));
    expect(empty).toMatchObject({ code: 'USAGE', exitCode: 64, message: expect.stringMatching(/^no input/) });
  });
});
