/**
 * Mailgun adapter over `mailgun.js` (v4 domains API): register or adopt a sending domain, read its
 * records and state, ask Mailgun to re-check DNS, delete it. US and EU accounts live on separate API
 * hosts (`--region eu`); MAILGUN_BASE_URL overrides both.
 *
 * Each operation runs as one unit under `withRetries`, so a retried `register` looks the domain up
 * again before creating it: a create whose answer was lost (reset, timeout, 5xx after commit) is
 * adopted on the next attempt instead of failing as a duplicate.
 */
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import { requireApiKey, requireHttpUrl, requireRegion, runWithRetries } from '../http-adapter.js';
import type { DeliveryNotice, DeliveryReport, DeliveryWindow, EmailProvider, ProviderCapabilities, ProviderContext, ProviderFactory, ProviderIdentity, RegisterOptions, RegisterResult } from '../types.js';
import type { MailgunRegion } from './api.js';
import { MailgunApi, REGIONS, resolveBaseUrl } from './api.js';
import type { MailgunDomain } from './convert.js';
import { toIdentity } from './convert.js';
import { classify, isAlreadyExists, isNotFound, KEY_HINT, MailgunFailure, toMailsetupError } from './errors.js';
import { metricsDaily, metricsQuery } from './delivery.js';
import { windowDates } from '../window.js';

export { resolveBaseUrl, MAILGUN_EU_URL, MAILGUN_US_URL } from './api.js';

const capabilities: ProviderCapabilities = {
  singleSender: false, // no API for it; sandbox "authorized recipients" are another feature
  byoDkim: false, // Mailgun generates the key (size and selector are ours to choose)
  inbound: true, // every domain comes with its receiving MX records
  customMailFrom: false, // mailfrom_host exists, but only through a later update call we don't make
  triggerVerify: true, // PUT /v4/domains/{name}/verify re-checks DNS now
  regions: REGIONS,
};

const HOST = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)+$/;

export const createMailgunProvider: ProviderFactory = async (ctx: ProviderContext): Promise<EmailProvider> => {
  const apis = new Map<MailgunRegion, MailgunApi>();

  function regionOf(requested: string | undefined): MailgunRegion {
    return requireRegion('Mailgun', REGIONS, (requested ?? ctx.region ?? 'us').trim().toLowerCase(), requested ?? ctx.region);
  }

  // Built on first use, so reading `capabilities` needs no key; one client per region used.
  function api(region: MailgunRegion): MailgunApi {
    const cached = apis.get(region);
    if (cached) return cached;
    const apiKey = requireApiKey(ctx.env, 'Mailgun', 'MAILGUN_API_KEY', KEY_HINT);
    const baseUrl = requireHttpUrl(resolveBaseUrl(ctx.env, region), 'MAILGUN_BASE_URL', 'Unset it, or use --region eu for the EU API.');
    ctx.debug?.(`mailgun: using ${baseUrl} (region ${region})`);
    const created = new MailgunApi({ apiKey, baseUrl, timeoutMs: ctx.timeoutMs });
    apis.set(region, created);
    return created;
  }

  function run<T>(region: MailgunRegion, what: string, op: (a: MailgunApi) => Promise<T>): Promise<T> {
    const a = api(region);
    return runWithRetries(ctx, 'mailgun', classify, () => op(a), (error) => toMailsetupError(error, what, ctx.env, a.baseUrl));
  }

  async function getOrNull(a: MailgunApi, name: string): Promise<MailgunDomain | null> {
    try {
      return await a.getDomain(name);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** The SDK puts the name into the URL path unencoded: refuse anything that is not a plain host name. */
  function nameOf(domain: string, providerId: string): string {
    const name = normaliseName(providerId || domain);
    if (HOST.test(name)) return name;
    throw new MailsetupError('CONFIG_INVALID', `the stored Mailgun id "${providerId}" for ${domain} is not a domain name`, {
      hint: `Fix providerId for ${domain} in the state file (Mailgun's id is the domain name).`,
    });
  }

  const identity = (d: MailgunDomain, region: MailgunRegion): ProviderIdentity => toIdentity(d, region, ctx.debug);

  return {
    id: 'mailgun',
    capabilities,

    async register(options: RegisterOptions): Promise<RegisterResult> {
      const domain = normaliseName(options.domain);
      const region = regionOf(options.region);
      if (options.dkim === 'byo') {
        throw new MailsetupError('PROVIDER_UNSUPPORTED', 'Mailgun generates the DKIM key itself; --dkim byo is not available', { hint: 'Drop --dkim byo (use --dkim-key-size 2048 for a longer key), or use --provider ses.' });
      }
      if (options.mailFrom) ctx.debug?.('mailgun: --mail-from is not set through the domains API; keeping Mailgun\'s default');
      // Strings only: see MailgunApi.createDomain.
      const fields: Record<string, string> & { name: string } = { name: domain };
      if (options.dkimKeySize !== undefined) fields.dkim_key_size = String(options.dkimKeySize);
      return run(region, `registering ${domain}`, async (a) => {
        // Look first: the duplicate-create answer is a 400 whose wording Mailgun does not document.
        const existing = await getOrNull(a, domain);
        if (existing) return { identity: identity(existing, region), adopted: true };
        try {
          return { identity: identity(await a.createDomain(fields), region), adopted: false };
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          ctx.debug?.(`mailgun: ${domain} appeared while we created it; adopting`);
          return { identity: identity(await a.getDomain(domain), region), adopted: true };
        }
      });
    },

    async get(domain: string, providerId: string): Promise<ProviderIdentity | null> {
      const name = nameOf(domain, providerId);
      const region = regionOf(undefined);
      const found = await run(region, `reading ${name}`, (a) => getOrNull(a, name));
      return found ? identity(found, region) : null;
    },

    async verify(domain: string, providerId: string): Promise<ProviderIdentity> {
      const name = nameOf(domain, providerId);
      const region = regionOf(undefined);
      return identity(await run(region, `verifying ${name}`, (a) => a.verifyDomain(name)), region);
    },

    /** `health`: the Metrics API filtered by the domain, and the domain's own is_disabled. */
    async deliveryFigures(domain: string, providerId: string, window: DeliveryWindow): Promise<DeliveryReport> {
      const name = nameOf(domain, providerId);
      const region = regionOf(undefined);
      const notices: DeliveryNotice[] = [];
      const [found, body] = await Promise.all([
        run(region, `reading ${name}`, (a) => getOrNull(a, name)),
        run(region, `reading the metrics of ${name}`, async (a) => {
          try {
            return await a.metrics(metricsQuery(name, window));
          } catch (e) {
            // The key works (the domain read succeeded) but the account lacks the product: a notice, not a failure.
            if (e instanceof MailgunFailure && e.kind === 'http' && e.status === 403) return null;
            throw e;
          }
        }),
      ]);
      if (body === null) {
        notices.push({ code: 'FIGURES_FORBIDDEN', severity: 'warning', message: `Mailgun refused the Metrics API for ${name} (HTTP 403).`, hint: 'Use a key with access to analytics (an Admin or Analyst key), or check that the plan includes the Metrics API.' });
      }
      if (!found) notices.push({ code: 'VERDICT_UNAVAILABLE', severity: 'warning', message: `Mailgun no longer has ${name}: no domain state to judge.`, hint: `Run "mailsetup add ${domain} --provider mailgun" again, or "mailsetup remove ${domain} --keep-provider".` });
      const daily = body === null ? null : metricsDaily(body, windowDates(window));
      return {
        scope: daily ? 'domain' : null, source: daily ? 'Mailgun POST /v1/analytics/metrics' : null, daily, gauges: null, notices,
        verdict: found ? {
          restriction: found.is_disabled || found.state.toLowerCase() === 'disabled' ? `Mailgun has disabled sending for ${name} (is_disabled).` : null,
          sandbox: null, reputation: null, fields: { state: found.state, isDisabled: found.is_disabled === true },
        } : null,
      };
    },

    async remove(domain: string, providerId: string): Promise<void> {
      const name = nameOf(domain, providerId);
      await run(regionOf(undefined), `removing ${name}`, async (a) => {
        try {
          await a.deleteDomain(name);
        } catch (e) {
          if (!isNotFound(e)) throw e; // already gone is what we wanted
        }
      });
    },
  };
};
