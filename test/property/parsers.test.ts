/**
 * Property-based tests of every parser that reads untrusted text: names typed by users
 * (`parseDomain`, `parseIdentity`), records served by any DNS server on the internet (`parseSpf`,
 * `selectSpfRecord`, `parseDmarc`, `parseDkimKey`) and the state file users edit by hand
 * (`parseState`). Generators are arbitrary strings plus structured near-valid inputs (real records
 * mutated, random tag lists, unicode labels), because random text alone rarely gets past the first
 * check of a parser.
 *
 * Every property checks the same three things before its own: the call returns or throws a
 * `MailsetupError` with a code (never a TypeError), it stays within a time budget (a catastrophic
 * regular expression shows up as a slow call long before it shows up as a hang), and what it
 * returns has the documented shape.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MailsetupError } from '../../src/errors.js';
import { parseDomain, parseIdentity } from '../../src/model/domain-name.js';
import type { Finding } from '../../src/model/finding.js';
import { isSpfRecord, parseSpf, selectSpfRecord, type ParsedSpf, type SpfTerm } from '../../src/validators/spf/parse.js';
import { parseDmarc } from '../../src/validators/dmarc.js';
import { parseDkimKey } from '../../src/validators/dkim.js';
import { parseState, serializeState } from '../../src/state/store.js';
import type { DomainState, HistoryEntry, StateFile } from '../../src/state/schema.js';
import type { DnsRecord } from '../../src/model/record.js';

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/** A call on an input of at most a few kilobytes takes microseconds; this catches super-linear blow-ups without flaking on a busy CI machine. */
const CALL_BUDGET_MS = 400;
/** Runs per property: the file stays well under 30 s on two shared cores. */
const RUNS = 300;
const FEW = 120;

function show(input: unknown): string {
  const s = JSON.stringify(input) ?? String(input);
  return s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;
}

/** Run `f`, failing the property when it takes longer than the budget. */
function timed<T>(what: string, input: unknown, f: () => T, budgetMs = CALL_BUDGET_MS): T {
  const started = performance.now();
  const value = f();
  const ms = performance.now() - started;
  if (ms > budgetMs) throw new Error(`${what} took ${ms.toFixed(0)} ms (budget ${budgetMs} ms) on ${show(input)}`);
  return value;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: MailsetupError };

/** Returns the value, or the MailsetupError thrown; anything else thrown fails the property. */
function typed<T>(what: string, input: unknown, f: () => T): Outcome<T> {
  try {
    return { ok: true, value: timed(what, input, f) };
  } catch (e) {
    if (e instanceof MailsetupError) {
      expect(typeof e.code, `${what}: error without a code on ${show(input)}`).toBe('string');
      expect(e.message.length).toBeGreaterThan(0);
      return { ok: false, error: e };
    }
    if (e instanceof Error && /took \d+ ms/.test(e.message)) throw e;
    throw new Error(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (not a MailsetupError) on ${show(input)}`);
  }
}

const SEVERITIES = new Set(['error', 'warning', 'info']);

function checkFindings(what: string, input: unknown, findings: Finding[]): void {
  for (const f of findings) {
    expect(SEVERITIES.has(f.severity), `${what}: severity ${f.severity} on ${show(input)}`).toBe(true);
    expect(f.code, `${what}: code on ${show(input)}`).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
    expect(typeof f.message).toBe('string');
    expect(f.message.length).toBeGreaterThan(0);
    expect(f.term === undefined || f.term === null || typeof f.term === 'string').toBe(true);
    expect(f.hint === undefined || f.hint === null || typeof f.hint === 'string').toBe(true);
  }
}

// Text generators shared by every parser.
const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(' ', '\t', '\r', '\n', ';', '=', ':', '.', '%', '{', '}', '"', '\\', '\u00a0', '\u3002', 'v', 'p', '0'), maxLength: 80 }),
);
const wsp = fc.constantFrom('', ' ', '  ', '\t', ' \t ', '\r\n ', '\r\n\t');

/** Insert `pieces[i]` before position `at[i]` of `s` (positions taken modulo its length + 1). */
function insertAt(s: string, edits: Array<[number, string]>): string {
  let out = s;
  for (const [pos, piece] of edits) {
    const i = pos % (out.length + 1);
    out = out.slice(0, i) + piece + out.slice(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Domain names and identities
// ---------------------------------------------------------------------------------------------

const unicodeLabel = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const asciiLabel = fc.stringMatching(/^[A-Za-z0-9_-]{0,66}$/);
const trickyLabel = fc.constantFrom(
  'xn--', 'xn--bcher-kva', 'xn--zz', 'bücher', 'MÜNCHEN', 'ß', 'İstanbul', 'ﬁ', '①', '٣', 'Ⅻ', 'ǅ', '\u200d', '\u00ad',
  'a\u3002b', 'a\uff0eb', '0', '123', '0x10', '-a', 'a-', '--', '_dmarc', '_domainkey', '*', 'a b', '\u0000', '%41', '[::1]',
  'a'.repeat(63), 'a'.repeat(64), 'é'.repeat(30),
);
const label = fc.oneof({ weight: 3, arbitrary: asciiLabel }, { weight: 2, arbitrary: unicodeLabel }, { weight: 2, arbitrary: trickyLabel });
const dottedName = fc.tuple(fc.array(label, { minLength: 1, maxLength: 7 }), fc.constantFrom('', '', '', '.', '..', '\u3002'))
  .map(([labels, end]) => labels.join('.') + end);
/** Close to the 253-octet and 63-octet limits. */
const longName = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 55, max: 64 }), fc.constantFrom('com', 'example', 'a1'))
  .map(([n, len, tld]) => `${Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i).repeat(len)).join('.')}.${tld}`);
/** fast-check's valid domains, then mangled a little. */
const mutatedDomain = fc.tuple(fc.domain(), fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom('.', '-', ' ', '@', 'É', '_', '..', '\t', '0'), fc.string({ maxLength: 2 }))), { maxLength: 3 }))
  .map(([d, edits]) => insertAt(d, edits));
const domainInput = fc.oneof(anyText, dottedName, longName, fc.domain(), fc.mixedCase(fc.domain()), mutatedDomain, fc.ipV4(), fc.ipV6());

function checkAcceptedName(input: string, name: string): void {
  const why = `accepted ${show(input)} as ${show(name)}`;
  expect(Buffer.byteLength(name, 'utf8'), why).toBeLessThanOrEqual(253);
  expect(name, why).toMatch(/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/);
  for (const l of name.split('.')) {
    expect(l.length, why).toBeGreaterThanOrEqual(1);
    expect(l.length, why).toBeLessThanOrEqual(63);
    expect(l.startsWith('-') || l.endsWith('-'), why).toBe(false);
  }
  expect(name.split('.').at(-1), why).not.toMatch(/^[0-9]+$/);
}

describe('parseDomain / parseIdentity', () => {
  it('returns a name or throws DOMAIN_INVALID (exit 64), never anything else', () => {
    fc.assert(fc.property(domainInput, (input) => {
      const r = typed('parseDomain', input, () => parseDomain(input));
      if (!r.ok) {
        expect(r.error.code).toBe('DOMAIN_INVALID');
        expect(r.error.exitCode).toBe(64);
        expect(r.error.hint).toEqual(expect.any(String));
      }
    }), { numRuns: RUNS * 2 });
  });

  it('accepted names are at most 253 octets, labels 1–63 octets of [a-z0-9_-], no edge hyphen, no numeric TLD', () => {
    fc.assert(fc.property(domainInput, (input) => {
      const r = typed('parseDomain', input, () => parseDomain(input));
      if (r.ok) checkAcceptedName(input, r.value);
    }), { numRuns: RUNS * 2 });
  });

  it('is idempotent on what it accepts, and a trailing dot or ASCII case changes nothing', () => {
    fc.assert(fc.property(domainInput, (input) => {
      const r = typed('parseDomain', input, () => parseDomain(input));
      if (!r.ok) return;
      expect(parseDomain(r.value), show(input)).toBe(r.value);
      if (!input.endsWith('.')) expect(parseDomain(`${input}.`), show(input)).toBe(r.value);
      // eslint-disable-next-line no-control-regex
      if (/^[\x00-\x7f]*$/.test(input)) expect(parseDomain(input.toUpperCase()), show(input)).toBe(r.value);
    }), { numRuns: RUNS * 2 });
  });

  const identityInput = fc.oneof(
    domainInput,
    fc.emailAddress(),
    fc.tuple(fc.oneof(fc.constant(''), fc.string({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 10 })), domainInput).map(([l, d]) => `${l}@${d}`),
    fc.tuple(domainInput, domainInput).map(([a, b]) => `${a}@@${b}`),
  );

  it('parseIdentity: a typed error or a consistent identity, re-parsing to itself', () => {
    fc.assert(fc.property(identityInput, (input) => {
      const r = typed('parseIdentity', input, () => parseIdentity(input));
      if (!r.ok) {
        expect(r.error.code).toBe('DOMAIN_INVALID');
        return;
      }
      const id = r.value;
      checkAcceptedName(input, id.domain);
      const at = input.lastIndexOf('@');
      if (at === -1) {
        expect(id).toEqual({ domain: parseDomain(input), localPart: null, email: null });
        return;
      }
      expect(id.domain).toBe(parseDomain(input.slice(at + 1)));
      expect(id.localPart).toBe(input.slice(0, at) || 'postmaster');
      // The local part as SMTP carries it (spaces allowed), at most 64 octets, nothing that hides what it is.
      expect(Buffer.byteLength(id.localPart!, 'utf8')).toBeLessThanOrEqual(64);
      expect(id.localPart).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      expect(id.localPart).not.toMatch(/\s/); // a mailbox (the default); validate's SMTP rule allows spaces
      expect(id.email).toBe(`${id.localPart}@${id.domain}`);
      expect(parseIdentity(id.email!)).toEqual(id);
    }), { numRuns: RUNS * 2 });
  });
});

// ---------------------------------------------------------------------------------------------
// SPF
// ---------------------------------------------------------------------------------------------

const qualifier = fc.constantFrom('', '', '+', '-', '~', '?');
const spfDomain = fc.oneof(
  fc.constantFrom(
    'example.com', '_spf.google.com', 'sendgrid.net', 'amazonses.com.', '%{d}', '%{i}._spf.%{d}', 'x.%{l1r-}.example.org', '%{ir}.%{v}._spf.%{d2}',
    '%{p}.x.com', 'exa%%mple.com', '%_%-.example.com', 'a..b', 'ex ample', '%{z}', '%', '%{d', '%{d0}', '%{c}.example.com', 'example.123',
    'example', '', '192.0.2.1', 'EXAMPLE.COM', 'xn--bcher-kva.de', 'bücher.de', 'a-.b-', 'x.-y', 'x.y-', 'x.y.',
  ),
  fc.domain(),
  fc.string({ maxLength: 24 }),
);
const cidr = fc.oneof(fc.constant(''), fc.integer({ min: -1, max: 140 }).map((n) => `/${n}`), fc.constantFrom('/024', '//64', '/24//64', '//129', '/', '//', '/x'));
const ip4 = fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.constantFrom('256.1.1.1', '1.2.3', '01.2.3.4', '::1', 'example.com', '%{i}', '1.2.3.4~all'));
const ip6 = fc.oneof(fc.ipV6(), fc.constantFrom('::', '::ffff:192.0.2.1', 'fe80::1%eth0', '2001:db8::/33', '192.0.2.1', 'gggg::1'));
const spfTerm = fc.oneof(
  fc.tuple(qualifier, fc.constantFrom('all', 'ALL', 'All', 'all:x', 'all/24')).map(([q, m]) => q + m),
  fc.tuple(qualifier, fc.constantFrom('include', 'Include', 'INCLUDE', 'exists'), fc.constantFrom(':', ':', '', '='), spfDomain).map(([q, m, sep, d]) => `${q}${m}${sep}${d}`),
  fc.tuple(qualifier, fc.constantFrom('a', 'A', 'mx', 'MX', 'ptr'), fc.option(spfDomain), cidr).map(([q, m, d, c]) => `${q}${m}${d === null ? '' : `:${d}`}${c}`),
  fc.tuple(qualifier, fc.constantFrom('ip4', 'IP4'), ip4, cidr).map(([q, m, a, c]) => `${q}${m}:${a}${c}`),
  fc.tuple(qualifier, fc.constantFrom('ip6', 'Ip6'), ip6, cidr).map(([q, m, a, c]) => `${q}${m}:${a}${c}`),
  fc.tuple(fc.constantFrom('redirect', 'REDIRECT', 'exp', 'foo', 'x-unknown', '1bad', '-redirect'), spfDomain).map(([n, v]) => `${n}=${v}`),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const spfVersion = fc.constantFrom('v=spf1', 'v=spf1', 'v=spf1', 'V=SPF1', 'v=Spf1', 'v=spf10', ' v=spf1', 'v=spf1\t', 'spf2.0/pra', '"v=spf1', '');
const spaces = fc.constantFrom(' ', ' ', '  ', '   ');
const spfRecord = fc.tuple(spfVersion, fc.array(fc.tuple(spaces, spfTerm), { maxLength: 14 }), fc.constantFrom('', '', ' ', '  '))
  .map(([v, terms, tail]) => v + terms.map(([s, t]) => s + t).join('') + tail);
const spfInput = fc.oneof({ weight: 4, arbitrary: spfRecord }, { weight: 1, arbitrary: anyText });

const MECHANISMS = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);

function checkParsedSpf(record: string, p: ParsedSpf): void {
  const why = show(record);
  let last = -1;
  for (const t of p.terms) {
    // Every term is exactly where it says it is, in order, and holds no separator.
    expect(record.slice(t.position, t.position + t.raw.length), why).toBe(t.raw);
    expect(t.position, why).toBeGreaterThan(last);
    last = t.position;
    expect(t.raw, why).not.toMatch(/[ \x00-\x20\x7f-\uffff]/);
    if (t.type === 'mechanism') {
      expect(MECHANISMS.has(t.mechanism), why).toBe(true);
      if (t.mechanism === 'include' || t.mechanism === 'exists') expect(t.domainSpec, why).not.toBeNull();
      if (t.cidr4 !== null) expect(t.cidr4 >= 0 && t.cidr4 <= 32, why).toBe(true);
      if (t.cidr6 !== null) expect(t.cidr6 >= 0 && t.cidr6 <= 128, why).toBe(true);
    } else {
      expect(t.name, why).toBe(t.name.toLowerCase());
    }
  }
  expect(p.mechanisms.every((m) => p.terms.includes(m)), why).toBe(true);
  if (p.redirect) expect(p.terms.includes(p.redirect), why).toBe(true);
  if (p.exp) expect(p.terms.includes(p.exp), why).toBe(true);
  for (const e of [...p.errors, ...p.warnings]) {
    expect(typeof e.message, why).toBe('string');
    expect(e.message.length, why).toBeGreaterThan(0);
    if (e.term !== null) expect(record.includes(e.term), `${why}: term ${show(e.term)} is not in the record`).toBe(true);
  }
  for (const w of p.warnings) expect(w.code, why).toMatch(/^SPF_[A-Z_]+$/);
  if (!isSpfRecord(record)) {
    expect(p.terms, why).toEqual([]);
    expect(p.errors.length, why).toBe(1);
  }
}

/** What a parse means, without offsets (which whitespace moves) and the length lint (which it changes). */
function meaning(p: ParsedSpf): unknown {
  const strip = (t: SpfTerm | null) => {
    if (t === null) return null;
    const { position: _p, ...rest } = t;
    return rest;
  };
  return {
    terms: p.terms.map(strip), redirect: strip(p.redirect), exp: strip(p.exp), errors: p.errors,
    warnings: p.warnings.filter((w) => w.code !== 'SPF_TOO_LONG'),
  };
}

describe('parseSpf / selectSpfRecord', () => {
  it('never throws; every term sits at its offset; every problem names a term of the record', () => {
    fc.assert(fc.property(spfInput, (record) => {
      const r = typed('parseSpf', record, () => parseSpf(record));
      expect(r.ok, 'parseSpf never throws').toBe(true);
      if (r.ok) checkParsedSpf(record, r.value);
    }), { numRuns: RUNS * 2 });
  });

  it('a record re-parses the same after its spaces are normalised (and after extra spaces are added)', () => {
    const withVersion = spfRecord.filter(isSpfRecord);
    fc.assert(fc.property(withVersion, fc.array(spaces, { minLength: 20, maxLength: 20 }), (record, pads) => {
      const parsed = timed('parseSpf', record, () => parseSpf(record));
      const tokens = record.split(' ').filter((t) => t !== '');
      const normalised = tokens.join(' ');
      const widened = tokens.map((t, i) => (i === 0 ? t : (pads[i % pads.length] ?? ' ') + t)).join('') + (pads[0] ?? '');
      expect(meaning(parseSpf(normalised)), show(record)).toEqual(meaning(parsed));
      expect(meaning(parseSpf(widened)), show(record)).toEqual(meaning(parsed));
      if (parsed.errors.length === 0) expect(parseSpf(normalised).errors).toEqual([]);
    }), { numRuns: RUNS });
  });

  it('selects per RFC 7208 §4.5 among arbitrary TXT sets', () => {
    const txtSet = fc.array(fc.oneof(spfInput, fc.constantFrom('v=spf1', 'v=spf1 -all', 'V=SPF1 ~all', 'v=spf10 -all', 'spf2.0/mfrom -all', ' v=spf1 -all', 'google-site-verification=x')), { maxLength: 5 });
    fc.assert(fc.property(txtSet, (values) => {
      const sel = timed('selectSpfRecord', values, () => selectSpfRecord(values));
      const spf = values.filter(isSpfRecord);
      if (spf.length === 0) expect(sel).toEqual({ kind: 'none' });
      else if (spf.length === 1) expect(sel).toEqual({ kind: 'one', record: spf[0] });
      else expect(sel).toEqual({ kind: 'multiple', records: spf });
      for (const v of spf) expect(v.slice(0, 6).toLowerCase()).toBe('v=spf1');
    }), { numRuns: RUNS });
  });
});

// ---------------------------------------------------------------------------------------------
// DMARC
// ---------------------------------------------------------------------------------------------

const protoNames = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'];
const dmarcTag = fc.oneof(
  fc.tuple(fc.constantFrom('p', 'sp', 'np', 'P'), fc.constantFrom('none', 'quarantine', 'reject', 'REJECT', 'maybe', '')),
  fc.tuple(fc.constantFrom('adkim', 'aspf'), fc.constantFrom('r', 's', 'x')),
  fc.tuple(fc.constant('pct'), fc.oneof(fc.integer({ min: -5, max: 120 }).map(String), fc.constantFrom('1000', '50.5', ''))),
  fc.tuple(fc.constant('fo'), fc.constantFrom('0', '1', 'd', 's', '0:1:d:s', '1 : d', '2', '')),
  fc.tuple(fc.constantFrom('rua', 'ruf'), fc.array(fc.oneof(
    fc.emailAddress().map((e) => `mailto:${e}`),
    fc.constantFrom('mailto:reports@example.com', 'mailto:r@example.com!10m', 'mailto:r@example.com!x', 'https://example.com/r', 'ftp://x', 'reports@example.com', 'mailto:%zz@example.com', 'mailto:@example.com', 'mailto:', ''),
  ), { minLength: 1, maxLength: 3 }).map((us) => us.join(','))),
  fc.tuple(fc.constantFrom('ri', 'rf', 'psd', 't'), fc.constantFrom('86400', 'afrf', 'iodef:afrf', 'y', 'n', 'u', 'x', '99999999999')),
  fc.tuple(fc.oneof(fc.constantFrom(...protoNames.map((n) => n.toLowerCase())), fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/)), fc.string({ maxLength: 12 })),
);
function tagList(version: string, tags: Array<[string, string]>, seps: string[]): string {
  return [version, ...tags.map(([k, v]) => `${k}=${v}`)].map((part, i) => (i === 0 ? part : (seps[i % seps.length] ?? '') + part)).join(';');
}
const dmarcVersion = fc.constantFrom('v=DMARC1', 'v=DMARC1', 'v=dmarc1', 'v = DMARC1', 'v=DMARC2', 'p=none', ' v=DMARC1', '');
/** Distinct tag names, so no duplicate is expected. */
const dmarcTags = fc.uniqueArray(dmarcTag, { maxLength: 9, selector: ([k]) => k.toLowerCase() });
const dmarcRecord = fc.tuple(dmarcVersion, dmarcTags, fc.array(fc.constantFrom(' ', '', '  ', ' ; ', ';'), { minLength: 1, maxLength: 4 }), fc.constantFrom('', ';', '; ', ';;'))
  .map(([v, tags, seps, tail]) => tagList(v, tags, seps) + tail);
const dmarcInput = fc.oneof({ weight: 4, arbitrary: dmarcRecord }, { weight: 1, arbitrary: anyText });

const WSP = /^[ \t\r\n]+|[ \t\r\n]+$/;
/** Trim the WSP DMARC/DKIM ignore around tags, values and separators (linear, unlike a /\s+$/ regex). */
function trimTagSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && ' \t\r\n'.includes(s[a]!)) a++;
  while (b > a && ' \t\r\n'.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}
/** `tag = value ;  tag2=value2` → `tag=value; tag2=value2`, keeping empty specs and a leading/trailing `;`. */
function normaliseTagList(text: string): string {
  return text.split(';').map((spec) => {
    const t = trimTagSpace(spec);
    const eq = t.indexOf('=');
    return eq === -1 ? t : `${trimTagSpace(t.slice(0, eq))}=${trimTagSpace(t.slice(eq + 1))}`;
  }).join('; ');
}
/** Offsets of every `;` and of the first `=` of each tag-spec: where whitespace means nothing. */
function separators(text: string): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const spec of text.split(';')) {
    const eq = spec.indexOf('=');
    if (eq !== -1) out.push(offset + eq);
    offset += spec.length;
    if (offset < text.length) out.push(offset);
    offset += 1;
  }
  return out;
}
const codesOf = (fs: Finding[]) => fs.map((f) => `${f.severity}:${f.code}:${f.term ?? ''}`);

describe('parseDmarc', () => {
  it('never throws; findings well-formed; valid ⇔ no error finding; a policy only with v=DMARC1', () => {
    fc.assert(fc.property(dmarcInput, (text) => {
      const r = typed('parseDmarc', text, () => parseDmarc(text, '_dmarc.example.com'));
      expect(r.ok, 'parseDmarc never throws').toBe(true);
      if (!r.ok) return;
      const d = r.value;
      checkFindings('parseDmarc', text, d.findings);
      expect(d.valid).toBe(!d.findings.some((f) => f.severity === 'error'));
      for (const f of d.findings) expect(f.name).toBe('_dmarc.example.com');
      for (const f of d.findings) expect(f.code, show(text)).toMatch(/^DMARC_/);
      if (d.policy) {
        expect(d.tags.v).toBe('DMARC1');
        expect(['none', 'quarantine', 'reject']).toContain(d.policy.p);
        expect(['none', 'quarantine', 'reject']).toContain(d.policy.sp);
        expect(['none', 'quarantine', 'reject']).toContain(d.policy.np);
      }
      for (const [k, v] of Object.entries(d.tags)) {
        expect(k, show(text)).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(WSP.test(v), `tag ${k} value ${show(v)} keeps surrounding whitespace`).toBe(false);
      }
    }), { numRuns: RUNS * 2 });
  });

  it('a tag given once is never reported as duplicated (whatever its name, e.g. "constructor")', () => {
    fc.assert(fc.property(dmarcRecord, (text) => {
      const d = parseDmarc(text);
      const names = text.split(';').map((s) => trimTagSpace(s.split('=')[0] ?? '').toLowerCase()).filter((s) => s !== '');
      for (const f of d.findings.filter((x) => /more than once/.test(x.message))) {
        expect(names.filter((n) => n === f.term).length, `${show(text)}: ${f.message}`).toBeGreaterThan(1);
      }
    }), { numRuns: RUNS });
    expect(parseDmarc('v=DMARC1; p=none; constructor=1').findings.map((f) => f.code)).not.toContain('DMARC_SYNTAX');
  });

  it('re-parses the same after whitespace around tags and separators is normalised, or widened', () => {
    const starts = dmarcRecord.filter((t) => !/^[ \t\r\n]/.test(t));
    fc.assert(fc.property(starts, fc.array(fc.tuple(fc.nat(), wsp), { maxLength: 6 }), (text, pads) => {
      const d = timed('parseDmarc', text, () => parseDmarc(text));
      const normalised = parseDmarc(normaliseTagList(text));
      expect(normalised.tags, show(text)).toEqual(d.tags);
      expect(codesOf(normalised.findings), show(text)).toEqual(codesOf(d.findings));
      expect(normalised.policy, show(text)).toEqual(d.policy);
      // Whitespace added next to a separator (never at the very start) means nothing either.
      const seps = separators(text);
      if (seps.length === 0) return;
      const edits: Array<[number, string]> = pads.map(([n, w]): [number, string] => [seps[n % seps.length]! + (n % 2), w]).filter(([i]) => i > 0);
      edits.sort((a, b) => b[0] - a[0]);
      let widened = text;
      for (const [i, w] of edits) widened = widened.slice(0, i) + w + widened.slice(i);
      const w = parseDmarc(widened);
      expect(w.tags, show(widened)).toEqual(d.tags);
      expect(codesOf(w.findings), show(widened)).toEqual(codesOf(d.findings));
    }), { numRuns: RUNS });
  });
});

// ---------------------------------------------------------------------------------------------
// DKIM
// ---------------------------------------------------------------------------------------------

const spki = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const RSA1024 = spki(1024);
const RSA2048 = spki(2048);
const ED25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');
const KEYS: Array<{ k: string; p: string; type: 'rsa' | 'ed25519'; bits: number }> = [
  { k: 'rsa', p: RSA1024, type: 'rsa', bits: 1024 },
  { k: 'rsa', p: RSA2048, type: 'rsa', bits: 2048 },
  { k: 'ed25519', p: ED25519, type: 'ed25519', bits: 256 },
];

const keyChoice = fc.constantFrom(...KEYS);
const dkimExtraTag = fc.oneof(
  fc.tuple(fc.constant('h'), fc.constantFrom('sha256', 'sha1', 'sha1:sha256', 'md5', '')),
  fc.tuple(fc.constant('s'), fc.constantFrom('email', '*', 'other', 'email:other')),
  fc.tuple(fc.constant('t'), fc.constantFrom('y', 's', 'y:s', '')),
  fc.tuple(fc.constant('n'), fc.string({ maxLength: 20 }).map((s) => s.replace(/;/g, ''))),
  fc.tuple(fc.constantFrom(...protoNames, 'V', 'x_1', 'g'), fc.stringMatching(/^[a-z0-9=:]{0,8}$/)),
);
/** A real key record with random extra tags, in random order after v=. */
const dkimRecord = fc.tuple(keyChoice, fc.boolean(), fc.uniqueArray(dkimExtraTag, { maxLength: 4, selector: ([k]) => k }), fc.array(fc.constantFrom(' ', '', '\t', ' \r\n '), { minLength: 1, maxLength: 3 }), fc.constantFrom('', ';', '; '))
  .map(([key, withV, extra, seps, tail]) => {
    const tags: Array<[string, string]> = [['k', key.k], ...extra, ['p', key.p]];
    const body = tags.map(([k, v], i) => `${seps[i % seps.length] ?? ''}${k}=${v}`).join(';');
    return { key, text: (withV ? 'v=DKIM1;' : '') + body + tail };
  });
/** The same records, damaged: truncated, a character flipped, junk inserted. */
const damagedDkim = fc.tuple(dkimRecord, fc.nat(), fc.oneof(fc.constantFrom('!', '=', ';', '"', '\\', '-', '_', 'A', '==', ' p='), fc.string({ maxLength: 3 })), fc.constantFrom('truncate', 'insert', 'replace'))
  .map(([{ text }, n, junk, how]) => {
    const i = n % (text.length + 1);
    if (how === 'truncate') return text.slice(0, i);
    if (how === 'insert') return text.slice(0, i) + junk + text.slice(i);
    return text.slice(0, i) + junk + text.slice(i + junk.length);
  });
const dkimInput = fc.oneof(dkimRecord.map((r) => r.text), damagedDkim, anyText);

describe('parseDkimKey', () => {
  it('never throws; findings well-formed; valid ⇔ no error; a decoded key has a known type', () => {
    fc.assert(fc.property(dkimInput, (text) => {
      const r = typed('parseDkimKey', text, () => parseDkimKey(text, 's1._domainkey.example.com'));
      expect(r.ok, 'parseDkimKey never throws').toBe(true);
      if (!r.ok) return;
      const d = r.value;
      checkFindings('parseDkimKey', text, d.findings);
      for (const f of d.findings) expect(f.code, show(text)).toMatch(/^DKIM_/);
      expect(d.valid).toBe(!d.findings.some((f) => f.severity === 'error'));
      expect([null, 'rsa', 'ed25519']).toContain(d.key.type);
      if (d.key.type === 'rsa') expect(d.key.bits).toBeGreaterThan(0);
      if (d.revoked) expect(d.findings.map((f) => f.code)).toContain('DKIM_REVOKED');
    }), { numRuns: RUNS });
  });

  it('a real key record decodes to its key whatever the extra tags and separators', () => {
    fc.assert(fc.property(dkimRecord, ({ key, text }) => {
      const d = parseDkimKey(text);
      expect(d.key, show(text)).toMatchObject({ type: key.type, bits: key.bits });
      expect(d.findings.map((f) => f.code), show(text)).not.toContain('DKIM_KEY_INVALID');
    }), { numRuns: FEW });
  });

  it('whitespace (including folding) anywhere inside p= is legal and changes nothing', () => {
    fc.assert(fc.property(dkimRecord, fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', '\t', '\r\n ', '\r\n\t', '  ')), { minLength: 1, maxLength: 8 }), ({ text }, edits) => {
      const at = text.lastIndexOf('p=') + 2;
      const end = text.indexOf(';', at) === -1 ? text.length : text.indexOf(';', at);
      const folded = text.slice(0, at) + insertAt(text.slice(at, end), edits) + text.slice(end);
      const a = parseDkimKey(text);
      const b = timed('parseDkimKey', folded, () => parseDkimKey(folded));
      expect(b.key, show(folded)).toEqual(a.key);
      expect(codesOf(b.findings), show(folded)).toEqual(codesOf(a.findings));
    }), { numRuns: FEW });
  });

  it('re-parses the same after whitespace around tags and separators is normalised', () => {
    fc.assert(fc.property(dkimInput, (text) => {
      const a = parseDkimKey(text);
      const b = parseDkimKey(normaliseTagList(text));
      expect(b.tags, show(text)).toEqual(a.tags);
      expect(codesOf(b.findings), show(text)).toEqual(codesOf(a.findings));
      expect(b.key).toEqual(a.key);
    }), { numRuns: RUNS });
  });

  it('a tag given once is never reported as duplicated (whatever its name, e.g. "toString")', () => {
    fc.assert(fc.property(dkimRecord, ({ text }) => {
      const d = parseDkimKey(text);
      expect(d.findings.filter((f) => /more than once/.test(f.message)).map((f) => f.message), show(text)).toEqual([]);
    }), { numRuns: FEW });
    for (const n of protoNames) expect(parseDkimKey(`v=DKIM1; ${n}=1; p=${RSA2048}`).valid, n).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Adversarial sizes: a DNS answer over TCP can carry a 64 KB TXT record
// ---------------------------------------------------------------------------------------------

describe('hostile record sizes stay linear', () => {
  const N = 60_000;
  const BUDGET = 1_500;
  const cases: Array<[string, () => unknown]> = [
    ['DMARC, a long whitespace run inside a tag', () => parseDmarc(`v=DMARC1; p=none x${' '.repeat(N)}x`)],
    ['DMARC, whitespace only', () => parseDmarc(' \t'.repeat(N / 2))],
    ['DKIM, a long whitespace run inside a tag', () => parseDkimKey(`v=DKIM1; n=x${' '.repeat(N)}x; p=${RSA1024}`)],
    ['DKIM, whitespace folded through p=', () => parseDkimKey(`v=DKIM1; p=${RSA1024.split('').join(' '.repeat(100))}`)],
    ['SPF, many terms', () => parseSpf(`v=spf1 ${'a '.repeat(N / 2)}-all`)],
    ['SPF, a long run of spaces', () => parseSpf(`v=spf1${' '.repeat(N)}-all`)],
    ['domain, a long input', () => { try { parseDomain('a.'.repeat(N)); } catch (e) { if (!(e instanceof MailsetupError)) throw e; } }],
  ];
  it.each(cases)('%s', (what, run) => {
    timed(what, what, run, BUDGET);
  });

  // TOPLABEL in spf/parse.ts used to backtrack quadratically over a long last label of a
  // domain-spec (20 000 characters ≈ 0.6 s, 60 000 ≈ 3 s); now linear.
  it('SPF, a long last label in a domain-spec', () => {
    const n = 20_000;
    timed('parseSpf', 'long label', () => parseSpf(`v=spf1 a:a.${'a'.repeat(n)}- -all`), 250);
  });
});

// ---------------------------------------------------------------------------------------------
// The state file
// ---------------------------------------------------------------------------------------------

const PATH = '/tmp/mailsetup-property/mailsetup.json';
const iso = fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString());
const status = fc.constantFrom('pending', 'verified', 'failed', 'unknown') as fc.Arbitrary<DomainState['status']>;
const stateLabel = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const stateDomain = fc.array(stateLabel, { minLength: 2, maxLength: 4 }).map((ls) => ls.join('.')).filter((d) => !/\.[0-9]+$/.test(d));
/** Fields a newer mailsetup (or the user) wrote: kept as they are. */
const extras = fc.dictionary(fc.stringMatching(/^x-[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });
const record: fc.Arbitrary<DnsRecord> = fc.record({
  purpose: fc.constantFrom('dkim', 'spf', 'dmarc', 'mail-from-mx', 'mail-from-spf', 'return-path', 'verification', 'inbound-mx', 'tracking'),
  type: fc.constantFrom('CNAME', 'TXT', 'MX'),
  name: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== ''),
  value: fc.string({ maxLength: 60 }),
  priority: fc.integer({ min: 0, max: 65535 }),
  ttl: fc.option(fc.integer({ min: 0, max: 2147483647 })),
  required: fc.boolean(),
  source: fc.constantFrom('provider', 'mailsetup'),
}).map((r) => ({ ...r, priority: r.type === 'MX' ? r.priority : null }) as DnsRecord);
const history: fc.Arbitrary<HistoryEntry> = fc.record({ at: iso, status, detail: fc.option(fc.string({ maxLength: 20 })) }, { requiredKeys: ['at', 'status'] });
const domainState: fc.Arbitrary<DomainState> = fc.tuple(fc.record({
  provider: fc.constantFrom('ses', 'sendgrid', 'mailgun', 'resend', 'sandbox'),
  providerId: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ''),
  region: fc.option(fc.constantFrom('us-east-1', 'eu-west-1', 'eu', 'global')),
  records: fc.array(record, { maxLength: 4 }),
  status,
  createdAt: iso,
  updatedAt: iso,
  history: fc.array(history, { maxLength: 3 }),
}), extras).map(([d, x]) => ({ ...x, ...d }) as DomainState);
const validState: fc.Arbitrary<StateFile> = fc.tuple(
  fc.dictionary(stateDomain, domainState, { maxKeys: 4 }),
  fc.option(fc.record({ provider: fc.constantFrom('ses', 'sendgrid', 'mailgun', 'resend'), region: fc.constantFrom('us-east-1', 'eu') }, { requiredKeys: [] })),
  fc.option(fc.dictionary(fc.constantFrom('ses', 'sendgrid', 'mailgun', 'resend'), fc.record({ region: fc.constantFrom('us-east-1', 'eu'), baseUrl: fc.constantFrom('https://api.sendgrid.com', 'http://127.0.0.1:8080/v3') }, { requiredKeys: [] }), { maxKeys: 2 })),
  extras,
).map(([domains, defaults, providers, x]) => ({
  ...x, version: 1 as const, domains, ...(defaults ? { defaults } : {}), ...(providers ? { providers } : {}),
}));

/** Damage a valid state at a random place: drop a field, change its type, or set a bad value. */
const damagedState = fc.tuple(validState, fc.nat(), fc.constantFrom('delete', 'null', 'number', 'string', 'array', 'object', 'bad-date', 'upper'))
  .map(([s, n, how]) => {
    const json = JSON.parse(serializeState(s)) as Record<string, unknown>;
    const spots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach((x, i) => { spots.push([v, i]); walk(x); });
      else if (v && typeof v === 'object') for (const k of Object.keys(v)) { spots.push([v as Record<string, unknown>, k]); walk((v as Record<string, unknown>)[k]); }
    };
    walk(json);
    const spot = spots[n % Math.max(1, spots.length)];
    if (!spot) return JSON.stringify(json);
    const [holder, key] = spot as [Record<string | number, unknown>, string | number];
    switch (how) {
      case 'delete': if (Array.isArray(holder)) holder.splice(key as number, 1); else delete holder[key]; break;
      case 'null': holder[key] = null; break;
      case 'number': holder[key] = -1.5; break;
      case 'string': holder[key] = 'x'; break;
      case 'array': holder[key] = []; break;
      case 'object': holder[key] = {}; break;
      case 'bad-date': holder[key] = '2026-13-45T99:99:99Z'; break;
      case 'upper': if (!Array.isArray(holder) && typeof key === 'string') { const v = holder[key]; delete holder[key]; holder[key.toUpperCase()] = v; } break;
    }
    return JSON.stringify(json, null, n % 3);
  });

function expectConfigInvalid(r: Outcome<StateFile>, text: string): void {
  if (r.ok) return;
  expect(r.error.code, show(text)).toBe('CONFIG_INVALID');
  expect(r.error.exitCode).toBe(78);
  expect(r.error.message.startsWith(`${PATH}: `), r.error.message).toBe(true);
  expect(r.error.hint).toEqual(expect.any(String));
}

describe('parseState', () => {
  it('arbitrary text and arbitrary JSON: a state or CONFIG_INVALID (exit 78) naming the file', () => {
    const input = fc.oneof(anyText, fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.json(), fc.constantFrom('\ufeff', '\ufeff{"version":1}', '{"version":1,"domains":{"__proto__":{}}}', '{"version":1,"domains":null}', '[]', 'null', '{"version":2}', '{"version":"1"}'));
    fc.assert(fc.property(input, (text) => {
      const r = typed('parseState', text, () => parseState(text, PATH));
      expectConfigInvalid(r, text);
      if (r.ok) {
        expect(r.value.version).toBe(1);
        expect(typeof r.value.domains).toBe('object');
      }
    }), { numRuns: RUNS * 2 });
  });

  it('parseState(serializeState(s)) round-trips generated valid states, unknown fields included', () => {
    fc.assert(fc.property(validState, (s) => {
      const text = serializeState(s);
      const back = timed('parseState', text, () => parseState(text, PATH));
      expect(back).toEqual(JSON.parse(JSON.stringify(s)));
      expect(serializeState(back)).toBe(text);
      // A byte-order mark (Windows editors) is not content.
      expect(parseState(`\ufeff${text}`, PATH)).toEqual(back);
    }), { numRuns: RUNS });
  });

  it('a damaged valid state is loaded or refused with CONFIG_INVALID, and what loads re-serialises stably', () => {
    fc.assert(fc.property(damagedState, (text) => {
      const r = typed('parseState', text, () => parseState(text, PATH));
      expectConfigInvalid(r, text);
      if (r.ok) {
        const again = serializeState(r.value);
        expect(serializeState(parseState(again, PATH))).toBe(again);
      }
    }), { numRuns: RUNS });
  });
});
