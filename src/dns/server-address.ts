/**
 * `ip[:port]` server specs. Kept apart from the wire client so that parsing --resolver and
 * --authoritative at start-up does not load the DNS codec (measured: it is most of `--help`'s cost).
 */
import { isIP, isIPv4 } from '../util/ip.js';

export interface ServerAddress { host: string; port: number; family: 4 | 6 }

/** `1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353`. Returns null when it is not an address. */
export function parseServer(spec: string): ServerAddress | null {
  let host = spec.trim();
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (isIPv4(host.split(':')[0] ?? '') && host.includes(':')) {
    const [h, p] = host.split(':');
    host = h!;
    port = Number(p);
  }
  const family = isIP(host);
  if (family === 0 || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host, port, family: family as 4 | 6 };
}

export function formatServer(s: ServerAddress): string {
  const host = s.family === 6 ? `[${s.host}]` : s.host;
  return s.port === 53 ? s.host : `${host}:${s.port}`;
}
