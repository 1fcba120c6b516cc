/**
 * SPF record syntax, RFC 7208 §4.5/§4.6/§5/§6/§7 and the ABNF of §12. Pure: a record string in, a
 * term model plus every problem found out. It never throws and never stops at the first error, so
 * `validate` can list them all; the term model keeps domain-specs unexpanded (as macro tokens) so
 * that a later `check_host()` evaluator can expand them per client address.
 */
import { isIP } from '../../util/ip.js';

export type Qualifier = '+' | '-' | '~' | '?';
export type MechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';
export type MacroLetter = 's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'h' | 'c' | 'r' | 't' | 'v';

/** One piece of a macro-string (§7.1). `escape` is `%%`, `%_` or `%-`, already turned into its text. */
export type MacroToken =
  | { kind: 'literal'; text: string }
  | { kind: 'escape'; text: '%' | ' ' | '%20' }
  | { kind: 'macro'; letter: MacroLetter; urlEscape: boolean; keep: number | null; reverse: boolean; delimiters: string };

export interface DomainSpec {
  /** As written, macros unexpanded. */
  raw: string;
  tokens: MacroToken[];
  hasMacros: boolean;
}

export interface Directive {
  type: 'mechanism';
  /** The term as written. */
  raw: string;
  /** Offset of the term in the record. */
  position: number;
  qualifier: Qualifier;
  qualifierExplicit: boolean;
  mechanism: MechanismName;
  /** include/exists always; a/mx/ptr when given (else the current domain applies). */
  domainSpec: DomainSpec | null;
  /** ip4/ip6: the network address as written. */
  network: string | null;
  /** ip4 and a/mx: IPv4 prefix length when given. */
  cidr4: number | null;
  /** ip6 and a/mx: IPv6 prefix length when given. */
  cidr6: number | null;
}

export interface Modifier {
  type: 'modifier';
  raw: string;
  position: number;
  /** Lower-case modifier name. */
  name: string;
  value: string;
  /** redirect= and exp=: the parsed domain-spec. */
  domainSpec: DomainSpec | null;
}

export type SpfTerm = Directive | Modifier;

export interface SpfProblem {
  /** The term concerned, as written; null for the record as a whole. */
  term: string | null;
  message: string;
}

/** Lints on a well-formed record; `code` is the finding code the auditor reports. */
export interface SpfLint extends SpfProblem {
  code:
    | 'SPF_PLUS_ALL' | 'SPF_NEUTRAL_ALL' | 'SPF_NO_ALL' | 'SPF_PTR' | 'SPF_TERMS_AFTER_ALL'
    | 'SPF_REDIRECT_IGNORED' | 'SPF_DUPLICATE_TERM' | 'SPF_MACRO_P' | 'SPF_TOO_LONG';
}

export interface ParsedSpf {
  /** Well-formed terms in record order (a term with an error is left out and reported). */
  terms: SpfTerm[];
  mechanisms: Directive[];
  redirect: Modifier | null;
  exp: Modifier | null;
  /** Any error makes check_host() return permerror (§4.6). */
  errors: SpfProblem[];
  warnings: SpfLint[];
}

const VERSION = /^v=spf1(?= |$)/i;
const MODIFIER = /^([A-Za-z][A-Za-z0-9._-]*)=(.*)$/s;
// RFC 7208 toplabel: alphanumeric with at least one letter, or with inner hyphens. The lookahead
// form is linear; the obvious [a-z0-9]*[a-z][a-z0-9]* backtracks quadratically on a long label.
const TOPLABEL = /^(?:(?=[a-z0-9]*[a-z])[a-z0-9]+|[a-z0-9]+-[a-z0-9-]*[a-z0-9])$/i;
const QNUM = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IP4_NETWORK = new RegExp(`^${QNUM}\\.${QNUM}\\.${QNUM}\\.${QNUM}$`);
const MACRO_BODY = /^([a-z])([0-9]*)(r?)([.\-+,/_=]*)$/i;
const LETTERS = new Set<string>(['s', 'l', 'o', 'd', 'i', 'p', 'h', 'c', 'r', 't', 'v']);
/** §7.3: these expand to data that only makes sense in the explanation shown to the sender. */
const EXPLAIN_ONLY = new Set<string>(['c', 'r', 't']);
/** RFC 7208 §3.4: keep the answer within 512 octets so it needs no TCP or EDNS. */
export const SPF_MAX_RECORD_OCTETS = 512;

/** True when this TXT value is an SPF version 1 record (§4.5: `v=spf1` then a space or the end). */
export function isSpfRecord(txt: string): boolean {
  return VERSION.test(txt);
}

export type SpfSelection =
  | { kind: 'none' }
  | { kind: 'one'; record: string }
  | { kind: 'multiple'; records: string[] };

/**
 * Pick the SPF record among all TXT values at a name (§4.5): values not starting with `v=spf1` are
 * discarded (so `v=spf10`, ` v=spf1` and Sender ID `spf2.0/...` are not SPF); none left is "none",
 * more than one is permerror even if they are identical.
 */
export function selectSpfRecord(txt: readonly string[]): SpfSelection {
  const found = txt.filter(isSpfRecord);
  if (found.length === 0) return { kind: 'none' };
  if (found.length === 1) return { kind: 'one', record: found[0]! };
  return { kind: 'multiple', records: found };
}

/** Parse a macro-string (§7.1). `explain` allows the c/r/t letters and spaces (explain-string). */
export function parseMacroString(s: string, explain = false): { tokens: MacroToken[]; error: string | null } {
  const tokens: MacroToken[] = [];
  const literal = (ch: string): void => {
    const last = tokens[tokens.length - 1];
    if (last?.kind === 'literal') last.text += ch;
    else tokens.push({ kind: 'literal', text: ch });
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = ch.charCodeAt(0);
    if (ch !== '%') {
      if ((code >= 0x21 && code <= 0x7e) || (explain && ch === ' ')) { literal(ch); continue; }
      return { tokens, error: `character ${describeChar(ch)} is not allowed` };
    }
    const next = s[i + 1];
    if (next === '%' || next === '_' || next === '-') {
      tokens.push({ kind: 'escape', text: next === '%' ? '%' : next === '_' ? ' ' : '%20' });
      i++;
      continue;
    }
    if (next !== '{') return { tokens, error: `"%" must be followed by "{", "%", "_" or "-" (write "%%" for a literal percent sign)` };
    const end = s.indexOf('}', i + 2);
    if (end === -1) return { tokens, error: `macro "${s.slice(i)}" has no closing "}"` };
    const body = s.slice(i + 2, end);
    const m = MACRO_BODY.exec(body);
    const letter = m?.[1]?.toLowerCase();
    if (!m || letter === undefined || !LETTERS.has(letter)) {
      const first = body[0] ?? '';
      return { tokens, error: first && !LETTERS.has(first.toLowerCase()) && /^[^0-9]/.test(first)
        ? `"${first}" in %{${body}} is not a macro letter (s l o d i p h v, and c r t in explanations)`
        : `%{${body}} is not a valid macro (letter, optional digits, optional "r", optional delimiters . - + , / _ =)` };
    }
    if (EXPLAIN_ONLY.has(letter) && !explain) {
      return { tokens, error: `macro letter "${letter}" in %{${body}} is only allowed in the explanation text, not in a domain` };
    }
    const digits = m[2] ?? '';
    if (digits !== '' && Number(digits) === 0) return { tokens, error: `%{${body}}: the number of labels to keep must not be zero` };
    tokens.push({
      kind: 'macro', letter: letter as MacroLetter, urlEscape: m[1] !== letter,
      keep: digits === '' ? null : Number(digits), reverse: (m[3] ?? '') !== '', delimiters: m[4] ?? '',
    });
    i = end;
  }
  return { tokens, error: null };
}

/** The explanation TXT fetched through exp= (§6.2): an explain-string, where c/r/t and spaces are allowed. */
export function parseExplainString(s: string): { tokens: MacroToken[]; error: string | null } {
  return parseMacroString(s, true);
}

/** domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand. */
export function parseDomainSpec(raw: string): { spec: DomainSpec | null; error: string | null } {
  if (raw === '') return { spec: null, error: 'the domain is empty' };
  const { tokens, error } = parseMacroString(raw);
  if (error) return { spec: null, error };
  const spec = { raw, tokens, hasMacros: tokens.some((t) => t.kind === 'macro') };
  const last = tokens[tokens.length - 1];
  if (last && last.kind !== 'literal') return { spec, error: null };
  // The toplabel must come from literal text after the last macro; one trailing dot is allowed.
  const tail = (last?.text ?? '').replace(/\.$/, '');
  const dot = tail.lastIndexOf('.');
  if (dot === -1) return { spec: null, error: `"${raw}" is not a fully qualified domain (it needs a dot and a top-level label, or to end in a macro)` };
  const top = tail.slice(dot + 1);
  if (TOPLABEL.test(top)) return { spec, error: null };
  if (top === '') return { spec: null, error: `"${raw}" ends in an empty label` };
  if (/^[0-9]+$/.test(top)) {
    return { spec: null, error: `"${raw}" ends in a numeric label${isIP(raw) ? ' (it is an IP address: use ip4: or ip6:)' : ''}` };
  }
  return { spec: null, error: `"${top}" is not a valid top-level label in "${raw}"` };
}

function describeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code >= 0x21 && code <= 0x7e ? `"${ch}"` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** ip4-cidr-length is 0..32 and ip6-cidr-length 0..128, without leading zeros. */
function cidr(digits: string, family: 4 | 6): { value: number | null; error: string | null } {
  const max = family === 4 ? 32 : 128;
  const label = family === 4 ? 'IPv4' : 'IPv6';
  if (!/^(?:0|[1-9][0-9]*)$/.test(digits)) return { value: null, error: `${label} prefix length "/${digits}" has a leading zero` };
  const value = Number(digits);
  if (value > max) return { value: null, error: `${label} prefix length /${value} is above ${max}` };
  return { value, error: null };
}

function checkIp4(network: string): string | null {
  if (IP4_NETWORK.test(network)) return null;
  if (network.includes('%')) return 'ip4: does not take macros; it needs a literal address';
  if (isIP(network) === 6 || network.includes(':')) return `"${network}" is an IPv6 address: use ip6:`;
  if (/(?:[-+~?]all|\s)$/i.test(network)) return `"${network}" is not an address: is a space missing before the next term?`;
  if (/^[0-9.]+$/.test(network)) return `"${network}" is not a complete IPv4 address (four numbers 0-255, no leading zeros)`;
  return `"${network}" is not an IPv4 address (ip4: takes an address, not a host name: use a: for a host)`;
}

function checkIp6(network: string): string | null {
  if (network.includes('%')) return 'ip6: does not take macros or zone indexes; it needs a literal address';
  if (isIP(network) === 6) return null;
  if (isIP(network) === 4) return `"${network}" is an IPv4 address: use ip4:`;
  return `"${network}" is not an IPv6 address`;
}

/**
 * Parse one SPF record string. The caller has selected it (see `selectSpfRecord`); a string that does
 * not start with `v=spf1` gives an error and no terms.
 */
export function parseSpf(record: string): ParsedSpf {
  const out: ParsedSpf = { terms: [], mechanisms: [], redirect: null, exp: null, errors: [], warnings: [] };
  const error = (term: string | null, message: string): void => { out.errors.push({ term, message }); };
  const lint = (code: SpfLint['code'], term: string | null, message: string): void => { out.warnings.push({ code, term, message }); };
  if (!VERSION.test(record)) {
    error(null, /^\s+v=spf1/i.test(record)
      ? 'the record starts with whitespace; it must start with "v=spf1"'
      : 'the record must start with "v=spf1" followed by a space or the end');
    return out;
  }
  const body = record.slice(6);
  for (const m of body.matchAll(/[^ ]+/g)) {
    const raw = m[0];
    const position = 6 + (m.index ?? 0);
    const bad = [...raw].find((c) => c.charCodeAt(0) < 0x21 || c.charCodeAt(0) > 0x7e);
    if (bad !== undefined) {
      error(raw, `contains ${describeChar(bad)}: SPF records are 7-bit ASCII and terms are separated by spaces only`);
      continue;
    }
    const term = MODIFIER.exec(raw) ? parseModifier(raw, position, out, error) : parseDirective(raw, position, error);
    if (term) out.terms.push(term);
  }
  for (const t of out.terms) if (t.type === 'mechanism') out.mechanisms.push(t);
  lintRecord(record, out, lint);
  return out;
}

function parseModifier(raw: string, position: number, out: ParsedSpf, error: (t: string, m: string) => void): Modifier | null {
  const m = MODIFIER.exec(raw)!;
  const name = m[1]!.toLowerCase();
  const value = m[2]!;
  if (name === 'redirect' || name === 'exp') {
    // Known names are not "greedy" unknown modifiers: a bad domain here is an error (suite: redirect-syntax-error).
    const { spec, error: why } = parseDomainSpec(value);
    if (!spec) { error(raw, `${name}= ${why}`); return null; }
    if (out[name]) { error(raw, `${name}= appears more than once (RFC 7208 §6)`); return null; }
    const mod: Modifier = { type: 'modifier', raw, position, name, value, domainSpec: spec };
    out[name] = mod;
    return mod;
  }
  const { error: why } = parseMacroString(value);
  if (why) { error(raw, `modifier ${name}=: ${why}`); return null; }
  return { type: 'modifier', raw, position, name, value, domainSpec: null };
}

function parseDirective(raw: string, position: number, error: (t: string, m: string) => void): Directive | null {
  const q = /^[-+~?]/.test(raw) ? (raw[0] as Qualifier) : null;
  const rest = q ? raw.slice(1) : raw;
  if (/^[A-Za-z][A-Za-z0-9._-]*=/.test(rest)) { error(raw, 'a qualifier (+ - ~ ?) cannot precede a modifier'); return null; }
  const name = (/^[A-Za-z0-9]*/.exec(rest)?.[0] ?? '').toLowerCase();
  const arg = rest.slice(name.length);
  const d: Directive = {
    type: 'mechanism', raw, position, qualifier: q ?? '+', qualifierExplicit: q !== null, mechanism: 'all',
    domainSpec: null, network: null, cidr4: null, cidr6: null,
  };
  const fail = (message: string): null => { error(raw, message); return null; };
  const spec = (value: string): boolean => {
    const r = parseDomainSpec(value);
    if (!r.spec) { error(raw, `${name}: ${r.error}`); return false; }
    d.domainSpec = r.spec;
    return true;
  };
  switch (name) {
    case 'all':
      d.mechanism = 'all';
      return arg === '' ? d : fail(`"all" takes no argument (found "${arg}")`);
    case 'include': case 'exists':
      d.mechanism = name;
      if (!arg.startsWith(':')) return fail(`${name} needs a domain: ${name}:example.com`);
      return spec(arg.slice(1)) ? d : null;
    case 'ptr':
      d.mechanism = 'ptr';
      if (arg === '') return d;
      if (!arg.startsWith(':')) return fail(`ptr takes an optional ":domain" and no prefix length (found "${arg}")`);
      return spec(arg.slice(1)) ? d : null;
    case 'a': case 'mx': {
      d.mechanism = name;
      let cidrPart = arg;
      if (arg.startsWith(':')) {
        // The dual-cidr-length is the longest trailing "/n", "//n" or "/n//n"; the rest is the domain-spec.
        const m = /^(.*?)((?:\/[0-9]+)?(?:\/\/[0-9]+)?)$/s.exec(arg.slice(1))!;
        if (!spec(m[1]!)) return null;
        cidrPart = m[2]!;
      }
      const c = /^(?:\/([0-9]+))?(?:\/\/([0-9]+))?$/.exec(cidrPart);
      if (!c) return fail(`"${cidrPart}" is not a valid prefix length for ${name} (use /n for IPv4, //n for IPv6, or /n//n)`);
      for (const [digits, fam] of [[c[1], 4], [c[2], 6]] as const) {
        if (digits === undefined) continue;
        const r = cidr(digits, fam);
        if (r.error) return fail(r.error);
        if (fam === 4) d.cidr4 = r.value; else d.cidr6 = r.value;
      }
      return d;
    }
    case 'ip4': case 'ip6': {
      d.mechanism = name;
      if (!arg.startsWith(':') || arg.length === 1) return fail(`${name} needs an address: ${name === 'ip4' ? 'ip4:192.0.2.0/24' : 'ip6:2001:db8::/32'}`);
      const value = arg.slice(1);
      const slash = value.indexOf('/');
      const network = slash === -1 ? value : value.slice(0, slash);
      const why = name === 'ip4' ? checkIp4(network) : checkIp6(network);
      if (why) return fail(why);
      d.network = network;
      if (slash !== -1) {
        const digits = value.slice(slash + 1);
        if (!/^[0-9]+$/.test(digits)) return fail(`"${value.slice(slash)}" is not a prefix length (${name} takes one: /n)`);
        const r = cidr(digits, name === 'ip4' ? 4 : 6);
        if (r.error) return fail(r.error);
        if (name === 'ip4') d.cidr4 = r.value; else d.cidr6 = r.value;
      }
      return d;
    }
    default:
      if (name === 'redirect' || name === 'exp') return fail(`${name} is a modifier: write ${name}=domain`);
      if (name === '') return fail(`"${raw}" is not a mechanism or a modifier`);
      if (raw.includes('=')) return fail(`"${raw}" is not a valid modifier (a modifier name starts with a letter)`);
      return fail(`unknown mechanism "${name}"`);
  }
}

/** Advice on a record that parses: what receivers do with it is legal but rarely what was meant. */
function lintRecord(record: string, out: ParsedSpf, lint: (c: SpfLint['code'], t: string | null, m: string) => void): void {
  const octets = Buffer.byteLength(record, 'utf8');
  if (octets > SPF_MAX_RECORD_OCTETS) {
    lint('SPF_TOO_LONG', null, `the record is ${octets} octets; above ${SPF_MAX_RECORD_OCTETS} the DNS answer may need TCP and some receivers fail to fetch it`);
  }
  const firstAll = out.terms.findIndex((t) => t.type === 'mechanism' && t.mechanism === 'all');
  const all = firstAll === -1 ? null : (out.terms[firstAll] as Directive);
  if (all?.qualifier === '+') lint('SPF_PLUS_ALL', all.raw, `"${all.raw}" authorises every host on the internet to send as this domain`);
  if (all?.qualifier === '?') lint('SPF_NEUTRAL_ALL', all.raw, '"?all" gives a neutral result for every other host, which protects nothing');
  if (!all && !out.redirect) lint('SPF_NO_ALL', null, 'the record has no "all" and no redirect=, so unlisted hosts get a neutral result');
  if (all && out.redirect) lint('SPF_REDIRECT_IGNORED', out.redirect.raw, 'redirect= is ignored because the record has an "all" mechanism (RFC 7208 §6.1)');
  const seen = new Set<string>();
  out.terms.forEach((t, i) => {
    if (t.type === 'mechanism' && t.mechanism === 'ptr') lint('SPF_PTR', t.raw, 'the ptr mechanism is slow and unreliable; RFC 7208 §5.5 says not to use it');
    if (firstAll !== -1 && i > firstAll && (t.type === 'mechanism' || (t.name !== 'exp' && t.name !== 'redirect'))) {
      lint('SPF_TERMS_AFTER_ALL', t.raw, `"${t.raw}" comes after "all" and is never evaluated`);
    }
    const macros = t.type === 'mechanism' ? t.domainSpec?.tokens : t.domainSpec?.tokens ?? parseMacroString(t.value).tokens;
    if (macros?.some((m) => m.kind === 'macro' && m.letter === 'p')) {
      lint('SPF_MACRO_P', t.raw, 'the %{p} macro needs slow reverse lookups; RFC 7208 §7.3 says not to use it');
    }
    if (t.type === 'mechanism' && t.mechanism !== 'all') {
      const key = t.raw.replace(/^[-+~?]/, '').toLowerCase();
      if (seen.has(key)) lint('SPF_DUPLICATE_TERM', t.raw, `"${t.raw}" appears more than once`);
      seen.add(key);
    }
  });
}
