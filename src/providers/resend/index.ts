/**
 * Resend adapter over the `resend` SDK: register or adopt a sending domain in one of Resend's four
 * regions, read its records and state, ask Resend to re-check DNS, delete it. Resend addresses
 * domains by its own UUID (the providerId); adoption finds that id by listing domains.
 *
 * Each operation runs as one unit under `withRetries`: a retried `register` whose first create did
 * reach Resend meets "registered already" and adopts the domain instead of failing.
 */
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { requireApiKey, requireHttpUrl, requireRegion, runWithRetries } from '../http-adapter.js';
import type { DeliveryNotice, DeliveryReport, DeliveryWindow, EmailProvider, ProviderCapabilities, ProviderContext, ProviderFactory, ProviderIdentity, RegisterOptions, RegisterResult } from '../types.js';
import type { ResendRegion } from './api.js';
import { REGIONS, ResendApi, resolveBaseUrl } from './api.js';
import type { ResendDomain, ResendDomainSummary } from './convert.js';
import { toIdentity } from './convert.js';
import { classify, isAlreadyRegistered, isInvalidId, isNotFound, KEY_HINT, ResendFailure, toMailsetupError } from './errors.js';
import { resendDaily } from './delivery.js';
import { windowDates } from '../window.js';

export { resolveBaseUrl, RESEND_URL } from './api.js';

const capabilities: ProviderCapabilities = {
  singleSender: false, // Resend has no single-address verification
  byoDkim: false, // Resend generates the DKIM key
  inbound: false, // receiving records are a separate capability whose records are undocumented
  customMailFrom: true, // `custom_return_path`: the label of the MAIL FROM host (`send` by default)
  triggerVerify: true, // POST /domains/{id}/verify starts a re-check
  regions: REGIONS,
};

const PAGE = 100; // the API's largest page
const MAX_PAGES = 50; // 5,000 domains: far beyond a real account, but never an endless loop
const RESEND_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export const createResendProvider: ProviderFactory = async (ctx: ProviderContext): Promise<EmailProvider> => {
  let client: ResendApi | null = null;

  // Built on first use, so reading `capabilities` needs no key.
  function api(): ResendApi {
    if (client) return client;
    const apiKey = requireApiKey(ctx.env, 'Resend', 'RESEND_API_KEY', KEY_HINT);
    const baseUrl = requireHttpUrl(resolveBaseUrl(ctx.env), 'RESEND_BASE_URL', 'Unset it to use https://api.resend.com.');
    ctx.debug?.(`resend: using ${baseUrl}`);
    client = new ResendApi({ apiKey, baseUrl, timeoutMs: ctx.timeoutMs });
    return client;
  }

  function regionOf(requested: string | undefined): ResendRegion {
    return requireRegion('Resend', REGIONS, (requested ?? ctx.region ?? 'us-east-1').trim().toLowerCase(), requested ?? ctx.region);
  }

  function run<T>(what: string, op: (a: ResendApi) => Promise<T>): Promise<T> {
    const a = api();
    return runWithRetries(ctx, 'resend', classify, () => op(a), (error) => toMailsetupError(error, what, ctx.env, a.baseUrl));
  }

  async function findByName(a: ResendApi, name: string): Promise<ResendDomainSummary | null> {
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items, hasMore } = await a.listDomains(PAGE, after);
      const hit = items.find((d) => normaliseName(d.name) === name);
      if (hit) return hit;
      if (!hasMore || items.length === 0) return null;
      after = items[items.length - 1]!.id;
    }
    return null;
  }

  /**
   * Run `op` on the domain's Resend id: the stored providerId, or the id found by name when there is
   * none or it is not one of Resend's. Null when Resend does not have the domain.
   */
  async function byId<T>(a: ResendApi, name: string, providerId: string, op: (id: string) => Promise<T>): Promise<T | null> {
    // The SDK puts the id into the URL path unencoded: only an id-shaped value goes there.
    if (RESEND_ID.test(providerId)) {
      try {
        return await op(providerId);
      } catch (e) {
        if (isNotFound(e)) return null;
        if (!isInvalidId(e)) throw e;
      }
    }
    if (providerId) ctx.debug?.(`resend: "${providerId}" is not a Resend domain id; looking ${name} up by name`);
    const hit = await findByName(a, name);
    if (!hit) return null;
    try {
      return await op(hit.id);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** A hand-edited state file can pair a domain with another domain's id: never act on that one. */
  function sameDomain(d: ResendDomain, name: string): ResendDomain {
    if (normaliseName(d.name) === name) return d;
    throw new MailsetupError('CONFIG_INVALID', `the stored Resend id ${d.id} belongs to ${d.name}, not ${name}`, {
      hint: `Fix providerId for ${name} in the state file, or delete it to look the domain up by name.`,
    });
  }

  const identity = (d: ResendDomain): ProviderIdentity => toIdentity(d, ctx.debug);

  return {
    id: 'resend',
    capabilities,

    async register(options: RegisterOptions): Promise<RegisterResult> {
      const domain = normaliseName(options.domain);
      const region = regionOf(options.region);
      if (options.dkim === 'byo') {
        throw new MailsetupError('PROVIDER_UNSUPPORTED', 'Resend generates the DKIM key itself; --dkim byo is not available', { hint: 'Drop --dkim byo, or use --provider ses.' });
      }
      const returnPath = options.mailFrom?.trim().toLowerCase();
      if (returnPath !== undefined && !LABEL.test(returnPath)) {
        throw new MailsetupError('USAGE', `--mail-from must be one DNS label for Resend (got "${options.mailFrom}")`, { hint: 'For example --mail-from bounce gives bounce.<domain>.' });
      }
      if (options.dkimKeySize !== undefined) ctx.debug?.('resend: the DKIM key size is chosen by Resend; ignoring --dkim-key-size');
      return run(`registering ${domain}`, async (a) => {
        try {
          const created = await a.createDomain({ name: domain, region, ...(returnPath ? { customReturnPath: returnPath } : {}) });
          return { identity: identity(created), adopted: false };
        } catch (e) {
          if (!isAlreadyRegistered(e)) throw e;
        }
        const found = await findByName(a, domain);
        if (!found) {
          throw new MailsetupError('DOMAIN_EXISTS', `Resend says ${domain} is registered already, but not in the account of RESEND_API_KEY`, {
            hint: 'Remove it from the other Resend account (or team), or use that account\'s key.',
          });
        }
        const existing = await a.getDomain(found.id);
        if (existing.region && existing.region !== region) ctx.debug?.(`resend: adopting ${domain} in ${existing.region}, not ${region}`);
        return { identity: identity(existing), adopted: true };
      });
    },

    async get(domain: string, providerId: string): Promise<ProviderIdentity | null> {
      const name = normaliseName(domain);
      const found = await run(`reading ${name}`, (a) => byId(a, name, providerId, async (id) => sameDomain(await a.getDomain(id), name)));
      return found ? identity(found) : null;
    },

    async verify(domain: string, providerId: string): Promise<ProviderIdentity> {
      const name = normaliseName(domain);
      const d = await run(`verifying ${name}`, (a) => byId(a, name, providerId, async (id) => {
        await a.verifyDomain(id);
        // Verification runs asynchronously at Resend; this read shows where it stands now.
        return sameDomain(await a.getDomain(id), name);
      }));
      if (!d) throw new MailsetupError('DOMAIN_NOT_FOUND', `Resend does not have ${name}`, { hint: 'Run `mailsetup add` again to recreate it.' });
      return identity(d);
    },

    /** `health`: the domain's daily email metrics; Resend gives no verdict. */
    async deliveryFigures(domain: string, providerId: string, window: DeliveryWindow): Promise<DeliveryReport> {
      const name = normaliseName(domain);
      const dates = windowDates(window);
      const notices: DeliveryNotice[] = [];
      const body = await run(`reading the metrics of ${name}`, async (a) => {
        try {
          return await a.metrics({ startDate: window.from.toISOString(), endDate: window.to.toISOString(), ...(RESEND_ID.test(providerId) ? { domainId: [providerId] } : {}) });
        } catch (e) {
          // A sending-only key is a key that works: say how to get figures instead of failing.
          if (e instanceof ResendFailure && e.kind === 'http' && e.code === 'restricted_api_key') return null;
          throw e;
        }
      });
      if (body === null) {
        notices.push({ code: 'FIGURES_FORBIDDEN', severity: 'warning', message: 'The Resend API key is restricted to sending: it may not read email metrics.', hint: 'Set RESEND_API_KEY to a key with full access (Resend → API Keys → Permission: Full access).' });
      }
      const daily = body === null ? null : resendDaily(body, dates, name, providerId);
      return { scope: daily ? 'domain' : null, source: daily ? 'Resend GET /emails/metrics' : null, daily, gauges: null, verdict: null, notices };
    },

    async remove(domain: string, providerId: string): Promise<void> {
      const name = normaliseName(domain);
      // Read before deleting: the name check is worth one request when the action is destructive.
      // Not found (never registered, or gone already) is what we wanted.
      await run(`removing ${name}`, (a) => byId(a, name, providerId, async (id) => {
        sameDomain(await a.getDomain(id), name);
        await a.removeDomain(id);
      }));
    },
  };
};
