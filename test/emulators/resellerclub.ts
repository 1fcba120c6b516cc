/**
 * Loopback ResellerClub / LogicBoxes DNS API (registrars.md §3, checklist §7.3), base
 * `http://127.0.0.1:PORT/api`: `auth-userid` + `api-key` on every call, parameters from the query
 * string or a form body, `{"status":"ERROR","message"}` errors, search answers with numbered entries
 * and string counts. Texts the KB does not give (unknown domain, inactive DNS, duplicates) are our
 * best guess; the credential and IP-whitelist texts are the ones users report, with HTTP 500.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostRecord } from '../../src/dns-hosts/types.js';
import type { DnsHostEmulator } from './dns-host-types.js';
import { createFaultSwitch, startLoopbackServer, type FaultAnswers } from './harness.js';

const USERID = '424242';
const KEY = 'rc-fake-test-api-key';
const SEARCH_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV'];
/** Endpoint name → record type: `add-ipv4-record.json` writes an A record (registrars.md §3.2). */
const WRITE_TYPES: Record<string, string> = { txt: 'TXT', cname: 'CNAME', mx: 'MX', ipv4: 'A', ipv6: 'AAAA', ns: 'NS', srv: 'SRV' };

export interface ResellerclubEmulatorOptions {
  /** Return TXT values wrapped in quotes, as LogicBoxes is said to do on re-read. */
  quoteTxt?: boolean;
  /** Reject TTLs below 7200 (what known clients enforce). */
  strictTtl?: boolean;
}

interface Rec { host: string; type: string; value: string; ttl: number; priority: number | null }
interface Zone { name: string; orderId: number; active: boolean; records: Rec[] }

export interface ResellerclubEmulator extends DnsHostEmulator {
  addZone(name: string, options?: { activated?: boolean }): void;
  /** Simulate an API access list that does not hold our IP: every call is refused. */
  rejectAllIps(on: boolean): void;
  /** Process the next write, then drop the connection before answering (a lost reply). */
  loseNextWriteReply(): void;
  /** Every request with its merged parameters and content type. */
  calls: Array<{ method: string; path: string; params: Record<string, string>; contentType: string }>;
}

class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export async function startResellerclubEmulator(options: ResellerclubEmulatorOptions = {}): Promise<ResellerclubEmulator> {
  const zones = new Map<string, Zone>();
  const calls: ResellerclubEmulator['calls'] = [];
  const faults = createFaultSwitch();
  let rejectIps = false;
  let loseReply = false;
  let nextOrder = 90001;

  const fqdn = (host: string, zone: string) => (host === '@' || host === '' ? zone : `${host}.${zone}`);
  const relative = (name: string, zone: string) => (name === zone ? '@' : name.slice(0, -(zone.length + 1)));
  const unquote = (v: string) => (/^".*"$/s.test(v) ? v.slice(1, -1) : v);

  function zoneOf(p: Record<string, string>): Zone {
    const name = (p['domain-name'] ?? '').toLowerCase();
    if (name === '') throw new ApiError(400, 'domain-name is required');
    const z = zones.get(name);
    if (!z) throw new ApiError(500, `Domain name ${name} is not registered under this reseller account`);
    if (!z.active) throw new ApiError(500, `DNS service is not activated for ${name}`);
    return z;
  }

  function search(p: Record<string, string>): unknown {
    const z = zoneOf(p);
    const type = (p.type ?? '').toUpperCase();
    if (!SEARCH_TYPES.includes(type)) throw new ApiError(400, 'type is required and must be one of A, AAAA, CNAME, MX, NS, TXT, SRV');
    const size = Number(p['no-of-records']);
    const pageNo = Number(p['page-no']);
    if (!Number.isInteger(size) || size < 10 || size > 50) throw new ApiError(400, 'no-of-records must be between 10 and 50');
    if (!Number.isInteger(pageNo) || pageNo < 1) throw new ApiError(400, 'page-no is required');
    const all = z.records.filter((r) => r.type === type && (p.host === undefined || r.host === p.host) && (p.value === undefined || unquote(r.value) === unquote(p.value)));
    const page = all.slice((pageNo - 1) * size, pageNo * size);
    const out: Record<string, unknown> = { recsonpage: String(page.length), recsindb: String(all.length) };
    page.forEach((r, i) => {
      out[String(i + 1)] = {
        host: fqdn(r.host, z.name), type: r.type, timetolive: String(r.ttl), status: 'Active',
        value: type === 'TXT' && options.quoteTxt ? `"${r.value}"` : r.value,
        ...(r.priority === null ? {} : { priority: String(r.priority) }),
      };
    });
    return out;
  }

  function writeFields(p: Record<string, string>, type: string): { host: string; ttl: number; priority: number | null } {
    const host = (p.host ?? '@').toLowerCase();
    const ttl = p.ttl === undefined ? 14400 : Number(p.ttl);
    if (!Number.isInteger(ttl) || ttl < 0) throw new ApiError(400, 'Invalid ttl');
    if (options.strictTtl && ttl < 7200) throw new ApiError(400, 'TTL should be at least 7200');
    if (type !== 'MX' && type !== 'SRV') return { host, ttl, priority: null };
    const priority = Number(p.priority);
    if (p.priority === undefined || !Number.isInteger(priority)) throw new ApiError(400, `priority is required for ${type} records`);
    if (type === 'SRV' && (p.port === undefined || p.weight === undefined)) throw new ApiError(400, 'port and weight are required for SRV records');
    return { host, ttl, priority };
  }

  function add(p: Record<string, string>, type: string): unknown {
    const z = zoneOf(p);
    const value = p.value ?? '';
    if (value === '') throw new ApiError(400, 'value is required');
    const f = writeFields(p, type);
    // A CNAME stands alone: refused beside any other type, and nothing is added beside one.
    const atHost = z.records.filter((r) => r.host === f.host);
    if (atHost.some((r) => r.type === type && unquote(r.value) === value)) throw new ApiError(500, `Record already exists for ${f.host}`);
    if ((type === 'CNAME' && atHost.length > 0) || atHost.some((r) => r.type === 'CNAME')) throw new ApiError(500, `A CNAME record cannot coexist with other records at ${f.host}`);
    z.records.push({ host: f.host, type, value, ttl: f.ttl, priority: f.priority });
    return { status: 'Success', msg: 'Record added successfully' };
  }

  function update(p: Record<string, string>, type: string): unknown {
    const z = zoneOf(p);
    const f = writeFields(p, type);
    const current = p['current-value'];
    const next = p['new-value'];
    if (!current || !next) throw new ApiError(400, 'current-value and new-value are required');
    const rec = z.records.find((r) => r.type === type && r.host === f.host && unquote(r.value) === unquote(current));
    if (!rec) throw new ApiError(500, `No record found for ${f.host} with value ${current}`);
    Object.assign(rec, { value: next, ttl: f.ttl, priority: f.priority });
    return { status: 'Success', msg: 'Record updated successfully' };
  }

  function remove(p: Record<string, string>, type: string): unknown {
    const z = zoneOf(p);
    const host = (p.host ?? '@').toLowerCase();
    z.records = z.records.filter((r) => !(r.type === type && r.host === host && unquote(r.value) === unquote(p.value ?? '')));
    return { status: 'Success' }; // also when nothing matched (KB)
  }

  function route(method: string, path: string, p: Record<string, string>): unknown {
    if (rejectIps) throw new ApiError(500, 'Access Denied. You are not authorized to perform this action.');
    if (p['auth-userid'] !== USERID || p['api-key'] !== KEY) throw new ApiError(500, `Invalid credentials for ${p['auth-userid'] ?? ''}`);
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/api/dns/manage/search-records.json') return search(p);
    if (method === 'GET' && path === '/api/domains/orderid.json') {
      const z = zones.get((p['domain-name'] ?? '').toLowerCase());
      if (!z) throw new ApiError(500, `Website doesn't exist for ${p['domain-name'] ?? ''}`);
      return z.orderId;
    }
    if (method === 'POST' && path === '/api/dns/activate.json') {
      const z = [...zones.values()].find((x) => String(x.orderId) === p['order-id']);
      if (!z) throw new ApiError(500, 'Invalid order-id');
      z.active = true;
      return { status: 'Success', zoneid: `z${z.orderId}`, orderid: String(z.orderId) };
    }
    if (method === 'POST' && (m = /^\/api\/dns\/manage\/(add|update|delete)-([a-z0-9]+)-record\.json$/.exec(path)) && WRITE_TYPES[m[2]!]) {
      const type = WRITE_TYPES[m[2]!]!;
      return m[1] === 'add' ? add(p, type) : m[1] === 'update' ? update(p, type) : remove(p, type);
    }
    throw new ApiError(404, `emulator: no route for ${method} ${path}`); // fail closed
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  /** ResellerClub's answers; the credential error names the user id the request gave. */
  const answers = (params: Record<string, string>): FaultAnswers => ({
    auth: (res) => send(res, 401, { status: 'ERROR', message: `Invalid credentials for ${params['auth-userid'] ?? ''}` }),
    forbidden: (res) => send(res, 403, { status: 'ERROR', message: 'Access Denied. You are not authorized to perform this action.' }),
    rateLimit: (res, retryAfter) => send(res, 429, { status: 'ERROR', message: 'Too many requests' }, retryAfter),
    serverError: (res) => send(res, 500, { status: 'ERROR', message: 'An unexpected error occurred. Please try again later.' }),
    malformed: '{"recsonpage":"1","1":{"ho',
    truncated: '{"status":',
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'] ?? '';
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (raw.length > 0 && /^application\/x-www-form-urlencoded/i.test(contentType)) Object.assign(params, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
    calls.push({ method, path: url.pathname, params, contentType });
    const isWrite = method === 'POST';
    if (await faults.answer(res, faults.next(isWrite), answers(params))) return;
    try {
      const body = route(method, url.pathname, params);
      if (isWrite && loseReply) { loseReply = false; return void res.socket?.destroy(); }
      send(res, 200, body);
    } catch (e) {
      if (e instanceof ApiError) send(res, e.status, { status: 'ERROR', message: e.message });
      else send(res, 500, { status: 'ERROR', message: `emulator error: ${String(e)}` });
    }
  }

  const server = await startLoopbackServer(handle, faults);
  const { requests } = server;
  const baseUrl = `${server.baseUrl}/api`;

  const zone = (name: string): Zone => {
    const z = zones.get(name.toLowerCase());
    if (!z) throw new Error(`resellerclub emulator: unknown zone ${name}`);
    return z;
  };

  return {
    baseUrl,
    env: { RESELLERCLUB_AUTH_USERID: USERID, RESELLERCLUB_API_KEY: KEY, RESELLERCLUB_BASE_URL: baseUrl },
    credentialEnv: ['RESELLERCLUB_AUTH_USERID', 'RESELLERCLUB_API_KEY'],
    requests,
    calls,
    addZone(name, opts = {}) { zones.set(name.toLowerCase(), { name: name.toLowerCase(), orderId: nextOrder++, active: opts.activated ?? true, records: [] }); },
    seed(zoneName, r: HostRecord) {
      const z = zone(zoneName);
      z.records.push({ host: relative(r.name.toLowerCase(), z.name), type: r.type, value: r.value, ttl: r.ttl ?? 14400, priority: r.type === 'MX' ? r.priority ?? 10 : null });
    },
    records(zoneName) {
      const z = zone(zoneName);
      return z.records.map((r) => ({ type: r.type, name: fqdn(r.host, z.name), value: r.value, priority: r.priority, ttl: r.ttl }));
    },
    /** `afterRequests` counts writes (POSTs): "fail everything after the first write" is what tests mean. */
    fail: faults.fail,
    rejectAllIps(on) { rejectIps = on; },
    loseNextWriteReply() { loseReply = true; },
    close: server.close,
  };
}
