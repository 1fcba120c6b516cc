/**
 * check_host() obeys the RFC 7208 §4.6.4 limits by itself: however many terms a record lists, it
 * asks about at most 10 DNS-querying terms (and stops at the third void lookup, or at the first
 * DNS failure), so a hostile record cannot make `validate --ip` fan out.
 */
import { describe, expect, it } from 'vitest';
import { memoryLookup } from '../../src/dns/zone.js';
import { checkHost } from '../../src/validators/spf/evaluate.js';
import { zoneFromNames, type ZoneNames } from '../helpers/zone-builders.js';

const many = (n: number, prefix: string): string => Array.from({ length: n }, (_, i) => `a:${prefix}${i}.example.com`).join(' ');
const hosts = (n: number, prefix: string): ZoneNames =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}.example.com`, { A: ['192.0.2.1'] }]));

async function run(names: ZoneNames, faults: Parameters<typeof zoneFromNames>[1] = []) {
  const lookup = memoryLookup(zoneFromNames(names, faults));
  const r = await checkHost('203.0.113.7', 'example.com', 'postmaster@example.com', lookup, { helo: 'example.com' });
  return { r, calls: lookup.calls };
}

describe('check_host() and the processing limits', () => {
  it('2,000 a: terms that answer: permerror at the 11th term, 10 asked', async () => {
    const { r, calls } = await run({ 'example.com': { TXT: [`v=spf1 ${many(2000, 'h')} -all`] }, ...hosts(2000, 'h') });
    expect(r).toMatchObject({ result: 'permerror', lookups: 11 });
    expect(calls).toHaveLength(1 + 10);
  });

  it('2,000 a: terms whose names do not exist: permerror at the third void lookup', async () => {
    const { r, calls } = await run({ 'example.com': { TXT: [`v=spf1 ${many(2000, 'nx')} -all`] } });
    expect(r).toMatchObject({ result: 'permerror', voidLookups: 3 });
    expect(calls).toHaveLength(1 + 3);
  });

  it('2,000 a: terms whose names time out: temperror at the first', async () => {
    const faults = Array.from({ length: 2000 }, (_, i) => ({ name: `t${i}.example.com`, fault: 'timeout' as const }));
    const { r, calls } = await run({ 'example.com': { TXT: [`v=spf1 ${many(2000, 't')} -all`] } }, faults);
    expect(r.result).toBe('temperror');
    expect(calls).toHaveLength(1 + 1);
  });

  it('an mx term with 1,000 exchanges: permerror without looking any of them up', async () => {
    const MX = Array.from({ length: 1000 }, (_, i) => [i, `mx${i}.example.com`] as [number, string]);
    const { r, calls } = await run({ 'example.com': { TXT: ['v=spf1 mx -all'], MX } });
    expect(r.result).toBe('permerror');
    expect(calls.map(([n, t]) => `${n} ${t}`)).toEqual(['example.com TXT', 'example.com MX']);
  });
});
