/**
 * mailsetup as a library: the use cases as functions that take options and return the same
 * documents `--json` prints (see schemas/). No console output, no prompt, no process exit; every
 * failure is one thrown type, `MailsetupError`, with a stable `code`, the CLI's `exitCode` and a
 * `hint`. Credentials come from `options.env` (default `process.env`), as for the CLI.
 *
 *   import { validate, verify } from 'mailsetup';
 *   const report = await validate('acme.com', { resolvers: ['1.1.1.1'] });
 *
 * Each function is the CLI command without its front end: the same core calls (src/core/) and the
 * same document builders, so a document cannot differ between the two.
 */
import { parseDomain } from '../model/domain-name.js';
import { checkValidateRequest, validateDocument, validateTargets, type ValidateRequest } from '../core/validate-targets.js';
import { runVerify } from '../core/verify.js';
import { verifyDocument } from '../render/verify.js';
import { runtime, type ClientOptions } from './client.js';
import { resolveTargets, verifyDeps } from '../core/targets.js';
import { listDomains, recordsDocument, removalTarget, removeTarget } from '../core/registry.js';
import { addDocument, addTarget } from '../core/add.js';
import { applyFailure, applySession, openAutoconfig, parseTtl } from '../core/autoconfig.js';
import { recheck } from '../core/recheck.js';
import { autoconfigDocument } from '../render/plan.js';
import { MailsetupError, redact } from '../errors.js';
import { RERUN_HINT } from '../dns-hosts/pin.js';
import type { DomainStatus } from '../state/schema.js';
import type {
  AddDocument, AutoconfigDocument, ListDocument, RecordsDocument, RemoveDocument, ValidateReportDocument, VerifyDomainDocument,
} from './documents.js';

export { MailsetupError, EXIT, type ErrorCode } from '../errors.js';
export * from './insights.js';
export type { DnsRecord, RecordPurpose, RecordType } from '../model/record.js';
export type { Finding, CheckResult, Severity } from '../model/finding.js';
export type * from './documents.js';

export type { ClientOptions } from './client.js';

export interface ValidateOptions extends ClientOptions {
  /** DKIM selectors to check (default: probe common selectors). */
  selectors?: string[];
  /** Also run SPF check_host() for this client address. */
  ip?: string;
  /** With `ip`: the HELO name, taken as given. */
  helo?: string;
  /** Also talk to each MX host on port 25 (STARTTLS, certificate). */
  smtp?: boolean;
  /** For the HTTPS fetches (MTA-STS, BIMI) and SMTP; default 10 s. */
  networkTimeoutMs?: number;
}

/**
 * `mailsetup validate <target> --json`: the audit of a domain or an address's domain; given several
 * targets, one report each, in order (the same domain twice is audited once).
 */
export async function validate(target: string, options?: ValidateOptions): Promise<ValidateReportDocument>;
export async function validate(targets: string[], options?: ValidateOptions): Promise<ValidateReportDocument[]>;
export async function validate(target: string | string[], options: ValidateOptions = {}): Promise<ValidateReportDocument | ValidateReportDocument[]> {
  const request: ValidateRequest = {
    targets: Array.isArray(target) ? target : [target], selectors: options.selectors ?? [], smtp: !!options.smtp,
    ...(options.ip !== undefined ? { ip: options.ip } : {}), ...(options.helo !== undefined ? { helo: options.helo } : {}),
    ...(options.networkTimeoutMs !== undefined ? { networkTimeoutMs: options.networkTimeoutMs } : {}),
  };
  const targets = checkValidateRequest(request);
  const docs = (await validateTargets(runtime(options), targets, request)).map(validateDocument) as unknown as ValidateReportDocument[];
  return Array.isArray(target) ? docs : docs[0]!;
}

export interface VerifyOptions extends ClientOptions {
  /** Check DNS against the stored records only (no provider credentials needed). */
  noProvider?: boolean;
  /** Re-read the record list from the provider first. */
  refresh?: boolean;
}

/** `mailsetup verify <domains> --json` (always an array here): one document per domain. */
export async function verify(domains: string[] | 'all', options: VerifyOptions = {}): Promise<VerifyDomainDocument[]> {
  const rt = runtime(options);
  const names = await resolveTargets(rt, domains === 'all' ? [] : domains, domains === 'all');
  const results = await runVerify(names, { noProvider: !!options.noProvider, refresh: !!options.refresh }, verifyDeps(rt));
  return results.map(verifyDocument) as unknown as VerifyDomainDocument[];
}

/** `mailsetup list --json`: the domains in the state file, optionally one status only. */
export async function list(options: Pick<ClientOptions, 'config' | 'env'> & { status?: DomainStatus } = {}): Promise<ListDocument> {
  const rt = runtime(options);
  return { domains: await listDomains(rt.store(), options.status) } as ListDocument;
}

export interface AddOptions extends ClientOptions {
  /** `ses`, `sendgrid`, `mailgun` or `resend`; default: the provider the domain is stored with, else the state file's default. */
  provider?: string;
  region?: string;
  /** Custom MAIL FROM label (`<label>.<domain>`). */
  mailFrom?: string;
  /** SES: `easy` (default) or `byo` (the key pair is generated here and handed to SES only). */
  dkim?: 'easy' | 'byo';
  dkimKeySize?: 1024 | 2048;
  /** The recommended DMARC policy, or `skip`; never weaker than the policy in force. */
  dmarc?: 'none' | 'quarantine' | 'reject' | 'skip';
  /** `mailto:` address for aggregate reports in the recommended DMARC record. */
  dmarcRua?: string;
  /** Also list the provider's receiving MX. */
  inbound?: boolean;
}

/** `mailsetup add <domain|email> --json`: register (or adopt) the identity and store its records. */
export async function add(target: string, options: AddOptions = {}): Promise<AddDocument> {
  const rt = runtime(options);
  const { result } = await addTarget(rt, target, options);
  return addDocument(result) as unknown as AddDocument;
}

/** `mailsetup records <domain> --json`: the records to publish for a stored domain. */
export async function records(domain: string, options: Pick<ClientOptions, 'config' | 'env'> & { zone?: string } = {}): Promise<RecordsDocument> {
  return await recordsDocument(runtime(options), domain, options.zone) as RecordsDocument;
}

/** `mailsetup remove <domain> --yes --json`: calling it is the confirmation. DNS is never touched. */
export async function remove(target: string, options: ClientOptions & { keepProvider?: boolean } = {}): Promise<RemoveDocument> {
  const rt = runtime(options);
  const { key, entry } = await removalTarget(rt, target);
  return await removeTarget(rt, key, entry, { keepProvider: !!options.keepProvider }) as RemoveDocument;
}

export interface AutoconfigOptions extends ClientOptions {
  /** `cloudflare`, `route53`, `resellerclub` or `rfc2136`; default: detected from the zone's NS. */
  dnsHost?: string;
  /** TTL of the records written (default 3600). */
  ttl?: number;
}

/** `mailsetup autoconfig <domain> --dry-run --json`: the plan against the zone as it is now. Writes nothing. */
export async function autoconfigPlan(domain: string, options: AutoconfigOptions = {}): Promise<AutoconfigDocument> {
  const rt = runtime(options);
  const s = await openAutoconfig(rt, parseDomain(domain), { dnsHost: options.dnsHost, ttl: parseTtl(options.ttl) });
  return autoconfigDocument(s, { dryRun: true }) as unknown as AutoconfigDocument;
}

export interface AutoconfigApplyOptions extends AutoconfigOptions {
  /**
   * The plan the caller showed and approved (from `autoconfigPlan`). When given, nothing is written
   * unless the plan made now is the same: a zone edited in between is a HOST_CONFLICT, not a write
   * the approver never saw.
   */
  approved?: AutoconfigDocument;
  /** Do not ask the provider after writing (DNS alone decides `dnsStatus` either way). */
  noProvider?: boolean;
  /** How long to wait for the authoritative servers to serve the new zone (default 60 s). */
  waitMs?: number;
}

const planKey = (d: { changes?: unknown }): string => JSON.stringify(d.changes);

/**
 * `mailsetup autoconfig <domain> --yes --json`: plan, apply, wait for the authoritative servers,
 * re-check. A host that refused or stopped half way throws `MailsetupError` (HOST_CONFLICT or the
 * host's code) whose `document` is the --json document, with what was applied.
 */
export async function autoconfig(domain: string, options: AutoconfigApplyOptions = {}): Promise<AutoconfigDocument> {
  const rt = runtime(options);
  const name = parseDomain(domain);
  const s = await openAutoconfig(rt, name, { dnsHost: options.dnsHost, ttl: parseTtl(options.ttl) });
  if (options.approved && planKey(options.approved) !== planKey(autoconfigDocument(s, {}))) {
    throw new MailsetupError('HOST_CONFLICT', `the plan for ${name} is not the one approved: the zone or the stored records changed since; nothing was written`, { hint: RERUN_HINT.replace('Run autoconfig again', 'Call autoconfigPlan again') });
  }
  const run: Parameters<typeof autoconfigDocument>[1] = {};
  if (s.changes.length > 0) {
    run.apply = await applySession(rt, s, options.waitMs);
    const failure = applyFailure(s, run.apply);
    if (failure) {
      run.error = failure;
      throw new MailsetupError(failure.code, redact(failure.message, rt.env), { hint: failure.hint === null ? null : redact(failure.hint, rt.env), document: autoconfigDocument(s, run, rt.env) });
    }
  }
  run.recheck = await recheck(name, { wrote: s.changes.length > 0, noProvider: !!options.noProvider, env: rt.env }, verifyDeps(rt));
  return autoconfigDocument(s, run, rt.env) as unknown as AutoconfigDocument;
}
