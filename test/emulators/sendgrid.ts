/**
 * A loopback SendGrid v3 API for the real `@sendgrid/client` (providers.md §2, §5 "SendGrid"):
 * domain authentication, validation and single senders, SendGrid's error body
 * `{"errors":[{"field":null,"message":"..."}]}`, its status codes (201 create, 204 delete) and its
 * rate-limit headers. State lives in memory; test hooks stand in for DNS and for the sender's click.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFaultSwitch, startLoopbackServer, type FaultAnswers } from './harness.js';
import type { ProviderEmulator } from './types.js';
import { within, type DaySeed } from './delivery-seed.js';

const KEY = 'SG.fake-test-key';
const USER_ID = 4242;

interface DnsEntry { valid: boolean; type: string; host: string; data: string }
interface Domain {
  id: number; domain: string; subdomain: string; automatic_security: boolean; valid: boolean;
  dns: Record<string, DnsEntry>;
  /** What "DNS" shows per record key: flipped by the test hooks, read by /validate. */
  published: Map<string, boolean>;
}
interface Sender { id: number; nickname: string; from_email: string; reply_to: string; verified: boolean }

export interface SendgridCall { method: string; path: string; query: Record<string, string>; body: unknown; authorization: string | null }

export interface SendgridEmulator extends ProviderEmulator {
  /** Every request with its query, JSON body and Authorization header. */
  calls: SendgridCall[];
  /** DNS for one record (`mail_cname`, `dkim1` …) of the domain now looks right (or wrong). */
  setRecordPublished(domain: string, key: string, published: boolean): void;
  /** The address owner clicked the verification link. */
  setSenderVerified(email: string): void;
  hasSender(email: string): boolean;
  /** `GET /v3/user/account`: the account type and reputation (0–100). */
  setAccount(a: { reputation?: number; type?: 'free' | 'paid' }): void;
  /** `GET /v3/stats`: the account's sending per day. */
  setStatsDays(days: DaySeed[]): void;
  /** Scopes the key lacks (`stats.read`, `user.account.read`): those endpoints answer 403. */
  denyScopes(scopes: string[]): void;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/;

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) { res.writeHead(status, headers).end(); return; }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}
const error = (res: ServerResponse, status: number, message: string, field: string | null = null, headers: Record<string, string> = {}): void =>
  send(res, status, { errors: [{ field, message }] }, headers);

export async function startSendgridEmulator(): Promise<SendgridEmulator> {
  const domains = new Map<number, Domain>();
  const senders = new Map<number, Sender>();
  let nextId = 1;
  let nextSender = 101;
  const faults = createFaultSwitch();
  const calls: SendgridCall[] = [];
  let account = { type: 'paid', reputation: 99.7 };
  let statsDays: DaySeed[] = [];
  let denied = new Set<string>();
  const DATE = /^\d{4}-\d{2}-\d{2}$/;
  const metrics = (d: DaySeed | undefined) => ({
    blocks: 0, bounce_drops: 0, bounces: d?.bounces ?? 0, clicks: 0, deferred: 0, delivered: d?.delivered ?? 0, invalid_emails: 0, opens: 0,
    processed: d?.sent ?? 0, requests: d?.sent ?? 0, spam_report_drops: 0, spam_reports: d?.complaints ?? 0, unique_clicks: 0, unique_opens: 0, unsubscribe_drops: 0, unsubscribes: 0,
  });

  function create(domain: string, subdomain: string | null, automatic: boolean): Domain {
    const id = nextId++;
    const label = subdomain ?? `em${1000 + ((id * 7919) % 9000)}`; // SendGrid's auto-generated emNNNN
    const target = `u${USER_ID}.wl${String(id).padStart(3, '0')}.sendgrid.net`;
    const dns: Record<string, DnsEntry> = automatic
      ? {
          mail_cname: { valid: false, type: 'cname', host: `${label}.${domain}`, data: target },
          dkim1: { valid: false, type: 'cname', host: `s1._domainkey.${domain}`, data: `s1.domainkey.${target}` },
          dkim2: { valid: false, type: 'cname', host: `s2._domainkey.${domain}`, data: `s2.domainkey.${target}` },
        }
      : {
          mail_server: { valid: false, type: 'mx', host: `${label}.${domain}`, data: 'mx.sendgrid.net' },
          subdomain_spf: { valid: false, type: 'txt', host: `${label}.${domain}`, data: 'v=spf1 include:sendgrid.net ~all' },
          dkim: { valid: false, type: 'txt', host: `m1._domainkey.${domain}`, data: 'k=rsa; t=s; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC' },
        };
    const d: Domain = { id, domain, subdomain: label, automatic_security: automatic, valid: false, dns, published: new Map(Object.keys(dns).map((k) => [k, false])) };
    domains.set(id, d);
    return d;
  }

  const view = (d: Domain) => ({
    id: d.id, user_id: USER_ID, subdomain: d.subdomain, domain: d.domain, username: 'mailsetup-test', ips: [],
    custom_spf: false, default: false, legacy: false, automatic_security: d.automatic_security, valid: d.valid, dns: d.dns,
  });

  function validate(d: Domain) {
    const validation_results: Record<string, { valid: boolean; reason: string | null }> = {};
    for (const [key, entry] of Object.entries(d.dns)) {
      entry.valid = d.published.get(key) === true;
      validation_results[key] = {
        valid: entry.valid,
        reason: entry.valid ? null : `Expected ${entry.type.toUpperCase()} record at "${entry.host}" to match "${entry.data}".`,
      };
    }
    d.valid = Object.values(d.dns).every((e) => e.valid);
    return { id: d.id, valid: d.valid, validation_results };
  }

  const answers: FaultAnswers = {
    auth: (res) => error(res, 401, 'authorization required'),
    forbidden: (res) => error(res, 403, 'access forbidden'),
    serverError: (res) => error(res, 500, 'internal server error'),
    rateLimit(res, retryAfter, seconds) {
      const reset = String(Math.ceil(Date.now() / 1000) + (seconds ?? 1));
      error(res, 429, 'too many requests', null, { 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, ...retryAfter });
    },
    malformed: '{"id": 1, "domain": "<html>502 Bad Gateway',
    truncated: '{"id": 1, "dns": {',
  };

  function route(method: string, path: string, query: URLSearchParams, body: unknown, res: ServerResponse): void {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (path === '/v3/whitelabel/domains' && method === 'POST') {
      const domain = typeof b.domain === 'string' ? b.domain.toLowerCase() : '';
      if (!DOMAIN.test(domain)) return error(res, 400, 'invalid domain', 'domain');
      const sub = typeof b.subdomain === 'string' && b.subdomain !== '' ? b.subdomain.toLowerCase() : null;
      if (sub !== null && !LABEL.test(sub)) return error(res, 400, 'invalid subdomain', 'subdomain');
      return send(res, 201, view(create(domain, sub, b.automatic_security !== false)));
    }
    if (path === '/v3/whitelabel/domains' && method === 'GET') {
      // A substring filter on purpose: the API does not promise an exact one, so adapters must match.
      const q = (query.get('domain') ?? '').toLowerCase();
      const offset = Number(query.get('offset') ?? 0);
      const limit = Number(query.get('limit') ?? 50);
      const hits = [...domains.values()].filter((d) => d.domain.includes(q)).slice(offset, offset + limit);
      return send(res, 200, hits.map(view));
    }
    if ((m = /^\/v3\/whitelabel\/domains\/(\d+)(\/validate)?$/.exec(path))) {
      const d = domains.get(Number(m[1]));
      if (!d) return error(res, 404, 'authenticated domain not found');
      if (m[2] && method === 'POST') return send(res, 200, validate(d));
      if (!m[2] && method === 'GET') return send(res, 200, view(d));
      if (!m[2] && method === 'DELETE') { domains.delete(d.id); return send(res, 204); }
    }
    if (path === '/v3/user/account' && method === 'GET') {
      if (denied.has('user.account.read')) return error(res, 403, 'access forbidden');
      return send(res, 200, account);
    }
    if (path === '/v3/stats' && method === 'GET') {
      if (denied.has('stats.read')) return error(res, 403, 'access forbidden');
      const start = query.get('start_date') ?? '';
      const end = query.get('end_date') ?? new Date().toISOString().slice(0, 10);
      if (!DATE.test(start)) return error(res, 400, 'start_date is required and must be YYYY-MM-DD', 'start_date');
      if (!DATE.test(end) || end < start) return error(res, 400, 'end_date must be YYYY-MM-DD, not before start_date', 'end_date');
      if ((query.get('aggregated_by') ?? 'day') !== 'day') return error(res, 400, 'emulator: only aggregated_by=day', 'aggregated_by');
      const seeded = within(statsDays, start, end);
      const rows: unknown[] = [];
      for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += 86_400_000) {
        const date = new Date(t).toISOString().slice(0, 10);
        rows.push({ date, stats: [{ metrics: metrics(seeded.find((d) => d.date === date)) }] });
      }
      return send(res, 200, rows);
    }
    if (path === '/v3/verified_senders' && method === 'POST') {
      for (const f of ['nickname', 'from_email', 'reply_to']) if (typeof b[f] !== 'string' || b[f] === '') return error(res, 400, `${f} is required`, f);
      const email = (b.from_email as string).toLowerCase();
      if ([...senders.values()].some((s) => s.from_email === email)) return error(res, 400, 'already exists', 'from_email');
      const s: Sender = { id: nextSender++, nickname: b.nickname as string, from_email: email, reply_to: b.reply_to as string, verified: false };
      senders.set(s.id, s);
      return send(res, 201, { ...s, locked: false });
    }
    if (path === '/v3/verified_senders' && method === 'GET') {
      const id = query.get('id');
      const after = Number(query.get('lastSeenID') ?? 0);
      const limit = Number(query.get('limit') ?? 100);
      const all = [...senders.values()].filter((s) => (id === null ? s.id > after : String(s.id) === id));
      return send(res, 200, { results: all.slice(0, limit).map((s) => ({ ...s, locked: false })) });
    }
    if ((m = /^\/v3\/verified_senders\/resend\/(\d+)$/.exec(path)) && method === 'POST') {
      return senders.has(Number(m[1])) ? send(res, 204) : error(res, 404, 'resource not found');
    }
    return error(res, 404, 'resource not found');
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const text = raw.toString('utf8');
    let body: unknown;
    let badJson = false;
    try { body = text === '' ? undefined : JSON.parse(text); } catch { badJson = true; }
    const authorization = req.headers.authorization ?? null;
    calls.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, authorization });
    if (await faults.answer(res, faults.next(), answers) || res.destroyed) return;
    if (authorization === null) return error(res, 401, 'authorization required');
    if (authorization !== `Bearer ${KEY}`) return error(res, 401, 'The provided authorization grant is invalid, expired, or revoked');
    if (badJson) return error(res, 400, 'invalid JSON in request body');
    route(method, url.pathname, url.searchParams, body, res);
  }

  const server = await startLoopbackServer(handle, faults);
  const { baseUrl, requests } = server;
  const named = (domain: string) => [...domains.values()].filter((d) => d.domain === domain.toLowerCase());

  return {
    baseUrl,
    env: { SENDGRID_API_KEY: KEY, SENDGRID_BASE_URL: baseUrl },
    credentialEnv: ['SENDGRID_API_KEY'],
    requests,
    calls,
    fail: (f, times) => faults.fail(f, times),
    setVerified(domain) { for (const d of named(domain)) for (const k of d.published.keys()) d.published.set(k, true); },
    setRecordPublished(domain, key, published) { for (const d of named(domain)) d.published.set(key, published); },
    seed(domain) { if (named(domain).length === 0) create(domain.toLowerCase(), null, true); },
    hasDomain: (domain) => named(domain).length > 0,
    setSenderVerified(email) { for (const s of senders.values()) if (s.from_email === email.toLowerCase()) s.verified = true; },
    hasSender: (email) => [...senders.values()].some((s) => s.from_email === email.toLowerCase()),
    setAccount(a) { account = { ...account, ...a }; },
    setStatsDays(days) { statsDays = days; },
    denyScopes(scopes) { denied = new Set(scopes); },
    close: server.close,
  };
}
