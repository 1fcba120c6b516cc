/**
 * RFC 9989 (DMARCbis) policy discovery beside RFC 7489's: the DNS tree walk from the domain up to its
 * top-level label — at most 8 questions: after the full name, a name of more than 8 labels jumps to
 * its 7 rightmost — finds the organisational domain as the name with the fewest labels that has a
 * DMARC record, unless a `psd=n` record marks a lower one (it is the organisational domain) or a
 * `psd=y` record marks a public suffix (the name one label below it is). A domain without its own
 * record takes the organisational domain's policy, so a record at an intermediate label is not the
 * one applied (§4.10). `auditDmarc` keeps RFC 7489's Public Suffix List answer; where the two
 * disagree, `DMARC_ORG_DOMAIN_DIFFERS` (info) says so, so both are visible.
 */
import { isIP } from '../util/ip.js';
import type { Lookup } from '../dns/types.js';
import { isFailure, txtValues } from '../dns/types.js';
import type { Finding } from '../model/finding.js';
import { looksLikeDmarc, parseDmarc } from './dmarc.js';

export interface DmarcbisDiscovery {
  /** The names whose `_dmarc` was asked, in walk order. */
  walk: string[];
  /** The organisational domain the walk finds; null when no record was found anywhere. */
  organisationalDomain: string | null;
  /** Where the record that applies to the domain is; null when none applies. */
  recordAt: string | null;
  /** A question in the walk could not be answered: the result may be incomplete. */
  incomplete: boolean;
}

/** The RFC 9989 walk: the domain, then (capped at 8 questions) each shorter suffix down to one label. */
export function treeWalkNames(domain: string): string[] {
  const labels = domain.split('.');
  const out = [domain];
  for (let k = Math.min(labels.length - 1, 7); k >= 1; k--) out.push(labels.slice(-k).join('.'));
  return out;
}

export async function discoverDmarcbis(domain: string, lookup: Lookup): Promise<DmarcbisDiscovery> {
  if (isIP(domain) || !domain.includes('.')) return { walk: [], organisationalDomain: null, recordAt: null, incomplete: false };
  const walk = treeWalkNames(domain);
  const answers = await Promise.all(walk.map((n) => lookup(`_dmarc.${n}`, 'TXT')));
  const incomplete = answers.some(isFailure);
  // A name with several DMARC records has none (the set is discarded).
  const records = answers.map((a) => { const vs = txtValues(a).filter(looksLikeDmarc); return vs.length === 1 ? parseDmarc(vs[0]!) : null; });
  let org: string | null = null;
  let psdAt: string | null = null;
  for (const [i, rec] of records.entries()) {
    if (!rec) continue;
    const psd = rec.policy?.psd ?? (/^[yn]$/i.test(rec.tags.psd ?? '') ? rec.tags.psd!.toLowerCase() : 'u');
    const name = walk[i]!;
    if (psd === 'n') { org = name; break; }
    if (psd === 'y') {
      // A public suffix's record: the organisational domain is the name one label below it.
      const below = domain.split('.').slice(-(name.split('.').length + 1)).join('.');
      org = below.length > name.length ? below : name;
      psdAt = name;
      break;
    }
    org = name;
  }
  // The domain's own record; else the organisational domain's; else (below a psd=y suffix) the suffix's.
  const recordAt = records[0] ? domain : org !== null && records[walk.indexOf(org)] ? org : psdAt;
  return { walk, organisationalDomain: org, recordAt, incomplete };
}

/** The info finding when RFC 9989 and RFC 7489 (Public Suffix List) disagree, else null. */
export function orgDomainDiffers(domain: string, pslOrg: string, appliedAt7489: string | null, bis: DmarcbisDiscovery): Finding | null {
  if (bis.incomplete || bis.organisationalDomain === null || bis.organisationalDomain === pslOrg) {
    if (bis.incomplete || bis.recordAt === appliedAt7489) return null;
  }
  const orgPart = bis.organisationalDomain !== null && bis.organisationalDomain !== pslOrg
    ? `RFC 9989's DNS tree walk finds the organisational domain ${bis.organisationalDomain}; the Public Suffix List (RFC 7489) says ${pslOrg}.` : '';
  const policyPart = bis.recordAt !== appliedAt7489
    ? ` Receivers following RFC 9989 apply ${bis.recordAt ? `the record at _dmarc.${bis.recordAt}` : 'no record'}; those following RFC 7489 apply ${appliedAt7489 ? `the one at _dmarc.${appliedAt7489}` : 'none'}.` : '';
  if (!orgPart && !policyPart) return null;
  return {
    severity: 'info', code: 'DMARC_ORG_DOMAIN_DIFFERS', name: `_dmarc.${domain}`, term: 'psd',
    message: `${orgPart}${policyPart}`.trim(),
    hint: `To be read the same way by every receiver, publish the policy you mean at _dmarc.${domain} itself.`,
  };
}
