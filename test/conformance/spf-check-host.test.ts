/**
 * check_host() against every test of the OpenSPF suites. Each scenario's zone is served by the
 * embedded DNS server and `checkHost` asks it over real UDP/TCP through the wire client, so the
 * suite exercises the same code path as `mailsetup validate --ip`.
 *
 * A test agrees when our result is one of the results it accepts (several are listed for a few
 * tests) and, where it gives an `explanation`, our exp= text is that text ("DEFAULT" is the drivers'
 * name for "no exp= explanation", which is our null).
 *
 * RFC 4408 suite: run in full. A 4408 test conflicts with RFC 7208 when the 7208 suite has a test of
 * the same name whose accepted results differ: 7208 changed that rule (for example mx-limit, which
 * 4408 left open and 7208 made permerror) or the 7208 edition of the test corrects it. Such tests
 * are graded by the 7208 suite, not twice; every other 4408 test must agree. Tests that cannot be
 * decided either way are listed in EXCLUDED, the one place for exclusions, each with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWireLookup } from '../../src/dns/client.js';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { checkHost, type SpfEvaluation } from '../../src/validators/spf/evaluate.js';
import { expectedResults, identity, loadSuite, toZone, type SuiteResult, type SuiteTest } from '../helpers/spf-suite.js';

type SuiteFile = 'rfc7208-tests.yml' | 'rfc4408-tests.yml';

/** Every excluded test, keyed `suite file / scenario / test`, with the reason. */
const EXCLUDED: Record<string, string> = {};

interface Outcome { total: number; agree: number; excluded: Map<string, string>; disagreements: string[] }

function agrees(t: SuiteTest, r: SpfEvaluation): boolean {
  if (!expectedResults(t).includes(r.result as SuiteResult)) return false;
  if (t.explanation === undefined) return true;
  return t.explanation === 'DEFAULT' ? r.explanation === null : r.explanation === t.explanation;
}

/** Why a failing test failed: the result, the explanation and the step that decided, in one line. */
function describeMiss(t: SuiteTest, r: SpfEvaluation): string {
  const step = r.decidedBy === null ? null : r.trace[r.decidedBy];
  return `suite ${expectedResults(t).join('|')}${t.explanation !== undefined ? ` "${t.explanation}"` : ''}, ` +
    `check_host ${r.result}${r.explanation !== null ? ` "${r.explanation}"` : ''}` +
    (step ? ` (decided by ${step.kind} "${step.term}" at ${step.domain}: ${step.note ?? ''})` : '');
}

/**
 * Run every test of a suite. `superseded` is asked only about a test that disagrees: a reason there
 * moves it to the excluded list (RFC 4408 tests whose rule RFC 7208 changed), null keeps it a failure.
 */
async function runSuite(file: SuiteFile, dns: EmbeddedDns, superseded: (name: string, t: SuiteTest, r: SpfEvaluation) => string | null): Promise<Outcome> {
  const out: Outcome = { total: 0, agree: 0, excluded: new Map(), disagreements: [] };
  for (const scenario of loadSuite(file)) {
    dns.setZone(toZone(scenario));
    // One memoised wire lookup per scenario: names repeat across scenarios with other data.
    const lookup = createWireLookup({ servers: [dns.address], timeoutMs: 300, retries: 0 });
    for (const [name, t] of Object.entries(scenario.tests)) {
      out.total++;
      const key = `${file} / ${scenario.description} / ${name}`;
      const excluded = EXCLUDED[key];
      if (excluded) { out.excluded.set(key, excluded); continue; }
      // HARNESS.md rule 10: an empty MAIL FROM is checked as postmaster@<HELO>.
      const sender = t.mailfrom === '' ? `postmaster@${t.helo}` : t.mailfrom;
      const r = await checkHost(t.host, identity(t), sender, lookup, { helo: t.helo });
      const why = agrees(t, r) ? null : superseded(name, t, r);
      if (agrees(t, r)) out.agree++;
      else if (why) out.excluded.set(key, why);
      else out.disagreements.push(`${key}: ${describeMiss(t, r)}`);
    }
  }
  return out;
}

function report(label: string, o: Outcome): void {
  const decided = o.total - o.excluded.size;
  console.log(`SPF check_host ${label}: ${o.agree}/${decided} scenarios agree (${o.excluded.size} excluded) [counted per test case]`);
  for (const [key, why] of o.excluded) console.log(`  excluded: ${key}: ${why}`);
  for (const d of o.disagreements) console.log(`  DISAGREES: ${d}`);
}

describe('check_host() against the OpenSPF suites, over the wire', () => {
  let dns: EmbeddedDns;
  beforeAll(async () => { dns = await startEmbeddedDns({ records: [] }); });
  afterAll(async () => { await dns?.close(); });

  it('RFC 7208 suite: every test agrees', { timeout: 180_000 }, async () => {
    const o = await runSuite('rfc7208-tests.yml', dns, () => null);
    report('RFC 7208', o);
    expect(o.total).toBe(203);
    expect(o.disagreements).toEqual([]);
    expect(o.agree).toBe(o.total - o.excluded.size);
    // HARNESS.md §1 rule 9: names that cannot be encoded (empty or 64+ octet labels) never reach the wire.
    expect(dns.queries.filter((q) => q.name.split('.').some((l) => l === '' || l.length > 63))).toEqual([]);
  });

  it('RFC 4408 suite: every test RFC 7208 did not change agrees', { timeout: 180_000 }, async () => {
    const graded7208 = new Map<string, SuiteResult[]>();
    for (const s of loadSuite('rfc7208-tests.yml')) for (const [name, t] of Object.entries(s.tests)) graded7208.set(name, expectedResults(t));
    const o = await runSuite('rfc4408-tests.yml', dns, (name, t, r) => {
      const newer = graded7208.get(name);
      const older = expectedResults(t);
      if (!newer || !newer.includes(r.result as SuiteResult) || newer.every((x) => older.includes(x))) return null;
      return `RFC 7208 changed the rule: RFC 4408 accepts ${older.join('|')}; the RFC 7208 suite's ${name} accepts ${newer.join('|')}, and ${r.result} agrees with it`;
    });
    report('RFC 4408', o);
    expect(o.total).toBe(191);
    expect(o.disagreements).toEqual([]);
  });
});
