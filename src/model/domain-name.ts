/**
 * Domain names and email addresses, normalised once at the edge: lower-case, no trailing dot, IDNs
 * in punycode. Everything past this point can compare names with `===`.
 */
import { domainToASCII } from 'node:url';
import { isIP } from '../util/ip.js';
import { fastPathLookup, getEmptyResult, parseImpl, resetResult } from 'tldts-core';
import { EXCEPTIONS, RULES } from './psl-icann.js';
import { MailsetupError } from '../errors.js';
import { escapeText } from '../render/escape.js';

export interface Identity {
  /** The domain part, normalised (punycode, lower-case, no trailing dot). */
  domain: string;
  /** The local part when the input was an email address. */
  localPart: string | null;
  /** `local@domain` when the input was an email address. */
  email: string | null;
}

/** Control (C0, DEL, C1) and format characters (bidi controls, zero-width joiners…): never part of an address we echo. */
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;

/**
 * Printable ASCII holds no control or format character; testing that first spares compiling the
 * expression above (it reads ICU's tables: ~5 M instructions, in every run, for "postmaster").
 */
function hasControlOrFormat(text: string): boolean {
  return !/^[\x20-\x7e]*$/.test(text) && CONTROL_OR_FORMAT.test(text);
}

function invalid(input: string, why: string, hint = 'Give a domain such as mail.example.com or an address such as you@example.com.'): MailsetupError {
  return new MailsetupError('DOMAIN_INVALID', `"${escapeText(input)}" is not a valid domain name: ${why}`, { hint });
}

/** Normalise and check a domain name; throws DOMAIN_INVALID (exit 64) with the reason. */
export function parseDomain(input: string): string {
  const raw = input.trim() === input ? input : '';
  if (raw === '') throw invalid(input, input === '' ? 'it is empty' : 'it has surrounding spaces');
  if (/\s/.test(raw)) throw invalid(input, 'it contains a space');
  // What people paste instead of a domain: a URL, a host:port, a path. Said as such, with the name to give.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let host = '';
    try { host = new URL(raw).hostname; } catch { /* no host to suggest */ }
    throw invalid(input, 'it is a URL, not a domain name', host ? `Give just the host name: ${host}` : undefined);
  }
  if (/^[^:]+:\d+$/.test(raw)) throw invalid(input, 'it has a port', `Give the name without the port: ${raw.slice(0, raw.lastIndexOf(':'))}`);
  if (raw.includes('/')) throw invalid(input, 'it contains a "/" (a path?)', `Give just the domain: ${raw.slice(0, raw.indexOf('/')) || 'example.com'}`);
  const bare = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (bare === '') throw invalid(input, 'it is empty');
  if (isIP(bare) || isIP(bare.replace(/^\[|\]$/g, ''))) {
    throw invalid(input, 'it is an IP address', 'Give the domain name that sends the mail, not an address.');
  }
  // Labels are checked before IDNA conversion so the message names the user's own label.
  for (const label of bare.split('.')) {
    if (label === '') throw invalid(input, 'it has an empty label (two dots in a row, or a leading dot)');
  }
  // WHATWG IDNA refuses dotted numbers outright; say why in the user's terms.
  if (/^[0-9]+$/.test(bare.slice(bare.lastIndexOf('.') + 1))) throw invalid(input, 'its top-level label is numeric (an IP address?)');
  const ascii = domainToASCII(bare.toLowerCase());
  if (ascii === '') throw invalid(input, 'it cannot be converted to an ASCII (punycode) name');
  const labels = ascii.split('.');
  if (labels.length < 2) throw invalid(input, 'it has a single label', 'Give a fully qualified name such as example.com.');
  for (const label of labels) {
    if (label.length > 63) throw invalid(input, `the label "${label.slice(0, 20)}…" is longer than 63 octets`);
    if (label.startsWith('-') || label.endsWith('-')) throw invalid(input, `the label "${label}" starts or ends with a hyphen`);
    if (!/^[a-z0-9_-]+$/.test(label)) throw invalid(input, `the label "${label}" contains characters a domain name cannot hold`);
  }
  if (ascii.length > 253) throw invalid(input, `it is ${ascii.length} octets long (the limit is 253)`);
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) throw invalid(input, 'its top-level label is numeric');
  return ascii;
}

/**
 * Parse a domain or an email address; `@domain` (no local part) means postmaster@domain. The local
 * part is everything before the last `@` and is refused when it could hide what it is (control, bidi
 * or format characters) or is longer than RFC 5321's 64 octets.
 *
 * `smtp: true` (validate): the local part is taken as SMTP carries it — a dot-atom, a quoted string,
 * or text with spaces such as `Macro Error`, the RFC 7208 suite's own MAIL FROM — since it only feeds
 * the SPF `%{l}`/`%{s}` macros. Otherwise (add, remove: a mailbox a provider must accept) whitespace
 * is refused too.
 */
export function parseIdentity(input: string, opts: { smtp?: boolean } = {}): Identity {
  const at = input.lastIndexOf('@');
  if (at === -1) return { domain: parseDomain(input), localPart: null, email: null };
  if (input.slice(at + 1).trim() === '') {
    throw new MailsetupError('DOMAIN_INVALID', `"${escapeText(input)}" is not a valid email address: nothing after the "@"`, {
      hint: 'Give an address such as you@example.com, or just the domain.',
    });
  }
  const local = input.slice(0, at) || 'postmaster';
  const domain = parseDomain(input.slice(at + 1));
  const octets = Buffer.byteLength(local, 'utf8');
  const why = hasControlOrFormat(local) ? 'its local part holds a control or format character'
    : octets > 64 ? `its local part is ${octets} octets long (the limit is 64)`
      : !opts.smtp && /\s/.test(local) ? 'its local part contains a space' : null;
  if (why) {
    throw new MailsetupError('DOMAIN_INVALID', `"${escapeText(input)}" is not a valid email address: ${why}`, {
      hint: 'Give an address such as you@example.com, or just the domain.',
    });
  }
  return { domain, localPart: local, email: `${local}@${domain}` };
}

/** An identity as an SMTP receiver gets it: `problem` says why its domain is no usable domain name. */
export interface SmtpIdentity extends Identity {
  problem: string | null;
}

/**
 * `validate --ip`: the MAIL FROM (or HELO) identity as a receiver gets it off the wire, where a
 * malformed domain — a label over 63 octets, an empty label, a single label, an address literal such
 * as `[192.0.2.1]` — is no input error but data: check_host() answers `none` for it (RFC 7208 §4.3),
 * as the RFC 7208 suite expects. Refused still (DOMAIN_INVALID, 64): an empty domain, and control,
 * bidi or format characters anywhere, which could hide what is being evaluated.
 */
export function parseSmtpIdentity(input: string): SmtpIdentity {
  try {
    return { ...parseIdentity(input, { smtp: true }), problem: null };
  } catch (e) {
    const at = input.lastIndexOf('@');
    const rawDomain = input.slice(at + 1);
    if (!(e instanceof MailsetupError) || e.code !== 'DOMAIN_INVALID' || rawDomain === '' || hasControlOrFormat(input)) throw e;
    // Only the domain is at fault (parseIdentity checks the domain before the local part): keep it as given.
    const local = at === -1 ? null : input.slice(0, at) || 'postmaster';
    if (local !== null) parseIdentity(`${local}@example.net`, { smtp: true }); // the local-part rule still applies
    const domain = rawDomain.toLowerCase();
    const problem = e.message.replace(/^"[^]*" is not a valid domain name: /, '');
    return { domain, localPart: local, email: local === null ? null : `${local}@${domain}`, problem };
  }
}

/*
 * The Public Suffix List's ICANN section as tldts walks it, from src/model/psl-icann.ts (generated
 * by scripts/psl-icann.mjs from the list the installed tldts ships; the format is described there).
 *
 * Why not `tldts` itself: every `validate` needs an organisational domain, and importing tldts's
 * list (both sections, ~190 KB of typed-array literals, hashed at import) was the largest single
 * cost of `validate`'s start-up (45-60 M instructions of about 1,000 M). The generated ICANN-only
 * list is a 52 KB string literal that is searched where it lies: a parent's group is found once
 * (and kept), a label in it by `includes`, so nothing is decoded up front (splitting it all into a
 * Map cost ~25 M instructions). The parsing around the lookup (host extraction, IP detection,
 * lower-casing, the domain from the suffix) is tldts's own, from `tldts-core`; only the trie walk
 * is ported, so the answers are tldts's (test/unit/psl-icann.test.ts compares the two over every
 * name in the list). The hosts that reach the walk passed tldts's hostname check, so a label holds
 * none of the format's separators (`;`, `:`, `,`, `?`).
 */
interface Trie { text: string; groups: Map<string, string> }
const RULE_TRIE: Trie = { text: RULES, groups: new Map() };
const EXCEPTION_TRIE: Trie = { text: EXCEPTIONS, groups: new Map() };

/** Whether the node `label` below `parent` ends an ICANN rule; undefined when there is no such node. */
function node(trie: Trie, parent: string, label: string): boolean | undefined {
  let group = trie.groups.get(parent);
  if (group === undefined) {
    const head = `;${parent}:`;
    const at = trie.text.indexOf(head);
    const end = at === -1 ? -1 : trie.text.indexOf(';', at + head.length);
    group = at === -1 ? '' : `,${trie.text.slice(at + head.length, end === -1 ? trie.text.length : end)},`;
    trie.groups.set(parent, group);
  }
  return group.includes(`,${label},`) ? true : group.includes(`,?${label},`) ? false : undefined;
}

let matchStart = 0;
let matchEnd = 0;

/**
 * tldts's walk(): `hostname`'s labels right to left from the root, taking a label's own edge before
 * the `*` one (never for an empty label), recording the deepest node where a rule ends in
 * matchStart/matchEnd (the bounds of that node's left-most label).
 */
function walk(hostname: string, trie: Trie): boolean {
  let matched = false;
  let path = '';
  let end = hostname.length;
  for (let i = hostname.length - 1; i >= -1; i -= 1) {
    if (i >= 0 && hostname.charCodeAt(i) !== 46 /* '.' */) continue;
    const start = i + 1;
    let label = hostname.slice(start, end);
    let rule = node(trie, path, label);
    if (rule === undefined && end !== start) {
      label = '*';
      rule = node(trie, path, label);
    }
    if (rule === undefined) return matched;
    path = path === '' ? label : `${label}.${path}`;
    if (rule) {
      matched = true;
      matchStart = start;
      matchEnd = end;
    }
    end = i;
  }
  return matched;
}

/** tldts's suffixLookup() for `allowPrivateDomains: false`: exceptions first, then rules, else the last label. */
function icannSuffixLookup(hostname: string, options: Parameters<typeof fastPathLookup>[1], out: Parameters<typeof fastPathLookup>[2]): boolean {
  if (fastPathLookup(hostname, options, out)) return false;
  out.isPrivate = false;
  if (walk(hostname, EXCEPTION_TRIE)) {
    out.isIcann = true;
    out.publicSuffix = hostname.slice(matchEnd + 1);
    return true;
  }
  if (walk(hostname, RULE_TRIE)) {
    out.isIcann = true;
    out.publicSuffix = hostname.slice(matchStart);
    return false;
  }
  out.isIcann = false;
  const lastDot = hostname.lastIndexOf('.');
  out.publicSuffix = lastDot === -1 ? hostname : hostname.slice(lastDot + 1);
  return false;
}

const RESULT = getEmptyResult();
const ICANN_ONLY = { allowPrivateDomains: false };

/**
 * The organisational domain (RFC 7489 §3.2) from the Public Suffix List's ICANN section:
 * `mail.acme.co.uk` → `acme.co.uk`. Falls back to the name itself when the PSL knows no registrable
 * part (a bare suffix, or a private test TLD with one label below it).
 */
export function organisationalDomain(name: string): string {
  // tldts's getDomain(name, { allowPrivateDomains: false }), with the lookup above.
  resetResult(RESULT);
  const d = parseImpl(name, 3 /* FLAG.DOMAIN */, icannSuffixLookup, ICANN_ONLY, RESULT).domain;
  if (d) return d;
  const labels = name.split('.');
  return labels.length >= 2 ? labels.slice(-2).join('.') : name;
}

/** `name` is `zone` or below it. */
export function isSubdomainOf(name: string, zone: string): boolean {
  return name === zone || name.endsWith('.' + zone);
}
