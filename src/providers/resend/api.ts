/**
 * The only file that imports `resend`. The client is built from the values the adapter passes in:
 * key and base URL explicitly, because the SDK would otherwise read RESEND_API_KEY/RESEND_BASE_URL
 * from process.env on its own. The SDK has no timeout option, but every method takes a
 * `{ signal }`; each call gets a fresh deadline signal. The `{data, error}` answer is turned into a
 * return value or a thrown `ResendFailure`. Retries live in index.ts.
 */
import { Resend } from 'resend';
import { baseUrlFrom } from '../http-adapter.js';
import type { ResendDomain, ResendDomainSummary, ResendRecord } from './convert.js';
import { ResendFailure, toFailure } from './errors.js';
import type { ResendErrorBody } from './errors.js';

export const RESEND_URL = 'https://api.resend.com';
export const REGIONS = ['us-east-1', 'eu-west-1', 'sa-east-1', 'ap-northeast-1'] as const;
export type ResendRegion = (typeof REGIONS)[number];

/** RESEND_BASE_URL (emulators, proxies) or the public API; the SDK appends `/domains…` itself. */
export function resolveBaseUrl(env: NodeJS.ProcessEnv): string {
  return baseUrlFrom(env, 'RESEND_BASE_URL', RESEND_URL);
}

export interface ResendApiOptions { apiKey: string; baseUrl: string; timeoutMs: number }

interface SdkAnswer { data: unknown; error: ResendErrorBody | null; headers: Record<string, string> | null }

const malformed = (what: string) => new ResendFailure('malformed', `the answer has no ${what}`);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function asSummary(value: unknown): ResendDomainSummary {
  const d = (value ?? {}) as Record<string, unknown>;
  const id = str(d.id);
  const name = str(d.name);
  if (!id || !name) throw malformed('domain id or name');
  return { id, name, status: str(d.status) ?? 'unknown', region: str(d.region) };
}

function asDomain(value: unknown): ResendDomain {
  const records = (value as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) throw malformed('record list');
  return { ...asSummary(value), records: records.filter((r): r is ResendRecord => !!r && typeof r === 'object') };
}

export class ResendApi {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly client: Resend;

  constructor(options: ResendApiOptions) {
    this.baseUrl = options.baseUrl;
    this.timeoutMs = options.timeoutMs;
    this.client = new Resend(options.apiKey, { baseUrl: options.baseUrl });
  }

  private async call(op: (signal: AbortSignal) => Promise<SdkAnswer>): Promise<unknown> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const answer = await op(signal);
    if (answer.error) throw toFailure(answer.error, answer.headers, signal.aborted, this.timeoutMs);
    // A JSON `null` body is a 2xx the SDK accepts; nothing we can use.
    if (answer.data === null || typeof answer.data !== 'object') throw malformed('body');
    return answer.data;
  }

  /** `POST /domains`: the new domain with its records. */
  async createDomain(input: { name: string; region: ResendRegion; customReturnPath?: string }): Promise<ResendDomain> {
    return asDomain(await this.call((signal) => this.client.domains.create(input, { signal })));
  }

  /** `GET /domains/{id}`: the domain with its records. */
  async getDomain(id: string): Promise<ResendDomain> {
    return asDomain(await this.call((signal) => this.client.domains.get(id, { signal })));
  }

  /** `GET /domains?limit=&after=`: one page, newest first, without records. */
  async listDomains(limit: number, after?: string): Promise<{ items: ResendDomainSummary[]; hasMore: boolean }> {
    const page = (await this.call((signal) => this.client.domains.list(after ? { limit, after } : { limit }, { signal }))) as { data?: unknown; has_more?: unknown };
    if (!Array.isArray(page.data)) throw malformed('domain list');
    return { items: page.data.map(asSummary), hasMore: page.has_more === true };
  }

  /** `POST /domains/{id}/verify`: starts an asynchronous check; read the outcome with getDomain. */
  async verifyDomain(id: string): Promise<void> {
    await this.call((signal) => this.client.domains.verify(id, { signal }));
  }

  /** `GET /emails/metrics` (SDK ≥ 6.22): daily counts by domain (delivery.ts reads the body). */
  async metrics(options: { startDate: string; endDate: string; domainId?: string[] }): Promise<unknown> {
    return this.call((signal) => this.client.emails.metrics({
      ...options, granularity: 'daily', timezone: 'UTC', dimensions: ['period', 'domain'],
      metrics: ['sent', 'delivered', 'bounced_permanent', 'complained'],
    }, { signal }) as Promise<SdkAnswer>);
  }

  /** `DELETE /domains/{id}`. */
  async removeDomain(id: string): Promise<void> {
    await this.call((signal) => this.client.domains.remove(id, { signal }));
  }
}
