/**
 * One aggregate report's XML → the typed model, or a finding saying why not. Defensive by design
 * (shared/reference/dmarc-reports.md §1.4, §3): a DOCTYPE or ENTITY declaration is refused before
 * any parser sees the text; IKEA's stray `<xs:schema>` tag is stripped; the validator runs first
 * (fast-xml-parser's `parse()` alone returns a partial tree on bad XML); elements are matched by
 * local name whatever the namespace; enum words are lower-cased and trimmed; `lang` attributes are
 * unwrapped; every field but `source_ip` and `count` may be missing, and a gap is a deviation.
 *
 * fast-xml-parser is imported lazily (only `reports` pays for it).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { AggregateReport, DkimAuth, Disposition, InputFinding, PolicyValue, PublishedPolicy, ReportRecordRow, SpfAuth } from './model.js';

export const NS_RFC9990 = 'urn:ietf:params:xml:ns:dmarc-2.0';

type XmlModule = typeof import('fast-xml-parser');
let xmlModule: Promise<XmlModule> | undefined;
const loadXml = (): Promise<XmlModule> => (xmlModule ??= import('fast-xml-parser'));

export type ParseOutcome =
  | { ok: true; report: AggregateReport; findings: InputFinding[] }
  | { ok: false; finding: InputFinding };

/** Decode bytes as UTF-8 with replacement (invalid bytes become U+FFFD), dropping a BOM. */
export function decodeText(bytes: Uint8Array): { text: string; replaced: boolean } {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
  return { text, replaced: text.includes('\uFFFD') };
}

const ARRAYS = new Set(['record', 'dkim', 'spf', 'reason', 'error', 'policy_published']);

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text of an element: a string, `{ '#text', '@lang' }`, or nothing (empty element). */
function text(v: unknown): string | null {
  if (Array.isArray(v)) return text(v[0]);
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isNode(v)) return '#text' in v ? text(v['#text']) : '';
  return null;
}
const nonEmpty = (v: unknown): string | null => { const t = text(v); return t === null || t === '' ? null : t; };
const node = (v: unknown): Node | null => (Array.isArray(v) ? node(v[0]) : isNode(v) ? v : null);
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** RFC 5952-ish normalisation: lower case, compressed IPv6; IPv4 as is. */
export function normaliseIp(ip: string): string | null {
  const s = ip.trim();
  const kind = isIP(s);
  if (kind === 4) return s;
  if (kind !== 6) return null;
  try {
    // URL's host parser gives the canonical compressed form.
    return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return s.toLowerCase();
  }
}

export function parseReportXml(bytes: Uint8Array, input: string): Promise<ParseOutcome> {
  return parseReportText(decodeText(bytes), input);
}

async function parseReportText(decoded: { text: string; replaced: boolean }, input: string): Promise<ParseOutcome> {
  const fail = (code: string, message: string, hint: string | null = null, severity: InputFinding['severity'] = 'error'): ParseOutcome =>
    ({ ok: false, finding: { severity, code, input, message, hint } });
  let src = decoded.text;
  if (src.trim() === '') return fail('REPORT_EMPTY', 'the input is empty');
  if (/<!DOCTYPE|<!ENTITY/i.test(src)) {
    return fail('REPORT_INVALID_XML', 'the XML declares a DOCTYPE or entities; DMARC reports never need them, so it was refused unread', 'A real report carries no DTD; treat this file as hostile.');
  }
  // IKEA and sitnet.dk paste an unclosed `<xs:schema …>` start tag after the declaration (parsedmarc #18).
  src = src.replace(/<\/?xs:schema[^>]*>/g, '');
  const { XMLValidator, XMLParser } = await loadXml();
  const valid = XMLValidator.validate(src);
  if (valid !== true) {
    const e = valid.err;
    return fail('REPORT_INVALID_XML', `not well-formed XML (line ${e.line}, column ${e.col}): ${e.msg}`, 'RFC 9990 says to discard a report that does not parse; ask the reporter to fix it if it recurs.');
  }
  let doc: unknown;
  try {
    const parser = new XMLParser({
      removeNSPrefix: true,
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      processEntities: true,
      htmlEntities: true,
      ignoreDeclaration: true,
      ignorePiTags: true,
      isArray: (name) => ARRAYS.has(name),
    });
    doc = parser.parse(src);
  } catch (e) {
    return fail('REPORT_INVALID_XML', `the XML could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const root = isNode(doc) ? node(doc.feedback) : null;
  if (!root) {
    const top = isNode(doc) ? Object.keys(doc).filter((k) => !k.startsWith('?'))[0] : undefined;
    return fail('REPORT_NOT_DMARC', `XML whose root is <${top ?? '?'}>, not a DMARC aggregate <feedback>`, null, 'warning');
  }
  return buildReport(root, input, decoded.replaced, rootNamespace(src));
}

/** The namespace of the <feedback> element (removeNSPrefix drops xmlns attributes, so read the tag). */
function rootNamespace(src: string): string | null {
  const m = /<(?:([\w.-]+):)?feedback\b([^>]*)>/.exec(src);
  if (!m) return null;
  const attr = m[1] ? `xmlns:${m[1]}` : 'xmlns';
  const ns = new RegExp(`\\s${attr.replace(/[.]/g, '\\.')}\\s*=\\s*["']([^"']*)["']`).exec(m[2] ?? '');
  return ns ? ns[1]!.trim() : null;
}

const POLICY_VALUES: readonly PolicyValue[] = ['none', 'quarantine', 'reject'];
const DISPOSITIONS: readonly Disposition[] = ['none', 'quarantine', 'reject', 'pass'];

function buildReport(root: Node, input: string, replaced: boolean, namespace: string | null): ParseOutcome {
  const deviations: string[] = [];
  if (replaced) deviations.push('invalid UTF-8 bytes, decoded with replacement characters');
  const version = nonEmpty(root.version);

  /** Lower-case an enum word, noting upper case and unknown values as deviations. */
  const enumOf = <T extends string>(v: unknown, allowed: readonly T[], what: string): T | null => {
    const raw = nonEmpty(v);
    if (raw === null) return null;
    const lower = raw.toLowerCase();
    if (lower !== raw) noteOnce(`${what} in upper case ("${raw}")`);
    if ((allowed as readonly string[]).includes(lower)) return lower as T;
    noteOnce(`unknown ${what} "${raw.slice(0, 40)}"`);
    return null;
  };
  const seen = new Set<string>();
  const noteOnce = (d: string): void => { if (!seen.has(d)) { seen.add(d); deviations.push(d); } };

  const meta = node(root.report_metadata);
  if (!meta) return { ok: false, finding: { severity: 'error', code: 'REPORT_SCHEMA_DEVIATION', input, message: 'the report has no <report_metadata>; it cannot be placed in time or attributed', hint: null } };
  const email = nonEmpty(meta.email);
  let org = nonEmpty(meta.org_name);
  if (org === null) {
    noteOnce('empty <org_name>');
    org = email?.includes('@') ? email.slice(email.lastIndexOf('@') + 1).toLowerCase() : email ?? 'unknown reporter';
  }
  let reportId = nonEmpty(meta.report_id) ?? '';
  if (reportId === '') noteOnce('missing <report_id>');
  reportId = reportId.replace(/^<(.*)>$/, '$1');
  const range = node(meta.date_range);
  const begin = Math.floor(Number(nonEmpty(range?.begin)));
  const end = Math.floor(Number(nonEmpty(range?.end)));
  if (!Number.isFinite(begin) || !Number.isFinite(end) || begin <= 0 || end <= 0) {
    return { ok: false, finding: { severity: 'error', code: 'REPORT_SCHEMA_DEVIATION', input, message: 'the report has no usable <date_range> (begin/end in epoch seconds)', hint: null } };
  }
  const errors = list(meta.error).map(text).filter((e): e is string => !!e);
  const generator = nonEmpty(meta.generator);

  const published = list(root.policy_published).map(node).filter((n): n is Node => !!n);
  if (published.length > 1) noteOnce(`<policy_published> repeated ${published.length} times; the first is used`);
  const pp = published[0];
  const policyDomain = nonEmpty(pp?.domain)?.toLowerCase().replace(/\.$/, '') ?? null;
  if (!pp || !policyDomain) {
    return { ok: false, finding: { severity: 'error', code: 'REPORT_SCHEMA_DEVIATION', input, message: 'the report has no <policy_published><domain>; it cannot be attributed to a domain', hint: null } };
  }
  const pctRaw = nonEmpty(pp.pct);
  const policy: PublishedPolicy = {
    domain: policyDomain,
    p: enumOf(pp.p, POLICY_VALUES, 'p'),
    sp: enumOf(pp.sp, POLICY_VALUES, 'sp'),
    np: enumOf(pp.np, POLICY_VALUES, 'np'),
    adkim: enumOf(pp.adkim, ['r', 's'] as const, 'adkim'),
    aspf: enumOf(pp.aspf, ['r', 's'] as const, 'aspf'),
    pct: pctRaw !== null && /^\d{1,3}$/.test(pctRaw) ? Number(pctRaw) : null,
    fo: nonEmpty(pp.fo),
    testing: enumOf(pp.testing, ['y', 'n'] as const, 'testing'),
    discoveryMethod: nonEmpty(pp.discovery_method)?.toLowerCase() ?? null,
  };
  if (policy.p === null) noteOnce('<policy_published> has no valid <p>');

  const rfc9990 = namespace === NS_RFC9990 || nonEmpty(pp.np) !== null || nonEmpty(pp.testing) !== null
    || nonEmpty(pp.discovery_method) !== null || generator !== null;
  const schema: AggregateReport['schema'] = rfc9990 ? 'rfc9990' : 'rfc7489';

  const records: ReportRecordRow[] = [];
  let skipped = 0;
  for (const r of list(root.record)) {
    const rec = node(r);
    const row = rec ? node(rec.row) : null;
    const ip = normaliseIp(nonEmpty(row?.source_ip) ?? '');
    const countText = nonEmpty(row?.count);
    const count = countText !== null && /^\d+$/.test(countText) ? Number(countText) : NaN;
    if (!rec || !row || ip === null || !Number.isSafeInteger(count)) { skipped++; continue; }
    const pe = node(row.policy_evaluated);
    if (!pe) noteOnce('a record without <policy_evaluated>');
    const ids = node(rec.identifiers);
    const auth = node(rec.auth_results);
    if (!auth || Object.keys(auth).length === 0) noteOnce('empty <auth_results>');
    const authDkim: DkimAuth[] = list(auth?.dkim).map(node).filter((n): n is Node => !!n).map((d) => {
      const selector = nonEmpty(d.selector);
      if (selector === null) noteOnce('a DKIM result without a selector');
      return {
        domain: nonEmpty(d.domain)?.toLowerCase() ?? null,
        selector: selector?.toLowerCase() ?? null,
        result: nonEmpty(d.result)?.toLowerCase() ?? null,
        humanResult: nonEmpty(d.human_result),
      };
    });
    const authSpf: SpfAuth[] = list(auth?.spf).map(node).filter((n): n is Node => !!n).map((s) => ({
      domain: nonEmpty(s.domain)?.toLowerCase() ?? null,
      scope: nonEmpty(s.scope)?.toLowerCase() ?? null,
      result: nonEmpty(s.result)?.toLowerCase() ?? null,
    }));
    for (const a of [...list(auth?.dkim), ...list(auth?.spf)]) {
      const raw = nonEmpty(node(a)?.result);
      if (raw !== null && raw !== raw.toLowerCase()) noteOnce(`auth result in upper case ("${raw.slice(0, 20)}")`);
    }
    const reasons = list(pe?.reason).map(node).filter((n): n is Node => !!n)
      .map((x) => ({ type: (nonEmpty(x.type) ?? '').toLowerCase(), comment: nonEmpty(x.comment) }))
      .filter((x) => x.type !== '' || x.comment !== null);
    records.push({
      sourceIp: ip,
      count,
      disposition: enumOf(pe?.disposition, DISPOSITIONS, 'disposition'),
      dkim: enumOf(pe?.dkim, ['pass', 'fail'] as const, 'policy_evaluated dkim'),
      spf: enumOf(pe?.spf, ['pass', 'fail'] as const, 'policy_evaluated spf'),
      reasons,
      headerFrom: nonEmpty(ids?.header_from)?.toLowerCase() ?? null,
      envelopeFrom: nonEmpty(ids?.envelope_from)?.toLowerCase() ?? null,
      envelopeTo: nonEmpty(ids?.envelope_to)?.toLowerCase() ?? null,
      authDkim,
      authSpf,
    });
  }
  if (skipped > 0) deviations.push(`${skipped} record(s) without a valid source_ip and count were skipped`);
  const report: AggregateReport = {
    schema, namespace, version, org, email, reportId, begin, end, errors, generator, policy, records, deviations, input,
    digest: '',
  };
  report.digest = createHash('sha256').update(JSON.stringify({ ...report, input: '', digest: '' })).digest('hex').slice(0, 32);
  const findings: InputFinding[] = [];
  if (deviations.length > 0) {
    findings.push({ severity: 'warning', code: 'REPORT_SCHEMA_DEVIATION', input, message: `read with deviations from the schema: ${deviations.join('; ')}`, hint: null });
  }
  if (end - begin > 86_400 + 3_600) {
    findings.push({ severity: 'info', code: 'REPORT_TIMESPAN_LONG', input, message: `the report covers ${Math.round((end - begin) / 3600)} hours, not one day; its counts are placed on its first day`, hint: null });
  }
  return { ok: true, report, findings };
}
