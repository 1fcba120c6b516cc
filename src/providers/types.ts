/**
 * One small interface for every email provider. Adapters live in `src/providers/<id>/`, import their
 * SDK only inside the adapter (loaded lazily through `index.ts`), translate SDK shapes into the
 * record model (`convert.ts`) and SDK failures into `MailsetupError` (`errors.ts`).
 */
import type { DnsRecord } from '../model/record.js';

export type ProviderId = 'ses' | 'sendgrid' | 'mailgun' | 'resend';
export const PROVIDER_IDS: readonly ProviderId[] = ['ses', 'sendgrid', 'mailgun', 'resend'];

/** The provider's own verdict, mapped. */
export type ProviderStatus = 'pending' | 'verified' | 'failed';

export interface ProviderCapabilities {
  /** Verifies a single sender address (SES email identity, SendGrid single sender). */
  singleSender: boolean;
  /** Accepts a key pair we generate (SES BYODKIM). */
  byoDkim: boolean;
  /** Can tell us the receiving MX to publish (`--inbound`). */
  inbound: boolean;
  /** Has a custom MAIL FROM / return-path domain. */
  customMailFrom: boolean;
  /** An API call asks the provider to re-check DNS now. */
  triggerVerify: boolean;
  /** Regions the API offers; null when the region is fixed by the base URL only. */
  regions: readonly string[] | null;
}

export interface ProviderIdentity {
  domain: string;
  /** The provider's own identifier as a string (SES: identity name; SendGrid: numeric id; Mailgun: domain; Resend: id). */
  providerId: string;
  region: string | null;
  status: ProviderStatus;
  /** The provider's raw status words, for display (`PENDING`, `partially_verified` …). */
  providerState: string;
  records: DnsRecord[];
}

export interface RegisterOptions {
  domain: string;
  region?: string;
  /** Custom MAIL FROM label (SES: `mail` → `mail.<domain>`). */
  mailFrom?: string;
  dkim?: 'easy' | 'byo';
  dkimKeySize?: 1024 | 2048;
  inbound?: boolean;
}

export interface RegisterResult {
  identity: ProviderIdentity;
  /** True when the provider already had the domain and we adopted it instead of creating it. */
  adopted: boolean;
}

export interface SenderResult { email: string; providerId: string; status: ProviderStatus }

export interface EmailProvider {
  readonly id: ProviderId | 'sandbox';
  readonly capabilities: ProviderCapabilities;
  /** Create the domain identity, or adopt it when the provider already has it. */
  register(options: RegisterOptions): Promise<RegisterResult>;
  /** The identity as the provider sees it now; null when the provider does not have it. */
  get(domain: string, providerId: string): Promise<ProviderIdentity | null>;
  /** Ask the provider to re-check DNS (where `capabilities.triggerVerify`), then return its state. */
  verify(domain: string, providerId: string): Promise<ProviderIdentity>;
  /** Delete the identity. Deleting one that is already gone is not an error. */
  remove(domain: string, providerId: string): Promise<void>;
  /** Single-sender verification, where `capabilities.singleSender`. */
  registerSender?(email: string): Promise<SenderResult>;
  checkSender?(email: string, providerId: string): Promise<SenderResult>;
}

export interface ProviderContext {
  env: NodeJS.ProcessEnv;
  /** Per-request timeout (the global --timeout). */
  timeoutMs: number;
  /** --region, or the region stored for the domain. */
  region?: string;
  /** Debug lines for --verbose; never pass secrets. */
  debug?: (line: string) => void;
  /** Sleep used between retries (tests may shorten it). */
  sleep?: (ms: number) => Promise<void>;
}

export type ProviderFactory = (ctx: ProviderContext) => Promise<EmailProvider>;
