/**
 * RFC 7208 check_host(): the SPF result for one client address, with a trace of every step. It
 * shares the parser, the name rules and the limits with the static audit (`audit.ts`); the
 * difference is that the audit walks every term for every client at once, while this evaluates
 * the terms in order for one client and stops at the first match, so the 10-lookup and 2-void
 * limits are counted along the path this client takes (§4.6.4), as receivers count them.
 *
 * Never throws for DNS or record problems: they are the results temperror and permerror. Internally
 * a `Stop` unwinds nested include/redirect evaluations, because an error anywhere ends check_host().
 */
import type { DnsAnswer, Lookup, RRType } from '../../dns/types.js';
import { isFailure, txtValues } from '../../dns/types.js';
import { parseExplainString, parseSpf, selectSpfRecord, type Directive, type DomainSpec, type Qualifier } from './parse.js';
import { SPF_MAX_LOOKUPS, SPF_MAX_MX_NAMES, SPF_MAX_PTR_NAMES, SPF_MAX_VOID_LOOKUPS, domainProblem, nameProblem, normSpfName } from './names.js';
import { expandDomain, expandMacros, inPrefix, networkBytes, parseClientIp, reverseName, type ClientIp, type MacroContext } from './macro.js';

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';

/** One DNS question a step asked, and what came back, in words. */
export interface TraceQuestion {
  name: string;
  type: RRType;
  answer: string;
  /** NXDOMAIN or no record of that type (counts toward the void limit where the RFC says so). */
  empty: boolean;
  /** No usable answer: timeout, SERVFAIL, REFUSED. */
  failed: boolean;
}

export interface TraceStep {
  /** 0 for the checked domain's record; one more inside each include or redirect. */
  depth: number;
  /** record: the SPF record fetched; mechanism/redirect: a term; exp: the explanation; default: the end of a record. */
  kind: 'record' | 'mechanism' | 'redirect' | 'exp' | 'default';
  /** The <domain> whose record holds the term. */
  domain: string;
  /** The term as written (for `record`, the record itself, '' when there is none). */
  term: string;
  /** The target-name after macro expansion, when the term has one. */
  target: string | null;
  asked: TraceQuestion[];
  /** Whether the client matched the mechanism (null for steps that are not a match test). */
  matched: boolean | null;
  /** The result this step decided, when it decided one. */
  result: SpfResult | null;
  /** DNS-querying terms and void lookups so far (the limits are 10 and 2). */
  lookups: number;
  voidLookups: number;
  /** What happened, in plain words. */
  note: string | null;
}

export interface SpfEvaluation {
  result: SpfResult;
  /** The expanded exp= text, on fail only; null when there is none (or it could not be fetched). */
  explanation: string | null;
  trace: TraceStep[];
  lookups: number;
  voidLookups: number;
  /** Index in `trace` of the step that decided the result. */
  decidedBy: number | null;
}

export interface CheckHostOptions {
  /** The HELO/EHLO name, taken as given (%{h}). */
  helo: string;
  /** The receiving host's name, for %{r} (default "unknown"). */
  receiver?: string;
  /** For %{t} (default: now). */
  now?: Date | number;
}

const QUALIFIER_RESULT: Record<Qualifier, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };
const DNS_TERMS = new Set(['include', 'a', 'mx', 'ptr', 'exists']);

class Stop extends Error {
  constructor(readonly result: 'permerror' | 'temperror', readonly step: number) { super(result); }
}

interface Run {
  lookup: Lookup;
  ip: ClientIp;
  base: Omit<MacroContext, 'domain' | 'validatedName'>;
  lookups: number;
  voids: number;
  trace: TraceStep[];
  /** Domains whose evaluation is under way (an include or redirect back to one is a loop). */
  stack: string[];
  validated: Map<string, Promise<string>>;
}

function summarise(a: DnsAnswer): string {
  switch (a.outcome) {
    case 'nxdomain': return 'NXDOMAIN (no such name)';
    case 'nodata': return `no ${a.type} record`;
    case 'servfail': return 'SERVFAIL (the server could not answer)';
    case 'refused': return 'REFUSED';
    case 'timeout': return 'timeout (no answer)';
    case 'error': return `error${a.error ? ` (${a.error})` : ''}`;
    default: break;
  }
  const values = a.records.map((r) => {
    if (r.type === 'MX') return `${r.data.preference} ${r.data.exchange || '.'}`;
    if (r.type === 'TXT' || r.type === 'SPF') return JSON.stringify(r.data.join(''));
    return String(r.data);
  });
  const shown = values.slice(0, 6).join(', ');
  return values.length > 6 ? `${shown} and ${values.length - 6} more` : shown;
}

async function ask(run: Run, step: TraceStep, name: string, type: RRType): Promise<DnsAnswer> {
  // The slot is taken before the answer comes, so concurrent questions are listed in asking order.
  const q: TraceQuestion = { name, type, answer: '…', empty: false, failed: false };
  step.asked.push(q);
  let a: DnsAnswer;
  try {
    a = await run.lookup(name, type);
  } catch (e) {
    a = { name, type, server: '', outcome: 'error', aa: false, records: [], cnames: [], negativeTtl: null, error: e instanceof Error ? e.message : String(e) };
  }
  Object.assign(q, { answer: summarise(a), empty: a.outcome === 'nxdomain' || a.outcome === 'nodata', failed: isFailure(a) });
  return a;
}

function addStep(run: Run, s: Pick<TraceStep, 'depth' | 'kind' | 'domain' | 'term'>): TraceStep {
  const step: TraceStep = { ...s, target: null, asked: [], matched: null, result: null, lookups: run.lookups, voidLookups: run.voids, note: null };
  run.trace.push(step);
  return step;
}

/** End check_host() with an error decided at `step`. */
function stop(run: Run, step: TraceStep, result: 'permerror' | 'temperror', note: string): never {
  step.result = result;
  step.note = note;
  throw new Stop(result, run.trace.indexOf(step));
}

function dnsFailure(run: Run, step: TraceStep, a: DnsAnswer): never {
  const what = a.outcome === 'timeout' ? 'timed out' : a.outcome === 'servfail' ? 'got SERVFAIL (the server could not answer)'
    : a.outcome === 'refused' ? 'was refused' : `failed${a.error ? ` (${a.error})` : ''}`;
  return stop(run, step, 'temperror', `the DNS query ${a.type} ${a.name} ${what}`);
}

function countVoid(run: Run, step: TraceStep, a: DnsAnswer): void {
  if (a.outcome !== 'nxdomain' && a.outcome !== 'nodata') return;
  step.voidLookups = ++run.voids;
  if (run.voids > SPF_MAX_VOID_LOOKUPS) {
    stop(run, step, 'permerror', `${a.type} ${a.name} found nothing: that is void lookup ${run.voids}, over the limit of ${SPF_MAX_VOID_LOOKUPS} (RFC 7208 §4.6.4)`);
  }
}

/** Macro values for terms of <domain>'s record; %{p}'s lookups, when made, show under `step`. */
function macroContext(run: Run, domain: string, step: TraceStep): MacroContext {
  const validatedName = (): Promise<string> => {
    let p = run.validated.get(domain);
    if (!p) { p = pMacro(run, domain, step); run.validated.set(domain, p); }
    return p;
  };
  return { ...run.base, domain, validatedName };
}

/**
 * §5.5 and §7.3: the client's host names (at most 10 from PTR) whose A/AAAA lead back to the
 * client. DNS errors are not errors here: a failed PTR lookup gives no names, a failed address
 * lookup skips that name. `wanted` filters names before the forward lookups, to save them.
 */
async function validatedNames(run: Run, step: TraceStep, wanted: (name: string) => boolean): Promise<string[]> {
  const ptr = await ask(run, step, reverseName(run.ip), 'PTR');
  const names = ptr.records.slice(0, SPF_MAX_PTR_NAMES).map((r) => normSpfName(String(r.data))).filter(wanted);
  const type: RRType = run.ip.family === 4 ? 'A' : 'AAAA';
  const answers = await Promise.all(names.map((n) => (nameProblem(n) ? null : ask(run, step, n, type))));
  return names.filter((_, i) => answers[i]?.records.some((r) => sameIp(run.ip, String(r.data), run.ip.family === 4 ? 32 : 128)));
}

/** %{p}: the validated name equal to <domain>, else one below it, else any; "unknown" when none. */
async function pMacro(run: Run, domain: string, step: TraceStep): Promise<string> {
  const names = await validatedNames(run, step, () => true);
  const d = normSpfName(domain);
  return names.find((n) => n === d) ?? names.find((n) => n.endsWith(`.${d}`)) ?? names[0] ?? 'unknown';
}

function sameIp(ip: ClientIp, address: string, prefix: number): boolean {
  const net = networkBytes(address, ip.family);
  return net !== null && inPrefix(ip.bytes, net, prefix);
}

/** Addresses of `name` in the client's family; true when one is within the prefix. Errors stop with temperror. */
async function addressMatch(run: Run, step: TraceStep, d: Directive, name: string, answer?: DnsAnswer): Promise<boolean> {
  const a = answer ?? await ask(run, step, name, run.ip.family === 4 ? 'A' : 'AAAA');
  if (isFailure(a)) dnsFailure(run, step, a);
  countVoid(run, step, a);
  const prefix = run.ip.family === 4 ? d.cidr4 ?? 32 : d.cidr6 ?? 128;
  const hit = a.records.some((r) => sameIp(run.ip, String(r.data), prefix));
  if (!hit && d.mechanism === 'a') step.note = noAddress(run.ip, name, a, prefix);
  return hit;
}

function noAddress(ip: ClientIp, name: string, a: DnsAnswer, prefix: number): string {
  const type = ip.family === 4 ? 'A' : 'AAAA';
  if (a.records.length === 0) return `${name} has no ${type} record, so nothing can match ${ip.text}`;
  const full = prefix === (ip.family === 4 ? 32 : 128);
  return `${ip.text} is not ${full ? 'one of' : `within /${prefix} of`} the ${type} addresses of ${name}`;
}

/** The target-name of a term: its domain-spec expanded, or the current domain. */
async function target(run: Run, step: TraceStep, spec: DomainSpec | null, domain: string): Promise<string> {
  step.target = spec ? await expandDomain(spec, macroContext(run, domain, step)) : domain;
  return step.target;
}

async function matchMechanism(run: Run, step: TraceStep, d: Directive, domain: string, depth: number): Promise<boolean> {
  const ip = run.ip;
  switch (d.mechanism) {
    case 'all':
      return true;
    case 'ip4': case 'ip6': {
      const fam = d.mechanism === 'ip4' ? 4 : 6;
      if (ip.family !== fam) { step.note = `${ip.text} is IPv${ip.family}; ${d.mechanism} applies to IPv${fam} clients only`; return false; }
      const prefix = (fam === 4 ? d.cidr4 : d.cidr6) ?? (fam === 4 ? 32 : 128);
      const hit = inPrefix(ip.bytes, networkBytes(d.network ?? '', fam)!, prefix);
      if (!hit) step.note = `${ip.text} is not in ${d.network}/${prefix}`;
      return hit;
    }
    case 'include':
      return include(run, step, d, domain, depth);
    default:
      break;
  }
  const name = await target(run, step, d.domainSpec, domain);
  const bad = nameProblem(name);
  // A target that cannot be a DNS name (empty or 64+ octet label) is treated as one that does not
  // exist: no match. RFC 7208 leaves this open; the suite accepts fail or permerror (§4.3, §4.8).
  if (bad) { step.note = `"${name}" cannot be looked up (${bad}), so it matches nothing`; return false; }
  if (d.mechanism === 'a') return addressMatch(run, step, d, name);
  if (d.mechanism === 'exists') {
    const a = await ask(run, step, name, 'A');
    if (isFailure(a)) dnsFailure(run, step, a);
    countVoid(run, step, a);
    if (a.records.length === 0) step.note = `${name} has no A record, so "exists" does not match`;
    return a.records.length > 0;
  }
  if (d.mechanism === 'ptr') {
    const t = normSpfName(name);
    const names = await validatedNames(run, step, (n) => n === t || n.endsWith(`.${t}`));
    step.note = names.length > 0
      ? `${ip.text} has the validated host name ${names[0]}, which is in ${name}`
      : `${ip.text} has no host name (PTR whose ${ip.family === 4 ? 'A' : 'AAAA'} leads back to it) in ${name}`;
    return names.length > 0;
  }
  // mx
  const mx = await ask(run, step, name, 'MX');
  if (isFailure(mx)) dnsFailure(run, step, mx);
  countVoid(run, step, mx);
  if (mx.records.length > SPF_MAX_MX_NAMES) {
    stop(run, step, 'permerror', `${name} has ${mx.records.length} MX records; check_host() may look up at most ${SPF_MAX_MX_NAMES} (RFC 7208 §4.6.4)`);
  }
  // A null MX (RFC 7505, exchange ".") names no host, so there is nothing to look up; neither is
  // there for an exchange that cannot be a DNS name. An exchange without an address of the client's
  // family is a void lookup, as the audit counts it (and pyspf and mailauth do).
  const hosts = mx.records.flatMap((r) => (r.type === 'MX' && !nameProblem(r.data.exchange) ? [r.data.exchange] : []));
  const type: RRType = ip.family === 4 ? 'A' : 'AAAA';
  // Ask concurrently, judge in order, so the result is the one a sequential receiver gets.
  const answers = await Promise.all(hosts.map((h) => ask(run, step, h, type)));
  for (const [i, a] of answers.entries()) {
    if (await addressMatch(run, step, d, hosts[i]!, a)) return true;
  }
  step.note = hosts.length === 0
    ? `${name} names no mail host, so "mx" matches nothing`
    : `${ip.text} is not an address of ${hosts.length === 1 ? 'the MX host' : `any of the ${hosts.length} MX hosts`} of ${name}`;
  return false;
}

/** §5.2: include matches when the included record passes; its errors are ours; none is permerror. */
async function include(run: Run, step: TraceStep, d: Directive, domain: string, depth: number): Promise<boolean> {
  const name = await target(run, step, d.domainSpec, domain);
  if (run.stack.includes(normSpfName(name))) {
    stop(run, step, 'permerror', `${name} is already being evaluated: this include is a loop, which can only end at the lookup limit`);
  }
  let inner: SpfResult;
  try {
    inner = (await evaluateDomain(run, name, depth + 1, false)).result;
  } catch (e) {
    if (e instanceof Stop) { step.result = e.result; step.note = `the included record at ${name} ended in ${e.result}, so this check does too`; }
    throw e;
  }
  if (inner === 'none') {
    stop(run, step, 'permerror', `${name} has no usable SPF record, so "${d.raw}" is a permerror (RFC 7208 §5.2)`);
  }
  step.note = inner === 'pass'
    ? `the included record passes ${run.ip.text}, so the include matches`
    : `the included record gives ${inner}, which for an include means "no match": evaluation goes on`;
  return inner === 'pass';
}

async function explanation(run: Run, spec: DomainSpec, domain: string, depth: number, raw: string): Promise<string | null> {
  const step = addStep(run, { depth, kind: 'exp', domain, term: raw });
  const ctx = macroContext(run, domain, step);
  const name = await target(run, step, spec, domain);
  // §6.2: any trouble fetching or parsing the explanation means "no explanation", never an error.
  if (nameProblem(name)) { step.note = 'the exp= name cannot be looked up; no explanation'; return null; }
  const values = txtValues(await ask(run, step, name, 'TXT'));
  if (values.length !== 1) { step.note = `exp= needs exactly one TXT record at ${name} (found ${values.length}); no explanation`; return null; }
  const parsed = parseExplainString(values[0]!);
  if (parsed.error) { step.note = `the explanation text is not valid (${parsed.error}); no explanation`; return null; }
  const text = await expandMacros(parsed.tokens, ctx);
  step.note = `explanation: ${text}`;
  return text;
}

/** check_host() for one <domain>: §4.3 to §4.7, then redirect (§6.1) and exp (§6.2). */
async function evaluateDomain(run: Run, domain: string, depth: number, wantExp: boolean): Promise<{ result: SpfResult; explanation: string | null; decidedBy: number }> {
  const rec = addStep(run, { depth, kind: 'record', domain, term: '' });
  const done = (step: TraceStep, result: SpfResult, note: string | null, explanationText: string | null = null) => {
    step.result = result;
    step.note ??= note;
    return { result, explanation: explanationText, decidedBy: run.trace.indexOf(step) };
  };
  const invalid = domainProblem(domain);
  if (invalid) return done(rec, 'none', `"${domain}" cannot have an SPF record: ${invalid}`);
  const txt = await ask(run, rec, domain, 'TXT');
  if (isFailure(txt)) dnsFailure(run, rec, txt);
  const sel = selectSpfRecord(txtValues(txt));
  if (sel.kind === 'none') return done(rec, 'none', `${domain} publishes no SPF record (no TXT record starting with "v=spf1")`);
  if (sel.kind === 'multiple') {
    rec.term = sel.records.join(' | ');
    stop(run, rec, 'permerror', `${domain} publishes ${sel.records.length} SPF records; there must be exactly one (RFC 7208 §4.5)`);
  }
  rec.term = sel.record;
  const parsed = parseSpf(sel.record);
  const err = parsed.errors[0];
  if (err) stop(run, rec, 'permerror', `the record is not valid SPF${err.term ? ` at "${err.term}"` : ''}: ${err.message}`);
  run.stack.push(normSpfName(domain));
  try {
    for (const d of parsed.mechanisms) {
      const step = addStep(run, { depth, kind: 'mechanism', domain, term: d.raw });
      if (DNS_TERMS.has(d.mechanism) && (step.lookups = ++run.lookups) > SPF_MAX_LOOKUPS) {
        stop(run, step, 'permerror', `"${d.raw}" would be DNS-querying term ${run.lookups}; the limit is ${SPF_MAX_LOOKUPS} (RFC 7208 §4.6.4)`);
      }
      step.matched = await matchMechanism(run, step, d, domain, depth);
      if (!step.matched) continue;
      const result = QUALIFIER_RESULT[d.qualifier];
      const text = result === 'fail' && wantExp && parsed.exp?.domainSpec
        ? await explanation(run, parsed.exp.domainSpec, domain, depth, parsed.exp.raw) : null;
      // matched + result say it all; a note stays only where the match itself needs explaining (ptr, include).
      return done(step, result, null, text);
    }
    const redirect = parsed.redirect;
    if (!redirect?.domainSpec) {
      const end = addStep(run, { depth, kind: 'default', domain, term: '(end of record)' });
      return done(end, 'neutral', `no mechanism matched ${run.ip.text} and the record has no "all" and no redirect=, so the result is neutral`);
    }
    const step = addStep(run, { depth, kind: 'redirect', domain, term: redirect.raw });
    if ((step.lookups = ++run.lookups) > SPF_MAX_LOOKUPS) {
      stop(run, step, 'permerror', `"${redirect.raw}" would be DNS-querying term ${run.lookups}; the limit is ${SPF_MAX_LOOKUPS} (RFC 7208 §4.6.4)`);
    }
    const name = await target(run, step, redirect.domainSpec, domain);
    if (run.stack.includes(normSpfName(name))) stop(run, step, 'permerror', `${name} is already being evaluated: this redirect is a loop`);
    let inner: Awaited<ReturnType<typeof evaluateDomain>>;
    try {
      inner = await evaluateDomain(run, name, depth + 1, wantExp);
    } catch (e) {
      if (e instanceof Stop) { step.result = e.result; step.note = `the record at ${name} ended in ${e.result}`; }
      throw e;
    }
    // §6.1: a redirect to a domain without a record is a permerror, not none.
    if (inner.result === 'none') stop(run, step, 'permerror', `redirect= points at ${name}, which has no usable SPF record (RFC 7208 §6.1)`);
    step.result = inner.result;
    step.note = `no mechanism matched, so the record at ${name} decides: ${inner.result}`;
    return inner;
  } finally {
    run.stack.pop();
  }
}

/**
 * RFC 7208 check_host(<ip>, <domain>, <sender>). `sender` is the MAIL FROM address; without a local
 * part (or without "@") it is postmaster@… (§4.3). Throws only when `ip` is not an address.
 */
export async function checkHost(ip: string, domain: string, sender: string, lookup: Lookup, opts: CheckHostOptions): Promise<SpfEvaluation> {
  const client = parseClientIp(ip);
  if (!client) throw new RangeError(`not an IP address: ${ip}`);
  const name = domain.replace(/\.$/, '');
  const at = sender.lastIndexOf('@');
  const local = at > 0 ? sender.slice(0, at) : 'postmaster';
  const senderDomain = at === -1 ? (sender || name) : sender.slice(at + 1);
  const now = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const run: Run = {
    lookup, ip: client, lookups: 0, voids: 0, trace: [], stack: [], validated: new Map(),
    base: { ip: client, sender: `${local}@${senderDomain}`, local, senderDomain, helo: opts.helo, receiver: opts.receiver ?? 'unknown', now: Math.floor(now / 1000) },
  };
  try {
    const r = await evaluateDomain(run, name, 0, true);
    return { ...r, trace: run.trace, lookups: run.lookups, voidLookups: run.voids };
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { result: e.result, explanation: null, decidedBy: e.step, trace: run.trace, lookups: run.lookups, voidLookups: run.voids };
  }
}
