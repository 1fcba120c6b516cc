/**
 * The only file that imports `mailgun.js`. It builds one client per base URL from the values the
 * adapter passes in (never from process.env), makes one SDK call per method, and turns whatever the
 * SDK throws into a sanitised `MailgunFailure`. Retries live in index.ts.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import Mailgun from 'mailgun.js';
import { baseUrlFrom } from '../http-adapter.js';
import type { MailgunDomain } from './convert.js';
import { MailgunFailure, toFailure } from './errors.js';

export const MAILGUN_US_URL = 'https://api.mailgun.net';
export const MAILGUN_EU_URL = 'https://api.eu.mailgun.net';
export const REGIONS = ['us', 'eu'] as const;
export type MailgunRegion = (typeof REGIONS)[number];

/** MAILGUN_BASE_URL wins (emulators, proxies); else the region's public API host. */
export function resolveBaseUrl(env: NodeJS.ProcessEnv, region: MailgunRegion): string {
  return baseUrlFrom(env, 'MAILGUN_BASE_URL', region === 'eu' ? MAILGUN_EU_URL : MAILGUN_US_URL);
}

type MailgunClient = ReturnType<InstanceType<typeof Mailgun>['client']>;
type CreateInput = Parameters<MailgunClient['domains']['create']>[0];

export interface MailgunApiOptions { apiKey: string; baseUrl: string; timeoutMs: number }

/**
 * The SDK throws away response headers, so a 429's Retry-After would be lost. Node publishes every
 * HTTP client response on this diagnostics channel; while a call is in flight we listen for 429s
 * from our API host and keep the last Retry-After. Rate limits are per account, so a hint from a
 * concurrent call to the same host is just as good.
 */
const RESPONSE_CHANNEL = 'http.client.response.finish';

async function watchingRetryAfter<T>(host: string, op: (seen: () => string | null) => Promise<T>): Promise<T> {
  let retryAfter: string | null = null;
  const listener = (message: unknown): void => {
    const { request, response } = message as { request?: ClientRequest; response?: IncomingMessage };
    if (response?.statusCode !== 429 || String(request?.getHeader('host') ?? '').toLowerCase() !== host) return;
    const h = response.headers['retry-after'];
    if (typeof h === 'string') retryAfter = h;
  };
  subscribe(RESPONSE_CHANNEL, listener);
  try {
    return await op(() => retryAfter);
  } finally {
    unsubscribe(RESPONSE_CHANNEL, listener);
  }
}

function asDomain(value: unknown): MailgunDomain {
  const d = value as Partial<MailgunDomain> | null;
  if (!d || typeof d.name !== 'string' || typeof d.state !== 'string') {
    throw new MailgunFailure('malformed', 'the domain in the answer has no name or state');
  }
  const list = (x: unknown) => (Array.isArray(x) ? x : null);
  return {
    name: d.name, state: d.state, is_disabled: d.is_disabled === true,
    sending_dns_records: list(d.sending_dns_records), receiving_dns_records: list(d.receiving_dns_records),
  };
}

export class MailgunApi {
  readonly baseUrl: string;
  private readonly host: string;
  private readonly timeoutMs: number;
  private readonly client: MailgunClient;

  constructor(options: MailgunApiOptions) {
    this.baseUrl = options.baseUrl;
    this.host = new URL(options.baseUrl).host.toLowerCase();
    this.timeoutMs = options.timeoutMs;
    // Node's own FormData, not the `form-data` package: one dependency fewer. Its price is that every
    // field must be a string or Blob (the SDK throws on a number before sending), see createDomain.
    this.client = new Mailgun(FormData).client({ username: 'api', key: options.apiKey, url: options.baseUrl, timeout: options.timeoutMs });
  }

  private async call<T>(op: () => Promise<T>): Promise<T> {
    return watchingRetryAfter(this.host, async (seen) => {
      try {
        return await op();
      } catch (error) {
        throw toFailure(error, this.timeoutMs, seen());
      }
    });
  }

  /** `GET /v4/domains/{name}`: the domain with its DNS records. */
  getDomain(name: string): Promise<MailgunDomain> {
    return this.call(async () => asDomain(await this.client.domains.get(name)));
  }

  /**
   * `POST /v4/domains` (multipart). Every value is a string: numbers such as `dkim_key_size` make
   * the SDK throw "Unknown value type for Form Data" with Node's FormData, although its typings
   * declare them as numbers — hence the cast.
   */
  createDomain(fields: Record<string, string> & { name: string }): Promise<MailgunDomain> {
    return this.call(async () => asDomain(await this.client.domains.create(fields as unknown as CreateInput)));
  }

  /** `PUT /v4/domains/{name}/verify`: Mailgun re-checks DNS and returns the refreshed domain. */
  verifyDomain(name: string): Promise<MailgunDomain> {
    return this.call(async () => asDomain(await this.client.domains.verify(name)));
  }

  /** `POST /v1/analytics/metrics` (the Metrics API): the raw body, read by delivery.ts. */
  metrics(query: Record<string, unknown>): Promise<unknown> {
    return this.call(async () => {
      const { status: _status, ...body } = (await this.client.metrics.getAccount(query as Parameters<MailgunClient['metrics']['getAccount']>[0])) as unknown as Record<string, unknown>;
      return body;
    });
  }

  /** `DELETE /v3/domains/{name}` (still v3 in the SDK). */
  async deleteDomain(name: string): Promise<void> {
    await this.call(() => this.client.domains.destroy(name));
  }
}
