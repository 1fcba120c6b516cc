/**
 * DNSSEC for a mail domain: is its zone signed (DNSKEY at the zone apex), is it chained to its parent
 * (DS there), and does a validating resolver authenticate its answers (the AD bit)? A SERVFAIL that
 * disappears when validation is switched off (the CD bit) is a broken signature — validating
 * resolvers refuse every answer, and mail to and from the domain bounces.
 *
 * Asked through the recursive resolvers only (the AD bit is theirs to give), with DO set; data
 * questions also with CD, so a bogus zone's keys are still seen. Unsigned is `info`: DNSSEC is optional.
 */
import type { DnsAnswer, Lookup } from '../dns/types.js';
import { isFailure } from '../dns/types.js';
import type { CheckResult, Finding } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';

export interface DnssecDetail {
  /** The signed zone's apex (where the DNSKEY set is); null when none was found. */
  apex: string | null;
  dnskeys: number;
  /** DNSKEYs with the SEP bit (flags 257): key-signing keys. */
  keySigningKeys: number;
  algorithms: number[];
  ds: number;
  /** The AD bit on the answer for the domain: true validated, false not, null could not ask. */
  authenticated: boolean | null;
}

export interface DnssecLookups {
  /** DO set, validation on: a validating resolver sets AD, or answers SERVFAIL for a bogus zone. */
  validating: Lookup;
  /** DO and CD set: the data whatever its signatures. */
  unchecked: Lookup;
}

/** `domain` and each parent down to (and including) `org`, most specific first. */
function candidates(domain: string, org: string): string[] {
  const labels = domain.split('.');
  const orgLabels = org.split('.').length;
  const out: string[] = [];
  for (let i = 0; labels.length - i >= orgLabels; i++) out.push(labels.slice(i).join('.'));
  return out;
}

const reason = (a: DnsAnswer) => `${a.outcome}${a.error ? `: ${a.error}` : ''}`;

export async function auditDnssec(domain: string, org: string, l: DnssecLookups): Promise<CheckResult> {
  const detail: DnssecDetail = { apex: null, dnskeys: 0, keySigningKeys: 0, algorithms: [], ds: 0, authenticated: null };
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], code: string, message: string, hint: string | null, at = domain) =>
    findings.push({ severity, code, name: at, term: null, message, hint });
  const result = (none = false): CheckResult =>
    ({ check: 'dnssec', status: none ? 'none' : statusFromFindings(findings), name: detail.apex ?? domain, record: null, findings, detail });
  const unchecked = (why: string) => {
    add('warning', 'DNSSEC_UNCHECKED', `${why}, so DNSSEC could not be checked.`, 'Retry later or with another --resolver; this says nothing about whether the zone is signed.');
    return result(true);
  };

  // The zone apex: the most specific name from the domain up to its organisational domain that has
  // an SOA of its own (a delegated subdomain is its own zone, signed or not, whatever its parent is).
  const names = candidates(domain, org);
  // The domain's own SOA comes from the validating question (its data is the same unless the zone is
  // bogus, and then the CD question below asks again): no name is asked twice when all is well.
  const [probe, ...above] = await Promise.all([l.validating(domain, 'SOA'), ...names.slice(1).map((n) => l.unchecked(n, 'SOA'))]);
  const soas = [isFailure(probe!) ? await l.unchecked(domain, 'SOA') : probe!, ...above];
  if (isFailure(probe!)) {
    if (probe!.outcome === 'servfail') {
      const cd = soas[0]!;
      if (!isFailure(cd)) {
        add('error', 'DNSSEC_BOGUS', `Validating resolvers refuse the answers for ${domain}: SERVFAIL with validation, an answer with it switched off (CD). The signatures are broken (expired, or made with a key the DS does not match); mail to and from ${domain} bounces at receivers that validate.`,
          'Re-sign the zone (check the signer is running and the signatures current), or make the DS at the parent match the zone\'s key-signing key — or, to turn DNSSEC off, remove the DS first and wait its TTL.');
      } else return unchecked(`The resolvers could not answer for ${domain} (${reason(probe!)}; also with CD: ${reason(cd)})`);
    } else return unchecked(`The resolvers could not answer for ${domain} (${reason(probe!)})`);
  } else {
    detail.authenticated = probe!.ad ?? false;
  }
  const soaAt = names.findIndex((n, i) => soas[i]!.records.some((r) => r.type === 'SOA' && r.name === n));
  const failedSoa = soas.find((a, i) => isFailure(a) && (soaAt === -1 || i < soaAt));
  if (failedSoa) return unchecked(`The SOA lookup for ${failedSoa.name} failed (${reason(failedSoa)})`);
  const apex = soaAt === -1 ? org : names[soaAt]!;
  const keys = await l.unchecked(apex, 'DNSKEY');
  if (isFailure(keys)) return unchecked(`The DNSKEY lookup for ${apex} failed (${reason(keys)})`);
  if (!keys.records.some((r) => r.type === 'DNSKEY')) {
    add('info', 'DNSSEC_UNSIGNED', `The zone ${apex} is not signed (no DNSKEY): its answers can be forged on the path, and DANE cannot be used.`,
      'Optional. Turn on DNSSEC at your DNS host, then publish the DS record it gives you at your registrar.', apex);
    // A zone that is not signed cannot be bogus; a SERVFAIL above is then about something else.
    return result(!findings.some((f) => f.severity === 'error'));
  }
  detail.apex = apex;
  const dnskeys = keys.records.flatMap((r) => (r.type === 'DNSKEY' ? [r.data] : []));
  detail.dnskeys = dnskeys.length;
  detail.keySigningKeys = dnskeys.filter((k) => (k.flags & 1) === 1).length;
  detail.algorithms = [...new Set(dnskeys.map((k) => k.algorithm))];

  const ds = await l.unchecked(apex, 'DS');
  if (isFailure(ds)) return unchecked(`The DS lookup for ${apex} failed (${reason(ds)})`);
  detail.ds = ds.records.filter((r) => r.type === 'DS').length;
  if (detail.ds === 0) {
    add('warning', 'DNSSEC_DS_MISSING', `The zone ${apex} is signed but its parent has no DS record for it: an island of trust, which validating resolvers treat as unsigned.`,
      `Publish the DS record of ${apex}'s key-signing key at your registrar (your DNS host shows it).`, apex);
  } else if (detail.authenticated === false) {
    add('info', 'DNSSEC_UNVALIDATED', `The zone ${apex} is signed with a DS at its parent, but the resolvers asked did not authenticate the answer (no AD bit): they do not validate, so broken signatures would not show here.`,
      'Run again with --resolver pointing at a validating resolver to check the signatures.', apex);
  }
  return result();
}
