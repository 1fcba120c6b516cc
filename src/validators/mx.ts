/**
 * MX audit (RFC 5321 §5.1, RFC 7505 null MX, RFC 2181 §10.3 no aliases as exchanges). A missing MX
 * is only a warning: a sending-only subdomain needs none (its bounces go to the provider's MAIL FROM
 * domain). Reverse DNS (PTR) of the exchanges is not checked: it belongs to whoever runs the
 * servers, not to the domain's zone.
 */
import { isIP } from '../util/ip.js';
import type { DnsAnswer, Lookup } from '../dns/types.js';
import { isFailure } from '../dns/types.js';
import type { CheckResult, Finding } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';
import { followCnames } from './cname.js';

export interface MxHost {
  preference: number;
  exchange: string;
  addresses: string[];
  /** Set when the exchange is an alias (first CNAME target). */
  cname: string | null;
}

export interface MxDetail {
  outcome: DnsAnswer['outcome'];
  /** The name the MX records were found at (differs from the domain when it is an alias). */
  effectiveDomain: string;
  nullMx: boolean;
  hosts: MxHost[];
  /** Where mail would be delivered, by preference; `preference: null` is the implicit MX (RFC 5321 §5.1). */
  deliverTo: Array<{ preference: number | null; host: string }>;
}

/** Exchanges looked up per audit: RFC 7208's limit for an SPF `mx` term, a generous real-world set. */
export const MX_MAX_CHECKED = 10;

const isRoot = (exchange: string): boolean => exchange === '' || exchange === '.';
/** `10 mail.example.com` pasted whole into the target field (the wire may escape the space). */
const PRIORITY_WITH_SPACE = /^(\d{1,5})(?:\s|\\032|\\ )+(\S+\.\S+)$/;
/** `10.mail.example.com`: a UI turned the space into a dot. Only a finding when the name has no address. */
const PRIORITY_AS_LABEL = /^(\d{1,5})\.([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;
const looksLikeIp = (s: string): boolean => isIP(s) !== 0 || /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || /^\[.*\]$/.test(s);

const addrs = (a: DnsAnswer): string[] => a.records.flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.data] : []));

/** Audit the MX records of `domain`. Never throws; DNS failures become `status: none`. */
export async function auditMx(domain: string, lookup: Lookup): Promise<CheckResult> {
  const findings: Finding[] = [];
  const detail: MxDetail = { outcome: 'answer', effectiveDomain: domain, nullMx: false, hosts: [], deliverTo: [] };
  const done = (record: string[] | null, status?: CheckResult['status']): CheckResult =>
    ({ check: 'mx', status: status ?? statusFromFindings(findings), name: domain, record, findings, detail });

  const mx = await lookup(domain, 'MX');
  detail.outcome = mx.outcome;
  if (isFailure(mx)) {
    // Servers answer SERVFAIL for a CNAME loop; tell that permanent error from a transient one.
    const walk = await followCnames(domain, lookup);
    if (walk.loop) {
      findings.push({ severity: 'error', code: 'MX_CNAME_LOOP', message: `${domain} is an alias in a CNAME loop (${walk.chain.join(' → ')}), so no mail can be delivered to it.`, name: domain, term: null, hint: `Break the loop: point ${domain} at a real name or give it its own records.` });
      return done(null);
    }
    findings.push({ severity: 'warning', code: 'MX_UNCHECKED', message: `The MX lookup for ${domain} failed (${mx.outcome}), so MX could not be checked.`, name: domain, term: null, hint: 'Retry later or with another --resolver; this says nothing about whether MX records exist.' });
    return done(null, 'none');
  }
  if (mx.cnames.length > 0) detail.effectiveDomain = String(mx.cnames[mx.cnames.length - 1]!.data);

  if (mx.outcome !== 'answer') {
    let implicit = false;
    if (mx.outcome === 'nodata') {
      const [a, aaaa] = await Promise.all([lookup(domain, 'A'), lookup(domain, 'AAAA')]);
      implicit = addrs(a).length + addrs(aaaa).length > 0;
      if (implicit) detail.deliverTo = [{ preference: null, host: detail.effectiveDomain }];
    }
    const why = mx.outcome === 'nxdomain' ? `${domain} does not exist (NXDOMAIN)` : `${domain} has no MX records`;
    const then = implicit ? '; mail to it goes to its A/AAAA address (implicit MX)' : ', so it cannot receive mail (bounces and replies included)';
    findings.push({ severity: 'warning', code: 'MX_MISSING', message: `${why}${then}.`, name: domain, term: null, hint: 'A sending-only subdomain may not need MX; to receive mail, publish MX records, or publish "0 ." (null MX) to say it receives none.' });
    return done(null);
  }

  const mxs = mx.records.flatMap((r) => (r.type === 'MX' ? [r.data] : []));
  mxs.sort((a, b) => a.preference - b.preference || a.exchange.localeCompare(b.exchange));
  const record = mxs.map((m) => `${m.preference} ${isRoot(m.exchange) ? '.' : m.exchange}`);
  const nulls = mxs.filter((m) => isRoot(m.exchange));
  if (nulls.length > 0) {
    // RFC 7505: a null MX is a single record "0 ."; anything else is malformed and confuses senders.
    detail.nullMx = true;
    if (mxs.length === 1 && nulls[0]!.preference === 0) {
      findings.push({ severity: 'info', code: 'MX_NULL', message: `${domain} publishes a null MX (RFC 7505): it receives no mail.`, name: domain, term: null, hint: 'Replace the null MX with real MX records if the domain must receive mail (bounces included).' });
    } else {
      const why = mxs.length > 1 ? 'is mixed with other MX records' : `has preference ${nulls[0]!.preference} instead of 0`;
      findings.push({ severity: 'error', code: 'MX_NULL_INVALID', message: `The null MX (target ".") ${why}; RFC 7505 allows only a single "0 .".`, name: domain, term: null, hint: mxs.length > 1 ? 'Delete the "." MX if the domain receives mail, or delete the others if it does not.' : 'Publish the null MX as "0 .".' });
    }
    if (mxs.length === nulls.length) return done(record);
  }

  const real = mxs.filter((m) => !isRoot(m.exchange));
  // Bounded work (DESIGN.md): the first MX_MAX_CHECKED distinct exchanges by preference are checked,
  // the rest only counted, so a record set of thousands costs what ten do. Senders try exchanges in
  // preference order, so these are the ones mail goes to first.
  const distinct = [...new Set(real.map((m) => m.exchange))];
  const checked = new Set(distinct.slice(0, MX_MAX_CHECKED));
  const skipped = real.filter((m) => !checked.has(m.exchange));
  for (const m of skipped) detail.deliverTo.push({ preference: m.preference, host: m.exchange });
  if (skipped.length > 0) {
    const hosts = distinct.length - checked.size;
    findings.push({ severity: 'warning', code: 'MX_NOT_FOLLOWED', message: `${domain} has ${real.length} MX records naming ${distinct.length} hosts; the ${checked.size} most preferred were checked, the other ${hosts} were not looked up.`, name: domain, term: null, hint: `Keep the MX set small (an SPF "mx" term is a permerror beyond ${MX_MAX_CHECKED} hosts) and check the rest by hand.` });
  }
  const seen = new Set<string>();
  await Promise.all(real.filter((m) => checked.has(m.exchange)).map(async (m) => {
    const host: MxHost = { preference: m.preference, exchange: m.exchange, addresses: [], cname: null };
    detail.hosts.push(host);
    detail.deliverTo.push({ preference: m.preference, host: m.exchange });
    if (seen.has(m.exchange)) return;
    seen.add(m.exchange);
    const pasted = PRIORITY_WITH_SPACE.exec(m.exchange);
    if (pasted) {
      findings.push(priorityInValue(domain, m.exchange, pasted[1]!, pasted[2]!));
      return;
    }
    if (looksLikeIp(m.exchange)) {
      findings.push({ severity: 'error', code: 'MX_TARGET_IP', message: `The MX target ${m.exchange} is an IP address; an MX must name a host.`, name: domain, term: null, hint: `Create an A record (e.g. mx.${domain}) for ${m.exchange} and point the MX at that name.` });
      return;
    }
    const [a, aaaa] = await Promise.all([lookup(m.exchange, 'A'), lookup(m.exchange, 'AAAA')]);
    host.addresses = [...addrs(a), ...addrs(aaaa)];
    const alias = a.cnames[0] ?? aaaa.cnames[0];
    if (alias) {
      host.cname = String(alias.data);
      findings.push({ severity: 'error', code: 'MX_TARGET_CNAME', message: `The MX target ${m.exchange} is a CNAME to ${host.cname}; RFC 2181 forbids aliases as mail exchangers.`, name: m.exchange, term: null, hint: `Point the MX directly at ${String(a.cnames[a.cnames.length - 1]?.data ?? host.cname)}.` });
    }
    if (host.addresses.length > 0 || isFailure(a) || isFailure(aaaa)) {
      if (host.addresses.length === 0) {
        findings.push({ severity: 'warning', code: 'MX_UNCHECKED', message: `The address lookup for the MX target ${m.exchange} failed.`, name: m.exchange, term: null, hint: 'Retry later or with another --resolver.' });
      }
      return;
    }
    const asLabel = PRIORITY_AS_LABEL.exec(m.exchange);
    if (asLabel) {
      findings.push(priorityInValue(domain, m.exchange, asLabel[1]!, asLabel[2]!));
      return;
    }
    findings.push({ severity: 'warning', code: 'MX_TARGET_NO_ADDRESS', message: `The MX target ${m.exchange} has no A or AAAA record, so mail cannot be delivered to it.`, name: m.exchange, term: null, hint: `Check the spelling of ${m.exchange} against your provider's value.` });
  }));
  detail.hosts.sort((x, y) => x.preference - y.preference || x.exchange.localeCompare(y.exchange));
  detail.deliverTo.sort((x, y) => (x.preference ?? 0) - (y.preference ?? 0) || x.host.localeCompare(y.host));

  const counts = new Map<string, number>();
  for (const m of real) counts.set(m.exchange, (counts.get(m.exchange) ?? 0) + 1);
  for (const [host, n] of counts) {
    if (n > 1 && checked.has(host)) {
      findings.push({ severity: 'warning', code: 'MX_DUPLICATE_HOST', message: `${host} is listed in ${n} MX records; the extra records add no redundancy.`, name: domain, term: null, hint: `Keep one MX record for ${host}.` });
    }
  }
  return done(record);
}

function priorityInValue(domain: string, exchange: string, pref: string, host: string): Finding {
  return {
    severity: 'error', code: 'MX_PRIORITY_IN_VALUE', name: domain, term: null,
    message: `The MX target "${exchange}" has the priority pasted into it; senders look for a host literally named that.`,
    hint: `Set the target to ${host} and put ${pref} in the priority field.`,
  };
}
