/**
 * SES v2 shapes ↔ the record model. Pure: no SDK import, no I/O. The interfaces below are the
 * subset of the SDK's output types we read, every field optional because SES omits them freely
 * (an email identity's MailFromAttributes has no MailFromDomain although the SDK types say required).
 */
import { makeRecord, normaliseName } from '../../model/record.js';
import type { DnsRecord } from '../../model/record.js';
import type { ProviderIdentity, ProviderStatus } from '../types.js';

export interface SesDkimAttributes {
  SigningEnabled?: boolean;
  Status?: string;
  Tokens?: string[];
  SigningHostedZone?: string;
  SigningAttributesOrigin?: string;
}

export interface SesIdentityDetails {
  IdentityType?: string;
  VerifiedForSendingStatus?: boolean;
  VerificationStatus?: string;
  VerificationInfo?: { ErrorType?: string };
  DkimAttributes?: SesDkimAttributes;
  MailFromAttributes?: { MailFromDomain?: string; MailFromDomainStatus?: string; BehaviorOnMxFailure?: string };
}

/** A BYODKIM key we generated during this run: SES never gives the public half back. */
export interface ByoDkimKey { selector: string; publicKey: string }

export const SPF_MAIL_FROM = 'v=spf1 include:amazonses.com ~all';

/**
 * Regions whose DKIM CNAMEs point into a regional zone (AWS General Reference, SES DKIM domains).
 * Only a fallback: SES names the zone in `SigningHostedZone`, and new regions join this list.
 */
const REGIONAL_DKIM_ZONES = new Set([
  'af-south-1', 'ap-northeast-3', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-5', 'ca-west-1',
  'eu-central-2', 'eu-south-1', 'il-central-1', 'me-central-1', 'us-gov-east-1',
]);

export function dkimZoneFor(region: string): string {
  return REGIONAL_DKIM_ZONES.has(region) ? `dkim.${region}.amazonses.com` : 'dkim.amazonses.com';
}

/**
 * Regions where SES receiving is known to work (inbound-smtp endpoints in use). Absence means
 * "not known", not "unsupported": AWS has been adding receiving regions, so we never refuse.
 */
const KNOWN_RECEIVING = new Set(['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2']);

export function receivingSupport(region: string): 'supported' | 'unknown' {
  return KNOWN_RECEIVING.has(region) ? 'supported' : 'unknown';
}

export function mapStatus(word: string | undefined): ProviderStatus {
  switch (word) {
    case 'SUCCESS': return 'verified';
    case 'FAILED': return 'failed';
    // TEMPORARY_FAILURE: SES could not read DNS this time and keeps trying for 72 h, so it is
    // still "may resolve with time" (pending), with the detail carried in providerState.
    default: return 'pending';
  }
}

/** The identity's own verdict: v2's VerificationStatus, else the DKIM status it derives from. */
export function identityStatusWord(d: SesIdentityDetails): string {
  if (d.VerificationStatus) return d.VerificationStatus;
  if (d.DkimAttributes?.Status && d.DkimAttributes.Status !== 'NOT_STARTED') return d.DkimAttributes.Status;
  return d.VerifiedForSendingStatus ? 'SUCCESS' : (d.DkimAttributes?.Status ?? 'PENDING');
}

export function providerState(d: SesIdentityDetails): string {
  const word = identityStatusWord(d);
  const parts = [word];
  if (d.VerificationInfo?.ErrorType) parts[0] = `${word} (${d.VerificationInfo.ErrorType})`;
  if (word === 'TEMPORARY_FAILURE') parts.push('SES could not check DNS and will retry');
  const mf = d.MailFromAttributes;
  if (mf?.MailFromDomain && mf.MailFromDomainStatus) parts.push(`MAIL FROM ${mf.MailFromDomainStatus}`);
  return parts.join('; ');
}

export function easyDkimRecords(domain: string, dkim: SesDkimAttributes, region: string): DnsRecord[] {
  const zone = normaliseName(dkim.SigningHostedZone || dkimZoneFor(region));
  return (dkim.Tokens ?? []).map((token) => makeRecord({
    purpose: 'dkim', type: 'CNAME', name: `${token}._domainkey.${domain}`, value: `${token}.${zone}`,
  }));
}

export function byoDkimRecord(domain: string, key: ByoDkimKey): DnsRecord {
  return makeRecord({
    purpose: 'dkim', type: 'TXT', name: `${key.selector}._domainkey.${domain}`, value: `v=DKIM1; k=rsa; p=${key.publicKey}`,
  });
}

export function mailFromRecords(mailFromDomain: string, region: string): DnsRecord[] {
  return [
    makeRecord({ purpose: 'mail-from-mx', type: 'MX', name: mailFromDomain, value: `feedback-smtp.${region}.amazonses.com`, priority: 10 }),
    makeRecord({ purpose: 'mail-from-spf', type: 'TXT', name: mailFromDomain, value: SPF_MAIL_FROM }),
  ];
}

export function inboundRecord(domain: string, region: string): DnsRecord {
  return makeRecord({ purpose: 'inbound-mx', type: 'MX', name: domain, value: `inbound-smtp.${region}.amazonaws.com`, priority: 10 });
}

export function isExternalDkim(d: SesIdentityDetails): boolean {
  return d.DkimAttributes?.SigningAttributesOrigin === 'EXTERNAL';
}

export interface ToIdentityOptions {
  domain: string;
  /** The SES identity name; the domain when absent. */
  providerId?: string;
  region: string;
  /** Our own BYODKIM key, when this run generated it (only then can we publish its TXT). */
  byoKey?: ByoDkimKey | null;
  inbound?: boolean;
}

export function toIdentity(d: SesIdentityDetails, o: ToIdentityOptions): ProviderIdentity {
  const domain = normaliseName(o.domain);
  const records: DnsRecord[] = [];
  if (o.byoKey) records.push(byoDkimRecord(domain, o.byoKey));
  // With BYODKIM SES returns Tokens = [selector] but never the public key: without our key we
  // cannot say what to publish, and a made-up value would read as a revoked key.
  else if (d.DkimAttributes && !isExternalDkim(d)) records.push(...easyDkimRecords(domain, d.DkimAttributes, o.region));
  const mailFrom = d.MailFromAttributes?.MailFromDomain;
  if (mailFrom) records.push(...mailFromRecords(normaliseName(mailFrom), o.region));
  if (o.inbound) records.push(inboundRecord(domain, o.region));
  const word = identityStatusWord(d);
  return { domain, providerId: o.providerId ?? domain, region: o.region, status: mapStatus(word), providerState: providerState(d), records };
}

/** SES treats the local part as written and the domain case-insensitively: normalise only the domain. */
export function normaliseAddress(email: string): string {
  const at = email.trim().lastIndexOf('@');
  return at < 0 ? email.trim() : `${email.trim().slice(0, at)}@${normaliseName(email.trim().slice(at + 1))}`;
}

/** A DNS label for the MAIL FROM subdomain (`mail` → `mail.<domain>`). */
export function isLabel(label: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(label);
}

/** `mailsetup` + UTC date: a new selector per rotation day, so an old key can stay published. */
export function byoSelector(now: Date = new Date()): string {
  return `mailsetup${now.toISOString().slice(0, 10).replace(/-/g, '')}`;
}
