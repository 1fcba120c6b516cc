/**
 * BIMI: the TXT record at `default._bimi.<domain>` (`v=BIMI1; l=<https SVG URL>; a=<https PEM URL or
 * empty>`), its prerequisite (DMARC at enforcement), the logo fetched and checked against the SVG
 * Tiny Portable/Secure profile, and the `a=` certificate (VMC/CMC) fetched and parsed: a PEM chain
 * whose certificates sign each other, not expired, naming the domain. An absent record is `info`.
 *
 * Whether the chain ends at a BIMI-qualified root is not checked (those roots are in no system
 * store); the detail says so.
 */
import type { Lookup } from '../dns/types.js';
import { isFailure, txtValues } from '../dns/types.js';
import type { CheckResult, Finding } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';
import type { DmarcDetail } from './dmarc.js';
import { fetchHttps, type FetchResult, type HttpsFetcher } from './https-fetch.js';

export const BIMI_SVG_MAX_BYTES = 32 * 1024;
const PEM_MAX_BYTES = 64 * 1024;

export interface BimiDetail {
  logo: string | null;
  authority: string | null;
  /** `v=BIMI1; l=; a=`: the domain declines to show a logo. */
  declined: boolean;
  certificate: { subject: string; issuer: string; validTo: string; chainLength: number; rootChecked: false } | null;
}

/** The tags of a BIMI record (`;`-separated `tag=value`, names case-insensitive). */
export function parseBimi(value: string): { tags: Record<string, string>; problems: string[] } {
  const problems: string[] = [];
  const tags: Record<string, string> = {};
  const parts = value.split(';').map((p) => p.trim());
  if (parts[parts.length - 1] === '') parts.pop();
  parts.forEach((part, i) => {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(part);
    if (!m) { problems.push(`"${part}" is not a tag=value pair`); return; }
    const k = m[1]!.toLowerCase();
    if (k in tags) problems.push(`the tag ${k}= appears twice`);
    tags[k] = m[2]!;
    if (i === 0 && (k !== 'v' || m[2] !== 'BIMI1')) problems.push('the record must start with "v=BIMI1"');
  });
  for (const k of ['l', 'a']) {
    const v = tags[k];
    if (v === undefined || v === '') continue;
    if (!/^https:\/\//i.test(v)) problems.push(`${k}= "${v}" is not an https: URL`);
    else { try { new URL(v); } catch { problems.push(`${k}= "${v}" is not a valid URL`); } }
  }
  if (!('l' in tags)) problems.push('no l= tag (the logo URL)');
  return { tags, problems };
}

/** SVG Tiny PS profile checks (BIMI's profile of SVG Tiny 1.2); returns the problems found. */
export function svgTinyPsProblems(svg: string): string[] {
  const problems: string[] = [];
  const root = /<svg\b[^>]*>/i.exec(svg)?.[0];
  if (!root) return ['no <svg> element'];
  const attr = (name: string) => new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`, 'i').exec(root)?.[1] ?? null;
  if (attr('baseProfile') !== 'tiny-ps') problems.push('the <svg> element lacks baseProfile="tiny-ps"');
  if (attr('version') !== '1.2') problems.push('the <svg> element lacks version="1.2"');
  if (!/<title\b[^>]*>[^<]*\S[^<]*<\/title>/i.test(svg)) problems.push('no <title> element');
  if (/<script\b/i.test(svg)) problems.push('a <script> element');
  if (/<(animate|animateMotion|animateTransform|animateColor|set)\b/i.test(svg)) problems.push('animation elements');
  if (/<(foreignObject|image|iframe|embed|object)\b/i.test(svg)) problems.push('embedded or foreign content (<image>, <foreignObject> …)');
  if (/\s(?:xlink:)?href\s*=\s*["'](?!#)/i.test(svg)) problems.push('an external reference (href to something other than #id)');
  if (/\son[a-z]+\s*=/i.test(svg)) problems.push('an event handler attribute (on…=)');
  if (/\s(x|y)\s*=/.test(root)) problems.push('x= or y= on the <svg> element');
  const vb = attr('viewBox')?.trim().split(/[\s,]+/).map(Number);
  if (!vb || vb.length !== 4 || vb.some((n) => !Number.isFinite(n))) problems.push('no valid viewBox');
  else if (vb[2] !== vb[3]) problems.push(`not square (viewBox ${vb[2]}×${vb[3]})`);
  return problems;
}

export interface BimiOptions {
  timeoutMs: number;
  dmarc: Promise<{ detail?: unknown }>;
  /** The HTTPS port (default: the real fetch through the run's DNS). */
  fetch?: HttpsFetcher;
}

export async function auditBimi(domain: string, lookup: Lookup, opts: BimiOptions): Promise<CheckResult> {
  const name = `default._bimi.${domain}`;
  const detail: BimiDetail = { logo: null, authority: null, declined: false, certificate: null };
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], code: string, message: string, hint: string | null, term: string | null = null, at = name) =>
    findings.push({ severity, code, name: at, term, message, hint });
  const result = (record: string | string[] | null, none = false): CheckResult =>
    ({ check: 'bimi', status: none ? 'none' : statusFromFindings(findings), name, record, findings, detail });

  const answer = await lookup(name, 'TXT');
  if (isFailure(answer)) {
    add('warning', 'BIMI_UNCHECKED', `The TXT lookup for ${name} failed (${answer.outcome}), so BIMI could not be checked.`,
      'Retry later or with another --resolver; this says nothing about whether the record exists.');
    return result(null, true);
  }
  const records = txtValues(answer).filter((v) => /^v\s*=\s*BIMI1(;|\s|$)/i.test(v.trim()));
  if (records.length === 0) {
    add('info', 'BIMI_MISSING', `No BIMI record at ${name}: mailbox providers show no brand logo for ${domain}.`,
      `Optional. To show a logo, publish TXT ${name} "v=BIMI1; l=https://…/logo.svg; a=https://…/vmc.pem" (DMARC must be at enforcement).`);
    return result(null, true);
  }
  if (records.length > 1) {
    add('error', 'BIMI_SYNTAX', `${records.length} BIMI records at ${name}: receivers use none.`, 'Keep one record.', 'v');
    return result(records);
  }
  const { tags, problems } = parseBimi(records[0]!);
  for (const p of problems) add('error', 'BIMI_SYNTAX', `The BIMI record is invalid: ${p}.`, 'Use the form "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem".');
  detail.logo = tags.l || null;
  detail.authority = tags.a || null;
  detail.declined = tags.l === '' && !tags.a;
  if (detail.declined) return result(records[0]!);

  // BIMI's prerequisite: a DMARC policy at enforcement for the domain.
  const dmarc = (await opts.dmarc).detail as DmarcDetail | undefined;
  const why = dmarcNotEnforced(dmarc);
  if (why) {
    add('error', 'BIMI_DMARC_NOT_ENFORCED', `BIMI needs DMARC at enforcement, and ${why}: receivers will not show the logo.`,
      'Move DMARC to p=quarantine or p=reject (sp not none, no pct below 100) once reports show your mail passes.', null, `_dmarc.${domain}`);
  }

  const tasks: Array<Promise<void>> = [];
  if (detail.logo && /^https:/i.test(detail.logo)) {
    const url = detail.logo;
    tasks.push((opts.fetch ?? fetchHttps)(url, lookup, { timeoutMs: opts.timeoutMs, maxBytes: BIMI_SVG_MAX_BYTES }).then((f) => {
      if (!f.ok) return unreachable(f, url, 'BIMI_SVG_UNREACHABLE', 'logo', add);
      const type = (f.contentType ?? '').split(';')[0]!.trim().toLowerCase();
      const svgProblems = svgTinyPsProblems(f.body.toString('utf8'));
      if (type !== 'image/svg+xml') svgProblems.unshift(`served as ${f.contentType ? `"${f.contentType}"` : 'no content type'}, not image/svg+xml`);
      for (const p of svgProblems) {
        add('error', 'BIMI_SVG_INVALID', `The BIMI logo is not SVG Tiny PS: ${p}.`, 'Export the logo as SVG Tiny PS (square, with a <title>, no scripts or external references).', 'l', url);
      }
    }));
  }
  if (detail.authority && /^https:/i.test(detail.authority)) {
    const url = detail.authority;
    tasks.push((opts.fetch ?? fetchHttps)(url, lookup, { timeoutMs: opts.timeoutMs, maxBytes: PEM_MAX_BYTES }).then(async (f) => {
      if (!f.ok) return unreachable(f, url, 'BIMI_CERT_INVALID', 'certificate', add);
      const checked = await checkVmc(f.body.toString('utf8'), domain);
      detail.certificate = checked.certificate;
      for (const p of checked.problems) {
        add('error', 'BIMI_CERT_INVALID', `The BIMI certificate (a=) is not valid: ${p}.`, 'Serve the VMC/CMC PEM chain your certificate authority issued for this domain, and renew it before it expires.', 'a', url);
      }
    }));
  }
  await Promise.all(tasks);
  return result(records[0]!);
}

function dmarcNotEnforced(d: DmarcDetail | undefined): string | null {
  if (!d || !d.policy || !d.tags) return 'no DMARC policy applies to the domain';
  if (d.policy === 'none') return `the DMARC policy that applies is ${d.policyTag ?? 'p'}=none`;
  if (d.tags.sp === 'none') return 'sp=none leaves subdomains unprotected';
  if (d.tags.pct !== null && d.tags.pct < 100) return `pct=${d.tags.pct} applies the policy to part of the mail only`;
  return null;
}

function unreachable(f: Extract<FetchResult, { ok: false }>, url: string, code: string, what: string,
  add: (s: Finding['severity'], code: string, m: string, h: string | null, term?: string | null, at?: string) => void): void {
  // Could not ask (DNS failure, timeout, refused) is a warning: it says nothing about the document.
  const couldNotAsk = f.kind === 'network' || f.kind === 'dns-failed';
  const term = code === 'BIMI_CERT_INVALID' ? 'a' : 'l';
  add(couldNotAsk ? 'warning' : 'error', code, `The BIMI ${what} could not be ${couldNotAsk ? 'fetched from here' : 'used'}: ${f.message}.`,
    couldNotAsk ? `Check that ${url} answers over HTTPS; retry with a longer --timeout.` : `Serve it at ${url} over HTTPS (valid certificate, status 200, no redirect).`, term, url);
}

/** Parse the PEM chain: each certificate signed by the next, the leaf in its validity period and naming the domain. */
export async function checkVmc(pem: string, domain: string, now = new Date()): Promise<{ problems: string[]; certificate: BimiDetail['certificate'] }> {
  const { X509Certificate } = await import('node:crypto');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return { problems: ['no PEM certificate in the document'], certificate: null };
  const certs: InstanceType<typeof X509Certificate>[] = [];
  for (const b of blocks) {
    try { certs.push(new X509Certificate(b)); } catch (e) { return { problems: [`a certificate does not parse (${(e as Error).message})`], certificate: null }; }
  }
  const problems: string[] = [];
  const leaf = certs[0]!;
  if (new Date(leaf.validTo) < now) problems.push(`it expired on ${leaf.validTo}`);
  if (new Date(leaf.validFrom) > now) problems.push(`it is not valid before ${leaf.validFrom}`);
  if (!leaf.checkHost(domain)) {
    const org = domain.split('.').slice(-2).join('.');
    if (!leaf.checkHost(org)) problems.push(`it is not issued for ${domain} (${leaf.subjectAltName ?? leaf.subject})`);
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i]!.checkIssued(certs[i + 1]!) || !certs[i]!.verify(certs[i + 1]!.publicKey)) {
      problems.push(`certificate ${i + 1} of the chain is not signed by certificate ${i + 2}`);
    }
  }
  return { problems, certificate: { subject: leaf.subject, issuer: leaf.issuer, validTo: leaf.validTo, chainLength: certs.length, rootChecked: false } };
}
