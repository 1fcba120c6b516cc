/**
 * Loopback Mailgun (v4 domains API) for the real `mailgun.js` SDK, per providers.md §3 and §5:
 * Basic auth `api:<key>`, multipart or urlencoded form bodies whose values are strings, the
 * `{message}` error body, RFC 1123 dates, records with `valid: "unknown" | "valid" | "invalid"`.
 * Error texts Mailgun does not document (duplicate create, bad field values) are our best guess.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFaultSwitch, startLoopbackServer, type FaultAnswers } from './harness.js';
import type { ProviderEmulator } from './types.js';
import type { DaySeed } from './delivery-seed.js';

const KEY = 'mg-fake-test-key';
const AUTH = `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`;
const BOOLEAN_FIELDS = ['force_dkim_authority', 'force_root_dkim_host', 'wildcard', 'skip_verification', 'require_tls', 'use_automatic_sender_security', 'encrypt_incoming_message'];
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export interface MailgunEmulatorOptions { region?: 'us' | 'eu' }

export interface MailgunEmulator extends ProviderEmulator {
  /** Every form body received on POST /v4/domains, as Mailgun saw it. */
  creates: Array<Record<string, string>>;
  /** Metrics API figures of one domain, per day. */
  setMetricsDays(domain: string, days: DaySeed[]): void;
  /** Mailgun switched the domain off (`is_disabled`, state `disabled`). */
  setDisabled(domain: string): void;
  /** The account lacks the Metrics API: POST /v1/analytics/metrics answers 403. */
  denyMetrics(deny: boolean): void;
  /** Bodies received on POST /v1/analytics/metrics. */
  metricsQueries: unknown[];
}

interface Domain {
  id: string; name: string; createdAt: string; state: 'unverified' | 'active' | 'disabled';
  selector: string; keySize: number; webPrefix: string; autoSecurity: boolean;
  dnsOk: boolean; checked: boolean;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

const keys = new Map<number, string>();
function publicKey(bits: number): string {
  let k = keys.get(bits);
  if (!k) {
    k = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    keys.set(bits, k);
  }
  return k;
}

export async function startMailgunEmulator(options: MailgunEmulatorOptions = {}): Promise<MailgunEmulator> {
  const eu = options.region === 'eu';
  const domains = new Map<string, Domain>();
  const creates: Array<Record<string, string>> = [];
  const faults = createFaultSwitch();

  function newDomain(name: string, fields: Record<string, string> = {}): Domain {
    const auto = fields.use_automatic_sender_security === 'true';
    const d: Domain = {
      id: randomBytes(12).toString('hex'), name, createdAt: new Date().toUTCString(), state: 'unverified',
      selector: fields.dkim_selector ?? 'mx', keySize: Number(fields.dkim_key_size ?? 1024),
      webPrefix: fields.web_prefix ?? 'email', autoSecurity: auto, dnsOk: false, checked: false,
    };
    domains.set(name, d);
    return d;
  }

  function records(d: Domain) {
    const valid = d.checked ? (d.dnsOk ? 'valid' : 'invalid') : 'unknown';
    const rec = (o: Record<string, string>) => ({ is_active: true, cached: d.checked && d.dnsOk ? [o.value] : [], valid, ...o });
    const dkim = d.autoSecurity
      ? [1, 2].map((n) => rec({ record_type: 'CNAME', name: `pdk${n}._domainkey.${d.name}`, value: `pdk${n}._domainkey.${d.id}.dkim1.mailgun.com` }))
      : [rec({ record_type: 'TXT', name: `${d.selector}._domainkey.${d.name}`, value: `k=rsa; p=${publicKey(d.keySize)}` })];
    return {
      sending_dns_records: [
        rec({ record_type: 'TXT', name: d.name, value: 'v=spf1 include:mailgun.org ~all' }),
        ...dkim,
        rec({ record_type: 'CNAME', name: `${d.webPrefix}.${d.name}`, value: eu ? 'eu.mailgun.org' : 'mailgun.org' }),
      ],
      receiving_dns_records: ['mxa', 'mxb'].map((h) => rec({ record_type: 'MX', priority: '10', value: `${h}.${eu ? 'eu.' : ''}mailgun.org` })),
    };
  }

  function domainJson(d: Domain) {
    return {
      id: d.id, name: d.name, created_at: d.createdAt, state: d.state, type: 'custom', is_disabled: d.state === 'disabled',
      require_tls: false, skip_verification: false, smtp_login: `postmaster@${d.name}`, spam_action: 'disabled',
      use_automatic_sender_security: d.autoSecurity, web_prefix: d.webPrefix, web_scheme: 'https', wildcard: false,
      encrypt_incoming_message: false, message_ttl: 259200,
    };
  }

  const full = (d: Domain, message?: string) => ({ ...(message ? { message } : {}), domain: domainJson(d), ...records(d) });

  async function readForm(req: IncomingMessage, body: Buffer): Promise<Record<string, string>> {
    const type = req.headers['content-type'] ?? '';
    if (body.length === 0) return {};
    if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type)) throw new HttpError(400, `Unsupported content type: ${type}`);
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
    const out: Record<string, string> = {};
    for (const [k, v] of form.entries()) {
      if (typeof v !== 'string') throw new HttpError(400, `Parameter '${k}' must be a string value`);
      out[k] = v;
    }
    return out;
  }

  /** Mailgun parses these fields itself; a value it cannot read is a 400, never a silent default. */
  function validateCreate(f: Record<string, string>): string {
    const name = (f.name ?? '').toLowerCase();
    if (name === '') throw new HttpError(400, "Missing parameter 'name'");
    if (!name.includes('.') || !name.split('.').every((l) => LABEL.test(l))) throw new HttpError(400, `'${f.name}' is not a valid domain name`);
    for (const b of BOOLEAN_FIELDS) if (b in f && f[b] !== 'true' && f[b] !== 'false') throw new HttpError(400, `Invalid boolean value for '${b}': ${f[b]}`);
    if ('dkim_key_size' in f && !/^(1024|2048)$/.test(f.dkim_key_size!)) throw new HttpError(400, `Invalid dkim_key_size '${f.dkim_key_size}': must be 1024 or 2048`);
    if ('message_ttl' in f && !/^\d+$/.test(f.message_ttl!)) throw new HttpError(400, `Invalid message_ttl '${f.message_ttl}'`);
    for (const l of ['dkim_selector', 'web_prefix']) if (l in f && !LABEL.test(f[l]!)) throw new HttpError(400, `Invalid ${l} '${f[l]}'`);
    if (domains.has(name)) throw new HttpError(400, 'This domain name is already taken');
    return name;
  }

  function existing(name: string): Domain {
    const d = domains.get(decodeURIComponent(name).toLowerCase());
    if (!d) throw new HttpError(404, 'Domain not found');
    return d;
  }

  const metricsDays = new Map<string, DaySeed[]>();
  const metricsQueries: unknown[] = [];
  let metricsDenied = false;

  /** POST /v1/analytics/metrics: day resolution by time, filtered by domain (reputation.md §3.1). */
  function analytics(raw: Buffer): [number, unknown] {
    let q: Record<string, unknown>;
    try { q = JSON.parse(raw.toString('utf8')) as Record<string, unknown>; } catch { return [400, { message: 'Invalid JSON body' }]; }
    metricsQueries.push(q);
    if (metricsDenied) return [403, { message: 'Forbidden: the Metrics API is not available on this plan' }];
    const start = Date.parse(String(q.start ?? ''));
    const end = Date.parse(String(q.end ?? ''));
    if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/.test(String(q.start)) || Number.isNaN(start) || Number.isNaN(end)) return [400, { message: "'start' and 'end' must be RFC 2822 dates" }];
    if (q.resolution !== 'day') return [400, { message: 'emulator: only resolution day' }];
    const filters = ((q.filter as { AND?: Array<{ attribute?: string; comparator?: string; values?: Array<{ label?: string; value?: string }> }> } | undefined)?.AND) ?? [];
    for (const f of filters) if (!f.values?.every((v) => typeof v.label === 'string' && typeof v.value === 'string')) return [400, { message: "filter values need both 'label' and 'value'" }];
    const domainFilter = filters.find((f) => f.attribute === 'domain' && f.comparator === '=');
    const wanted = new Set((domainFilter?.values ?? []).map((v) => String(v.value).toLowerCase()));
    const byDay = new Map<string, DaySeed>();
    for (const [name, days] of metricsDays) {
      if (domainFilter && !wanted.has(name)) continue;
      for (const d of days) {
        const t = Date.parse(`${d.date}T00:00:00Z`);
        if (t < Date.parse(new Date(start).toISOString().slice(0, 10)) || t > end) continue;
        const prev = byDay.get(d.date);
        byDay.set(d.date, prev ? { date: d.date, sent: prev.sent + d.sent, delivered: prev.delivered + d.delivered, bounces: prev.bounces + d.bounces, complaints: prev.complaints + d.complaints } : d);
      }
    }
    const rfc = (date: string) => new Date(`${date}T00:00:00Z`).toUTCString().replace('GMT', '+0000');
    const items = [...byDay.values()].sort((a, b) => (a.date < b.date ? -1 : 1)).map((d) => ({
      dimensions: [{ dimension: 'time', value: rfc(d.date), display_value: rfc(d.date) }],
      // Counts as Mailgun sends them; rates as strings ("0.0300").
      metrics: { sent_count: d.sent, delivered_count: d.delivered, hard_bounces_count: d.bounces, complained_count: d.complaints, bounce_rate: d.sent ? (d.bounces / d.sent).toFixed(4) : '0.0000' },
    }));
    return [200, { start: String(q.start), end: String(q.end), resolution: 'day', duration: '', dimensions: ['time'], pagination: { sort: '', skip: 0, limit: 1500, total: items.length }, items, aggregates: { metrics: {} } }];
  }

  async function route(req: IncomingMessage, path: string, body: Buffer): Promise<[number, unknown]> {
    if (req.headers.authorization !== AUTH) return [401, { message: 'Invalid private key' }];
    const method = req.method ?? 'GET';
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/v1/analytics/metrics') return analytics(body);
    if (method === 'POST' && path === '/v4/domains') {
      const fields = await readForm(req, body);
      creates.push(fields);
      return [200, full(newDomain(validateCreate(fields), fields), 'Domain DNS records have been created')];
    }
    if (method === 'GET' && path === '/v4/domains') {
      const items = [...domains.values()].map((d) => ({ ...domainJson(d), receiving_dns_records: null, sending_dns_records: null }));
      return [200, { total_count: items.length, items }];
    }
    if (method === 'GET' && (m = path.match(/^\/v4\/domains\/([^/]+)$/))) return [200, full(existing(m[1]!))];
    if (method === 'PUT' && (m = path.match(/^\/v4\/domains\/([^/]+)\/verify$/))) {
      const d = existing(m[1]!);
      d.checked = true;
      if (d.state !== 'disabled') d.state = d.dnsOk ? 'active' : 'unverified';
      return [200, full(d, 'Domain DNS records have been updated')];
    }
    if (method === 'DELETE' && (m = path.match(/^\/v3\/domains\/([^/]+)$/))) {
      domains.delete(existing(m[1]!).name);
      return [200, { message: 'Domain will be deleted in the background' }];
    }
    // Fail closed: a route we do not emulate is a test bug, not a silent success.
    return [404, { message: `emulator: no route for ${method} ${path}` }];
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  const answers: FaultAnswers = {
    auth: (res) => send(res, 401, { message: 'Invalid private key' }),
    forbidden: (res) => send(res, 403, { message: 'Forbidden' }),
    rateLimit: (res, retryAfter) => send(res, 429, { message: 'Too many requests' }, retryAfter),
    serverError: (res) => send(res, 500, { message: 'Internal server error' }),
    malformed: '{"domain": {"name": "trunc',
    truncated: '{"domain": {',
  };

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, url: URL): Promise<void> {
    if (await faults.answer(res, faults.next(), answers)) return;
    try {
      const [status, body] = await route(req, url.pathname, raw);
      send(res, status, body);
    } catch (e) {
      if (e instanceof HttpError) send(res, e.status, { message: e.message });
      else send(res, 500, { message: `emulator error: ${String(e)}` });
    }
  }

  const server = await startLoopbackServer(handle, faults);
  const { baseUrl, requests } = server;

  return {
    baseUrl,
    env: { MAILGUN_API_KEY: KEY, MAILGUN_BASE_URL: baseUrl },
    credentialEnv: ['MAILGUN_API_KEY'],
    requests,
    creates,
    fail: (f, times) => faults.fail(f, times),
    setVerified(domain) {
      const d = domains.get(domain.toLowerCase());
      if (!d) throw new Error(`mailgun emulator: setVerified for unknown domain ${domain}`);
      d.dnsOk = true;
    },
    seed(domain) { if (!domains.has(domain.toLowerCase())) newDomain(domain.toLowerCase()); },
    hasDomain: (domain) => domains.has(domain.toLowerCase()),
    metricsQueries,
    setMetricsDays(domain, days) { metricsDays.set(domain.toLowerCase(), days); },
    setDisabled(domain) { const d = domains.get(domain.toLowerCase()); if (!d) throw new Error(`mailgun emulator: no domain ${domain}`); d.state = 'disabled'; },
    denyMetrics(deny) { metricsDenied = deny; },
    close: server.close,
  };
}
