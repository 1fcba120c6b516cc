/**
 * `validate` as the CLI and the library run it: the request checked before any DNS question (the
 * selectors, `--helo` without `--ip`, every target parsed, `--file` read line by line), duplicates
 * audited once, then every target audited with a bounded concurrency over one DNS engine (the
 * questions they share are asked once).
 */
import { readFileSync } from 'node:fs';
import { parseIdentity, parseSmtpIdentity, type Identity } from '../model/domain-name.js';
import { MailsetupError } from '../errors.js';
import { terminalSafe } from '../render/escape.js';
import { mapLimit } from '../util/concurrency.js';
import { runValidate, type ValidateReport } from './validate.js';
import type { Runtime } from './runtime.js';

/** HTTPS fetches (MTA-STS policy, BIMI logo) and SMTP conversations without --timeout: slower than DNS. */
const HTTPS_TIMEOUT_MS = 10_000;

/** Domains checked at once; their DNS questions share the engine's cache and its in-flight bound. */
const DOMAIN_CONCURRENCY = 8;

export interface ValidateRequest {
  /** Domains or addresses, as given. */
  targets: string[];
  /** `--file`: one target per line. */
  file?: string;
  selectors?: string[];
  ip?: string;
  helo?: string;
  /** `--smtp`: also talk to each MX host on port 25. */
  smtp?: boolean;
  /** For HTTPS and SMTP; default 10 s (DNS questions use the Runtime's timeout). */
  networkTimeoutMs?: number;
}

type Target = Identity & { problem?: string | null };

/**
 * `--file`: one domain (or address) per line; `#` starts a comment, blank lines are skipped. A bad
 * entry is a usage error naming its line, so a typo in a long list is found, not silently dropped.
 */
export function readDomainFile(path: string): Array<{ text: string; line: number }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new MailsetupError('USAGE', `--file: cannot read ${terminalSafe(path, false)} (${why})`, { hint: 'Give a text file with one domain per line.' });
  }
  const out: Array<{ text: string; line: number }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const entry = raw.replace(/#.*$/, '').trim();
    if (entry) out.push({ text: entry, line: i + 1 });
  });
  return out;
}

/** Every check that needs no network, in the order the CLI reports them; the unique targets. */
export function checkValidateRequest(r: ValidateRequest): Target[] {
  if (r.helo !== undefined && r.ip === undefined) {
    throw new MailsetupError('USAGE', '--helo needs --ip: the HELO name is only used to evaluate SPF for a client address', { hint: 'Add --ip <address>, for example --ip 192.0.2.1 --helo mail.example.com.' });
  }
  for (const s of r.selectors ?? []) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(s)) {
      throw new MailsetupError('USAGE', `--selector: "${s}" is not a DKIM selector`, { hint: 'A selector is the label before ._domainkey, such as s1 or google.' });
    }
  }
  // Targets: the arguments, then the file's lines; each parsed before any DNS question is asked.
  const parse = (t: string): Target => (r.ip !== undefined ? parseSmtpIdentity(t) : parseIdentity(t, { smtp: true }));
  const identities = r.targets.map(parse);
  if (r.file !== undefined) {
    for (const entry of readDomainFile(r.file)) {
      try {
        identities.push(parse(entry.text));
      } catch (e) {
        if (e instanceof MailsetupError) throw new MailsetupError(e.code, `--file ${terminalSafe(r.file, false)} line ${entry.line}: ${e.message}`, { hint: e.hint });
        throw e;
      }
    }
  }
  if (identities.length === 0) {
    throw new MailsetupError('USAGE', r.file !== undefined ? `--file ${terminalSafe(r.file, false)} names no domain` : 'validate needs a domain, an email address or --file',
      { hint: 'Run "mailsetup validate acme.com", or list domains one per line in a file for --file.' });
  }
  // The same domain twice is audited once (an address and its domain count as two: the address is shown).
  const seen = new Set<string>();
  return identities.filter((id) => { const k = id.email ?? id.domain; if (seen.has(k)) return false; seen.add(k); return true; });
}

/** Audit the checked targets (from `checkValidateRequest`), in their order. */
export function validateTargets(rt: Runtime, targets: Target[], r: ValidateRequest): Promise<ValidateReport[]> {
  const deps = { dns: rt.dns, resolvers: rt.resolvers, authoritative: rt.authoritative, timeoutMs: r.networkTimeoutMs ?? HTTPS_TIMEOUT_MS, smtp: !!r.smtp };
  return mapLimit(targets, DOMAIN_CONCURRENCY, (identity) =>
    runValidate({ identity, selectors: r.selectors ?? [], ...(r.ip ? { ip: r.ip } : {}), ...(r.helo !== undefined ? { helo: r.helo } : {}) }, deps));
}

/** `validate --json`: the report without the engine's internal reachability flag. */
export function validateDocument(r: ValidateReport): Omit<ValidateReport, 'unreachable'> {
  const { unreachable: _u, ...rest } = r;
  return rest;
}
