/**
 * Named diagnoses for records that exist but not where, or not how, they should: the zone appended
 * twice by a DNS UI, the record made one level up at the apex, a value pasted with its quotes. Used
 * by `validate` (and by `verify`, which knows the expected record). The extra questions are asked
 * only when the expected record was not found.
 */
import type { Finding } from '../model/finding.js';
import type { Lookup, RRType } from '../dns/types.js';
import { txtValues } from '../dns/types.js';

export type MisplacedCode = 'RECORD_ZONE_DOUBLED' | 'RECORD_WRONG_LEVEL';

export interface MisplacedCandidate { name: string; code: MisplacedCode }

/**
 * Where people misplace a record meant for `expected` (which lies in `domain`, inside `zone`):
 * - the UI appended the zone to a name already fully qualified: `<expected>.<zone>`;
 * - it was made relative to the zone apex instead of the sending subdomain: `s1._domainkey.acme.com`
 *   for `s1._domainkey.mail.acme.com`.
 */
export function misplacedCandidates(expected: string, domain: string, zone: string): MisplacedCandidate[] {
  const out: MisplacedCandidate[] = [{ name: `${expected}.${zone}`, code: 'RECORD_ZONE_DOUBLED' }];
  if (domain !== zone && expected.endsWith('.' + domain)) {
    out.push({ name: `${expected.slice(0, -domain.length)}${zone}`, code: 'RECORD_WRONG_LEVEL' });
  }
  if (domain !== zone && expected === domain) {
    // An SPF meant for mail.acme.com published at acme.com is ambiguous (the apex has its own SPF):
    // don't guess there.
    return out.filter((c) => c.code !== 'RECORD_WRONG_LEVEL');
  }
  return out;
}

/** Ask the candidates (concurrently) and report the first that holds a matching record. */
export async function findMisplaced(
  expected: string, domain: string, zone: string, type: RRType, lookup: Lookup,
  accept: (values: string[]) => boolean,
  what: string,
): Promise<Finding | null> {
  const candidates = misplacedCandidates(expected, domain, zone);
  const answers = await Promise.all(candidates.map(async (c) => ({ c, a: await lookup(c.name, type) })));
  for (const { c, a } of answers) {
    const values = type === 'TXT' ? txtValues(a) : a.records.map((r) => String(r.data));
    const viaCname = a.cnames.length > 0 && type !== 'CNAME';
    if (a.outcome !== 'answer' && !viaCname) continue;
    if (!accept(values) && !viaCname) continue;
    const hint = c.code === 'RECORD_ZONE_DOUBLED'
      ? `Your DNS host appends the zone itself: rename the record to "${expected.slice(0, -zone.length - 1) || '@'}" (relative), so it lands at ${expected}.`
      : `Move the record from ${c.name} to ${expected} (in the zone ${zone}, the host name is "${expected.slice(0, -zone.length - 1)}").`;
    return {
      severity: 'error',
      code: c.code,
      message: c.code === 'RECORD_ZONE_DOUBLED'
        ? `The ${what} meant for ${expected} was published at ${c.name}: the zone name was appended twice.`
        : `The ${what} meant for ${expected} was published one level up, at ${c.name}.`,
      name: c.name,
      term: null,
      hint,
    };
  }
  return null;
}

/** A TXT value wrapped in literal quote characters: pasted with quotes into a UI that adds its own. */
export function isQuoted(value: string): boolean {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"');
}

export function quotedFinding(name: string, value: string, what: string): Finding {
  return {
    severity: 'error',
    code: 'RECORD_QUOTED',
    message: `The ${what} at ${name} contains literal quote characters (${value.slice(0, 40)}${value.length > 40 ? '…' : ''}); receivers do not read it as ${what}.`,
    name,
    term: null,
    hint: 'Remove the surrounding quotes from the value in your DNS host; it adds its own.',
  };
}
