/**
 * MTA-STS (RFC 8461): the TXT record at `_mta-sts.<domain>` (`v=STSv1; id=<1–32 alphanumerics>`,
 * exactly one) and the policy at `https://mta-sts.<domain>/.well-known/mta-sts.txt` (text/plain,
 * `version: STSv1`, `mode`, `max_age`, `mx` patterns), fetched through the run's DNS, certificate
 * checked, no redirects, 64 KB at most. In `enforce` and `testing` mode every MX host must match a
 * pattern. An absent record is `info`: MTA-STS is optional.
 */
import type { Lookup } from '../dns/types.js';
import { isFailure, txtValues } from '../dns/types.js';
import type { CheckResult, Finding } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';
import { fetchHttps, type FetchResult, type HttpsFetcher } from './https-fetch.js';

export const MTA_STS_MAX_BYTES = 64 * 1024;
export const MTA_STS_MAX_AGE = 31_557_600;

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy { version: string | null; mode: StsMode | null; maxAge: number | null; mx: string[] }

export interface MtaStsDetail {
  id: string | null;
  policyUrl: string;
  policy: StsPolicy | null;
  /** MX hosts and whether a pattern of the policy matches each. */
  coverage: Array<{ host: string; matched: string | null }>;
}

/** RFC 8461 §3.1: `v=STSv1; id=…` with optional extension fields. */
export function parseStsRecord(value: string): { id: string | null; problems: string[] } {
  const problems: string[] = [];
  const fields = value.split(';').map((f) => f.trim());
  if (fields[fields.length - 1] === '') fields.pop();
  if (fields[0] !== 'v=STSv1') problems.push('the record must start with exactly "v=STSv1"');
  let id: string | null = null;
  for (const field of fields.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})=([\x21-\x3a\x3c\x3e-\x7e]{1,})$/.exec(field);
    if (!m) { problems.push(`"${field}" is not a name=value field`); continue; }
    if (m[1] === 'id') {
      if (id !== null) problems.push('more than one id= field');
      id = m[2]!;
      if (!/^[A-Za-z0-9]{1,32}$/.test(id)) problems.push(`id "${id}" must be 1 to 32 letters and digits`);
    }
  }
  if (id === null) problems.push('no id= field');
  return { id, problems };
}

/** RFC 8461 §3.2: `key: value` lines (CRLF, LF tolerated); unknown keys are extensions. */
export function parseStsPolicy(text: string): { policy: StsPolicy; problems: string[] } {
  const policy: StsPolicy = { version: null, mode: null, maxAge: null, mx: [] };
  const problems: string[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const m = /^([A-Za-z0-9_.-]{1,32})[ \t]*:[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!m) { problems.push(`"${line.slice(0, 80)}" is not a "key: value" line`); continue; }
    const key = m[1]!;
    const value = m[2]!;
    if (key !== 'mx' && seen.has(key) && ['version', 'mode', 'max_age'].includes(key)) problems.push(`${key} appears more than once`);
    seen.add(key);
    if (key === 'version') policy.version = value;
    else if (key === 'mode') {
      if (value === 'enforce' || value === 'testing' || value === 'none') policy.mode = value;
      else problems.push(`mode "${value}" is not enforce, testing or none`);
    } else if (key === 'max_age') {
      if (/^\d{1,10}$/.test(value) && Number(value) <= MTA_STS_MAX_AGE) policy.maxAge = Number(value);
      else problems.push(`max_age "${value}" is not a number of seconds from 0 to ${MTA_STS_MAX_AGE}`);
    } else if (key === 'mx') {
      if (/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$/i.test(value)) policy.mx.push(value.toLowerCase().replace(/\.$/, ''));
      else problems.push(`mx "${value}" is not a host name or a "*." wildcard`);
    }
  }
  if (policy.version !== 'STSv1') problems.push(policy.version === null ? 'no "version: STSv1" line' : `version "${policy.version}" is not STSv1`);
  if (!seen.has('mode')) problems.push('no mode line');
  if (!seen.has('max_age')) problems.push('no max_age line');
  if (policy.mode && policy.mode !== 'none' && policy.mx.length === 0) problems.push(`mode ${policy.mode} with no mx line: no host can receive mail`);
  return { policy, problems };
}

/** RFC 8461 §4.1: a pattern matches the host exactly, or `*.` matches exactly one leftmost label. */
export function mxMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) {
    const rest = p.slice(2);
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === rest;
  }
  return h === p;
}

export interface MtaStsOptions {
  timeoutMs: number;
  /** The HTTPS port (default: the real fetch through the run's DNS). */
  fetch?: HttpsFetcher;
  /** The MX hosts to check the patterns against; awaited only when a policy needs them, so the rest runs meanwhile. */
  mxHosts: string[] | Promise<string[]>;
}

export async function auditMtaSts(domain: string, lookup: Lookup, opts: MtaStsOptions): Promise<CheckResult> {
  const name = `_mta-sts.${domain}`;
  const policyUrl = `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
  const detail: MtaStsDetail = { id: null, policyUrl, policy: null, coverage: [] };
  const findings: Finding[] = [];
  const result = (record: string | string[] | null, none = false): CheckResult =>
    ({ check: 'mta-sts', status: none ? 'none' : statusFromFindings(findings), name, record, findings, detail });
  const add = (severity: Finding['severity'], code: string, message: string, hint: string | null, term: string | null = null, at = name) =>
    findings.push({ severity, code, name: at, term, message, hint });

  const answer = await lookup(name, 'TXT');
  if (isFailure(answer)) {
    add('warning', 'MTA_STS_UNCHECKED', `The TXT lookup for ${name} failed (${answer.outcome}), so MTA-STS could not be checked.`,
      'Retry later or with another --resolver; this says nothing about whether the record exists.');
    return result(null, true);
  }
  // RFC 8461 §3.1: TXT records that do not begin with "v=STSv1;" are discarded.
  const records = txtValues(answer).filter((v) => /^v=STSv1(;|\s|$)/i.test(v.trim()));
  if (records.length === 0) {
    add('info', 'MTA_STS_MISSING', `No MTA-STS record at ${name}: senders may deliver to ${domain} without TLS or over a forged MX.`,
      `Optional. To require TLS, serve a policy at ${policyUrl} and publish TXT ${name} "v=STSv1; id=<a new value each time the policy changes>".`);
    return result(null, true);
  }
  if (records.length > 1) {
    add('error', 'MTA_STS_SYNTAX', `${records.length} MTA-STS records at ${name}: senders treat that as no policy (RFC 8461 §3.1).`,
      'Keep one record.', 'v');
    return result(records);
  }
  const parsedRecord = parseStsRecord(records[0]!);
  detail.id = parsedRecord.id;
  for (const p of parsedRecord.problems) add('error', 'MTA_STS_SYNTAX', `The MTA-STS record is invalid: ${p}.`, 'Use the form "v=STSv1; id=20240101T000000".');

  const fetched = await (opts.fetch ?? fetchHttps)(policyUrl, lookup, { timeoutMs: opts.timeoutMs, maxBytes: MTA_STS_MAX_BYTES });
  if (!fetched.ok) {
    policyFailure(fetched, domain, policyUrl, add);
    return result(records[0]!);
  }
  const type = (fetched.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'text/plain') {
    add('error', 'MTA_STS_SYNTAX', `The policy at ${policyUrl} is served as ${fetched.contentType ? `"${fetched.contentType}"` : 'no content type'}, not text/plain (RFC 8461 §3.2).`,
      'Serve the file with Content-Type: text/plain.', 'content-type', policyUrl);
  }
  const { policy, problems } = parseStsPolicy(fetched.body.toString('utf8'));
  detail.policy = policy;
  for (const p of problems) add('error', 'MTA_STS_SYNTAX', `The MTA-STS policy is invalid: ${p}.`, 'See RFC 8461 §3.2: version, mode, max_age and one mx line per host pattern.', null, policyUrl);
  if (policy.mode === 'testing') {
    add('info', 'MTA_STS_TESTING', 'The MTA-STS policy is in testing mode: failures are reported (TLS-RPT), mail is still delivered without TLS.',
      'When the reports show no failures, change mode to enforce and publish a new id.', 'mode', policyUrl);
  }
  if (policy.mode === 'enforce' || policy.mode === 'testing') {
    detail.coverage = (await opts.mxHosts).map((host) => ({ host, matched: policy.mx.find((p) => mxMatches(p, host)) ?? null }));
    for (const c of detail.coverage.filter((x) => x.matched === null)) {
      add(policy.mode === 'enforce' ? 'error' : 'warning', 'MTA_STS_MX_NOT_COVERED',
        `The MX host ${c.host} matches no mx pattern of the ${policy.mode} policy${policy.mode === 'enforce' ? ': senders that honour MTA-STS refuse to deliver to it' : ''}.`,
        `Add "mx: ${c.host}" to the policy and publish a new id.`, 'mx', policyUrl);
    }
  }
  return result(records[0]!);
}

function policyFailure(f: Extract<FetchResult, { ok: false }>, domain: string, url: string,
  add: (s: Finding['severity'], code: string, m: string, h: string | null, term?: string | null, at?: string) => void): void {
  const host = `mta-sts.${domain}`;
  switch (f.kind) {
    case 'cert':
      add('error', 'MTA_STS_CERT_INVALID', `The HTTPS certificate of ${host} is not valid: ${f.message}. Senders will not use the policy.`,
        `Serve ${host} with a certificate from a public CA that names ${host} and has not expired.`, null, host);
      return;
    case 'no-host':
    case 'status':
      if (f.kind === 'no-host' || f.status === 404) {
        add('error', 'MTA_STS_RECORD_WITHOUT_POLICY', `The MTA-STS record is published but there is no policy: ${f.message}.`,
          `Serve the policy at ${url}, or remove the TXT record _mta-sts.${domain}.`, null, url);
        return;
      }
      add('error', 'MTA_STS_POLICY_UNREACHABLE', `The MTA-STS policy could not be fetched: ${f.message}.`, `Serve it at ${url} with status 200.`, null, url);
      return;
    case 'redirect':
      add('error', 'MTA_STS_POLICY_UNREACHABLE', `The MTA-STS policy could not be fetched: ${f.message} (RFC 8461 §3.3: senders do not follow redirects).`,
        `Serve the policy itself at ${url}.`, null, url);
      return;
    case 'too-large':
      add('error', 'MTA_STS_POLICY_UNREACHABLE', `The MTA-STS policy could not be used: ${f.message}.`, 'Serve the short text policy, nothing else.', null, url);
      return;
    default:
      // DNS failure, timeout, refused: could not fetch from here — not proof that senders cannot.
      add('warning', 'MTA_STS_POLICY_UNREACHABLE', `The MTA-STS policy could not be fetched from here: ${f.message}. It was not checked.`,
        `Check that ${url} answers over HTTPS; retry with a longer --timeout.`, null, url);
  }
}
