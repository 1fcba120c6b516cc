/**
 * The zones that could hold a name, longest first: `a.b.mail.acme.com` → itself, `b.mail.acme.com`,
 * …, `acme.com` (a TLD alone is not asked for). A writer asks its host for all of them at once and
 * keeps the longest that exists: a delegated `mail.acme.com` zone wins over `acme.com`.
 * `underscoreZones: false` drops candidates whose first label starts with `_` (`_domainkey…`): for
 * hosts whose zones must be hostnames (Cloudflare). Route 53 can host a delegated
 * `_domainkey.acme.com`, and writing into the parent instead would publish records nobody serves.
 */
import { normaliseName } from '../model/record.js';

export function zoneCandidates(name: string, opts: { underscoreZones: boolean }): string[] {
  const labels = normaliseName(name).split('.');
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) {
    if (opts.underscoreZones || !labels[i]!.startsWith('_')) out.push(labels.slice(i).join('.'));
  }
  return out;
}
