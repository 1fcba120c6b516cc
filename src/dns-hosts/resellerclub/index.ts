/**
 * The ResellerClub (LogicBoxes) writer. Records have no ids: each is addressed by domain, host and
 * current value, with one endpoint per type (`dns/manage/add-txt-record.json`, `update-…`). The
 * API has no conditional writes, so every change first re-reads the records at its name and refuses
 * (as a conflict) when the zone no longer matches what the plan assumed; the window between that read
 * and the write is the best this API allows. A write whose answer is lost is checked by reading back.
 */
import { getDomain } from 'tldts';
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { withRetries } from '../../providers/retry.js';
import { applySequentially } from '../apply.js';
import type { ApplyReport, DnsHostWriter, HostChange, HostContext, HostFactory, HostRecord, HostZone } from '../types.js';
import { ResellerclubApi, resolveBaseUrl } from './api.js';
import { DEFAULT_TTL, hostParam, hostRecord, MIN_TTL, parseSearch, RC_TYPES, sameRecord } from './convert.js';
import type { RcRecord, RcType } from './convert.js';
import { classify, conflictError, isDomainAnswer, KEY_ENV, missingCredential, RcFailure, said, toMailsetupError, USERID_ENV } from './errors.js';

const PAGE_SIZE = 50;
const MAX_PAGES = 200;
const kindPrefix = (v: string): string | null => (/^v=spf1(\s|$)/i.test(v) ? 'v=spf1' : /^v=dmarc1\s*;?/i.test(v) ? 'v=DMARC1' : null);

interface Client { api: ResellerclubApi; secrets: string[] }

class ResellerclubWriter implements DnsHostWriter {
  readonly id = 'resellerclub' as const;
  readonly capabilities = { proxy: false, rrsetWrites: false, minTtl: MIN_TTL };
  private client: Client | null = null;

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

  /** One search page: `dns/manage/search-records.json`. */
  private async page(zone: string, type: RcType | 'NS', pageNo: number, size: number): Promise<unknown> {
    return (await this.retried((api) => api.get('dns/manage/search-records.json', {
      'domain-name': zone, type, 'no-of-records': String(size), 'page-no': String(pageNo),
    })));
  }

  /** Every record of `type` in the zone (the `host` filter's semantics are undocumented, so none is used). */
  private async search(zone: string, type: RcType): Promise<RcRecord[]> {
    const out: RcRecord[] = [];
    for (let pageNo = 1; pageNo <= MAX_PAGES; pageNo++) {
      const body = await this.call(`listing ${type} records of ${zone}`, () => this.page(zone, type, pageNo, PAGE_SIZE));
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
      await this.page(zone, 'NS', 1, 10);
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

  async listRecords(zone: HostZone, names: string[]): Promise<HostRecord[]> {
    const wanted = new Set(names.map(normaliseName));
    const all = await Promise.all(RC_TYPES.map((t) => this.search(zone.name, t)));
    return all.flat().filter((r) => wanted.has(r.name)).map(hostRecord);
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
    const type = rec.type as RcType;
    if (!RC_TYPES.includes(type)) throw new MailsetupError('PROVIDER_UNSUPPORTED', `the ResellerClub writer writes TXT, CNAME and MX records, not ${rec.type}`);
    const name = normaliseName(rec.name);
    const host = hostParam(name, zone);
    const what = `${type} at ${name}`;
    const ttl = String(Math.max(rec.ttl ?? DEFAULT_TTL, MIN_TTL));
    const mx: Record<string, string> = type === 'MX' ? { priority: String(rec.priority ?? 10) } : {};
    const current = await this.at(zone, name, type);
    if (change.kind === 'create') {
      if (current.some((r) => sameRecord(r, rec))) throw conflictError(what, 'the record exists already');
      const prefix = type === 'TXT' ? kindPrefix(rec.value) : null;
      const rival = prefix ? current.find((r) => kindPrefix(r.value) === prefix) : undefined;
      if (rival) throw conflictError(what, `a ${prefix} record appeared there: "${rival.value.slice(0, 80)}"`);
      const clash = type === 'CNAME'
        ? [...current, ...(await this.at(zone, name, 'TXT')), ...(await this.at(zone, name, 'MX'))]
        : await this.at(zone, name, 'CNAME');
      if (clash.length > 0) throw conflictError(what, type === 'CNAME' ? 'the name holds other records now' : 'the name is a CNAME now');
      await this.write(`adding ${what}`, `dns/manage/add-${type.toLowerCase()}-record.json`, { 'domain-name': zone, host, value: rec.value, ttl, ...mx },
        async () => (await this.at(zone, name, type)).some((r) => sameRecord(r, rec)));
      return;
    }
    if (normaliseName(change.from.name) !== name || change.from.type !== type) {
      throw new MailsetupError('INTERNAL', `an update must keep the name and type (${change.from.type} ${change.from.name} → ${type} ${name})`);
    }
    // Select the old record by its value exactly as the API spelled it (it may have re-quoted a TXT).
    const stored = current.find((r) => sameRecord(r, change.from));
    if (!stored) throw conflictError(what, `"${change.from.value.slice(0, 80)}" is no longer there`);
    await this.write(`updating ${what}`, `dns/manage/update-${type.toLowerCase()}-record.json`,
      { 'domain-name': zone, host, 'current-value': stored.raw, 'new-value': rec.value, ttl, ...mx },
      async () => {
        const now = await this.at(zone, name, type);
        return now.some((r) => sameRecord(r, rec)) && !now.some((r) => r.raw === stored.raw && !sameRecord(r, rec));
      });
  }

  async apply(zone: HostZone, changes: HostChange[]): Promise<ApplyReport> {
    return applySequentially(changes, (change) => this.applyOne(zone.name, change));
  }
}

export const createResellerclubWriter: HostFactory = async (ctx) => new ResellerclubWriter(ctx);
