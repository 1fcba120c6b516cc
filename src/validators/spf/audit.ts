/**
 * Static SPF audit: fetch the record at a domain, walk its whole include/redirect tree and count DNS
 * work exactly as RFC 7208 §4.6.4 defines it, without a client address. Users compare our counts with
 * other checkers, so the rules are the RFC's (anchors §2: peers over-count MX address lookups and
 * void lookups): include, a, mx, ptr, exists and redirect cost one each wherever they sit in the tree;
 * the A/AAAA lookups of MX exchanges do not, but more than 10 exchanges is a permerror; a term whose
 * lookup finds nothing (NXDOMAIN or NODATA) is one void lookup, however many record types were asked.
 *
 * Two phases: `build` asks DNS (concurrently, each question once) and records what it found; the
 * pure `judge` then replays check_host() order for a client no mechanism matches, which is the path
 * that evaluates the most terms, to give the verdict.
 *
 * The work is bounded by what the RFC counts, not by what a record lists (DESIGN.md "bounded work"):
 * receivers stop at the 11th DNS-querying term, so the audit resolves only the first 10 in
 * evaluation order and counts the rest without following them. `build` first fetches the include /
 * redirect records that can lie within the limit — a term's index in its record plus its parent's
 * position is a lower bound of its position, known before any child is fetched, so the choice is the
 * same on every run — then `resolveWithinLimit` numbers the terms in evaluation order and resolves
 * the `a`, `mx` and `exists` terms numbered 1 to 10. A record with 2,000 terms costs what one at the
 * limit does.
 */
import type { DnsAnswer, Lookup, RRType } from '../../dns/types.js';
import { isFailure, txtValues } from '../../dns/types.js';
import type { CheckResult, Finding, Severity } from '../../model/finding.js';
import { statusFromFindings } from '../../model/finding.js';
import { parseSpf, selectSpfRecord, type Directive, type DomainSpec, type MechanismName, type SpfLint } from './parse.js';
import { SPF_MAX_LOOKUPS, SPF_MAX_MX_NAMES, SPF_MAX_VOID_LOOKUPS, domainProblem, nameProblem, normSpfName as norm } from './names.js';

export { SPF_MAX_LOOKUPS, SPF_MAX_MX_NAMES, SPF_MAX_VOID_LOOKUPS } from './names.js';
/** Records expanded per audit; a DAG of includes can otherwise grow exponentially. */
const MAX_EXPANSIONS = 40;

export type SpfVerdict = 'ok' | 'permerror' | 'temperror' | 'none';
export type DnsTermKind = Exclude<MechanismName, 'all' | 'ip4' | 'ip6'> | 'redirect';

export interface SpfTermNode {
  term: string;
  kind: DnsTermKind;
  /** Name this term queries; null when it cannot be known without a client (macros). */
  target: string | null;
  /**
   * ok; void (found nothing); failed (DNS could not answer); macro/ptr (depends on the client, not
   * resolved); invalid-target (not a usable DNS name); loop; no-record / error (the include or redirect
   * target has no valid SPF record); too-many-mx; truncated (tree too large to expand); not-followed
   * (beyond the 10th DNS-querying term in evaluation order: counted, never resolved); pending (only
   * between the two build phases).
   */
  state: 'ok' | 'void' | 'failed' | 'macro' | 'ptr' | 'invalid-target' | 'loop' | 'no-record' | 'error' | 'too-many-mx' | 'truncated' | 'not-followed' | 'pending';
  /** Terms counted toward the limit of 10: this one plus, for include/redirect, everything below. */
  lookups: number;
  /** Void lookups of this term plus, for include/redirect, everything below. */
  voidLookups: number;
  /** mx: the exchanges and whether each has an address (an address-less exchange is a void lookup). */
  exchanges?: Array<{ name: string; void: boolean }>;
  /** What went wrong, for failed lookups. */
  failure?: string;
  child?: SpfNode;
}

export interface SpfNode {
  domain: string;
  via: 'root' | 'include' | 'redirect';
  /** The SPF record(s) at `domain`, verbatim. */
  record: string | string[] | null;
  state: 'ok' | 'syntax' | 'missing' | 'multiple' | 'failed';
  /** The TXT query itself found nothing (NXDOMAIN/NODATA). */
  void: boolean;
  /** DNS-querying terms in evaluation order (up to the first `all`; redirect last, when it applies). */
  terms: SpfTermNode[];
  lookups: number;
  voidLookups: number;
  errors: Array<{ term: string | null; message: string }>;
  warnings: SpfLint[];
  failure?: string;
}

export interface SpfAudit extends CheckResult {
  check: 'spf';
  /** `notFollowed`: DNS-querying terms beyond the limit, counted in `lookups` but not resolved. */
  detail: { tree: SpfNode; lookups: number; voidLookups: number; verdict: SpfVerdict; notFollowed: number };
}

/** Every code this check emits: severity and a one-sentence fix. Codes are the contract (DESIGN.md). */
const CODES: Record<string, [Severity, string]> = {
  SPF_MISSING: ['error', 'Publish one TXT record such as "v=spf1 include:<your provider> -all" at this name.'],
  SPF_MULTIPLE_RECORDS: ['error', 'Merge the v=spf1 records into one: receivers return permerror when a name has two.'],
  SPF_SYNTAX: ['error', 'Correct or remove the term; one bad term makes receivers ignore the whole record (permerror).'],
  SPF_INCLUDE_MISSING: ['error', "Add the provider's include: term to the record, before the final all."],
  SPF_TOO_MANY_LOOKUPS: ['error', 'Remove unused include/a/mx/ptr/exists terms or replace hosts with ip4:/ip6: ranges to get to 10 or fewer.'],
  SPF_TOO_MANY_VOID_LOOKUPS: ['error', 'Remove the terms that point at names with no records.'],
  SPF_PLUS_ALL: ['error', 'End the record with "-all" or "~all" instead.'],
  SPF_INCLUDE_LOOP: ['error', 'Remove the include that points back to a record already being evaluated.'],
  SPF_REDIRECT_LOOP: ['error', 'Point redirect= at a different domain that has its own SPF record.'],
  SPF_INCLUDE_NO_RECORD: ['error', 'Fix the include: name (typo?) or remove it; an include without an SPF record is a permerror.'],
  SPF_REDIRECT_NO_RECORD: ['error', 'Fix the redirect= name or publish an SPF record there; otherwise receivers return permerror.'],
  SPF_TOO_MANY_MX: ['error', 'Use a: or ip4:/ip6: terms instead of mx for a domain with more than 10 MX hosts.'],
  SPF_TARGET_INVALID: ['error', 'Correct the domain in this term; as written it can never be looked up.'],
  RECORD_QUOTED: ['error', 'Remove the surrounding quote characters from the TXT value; your DNS host adds its own.'],
  SPF_DOMAIN_INVALID: ['error', 'Check a fully qualified domain name such as example.com.'],
  SPF_PTR: ['warning', 'Replace ptr with ip4:/ip6: ranges or a: terms for your sending hosts.'],
  SPF_NO_ALL: ['warning', 'End the record with "-all" (or "~all" while testing).'],
  SPF_NEUTRAL_ALL: ['warning', 'Use "~all" or "-all" so receivers can act on unlisted senders.'],
  SPF_TERMS_AFTER_ALL: ['warning', 'Move the term before "all" or delete it.'],
  SPF_REDIRECT_IGNORED: ['warning', 'Remove either the "all" mechanism or the redirect= modifier.'],
  SPF_DUPLICATE_TERM: ['warning', 'Delete the repeated term; it only costs lookups.'],
  SPF_MACRO_P: ['warning', 'Avoid %{p}; use exists: with %{i} or list the addresses instead.'],
  SPF_TOO_LONG: ['warning', 'Shorten the record, for example by moving ranges into an include on a subdomain.'],
  SPF_VOID_LOOKUP: ['warning', 'Remove the term or publish the missing record; more than two of these make receivers return permerror.'],
  SPF_LOOKUP_FAILED: ['warning', 'Check that the authoritative DNS servers answer for this name, then run the check again.'],
  SPF_MACRO_UNRESOLVED: ['info', 'Nothing to fix: macro terms are counted, but they depend on each message so they were not followed.'],
  SPF_TREE_TRUNCATED: ['info', 'Flatten the include tree; it is too large to audit fully.'],
  SPF_NOT_FOLLOWED: ['info', 'Nothing more to check there: receivers stop at the 10th DNS-querying term too. Bring the record within the limit first.'],
  SPF_SENDER_ID: ['info', 'Delete the obsolete Sender ID (spf2.0) record; receivers ignore it.'],
};

function finding(code: string, name: string, term: string | null, message: string): Finding {
  const [severity, hint] = CODES[code] ?? ['warning', null];
  return { severity, code, message, name, term, hint };
}

interface Ctx { ask: (name: string, type: RRType) => Promise<DnsAnswer>; expansions: number }

function failureText(a: DnsAnswer): string {
  return `${a.type} ${a.name}: ${a.outcome}${a.error && a.error !== a.outcome ? ` (${a.error})` : ''}`;
}

const isVoid = (a: DnsAnswer): boolean => a.outcome === 'nxdomain' || a.outcome === 'nodata';

/**
 * Phase 1 for the record at `domain`: fetch and parse it, and fetch the records of its include /
 * redirect terms that can lie within the limit. `before` is the number of DNS-querying terms that
 * precede this record's first term in evaluation order, at least (the include or redirect term that
 * leads here included). `a`/`mx`/`exists` terms are left `pending` for phase 2.
 */
async function buildNode(domain: string, via: SpfNode['via'], path: readonly string[], ctx: Ctx, override?: string, before = 0): Promise<SpfNode> {
  const node: SpfNode = { domain, via, record: null, state: 'missing', void: false, terms: [], lookups: 0, voidLookups: 0, errors: [], warnings: [] };
  let record = override;
  if (record === undefined) {
    const answer = await ctx.ask(domain, 'TXT');
    if (isFailure(answer)) return { ...node, state: 'failed', failure: failureText(answer) };
    node.void = isVoid(answer);
    const sel = selectSpfRecord(txtValues(answer));
    if (sel.kind === 'none') return node;
    if (sel.kind === 'multiple') return { ...node, state: 'multiple', record: sel.records };
    record = sel.record;
  }
  const parsed = parseSpf(record);
  Object.assign(node, { record, state: parsed.errors.length > 0 ? 'syntax' : 'ok', errors: parsed.errors, warnings: parsed.warnings });
  // Only terms up to the first `all` are ever evaluated; redirect applies only without an `all`.
  const firstAll = parsed.mechanisms.findIndex((m) => m.mechanism === 'all');
  const reachable = firstAll === -1 ? parsed.mechanisms : parsed.mechanisms.slice(0, firstAll);
  const dnsTerms: Array<{ raw: string; kind: DnsTermKind; spec: DomainSpec | null }> = reachable
    .filter((m): m is Directive & { mechanism: DnsTermKind } => !['all', 'ip4', 'ip6'].includes(m.mechanism))
    .map((m) => ({ raw: m.raw, kind: m.mechanism, spec: m.domainSpec }));
  if (parsed.redirect && firstAll === -1) dnsTerms.push({ raw: parsed.redirect.raw, kind: 'redirect', spec: parsed.redirect.domainSpec });
  const here = [...path, domain];
  node.terms = await Promise.all(dnsTerms.map((t, i) => buildTerm(t.raw, t.kind, t.spec, domain, here, ctx, before + i + 1)));
  return node;
}

/** Phase 1 for one term; `position` is a lower bound of its place in evaluation order (1-based). */
async function buildTerm(raw: string, kind: DnsTermKind, spec: DomainSpec | null, domain: string, path: readonly string[], ctx: Ctx, position: number): Promise<SpfTermNode> {
  const t: SpfTermNode = { term: raw, kind, target: null, state: 'ok', lookups: 1, voidLookups: 0 };
  if (spec?.hasMacros) return { ...t, state: 'macro' };
  const target = spec ? norm(spec.raw) : domain;
  t.target = target;
  const bad = nameProblem(target);
  if (bad) return { ...t, state: 'invalid-target', failure: `"${target}" cannot be looked up: ${bad}` };
  // ptr compares the client's reverse names with the target: nothing to ask without a client.
  if (kind === 'ptr') return { ...t, state: 'ptr' };
  if (position > SPF_MAX_LOOKUPS) return { ...t, state: 'not-followed' };
  if (kind === 'include' || kind === 'redirect') {
    if (path.includes(target)) return { ...t, state: 'loop' };
    if (++ctx.expansions > MAX_EXPANSIONS) return { ...t, state: 'truncated' };
    const child = await buildNode(target, kind, path, ctx, undefined, position);
    const state = child.state === 'ok' ? 'ok' : child.state === 'missing' ? 'no-record' : child.state === 'failed' ? 'failed' : 'error';
    return { ...t, state, child, ...(child.failure ? { failure: child.failure } : {}) };
  }
  return { ...t, state: 'pending' };
}

/**
 * Phase 2: number the terms in check_host() order (an include's record right after the include) and
 * resolve the pending ones numbered within the limit, concurrently; the rest become `not-followed`.
 * Then add up lookups and void lookups bottom-up.
 */
async function resolveWithinLimit(tree: SpfNode, ctx: Ctx): Promise<void> {
  let position = 0;
  const jobs: Array<Promise<void>> = [];
  const number = (node: SpfNode): void => {
    for (const t of node.terms) {
      position++;
      if (t.state === 'pending') {
        if (position <= SPF_MAX_LOOKUPS) jobs.push(resolveTerm(t, ctx).then((r) => { Object.assign(t, r); }));
        else t.state = 'not-followed';
      }
      if (t.child) number(t.child);
    }
  };
  number(tree);
  await Promise.all(jobs);
  tally(tree);
}

function tally(node: SpfNode): void {
  for (const t of node.terms) {
    if (!t.child) continue;
    tally(t.child);
    t.lookups = 1 + t.child.lookups;
    t.voidLookups = (t.child.void ? 1 : 0) + t.child.voidLookups;
  }
  node.lookups = node.terms.reduce((n, t) => n + t.lookups, 0);
  node.voidLookups = node.terms.reduce((n, t) => n + t.voidLookups, 0);
}

/** Resolve one `a`, `mx` or `exists` term (its target is a usable name). */
async function resolveTerm(pending: SpfTermNode, ctx: Ctx): Promise<SpfTermNode> {
  const t: SpfTermNode = { ...pending, state: 'ok' };
  const target = t.target!;
  const kind = t.kind;
  if (kind === 'exists') {
    const a = await ctx.ask(target, 'A');
    if (isFailure(a)) return { ...t, state: 'failed', failure: failureText(a) };
    return isVoid(a) ? { ...t, state: 'void', voidLookups: 1 } : t;
  }
  if (kind === 'a') {
    const r = await addresses(target, ctx);
    if (r.failure) return { ...t, state: 'failed', failure: r.failure };
    return r.void ? { ...t, state: 'void', voidLookups: 1 } : t;
  }
  const mx = await ctx.ask(target, 'MX');
  if (isFailure(mx)) return { ...t, state: 'failed', failure: failureText(mx) };
  if (isVoid(mx)) return { ...t, state: 'void', voidLookups: 1 };
  // A null MX (RFC 7505, exchange ".") names no host: nothing to look up.
  const names = [...new Set(mx.records.flatMap((r) => (r.type === 'MX' && norm(r.data.exchange) !== '' ? [norm(r.data.exchange)] : [])))];
  const listed = mx.records.length;
  if (listed > SPF_MAX_MX_NAMES) return { ...t, state: 'too-many-mx' };
  const found = await Promise.all(names.map((name) => addresses(name, ctx)));
  const failed = found.find((f) => f.failure);
  if (failed) return { ...t, state: 'failed', failure: failed.failure! };
  // Receivers (pyspf, mailauth) count an exchange with no address as a void lookup of the mx term.
  const exchanges = names.map((name, i) => ({ name, void: found[i]!.void }));
  return { ...t, exchanges, voidLookups: exchanges.filter((e) => e.void).length };
}

/** A and AAAA together: void only when neither exists, so one void counts once whatever the client's family. */
async function addresses(name: string, ctx: Ctx): Promise<{ void: boolean; failure?: string }> {
  const [a, aaaa] = await Promise.all([ctx.ask(name, 'A'), ctx.ask(name, 'AAAA')]);
  const bad = [a, aaaa].find(isFailure);
  if (bad) return { void: false, failure: failureText(bad) };
  return { void: isVoid(a) && isVoid(aaaa) };
}

/** check_host() order for a client nothing matches: the first limit crossed or error met decides. */
function judge(node: SpfNode, st: { lookups: number; voids: number }): SpfVerdict | null {
  if (node.state === 'failed') return 'temperror';
  if (node.state !== 'ok') return 'permerror';
  for (const t of node.terms) {
    if (++st.lookups > SPF_MAX_LOOKUPS) return 'permerror';
    if (t.state === 'failed' && !t.child) return 'temperror';
    if (['loop', 'too-many-mx'].includes(t.state)) return 'permerror';
    const own = t.voidLookups - (t.child?.voidLookups ?? 0);
    st.voids += own;
    if (st.voids > SPF_MAX_VOID_LOOKUPS) return 'permerror';
    if (t.child) {
      const r = judge(t.child, st);
      if (r) return r;
    }
  }
  return null;
}

/** Turn the tree into findings: every node and term says what it found, then the whole-tree limits. */
function report(tree: SpfNode, expectIncludes: readonly string[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  // An include reached along two paths is walked twice (its lookups count twice) but reported once.
  const add = (code: string, name: string, term: string | null, message: string): void => {
    const key = `${code}|${name}|${term ?? ''}`;
    if (!seen.has(key)) { seen.add(key); out.push(finding(code, name, term, message)); }
  };
  const visit = (node: SpfNode, chain: boolean, via: string | null): void => {
    const d = node.domain;
    const where = via ? ` (reached through ${via})` : '';
    if (node.state === 'missing' && !via) add('SPF_MISSING', d, null, `No SPF record (TXT "v=spf1 ...") is published at ${d}.`);
    if (node.state === 'failed' && !via) add('SPF_LOOKUP_FAILED', d, null, `Could not fetch the TXT records of ${d} (${node.failure}), so SPF could not be checked.`);
    if (node.state === 'multiple') {
      add('SPF_MULTIPLE_RECORDS', d, null, `${d} publishes ${node.record?.length ?? 0} SPF records${where}; receivers return permerror.`);
    }
    for (const e of node.errors) add('SPF_SYNTAX', d, e.term, `SPF record at ${d}${where}: ${e.term ? `"${e.term}": ` : ''}${e.message}.`);
    for (const w of node.warnings) {
      // A neutral result from an included record just means "no match"; only the evaluated chain's all matters.
      if (!chain && (w.code === 'SPF_NO_ALL' || w.code === 'SPF_NEUTRAL_ALL')) continue;
      add(w.code, d, w.term, `SPF record at ${d}${where}: ${w.message}.`);
    }
    for (const t of node.terms) {
      const name = t.target ?? d;
      const msg: Record<string, [string, string] | undefined> = {
        void: ['SPF_VOID_LOOKUP', `"${t.term}" at ${d} finds no records at ${name} (a void lookup).`],
        failed: t.child ? undefined : ['SPF_LOOKUP_FAILED', `"${t.term}" at ${d} could not be resolved (${t.failure}).`],
        macro: ['SPF_MACRO_UNRESOLVED', `"${t.term}" at ${d} uses macros; it counts as one lookup but was not followed.`],
        'invalid-target': ['SPF_TARGET_INVALID', `"${t.term}" at ${d}: ${t.failure}.`],
        loop: [t.kind === 'redirect' ? 'SPF_REDIRECT_LOOP' : 'SPF_INCLUDE_LOOP', `"${t.term}" at ${d} leads back to ${name}, which is already being evaluated.`],
        'no-record': [t.kind === 'redirect' ? 'SPF_REDIRECT_NO_RECORD' : 'SPF_INCLUDE_NO_RECORD', `"${t.term}" at ${d} points at ${name}, which has no SPF record; receivers return permerror.`],
        'too-many-mx': ['SPF_TOO_MANY_MX', `"${t.term}" at ${d}: ${name} has more than ${SPF_MAX_MX_NAMES} MX records; receivers return permerror.`],
        truncated: ['SPF_TREE_TRUNCATED', `"${t.term}" at ${d} was not followed: the include tree has more than ${MAX_EXPANSIONS} records.`],
      };
      const m = msg[t.state];
      if (m) add(m[0], name, t.term, m[1]);
      if (t.state === 'failed' && t.child) add('SPF_LOOKUP_FAILED', name, t.term, `"${t.term}" at ${d} could not be resolved (${t.failure}).`);
      for (const e of t.exchanges ?? []) {
        if (e.void) add('SPF_VOID_LOOKUP', e.name, t.term, `MX host ${e.name} of "${t.term}" at ${d} has no A or AAAA record (a void lookup).`);
      }
      if (t.child) visit(t.child, chain && t.kind === 'redirect', t.term);
    }
  };
  visit(tree, true, null);
  const notFollowed = countNotFollowed(tree);
  // An include beyond the limit is counted as 1; what its record holds was not fetched, so "at least".
  const atLeast = notFollowed.includes > 0 ? 'at least ' : '';
  if (tree.lookups > SPF_MAX_LOOKUPS) {
    const shown = tree.terms.slice(0, 12).map((t) => `${t.term} ${t.lookups}`);
    const more = tree.terms.length > shown.length ? ` and ${tree.terms.length - shown.length} more terms` : '';
    add('SPF_TOO_MANY_LOOKUPS', tree.domain, null,
      `The SPF record needs ${atLeast}${tree.lookups} DNS-querying terms; the limit is ${SPF_MAX_LOOKUPS} (${shown.join(', ')}${more}). Receivers return permerror.`);
  }
  if (notFollowed.total > 0) {
    const first = notFollowed.terms.slice(0, 3).map((t) => `"${t}"`).join(', ');
    add('SPF_NOT_FOLLOWED', tree.domain, null,
      `${notFollowed.total} DNS-querying term${notFollowed.total === 1 ? '' : 's'} beyond the limit of ${SPF_MAX_LOOKUPS} ${notFollowed.total === 1 ? 'was' : 'were'} counted but not followed (from ${first}${notFollowed.total > 3 ? ', …' : ''}): receivers stop there with permerror, so nothing they hold was looked up.`);
  }
  if (tree.voidLookups > SPF_MAX_VOID_LOOKUPS) {
    const voids = out.filter((f) => f.code === 'SPF_VOID_LOOKUP').map((f) => `${f.term} → ${f.name}`);
    add('SPF_TOO_MANY_VOID_LOOKUPS', tree.domain, null,
      `The SPF record makes ${tree.voidLookups} void lookups; the limit is ${SPF_MAX_VOID_LOOKUPS} (${voids.join(', ')}). Receivers return permerror.`);
  }
  if (tree.state !== 'missing' && tree.state !== 'failed') {
    const reached = new Set<string>();
    walkTerms(tree, (t) => { if ((t.kind === 'include' || t.kind === 'redirect') && t.target) reached.add(t.target); return true; });
    for (const want of expectIncludes.map((e) => norm(e.replace(/^include:/i, '')))) {
      if (!reached.has(want)) add('SPF_INCLUDE_MISSING', tree.domain, `include:${want}`, `The SPF record at ${tree.domain} does not include ${want}, directly or through its includes.`);
    }
  }
  return out;
}

function countNotFollowed(tree: SpfNode): { total: number; includes: number; terms: string[] } {
  const out = { total: 0, includes: 0, terms: [] as string[] };
  walkTerms(tree, (t) => {
    if (t.state !== 'not-followed') return true;
    out.total++;
    if (t.kind === 'include' || t.kind === 'redirect') out.includes++;
    if (out.terms.length < 3) out.terms.push(t.term);
    return true;
  });
  return out;
}

/** Depth-first over the terms of the tree; `visit` returns false to skip a term's subtree. */
function walkTerms(node: SpfNode, visit: (t: SpfTermNode) => boolean): void {
  for (const t of node.terms) if (visit(t) && t.child) walkTerms(t.child, visit);
}

export type SpfProviderId =
  | 'ses' | 'sendgrid' | 'mailgun' | 'resend' | 'google' | 'microsoft' | 'postmark' | 'mailchimp' | 'brevo' | 'zoho';

/** include targets that identify a sending provider (the name or any name below it). */
const PROVIDER_INCLUDES: Array<[string, SpfProviderId]> = [
  ['amazonses.com', 'ses'], ['sendgrid.net', 'sendgrid'], ['mailgun.org', 'mailgun'], ['_spf.resend.com', 'resend'],
  ['_spf.google.com', 'google'], ['spf.protection.outlook.com', 'microsoft'], ['spf.mtasv.net', 'postmark'],
  ['servers.mcsv.net', 'mailchimp'], ['spf.brevo.com', 'brevo'], ['spf.sendinblue.com', 'brevo'],
  ['zoho.com', 'zoho'], ['zoho.eu', 'zoho'],
];

/**
 * Provider ids seen through include/redirect terms, in record order. A provider's own includes are
 * not searched further (Resend or a reseller may include SES internally; the user chose the reseller).
 * Resend's documented record is `include:amazonses.com` on `send.<domain>`, which reads as `ses`.
 */
export function guessProviders(tree: SpfNode): SpfProviderId[] {
  const found: SpfProviderId[] = [];
  walkTerms(tree, (t) => {
    if ((t.kind !== 'include' && t.kind !== 'redirect') || !t.target) return true;
    const target = t.target;
    const hit = PROVIDER_INCLUDES.find(([suffix]) => target === suffix || target.endsWith(`.${suffix}`));
    if (!hit) return true;
    if (!found.includes(hit[1])) found.push(hit[1]);
    return false;
  });
  return found;
}

/** Audit the SPF record at `domain`. Never throws: every problem is a finding. */
export async function auditSpf(domain: string, lookup: Lookup, opts: { expectIncludes?: string[] } = {}): Promise<SpfAudit> {
  const name = norm(domain.trim());
  const cache = new Map<string, Promise<DnsAnswer>>();
  const ctx: Ctx = {
    expansions: 0,
    ask(n, type) {
      const key = `${n}|${type}`;
      let p = cache.get(key);
      if (!p) {
        p = lookup(n, type).catch((e: unknown) => ({
          name: n, type, server: '', outcome: 'error' as const, aa: false, records: [], cnames: [], negativeTtl: null,
          error: e instanceof Error ? e.message : String(e),
        }));
        cache.set(key, p);
      }
      return p;
    },
  };
  const empty: SpfNode = { domain: name, via: 'root', record: null, state: 'missing', void: false, terms: [], lookups: 0, voidLookups: 0, errors: [], warnings: [] };
  const result = (tree: SpfNode, verdict: SpfVerdict, findings: Finding[], record: string | string[] | null, forceNone: boolean): SpfAudit => ({
    check: 'spf', name, record, findings,
    status: forceNone ? 'none' : statusFromFindings(findings),
    detail: { tree, lookups: tree.lookups, voidLookups: tree.voidLookups, verdict, notFollowed: countNotFollowed(tree).total },
  });
  const invalid = domainProblem(name);
  if (invalid) {
    const f = finding('SPF_DOMAIN_INVALID', name, null, `"${domain}" cannot have an SPF record: ${invalid}.`);
    return result(empty, 'none', [f], null, true);
  }
  let tree = await buildNode(name, 'root', [], ctx);
  await resolveWithinLimit(tree, ctx);
  const extra: Finding[] = [];
  let quoted: string | null = null;
  if (tree.state !== 'failed') {
    const values = txtValues(await ctx.ask(name, 'TXT')); // answered from the cache
    if (values.some((v) => /^spf2\.0\//i.test(v))) {
      extra.push(finding('SPF_SENDER_ID', name, null, 'An obsolete Sender ID (spf2.0) record is published here; receivers ignore it.'));
    }
    // A value pasted with its quotes ("v=spf1 ...") is invisible to receivers: show what it would do.
    quoted = tree.state === 'missing' ? values.find((v) => /^\s*(?:\\?")+v=spf1(?: |\\?"|$)/i.test(v)) ?? null : null;
    if (quoted !== null) {
      const inner = quoted.trim().replace(/^(?:\\?")+/, '').replace(/(?:\\?")+$/, '');
      tree = { ...(await buildNode(name, 'root', [], ctx, inner)), record: quoted };
      await resolveWithinLimit(tree, ctx);
      extra.push(finding('RECORD_QUOTED', name, null, 'The SPF value is wrapped in literal quote characters, so receivers do not see an SPF record at all.'));
    }
  }
  const findings = [...extra, ...report(tree, opts.expectIncludes ?? [])];
  if (tree.state === 'failed') return result(tree, 'temperror', findings, null, true);
  if (quoted !== null) return result(tree, 'none', findings, quoted, false);
  if (tree.state === 'missing') return result(tree, 'none', findings, null, true);
  const verdict = judge(tree, { lookups: 0, voids: 0 }) ?? 'ok';
  return result(tree, verdict, findings, tree.record, false);
}
