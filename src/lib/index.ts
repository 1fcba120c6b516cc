/**
 * mailsetup as a library: the use cases as functions that take options and return the same
 * documents `--json` prints (see schemas/). No console output, no prompt, no process exit; every
 * failure is one thrown type, `MailsetupError`, with a stable `code`, the CLI's `exitCode` and a
 * `hint`. Credentials come from `options.env` (default `process.env`), as for the CLI.
 *
 *   import { validate, verify } from 'mailsetup';
 *   const report = await validate('acme.com', { resolvers: ['1.1.1.1'] });
 */
import { parseIdentity, parseSmtpIdentity } from '../model/domain-name.js';
import { runValidate } from '../core/validate.js';
import { runVerify } from '../core/verify.js';
import { verifyDocument } from '../render/verify.js';
import { createContext, type Context } from '../cli/context.js';
import { resolveTargets, verifyDeps } from '../core/targets.js';
import { listDomains } from '../core/registry.js';
import type { DomainStatus } from '../state/schema.js';

export { MailsetupError, EXIT, type ErrorCode } from '../errors.js';
export * from './insights.js';
export type { DnsRecord, RecordPurpose, RecordType } from '../model/record.js';
export type { Finding, CheckResult, Severity } from '../model/finding.js';
export type { ValidateReport } from '../core/validate.js';

export interface ClientOptions {
  /** Recursive resolvers (`ip[:port]`); default: the system's (/etc/resolv.conf). */
  resolvers?: string[];
  /** Treat these servers as authoritative for the domain (skips NS discovery). */
  authoritative?: string[];
  /** Per network call, in ms (default 2500 for DNS, 30000 for provider APIs). */
  timeoutMs?: number;
  /** The state file (default: as the CLI finds it). */
  config?: string;
  /** Where credentials are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** A CLI-equivalent context that never prints: JSON mode, quiet (the port writes only when asked). */
function context(o: ClientOptions): Context {
  return createContext({
    json: true, quiet: true,
    ...(o.resolvers ? { resolver: o.resolvers } : {}),
    ...(o.authoritative ? { authoritative: o.authoritative } : {}),
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    ...(o.config ? { config: o.config } : {}),
  }, o.env ?? process.env);
}

export interface ValidateOptions extends ClientOptions {
  /** DKIM selectors to check (default: probe common selectors). */
  selectors?: string[];
  /** Also run SPF check_host() for this client address. */
  ip?: string;
  /** With `ip`: the HELO name, taken as given. */
  helo?: string;
}

/** `mailsetup validate <target> --json`: the audit of a domain or an address's domain. */
export async function validate(target: string, options: ValidateOptions = {}): Promise<Omit<import('../core/validate.js').ValidateReport, 'unreachable'>> {
  const identity = options.ip !== undefined ? parseSmtpIdentity(target) : parseIdentity(target, { smtp: true });
  const ctx = context(options);
  const report = await runValidate(
    { identity, selectors: options.selectors ?? [], ...(options.ip ? { ip: options.ip } : {}), ...(options.helo !== undefined ? { helo: options.helo } : {}) },
    { dns: ctx.dns, resolvers: ctx.resolvers, authoritative: ctx.authoritative },
  );
  const { unreachable: _u, ...doc } = report;
  return doc;
}

export interface VerifyOptions extends ClientOptions {
  /** Check DNS against the stored records only (no provider credentials needed). */
  noProvider?: boolean;
  /** Re-read the record list from the provider first. */
  refresh?: boolean;
}

/** `mailsetup verify <domains> --json` (always an array here): one document per domain. */
export async function verify(domains: string[] | 'all', options: VerifyOptions = {}): Promise<Array<ReturnType<typeof verifyDocument>>> {
  const ctx = context(options);
  const names = await resolveTargets(ctx, domains === 'all' ? [] : domains, domains === 'all');
  const results = await runVerify(names, { noProvider: !!options.noProvider, refresh: !!options.refresh }, verifyDeps(ctx));
  return results.map(verifyDocument);
}

/** `mailsetup list --json`: the domains in the state file, optionally one status only. */
export async function list(options: Pick<ClientOptions, 'config' | 'env'> & { status?: DomainStatus } = {}): Promise<{ domains: Awaited<ReturnType<typeof listDomains>> }> {
  const ctx = context(options);
  return { domains: await listDomains(ctx.store(), options.status) };
}
