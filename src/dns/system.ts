import { readFileSync } from 'node:fs';
import { parseServer } from './server-address.js';

/** Nameservers from /etc/resolv.conf (the system's resolvers), in order; 127.0.0.1 when none. */
export function systemResolvers(path = '/etc/resolv.conf'): string[] {
  let text = '';
  try { text = readFileSync(path, 'utf8'); } catch { return ['127.0.0.1']; }
  const found = text.split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((s): s is string => !!s && parseServer(s.replace(/%.*$/, '')) !== null)
    .map((s) => s.replace(/%.*$/, ''));
  return found.length > 0 ? found : ['127.0.0.1'];
}
