/**
 * `--quiet` for `health`, `warmup` and `reports`: exactly the result line (the verdict) on stdout,
 * nothing on stderr — the same line the full output carries. The built CLI against the provider
 * emulators, the embedded DNS server and the vendored DMARC reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startHealthWorld, type HealthWorld } from '../helpers/health-world.js';
import { daysAgo, spread } from '../emulators/delivery-seed.js';
import { sesWanted } from '../helpers/zone-builders.js';

const MG = 'mail.q-mg.test';
const RS = 'mail.q-rs.test';
let w: HealthWorld;
let dir: string;
beforeAll(async () => {
  w = await startHealthWorld([MG, RS]);
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-quiet-insights-'));
});
afterAll(async () => {
  await w?.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('health -q', () => {
  it('one domain: "<status>: <domain>", the last line of the full output', async () => {
    w.mailgun.setMetricsDays(MG, spread({ sent: 2000, bounces: 50, complaints: 0 }));
    const state = w.state({ [MG]: 'mailgun' });
    const q = await w.run(['health', MG, '-q', '--exit-code'], state);
    expect(q.code, q.stderr).toBe(1);
    expect(q.stdout).toBe(`warning: ${MG}\n`);
    expect(q.stderr).toBe('');
    const full = await w.run(['health', MG], state);
    expect(lines(full.stdout).at(-1)).toBe(`warning: ${MG}`);
    expect(full.stdout).toContain('BOUNCE_RATE_HIGH');
  });

  it('--all: the worst status and the count of each, without the "Checking…" note', async () => {
    w.mailgun.setMetricsDays(MG, spread({ sent: 2000, bounces: 0, complaints: 0 }));
    w.resend.setMetricsDays(RS, spread({ sent: 2000, bounces: 70, complaints: 0 }));
    const state = w.state({ [MG]: 'mailgun', [RS]: 'resend' });
    const q = await w.run(['health', '--all', '-q'], state);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toBe('flagged: 2 domains, 1 healthy, 1 flagged\n');
    expect(q.stderr).toBe('');
  });
});

describe('warmup -q', () => {
  const D = 'mail.q-warm.test';
  function state(extra: Record<string, unknown> = {}): string {
    const file = join(dir, `warm-${Math.random().toString(36).slice(2)}.json`);
    const at = '2026-11-30T00:00:00.000Z';
    writeFileSync(file, JSON.stringify({ version: 1, domains: { [D]: { provider: 'mailgun', providerId: D, region: null, records: sesWanted(D), status: 'verified', createdAt: at, updatedAt: at, history: [], ...extra } } }));
    return file;
  }

  it('today\'s cap, and nothing else; --reset -q: the line saying the plan was dropped', async () => {
    const file = state({ warmup: { start: 100, target: 1600, days: 5, startedAt: `${daysAgo(2)}T09:00:00.000Z` } });
    const q = await runCli(['warmup', D, '-q', '--config', file]);
    expect(q.code, q.stderr).toBe(0);
    const today = `today (${daysAgo(0)}, day 3 of the plan): send at most 100 (step 1 of 5)`;
    expect(q.stdout).toBe(`${today}\n`);
    expect(q.stderr).toBe('');
    expect(lines((await runCli(['warmup', D, '--config', file])).stdout)).toContain(today);
    const created = await runCli(['warmup', D, '-q', '--target', '50000', '--config', file]);
    expect(created.stdout).toBe(`today (${daysAgo(0)}, day 1 of the plan): send at most 200 (step 1 of 21)\n`);
    expect(created.stderr).toBe('');
    const reset = await runCli(['warmup', D, '-q', '--reset', '--config', file]);
    expect(reset.stdout).toBe(`${D}: warm-up plan dropped (${file})\n`);
  });
});

describe('health --history -q', () => {
  it('each domain\'s first line (the days stored), nothing else', async () => {
    const D = 'mail.q-hist.test';
    const file = join(dir, 'hist.json');
    const at = '2026-11-30T00:00:00.000Z';
    const snap = (date: string) => ({ date, status: 'healthy', sent: 1000, delivered: 990, bounces: 10, complaints: 0 });
    writeFileSync(file, JSON.stringify({ version: 1, domains: { [D]: { provider: 'mailgun', providerId: D, region: null, records: sesWanted(D), status: 'verified', createdAt: at, updatedAt: at, history: [], health: [snap('2026-12-04'), snap('2026-12-05')] } } }));
    const q = await runCli(['health', '--history', '-q', '--config', file]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toBe(`${D} (2 days; each row is that day's run over its window)\n`);
    expect(q.stderr).toBe('');
    const full = await runCli(['health', '--history', '--config', file]);
    expect(lines(full.stdout)[0]).toBe(q.stdout.trimEnd());
    expect(lines(full.stdout).length).toBeGreaterThan(3);
  });
});

describe('reports -q', () => {
  const REAL = 'test/fixtures/dmarc-reports';
  const run = (...args: string[]) => runCli(['reports', ...args, '--no-dns', '--since', '5000d', '--to', '2026-12-06T06:00:00Z', '--config', join(dir, 'none.json')]);

  it('one result line per policy domain — "<domain>: <verdict>" — the first line of its block', async () => {
    const q = await run(join(REAL, 'stalwart-mail-auth'), '-q');
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/^stalw\.art: Wait \(p=quarantine\): [^\n]+\n$/);
    expect(q.stderr).toBe('');
    const full = await run(join(REAL, 'stalwart-mail-auth'));
    expect(lines(full.stdout)[0]).toBe(q.stdout.trimEnd());
    const all = await run(REAL, '-q');
    expect(lines(all.stdout).map((l) => l.split(':')[0])).toEqual(['example.com', 'example.de', 'foobar.de', 'indemed.com', 'myserver.com', 'stalw.art']);
    expect(all.stderr).toBe('');
  });

  it('no report in the inputs: no result line, the warning still shows (64)', async () => {
    const q = await run(join(REAL, 'README.md'), '-q');
    expect(q.code).toBe(64);
    expect(q.stdout).toBe('');
    expect(q.stderr).toContain('No DMARC aggregate report');
  });
});
