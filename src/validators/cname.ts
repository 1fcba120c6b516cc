/**
 * CNAME hygiene at the names a mail setup uses (the domain, `_dmarc.<domain>`, DKIM selector names):
 * a CNAME must be alone at its name (RFC 1034 §3.6.2, RFC 2181 §10.1) and its target must exist.
 *
 * Coexistence cannot be seen in one answer: a server holding both returns the TXT for a TXT question
 * and the CNAME for a CNAME question. So we ask both (and MX at host names) and compare owners: TXT
 * records owned by the name itself plus a CNAME at that name means both exist. These are the same
 * questions the DMARC, DKIM, SPF and MX checks ask, so with the caller's memoised Lookup they cost
 * nothing extra but the CNAME questions.
 */
import type { DnsAnswer, Lookup, RRType } from '../dns/types.js';
import { isFailure } from '../dns/types.js';
import type { CheckResult, Finding } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';

const MAX_CHAIN = 8;

/** Follow CNAMEs one question at a time (used when a server gave up on a chain, e.g. a loop). */
export async function followCnames(name: string, lookup: Lookup): Promise<{ chain: string[]; loop: boolean; failed: boolean }> {
  const chain = [name];
  for (let i = 0; i < MAX_CHAIN; i++) {
    const a = await lookup(chain[chain.length - 1]!, 'CNAME');
    if (isFailure(a)) return { chain, loop: false, failed: true };
    const target = a.records[0]?.data;
    if (typeof target !== 'string') return { chain, loop: false, failed: false };
    if (chain.includes(target)) return { chain: [...chain, target], loop: true, failed: false };
    chain.push(target);
  }
  return { chain, loop: true, failed: false }; // longer than any resolver follows: as good as a loop
}

export interface CnameDetail {
  name: string;
  target: string;
  /** The whole chain as far as it was followed, starting with the target. */
  chain: string[];
  dangling: boolean;
  loop: boolean;
  /** Other record types found at the same name. */
  coexisting: RRType[];
}

const owned = (a: DnsAnswer, name: string): boolean => !isFailure(a) && a.cnames.length === 0 && a.records.some((r) => r.name === name);

/** Audit CNAMEs at `names`. Never throws; names whose lookups fail are reported as not checked. */
export async function auditCname(names: string[], lookup: Lookup): Promise<CheckResult> {
  const unique = [...new Set(names.map((n) => n.toLowerCase()))];
  const findings: Finding[] = [];
  const details: CnameDetail[] = [];
  const failed: string[] = [];
  await Promise.all(unique.map(async (name) => {
    // MX only at host names: underscore names (_dmarc, _domainkey) never hold mail exchangers.
    const types: RRType[] = name.startsWith('_') || name.includes('._') ? ['TXT'] : ['TXT', 'MX'];
    const [cname, ...others] = await Promise.all([lookup(name, 'CNAME'), ...types.map((t) => lookup(name, t))]);
    if (isFailure(cname!)) { failed.push(name); return; }
    const target = cname!.records[0]?.data;
    if (typeof target !== 'string') return;

    const coexisting = types.filter((t, i) => owned(others[i]!, name));
    if (cname!.records.length > 1) coexisting.unshift('CNAME');
    const d: CnameDetail = { name, target, chain: [target], dangling: false, loop: false, coexisting };
    details.push(d);
    if (coexisting.length > 0) {
      findings.push({
        severity: 'error', code: 'CNAME_WITH_OTHER_DATA', name, term: null,
        message: `${name} has a CNAME to ${target} and also ${coexisting.join(' and ')} record(s); a CNAME must be the only record at its name, so resolvers disagree on what is there.`,
        hint: `Delete either the CNAME or the other records at ${name}.`,
      });
    }

    // Does the target resolve? The TXT answer already followed the chain; NXDOMAIN at its end means
    // the target does not exist. A NODATA may have stopped at a zone boundary (an authoritative
    // server does not chase out-of-zone targets), and a TXT owned by the name itself did not follow
    // the CNAME at all: both get one more question at the last target.
    const txt = others[0]!;
    if (txt.cnames.length > 0) d.chain = txt.cnames.map((c) => String(c.data));
    let end: DnsAnswer = txt;
    const last = d.chain[d.chain.length - 1]!;
    if (txt.outcome === 'nodata' || (!isFailure(txt) && txt.cnames.length === 0)) {
      end = await lookup(last, 'TXT');
    }
    if (isFailure(end)) {
      const walk = await followCnames(name, lookup);
      if (walk.loop) {
        d.loop = true;
        findings.push({ severity: 'error', code: 'CNAME_LOOP', message: `The CNAME chain from ${name} loops (${walk.chain.join(' → ')}).`, name, term: null, hint: `Point ${name} at the record your provider gives, not at another alias of itself.` });
      } else {
        failed.push(name);
      }
    } else if (end.outcome === 'nxdomain') {
      d.dangling = true;
      findings.push({ severity: 'error', code: 'CNAME_DANGLING', message: `${name} is a CNAME to ${last}, which does not exist.`, name, term: null, hint: `Fix the CNAME target (check it against your provider's value) or delete the CNAME.` });
    }
  }));

  if (failed.length > 0) {
    findings.push({ severity: 'warning', code: 'CNAME_UNCHECKED', message: `The lookups for ${failed.join(', ')} failed, so their CNAMEs could not be checked.`, name: failed.join(','), term: null, hint: 'Retry later or with another --resolver.' });
  }
  details.sort((a, b) => unique.indexOf(a.name) - unique.indexOf(b.name));
  const nothingChecked = failed.length === unique.length;
  return {
    check: 'cname',
    status: nothingChecked ? 'none' : statusFromFindings(findings),
    name: unique.join(','),
    record: details.length > 0 ? details.map((d) => `${d.name} CNAME ${d.target}`) : null,
    findings,
    detail: { cnames: details },
  };
}
