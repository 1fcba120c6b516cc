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
  /** Delivery figures and the provider's verdict over a window (`health`). */
  deliveryFigures?(domain: string, providerId: string, window: DeliveryWindow): Promise<DeliveryReport>;
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

/**
 * Delivery figures (`health`): one UTC day's counts as the provider reports them. A count the
 * provider does not give is null, never 0; a day the provider reports with no sending is zeros.
 */
export interface DailyFigures {
  /** `YYYY-MM-DD`, UTC. */
  date: string;
  sent: number | null;
  delivered: number | null;
  /** Permanent (hard) bounces only. */
  bounces: number | null;
  complaints: number | null;
  /** Denominator of the complaint rate when it is not `delivered` (SES VDM: DELIVERY_COMPLAINT). */
  complaintBase?: number | null;
}

export interface DeliveryWindow {
  from: Date;
  to: Date;
  days: number;
}

/** The provider's own verdict on the account or domain, reduced to what `health` judges on. */
export interface ProviderVerdict {
  /** Sending is restricted or under review: a sentence naming the provider's own words, or null. */
  restriction: string | null;
  /** SES: still in the sandbox. Null when the provider has no such notion. */
  sandbox: boolean | null;
  /** SendGrid: account reputation 0–100. Null when the provider has none. */
  reputation: number | null;
  /** The raw fields for `--json` (`enforcementStatus`, `reputation`, `isDisabled` …). */
  fields: Record<string, unknown>;
}

/** Something the adapter could not give, and how to enable it (`VDM_DISABLED` …). */
export interface DeliveryNotice {
  code: string;
  severity: 'warning' | 'info';
  message: string;
  hint: string | null;
}

export interface DeliveryReport {
  /** Whose sending the figures cover; null when there are none. */
  scope: 'domain' | 'account' | null;
  /** Which call the figures came from (`VDM BatchGetMetricData`, `GET /v3/stats` …). */
  source: string | null;
  /** One entry per day of the window; null when no figure could be had. */
  daily: DailyFigures[] | null;
  /** Rates the provider computes itself (SES CloudWatch `Reputation.*` gauges, fractions 0–1). */
  gauges: { bounceRate: number | null; complaintRate: number | null } | null;
  verdict: ProviderVerdict | null;
  notices: DeliveryNotice[];
}
