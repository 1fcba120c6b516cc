/**
 * Which DNS host serves a zone, from its NS names. Data, not code: one pattern per host, matched on
 * every NS name; a host is named only when all the NS agree (mixed sets mean split or multi-provider
 * DNS, and guessing one would send the user to the wrong UI).
 */
export type RecordsHost = 'generic' | 'cloudflare' | 'route53' | 'godaddy' | 'namecheap';

export interface HostPattern {
  id: string;
  name: string;
  pattern: RegExp;
  /** The `records --for` rendering that fits its UI. */
  recordsFor: RecordsHost;
  /** An API writer exists (autoconfig). */
  writer: boolean;
}

export const HOST_PATTERNS: readonly HostPattern[] = [
  { id: 'cloudflare', name: 'Cloudflare', pattern: /\.ns\.cloudflare\.com$/, recordsFor: 'cloudflare', writer: true },
  { id: 'route53', name: 'Amazon Route 53', pattern: /^ns-\d+\.awsdns-\d+\.(com|net|org|co\.uk)$/, recordsFor: 'route53', writer: true },
  { id: 'godaddy', name: 'GoDaddy', pattern: /\.domaincontrol\.com$/, recordsFor: 'godaddy', writer: false },
  { id: 'namecheap', name: 'Namecheap', pattern: /\.registrar-servers\.com$/, recordsFor: 'namecheap', writer: false },
  { id: 'google', name: 'Google Cloud DNS', pattern: /^ns-cloud-[a-e][1-4]\.googledomains\.com$/, recordsFor: 'generic', writer: false },
  { id: 'squarespace', name: 'Squarespace (Google Domains)', pattern: /^ns[1-4]\.googledomains\.com$/, recordsFor: 'generic', writer: false },
  { id: 'azure', name: 'Azure DNS', pattern: /\.azure-dns\.(com|net|org|info)$/, recordsFor: 'generic', writer: false },
  { id: 'digitalocean', name: 'DigitalOcean', pattern: /^ns[1-3]\.digitalocean\.com$/, recordsFor: 'generic', writer: false },
  { id: 'hetzner', name: 'Hetzner DNS', pattern: /\.ns\.hetzner\.(com|de)$/, recordsFor: 'generic', writer: false },
  { id: 'ovh', name: 'OVHcloud', pattern: /\.ovh\.(net|ca)$/, recordsFor: 'generic', writer: false },
  { id: 'ionos', name: 'IONOS', pattern: /\.ui-dns\.(com|de|org|biz)$/, recordsFor: 'generic', writer: false },
  { id: 'vercel', name: 'Vercel', pattern: /\.vercel-dns\.com$/, recordsFor: 'generic', writer: false },
  { id: 'ns1', name: 'NS1 / Netlify', pattern: /\.nsone\.net$/, recordsFor: 'generic', writer: false },
  { id: 'gandi', name: 'Gandi', pattern: /\.gandi\.net$/, recordsFor: 'generic', writer: false },
  { id: 'porkbun', name: 'Porkbun', pattern: /\.porkbun\.com$/, recordsFor: 'generic', writer: false },
  { id: 'linode', name: 'Linode / Akamai', pattern: /^ns[1-5]\.linode\.com$/, recordsFor: 'generic', writer: false },
  { id: 'resellerclub', name: 'ResellerClub', pattern: /^dns[1-4]\.resellerclub\.com$/, recordsFor: 'generic', writer: true },
];

/** The host all NS names agree on, or null. */
export function detectHost(nameservers: string[]): HostPattern | null {
  if (nameservers.length === 0) return null;
  const hits = nameservers.map((ns) => HOST_PATTERNS.find((h) => h.pattern.test(ns.toLowerCase().replace(/\.$/, ''))) ?? null);
  const first = hits[0];
  return first && hits.every((h) => h?.id === first.id) ? first : null;
}
