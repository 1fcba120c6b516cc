/**
 * Bounded work (DESIGN.md "Resolver comparator"): the worst hostile domain — an SPF record with
 * 2,000 `a:` terms, 1,000 MX exchanges and 1,000 `rua` destinations, every one of whose names times
 * out — costs `validate` about what a record at the RFC limits costs. Served by the embedded wire
 * server on loopback (its per-name `timeout` fault never answers); the built CLI runs as a subprocess.
 * It is run beside a domain with 10 of each (at the limits): the two must cost the same questions and
 * about the same time. Before the bound, the hostile run asked ~8,000 questions (estimated: 4,000 A/AAAA,
 * 2,000 exchange addresses, 2,000 authorisation/MX), each waiting 2 × --timeout, 16 at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneFault, ZoneRecord } from '../../src/dns/zone.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { mx, txt } from '../helpers/zone-builders.js';

const D = 'huge.test';
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const spfName = (i: number) => `s${i}.dead.test`;
const mxName = (i: number) => `m${i}.dead.test`;
const ruaDomain = (i: number) => `r${i}.dead.test`;

/** The same shape with `n` of each: 2,000/1,000/1,000 for the hostile domain, 10 for one at the limits. */
const domainRecords = (d: string, terms: number, exchanges: number, destinations: number): ZoneRecord[] => [
  txt(d, `v=spf1 ${range(terms).map((i) => `a:${spfName(i)}`).join(' ')} -all`),
  ...range(exchanges).map((i) => mx(d, i, mxName(i))),
  txt(`_dmarc.${d}`, `v=DMARC1; p=reject; rua=${range(destinations).map((i) => `mailto:d@${ruaDomain(i)}`).join(',')}`),
];
const AT_LIMIT = 'limit.test';
const records: ZoneRecord[] = [...domainRecords(D, 2000, 1000, 1000), ...domainRecords(AT_LIMIT, 10, 10, 10)];
const faults: ZoneFault[] = [
  ...range(2000).map((i) => ({ name: spfName(i), fault: 'timeout' as const })),
  ...range(1000).map((i) => ({ name: mxName(i), fault: 'timeout' as const })),
  ...range(1000).flatMap((i) => [ruaDomain(i), `${D}._report._dmarc.${ruaDomain(i)}`, `${AT_LIMIT}._report._dmarc.${ruaDomain(i)}`, `*._report._dmarc.${ruaDomain(i)}`]
    .map((name) => ({ name, fault: 'timeout' as const }))),
];

let dns: EmbeddedDns;
beforeAll(async () => { dns = await startEmbeddedDns({ records, faults }); });
afterAll(async () => { await dns?.close(); });

type Finding = { code: string; severity: string; message: string };
type Check = { check: string; findings: Finding[] };

describe('validate: hostile fan-out is bounded by the RFC limits', () => {
  it('2,000 dead a: terms, 1,000 dead MX exchanges, 1,000 dead rua destinations: costs what a domain at the limits does, says what it did not follow', { timeout: 90_000 }, async () => {
    const timed = async (domain: string) => {
      const before = dns.queries.length;
      const started = performance.now();
      const r = await runCli(['validate', domain, '--resolver', dns.address, '--timeout', '300ms', '--json', '--exit-code'], {}, 55_000);
      return { r, seconds: (performance.now() - started) / 1000, heard: dns.queries.length - before };
    };
    const limit = await timed(AT_LIMIT);
    const { r, seconds, heard } = await timed(D);
    const doc = parseJson(r);
    const sent = doc.dns.questions as number;
    const limitSent = parseJson(limit.r).dns.questions as number;
    // For the lead's notes: the measured cost of the worst bounded case, beside a domain at the limits.
    console.log(`[bounded] validate ${D}: ${seconds.toFixed(2)} s wall, ${sent} questions sent, ${heard} heard by the server; ` +
      `${AT_LIMIT} (10 of each): ${limit.seconds.toFixed(2)} s, ${limitSent} sent (--timeout 300ms)`);

    const check = (name: string): Check => doc.checks.find((c: Check) => c.check === name);
    const codes = (name: string) => check(name).findings.map((f) => f.code);
    const one = (name: string, code: string): Finding => {
      const found = check(name).findings.filter((f) => f.code === code);
      expect(found, `${code} in ${name}`).toHaveLength(1);
      return found[0]!;
    };
    // SPF: over the limit (error), the 10 followed terms could not be resolved, 1,990 counted and not followed.
    expect(one('spf', 'SPF_TOO_MANY_LOOKUPS').message).toContain('needs 2000 DNS-querying terms');
    expect(one('spf', 'SPF_NOT_FOLLOWED').message).toMatch(/^1990 DNS-querying terms beyond the limit of 10 were counted but not followed/);
    expect(codes('spf').filter((c) => c === 'SPF_LOOKUP_FAILED')).toHaveLength(10);
    // MX: the 10 most preferred looked up (and could not be), 990 reported, not resolved.
    expect(one('mx', 'MX_NOT_FOLLOWED').message).toContain('the other 990 were not looked up');
    expect(codes('mx').filter((c) => c === 'MX_UNCHECKED')).toHaveLength(10);
    // DMARC: the policy itself is sound; 10 destinations unchecked, 990 reported, none called unauthorised.
    expect(one('dmarc', 'DMARC_RUA_NOT_FOLLOWED').message).toContain('the other 990 were not looked up');
    expect(codes('dmarc').filter((c) => c === 'DMARC_UNCHECKED')).toHaveLength(10);
    expect(codes('dmarc')).not.toContain('DMARC_RUA_NOT_AUTHORIZED');
    expect(r.code).toBe(2); // SPF_TOO_MANY_LOOKUPS is an error

    // The bound: about a record at the limits — 10 SPF terms, 10 exchanges, 10 destinations (A+AAAA or
    // authorisation+MX each: 60 timing-out questions, 16 at a time, 2 × 300 ms each ≈ 2.4 s) plus the
    // DKIM selector probes. Without it: ~8,000 such questions, minutes. 20 s leaves room for 2 busy cores.
    expect(sent).toBeLessThan(200);
    expect(seconds).toBeLessThan(20);
    // …and no more than the domain at the limits: the same questions (±2 for the apex/record shape),
    // and a wall time within noise of it.
    expect(Math.abs(sent - limitSent)).toBeLessThanOrEqual(2);
    expect(seconds).toBeLessThan(limit.seconds * 2 + 3);
  });
});
