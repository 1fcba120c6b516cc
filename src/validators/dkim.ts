/**
 * DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463): parse the tag-list, decode the key with
 * node:crypto, and audit selectors from live DNS. DKIM selectors cannot be listed, only guessed, so a
 * probe that finds nothing is a warning ("may exist under another selector"), never a hard "missing";
 * only a selector the user named is an error when absent. Decisions where sources disagree:
 * - tag names are case-sensitive (`V=` is an unknown tag, as mox reads it); unknown tags, flags,
 *   service and hash names are ignored (RFC 6376 says so); empty tag-specs (`;;`, a trailing `; `)
 *   are tolerated, as nearly every verifier does;
 * - a bare PKCS#1 RSAPublicKey in p= decodes (dkimpy and go-msgauth accept it) but warns, because
 *   RFC 6376 asks for SubjectPublicKeyInfo and other verifiers reject it;
 * - RFC 8301 rules are separate codes: RSA under 1024 bits (DKIM_KEY_TOO_SHORT) and a key limited to
 *   sha1 by h= (DKIM_SHA1_ONLY), both errors, since modern verifiers refuse such signatures.
 */
import { createPublicKey } from 'node:crypto';
import type { DnsAnswer, Lookup } from '../dns/types.js';
import { isFailure, txtValues } from '../dns/types.js';
import type { CheckResult, Finding, Severity } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';
import { parseTagList, trimFws } from './tag-list.js';

export interface DkimKey {
  type: 'rsa' | 'ed25519' | null;
  bits: number | null;
  /** How p= was encoded: SubjectPublicKeyInfo, bare PKCS#1, or ed25519's raw 32 bytes. */
  format: 'spki' | 'pkcs1' | 'raw' | null;
}

export interface ParsedDkim {
  /** No error findings. */
  valid: boolean;
  tags: Record<string, string>;
  revoked: boolean;
  testing: boolean;
  key: DkimKey;
  findings: Finding[];
}

const list = (v: string | undefined): string[] => (v ?? '').split(':').map((x) => trimFws(x).toLowerCase());
// SubjectPublicKeyInfo header for an ed25519 key (RFC 8410): lets node:crypto check the raw 32 bytes.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

type Add = (severity: Severity, code: string, message: string, term: string | null, hint: string) => void;

function decodeKey(k: string, p: string, add: Add): DkimKey {
  const none: DkimKey = { type: null, bits: null, format: null };
  const invalid = (why: string): DkimKey => {
    add('error', 'DKIM_KEY_INVALID', `The public key in p= ${why}.`, 'p', 'Copy the complete key from your provider again, without quotes or line breaks lost.');
    return none;
  };
  // Unpadded base64 is accepted (padding is often lost in copy-paste); a length of 4n+1 cannot be base64.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(p) || p.replace(/=+$/, '').length % 4 === 1) return invalid('is not valid base64');
  const der = Buffer.from(p, 'base64');
  if (k === 'ed25519') {
    if (der.length !== 32) {
      return invalid(`is ${der.length} bytes, but an ed25519 key is exactly 32 raw bytes${der.length === 44 ? ' (this looks like a SubjectPublicKeyInfo wrapper)' : ''}`);
    }
    try { createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, der]), format: 'der', type: 'spki' }); } catch { return invalid('is not a valid ed25519 key'); }
    return { type: 'ed25519', bits: 256, format: 'raw' };
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType !== 'rsa') return invalid(`holds a key of type ${key.asymmetricKeyType ?? 'unknown'}, but k= says rsa`);
      const bits = key.asymmetricKeyDetails?.modulusLength ?? null;
      if (type === 'pkcs1') {
        add('warning', 'DKIM_KEY_FORMAT', 'p= holds a bare PKCS#1 RSAPublicKey; RFC 6376 asks for SubjectPublicKeyInfo, and some verifiers reject this form.', 'p', 'Publish the key in SubjectPublicKeyInfo form (the base64 body of a "BEGIN PUBLIC KEY" PEM).');
      }
      if (bits !== null && bits < 1024) {
        add('error', 'DKIM_KEY_TOO_SHORT', `The RSA key is ${bits} bits; RFC 8301 forbids verifiers to accept keys under 1024 bits.`, 'p', 'Generate a 2048-bit key and publish it under a new selector.');
      }
      return { type: 'rsa', bits, format: type };
    } catch { /* try the next encoding */ }
  }
  return invalid('does not decode to an RSA public key (it may be truncated)');
}

/** Parse one DKIM key record (the joined TXT value). `name` is the DNS name findings refer to. */
export function parseDkimKey(text: string, name = ''): ParsedDkim {
  const findings: Finding[] = [];
  const add: Add = (severity, code, message, term, hint) => findings.push({ severity, code, message, name, term, hint });
  const syntax = (message: string, term: string | null, hint: string): void => add('error', 'DKIM_SYNTAX', message, term, hint);
  // Tag names are case-sensitive; empty tag-specs are tolerated (see the header).
  const { tags, order, problems } = parseTagList(text, { foldCase: false });
  for (const p of problems) {
    if (p.kind === 'not-a-tag') {
      syntax(`"${p.spec.slice(0, 40)}" is not a tag=value pair.`, null, 'Write every part of the record as tag=value, separated by semicolons.');
    } else if (p.kind === 'duplicate') {
      // RFC 6376 §3.2: a duplicate tag makes the entire tag-list invalid.
      syntax(`The tag ${p.tag} appears more than once, which invalidates the whole record.`, p.tag, `Keep a single ${p.tag}= tag.`);
    }
  }
  if ('v' in tags && (order[0] !== 'v' || tags.v !== 'DKIM1')) {
    syntax(order[0] !== 'v' ? 'v= must be the first tag when present.' : `The version must be exactly DKIM1, not "${tags.v}".`, 'v', 'Start the record with v=DKIM1; or leave v= out.');
  }
  const k = (tags.k ?? 'rsa').toLowerCase();
  if (k !== 'rsa' && k !== 'ed25519') syntax(`k=${tags.k} is not a known key type.`, 'k', 'Use k=rsa or k=ed25519.');
  if ('h' in tags) {
    const algs = list(tags.h);
    if (!algs.includes('sha256')) {
      if (algs.includes('sha1')) {
        add('error', 'DKIM_SHA1_ONLY', `h=${tags.h} allows only sha1, which RFC 8301 forbids verifiers to accept.`, 'h', 'Remove h= or set it to sha256.');
      } else {
        syntax(`h=${tags.h} names no known hash algorithm.`, 'h', 'Remove h= or set it to sha256.');
      }
    }
  }
  if ('s' in tags && !list(tags.s).some((s) => s === 'email' || s === '*')) {
    syntax(`s=${tags.s} does not include email, so the key cannot sign mail.`, 's', 'Remove s= or set it to email.');
  }
  const testing = list(tags.t).includes('y');
  if (testing) {
    add('warning', 'DKIM_TESTING', 't=y: the key is in test mode, and verifiers treat its signatures like unsigned mail.', 't', 'Remove y from t= once signing works.');
  }
  let key: DkimKey = { type: null, bits: null, format: null };
  let revoked = false;
  if (!('p' in tags)) {
    syntax('The record has no p= tag (the public key).', 'p', 'Publish the full key record your provider gives, including p=.');
  } else {
    // Whitespace (including folding) inside p= is legal (RFC 6376 §3.6.1), so strip it before decoding.
    const p = tags.p!.replace(/[ \t\r\n]+/g, '');
    if (p === '') {
      revoked = true;
      add('error', 'DKIM_REVOKED', 'p= is empty: the key has been revoked, and signatures made with it fail.', 'p', 'Publish the current public key, or sign with another selector.');
    } else if (k === 'rsa' || k === 'ed25519') {
      key = decodeKey(k, p, add);
    }
  }
  return { valid: !findings.some((f) => f.severity === 'error'), tags, revoked, testing, key, findings };
}

/**
 * Selectors providers use, probed when none is given. Token-based ones (SES Easy DKIM, current
 * Resend) cannot be guessed; `amazonses`/`resend` cover older setups.
 */
export const DEFAULT_DKIM_SELECTORS: readonly string[] = [
  'google', // Google Workspace
  'selector1', 'selector2', // Microsoft 365
  's1', 's2', 'smtpapi', // SendGrid (smtpapi: legacy)
  'k1', 'k2', 'k3', // Mailchimp
  'mte1', 'mte2', // Mandrill
  'mx', 'krs', 'smtp', 'mailo', 'pic', 'pdk1', 'pdk2', // Mailgun (pdk*: automatic sender security)
  'resend', 'amazonses', // Resend (older accounts), Amazon SES (legacy)
  'pm', // Postmark (usually date-stamped: <date>pm)
  'mail', 'brevo1', 'brevo2', // Brevo
  'mailjet', // Mailjet
  'zoho', 'zmail', // Zoho
  'fm1', 'fm2', 'fm3', // Fastmail
  'hs1', 'hs2', // HubSpot
  'default', 'dkim', 'selector', 's1024', 's2048', // generic
];

const BY_TARGET: Array<[RegExp, string]> = [
  [/(^|\.)amazonses\.com$/, 'ses'],
  [/(^|\.)sendgrid\.net$/, 'sendgrid'],
  [/(^|\.)(mailgun\.(org|com|net)|mgsend\.(net|com))$/, 'mailgun'],
  [/resend/, 'resend'],
  [/(^|\.)(onmicrosoft\.com|mail\.microsoft)$/, 'microsoft'],
  [/(^|\.)mcsv\.net$/, 'mailchimp'],
  [/(^|\.)mandrillapp\.com$/, 'mandrill'],
  [/(^|\.)(brevo|sendinblue)\.com$/, 'brevo'],
  [/(^|\.)(fmhosted|messagingengine)\.com$/, 'fastmail'],
  [/(^|\.)(mtasv\.net|postmarkapp\.com)$/, 'postmark'],
  [/(^|\.)hubspotemail\.net$/, 'hubspot'],
  [/(^|\.)zoho(mail)?\.[a-z.]+$/, 'zoho'],
];
const BY_SELECTOR: Record<string, string> = {
  google: 'google', resend: 'resend', amazonses: 'ses', smtpapi: 'sendgrid', mte1: 'mandrill', mte2: 'mandrill',
  brevo1: 'brevo', brevo2: 'brevo', mailjet: 'mailjet', zoho: 'zoho', zmail: 'zoho',
};

/** Guess the provider from CNAME targets (reliable) or, failing that, a provider-specific selector. */
export function guessDkimProvider(selector: string, cnameTargets: string[]): string | null {
  for (const target of cnameTargets) {
    for (const [re, provider] of BY_TARGET) if (re.test(target)) return provider;
  }
  if (/^\d{8,14}pm$/.test(selector)) return 'postmark';
  return BY_SELECTOR[selector] ?? null;
}

export interface DkimSelectorDetail {
  selector: string;
  name: string;
  found: boolean;
  /** The CNAME target at the selector name, when it is an alias (the usual provider setup). */
  cname: string | null;
  keyType: 'rsa' | 'ed25519' | null;
  bits: number | null;
  provider: string | null;
  outcome: DnsAnswer['outcome'];
}

/** Something at a probed name that is meant as a DKIM key (not, say, a wildcard SPF record). */
const looksLikeDkim = (v: string): boolean => /(^|;)\s*p\s*=/.test(v) || /^\s*v\s*=\s*DKIM/i.test(v);

/** Audit DKIM keys for `domain`: the given selectors, or the built-in probe list. Never throws. */
export async function auditDkim(domain: string, lookup: Lookup, options: { selectors?: string[] } = {}): Promise<CheckResult> {
  const explicit = (options.selectors ?? []).length > 0;
  const selectors = explicit ? [...new Set(options.selectors!.map((s) => s.toLowerCase()))] : [...DEFAULT_DKIM_SELECTORS];
  const names = selectors.map((s) => `${s}._domainkey.${domain}`);
  const answers = await Promise.all(names.map((n) => lookup(n, 'TXT')));
  const findings: Finding[] = [];
  const records: string[] = [];
  const failed: string[] = [];
  const details: DkimSelectorDetail[] = selectors.map((selector, i) => {
    const name = names[i]!;
    const a = answers[i]!;
    const targets = a.cnames.map((c) => String(c.data));
    const d: DkimSelectorDetail = { selector, name, found: false, cname: targets[0] ?? null, keyType: null, bits: null, provider: null, outcome: a.outcome };
    if (isFailure(a)) { failed.push(name); return d; }
    const values = txtValues(a);
    // An explicit selector's TXT is read as a key whatever it holds; a probe ignores non-key TXT
    // (wildcards would otherwise make every guess "found").
    const keys = values.filter(looksLikeDkim).length > 0 || !explicit ? values.filter(looksLikeDkim) : values;
    if (keys.length === 0) {
      if (explicit) {
        const via = d.cname ? ` (its CNAME points to ${targets[targets.length - 1]}, which has no key)` : '';
        findings.push({ severity: 'error', code: 'DKIM_MISSING', message: `No DKIM key at ${name}${via}.`, name, term: null, hint: 'Publish the DKIM record your provider gives for this selector (usually a CNAME or a TXT with p=).' });
      }
      return d;
    }
    d.found = true;
    if (keys.length > 1) {
      findings.push({ severity: 'error', code: 'DKIM_MULTIPLE_RECORDS', message: `${name} holds ${keys.length} key records; verifiers pick one at random, so some signatures fail.`, name, term: null, hint: 'Keep one key record per selector and delete the others.' });
    }
    records.push(...keys);
    const parsed = parseDkimKey(keys[0]!, name);
    for (const f of parsed.findings) {
      // A revoked key found by guessing is usually a deliberate leftover of a key rotation.
      findings.push(f.code === 'DKIM_REVOKED' && !explicit ? { ...f, severity: 'warning' } : f);
    }
    d.keyType = parsed.key.type;
    d.bits = parsed.key.bits;
    d.provider = guessDkimProvider(selector, targets);
    return d;
  });

  const foundAny = details.some((d) => d.found);
  if (failed.length > 0) {
    // Several probes: named once each, by selector, under the one parent name (not 37 full names twice).
    const parent = failed[0]!.slice(failed[0]!.indexOf('._domainkey.') + 1);
    const under = failed.length > 1 && failed.every((n) => n.endsWith(`.${parent}`));
    const message = under
      ? `The lookups under ${parent} failed for ${failed.length} selectors (${failed.map((n) => n.slice(0, -parent.length - 1)).join(', ')}), so those selectors could not be checked.`
      : `The lookup failed for ${failed.join(', ')}, so ${failed.length === 1 ? 'that selector' : 'those selectors'} could not be checked.`;
    findings.push({ severity: 'warning', code: 'DKIM_UNCHECKED', message, name: under ? parent : failed.join(','), term: null, hint: 'Retry later or with another --resolver; this says nothing about whether the keys exist.' });
  }
  if (!explicit && !foundAny && failed.length < selectors.length) {
    findings.push({
      severity: 'warning', code: 'DKIM_MISSING', name: `_domainkey.${domain}`, term: null,
      message: `No DKIM key found under the ${selectors.length} common selectors probed (${selectors.join(', ')}); DKIM may still be set up under another selector.`,
      hint: 'Pass the selector your provider uses with --selector <s> (SES and Resend use per-domain tokens that cannot be guessed).',
    });
  }
  // "Could not ask" is never "missing": with nothing found and nothing else wrong, the status is unknown.
  const onlyFailures = !foundAny && failed.length > 0 && !findings.some((f) => f.severity === 'error');
  return {
    check: 'dkim',
    status: onlyFailures && (explicit || failed.length === selectors.length) ? 'none' : statusFromFindings(findings),
    name: names.join(','),
    record: records.length === 0 ? null : records,
    findings,
    detail: { selectors: details, probed: !explicit },
  };
}
