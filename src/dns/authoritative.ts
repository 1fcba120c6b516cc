/**
 * Who is authoritative for a name: find the zone cut (the closest enclosing name that owns an SOA),
 * read its NS set, and resolve each nameserver's addresses — all through a recursive resolver.
 * Truth about a zone is what these servers answer to non-recursive questions.
 */
import { MailsetupError } from '../errors.js';
import type { Lookup } from './types.js';
import { isFailure } from './types.js';

export interface Nameserver { host: string; addresses: string[] }
export interface AuthoritativeSet {
  zone: string;
  nameservers: Nameserver[];
  /** Every address of every nameserver, IPv4 first (what non-recursive questions go to). */
  servers: string[];
}

/** The apex of the zone holding `name`: the closest enclosing name that owns an SOA record. */
export async function findZoneCut(name: string, resolver: Lookup): Promise<string> {
  const labels = name.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.');
    const soa = await resolver(candidate, 'SOA');
    if (isFailure(soa)) {
      throw new MailsetupError('DNS_UNAVAILABLE', `could not find the zone of ${name}: the resolver ${soa.server} answered ${soa.outcome} for ${candidate} SOA`, {
        hint: 'Check the resolver (--resolver) or name the zone\'s servers with --authoritative.',
      });
    }
    if (soa.records.some((r) => r.type === 'SOA' && r.name === candidate) && soa.cnames.length === 0) return candidate;
  }
  throw new MailsetupError('DOMAIN_NOT_FOUND', `no DNS zone holds ${name}`, {
    hint: 'Check the spelling, and that the domain is registered and delegated.',
  });
}

export async function discoverAuthoritative(name: string, resolver: Lookup): Promise<AuthoritativeSet> {
  const zone = await findZoneCut(name, resolver);
  const ns = await resolver(zone, 'NS');
  const hosts = ns.records.flatMap((r) => (r.type === 'NS' ? [r.data] : []));
  if (hosts.length === 0) {
    throw new MailsetupError('DNS_UNAVAILABLE', `the zone ${zone} has no NS records the resolver can see (${ns.outcome})`, {
      hint: 'Check the delegation at the registrar, or name the servers with --authoritative.',
    });
  }
  const nameservers = await Promise.all(hosts.sort().map(async (host) => {
    const [a, aaaa] = await Promise.all([resolver(host, 'A'), resolver(host, 'AAAA')]);
    const addresses = [...a.records, ...aaaa.records].flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.data] : []));
    return { host, addresses };
  }));
  const v4 = nameservers.flatMap((n) => n.addresses.filter((x) => !x.includes(':')));
  const v6 = nameservers.flatMap((n) => n.addresses.filter((x) => x.includes(':')));
  const servers = [...new Set([...v4, ...v6])];
  if (servers.length === 0) {
    throw new MailsetupError('DNS_UNAVAILABLE', `none of the nameservers of ${zone} (${hosts.join(', ')}) has an address`, {
      hint: 'Fix the nameservers\' A/AAAA records (glue), or name the servers with --authoritative.',
    });
  }
  return { zone, nameservers, servers };
}
