/**
 * The OpenSPF YAML suites (test/fixtures/conformance/spf/rfc7208-tests.yml and rfc4408-tests.yml) as
 * data: loading, and each scenario's `zonedata` turned into `ZoneData` for the embedded DNS server,
 * following pyspf's driver (HARNESS.md §1). Shared by the audit and check_host() conformance tests.
 */
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import type { RRType } from '../../src/dns/types.js';
import type { ZoneData, ZoneFault, ZoneRecord } from '../../src/dns/zone.js';

export type SuiteResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';
export interface SuiteTest {
  helo: string; host: string; mailfrom: string; result: SuiteResult | SuiteResult[];
  explanation?: string; spec?: string; description?: string;
}
export interface Scenario { description: string; tests: Record<string, SuiteTest>; zonedata?: Record<string, Array<string | Record<string, unknown>>> }

/** Load a suite; latin-1 keeps the \xNN raw bytes of the file as single code points (rule 7). */
export function loadSuite(file: 'rfc7208-tests.yml' | 'rfc4408-tests.yml'): Scenario[] {
  const url = new URL(`../fixtures/conformance/spf/${file}`, import.meta.url);
  return loadAll(readFileSync(url, 'latin1')) as Scenario[];
}

const ALL_TYPES: RRType[] = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'TXT', 'SPF'];

/** HARNESS.md §1 rules 2-7 (pyspf testspf.py semantics) turned into ZoneData. */
export function toZone(scenario: Scenario): ZoneData {
  const records: ZoneRecord[] = [];
  const faults: ZoneFault[] = [];
  for (const [owner, entries] of Object.entries(scenario.zonedata ?? {})) {
    const name = owner.toLowerCase();
    const hasTxt = entries.some((e) => typeof e === 'object' && 'TXT' in e);
    const generated: ZoneRecord[] = [];
    const seen = new Set<string>();
    let timedOut = false;
    for (const entry of entries) {
      if (typeof entry === 'string') {
        // Rule 4: a bare TIMEOUT answers only the types listed before it; SPF→TXT copies come later.
        if (entry === 'TIMEOUT' && !timedOut) {
          for (const type of ALL_TYPES) if (!seen.has(type)) faults.push({ name, type, fault: 'timeout' });
          timedOut = true;
        }
        continue;
      }
      for (const [type, value] of Object.entries(entry)) {
        if (value === 'TIMEOUT') { faults.push({ name, type: type as RRType, fault: 'timeout' }); continue; }
        if (value === 'NONE') continue; // rule 3: serves nothing (but still counts as "has TXT")
        seen.add(type);
        if (type === 'MX') {
          const [preference, exchange] = value as [number, string];
          records.push({ name, type: 'MX', data: { preference, exchange } });
        } else if (type === 'TXT' || type === 'SPF') {
          // Rule 6: a list is one RR of several strings ([] = zero strings); rule 7: \xNN stay latin-1 code points.
          const data = Array.isArray(value) ? value.map(String) : String(value);
          records.push({ name, type, data });
          if (type === 'SPF' && !hasTxt) generated.push({ name, type: 'TXT', data }); // rule 2
        } else {
          records.push({ name, type: type as RRType, data: String(value) });
        }
      }
    }
    records.push(...generated);
  }
  // Rule 5: a missing name starting with "error." times out. Faults need exact names, so take every
  // such name the scenario mentions.
  const text = JSON.stringify(scenario);
  for (const m of text.matchAll(/\berror\.[A-Za-z0-9.-]+/g)) {
    const name = m[0].toLowerCase().replace(/\.$/, '');
    if (!records.some((r) => r.name === name)) faults.push({ name, fault: 'timeout' });
  }
  return { records, faults };
}

/** Rule 10 and §4.3: the identity checked is the mail-from domain, or the HELO name when mail-from is empty. */
export function identity(t: SuiteTest): string {
  const at = t.mailfrom.lastIndexOf('@');
  return t.mailfrom === '' ? t.helo : t.mailfrom.slice(at + 1);
}

/** The suite's acceptable results, preferred first. */
export function expectedResults(t: SuiteTest): SuiteResult[] {
  return Array.isArray(t.result) ? t.result : [t.result];
}
