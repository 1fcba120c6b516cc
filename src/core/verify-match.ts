/**
 * Expected record vs what the authoritative servers answer → status, code, detail, hint. Pure over
 * the answers, except SPF (whose includes must be followed) and misplacement (a few extra questions
 * asked only when the expected record is not there). Matching is normalised: names and CNAME
 * targets case-insensitively without trailing dots, TXT strings joined; SPF semantically (a merged
 * SPF that reaches the provider's include verifies); DMARC by validity, whatever the policy.
 */
import type { DnsRecord } from '../model/record.js';
import type { DnsAnswer, Lookup } from '../dns/types.js';
import { isFailure, txtValues } from '../dns/types.js';
import { auditSpf } from '../validators/spf/audit.js';
import { parseSpf, selectSpfRecord } from '../validators/spf/parse.js';
import { dmarcVersionFirst, meantAsDmarc, parseDmarc } from '../validators/dmarc.js';
import { parseDkimKey } from '../validators/dkim.js';
import { findMisplaced, isQuoted } from '../validators/diagnose.js';
import { isLookupFailure } from '../model/finding.js';

export type RecordStatus = 'verified' | 'missing' | 'invalid' | 'unknown';

export interface Match {
  status: RecordStatus;
  code: string | null;
  found: string[];
  detail: string | null;
  hint: string | null;
}

const norm = (s: string): string => s.trim().toLowerCase().replace(/\.$/, '');
const stripWs = (s: string): string => s.replace(/\s+/g, '');

/** Values of the answer in display form ("10 host" for MX). */
export function foundValues(r: DnsRecord, a: DnsAnswer): string[] {
  if (r.type === 'TXT') return txtValues(a);
  return a.records.map((x) => (x.type === 'MX' ? `${x.data.preference} ${x.data.exchange}` : String(x.data)));
}

function includesOf(value: string): string[] {
  return parseSpf(value).terms.flatMap((t) => ('mechanism' in t && t.mechanism === 'include' && t.domainSpec ? [norm(t.domainSpec.raw)] : []));
}

const m = (status: RecordStatus, code: string | null, found: string[], detail: string | null = null, hint: string | null = null): Match => ({ status, code, found, detail, hint });

/**
 * `spfLookup` answers the record's own name from the authoritative servers (a resolver may still
 * cache an older record) and everything else — includes in other zones — from the resolvers.
 */
async function matchTxt(r: DnsRecord, values: string[], spfLookup: Lookup): Promise<Match> {
  const quoted = values.find((v) => isQuoted(v) && v.trim().slice(1, -1).trim() === r.value.trim());
  if (r.purpose === 'spf' || r.purpose === 'mail-from-spf') {
    const sel = selectSpfRecord(values);
    if (sel.kind === 'multiple') {
      return m('invalid', 'SPF_MULTIPLE_RECORDS', values, `${sel.records.length} SPF records at ${r.name}: receivers treat that as a permanent error.`, 'Merge them into one v=spf1 record holding every include, and delete the others.');
    }
    if (sel.kind === 'none') {
      return quoted
        ? m('invalid', 'RECORD_QUOTED', values, 'The SPF value was published with literal quote characters.', 'Remove the surrounding quotes from the value; your DNS host adds its own.')
        : values.length ? m('missing', null, values, `No v=spf1 record at ${r.name} (${values.length} other TXT record${values.length === 1 ? '' : 's'}).`, `Add TXT "${r.value}" at ${r.name}.`) : m('missing', null, []);
    }
    if (stripWs(sel.record).toLowerCase() === stripWs(r.value).toLowerCase()) return m('verified', null, [sel.record]);
    // Reaching the provider's include is not enough: a record receivers cannot parse is a permerror
    // for every sender, and one ending in +all authorises the whole Internet.
    const parsed = parseSpf(sel.record);
    if (parsed.errors.length > 0) {
      const first = parsed.errors[0]!;
      return m('invalid', 'SPF_SYNTAX', [sel.record], `The SPF record at ${r.name} does not parse (${first.term ? `"${first.term}": ` : ''}${first.message}); receivers treat it as a permanent error.`, `Fix the record; mailsetup suggests "${r.value}" merged with your other senders.`);
    }
    if (parsed.mechanisms.some((d) => d.mechanism === 'all' && d.qualifier === '+')) {
      return m('invalid', 'SPF_PLUS_ALL', [sel.record], `The SPF record at ${r.name} ends in +all: it authorises every host on the Internet to send as ${r.name}.`, 'Replace +all with ~all (or -all once every sender is listed).');
    }
    const wanted = includesOf(r.value);
    // The provider's include written in the record itself: authorised, whatever its target answers today.
    const direct = new Set(includesOf(sel.record));
    const audit = await auditSpf(r.name, spfLookup, { expectIncludes: wanted });
    // Whatever authorises the provider, a record over the RFC 7208 limits (or otherwise broken) is a
    // permerror at receivers, for the provider's mail too. A lookup that could not be made is not
    // such an error: it says nothing about the record.
    const broken = audit.findings.find((f) => f.severity === 'error' && f.code !== 'SPF_INCLUDE_MISSING' && !isLookupFailure(f));
    if (wanted.length > 0 && wanted.every((w) => direct.has(w))) {
      return broken
        ? m('invalid', broken.code, [sel.record], broken.message, broken.hint ?? null)
        : m('verified', null, [sel.record], 'An SPF record that includes the provider among others.');
    }
    const missing = audit.findings.find((f) => f.code === 'SPF_INCLUDE_MISSING');
    if (missing) {
      return m('invalid', 'SPF_INCLUDE_MISSING', [sel.record], `The SPF record at ${r.name} does not authorise ${wanted.join(', ')}.`, `Add ${wanted.map((w) => `include:${w}`).join(' ')} before the final all term of the existing record (keep one v=spf1 record).`);
    }
    const failed = audit.findings.find((f) => f.severity === 'error');
    if (failed) return m('invalid', failed.code, [sel.record], failed.message, failed.hint ?? null);
    return m('verified', null, [sel.record], 'A merged SPF record that authorises the provider.');
  }
  if (r.purpose === 'dmarc') {
    const dmarcs = values.filter((v) => /^v\s*=\s*DMARC1/i.test(v.trim()));
    if (dmarcs.length > 1) return m('invalid', 'DMARC_MULTIPLE_RECORDS', values, `${dmarcs.length} DMARC records at ${r.name}: receivers ignore them all.`, 'Keep one v=DMARC1 record and delete the others.');
    if (dmarcs.length === 0) {
      // The owner's policy written with v=DMARC1 out of place, or quoted: repair theirs, never "missing"
      // (whose hint would publish the suggested record, maybe weaker than theirs).
      const theirs = values.find((v) => meantAsDmarc(v) || (isQuoted(v) && meantAsDmarc(v.trim().slice(1, -1))));
      if (theirs !== undefined && !quoted) {
        const inner = isQuoted(theirs) ? theirs.trim().slice(1, -1) : theirs;
        return isQuoted(theirs)
          ? m('invalid', 'RECORD_QUOTED', values, 'The DMARC value was published with literal quote characters.', `Remove the surrounding quotes, so the value is ${dmarcVersionFirst(inner)}.`)
          : m('invalid', 'DMARC_SYNTAX', [theirs], `The DMARC record at ${r.name} does not start with v=DMARC1, so receivers ignore it.`, `Publish your record with v=DMARC1 moved to the front: "${dmarcVersionFirst(theirs)}".`);
      }
      return quoted ? m('invalid', 'RECORD_QUOTED', values, 'The DMARC value was published with literal quote characters.', 'Remove the surrounding quotes from the value.') : m('missing', null, values);
    }
    const parsed = parseDmarc(dmarcs[0]!, r.name);
    if (!parsed.valid) {
      const f = parsed.findings.find((x) => x.severity === 'error');
      return m('invalid', 'VALUE_MISMATCH', dmarcs, `The DMARC record at ${r.name} is not valid: ${f?.message ?? 'syntax error'}`, f?.hint ?? `Replace it with "${r.value}".`);
    }
    return m('verified', null, dmarcs, parsed.policy && stripWs(dmarcs[0]!) !== stripWs(r.value) ? `A valid DMARC policy (p=${parsed.policy.p}) other than the one suggested; kept as the owner chose.` : null);
  }
  if (r.purpose === 'dkim') {
    const wantKey = /(?:^|;)\s*p=([^;]*)/.exec(r.value)?.[1];
    for (const v of values) {
      const got = /(?:^|;)\s*p=([^;]*)/.exec(v)?.[1];
      if (wantKey !== undefined && got !== undefined && stripWs(got) === stripWs(wantKey)) return m('verified', null, [v]);
    }
    if (quoted) return m('invalid', 'RECORD_QUOTED', values, 'The DKIM key was published with literal quote characters.', 'Remove the surrounding quotes from the value.');
    const keys = values.filter((v) => /(?:^|;)\s*p=/.test(v));
    if (keys.length === 0) return values.length ? m('missing', null, values, `No DKIM key among the TXT records at ${r.name}.`) : m('missing', null, []);
    const parsed = parseDkimKey(keys[0]!, r.name);
    if (!parsed.valid || (wantKey && stripWs(/(?:^|;)\s*p=([^;]*)/.exec(keys[0]!)?.[1] ?? '').length < stripWs(wantKey).length && stripWs(wantKey).startsWith(stripWs(/(?:^|;)\s*p=([^;]*)/.exec(keys[0]!)?.[1] ?? '')))) {
      return m('invalid', 'DKIM_KEY_INVALID', keys, 'The published DKIM key is truncated or cannot be decoded.', 'Paste the whole key again; some DNS UIs cut values at 255 characters — split it into several strings instead.');
    }
    return m('invalid', 'VALUE_MISMATCH', keys, 'A different DKIM key is published at this selector.', `Replace the value with "${r.value.slice(0, 40)}…" (mailsetup records shows it whole).`);
  }
  if (values.some((v) => v === r.value)) return m('verified', null, values);
  if (quoted) return m('invalid', 'RECORD_QUOTED', values, 'The value was published with literal quote characters.', 'Remove the surrounding quotes from the value.');
  return values.length ? m('invalid', 'VALUE_MISMATCH', values, `TXT at ${r.name} does not hold the expected value.`, `Set the value to "${r.value}".`) : m('missing', null, []);
}

/**
 * Compare one expected record with the authoritative answer for it. `authLookup` asks the
 * authoritative servers (for misplacement checks and the proxied-CNAME check); `resolverLookup`
 * follows SPF includes that live in other zones.
 */
export async function matchRecord(r: DnsRecord, answer: DnsAnswer, ctx: { zone: string; domain: string; authLookup: Lookup; resolverLookup: Lookup }): Promise<Match> {
  if (isFailure(answer)) return m('unknown', null, [], `No authoritative answer (${answer.outcome}${answer.error ? `: ${answer.error}` : ''}).`, 'Retry later; this says nothing about whether the record exists.');
  const found = foundValues(r, answer);
  let result: Match;
  if (r.type === 'CNAME') {
    const target = answer.records[0]?.type === 'CNAME' ? String(answer.records[0].data) : null;
    if (target && norm(target) === norm(r.value)) result = m('verified', null, [target]);
    else if (target) result = m('invalid', 'VALUE_MISMATCH', [target], `${r.name} points to ${target}, not ${r.value}.`, `Change the CNAME target to ${r.value}.`);
    else {
      // A proxied CNAME (Cloudflare) answers with the proxy's addresses and no CNAME at all.
      const a = answer.outcome === 'nodata' ? await ctx.authLookup(r.name, 'A') : null;
      result = a && a.outcome === 'answer'
        ? m('invalid', 'CNAME_PROXIED', foundValues({ ...r, type: 'CNAME' }, a), `${r.name} answers with addresses (${a.records.map((x) => String(x.data)).join(', ')}) instead of a CNAME: it is proxied.`, 'Turn the proxy off for this record (Cloudflare: Proxy status "DNS only", grey cloud).')
        : m('missing', null, []);
    }
  } else if (r.type === 'MX') {
    const mx = answer.records.flatMap((x) => (x.type === 'MX' ? [x.data] : []));
    const hit = mx.find((x) => norm(x.exchange) === norm(r.value));
    // A space inside a label comes off the wire in presentation form (`10\032feedback-smtp…`).
    const spaced = (x: { exchange: string }): string => norm(x.exchange).replace(/\\032/g, ' ');
    const pasted = mx.find((x) => /^\d+\s+\S+/.test(spaced(x)) || spaced(x).endsWith(' ' + norm(r.value)));
    if (hit) result = m('verified', null, found, hit.preference !== r.priority ? `Preference ${hit.preference} instead of ${r.priority}; mail still flows.` : null);
    else if (pasted || mx.some((x) => /^\d+[ .]/.test(spaced(x)) && spaced(x).endsWith(norm(r.value)))) {
      result = m('invalid', 'MX_PRIORITY_IN_VALUE', found, 'The MX priority was pasted into the target host.', `Set the target to ${r.value} and the priority field to ${r.priority ?? 10}.`);
    } else result = mx.length ? m('invalid', 'VALUE_MISMATCH', found, `The MX at ${r.name} points elsewhere.`, `Add MX ${r.priority ?? 10} ${r.value} at ${r.name}.`) : m('missing', null, []);
  } else {
    const spfLookup: Lookup = (name, type) => (norm(name) === norm(r.name) ? ctx.authLookup(name, type) : ctx.resolverLookup(name, type));
    result = await matchTxt(r, answer.outcome === 'answer' ? txtValues(answer) : [], spfLookup);
  }
  if (result.status === 'missing' && result.found.length === 0) {
    const accept = (vs: string[]) => (r.type === 'TXT' ? vs.some((v) => stripWs(v).toLowerCase().includes(stripWs(r.value).toLowerCase().slice(0, 24))) : vs.some((v) => norm(v).endsWith(norm(r.value))));
    const misplaced = await findMisplaced(r.name, ctx.domain, ctx.zone, r.type, ctx.authLookup, accept, `${r.type} record`);
    if (misplaced) return m('invalid', misplaced.code, [misplaced.name], misplaced.message, misplaced.hint ?? null);
    result.detail ??= `No ${r.type} record at ${r.name} (${answer.outcome === 'nxdomain' ? 'the name does not exist' : 'the name has no record of this type'}).`;
    result.hint ??= `Publish ${r.type} ${r.name} → ${r.type === 'MX' ? `${r.priority ?? 10} ` : ''}${r.value.length > 60 ? r.value.slice(0, 57) + '…' : r.value}.`;
  }
  return result;
}
