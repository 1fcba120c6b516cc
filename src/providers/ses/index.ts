/**
 * Amazon SES (v2 API) as an EmailProvider: Easy DKIM by default, BYODKIM on request (key pair made
 * here, in memory, private half handed only to SES), custom MAIL FROM, optional receiving MX.
 * The identity name is the providerId. SES has no "verify now" for domains: it polls DNS itself
 * for up to 72 h, so `verify` just reads the current state.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import type { DeliveryWindow, EmailProvider, ProviderCapabilities, ProviderContext, ProviderFactory, RegisterOptions, SenderResult } from '../types.js';
import { createSesDelivery, type SesDelivery } from './delivery.js';
import { createSesApi } from './api.js';
import type { SesApi } from './api.js';
import type { ByoDkimKey, SesIdentityDetails } from './convert.js';
import { SES_REGIONS as KNOWN_SES_REGIONS } from '../regions.js';
import { byoSelector, identityStatusWord, isExternalDkim, isLabel, mapStatus, normaliseAddress, receivingSupport, toIdentity } from './convert.js';

/** Commercial and GovCloud regions with the SES v2 API (src/providers/regions.ts). Informational: never used to refuse a well-formed region. */
const SES_REGIONS = KNOWN_SES_REGIONS;

const capabilities: ProviderCapabilities = {
  singleSender: true,
  byoDkim: true,
  inbound: true,
  customMailFrom: true,
  triggerVerify: false, // SES re-checks DNS on its own schedule; there is no API to ask for it
  regions: SES_REGIONS,
};

const generateRsa = promisify(generateKeyPair);

/**
 * A fresh RSA key pair for BYODKIM. The private key (PKCS#1 DER, base64 — the PEM body AWS's
 * guide asks for) lives only in this object until it is sent to SES; it is never logged or stored.
 */
async function makeByoKey(bits: number): Promise<ByoDkimKey & { privateKey: string }> {
  const { publicKey, privateKey } = await generateRsa('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs1', format: 'der' },
  });
  return { selector: byoSelector(), publicKey: publicKey.toString('base64'), privateKey: privateKey.toString('base64') };
}

function checkRegister(o: RegisterOptions): { domain: string; mailFrom: string | null; bits: number } {
  const domain = normaliseName(o.domain);
  if (domain.includes('@')) {
    throw new MailsetupError('DOMAIN_INVALID', `"${o.domain}" is an address, not a domain`, { hint: 'Single addresses are registered as senders.' });
  }
  // An empty label means "no custom MAIL FROM" (SES then uses amazonses.com as the envelope sender).
  const label = (o.mailFrom ?? 'mail').toLowerCase();
  if (label !== '' && !isLabel(label)) {
    throw new MailsetupError('USAGE', `--mail-from "${o.mailFrom}" is not a single DNS label`, { hint: 'Use a label such as mail or bounce.' });
  }
  const bits = o.dkimKeySize ?? 2048;
  if (bits !== 1024 && bits !== 2048) {
    throw new MailsetupError('USAGE', `--dkim-key-size ${String(bits)} is not supported by SES`, { hint: 'SES accepts 1024 or 2048.' });
  }
  return { domain, mailFrom: label === '' ? null : `${label}.${domain}`, bits };
}

class SesProvider implements EmailProvider {
  readonly id = 'ses' as const;
  readonly capabilities = capabilities;

  private delivery: SesDelivery | undefined;

  constructor(private readonly api: SesApi, private readonly debug: (line: string) => void, private readonly ctx: ProviderContext) {}

  /** `health`: GetAccount, then VDM per identity, else CloudWatch account-wide (delivery.ts). */
  async deliveryFigures(_domain: string, providerId: string, window: DeliveryWindow) {
    this.delivery ??= createSesDelivery(this.ctx);
    return this.delivery.figures(providerId, window);
  }

  async register(o: RegisterOptions) {
    const { domain, mailFrom, bits } = checkRegister(o);
    const region = this.api.region;
    const key = o.dkim === 'byo' ? await makeByoKey(bits) : null;
    const created = await this.api.createIdentity(domain, key ? { selector: key.selector, privateKey: key.privateKey } : undefined);
    let details: SesIdentityDetails | null = created.existed ? await this.api.getIdentity(domain) : created.details;
    // Deleted between our create and get (another process): nothing sensible to adopt.
    if (details === null) throw new MailsetupError('PROVIDER_UNAVAILABLE', `SES reported ${domain} as existing, then as missing`, { hint: 'Run the command again.' });
    // A create that timed out may still have landed; the retry then finds our own identity.
    // With BYODKIM the selector tells; with Easy DKIM nothing does, and "created" is the likelier story.
    const ours = !created.existed || (created.afterRetry && (!key || (details.DkimAttributes?.Tokens ?? []).includes(key.selector)));
    const adopted = !ours;
    if (adopted && key) this.debug(`SES already has ${domain}; its DKIM setup is kept and the generated key was discarded`);
    if (adopted && isExternalDkim(details)) this.debug(`${domain} uses BYODKIM at SES; its public key cannot be read back, keep the TXT you published`);
    // Adopting keeps a MAIL FROM the owner configured; only an identity without one gets ours.
    const configured = details.MailFromAttributes?.MailFromDomain;
    if (mailFrom && !configured) {
      await this.api.putMailFrom(domain, mailFrom);
      details = { ...details, MailFromAttributes: { ...details.MailFromAttributes, MailFromDomain: mailFrom, MailFromDomainStatus: 'PENDING' } };
    }
    if (o.inbound) {
      this.debug(receivingSupport(region) === 'supported'
        ? `SES receives mail in ${region}; the inbound MX points at inbound-smtp.${region}.amazonaws.com`
        : `SES receiving in ${region} is not known to mailsetup; check the SES console before relying on the inbound MX`);
    }
    const identity = toIdentity(details, { domain, region, byoKey: ours ? key : null, inbound: o.inbound === true });
    return { identity, adopted };
  }

  async get(domain: string, providerId: string) {
    const details = await this.api.getIdentity(providerId);
    // The receiving MX and a BYODKIM public key are not stored at SES: callers keep theirs from state.
    return details === null ? null : toIdentity(details, { domain, providerId, region: this.api.region });
  }

  async verify(domain: string, providerId: string) {
    const identity = await this.get(domain, providerId);
    if (identity === null) {
      throw new MailsetupError('DOMAIN_NOT_FOUND', `SES (${this.api.region}) has no identity ${providerId}`, {
        hint: 'Check --region / AWS_REGION, or run `mailsetup add` to register it again.',
      });
    }
    return identity;
  }

  async remove(_domain: string, providerId: string) {
    if (!(await this.api.deleteIdentity(providerId))) this.debug(`SES had no identity ${providerId}; nothing to delete`);
  }

  async registerSender(email: string): Promise<SenderResult> {
    const address = normaliseAddress(email);
    // SES mails a confirmation link on create; a second create would not resend it (AlreadyExists).
    const created = await this.api.createIdentity(address);
    const details = created.existed ? await this.api.getIdentity(address) : created.details;
    return senderResult(address, details ?? {});
  }

  async checkSender(email: string, providerId: string): Promise<SenderResult> {
    const details = await this.api.getIdentity(providerId);
    if (details === null) {
      throw new MailsetupError('DOMAIN_NOT_FOUND', `SES (${this.api.region}) has no identity ${providerId}`, { hint: `Run \`mailsetup add ${email}\` again.` });
    }
    return senderResult(email, details, providerId);
  }
}

function senderResult(email: string, d: SesIdentityDetails, providerId = email): SenderResult {
  // A fresh address identity answers Create with only VerifiedForSendingStatus: false (→ pending).
  return { email, providerId, status: mapStatus(identityStatusWord(d)) };
}

export const createSesProvider: ProviderFactory = async (ctx) => {
  const api = await createSesApi(ctx);
  return new SesProvider(api, ctx.debug ?? (() => {}), ctx);
};
