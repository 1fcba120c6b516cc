/**
 * One HTTPS GET as MTA-STS (RFC 8461 §3.3) and BIMI fetch their documents: the host name resolved
 * through the run's own DNS lookup (so `--resolver` and the tests govern it), the certificate checked
 * against the system store plus `NODE_EXTRA_CA_CERTS` (Node's default CA set), no redirect followed,
 * a byte cap, one overall deadline. Never throws: every way it can go wrong is a `FetchFailure` whose
 * `kind` says whether the server *answered* something wrong (status, redirect, size, certificate)
 * or could not be asked at all (DNS failure, timeout, connection refused) — the latter is "could not
 * check", never "missing".
 *
 * `node:https` is imported here, on first use, so no TLS/HTTP module loads on the `--help` path.
 *
 * Test hook: with `MAILSETUP_TEST_HTTPS_PORT` set, a URL without a port that resolves to a loopback
 * address is fetched on that port instead of 443 (tests run servers on loopback without privileges).
 * It has no effect on any other address.
 */
import { isIP } from '../util/ip.js';
import type { Lookup } from '../dns/types.js';
import { isFailure } from '../dns/types.js';

export type FetchFailureKind =
  /** The host name does not exist or has no address: the document is not published. */
  | 'no-host'
  /** The host name could not be resolved (SERVFAIL, timeout): could not check. */
  | 'dns-failed'
  /** No connection, a timeout, a reset: could not check from here. */
  | 'network'
  /** The TLS certificate did not validate (expired, wrong name, unknown issuer). */
  | 'cert'
  /** A 3xx: redirects are not followed (RFC 8461 §3.3). */
  | 'redirect'
  /** Any status other than 200 (and not a redirect). */
  | 'status'
  /** The body is over the cap. */
  | 'too-large'
  /** Not an https: URL, or not a URL at all. */
  | 'bad-url';

export interface FetchFailure { ok: false; kind: FetchFailureKind; message: string; status?: number; certCode?: string }
export interface FetchSuccess { ok: true; status: 200; contentType: string | null; body: Buffer; address: string; peerCertificate?: unknown }
export type FetchResult = FetchSuccess | FetchFailure;

export interface FetchOptions { timeoutMs: number; maxBytes: number }

/** The HTTPS port the validators take (injectable, as DNS is). */
export type HttpsFetcher = (url: string, lookup: Lookup, opts: FetchOptions) => Promise<FetchResult>;

const LOOPBACK = (ip: string) => /^127\./.test(ip) || ip === '::1';

/** TLS error codes that mean "the certificate did not validate", not "could not connect". */
function isCertError(code: string | undefined): boolean {
  return !!code && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|ALTNAME|HOSTNAME|ISSUER|CHAIN|SIGNATURE_FAILURE/.test(code);
}

/** The addresses of `host` through `lookup`: A first, then AAAA. */
async function resolveHost(host: string, lookup: Lookup): Promise<{ addresses: string[] } | FetchFailure> {
  if (isIP(host)) return { addresses: [host] };
  const [a4, a6] = await Promise.all([lookup(host, 'A'), lookup(host, 'AAAA')]);
  const addrs = [...a4.records, ...a6.records].flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.data] : []));
  if (addrs.length > 0) return { addresses: addrs };
  if (isFailure(a4) || isFailure(a6)) {
    const bad = isFailure(a4) ? a4 : a6;
    return { ok: false, kind: 'dns-failed', message: `the address of ${host} could not be looked up (${bad.outcome}${bad.error ? `: ${bad.error}` : ''})` };
  }
  return { ok: false, kind: 'no-host', message: `${host} has no address (${a4.outcome === 'nxdomain' ? 'the name does not exist' : 'no A or AAAA record'})` };
}

export async function fetchHttps(url: string, lookup: Lookup, opts: FetchOptions): Promise<FetchResult> {
  let u: URL;
  try { u = new URL(url); } catch { return { ok: false, kind: 'bad-url', message: `not a URL: ${url}` }; }
  if (u.protocol !== 'https:') return { ok: false, kind: 'bad-url', message: `not an https: URL: ${url}` };
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const resolved = await resolveHost(host, lookup);
  if ('ok' in resolved) return resolved;
  const address = resolved.addresses[0]!;
  const testPort = Number(process.env.MAILSETUP_TEST_HTTPS_PORT);
  const port = u.port ? Number(u.port) : testPort > 0 && LOOPBACK(address) ? testPort : 443;
  const https = await import('node:https');

  return new Promise<FetchResult>((resolve) => {
    let settled = false;
    const done = (r: FetchResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, kind: 'network', message: `no complete answer from ${host} within ${opts.timeoutMs} ms` }), opts.timeoutMs);
    const req = https.request({
      host: address, port, method: 'GET', path: `${u.pathname}${u.search}`,
      ...(isIP(host) ? {} : { servername: host }),
      headers: { host: u.host, 'user-agent': 'mailsetup', accept: '*/*' },
      agent: false, rejectUnauthorized: true,
    }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        return done({ ok: false, kind: 'redirect', status, message: `${url} answered ${status} (a redirect${res.headers.location ? ` to ${res.headers.location}` : ''}), which is not followed` });
      }
      if (status !== 200) return done({ ok: false, kind: 'status', status, message: `${url} answered HTTP ${status}` });
      const declared = Number(res.headers['content-length']);
      if (declared > opts.maxBytes) return done({ ok: false, kind: 'too-large', message: `${url} is ${declared} bytes, over the ${opts.maxBytes}-byte limit` });
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBytes) return done({ ok: false, kind: 'too-large', message: `${url} is over the ${opts.maxBytes}-byte limit` });
        chunks.push(c);
      });
      res.on('end', () => {
        const socket = res.socket as import('node:tls').TLSSocket | null;
        done({ ok: true, status: 200, contentType: res.headers['content-type'] ?? null, body: Buffer.concat(chunks), address, peerCertificate: socket?.getPeerCertificate?.(true) });
      });
      res.on('error', (e) => done({ ok: false, kind: 'network', message: `${url}: ${e.message}` }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (isCertError(e.code)) return done({ ok: false, kind: 'cert', certCode: e.code!, message: `the certificate of ${host} did not validate (${e.code}: ${e.message})` });
      done({ ok: false, kind: 'network', message: `could not fetch ${url} from ${address}:${port} (${e.code ?? e.message})` });
    });
    req.end();
  });
}
