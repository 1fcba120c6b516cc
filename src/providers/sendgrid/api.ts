/**
 * The only file that touches `@sendgrid/client`. One instance per (key, base URL), never the SDK's
 * process-wide singleton, so two providers in one process cannot share state. Every request either
 * resolves with a parsed JSON body or rejects with a sanitised `SendgridFailure` (errors.ts).
 */
import { Client } from '@sendgrid/client';
import { baseUrlFrom } from '../http-adapter.js';
import { SendgridFailure, toFailure } from './errors.js';

export const GLOBAL_BASE_URL = 'https://api.sendgrid.com';
export const EU_BASE_URL = 'https://api.eu.sendgrid.com';
export const REGIONS = ['global', 'eu'] as const;
export type SendgridRegion = (typeof REGIONS)[number];

/**
 * SENDGRID_BASE_URL wins (emulators, proxies, or the EU host set explicitly); otherwise the region
 * picks the host, as the SDK's own `setDataResidency` would.
 */
export function resolveBaseUrl(env: NodeJS.ProcessEnv, region: SendgridRegion): string {
  return baseUrlFrom(env, 'SENDGRID_BASE_URL', region === 'eu' ? EU_BASE_URL : GLOBAL_BASE_URL);
}

/** The region a base URL implies, when it is one of SendGrid's own hosts. */
export function regionOfBaseUrl(baseUrl: string): SendgridRegion | null {
  if (!URL.canParse(baseUrl)) return null;
  const host = new URL(baseUrl).hostname.toLowerCase();
  if (host === 'api.eu.sendgrid.com') return 'eu';
  if (host === 'api.sendgrid.com') return 'global';
  return null;
}

export interface ApiOptions {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  debug?: (line: string) => void;
}

type ClientRequest = Parameters<Client['request']>[0];
type Method = 'GET' | 'POST' | 'DELETE';
type Query = Record<string, string | number | boolean>;

export class SendgridApi {
  private readonly client: Client;

  constructor(private readonly options: ApiOptions) {
    this.client = new Client();
    this.client.setApiKey(options.apiKey);
    // setApiKey() resets baseUrl to the region host, so the override must come after it.
    this.client.setDefaultRequest('baseUrl', `${options.baseUrl}/`);
    // The SDK has no timeout of its own (axios default 0 = wait forever); the option passes through.
    // It is an idle timeout on the socket; `deadline` below bounds the whole exchange.
    this.client.setDefaultRequest({ timeout: options.timeoutMs } as unknown as ClientRequest);
  }

  /** A 2xx with a JSON body (object or array); anything else rejects with a SendgridFailure. */
  async json(method: Method, path: string, opts: { qs?: Query; body?: unknown } = {}): Promise<unknown> {
    const body = await this.send(method, path, opts);
    // axios parses JSON "silently": a body that is not JSON arrives as the raw string.
    if (body === null || typeof body !== 'object') throw new SendgridFailure('malformed', `${method} ${path} did not return JSON`);
    return body;
  }

  /** A 2xx whose body does not matter (204 from DELETE, resend). */
  async empty(method: Method, path: string, opts: { qs?: Query; body?: unknown } = {}): Promise<void> {
    await this.send(method, path, opts);
  }

  private async send(method: Method, path: string, opts: { qs?: Query; body?: unknown }): Promise<unknown> {
    const started = Date.now();
    const shown = opts.qs ? `${path}?${new URLSearchParams(Object.entries(opts.qs).map(([k, v]): [string, string] => [k, String(v)]))}` : path;
    try {
      const request: ClientRequest = { method, url: path, ...(opts.qs ? { qs: opts.qs } : {}), ...(opts.body !== undefined ? { body: opts.body } : {}) };
      const [response, body] = await this.deadline(this.client.request(request));
      this.options.debug?.(`sendgrid: ${method} ${shown} → ${response.statusCode} (${Date.now() - started} ms)`);
      return body;
    } catch (error) {
      const failure = toFailure(error, this.options.timeoutMs);
      this.options.debug?.(`sendgrid: ${method} ${shown} → ${failure.message}${failure.details.length ? ` (${failure.details.join('; ')})` : ''} (${Date.now() - started} ms)`);
      throw failure;
    }
  }

  /** axios' timeout only fires on an idle socket; a server that trickles bytes must not hang us. */
  private deadline<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.timeoutMs;
    if (!(ms > 0)) return promise;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendgridFailure('timeout', `no answer within ${ms} ms`)), ms + 250);
      timer.unref();
    });
    return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
  }
}
