/**
 * Loopback Resend (domains API) for the real `resend` SDK, per providers.md §4 and §5: JSON with
 * `Authorization: Bearer <key>`, `{statusCode, name, message}` errors, UUID ids, records named
 * relative to the registrable domain (`send.mail` for mail.example.org) with a quoted SPF value,
 * `ttl: "Auto"`, and a DELETE that answers with a body (the SDK turns an empty 2xx into an error).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFaultSwitch, startLoopbackServer, type FaultAnswers } from './harness.js';
import { getDomain } from 'tldts';
import type { ProviderEmulator } from './types.js';
import { within, type DaySeed } from './delivery-seed.js';

const KEY = 're_fake_test';
const REGIONS = ['us-east-1', 'eu-west-1', 'sa-east-1', 'ap-northeast-1'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export type ResendDomainStatus = 'not_started' | 'pending' | 'verified' | 'failed' | 'partially_verified' | 'partially_failed' | 'temporary_failure';

export interface ResendEmulatorOptions {
  /** Also return a DMARC TXT record, as newer accounts may. */
  dmarc?: boolean;
}

export interface ResendEmulator extends ProviderEmulator {
  /** Every JSON body received on POST /domains. */
  creates: Array<Record<string, unknown>>;
  /** Force a domain status Resend can report (partially_failed …), overriding the DNS switch. */
  setStatus(domain: string, status: ResendDomainStatus): void;
  /** The domain's Resend id (what the state file stores as providerId). */
  idOf(domain: string): string;
  /** GET /emails/metrics figures of one domain, per day. */
  setMetricsDays(domain: string, days: DaySeed[]): void;
  /** The key is sending-only: GET /emails/metrics answers 401 restricted_api_key. */
  restrictKey(restricted: boolean): void;
}

interface Domain {
  id: string; name: string; region: string; createdAt: string; returnPath: string; dkimKey: string;
  verifyRequested: boolean; dnsOk: boolean; forced: ResendDomainStatus | null;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

export async function startResendEmulator(options: ResendEmulatorOptions = {}): Promise<ResendEmulator> {
  const domains = new Map<string, Domain>(); // by id, in creation order
  const creates: Array<Record<string, unknown>> = [];
  const faults = createFaultSwitch();

  const byName = (name: string) => [...domains.values()].find((d) => d.name === name.toLowerCase());

  function add(name: string, region = 'us-east-1', returnPath = 'send'): Domain {
    const d: Domain = {
      id: randomUUID(), name, region, createdAt: new Date().toISOString(), returnPath,
      dkimKey: `MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ${randomBytes(96).toString('base64')}IDAQAB`,
      verifyRequested: false, dnsOk: false, forced: null,
    };
    domains.set(d.id, d);
    return d;
  }

  function status(d: Domain): ResendDomainStatus {
    if (d.forced) return d.forced;
    if (!d.verifyRequested) return 'not_started';
    return d.dnsOk ? 'verified' : 'pending';
  }

  /** Resend's naming: relative to the registrable domain, so `send.mail` for mail.example.org. */
  function relative(label: string, name: string): string {
    const org = getDomain(name, { allowPrivateDomains: false }) ?? name.split('.').slice(-2).join('.');
    return name === org ? label : `${label}.${name.slice(0, -(org.length + 1))}`;
  }

  function records(d: Domain) {
    const st = status(d);
    const recordStatus = st === 'verified' ? 'verified' : st === 'not_started' ? 'not_started' : st.endsWith('failed') ? 'failed' : 'pending';
    const common = { ttl: 'Auto', status: recordStatus };
    return [
      { record: 'SPF', name: relative(d.returnPath, d.name), type: 'MX', value: `feedback-smtp.${d.region}.amazonses.com`, priority: 10, ...common },
      { record: 'SPF', name: relative(d.returnPath, d.name), type: 'TXT', value: '"v=spf1 include:amazonses.com ~all"', ...common },
      { record: 'DKIM', name: relative('resend._domainkey', d.name), type: 'TXT', value: `p=${d.dkimKey}`, ...common },
      ...(options.dmarc ? [{ record: 'DMARC', name: relative('_dmarc', d.name), type: 'TXT', value: '"v=DMARC1; p=none;"', ...common }] : []),
    ];
  }

  const summary = (d: Domain) => ({
    id: d.id, name: d.name, status: status(d), created_at: d.createdAt, region: d.region,
    capabilities: { sending: 'enabled', receiving: 'disabled' },
  });

  function find(id: string): Domain {
    if (!UUID.test(id)) throw new HttpError(422, 'invalid_parameter', 'The `id` must be a valid UUID.');
    const d = domains.get(id.toLowerCase());
    if (!d) throw new HttpError(404, 'not_found', 'Domain not found');
    return d;
  }

  function create(body: Record<string, unknown>): Domain {
    const name = typeof body.name === 'string' ? body.name.toLowerCase() : '';
    if (name === '') throw new HttpError(422, 'missing_required_field', 'Missing `name` field.');
    if (!name.includes('.') || !name.split('.').every((l) => LABEL.test(l))) throw new HttpError(422, 'validation_error', 'The `name` field must be a valid domain.');
    const region = body.region ?? 'us-east-1';
    if (typeof region !== 'string' || !REGIONS.includes(region)) throw new HttpError(422, 'invalid_region', `Region must be one of: ${REGIONS.join(', ')}.`);
    const returnPath = body.custom_return_path ?? 'send';
    if (typeof returnPath !== 'string' || !LABEL.test(returnPath)) throw new HttpError(422, 'validation_error', 'The `custom_return_path` field must be a valid label.');
    if (byName(name)) throw new HttpError(403, 'validation_error', `The \`${name}\` domain has been registered already.`);
    return add(name, region, returnPath);
  }

  function list(url: URL) {
    const limit = Number(url.searchParams.get('limit') ?? '20');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(422, 'validation_error', 'The `limit` must be between 1 and 100.');
    const all = [...domains.values()].reverse(); // newest first
    const after = url.searchParams.get('after');
    const start = after ? all.findIndex((d) => d.id === after) + 1 : 0;
    const page = all.slice(start, start + limit);
    return { object: 'list', has_more: start + limit < all.length, data: page.map(summary) };
  }

  const metricsDays = new Map<string, DaySeed[]>();
  let restricted = false;
  const METRICS = ['sent', 'delivered', 'bounced_permanent', 'complained'];

  /** GET /emails/metrics (reputation.md §4.1): totals, and rows by period and domain when asked. */
  function emailMetrics(url: URL): [number, unknown] {
    if (restricted) throw new HttpError(401, 'restricted_api_key', 'This API key is restricted to only send emails.');
    const q = url.searchParams;
    const end = q.get('end_date') ? new Date(q.get('end_date')!) : new Date();
    const start = q.get('start_date') ? new Date(q.get('start_date')!) : new Date(end.getTime() - 6 * 86_400_000);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw new HttpError(422, 'validation_error', 'start_date and end_date must be ISO 8601.');
    if ((q.get('granularity') ?? 'daily') !== 'daily') throw new HttpError(422, 'validation_error', 'emulator: only daily granularity');
    const metrics = (q.get('metrics') ?? METRICS.join(',')).split(',');
    const dims = (q.get('dimensions') ?? '').split(',').filter(Boolean);
    const ids = (q.get('domain_id') ?? '').split(',').filter(Boolean);
    for (const id of ids) if (!UUID.test(id)) throw new HttpError(422, 'validation_error', `domain_id ${id} is not a UUID.`);
    const value = (d: DaySeed, m: string) => (m === 'sent' ? d.sent : m === 'delivered' ? d.delivered : m === 'bounced_permanent' ? d.bounces : m === 'complained' ? d.complaints : 0);
    const rows: Array<Record<string, unknown>> = [];
    const totals: Record<string, number> = Object.fromEntries(metrics.map((m) => [m, 0]));
    for (const [name, days] of metricsDays) {
      const d = byName(name);
      if (!d || (ids.length > 0 && !ids.includes(d.id))) continue;
      for (const day of within(days, start, end)) {
        const row: Record<string, unknown> = {};
        if (dims.includes('period')) row.period = day.date;
        if (dims.includes('domain')) { row.domain_id = d.id; row.domain_name = d.name; }
        for (const m of metrics) { row[m] = value(day, m); totals[m] = (totals[m] ?? 0) + value(day, m); }
        rows.push(row);
      }
    }
    return [200, { object: 'metrics', start_date: start.toISOString(), end_date: end.toISOString(), metrics, dimensions: dims, granularity: 'daily', totals, ...(dims.length ? { data: rows } : {}) }];
  }

  function route(method: string, url: URL, body: Record<string, unknown>): [number, unknown] {
    const path = url.pathname;
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/emails/metrics') return emailMetrics(url);
    if (method === 'POST' && path === '/domains') {
      creates.push(body);
      const d = create(body);
      return [200, { ...summary(d), records: records(d) }];
    }
    if (method === 'GET' && path === '/domains') return [200, list(url)];
    if (method === 'GET' && (m = path.match(/^\/domains\/([^/]+)$/))) {
      const d = find(m[1]!);
      return [200, { object: 'domain', ...summary(d), records: records(d) }];
    }
    if (method === 'POST' && (m = path.match(/^\/domains\/([^/]+)\/verify$/))) {
      const d = find(m[1]!);
      d.verifyRequested = true;
      return [200, { object: 'domain', id: d.id }];
    }
    if (method === 'DELETE' && (m = path.match(/^\/domains\/([^/]+)$/))) {
      const d = find(m[1]!);
      domains.delete(d.id);
      return [200, { object: 'domain', id: d.id, deleted: true }];
    }
    // Fail closed: a route we do not emulate is a test bug, not a silent success.
    return [405, { statusCode: 405, name: 'method_not_allowed', message: `emulator: no route for ${method} ${path}` }];
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
  const error = (res: ServerResponse, status: number, name: string, message: string, headers: Record<string, string> = {}) =>
    send(res, status, { statusCode: status, name, message }, headers);

  const answers: FaultAnswers = {
    auth: (res) => error(res, 401, 'restricted_api_key', 'This API key is restricted to only send emails.'),
    forbidden: (res) => error(res, 403, 'invalid_api_key', 'API key is invalid.'),
    rateLimit(res, retryAfter, seconds) {
      const wait = seconds === null ? {} : { 'ratelimit-reset': String(seconds), ...retryAfter };
      error(res, 429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second.', { 'ratelimit-limit': '2', 'ratelimit-remaining': '0', ...wait });
    },
    serverError: (res) => error(res, 500, 'internal_server_error', 'An unexpected error occurred.'),
    malformed: '{"object": "domain", "id": "trunc',
    truncated: '{"object": ',
  };

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, url: URL): Promise<void> {
    if (await faults.answer(res, faults.next(), answers)) return;
    const auth = req.headers.authorization;
    if (!auth) return error(res, 401, 'missing_api_key', 'Missing API key in the authorization header.');
    if (auth !== `Bearer ${KEY}`) return error(res, 403, 'invalid_api_key', 'API key is invalid.');
    try {
      const text = raw.toString('utf8');
      let body: Record<string, unknown> = {};
      if (text !== '') {
        try { body = JSON.parse(text) as Record<string, unknown>; } catch { throw new HttpError(422, 'validation_error', 'Invalid JSON body.'); }
      }
      const [status, out] = route(req.method ?? 'GET', url, body);
      send(res, status, out);
    } catch (e) {
      if (e instanceof HttpError) error(res, e.status, e.code, e.message);
      else error(res, 500, 'application_error', `emulator error: ${String(e)}`);
    }
  }

  const server = await startLoopbackServer(handle, faults);
  const { baseUrl, requests } = server;

  function known(domain: string): Domain {
    const d = byName(domain);
    if (!d) throw new Error(`resend emulator: unknown domain ${domain}`);
    return d;
  }

  return {
    baseUrl,
    env: { RESEND_API_KEY: KEY, RESEND_BASE_URL: baseUrl },
    credentialEnv: ['RESEND_API_KEY'],
    requests,
    creates,
    fail: (f, times) => faults.fail(f, times),
    setVerified(domain) { known(domain).dnsOk = true; },
    setStatus(domain, s) { known(domain).forced = s; },
    seed(domain) { if (!byName(domain)) add(domain.toLowerCase()); },
    hasDomain: (domain) => byName(domain) !== undefined,
    idOf: (domain) => known(domain).id,
    setMetricsDays(domain, days) { metricsDays.set(domain.toLowerCase(), days); },
    restrictKey(r) { restricted = r; },
    close: server.close,
  };
}
