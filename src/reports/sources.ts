/**
 * Naming a report row's sender (shared/reference/dmarc-reports.md §6.3), strongest evidence first:
 * the state file (the DKIM selectors and MAIL FROM domains each provider mailsetup set up uses),
 * then DKIM d=/selector, then the SPF domain, against a small built-in table of sending services.
 * No DNS and no IP database: a source nothing names is named by its network (/24, /48).
 */
import type { DomainState, StateFile } from '../state/schema.js';
import { organisationalDomain as pslOrganisationalDomain } from '../model/domain-name.js';
import type { ReportRecordRow } from './model.js';

/** The organisational domain, memoised: a month of reports asks about the same few names many times. */
const orgCache = new Map<string, string>();
export function organisationalDomain(name: string): string {
  let org = orgCache.get(name);
  if (org === undefined) {
    org = pslOrganisationalDomain(name);
    if (orgCache.size > 50_000) orgCache.clear();
    orgCache.set(name, org);
  }
  return org;
}

export const PROVIDER_NAMES: Record<string, string> = {
  ses: 'Amazon SES', sendgrid: 'SendGrid', mailgun: 'Mailgun', resend: 'Resend', sandbox: 'sandbox (simulator)',
};

/** Signing / bounce domains of sending services (suffix match on the organisational domain). */
const ESP_DOMAINS: [string, string, string | null][] = [
  // [domain, service name, mailsetup provider id]
  ['amazonses.com', 'Amazon SES', 'ses'],
  ['sendgrid.net', 'SendGrid', 'sendgrid'],
  ['mailgun.org', 'Mailgun', 'mailgun'],
  ['mailgun.net', 'Mailgun', 'mailgun'],
  ['resend.dev', 'Resend', 'resend'],
  ['resend.com', 'Resend', 'resend'],
  ['mcsv.net', 'Mailchimp', null],
  ['mcdlv.net', 'Mailchimp', null],
  ['rsgsv.net', 'Mailchimp', null],
  ['mandrillapp.com', 'Mandrill', null],
  ['sparkpostmail.com', 'SparkPost', null],
  ['mtasv.net', 'Postmark', null],
  ['postmarkapp.com', 'Postmark', null],
  ['gappssmtp.com', 'Google Workspace', null],
  ['onmicrosoft.com', 'Microsoft 365', null],
  ['outlook.com', 'Microsoft 365', null],
  ['zendesk.com', 'Zendesk', null],
  ['exacttarget.com', 'Salesforce Marketing Cloud', null],
  ['salesforce.com', 'Salesforce', null],
  ['hubspotemail.net', 'HubSpot', null],
  ['hubspot.com', 'HubSpot', null],
  ['mktomail.com', 'Marketo', null],
  ['freshdesk.com', 'Freshdesk', null],
  ['intercom-mail.com', 'Intercom', null],
  ['constantcontact.com', 'Constant Contact', null],
  ['klaviyomail.com', 'Klaviyo', null],
  ['sendinblue.com', 'Brevo', null],
  ['brevo.com', 'Brevo', null],
  ['mailjet.com', 'Mailjet', null],
  ['zoho.com', 'Zoho Mail', null],
  ['zeptomail.com', 'ZeptoMail', null],
  ['mailersend.net', 'MailerSend', null],
];

/** Well-known DKIM selectors, for a signature aligned with the domain that state does not name. */
const SELECTORS: [RegExp, string][] = [
  [/^google$/, 'Google Workspace'],
  [/^selector[12]$/, 'Microsoft 365'],
  [/^s[12]$/, 'SendGrid'],
  [/^(em\d+|smtpapi)$/, 'SendGrid'],
  [/^k[1-3]$/, 'Mailchimp'],
  [/^mandrill$/, 'Mandrill'],
  [/^\d{14}pm$/, 'Postmark'],
  [/^resend$/, 'Resend'],
  [/^(pdk[12]|mailo|krs|mx)$/, 'Mailgun'],
  [/^hs[12]$/, 'HubSpot'],
  [/^zendesk[12]$/, 'Zendesk'],
  [/^mailjet$/, 'Mailjet'],
  [/^[a-z0-9]{32}$/, 'Amazon SES'],
];

export function espFor(domain: string | null): { name: string; provider: string | null } | null {
  if (!domain) return null;
  for (const [d, name, provider] of ESP_DOMAINS) if (domain === d || domain.endsWith('.' + d)) return { name, provider };
  return null;
}

export function selectorService(selector: string | null): string | null {
  if (!selector) return null;
  for (const [re, name] of SELECTORS) if (re.test(selector)) return name;
  return null;
}

/** What the state file says about one domain mailsetup set up. */
export interface StateSender {
  domain: string;
  provider: string;
  selectors: Set<string>;
  mailFrom: Set<string>;
  dmarc: string | null;
}

export function stateSenders(state: StateFile | null): StateSender[] {
  if (!state) return [];
  return Object.entries(state.domains).map(([domain, d]: [string, DomainState]) => {
    const selectors = new Set<string>();
    const mailFrom = new Set<string>();
    let dmarc: string | null = null;
    for (const r of d.records ?? []) {
      const name = String(r.name ?? '').toLowerCase();
      if (r.purpose === 'dkim') {
        const m = /^([^.]+)\._domainkey\./.exec(name);
        if (m) selectors.add(m[1]!);
      } else if (r.purpose === 'mail-from-mx' || r.purpose === 'mail-from-spf' || r.purpose === 'return-path' || (r.purpose === 'spf' && r.source === 'provider')) {
        // SES/Resend: <label>.<domain>; SendGrid: em<N>.<domain>; Mailgun: the domain itself (its SPF).
        mailFrom.add(name);
      } else if (r.purpose === 'dmarc' && name === `_dmarc.${domain}`) {
        dmarc = String(r.value ?? '');
      }
    }
    return { domain: domain.toLowerCase(), provider: String(d.provider), selectors, mailFrom, dmarc };
  });
}

export type Kind = 'state' | 'aligned' | 'forwarder' | 'other-auth' | 'unauth' | 'unidentified';

export interface Naming {
  key: string;
  name: string;
  kind: Kind;
  identifiedBy: string[];
  /** For other-auth: the domain it authenticated as, and whether a service table / state vouches for it. */
  authenticatedAs: string | null;
  known: boolean;
}

export function network(ip: string): string {
  if (ip.includes(':')) {
    const full = expandIpv6(ip);
    return `${full.slice(0, 3).map((h) => h.replace(/^0+(?=.)/, '')).join(':')}::/48`;
  }
  return ip.split('.').slice(0, 3).join('.') + '.0/24';
}

function expandIpv6(ip: string): string[] {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(Math.max(0, 8 - h.length - t.length)).fill('0');
  return [...h, ...fill, ...t];
}

const aligned = (a: string | null, policyDomain: string): boolean =>
  !!a && organisationalDomain(a) === organisationalDomain(policyDomain);

const FORWARD_REASONS = new Set(['trusted_forwarder', 'mailing_list', 'local_policy', 'forwarded']);

/** Name one record. `senders` are the state entries in the policy domain's organisational domain. */
export function nameRecord(r: ReportRecordRow, policyDomain: string, senders: StateSender[]): Naming {
  const base = { authenticatedAs: null, known: false };
  const envelope = r.envelopeFrom ?? r.authSpf.find((s) => s.domain)?.domain ?? null;
  // 1. The state file.
  for (const s of senders) {
    const by: string[] = [];
    if (r.authDkim.some((d) => d.selector && s.selectors.has(d.selector) && d.domain && (d.domain === s.domain || aligned(d.domain, s.domain)))) by.push('dkim-selector');
    // The MAIL FROM names the stream only when SPF passed for it: spoofers use the victim's
    // envelope too, and their failures must not be charged to the real sender.
    if ((envelope && s.mailFrom.has(envelope) && r.spf === 'pass') || r.authSpf.some((x) => x.domain && s.mailFrom.has(x.domain) && x.result === 'pass')) by.push('mail-from');
    if (by.length > 0) {
      return { ...base, key: `${s.provider}@mailsetup:${s.domain}`, name: `${PROVIDER_NAMES[s.provider] ?? s.provider} (mailsetup, ${s.domain})`, kind: 'state', identifiedBy: by };
    }
  }
  const dkimAlignedPass = r.authDkim.find((d) => d.result === 'pass' && aligned(d.domain, policyDomain));
  const spfAuthPass = r.authSpf.some((s) => s.result === 'pass');
  const dmarcPass = r.dkim === 'pass' || r.spf === 'pass';
  const net = network(r.sourceIp);
  // 2. Forwarded: an aligned signature survived but SPF failed (the forwarder's IP), or both failed
  //    and the receiver says why (trusted forwarder, mailing list, local policy).
  if ((dkimAlignedPass || r.dkim === 'pass') && r.spf !== 'pass' && !spfAuthPass && r.authSpf.length > 0) {
    return { ...base, key: `forwarder:${net}`, name: `forwarded via ${net}`, kind: 'forwarder', identifiedBy: ['dkim-aligned', 'spf-fail'] };
  }
  if (!dmarcPass && r.reasons.some((x) => FORWARD_REASONS.has(x.type))) {
    const why = r.reasons.find((x) => FORWARD_REASONS.has(x.type))!.type;
    return { ...base, key: `forwarder:${net}`, name: `forwarded via ${net}`, kind: 'forwarder', identifiedBy: [`reason-${why}`] };
  }
  // 3. A signature in the domain (passing or not): the service that signs with that selector.
  //    A failing signature with d= in the domain joins the source of that selector: a real sender's
  //    failures must count against it, never vanish into "spoofing" (a forged one only lowers a rate).
  const dkimAligned = dkimAlignedPass ?? r.authDkim.find((d) => aligned(d.domain, policyDomain) && d.selector);
  if (dkimAligned) {
    const service = selectorService(dkimAligned.selector);
    const id = `${dkimAligned.domain}/${dkimAligned.selector ?? '?'}`;
    const sel = dkimAligned.selector ?? '?';
    const shown = `${dkimAligned.domain}/${sel.length > 16 ? `${sel.slice(0, 8)}…` : sel}`;
    return { ...base, key: `dkim:${id}`, name: service ? `${service} (${shown})` : `dkim:${shown}`, kind: 'aligned', identifiedBy: ['dkim-selector'] };
  }
  // 4. Aligned SPF pass (the domain's own servers, or a service with a custom MAIL FROM).
  if (r.spf === 'pass' || (envelope && aligned(envelope, policyDomain) && spfAuthPass)) {
    const esp = espFor(envelope);
    return { ...base, key: `spf:${envelope ?? net}`, name: esp ? `${esp.name} (${envelope})` : `spf:${envelope ?? net}`, kind: 'aligned', identifiedBy: ['spf-domain'] };
  }
  if (dmarcPass) {
    return { ...base, key: `pass:${net}`, name: `aligned sender ${net}`, kind: 'aligned', identifiedBy: ['dmarc-pass'] };
  }
  // 5. Authenticated, but for another domain.
  const otherDkim = r.authDkim.find((d) => d.result === 'pass' && d.domain && !aligned(d.domain, policyDomain));
  const otherSpf = r.authSpf.find((s) => s.result === 'pass' && s.domain && !aligned(s.domain, policyDomain));
  const other = otherDkim?.domain ?? otherSpf?.domain ?? null;
  if (other) {
    const esp = espFor(other) ?? espFor(otherDkim ? otherSpf?.domain ?? null : null);
    const org = organisationalDomain(other);
    return {
      key: `auth:${esp ? esp.name : org}`, name: esp ? esp.name : org, kind: 'other-auth',
      identifiedBy: [otherDkim ? 'dkim-domain' : 'spf-domain', ...(esp ? ['service-table'] : [])],
      authenticatedAs: other, known: !!esp,
    };
  }
  // 6. Nothing authenticated.
  if (r.authDkim.length === 0 && r.authSpf.length === 0) {
    return { ...base, key: `unidentified:${net}`, name: net, kind: 'unidentified', identifiedBy: ['network'] };
  }
  return { ...base, key: `unauth:${net}`, name: net, kind: 'unauth', identifiedBy: ['network'] };
}
