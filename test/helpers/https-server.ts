/**
 * An HTTPS server on loopback that answers per host name: the certificate is chosen by SNI, the
 * response by the Host header — so one server plays many domains' `mta-sts.` and BIMI hosts.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';

export interface Route { status?: number; headers?: Record<string, string>; body?: string | Buffer }
export interface HostConfig { cert: { key: string; cert: string }; routes: Record<string, Route> }
export interface TestHttps { port: number; requests: string[]; close(): Promise<void> }

export async function startHttps(hosts: Record<string, HostConfig>, fallback: { key: string; cert: string }, address = '127.0.0.1'): Promise<TestHttps> {
  const contexts = new Map(Object.entries(hosts).map(([h, c]) => [h, tls.createSecureContext(c.cert)]));
  const requests: string[] = [];
  const server = https.createServer({
    ...fallback,
    SNICallback: (name, cb) => cb(null, contexts.get(name.toLowerCase()) ?? tls.createSecureContext(fallback)),
  }, (req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    requests.push(`${host}${req.url}`);
    const route = hosts[host]?.routes[req.url ?? ''];
    if (!route) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found'); return; }
    res.writeHead(route.status ?? 200, route.headers ?? {});
    res.end(route.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, address, () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
