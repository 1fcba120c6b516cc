/**
 * SendGrid adapter: domain authentication with automatic security (three CNAMEs: the return path
 * and two DKIM keys SendGrid rotates itself) and single-sender verification.
 *
 * Every operation runs as one unit under `withRetries`, so a retried `register` lists again before
 * it creates: SendGrid happily authenticates the same domain twice, and a create whose answer was
 * lost (reset, timeout, 5xx after commit) must be adopted on the next attempt, not duplicated.
 */
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { requireApiKey, requireHttpUrl, requireRegion, runWithRetries } from '../http-adapter.js';
import type { DeliveryWindow, EmailProvider, ProviderCapabilities, ProviderContext, ProviderFactory, RegisterOptions, RegisterResult, SenderResult } from '../types.js';
import type { SendgridRegion } from './api.js';
import { REGIONS, SendgridApi, regionOfBaseUrl, resolveBaseUrl } from './api.js';
import type { SendgridIdentity, SgDomain, SgSender } from './convert.js';
import { parseDomain, parseDomainList, parseSender, parseSenderList, parseValidation, pickDomain, toIdentity, toSenderResult } from './convert.js';
import { SendgridFailure, classify, KEY_HINT, toMailsetupError } from './errors.js';
import { createSendgridDelivery } from './delivery.js';
import { windowDates } from '../window.js';

export type { SendgridIdentity, SendgridRecordCheck } from './convert.js';

const capabilities: ProviderCapabilities = {
  singleSender: true,
  byoDkim: false, // automatic security: SendGrid generates and rotates the DKIM keys itself
  inbound: false, // Inbound Parse is a separate product, not part of domain authentication
  customMailFrom: true, // the return-path label (`subdomain`), `em1234` when SendGrid picks it
  triggerVerify: true, // POST …/validate re-checks DNS on demand
  regions: REGIONS,
};

const PAGE = 100;
const MAX_PAGES = 20; // 2,000 entries: far beyond any real account, but never an endless loop

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const createSendgridProvider: ProviderFactory = async (ctx: ProviderContext): Promise<EmailProvider> => {
  const apis = new Map<string, SendgridApi>();

  function regionOf(requested: string | undefined): SendgridRegion {
    const r = (requested ?? ctx.region ?? '').toLowerCase();
    if (r === '') return regionOfBaseUrl(resolveBaseUrl(ctx.env, 'global')) ?? 'global';
    return requireRegion('SendGrid', REGIONS, r, requested ?? ctx.region);
  }

  // Built on first use, so reading `capabilities` needs no key; one client per region used.
  function api(region: SendgridRegion): SendgridApi {
    const cached = apis.get(region);
    if (cached) return cached;
    const apiKey = requireApiKey(ctx.env, 'SendGrid', 'SENDGRID_API_KEY', KEY_HINT);
    const baseUrl = requireHttpUrl(resolveBaseUrl(ctx.env, region), 'SENDGRID_BASE_URL', 'Unset it, or set it to https://api.eu.sendgrid.com for the EU.');
    ctx.debug?.(`sendgrid: using ${baseUrl} (region ${region})`);
    const created = new SendgridApi({ apiKey, baseUrl, timeoutMs: ctx.timeoutMs, ...(ctx.debug ? { debug: ctx.debug } : {}) });
    apis.set(region, created);
    return created;
  }

  let delivery: ReturnType<typeof createSendgridDelivery> | undefined;

  function run<T>(what: string, op: () => Promise<T>): Promise<T> {
    return runWithRetries(ctx, 'sendgrid', classify, op, (error) => toMailsetupError(error, what, ctx.env));
  }

  const isNotFound = (e: unknown): boolean => e instanceof SendgridFailure && e.kind === 'http' && e.status === 404;

  async function listDomains(region: SendgridRegion, domain: string): Promise<SgDomain[]> {
    const all: SgDomain[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      // exclude_subusers: a parent account's list includes its subusers' domains, which are not ours to adopt.
      const qs = { domain, exclude_subusers: true, limit: PAGE, offset: page * PAGE };
      const batch = parseDomainList(await api(region).json('GET', '/v3/whitelabel/domains', { qs }));
      all.push(...batch);
      if (batch.length < PAGE) break;
    }
    return all;
  }

  /** The authenticated domain a stored id points at; by name when the id is not SendGrid's. */
  async function find(region: SendgridRegion, domain: string, providerId: string): Promise<SgDomain | null> {
    const name = normaliseName(domain);
    if (!/^\d+$/.test(providerId)) return pickDomain(await listDomains(region, name), name, null);
    let found: SgDomain;
    try {
      found = parseDomain(await api(region).json('GET', `/v3/whitelabel/domains/${providerId}`));
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    // A hand-edited state file could point at another domain's id: never act on someone else's.
    if (found.domain !== name) {
      throw new MailsetupError('DOMAIN_NOT_FOUND', `SendGrid domain id ${providerId} is ${found.domain}, not ${name}`, {
        hint: `Fix providerId for ${name} in the state file, or run \`mailsetup add ${name} --provider sendgrid\` to adopt the right one.`,
      });
    }
    return found;
  }

  async function findSender(region: SendgridRegion, email: string): Promise<SgSender | null> {
    let lastSeen: number | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const qs = { limit: PAGE, ...(lastSeen !== null ? { lastSeenID: lastSeen } : {}) };
      const batch = parseSenderList(await api(region).json('GET', '/v3/verified_senders', { qs }));
      const hit = batch.find((s) => s.email === email);
      if (hit) return hit;
      if (batch.length < PAGE) return null;
      lastSeen = batch[batch.length - 1]!.id;
    }
    return null;
  }

  const provider: EmailProvider = {
    id: 'sendgrid',
    capabilities,

    async register(options: RegisterOptions): Promise<RegisterResult> {
      const domain = normaliseName(options.domain);
      const region = regionOf(options.region);
      if (options.dkim === 'byo') {
        throw new MailsetupError('PROVIDER_UNSUPPORTED', 'SendGrid generates its own DKIM keys (automatic security); --dkim byo is not possible', { hint: 'Use --dkim easy, or --provider ses for your own key.' });
      }
      if (options.inbound) {
        throw new MailsetupError('PROVIDER_UNSUPPORTED', 'receiving MX (--inbound) is not part of SendGrid domain authentication', { hint: 'Set up SendGrid Inbound Parse separately, or use --provider ses.' });
      }
      const label = options.mailFrom === undefined ? null : options.mailFrom.trim().toLowerCase();
      if (label !== null && !LABEL.test(label)) {
        throw new MailsetupError('USAGE', `--mail-from must be one DNS label for SendGrid (its return-path "subdomain"), not "${options.mailFrom}"`, { hint: 'For example --mail-from em or --mail-from bounce.' });
      }
      if (options.dkimKeySize !== undefined) ctx.debug?.('sendgrid: --dkim-key-size ignored; SendGrid picks the key size with automatic security');
      let posted = false;
      return run(`registering ${domain}`, async () => {
        const existing = pickDomain(await listDomains(region, domain), domain, label);
        // Found after our own create was lost in transit: that is ours, not an adoption.
        if (existing) return { identity: toIdentity(existing, region), adopted: !posted };
        posted = true;
        // SendGrid auto-generates an `emNNNN` return-path label when `subdomain` is omitted.
        const body = { domain, automatic_security: true, ...(label !== null ? { subdomain: label } : {}), ...(region === 'eu' ? { region } : {}) };
        const created = parseDomain(await api(region).json('POST', '/v3/whitelabel/domains', { body }));
        return { identity: toIdentity(created, region), adopted: false };
      });
    },

    async get(domain: string, providerId: string): Promise<SendgridIdentity | null> {
      const region = regionOf(undefined);
      return run(`reading ${domain}`, async () => {
        const found = await find(region, domain, providerId);
        return found ? toIdentity(found, region) : null;
      });
    },

    async verify(domain: string, providerId: string): Promise<SendgridIdentity> {
      const region = regionOf(undefined);
      return run(`validating ${domain}`, async () => {
        const found = await find(region, domain, providerId);
        if (!found) {
          throw new MailsetupError('DOMAIN_NOT_FOUND', `SendGrid no longer has ${domain} (id ${providerId})`, { hint: `Run \`mailsetup add ${domain} --provider sendgrid\` to authenticate it again.` });
        }
        // An empty POST; SendGrid looks the records up now and answers per record, 200 even when invalid.
        const validation = parseValidation(await api(region).json('POST', `/v3/whitelabel/domains/${found.id}/validate`));
        return toIdentity(found, region, validation);
      });
    },

    async remove(domain: string, providerId: string): Promise<void> {
      const region = regionOf(undefined);
      await run(`removing ${domain}`, async () => {
        const found = await find(region, domain, providerId);
        if (!found) return;
        try {
          await api(region).empty('DELETE', `/v3/whitelabel/domains/${found.id}`);
        } catch (e) {
          if (!isNotFound(e)) throw e; // gone between our read and the delete: the goal is met
        }
      });
    },

    async registerSender(email: string): Promise<SenderResult> {
      const address = email.trim().toLowerCase();
      if (!EMAIL.test(address)) throw new MailsetupError('DOMAIN_INVALID', `not an email address: ${email}`);
      const region = regionOf(undefined);
      return run(`registering sender ${address}`, async () => {
        const existing = await findSender(region, address);
        if (existing) return toSenderResult(existing);
        // The three fields the API requires; SendGrid mails the address a link to click.
        const body = { nickname: address.slice(0, 100), from_email: address, reply_to: address };
        return toSenderResult(parseSender(await api(region).json('POST', '/v3/verified_senders', { body })));
      });
    },

    /** `health`: account reputation and /v3/stats, account-wide, asked once per window (delivery.ts). */
    async deliveryFigures(_domain: string, _providerId: string, window: DeliveryWindow) {
      delivery ??= createSendgridDelivery(() => api(regionOf(undefined)), (what, op) => run(what, op));
      return delivery.figures(windowDates(window));
    },

    async checkSender(email: string, providerId: string): Promise<SenderResult> {
      const address = email.trim().toLowerCase();
      const region = regionOf(undefined);
      return run(`checking sender ${address}`, async () => {
        // There is no GET by id; the list takes `?id=`. A non-numeric stored id falls back to the address.
        const found = /^\d+$/.test(providerId)
          ? parseSenderList(await api(region).json('GET', '/v3/verified_senders', { qs: { id: providerId } })).find((s) => String(s.id) === providerId && s.email === address) ?? null
          : await findSender(region, address);
        if (!found) {
          throw new MailsetupError('DOMAIN_NOT_FOUND', `SendGrid has no single sender ${address} (id ${providerId})`, { hint: `Run \`mailsetup add ${address} --provider sendgrid\` again.` });
        }
        return toSenderResult(found);
      });
    },
  };
  return provider;
};
