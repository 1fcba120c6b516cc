/**
 * Twenty CLI processes at once on one state file, the way parallel CI jobs or a shell loop with `&`
 * hit it: 20 `add`s of different domains (SendGrid emulator), then 20 `verify --no-provider`s
 * (embedded DNS; half of the domains published, half not), then 20 `remove --yes`s. Nothing may be
 * lost, the file must parse at every moment (a reader polls it while the writers run: writes are
 * atomic renames), no temp or lock file may be left, and the final domains are exactly the expected
 * ones. (`test/integration/state-concurrency.test.ts` does the same for the store in isolation;
 * this goes through the whole CLI, provider calls and DNS included.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/dns/zone.js';
import { parseState } from '../../src/state/store.js';
import { parseJson, runCli, type CliResult } from '../helpers/cli.js';
import { startSendgridEmulator, type SendgridEmulator } from '../emulators/sendgrid.js';

const N = 20;
const DOMAINS = Array.from({ length: N }, (_, i) => `mail${String(i).padStart(2, '0')}.par.test`);
const PUBLISHED = DOMAINS.filter((_, i) => i % 2 === 0);
const BASE = 'mail.base.test';

let dns: EmbeddedDns;
let emu: SendgridEmulator;
let dir: string;
let state: string;

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'mailsetup-cli-concurrency-')));
  state = join(dir, 'mailsetup.json');
  emu = await startSendgridEmulator();
  dns = await startEmbeddedDns({ records: [] });
  const r = await runCli(['add', BASE, '--provider', 'sendgrid', '--config', state, '--resolver', dns.address, '--dmarc', 'skip'], emu.env);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await dns.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Start `argv(d)` for every domain at once, while a reader parses the state file every few ms.
 * Resolves with the results in domain order and how many reads were made (each of which parsed).
 */
async function all(argv: (d: string) => string[], domains = DOMAINS): Promise<{ results: CliResult[]; reads: number }> {
  let reads = 0;
  const problems: string[] = [];
  const poll = setInterval(() => {
    if (!existsSync(state)) return;
    let text = '';
    try {
      text = readFileSync(state, 'utf8');
      parseState(text, state);
      reads++;
    } catch (e) {
      problems.push(`${e instanceof Error ? e.message : String(e)}\n${text.slice(0, 300)}`);
    }
  }, 5);
  try {
    const results = await Promise.all(domains.map((d) => runCli([...argv(d), '--config', state], emu.env, 120_000)));
    return { results, reads };
  } finally {
    clearInterval(poll);
    expect(problems, 'a reader saw a half-written or invalid state file').toEqual([]);
  }
}

function expectAllOk(results: CliResult[], what: string): void {
  const bad = results.flatMap((r, i) => (r.code === 0 ? [] : [`${DOMAINS[i]}: exit ${r.code}\n${r.stderr}${r.stdout}`]));
  expect(bad, `${what} failed`).toEqual([]);
}

/** The file parses, and nothing but it is left in the directory (no temp files, no lock). */
function settled(): ReturnType<typeof parseState> {
  expect(readdirSync(dir).sort()).toEqual(['mailsetup.json']);
  return parseState(readFileSync(state, 'utf8'), state);
}

describe(`${N} CLI processes at once on one state file`, { timeout: 150_000 }, () => {
  it(`${N} adds of different domains: every one lands`, async () => {
    const { results, reads } = await all((d) => ['add', d, '--provider', 'sendgrid', '--resolver', dns.address, '--timeout', '30s', '--json']);
    expectAllOk(results, 'add');
    const s = settled();
    expect(Object.keys(s.domains).sort()).toEqual([BASE, ...DOMAINS].sort());
    for (const [i, d] of DOMAINS.entries()) {
      const doc = parseJson(results[i]!);
      expect(doc.domain).toBe(d);
      // Each entry is the one its own process wrote: same provider id, same records.
      expect(s.domains[d]).toMatchObject({ provider: 'sendgrid', providerId: doc.providerId, status: 'pending' });
      expect(s.domains[d]!.records).toEqual(doc.records);
      expect(s.domains[d]!.history).toHaveLength(1);
      expect(emu.hasDomain(d)).toBe(true);
    }
    expect(new Set(DOMAINS.map((d) => s.domains[d]!.providerId)).size).toBe(N);
    expect(reads).toBeGreaterThan(0);
  });

  it(`${N} verifies (--no-provider): every status change is recorded`, async () => {
    // Publish the required records of every other domain on the "authoritative" server.
    const before = settled();
    const zone: ZoneRecord[] = PUBLISHED.flatMap((d) => before.domains[d]!.records.filter((r) => r.required).map((r): ZoneRecord => (
      r.type === 'MX' ? { name: r.name, type: 'MX', data: { preference: r.priority ?? 10, exchange: r.value } } : { name: r.name, type: r.type, data: r.value })));
    expect(zone.length).toBeGreaterThanOrEqual(PUBLISHED.length);
    dns.setZone({ records: zone });

    const { results } = await all((d) => ['verify', d, '--no-provider', '--authoritative', dns.address, '--resolver', dns.address, '--timeout', '10s', '--json']);
    expectAllOk(results, 'verify');
    const s = settled();
    expect(Object.keys(s.domains).sort()).toEqual([BASE, ...DOMAINS].sort());
    for (const [i, d] of DOMAINS.entries()) {
      const expected = PUBLISHED.includes(d) ? 'verified' : 'pending';
      expect(parseJson(results[i]!).status, d).toBe(expected);
      expect(s.domains[d]!.status, d).toBe(expected);
      expect(s.domains[d]!.history.map((h) => h.status), d).toEqual(expected === 'verified' ? ['pending', 'verified'] : ['pending']);
    }
    // The domain nobody touched is as it was.
    expect(s.domains[BASE]).toEqual(before.domains[BASE]);
  });

  it(`${N} removes (--yes): exactly the base domain is left`, async () => {
    const { results } = await all((d) => ['remove', d, '--yes', '--timeout', '30s']);
    expectAllOk(results, 'remove');
    const s = settled();
    expect(Object.keys(s.domains)).toEqual([BASE]);
    for (const d of DOMAINS) expect(emu.hasDomain(d), d).toBe(false);
    expect(emu.hasDomain(BASE)).toBe(true);
  });
});
