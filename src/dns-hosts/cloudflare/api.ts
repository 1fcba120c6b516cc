/**
 * The only file that talks to the `cloudflare` SDK (registrars.md §1). The SDK is heavy (~120 MB,
 * hundreds of ms to import), so it is imported here, lazily, once. Everything it would read from
 * process.env (token, base URL, log level) is passed explicitly from `ctx.env`. Retries are ours
 * (`maxRetries: 0` on the client) so they stay bounded and honour Retry-After. Pagination is ours
 * too: the SDK's auto-pagination stops only on an empty page, one request too many every time.
 */
import type { Cloudflare } from 'cloudflare';
import { MailsetupError } from '../../errors.js';
import { realSleep, retryBudget, withRetries } from '../../remote/retry.js';
import type { HostContext } from '../types.js';
import type { CfRecord, CfRecordBody } from './convert.js';
import { classifyCloudflareError, CloudflareMalformedError, isDuplicate, TOKEN_VAR, toMailsetupError } from './errors.js';

type Sdk = typeof import('cloudflare');
let sdkPromise: Promise<Sdk['Cloudflare']> | undefined;

function loadSdk(): Promise<Sdk['Cloudflare']> {
  // Unbundled, Node gives the ESM build's named export; an esbuild bundle of the CommonJS build
  // may hand us only `default` (the class, or the module object that carries it).
  return (sdkPromise ??= import('cloudflare').then((m) => {
    const mod = m as Sdk & { default?: unknown };
    const dflt = mod.default as (Sdk['Cloudflare'] & { Cloudflare?: Sdk['Cloudflare'] }) | undefined;
    const cls = mod.Cloudflare ?? dflt?.Cloudflare ?? dflt;
    if (typeof cls !== 'function') throw new MailsetupError('INTERNAL', 'The cloudflare SDK did not load (no Cloudflare class)');
    return cls;
  }));
}

export interface CfZone { id: string; name: string; status?: string }

export interface CloudflareApi {
  /** Zones whose name is exactly `name` (the API filters; we check). */
  zonesNamed(name: string): Promise<CfZone[]>;
  /** Every record at `name`, all pages. */
  recordsAt(zoneId: string, name: string): Promise<CfRecord[]>;
  getRecord(zoneId: string, id: string): Promise<CfRecord>;
  /** The created record, or null when Cloudflare said an identical one already exists. */
  create(zoneId: string, body: CfRecordBody): Promise<CfRecord | null>;
  /** PATCH: fields we do not send (comment, tags, settings) stay as the owner set them. */
  edit(zoneId: string, id: string, body: CfRecordBody): Promise<CfRecord>;
}

const PER_PAGE = 100;
const ZONES_PER_PAGE = 50;
/** A name with more records than this is not a mail name; stop rather than page forever. */
const MAX_PAGES = 50;

export async function createCloudflareApi(ctx: HostContext): Promise<CloudflareApi> {
  const token = ctx.env[TOKEN_VAR];
  if (!token) {
    throw new MailsetupError('PROVIDER_AUTH', `No Cloudflare API token: ${TOKEN_VAR} is not set`, {
      hint: `Create a token with Zone → Zone: Read and Zone → DNS: Edit, and set ${TOKEN_VAR}.`,
    });
  }
  let baseURL: string | undefined;
  if (ctx.env.CLOUDFLARE_BASE_URL) {
    try {
      baseURL = new URL(ctx.env.CLOUDFLARE_BASE_URL).toString().replace(/\/$/, '');
    } catch {
      throw new MailsetupError('USAGE', 'CLOUDFLARE_BASE_URL is not a URL', { hint: 'Set it to e.g. https://api.cloudflare.com/client/v4, or unset it.' });
    }
  }
  const CloudflareClass = await loadSdk();
  const cf: Cloudflare = new CloudflareClass({
    apiToken: token,
    // Explicit nulls: otherwise the SDK falls back to CLOUDFLARE_API_KEY / _EMAIL from process.env.
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL: baseURL ?? 'https://api.cloudflare.com/client/v4',
    maxRetries: 0,
    timeout: ctx.timeoutMs,
    logLevel: 'off',
  });
  const sleep = ctx.sleep ?? realSleep;

  async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await withRetries(send, {
        classify: classifyCloudflareError,
        budgetMs: retryBudget(ctx.timeoutMs),
        sleep,
        onRetry: (n, waitMs, e) => ctx.debug?.(`Cloudflare ${operation}: attempt ${n} failed (${String((e as { status?: number }).status ?? (e as Error).name)}); retrying in ${Math.round(waitMs)} ms`),
      });
    } catch (e) {
      ctx.debug?.(`Cloudflare ${operation} failed`);
      throw toMailsetupError(e, operation, ctx.env);
    }
  }

  /** A record object, or the malformed-answer error (a 200 with `success:false` yields result null). */
  function record(operation: string, r: unknown): CfRecord {
    const o = r as Partial<CfRecord> | null;
    if (!o || typeof o.id !== 'string' || typeof o.type !== 'string' || typeof o.name !== 'string') throw new CloudflareMalformedError(operation);
    return o as CfRecord;
  }

  function pageItems(operation: string, page: { result?: unknown; result_info?: object }): { items: unknown[]; totalPages: number | null } {
    const body = (page as { body?: { success?: unknown } }).body;
    if (!Array.isArray(page.result) || body?.success === false) throw new CloudflareMalformedError(operation);
    const total = (page.result_info as { total_pages?: unknown } | undefined)?.total_pages;
    return { items: page.result, totalPages: typeof total === 'number' ? total : null };
  }

  /** Page N+1 only while page N was full and result_info does not say it was the last. */
  async function allPages<T>(operation: string, fetchPage: (page: number) => Promise<{ items: unknown[]; totalPages: number | null }>, perPage: number, check: (x: unknown) => T): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { items, totalPages } = await call(`${operation} (page ${page})`, async () => {
        const got = await fetchPage(page);
        return { items: got.items.map(check), totalPages: got.totalPages };
      });
      out.push(...items);
      if (items.length < perPage || (totalPages !== null && page >= totalPages)) return out;
    }
    ctx.debug?.(`Cloudflare ${operation}: stopped after ${MAX_PAGES} pages`);
    return out;
  }

  return {
    async zonesNamed(name) {
      const zones = await allPages('list zones', async (page) => pageItems('list zones',
        await cf.zones.list({ name, per_page: ZONES_PER_PAGE, page })), ZONES_PER_PAGE, (z) => {
        const o = z as Partial<CfZone> | null;
        if (!o || typeof o.id !== 'string' || typeof o.name !== 'string') throw new CloudflareMalformedError('list zones');
        return { id: o.id, name: o.name, ...(typeof o.status === 'string' ? { status: o.status } : {}) };
      });
      return zones.filter((z) => z.name.toLowerCase() === name);
    },
    async recordsAt(zoneId, name) {
      return allPages('list DNS records', async (page) => pageItems('list DNS records',
        await cf.dns.records.list({ zone_id: zoneId, name: { exact: name }, per_page: PER_PAGE, page })), PER_PAGE, (r) => record('list DNS records', r));
    },
    async getRecord(zoneId, id) {
      return call('read DNS record', async () => record('read DNS record', await cf.dns.records.get(id, { zone_id: zoneId })));
    },
    async create(zoneId, body) {
      return call('create DNS record', async () => {
        try {
          return record('create DNS record', await cf.dns.records.create({ zone_id: zoneId, ...body, comment: 'mailsetup' } as Parameters<Cloudflare['dns']['records']['create']>[0]));
        } catch (e) {
          // Identical record already there (our own earlier attempt, or someone else's): the
          // state we wanted holds, and nothing was clobbered.
          if (isDuplicate(e)) return null;
          throw e;
        }
      });
    },
    async edit(zoneId, id, body) {
      return call('update DNS record', async () => record('update DNS record',
        await cf.dns.records.edit(id, { zone_id: zoneId, ...body } as Parameters<Cloudflare['dns']['records']['edit']>[1])));
    },
  };
}
