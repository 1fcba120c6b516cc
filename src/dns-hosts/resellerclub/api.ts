/**
 * A thin `fetch` client for the ResellerClub / LogicBoxes HTTP API (registrars.md §3). There is no
 * official Node SDK: `npm view` finds no package named resellerclub, resellerclub-api,
 * node-resellerclub or logicboxes (checked 2026-11), and the clients that exist are PHP/Go/Python.
 * Every call carries `auth-userid` and `api-key`; GETs put parameters in the query string, POSTs in
 * a form body. Answers are JSON; an `{"status":"ERROR"}` body or a non-2xx status becomes an
 * `RcFailure`. Retries live in index.ts.
 */
import { MailsetupError } from '../../errors.js';
import { parseRetryAfter } from '../../remote/retry.js';
import { BASE_URL_ENV, RcFailure } from './errors.js';

export const RESELLERCLUB_URL = 'https://httpapi.com/api';

/** RESELLERCLUB_BASE_URL (emulators, the test.httpapi.com sandbox) or production, without a trailing slash. */
export function resolveBaseUrl(env: NodeJS.ProcessEnv): string {
  const override = env[BASE_URL_ENV]?.trim();
  if (!override) return RESELLERCLUB_URL;
  // Checked here: fetch's "Failed to parse URL" error would quote the whole URL, API key included.
  if (!URL.canParse(override) || !/^https?:$/.test(new URL(override).protocol)) {
    throw new MailsetupError('USAGE', `${BASE_URL_ENV} is not an http(s) URL: ${override.slice(0, 100)}`, { hint: `Unset it to use ${RESELLERCLUB_URL}, or give e.g. https://test.httpapi.com/api.` });
  }
  return override.replace(/\/+$/, '');
}

export interface RcCredentials { userId: string; apiKey: string }
export interface RcApiOptions { baseUrl: string; credentials: RcCredentials; timeoutMs: number }

type Params = Record<string, string>;

function errorText(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const o = body as Record<string, unknown>;
  const m = o.message ?? o.error ?? o.msg;
  return typeof m === 'string' ? m : '';
}

const isErrorBody = (body: unknown): boolean =>
  !!body && typeof body === 'object' && typeof (body as { status?: unknown }).status === 'string' && /^error$/i.test((body as { status: string }).status);

export class ResellerclubApi {
  readonly baseUrl: string;
  private readonly credentials: RcCredentials;
  private readonly timeoutMs: number;

  constructor(options: RcApiOptions) {
    this.baseUrl = options.baseUrl;
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs;
  }

  private auth(): Params {
    return { 'auth-userid': this.credentials.userId, 'api-key': this.credentials.apiKey };
  }

  async get(path: string, params: Params): Promise<unknown> {
    const query = new URLSearchParams({ ...this.auth(), ...params });
    return this.send('GET', `${this.baseUrl}/${path}?${query}`, undefined);
  }

  async post(path: string, params: Params): Promise<unknown> {
    return this.send('POST', `${this.baseUrl}/${path}`, new URLSearchParams({ ...this.auth(), ...params }));
  }

  private async send(method: 'GET' | 'POST', url: string, body: URLSearchParams | undefined): Promise<unknown> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method, signal, body,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      });
      text = await res.text();
    } catch (e) {
      // Never the URL: a GET carries the API key in its query string.
      if (signal.aborted) throw new RcFailure('timeout', `no answer within ${this.timeoutMs} ms`);
      // Only the cause's code: some fetch errors quote the URL.
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new RcFailure('network', cause ?? 'network failure');
    }
    let parsed: unknown;
    let parsedOk = true;
    try { parsed = JSON.parse(text); } catch { parsedOk = false; }
    if (!res.ok) {
      const retryAfter = res.status === 429 ? parseRetryAfter(res.headers.get('retry-after')) : null;
      throw new RcFailure('http', `HTTP ${res.status}`, res.status, parsedOk ? errorText(parsed) : '', retryAfter);
    }
    if (!parsedOk) throw new RcFailure('malformed', `HTTP ${res.status} with a body that is not JSON`);
    if (isErrorBody(parsed)) throw new RcFailure('api', 'ERROR', res.status, errorText(parsed));
    return parsed;
  }
}
