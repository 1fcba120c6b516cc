/**
 * DMARC (RFC 7489, RFC 9989): parse a record, and audit which policy applies to a domain from live
 * DNS. mailsetup is a checker, not a receiver: where a receiver quietly repairs a record (a bad `p`
 * next to a valid `rua` acting as p=none), we still report the error, because the owner meant
 * something else. Decisions where the conformance sources disagree (conformance/README.md §4):
 * - `v` value is case-sensitive (`DMARC1`), tag names and keyword values are not;
 * - tags may come in any order after `v` (RFC 9989); `p` not second is a warning (RFC 7489 parsers
 *   such as mox reject it);
 * - `pct`/`rf`/`ri` are obsolete (info), but an out-of-range value is an error: RFC 7489 receivers
 *   may discard the whole record, and RFC 9989 receivers lose nothing if it is fixed;
 * - an empty tag (`;;`) is a warning; a trailing `;` is fine;
 * - a missing `p` is a warning when a valid `rua` (or `psd=y`) gives the record meaning, else an
 *   error (no effect at all);
 * - report URIs: `mailto:` with an address; http(s) warns (RFC 9989 receivers promise only mailto);
 *   any other scheme, a bare address or a malformed `!size` is an error.
 */
import { isIP } from '../util/ip.js';
import type { DnsAnswer, Lookup } from '../dns/types.js';
import { isFailure, txtValues } from '../dns/types.js';
import type { CheckResult, Finding, Severity } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';
import { organisationalDomain } from '../model/domain-name.js';
import { parseTagList, trimFws } from './tag-list.js';

export type DmarcPolicyValue = 'none' | 'quarantine' | 'reject';

export interface DmarcUri {
  uri: string;
  scheme: string;
  /** mailto: the address and its domain (lower-case). */
  address: string | null;
  domain: string | null;
  /** The `!size` suffix, if any (obsolete in RFC 9989). */
  size: string | null;
}

/** Effective values, defaults applied (`sp` defaults to `p`, `np` to `sp`). */
export interface DmarcPolicy {
  p: DmarcPolicyValue;
  sp: DmarcPolicyValue;
  np: DmarcPolicyValue;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  pct: number | null;
  fo: string[];
  rua: DmarcUri[];
  ruf: DmarcUri[];
  psd: 'y' | 'n' | 'u';
  t: 'y' | 'n';
}

export interface ParsedDmarc {
  /** No error findings. */
  valid: boolean;
  /** Raw values by lower-case tag name (first occurrence), in record order. */
  tags: Record<string, string>;
  /** Null when the record has no usable version or policy. */
  policy: DmarcPolicy | null;
  findings: Finding[];
}

const KNOWN = new Set(['v', 'p', 'sp', 'np', 'adkim', 'aspf', 'pct', 'fo', 'rf', 'ri', 'rua', 'ruf', 'psd', 't']);
const POLICIES = ['none', 'quarantine', 'reject'];
const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`, 'i');

/** A TXT value that its author meant as DMARC (receivers only take those starting exactly `v=DMARC1`). */
export function looksLikeDmarc(value: string): boolean {
  return /^\s*v\s*=\s*dmarc/i.test(value);
}

/**
 * A TXT value at `_dmarc` written as a DMARC policy that receivers nevertheless ignore because it does
 * not start with `v=DMARC1`: the version tag later in the record, or a policy (`p=reject`) without it.
 * It is the owner's record, broken — never "no record" (whose hint would be a new, weaker p=none).
 */
export function meantAsDmarc(value: string): boolean {
  if (looksLikeDmarc(value)) return true;
  const { tags } = parseTagList(value, { foldCase: true });
  return /^dmarc1$/i.test(tags.v ?? '') || POLICIES.includes((tags.p ?? '').toLowerCase());
}

/**
 * The owner's own record with `v=DMARC1` moved to the front (added when it is absent), every other
 * tag kept as written and in order: the fix for a misordered record, which keeps their policy.
 */
export function dmarcVersionFirst(value: string): string {
  const specs = value.split(';').map(trimFws).filter((x) => x !== '');
  const rest = specs.filter((x) => !/^v[ \t]*=/i.test(x));
  return ['v=DMARC1', ...rest].join('; ');
}

/** `"v=DMARC1; p=reject"` pasted with its quotes: the value inside them. */
const unquoted = (v: string): string | null => {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : null;
};

const STRENGTH: Record<DmarcPolicyValue, number> = { none: 0, quarantine: 1, reject: 2 };

type Add = (severity: Severity, code: string, message: string, term: string | null, hint: string) => void;

function parseUriList(tag: string, value: string, add: Add): DmarcUri[] {
  const out: DmarcUri[] = [];
  for (const raw of value.split(',')) {
    const entry = trimFws(raw);
    const bad = (why: string): void =>
      add('error', 'DMARC_SYNTAX', `${tag} entry "${entry}" ${why}.`, tag, `Write each ${tag} destination as mailto:reports@example.com, separated by commas.`);
    if (entry === '') { bad('is empty'); continue; }
    // '!' cannot occur inside a DMARC URI (it must be percent-encoded), so the first one starts the size.
    const bang = entry.indexOf('!');
    const uri = bang === -1 ? entry : entry.slice(0, bang);
    const size = bang === -1 ? null : entry.slice(bang + 1);
    if (size !== null && !/^\d{1,15}[kmgt]?$/i.test(size)) { bad('has a malformed size limit after "!"'); continue; }
    const m = /^([a-z][a-z0-9+.-]*):(.+)$/i.exec(uri);
    if (!m) { bad('is not a URI (no scheme such as mailto:)'); continue; }
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'mailto') {
      let addr: string;
      try { addr = decodeURIComponent(m[2]!.split('?')[0]!); } catch { bad('has a broken percent-escape'); continue; }
      const at = addr.lastIndexOf('@');
      const local = addr.slice(0, at);
      const domain = addr.slice(at + 1).toLowerCase();
      if (at < 1 || /[\s/]/.test(local) || !HOSTNAME.test(domain)) { bad('is not a mailto: URI with an email address'); continue; }
      out.push({ uri, scheme, address: `${local}@${domain}`, domain, size });
    } else if (scheme === 'http' || scheme === 'https') {
      add('warning', 'DMARC_URI_NOT_MAILTO', `${tag} entry "${entry}" is not a mailto: URI; RFC 9989 receivers only send reports by email.`, tag, `Use a mailto: address for ${tag}.`);
      out.push({ uri, scheme, address: null, domain: null, size });
    } else {
      bad(`uses the scheme "${scheme}:", to which no receiver sends reports`);
    }
  }
  return out;
}

/** Parse one DMARC record (the joined TXT value). `name` is the DNS name findings refer to. */
export function parseDmarc(text: string, name = ''): ParsedDmarc {
  const findings: Finding[] = [];
  const add: Add = (severity, code, message, term, hint) => findings.push({ severity, code, message, name, term, hint });
  const syntax = (message: string, term: string | null, hint: string): void => add('error', 'DMARC_SYNTAX', message, term, hint);

  if (/^[ \t\r\n]/.test(text)) {
    syntax('The record begins with whitespace, so receivers do not see v=DMARC1 first and ignore it.', 'v', 'Remove the leading whitespace so the value starts with v=DMARC1.');
  }
  // Tag names are case-insensitive; `;;` warns, a trailing `;` is fine (see the header).
  const { tags, order, problems } = parseTagList(text, { foldCase: true });
  for (const p of problems) {
    if (p.kind === 'empty') {
      if (p.inner) add('warning', 'DMARC_EMPTY_TAG', 'The record has an empty tag (";;"); strict parsers reject the whole record.', null, 'Remove the doubled semicolon.');
    } else if (p.kind === 'not-a-tag') {
      syntax(`"${p.spec}" is not a tag=value pair.`, null, 'Write every part of the record as tag=value, separated by semicolons.');
    } else {
      syntax(`The tag ${p.tag} appears more than once, which makes the record invalid.`, p.tag, `Keep a single ${p.tag}= tag.`);
    }
  }

  let versionOk = false;
  if (order[0] !== 'v') {
    // The fix is the owner's own record reordered: never a fresh (and maybe weaker) one.
    syntax(`The record does not start with v=DMARC1, so receivers ignore all of it${'p' in tags ? ` (p=${tags.p} included)` : ''}.`, 'v',
      `Publish your record with v=DMARC1 moved to the front: "${dmarcVersionFirst(text)}".`);
  } else if (tags.v !== 'DMARC1') {
    const why = tags.v?.toUpperCase() === 'DMARC1' ? ' (the value is case-sensitive)' : ` ("${tags.v}")`;
    syntax(`The version must be exactly DMARC1${why}.`, 'v', 'Start the record with v=DMARC1; and separate tags with semicolons.');
  } else {
    versionOk = true;
  }

  const kw = (tag: string): string => (tags[tag] ?? '').toLowerCase();
  const oneOf = (tag: string, allowed: string[], hint: string): boolean => {
    if (!(tag in tags)) return false;
    if (allowed.includes(kw(tag))) return true;
    syntax(`${tag}=${tags[tag]} is not one of ${allowed.join(', ')}.`, tag, hint);
    return false;
  };
  const obsolete = (tag: string): void =>
    add('info', 'DMARC_OBSOLETE_TAG', `${tag} was removed by RFC 9989; newer receivers ignore it.`, tag, `You can drop ${tag}= from the record.`);

  const policyHint = 'Use none, quarantine or reject.';
  const pOk = oneOf('p', POLICIES, policyHint);
  const spOk = oneOf('sp', POLICIES, policyHint);
  const npOk = oneOf('np', POLICIES, policyHint);
  oneOf('adkim', ['r', 's'], 'Use r (relaxed) or s (strict).');
  oneOf('aspf', ['r', 's'], 'Use r (relaxed) or s (strict).');
  oneOf('psd', ['y', 'n', 'u'], 'Use y, n or u, or leave psd out.');
  oneOf('t', ['y', 'n'], 'Use t=y or t=n, or leave t out.');
  if ('pct' in tags) {
    if (!/^\d{1,3}$/.test(tags.pct!) || Number(tags.pct) > 100) {
      syntax(`pct=${tags.pct} is not a whole number from 0 to 100; RFC 7489 receivers may discard the record.`, 'pct', 'Remove pct= (RFC 9989 dropped it) or set it to 100.');
    } else obsolete('pct');
  }
  if ('ri' in tags) {
    if (!/^\d+$/.test(tags.ri!) || Number(tags.ri) > 4294967295) {
      syntax(`ri=${tags.ri} is not a number of seconds; RFC 7489 receivers may discard the record.`, 'ri', 'Remove ri= (RFC 9989 dropped it) or set it to 86400.');
    } else obsolete('ri');
  }
  if ('rf' in tags) {
    const formats = tags.rf!.split(':').map((f) => trimFws(f).toLowerCase());
    if (!formats.every((f) => /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(f)) || !formats.some((f) => f === 'afrf' || f === 'iodef')) {
      syntax(`rf=${tags.rf} names no known failure-report format; RFC 7489 receivers may discard the record.`, 'rf', 'Remove rf= (RFC 9989 dropped it) or set it to afrf.');
    } else obsolete('rf');
  }
  const fo = 'fo' in tags ? tags.fo!.split(':').map((f) => trimFws(f).toLowerCase()) : ['0'];
  if ('fo' in tags && !fo.every((f) => ['0', '1', 'd', 's'].includes(f))) {
    syntax(`fo=${tags.fo} is not a colon-separated list of 0, 1, d and s.`, 'fo', 'Use fo=1 (or 0, d, s, separated by colons).');
  }
  const rua = 'rua' in tags ? parseUriList('rua', tags.rua!, add) : [];
  const ruf = 'ruf' in tags ? parseUriList('ruf', tags.ruf!, add) : [];
  for (const tag of order) {
    if (!KNOWN.has(tag)) {
      add('warning', 'DMARC_UNKNOWN_TAG', `The tag ${tag} is not defined by DMARC and is ignored.`, tag, `Check the spelling of ${tag}= or remove it.`);
    }
  }
  if (versionOk && 'p' in tags && order[1] !== 'p') {
    add('warning', 'DMARC_TAG_ORDER', 'p is not the tag right after v; RFC 7489 parsers reject such a record.', 'p', 'Put p= directly after v=DMARC1.');
  }
  const reportable = rua.some((u) => u.scheme === 'mailto');
  if (!('p' in tags)) {
    if (reportable || kw('psd') === 'y') {
      add('warning', 'DMARC_P_MISSING', 'The record has no p tag; receivers act as if p=none, and older ones may ignore it.', 'p', 'Add p=none, p=quarantine or p=reject right after v=DMARC1.');
    } else {
      add('error', 'DMARC_P_MISSING', 'The record has no p tag and no valid rua, so receivers apply no DMARC processing at all.', 'p', 'Add p=none, p=quarantine or p=reject right after v=DMARC1.');
    }
  }
  if (!reportable) {
    add('info', 'DMARC_NO_RUA', 'No rua address: nobody receives aggregate reports about mail using this domain.', 'rua', 'Add rua=mailto:<address> to learn who sends mail as this domain.');
  }
  if (kw('t') === 'y') {
    add('info', 'DMARC_TESTING', 't=y: receivers are asked to apply the policy one level less strictly (testing mode).', 't', 'Remove t=y once you are confident in the policy.');
  }

  let policy: DmarcPolicy | null = null;
  const p = pOk ? (kw('p') as DmarcPolicyValue) : !('p' in tags) && reportable ? 'none' : null;
  if (versionOk && p) {
    const sp = spOk ? (kw('sp') as DmarcPolicyValue) : p;
    policy = {
      p, sp, np: npOk ? (kw('np') as DmarcPolicyValue) : sp,
      adkim: kw('adkim') === 's' ? 's' : 'r', aspf: kw('aspf') === 's' ? 's' : 'r',
      pct: 'pct' in tags && /^\d{1,3}$/.test(tags.pct!) ? Number(tags.pct) : null,
      fo, rua, ruf,
      psd: kw('psd') === 'y' || kw('psd') === 'n' ? (kw('psd') as 'y' | 'n') : 'u',
      t: kw('t') === 'y' ? 'y' : 'n',
    };
  }
  return { valid: !findings.some((f) => f.severity === 'error'), tags, policy, findings };
}

export interface ReportAuthorization {
  destination: string;
  authorized: boolean | null;
  /** The name whose TXT authorised it (specific or wildcard); null when no lookup was needed or none matched. */
  name: string | null;
  lookups: number;
  /** rua/ruf published in the authorisation record, which replace the policy's (RFC 9989 B.2.4). */
  override: { rua: string | null; ruf: string | null } | null;
}

const isAuthRecord = (v: string): boolean => /^v[ \t]*=[ \t]*DMARC1[ \t]*(;|$)/i.test(v);

/** RFC 7489 §7.1 / RFC 9989: may `policyDomain` send reports to `destination`? */
export async function checkReportAuthorization(policyDomain: string, destination: string, lookup: Lookup): Promise<ReportAuthorization> {
  const result: ReportAuthorization = { destination, authorized: true, name: null, lookups: 0, override: null };
  if (organisationalDomain(policyDomain) === organisationalDomain(destination)) return result;
  // Real DNS would synthesise the wildcard for the specific name; ask the literal `*` name too, so
  // authoritative-only and in-memory lookups see it.
  for (const name of [`${policyDomain}._report._dmarc.${destination}`, `*._report._dmarc.${destination}`]) {
    const answer = await lookup(name, 'TXT');
    result.lookups++;
    if (isFailure(answer)) return { ...result, authorized: null, name };
    const record = txtValues(answer).find(isAuthRecord);
    if (record !== undefined) {
      const tags = parseDmarc(record).tags;
      const override = tags.rua !== undefined || tags.ruf !== undefined ? { rua: tags.rua ?? null, ruf: tags.ruf ?? null } : null;
      return { ...result, authorized: true, name, override };
    }
  }
  return { ...result, authorized: false };
}

export interface DmarcDetail {
  /** The domain whose `_dmarc` holds the record that applies; null when none applies. */
  recordAt: string | null;
  inherited: boolean;
  /** The policy that applies to mail from the audited domain, and the tag it comes from. */
  policy: DmarcPolicyValue | null;
  policyTag: 'p' | 'sp' | 'np' | null;
  organisationalDomain: string;
  /** Effective values of the record that applies (defaults filled in). */
  tags: DmarcPolicy | null;
  reportAuthorization: ReportAuthorization[];
}

/** Names to walk above `domain` up to its organisational domain: RFC 9989's walk (at most 8 queries in all), stopped at the PSL boundary. */
function walkNames(domain: string, org: string): string[] {
  if (domain === org || isIP(domain) || !domain.endsWith('.' + org)) return [];
  const labels = domain.split('.');
  const orgLabels = org.split('.').length;
  const out: string[] = [];
  for (let k = Math.min(labels.length - 1, 7); k >= orgLabels; k--) out.push(labels.slice(-k).join('.'));
  return out;
}

const hintMissing = 'Publish a TXT record at _dmarc.<domain> such as "v=DMARC1; p=none; rua=mailto:dmarc@<domain>".';

/**
 * DMARC_WRONG_NAME for a record at the domain itself. Its fix is to move it to `_dmarc` — unless the
 * organisational domain's policy already covers the domain more strictly, when moving it would
 * weaken what is in force, so the fix is to delete it.
 */
function wrongName(domain: string, atApex: string[], found: { at: string; values: string[] } | null): Finding {
  const name = `_dmarc.${domain}`;
  const coveringParsed = found?.values.length === 1 ? parseDmarc(found.values[0]!) : null;
  const covering = coveringParsed?.policy ?? null;
  // Name the tag that supplies the subdomain policy: sp when set, else p.
  const tag = coveringParsed && 'sp' in coveringParsed.tags ? 'sp' : 'p';
  const apex = parseDmarc(looksLikeDmarc(atApex[0]!) ? atApex[0]! : dmarcVersionFirst(atApex[0]!)).policy;
  const covers = covering ? ` The policy at _dmarc.${found!.at} covers ${domain} meanwhile (${tag}=${covering.sp}).` : '';
  const weaker = covering && apex && STRENGTH[apex.p] < STRENGTH[covering.sp];
  return {
    severity: 'error', code: 'DMARC_WRONG_NAME', name: domain, term: 'v',
    message: `A DMARC record is published at ${domain} itself, where receivers never look.${covers}`,
    hint: weaker
      ? `Delete it from ${domain}: moving it to ${name} would replace ${tag}=${covering.sp} from _dmarc.${found!.at} with p=${apex.p}.`
      : `Move it to ${name} and delete it from ${domain}.`,
  };
}

/** Audit the DMARC policy that applies to `domain`. Never throws; DNS failures become `status: none`. */
export async function auditDmarc(domain: string, lookup: Lookup): Promise<CheckResult> {
  const name = `_dmarc.${domain}`;
  const org = isIP(domain) ? domain : organisationalDomain(domain);
  const findings: Finding[] = [];
  const detail: DmarcDetail = { recordAt: null, inherited: false, policy: null, policyTag: null, organisationalDomain: org, tags: null, reportAuthorization: [] };
  const done = (record: string | string[] | null, status?: CheckResult['status']): CheckResult =>
    ({ check: 'dmarc', status: status ?? statusFromFindings(findings), name, record, findings, detail });
  const unchecked = (at: string, a: DnsAnswer): CheckResult => {
    findings.push({ severity: 'warning', code: 'DMARC_UNCHECKED', message: `The TXT lookup for ${at} failed (${a.outcome}), so DMARC could not be checked.`, name: at, term: null, hint: 'Retry later or with another --resolver; this says nothing about whether the record exists.' });
    return done(null, 'none');
  };

  const [txt, cname] = await Promise.all([lookup(name, 'TXT'), lookup(name, 'CNAME')]);
  if (isFailure(txt)) return unchecked(name, txt);
  const values = txtValues(txt);
  if (cname.outcome === 'answer' && txt.cnames.length === 0 && txt.records.some((r) => r.name === name)) {
    findings.push({ severity: 'error', code: 'DMARC_CNAME_CONFLICT', message: `${name} holds both a CNAME and TXT records; which one a receiver sees depends on its resolver.`, name, term: null, hint: 'Keep either the CNAME (to a hosted DMARC record) or the TXT record, not both.' });
  }
  // Receivers read only values starting with v=DMARC1; a value quoted or misordered is still the
  // owner's policy, to be repaired as it stands.
  const quoted = values.filter((v) => { const q = unquoted(v); return q !== null && meantAsDmarc(q); });
  const disguised = values.filter((v) => !looksLikeDmarc(v) && !quoted.includes(v) && meantAsDmarc(v));
  for (const v of quoted) {
    findings.push({ severity: 'error', code: 'RECORD_QUOTED', message: `The DMARC record at ${name} contains literal quote characters, so receivers do not read it as DMARC.`, name, term: null, hint: `Remove the surrounding quotes, so the value is ${dmarcVersionFirst(unquoted(v)!)}.` });
  }
  for (const v of values.filter((v) => !looksLikeDmarc(v) && !quoted.includes(v) && !disguised.includes(v))) {
    const spf = /^\s*v=spf1/i.test(v);
    findings.push({
      severity: 'warning', code: spf ? 'DMARC_SPF_AT_DMARC' : 'DMARC_UNRELATED_TXT', name, term: null,
      message: spf ? `An SPF record is published at ${name}, where receivers only look for DMARC.` : `${name} holds a TXT record that is not DMARC: "${v.slice(0, 60)}".`,
      hint: spf ? `Move the SPF record to ${domain} if it was meant for it, and remove it here.` : 'Remove TXT records other than the DMARC policy from the _dmarc name.',
    });
  }
  const proper = values.filter(looksLikeDmarc);
  // With a proper record beside it, receivers use that one; the misordered one only earns its own finding.
  const own = proper.length > 0 ? proper : disguised;
  if (proper.length > 0) {
    for (const v of disguised) {
      findings.push({ severity: 'warning', code: 'DMARC_SYNTAX', message: `${name} also holds "${v.slice(0, 60)}", which does not start with v=DMARC1; receivers ignore it.`, name, term: 'v', hint: 'Delete it, or merge what it says into the v=DMARC1 record.' });
    }
  }
  if (own.length > 1) {
    // RFC 7489 §6.6.3: a set of several records is discarded, and there is no fallback to a parent.
    findings.push({ severity: 'error', code: 'DMARC_MULTIPLE_RECORDS', message: `${name} has ${own.length} DMARC records, so receivers ignore all of them.`, name, term: 'v', hint: 'Merge them into one v=DMARC1 record and delete the others.' });
    return done(own);
  }

  let record: string;
  let recordAt: string;
  let exists = true;
  if (own.length === 1) {
    record = own[0]!;
    recordAt = domain;
  } else {
    // Only now look at the apex (DMARC_WRONG_NAME; also tells whether the domain exists, for `np`)
    // and walk up towards the organisational domain. The walk is asked concurrently: one round trip.
    const walk = walkNames(domain, org);
    const [apex, ...ancestors] = await Promise.all([lookup(domain, 'TXT'), ...walk.map((d) => lookup(`_dmarc.${d}`, 'TXT'))]);
    exists = apex!.outcome !== 'nxdomain';
    const atApex = isFailure(apex!) ? [] : txtValues(apex!).filter((v) => looksLikeDmarc(v) || /^dmarc1$/i.test(parseTagList(v, { foldCase: true }).tags.v ?? ''));
    let found: { at: string; values: string[] } | null = null;
    for (const [i, answer] of ancestors.entries()) {
      const at = walk[i]!;
      if (isFailure(answer)) {
        if (atApex.length > 0) findings.push(wrongName(domain, atApex, null));
        return unchecked(`_dmarc.${at}`, answer);
      }
      const vs = txtValues(answer).filter(looksLikeDmarc);
      if (vs.length > 0) { found = { at, values: vs }; break; }
    }
    if (atApex.length > 0) findings.push(wrongName(domain, atApex, found));
    if (!found) {
      // Nothing receivers read applies: no policy is in force, whatever sits at the apex or in quotes.
      // The fix offered is the owner's own record, moved or unquoted, when there is one.
      const fix = quoted.length > 0 ? `Remove the quotes around the value at ${name}: ${dmarcVersionFirst(unquoted(quoted[0]!)!)}.`
        : atApex.length > 0 ? `Publish your record at ${name} instead of ${domain}: "${dmarcVersionFirst(atApex[0]!)}".`
          : hintMissing.replaceAll('<domain>', domain);
      const seen = quoted.length > 0 ? ` (the value there is quoted, so receivers do not read it)` : atApex.length > 0 ? ` (the record at ${domain} itself is never read)` : '';
      findings.push({ severity: 'error', code: 'DMARC_MISSING', message: `No DMARC policy is in force for ${domain}: no record at ${name}${walk.length ? ` nor at its organisational domain's _dmarc.${org}` : ''}${seen}.`, name, term: null, hint: fix });
      return done(atApex.length === 1 ? atApex[0]! : atApex.length ? atApex : null);
    }
    if (found.values.length > 1) {
      findings.push({ severity: 'error', code: 'DMARC_MULTIPLE_RECORDS', message: `_dmarc.${found.at} has ${found.values.length} DMARC records, so receivers ignore all of them.`, name: `_dmarc.${found.at}`, term: 'v', hint: 'Merge them into one v=DMARC1 record and delete the others.' });
      return done(found.values);
    }
    record = found.values[0]!;
    recordAt = found.at;
    detail.inherited = true;
  }

  const recordName = `_dmarc.${recordAt}`;
  const parsed = parseDmarc(record, recordName);
  findings.push(...parsed.findings);
  detail.recordAt = recordAt;
  detail.tags = parsed.policy;
  const pol = parsed.policy;
  if (pol) {
    // Own record: p. Inherited: sp for an existing subdomain, np (RFC 9989) for one that does not
    // exist; each defaults to the next, so name the tag that really supplies the value.
    const set = (t: string): boolean => POLICIES.includes((parsed.tags[t] ?? '').toLowerCase());
    const tag = !detail.inherited ? 'p' : !exists && set('np') ? 'np' : set('sp') ? 'sp' : 'p';
    detail.policy = !detail.inherited ? pol.p : exists ? pol.sp : pol.np;
    detail.policyTag = tag;
    if (detail.inherited) {
      findings.push({ severity: 'info', code: 'DMARC_INHERITED', message: `${domain} has no DMARC record of its own; the policy at ${recordName} covers it: ${tag}=${detail.policy}.`, name, term: tag, hint: `Publish ${name} only if ${domain} needs a policy different from ${recordAt}.` });
    }
    if (detail.policy === 'none') {
      findings.push({ severity: 'info', code: 'DMARC_POLICY_NONE', message: `The policy for ${domain} is none: failing mail is reported but still delivered.`, name: recordName, term: tag, hint: 'Once reports show all legitimate mail passing, move to quarantine and then reject.' });
    }
    await auditReportDestinations(recordAt, pol, lookup, findings, detail);
  }
  return done(record);
}

/** Report destination domains looked up per audit. */
export const REPORT_MAX_CHECKED = 10;

/** External report authorisation and "can the destination receive mail at all" for the mailto: URIs (the first ten domains). */
async function auditReportDestinations(policyDomain: string, pol: DmarcPolicy, lookup: Lookup, findings: Finding[], detail: DmarcDetail): Promise<void> {
  const uses = new Map<string, 'rua' | 'ruf'>();
  for (const [tag, list] of [['rua', pol.rua], ['ruf', pol.ruf]] as const) {
    for (const u of list) if (u.domain && !uses.has(u.domain)) uses.set(u.domain, tag);
  }
  // Bounded work (DESIGN.md): only the first REPORT_MAX_CHECKED destinations are looked up; receivers
  // need only send to two (RFC 7489 §6.2), and a list of thousands must not cost thousands of questions.
  const all = [...uses.keys()];
  const dests = all.slice(0, REPORT_MAX_CHECKED);
  if (all.length > dests.length) {
    const rest = all.length - dests.length;
    findings.push({ severity: 'warning', code: 'DMARC_RUA_NOT_FOLLOWED', message: `The record names ${all.length} rua/ruf destination domains; the first ${dests.length} were checked, the other ${rest} were not looked up (their authorisation is unknown).`, name: `_dmarc.${policyDomain}`, term: uses.get(all[dests.length]!)!, hint: 'List one or two report addresses: receivers need only send to two (RFC 7489 §6.2).' });
  }
  const [auths, mxs] = await Promise.all([
    Promise.all(dests.map((d) => checkReportAuthorization(policyDomain, d, lookup))),
    Promise.all(dests.map((d) => lookup(d, 'MX'))),
  ]);
  dests.forEach((dest, i) => {
    const tag = uses.get(dest)!;
    const auth = auths[i]!;
    const mx = mxs[i]!;
    detail.reportAuthorization.push(auth);
    const authName = `${policyDomain}._report._dmarc.${dest}`;
    if (auth.authorized === false) {
      findings.push({ severity: 'error', code: 'DMARC_RUA_NOT_AUTHORIZED', message: `${tag} sends reports to ${dest}, which has not authorised reports for ${policyDomain}; receivers will not send them.`, name: authName, term: tag, hint: `Ask the operator of ${dest} to publish TXT "v=DMARC1;" at ${authName}.` });
    } else if (auth.authorized === null) {
      findings.push({ severity: 'warning', code: 'DMARC_UNCHECKED', message: `Could not look up ${auth.name}, so the report authorisation for ${dest} is unknown.`, name: auth.name ?? authName, term: tag, hint: 'Retry later or with another --resolver.' });
    }
    const nullMx = mx.records.length === 1 && mx.records.every((r) => r.type === 'MX' && (r.data.exchange === '' || r.data.exchange === '.'));
    if (!isFailure(mx) && (mx.outcome !== 'answer' || nullMx)) {
      findings.push({ severity: 'warning', code: 'DMARC_RUA_NO_MX', message: `The report destination ${dest} has no MX record, so reports sent there may bounce.`, name: dest, term: tag, hint: `Use a ${tag} address at a domain that receives mail.` });
    }
  });
}
