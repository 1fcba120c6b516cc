/**
 * Loopback emulator of the Cloudflare v4 API's zone and DNS-record endpoints (registrars.md §1.3–1.6,
 * §7.1), close enough that the real `cloudflare` SDK cannot tell: the `{success, errors, messages,
 * result, result_info}` envelope, Bearer-token auth, page/per_page paging that answers an empty page
 * past the end, the duplicate and CNAME-conflict errors (81058, 81053, 81054), and TXT content kept
 * as sent (a quoted string over 255 bytes is stored split, as Cloudflare does). Error codes for the
 * injected faults (9109, 971, 10002) follow public reports, not a captured exchange.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normaliseName, unquoteTxt } from '../../src/model/record.js';
import type { HostRecord } from '../../src/dns-hosts/types.js';
import type { DnsHostEmulator } from './dns-host-types.js';
import { createFaultSwitch, startLoopbackServer, type FaultAnswers } from './harness.js';

export const CF_FAKE_TOKEN = 'cf-fake-test-token';

export interface CfStored {
  id: string; zone_id: string; zone_name: string; type: string; name: string; content: string; ttl: number;
  proxied: boolean; proxiable: boolean; priority?: number; comment: string | null; tags: string[];
  settings: Record<string, unknown>; meta: Record<string, unknown>; created_on: string; modified_on: string;
}
export interface CfCall { method: string; path: string; query: Record<string, string>; body: unknown; headers: Record<string, string | undefined> }

export interface CloudflareEmulator extends DnsHostEmulator {
  calls: CfCall[];
  /** Records exactly as stored (content as sent). */
  raw(zone: string): CfStored[];
  /** Store a record with raw fields (content exactly as given, proxied …). */
  seedRaw(zone: string, r: Partial<CfStored> & { type: string; name: string; content: string }): CfStored;
}

class CfError extends Error {
  constructor(readonly status: number, readonly code: number, message: string) { super(message); }
}

const TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'PTR', 'SRV', 'TXT', 'HTTPS', 'SVCB']);
const PROXIABLE = new Set(['A', 'AAAA', 'CNAME']);
const hex = () => randomBytes(16).toString('hex');
const QUOTED = /^"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*$/s;

/** Cloudflare's storage rule for quoted TXT content: any string over 255 bytes is split. */
function storeTxt(content: string): string {
  if (!QUOTED.test(content.trim())) return content;
  return [...content.trim().matchAll(/"((?:[^"\\]|\\.)*)"/gs)].flatMap((m) => {
    const parts: string[] = [];
    let s = m[1]!;
    while (Buffer.byteLength(s.replace(/\\(.)/g, '$1')) > 255) {
      let cut = 255;
      while (Buffer.byteLength(s.slice(0, cut).replace(/\\(.)/g, '$1')) > 255 || s[cut - 1] === '\\') cut--;
      parts.push(s.slice(0, cut));
      s = s.slice(cut);
    }
    parts.push(s);
    return parts.map((p) => `"${p}"`);
  }).join(' ');
}

export async function startCloudflareEmulator(): Promise<CloudflareEmulator> {
  const zones = new Map<string, { id: string; name: string }>(); // by id
  const records: CfStored[] = [];
  const calls: CfCall[] = [];
  const faults = createFaultSwitch();

  const zoneByName = (name: string) => [...zones.values()].find((z) => z.name === normaliseName(name));
  const now = () => new Date().toISOString();

  function validate(zone: { id: string; name: string }, r: CfStored, self?: string): void {
    if (!TYPES.has(r.type)) throw new CfError(400, 1004, `DNS Validation Error: unsupported record type ${r.type}`);
    if (!(r.name === zone.name || r.name.endsWith(`.${zone.name}`))) r.name = r.name === '@' ? zone.name : `${r.name}.${zone.name}`;
    if (!r.content) throw new CfError(400, 9007, 'Content for record is invalid.');
    if (!(r.ttl === 1 || (r.ttl >= 60 && r.ttl <= 86400))) throw new CfError(400, 9021, 'Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.');
    if (r.proxied && !PROXIABLE.has(r.type)) throw new CfError(400, 9004, 'This record type cannot be proxied.');
    if (r.type === 'MX' && !(Number.isInteger(r.priority) && r.priority! >= 0 && r.priority! <= 65535)) throw new CfError(400, 9100, 'MX records require a priority between 0 and 65535.');
    if (r.type === 'CNAME' && normaliseName(r.content) === r.name) throw new CfError(400, 9039, 'CNAME content cannot reference itself.');
    if (r.type === 'TXT' && r.content.length > 4096) throw new CfError(400, 9100, 'TXT content is too long.');
    const here = records.filter((x) => x.zone_id === zone.id && x.name === r.name && x.id !== self);
    if (r.type === 'CNAME' && here.length > 0) throw new CfError(400, 81053, 'An A, AAAA, or CNAME record with that host already exists.');
    if (r.type !== 'CNAME' && here.some((x) => x.type === 'CNAME')) throw new CfError(400, 81054, 'A CNAME record with that host already exists.');
    if (here.some((x) => x.type === r.type && x.content === r.content && x.priority === r.priority)) throw new CfError(400, 81058, 'An identical record already exists.');
  }

  function build(zone: { id: string; name: string }, body: Record<string, unknown>, base?: CfStored): CfStored {
    const type = String(body.type ?? base?.type ?? '').toUpperCase();
    const content = String(body.content ?? base?.content ?? '');
    const r: CfStored = {
      id: base?.id ?? hex(), zone_id: zone.id, zone_name: zone.name, type,
      name: normaliseName(String(body.name ?? base?.name ?? '')),
      content: type === 'TXT' ? storeTxt(content) : content,
      ttl: Number(body.ttl ?? base?.ttl ?? 1), proxied: Boolean(body.proxied ?? base?.proxied ?? false), proxiable: PROXIABLE.has(type),
      comment: (body.comment ?? base?.comment ?? null) as string | null, tags: (body.tags ?? base?.tags ?? []) as string[],
      settings: (body.settings ?? base?.settings ?? {}) as Record<string, unknown>, meta: {},
      created_on: base?.created_on ?? now(), modified_on: now(),
    };
    if (type === 'MX') r.priority = Number(body.priority ?? base?.priority);
    return r;
  }

  function page<T>(all: T[], query: URLSearchParams, dflt: number, max: number) {
    const perPage = Math.min(max, Math.max(1, Number(query.get('per_page') ?? dflt)));
    const p = Math.max(1, Number(query.get('page') ?? 1));
    const result = all.slice((p - 1) * perPage, p * perPage);
    return { result, result_info: { page: p, per_page: perPage, count: result.length, total_count: all.length, total_pages: Math.max(1, Math.ceil(all.length / perPage)) } };
  }

  function route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): { result: unknown; result_info?: unknown } {
    if (path === '/zones' && method === 'GET') {
      const name = query.get('name')?.toLowerCase();
      const list = [...zones.values()].filter((z) => !name || z.name === name).map((z) => ({
        id: z.id, name: z.name, status: 'active', paused: false, type: 'full', development_mode: 0,
        name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'], account: { id: 'acc0', name: 'emulator' },
      }));
      return page(list, query, 20, 50);
    }
    const m = path.match(/^\/zones\/([^/]+)(\/dns_records(?:\/([^/]+))?)?$/);
    if (!m) throw new CfError(404, 7000, 'No route for that URI');
    const zone = zones.get(m[1]!);
    if (!zone) throw new CfError(404, 7003, `Could not route to /zones/${m[1]}, perhaps your object identifier is invalid?`);
    if (!m[2]) { if (method === 'GET') return { result: { id: zone.id, name: zone.name, status: 'active' } }; throw new CfError(405, 10405, 'Method not allowed'); }
    const inZone = records.filter((r) => r.zone_id === zone.id);
    if (!m[3]) {
      if (method === 'GET') {
        const name = (query.get('name.exact') ?? query.get('name'))?.toLowerCase();
        const content = query.get('content.exact') ?? query.get('content');
        const list = inZone.filter((r) => (!query.get('type') || r.type === query.get('type')) && (!name || r.name === normaliseName(name))
          && (content === null || r.content.toLowerCase() === content.toLowerCase()));
        return page(list, query, 100, 5000);
      }
      if (method === 'POST') {
        const r = build(zone, body);
        validate(zone, r);
        records.push(r);
        return { result: r };
      }
      throw new CfError(405, 10405, 'Method not allowed');
    }
    const idx = records.findIndex((r) => r.zone_id === zone.id && r.id === m[3]);
    if (idx < 0) throw new CfError(404, 81044, 'Record does not exist.');
    const cur = records[idx]!;
    if (method === 'GET') return { result: cur };
    if (method === 'DELETE') { records.splice(idx, 1); return { result: { id: cur.id } }; }
    if (method === 'PUT' || method === 'PATCH') {
      const r = build(zone, body, method === 'PATCH' ? cur : { ...cur, comment: null, tags: [], settings: {}, proxied: false, priority: undefined } as CfStored);
      validate(zone, r, cur.id);
      records[idx] = r;
      return { result: r };
    }
    throw new CfError(405, 10405, 'Method not allowed');
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    if (res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
  }
  const sendError = (res: ServerResponse, e: CfError, headers: Record<string, string> = {}) =>
    send(res, e.status, { success: false, errors: [{ code: e.code, message: e.message }], messages: [], result: null }, { 'x-should-retry': 'false', ...headers });

  const answers: FaultAnswers = {
    auth: (res) => sendError(res, new CfError(401, 9109, 'Invalid access token')),
    forbidden: (res) => sendError(res, new CfError(403, 10000, 'Authentication error')),
    rateLimit: (res, retryAfter) => sendError(res, new CfError(429, 971, 'Please wait and consider throttling your request speed'), retryAfter),
    serverError: (res) => sendError(res, new CfError(500, 10002, 'An unknown error has occurred')),
    malformed: '{"success": true, "result": <html>502 Bad Gateway',
    truncated: '{"success":true,"result":[',
  };

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string, url: URL) {
    const path = url.pathname.replace(/^\/client\/v4/, '');
    let body: Record<string, unknown> = {};
    let parsed = true;
    try { body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}; } catch { parsed = false; }
    const headers = Object.fromEntries(['authorization', 'x-auth-key', 'x-auth-email'].map((h) => [h, req.headers[h] as string | undefined]));
    calls.push({ method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body: raw ? body : undefined, headers });
    // `afterRequests` counts writes only: "fail everything after the first write" must not depend on
    // how many reads a writer makes first (its pin re-reads).
    if (await faults.answer(res, faults.next(req.method !== 'GET'), answers)) return;

    const auth = String(req.headers.authorization ?? '');
    if (!/^Bearer \S+$/.test(auth)) {
      return send(res, 400, { success: false, errors: [{ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }] }], messages: [], result: null }, { 'x-should-retry': 'false' });
    }
    if (auth !== `Bearer ${CF_FAKE_TOKEN}`) return sendError(res, new CfError(403, 10000, 'Authentication error'));
    if (!parsed) return sendError(res, new CfError(400, 6007, 'Malformed JSON in request body'));
    try {
      send(res, 200, { success: true, errors: [], messages: [], ...route(req.method ?? 'GET', path, url.searchParams, body) });
    } catch (e) {
      if (e instanceof CfError) sendError(res, e);
      else send(res, 500, { success: false, errors: [{ code: 10002, message: String(e) }], messages: [], result: null });
    }
  }

  const server = await startLoopbackServer((req, res, raw, url) => handle(req, res, raw.toString('utf8'), url), faults);
  const { baseUrl, requests } = server;

  function seedRaw(zoneName: string, r: Partial<CfStored> & { type: string; name: string; content: string }): CfStored {
    const zone = zoneByName(zoneName);
    if (!zone) throw new Error(`no zone ${zoneName}`);
    const stored = build(zone, r as unknown as Record<string, unknown>);
    validate(zone, stored);
    records.push(stored);
    return stored;
  }

  return {
    baseUrl,
    env: { CLOUDFLARE_API_TOKEN: CF_FAKE_TOKEN, CLOUDFLARE_BASE_URL: `${baseUrl}/client/v4` },
    credentialEnv: ['CLOUDFLARE_API_TOKEN'],
    requests,
    calls,
    addZone(name) {
      if (zoneByName(name)) return;
      const id = hex();
      zones.set(id, { id, name: normaliseName(name) });
    },
    seed(zone, r: HostRecord) {
      // Pre-existing records as another tool left them: TXT content unquoted, TTL as given.
      seedRaw(zone, { type: r.type, name: r.name, content: r.value, ttl: r.ttl ?? 1, proxied: r.proxied ?? false, ...(r.priority !== null ? { priority: r.priority } : {}) });
    },
    seedRaw,
    raw: (zone) => records.filter((r) => r.zone_name === normaliseName(zone)),
    records: (zone) => records.filter((r) => r.zone_name === normaliseName(zone)).map((r) => ({
      type: r.type, name: r.name,
      value: r.type === 'TXT' ? unquoteTxt(r.content) : ['CNAME', 'MX'].includes(r.type) ? normaliseName(r.content) : r.content,
      priority: r.type === 'MX' ? r.priority ?? 0 : null, ttl: r.ttl === 1 ? null : r.ttl, hostId: r.id, proxied: r.proxied,
    })),
    fail: faults.fail,
    close: server.close,
  };
}
