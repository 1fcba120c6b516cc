/**
 * The OpenSPF RFC 7208 suite through the CLI, as a user or a CI job runs it: every test case is
 * `mailsetup validate <mailfrom> --ip <host> --helo <helo> --json` as a subprocess, against an
 * embedded wire server on loopback that serves the case's zone data (`--resolver`). The library run
 * (spf-check-host.test.ts) grades check_host() itself; this one also grades everything between the
 * command line and it: argument parsing, the identity rule for local parts (the suite's own MAIL FROM
 * is `Macro Error@example.net`), the wire client and the JSON document.
 *
 * A case agrees when `spf.result` is one of the results the suite accepts and, where the suite gives
 * an explanation, `spf.explanation` is that text ("DEFAULT": none). Scenarios run on a small pool of
 * servers, one scenario per server at a time, a few subprocesses at once, to stay near 60 s on two
 * shared cores. `--timeout 1s`: the servers share the test's event loop with the subprocesses it
 * spawns, and under load a 300 ms timeout turned a slow answer into a wrong temperror.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { runCli } from '../helpers/cli.js';
import { expectedResults, loadSuite, toZone, type Scenario, type SuiteResult, type SuiteTest } from '../helpers/spf-suite.js';

/** Servers, each serving one scenario at a time, and subprocesses per server at once. */
const SERVERS = 3;
const PER_SERVER = 2;

let servers: EmbeddedDns[] = [];
beforeAll(async () => { servers = await Promise.all(Array.from({ length: SERVERS }, () => startEmbeddedDns({ records: [] }))); });
afterAll(async () => { await Promise.all(servers.map((s) => s.close())); });

interface Graded { key: string; agrees: boolean; detail: string }

async function runCase(dns: EmbeddedDns, key: string, t: SuiteTest): Promise<Graded> {
  // HARNESS.md rule 10: an empty MAIL FROM is checked as postmaster@<HELO>, which `validate <helo>` does.
  const identity = t.mailfrom === '' ? t.helo : t.mailfrom;
  const r = await runCli(['validate', identity, '--ip', t.host, '--helo', t.helo, '--json', '--resolver', dns.address, '--timeout', '1s'], {}, 60_000);
  const expected = expectedResults(t);
  let doc: { spf?: { result: string; explanation: string | null }; error?: { code: string; message: string } };
  try { doc = JSON.parse(r.stdout); } catch { return { key, agrees: false, detail: `exit ${r.code}, stdout is not JSON: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}` }; }
  if (!doc.spf) return { key, agrees: false, detail: `exit ${r.code}: ${doc.error ? `${doc.error.code}: ${doc.error.message}` : 'no "spf" in the document'}` };
  const resultOk = expected.includes(doc.spf.result as SuiteResult);
  const explanationOk = t.explanation === undefined || (t.explanation === 'DEFAULT' ? doc.spf.explanation === null : doc.spf.explanation === t.explanation);
  const detail = `suite ${expected.join('|')}${t.explanation !== undefined ? ` "${t.explanation}"` : ''}, CLI ${doc.spf.result}` +
    `${doc.spf.explanation !== null ? ` "${doc.spf.explanation}"` : ''} (exit ${r.code})`;
  return { key, agrees: resultOk && explanationOk && r.code === 0, detail };
}

/** Run a scenario's cases on one server, PER_SERVER subprocesses at a time. */
async function runScenario(dns: EmbeddedDns, scenario: Scenario): Promise<Graded[]> {
  dns.setZone(toZone(scenario));
  const cases = Object.entries(scenario.tests);
  const out: Graded[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: PER_SERVER }, async () => {
    while (next < cases.length) {
      const [name, t] = cases[next++]!;
      out.push(await runCase(dns, `${scenario.description} / ${name}`, t));
    }
  }));
  return out;
}

describe('RFC 7208 suite through the CLI (validate --ip --helo --json)', () => {
  it('every case agrees: 203/203', { timeout: 300_000 }, async () => {
    const scenarios = loadSuite('rfc7208-tests.yml');
    const started = performance.now();
    const graded: Graded[] = [];
    let next = 0;
    await Promise.all(servers.map(async (dns) => {
      while (next < scenarios.length) graded.push(...await runScenario(dns, scenarios[next++]!));
    }));
    const seconds = (performance.now() - started) / 1000;
    const agree = graded.filter((g) => g.agrees).length;
    console.log(`SPF RFC 7208 suite through the CLI: ${agree}/${graded.length} cases agree (${seconds.toFixed(1)} s, ${SERVERS * PER_SERVER} subprocesses at once)`);
    const misses = graded.filter((g) => !g.agrees).map((g) => `${g.key}: ${g.detail}`);
    for (const m of misses) console.log(`  DISAGREES: ${m}`);
    expect(graded).toHaveLength(203);
    expect(misses).toEqual([]);
  });
});
