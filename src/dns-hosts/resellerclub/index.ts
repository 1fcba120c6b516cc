/**
 * The ResellerClub (LogicBoxes) writer. Records have no ids: each is addressed by domain, host and
 * current value, with one endpoint per type (`dns/manage/add-txt-record.json`, `update-…`). Listing
 * a name searches every type the API has (A, AAAA, CNAME, MX, NS, TXT, SRV): a CNAME must never be
 * created beside an A the writer did not look for. The API has no conditional writes, so every
 * change first re-reads its name (all types) and refuses it as HOST_CONFLICT when the name no
 * longer holds what the plan saw (apply.ts); the window between that read and the write is the best
 * this API allows. An update selects the old record by its value exactly as that re-read spelled
 * it. A write whose answer is lost is checked by reading back.
 */
import { getDomain } from 'tldts';
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { retryBudget, withRetries } from '../../remote/retry.js';
import { applySequentially } from '../apply.js';
import type { ApplyReport, DnsHostWriter, HostChange, HostContext, HostFactory, HostRecord, HostZone } from '../types.js';
import { ResellerclubApi, resolveBaseUrl } from './api.js';
import { DEFAULT_TTL, hostParam, hostRecord, MIN_TTL, parseSearch, RC_SEARCH_TYPES, RC_WRITE_TYPES, sameRecord } from './convert.js';
import type { RcRecord, RcType, RcWriteType } from './convert.js';
import { hostConflict } from '../pin.js';
import { classify, isDomainAnswer, KEY_ENV, missingCredential, RcFailure, said, toMailsetupError, USERID_ENV } from './errors.js';

const PAGE_SIZE = 50;
const MAX_PAGES = 200;

interface Client { api: ResellerclubApi; secrets: string[] }

class ResellerclubWriter implements DnsHostWriter {
  readonly id = 'resellerclub' as const;
  readonly capabilities = { proxy: false, rrsetWrites: false, minTtl: MIN_TTL, atomicBatch: false };
  private client: Client | null = null;
  /** The last re-read of each name (apply): an update quotes the old value as the API spelled it there. */
  private readonly lastRead = new Map<string, RcRecord[]>();

  constructor(private readonly ctx: HostContext) {}

  /** Built on first use, so missing credentials are an error of the call, not of the factory. */
  private get(): Client {
    if (this.client) return this.client;
    const userId = this.ctx.env[USERID_ENV]?.trim() ?? '';
    const apiKey = this.ctx.env[KEY_ENV]?.trim() ?? '';
    if (userId === '') throw missingCredential(USERID_ENV);
    if (apiKey === '') throw missingCredential(KEY_ENV);
    const api = new ResellerclubApi({ baseUrl: resolveBaseUrl(this.ctx.env), credentials: { userId, apiKey }, timeoutMs: this.ctx.timeoutMs });
    this.client = { api, secrets: [apiKey, userId] };
    return this.client;
  }

  private retried<T>(op: (api: ResellerclubApi) => Promise<T>): Promise<T> {
    const { api } = this.get();
    return withRetries(() => op(api), {
      classify,
      budgetMs: retryBudget(this.ctx.timeoutMs),
      ...(this.ctx.sleep ? { sleep: this.ctx.sleep } : {}),
      onRetry: (attempt, waitMs, e) => this.ctx.debug?.(`resellerclub: attempt ${attempt} failed (${e instanceof Error ? e.message : String(e)}), retrying in ${Math.round(waitMs)} ms`),
    });
  }

  private async call<T>(what: string, op: (api: ResellerclubApi) => Promise<T>): Promise<T> {
    try {
      return await this.retried(op);
    } catch (e) {
      const { api, secrets } = this.get();
      throw toMailsetupError(e, what, secrets, api.baseUrl);
    }
  }

  /** One search page: `dns/manage/search-records.json` (one attempt: callers retry, once). */
  private page(api: ResellerclubApi, zone: string, type: RcType, pageNo: number, size: number): Promise<unknown> {
    return api.get('dns/manage/search-records.json', { 'domain-name': zone, type, 'no-of-records': String(size), 'page-no': String(pageNo) });
  }

  /** Every record of `type` in the zone (the `host` filter's semantics are undocumented, so none is used). */
  private async search(zone: string, type: RcType): Promise<RcRecord[]> {
    const out: RcRecord[] = [];
    for (let pageNo = 1; pageNo <= MAX_PAGES; pageNo++) {
      const body = await this.call(`listing ${type} records of ${zone}`, (api) => this.page(api, zone, type, pageNo, PAGE_SIZE));
      const page = parseSearch(body, zone, type);
      if (!page) throw new MailsetupError('PROVIDER_UNAVAILABLE', `ResellerClub answered the ${type} search of ${zone} in an unexpected shape`);
      out.push(...page.records);
      if (page.records.length === 0 || out.length >= page.total) break;
    }
    return out;
  }

  async findZone(name: string): Promise<HostZone> {
    const n = normaliseName(name);
    // Orders are for registrable domains only, so that is the one zone that can hold the name.
    const zone = getDomain(n) ?? n;
    const { api, secrets } = this.get();
    try {
      await this.retried((api) => this.page(api, zone, 'NS', 1, 10));
    } catch (e) {
      const err = toMailsetupError(e, `looking up ${zone}`, secrets, api.baseUrl);
      if (e instanceof RcFailure && isDomainAnswer(e, zone) && err instanceof MailsetupError && err.code !== 'DOMAIN_NOT_FOUND') {
        throw new MailsetupError('DOMAIN_NOT_FOUND', `ResellerClub has no DNS zone for ${zone} in this reseller account (${said(e, secrets)})`, {
          hint: `The domain must be an order of the reseller ${USERID_ENV} names, with its free DNS service activated.`,
        });
      }
      throw err;
    }
    this.ctx.debug?.(`resellerclub: zone ${zone} found`);
    return { name: zone, id: zone };
  }

  /** Every record at the names, of every type the API can search. */
  private async every(zone: string, names: Set<string>): Promise<RcRecord[]> {
    const all = await Promise.all(RC_SEARCH_TYPES.map((t) => this.search(zone, t)));
    return all.flat().filter((r) => names.has(r.name));
  }

  async listRecords(zone: HostZone, names: string[]): Promise<HostRecord[]> {
    return (await this.every(zone.name, new Set(names.map(normaliseName)))).map(hostRecord);
  }

  private async at(zone: string, name: string, type: RcType): Promise<RcRecord[]> {
    return (await this.search(zone, type)).filter((r) => r.name === name);
  }

  /** POST a write; when its fate is unknown (retries ran out, answer lost), read back before failing. */
  private async write(what: string, path: string, params: Record<string, string>, landed: () => Promise<boolean>): Promise<void> {
    try {
      await this.call(what, (api) => api.post(path, params));
    } catch (e) {
      if (e instanceof MailsetupError && e.code === 'PROVIDER_AUTH') throw e;
      const ok = await landed().catch(() => false);
      if (!ok) throw e;
      this.ctx.debug?.(`resellerclub: ${what} reported a failure but the record is there; counting it as applied`);
    }
  }

  private async applyOne(zone: string, change: HostChange): Promise<void> {
    const rec = change.kind === 'create' ? change.record : change.to;
    const type = rec.type as RcWriteType;
    if (!RC_WRITE_TYPES.includes(type)) throw new MailsetupError('PROVIDER_UNSUPPORTED', `the ResellerClub writer writes TXT, CNAME and MX records, not ${rec.type}`);
    const name = normaliseName(rec.name);
    const host = hostParam(name, zone);
    const what = `${type} at ${name}`;
    const ttl = String(Math.max(rec.ttl ?? DEFAULT_TTL, MIN_TTL));
    const mx: Record<string, string> = type === 'MX' ? { priority: String(rec.priority ?? 10) } : {};
    if (change.kind === 'create') {
      await this.write(`adding ${what}`, `dns/manage/add-${type.toLowerCase()}-record.json`, { 'domain-name': zone, host, value: rec.value, ttl, ...mx },
        async () => (await this.at(zone, name, type)).some((r) => sameRecord(r, rec)));
      return;
    }
    if (normaliseName(change.from.name) !== name || change.from.type !== type) {
      throw new MailsetupError('INTERNAL', `an update must keep the name and type (${change.from.type} ${change.from.name} → ${type} ${name})`);
    }
    // Select the old record by its value exactly as the API spelled it just now (it may re-quote a TXT).
    const stored = (this.lastRead.get(name) ?? []).find((r) => sameRecord(r, change.from));
    if (!stored) throw hostConflict(name, null, `"${change.from.value.slice(0, 80)}" is no longer there`);
    await this.write(`updating ${what}`, `dns/manage/update-${type.toLowerCase()}-record.json`,
      { 'domain-name': zone, host, 'current-value': stored.raw, 'new-value': rec.value, ttl, ...mx },
      async () => {
        const now = await this.at(zone, name, type);
        return now.some((r) => sameRecord(r, rec)) && !now.some((r) => r.raw === stored.raw && !sameRecord(r, rec));
      });
  }

  async apply(zone: HostZone, changes: HostChange[]): Promise<ApplyReport> {
    return applySequentially(changes, {
      read: async (name) => {
        const now = await this.every(zone.name, new Set([name]));
        this.lastRead.set(name, now);
        return now.map(hostRecord);
      },
      write: (change) => this.applyOne(zone.name, change),
    });
  }
}

export const createResellerclubWriter: HostFactory = async (ctx) => new ResellerclubWriter(ctx);
