import { readFileSync } from 'node:fs';
import { parseIdentity, parseSmtpIdentity, type Identity } from '../../model/domain-name.js';
import { runValidate, validateExitCode, type ValidateReport } from '../../core/validate.js';
import { renderValidate, renderValidateCsv, renderValidateSummary } from '../../render/validate.js';
import { painter } from '../../render/paint.js';
import { terminalSafe } from '../../render/escape.js';
import { wrapLines } from '../../render/table.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { mapLimit } from '../../util/concurrency.js';
import { createContext, type GlobalOptions } from '../context.js';

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/** HTTPS fetches (MTA-STS policy, BIMI logo) and SMTP conversations without --timeout: slower than DNS. */
const HTTPS_TIMEOUT_MS = 10_000;

/** Domains checked at once; their DNS questions share the engine's cache and its in-flight bound. */
const DOMAIN_CONCURRENCY = 8;

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

export async function validateCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const format = (options.format as string | undefined) ?? (globals.json ? 'json' : 'table');
  if (!FORMATS.includes(format as Format)) {
    throw new MailsetupError('USAGE', `--format: "${format}" is not one of ${FORMATS.join(', ')}`, { hint: 'Use --format table, json or csv.' });
  }
  const ip = options.ip as string | undefined;
  const helo = options.helo as string | undefined;
  if (helo !== undefined && ip === undefined) {
    throw new MailsetupError('USAGE', '--helo needs --ip: the HELO name is only used to evaluate SPF for a client address', { hint: 'Add --ip <address>, for example --ip 192.0.2.1 --helo mail.example.com.' });
  }
  const selectors = (options.selector as string[] | undefined) ?? [];
  for (const s of selectors) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(s)) {
      throw new MailsetupError('USAGE', `--selector: "${s}" is not a DKIM selector`, { hint: 'A selector is the label before ._domainkey, such as s1 or google.' });
    }
  }

  // Targets: the arguments, then the file's lines; each parsed before any DNS question is asked.
  const parse = (t: string): Identity & { problem?: string | null } =>
    (ip !== undefined ? parseSmtpIdentity(t) : parseIdentity(t, { smtp: true }));
  const identities: Array<Identity & { problem?: string | null }> = args.map(parse);
  if (typeof options.file === 'string') {
    for (const entry of readDomainFile(options.file)) {
      try {
        identities.push(parse(entry.text));
      } catch (e) {
        if (e instanceof MailsetupError) throw new MailsetupError(e.code, `--file ${terminalSafe(options.file, false)} line ${entry.line}: ${e.message}`, { hint: e.hint });
        throw e;
      }
    }
  }
  if (identities.length === 0) {
    throw new MailsetupError('USAGE', options.file !== undefined ? `--file ${terminalSafe(String(options.file), false)} names no domain` : 'validate needs a domain, an email address or --file',
      { hint: 'Run "mailsetup validate acme.com", or list domains one per line in a file for --file.' });
  }
  // The same domain twice is audited once (an address and its domain count as two: the address is shown).
  const seen = new Set<string>();
  const unique = identities.filter((id) => { const k = id.email ?? id.domain; if (seen.has(k)) return false; seen.add(k); return true; });
  const many = unique.length > 1 || options.file !== undefined;

  const ctx = createContext({ ...globals, json: format === 'json' || !!globals.json });
  ctx.out.debug(`resolvers: ${ctx.resolvers.join(', ')}${ctx.authoritative.length ? `; authoritative: ${ctx.authoritative.join(', ')}` : ''}`);
  const deps = { dns: ctx.dns, resolvers: ctx.resolvers, authoritative: ctx.authoritative, timeoutMs: globals.timeout ?? HTTPS_TIMEOUT_MS, smtp: !!options.smtp };
  const what = unique.length === 1 ? unique[0]!.domain : `${unique.length} domains`;
  const reports = await ctx.out.waitFor(`checking SPF, DKIM, DMARC, MX and transport security of ${what}`, mapLimit(unique, DOMAIN_CONCURRENCY, (identity) =>
    runValidate({ identity, selectors, ...(ip ? { ip } : {}), ...(helo !== undefined ? { helo } : {}) }, deps)));
  ctx.out.debug(`DNS questions: ${ctx.dns.sent} sent for ${ctx.dns.asked} asked`);

  const doc = (r: ValidateReport) => { const { unreachable: _u, ...rest } = r; return rest; };
  if (format === 'json' || ctx.out.json) {
    ctx.out.document(many ? reports.map(doc) : doc(reports[0]!));
  } else if (format === 'csv') {
    // CSV is the result itself (printed even with --quiet); the renderer escaped it, the net runs again.
    for (const l of renderValidateCsv(reports)) process.stdout.write(terminalSafe(l, false) + '\n');
  } else {
    const c = await painter(ctx.out.colorLevel);
    reports.forEach((report, i) => {
      if (i > 0) ctx.out.line('');
      // --quiet keeps the verdict line (the result). The table always fits; on a terminal the prose
      // (findings, SPF trace) is wrapped at spaces too; piped, one finding per line for grep.
      const lines = renderValidate(report, c, ctx.out.colorLevel, ctx.out.columns);
      for (const line of ctx.out.interactive ? wrapLines(lines, ctx.out.columns) : lines) (line.startsWith('Verdict:') ? ctx.out.result(line) : ctx.out.line(line));
    });
    if (many) for (const line of renderValidateSummary(reports, c)) ctx.out.line(line);
  }
  return exitStatus(reports, !!options.exitCode, (r) => {
    if (!ctx.out.json && format !== 'csv') ctx.out.warn(`error: no DNS server answered for ${r.domain} [DNS_UNAVAILABLE]\nhint: Check the network or pass a reachable server with --resolver.`);
    else if (format === 'csv') ctx.out.warn(`error: no DNS server answered for ${r.domain} [DNS_UNAVAILABLE]`);
  });
}

/**
 * Over all domains: with `--exit-code`, 2 when any has an error finding (with `--ip`, any that may
 * not send); a domain nothing could be checked for is 69 unless another already failed (never 0:
 * "could not check" is not "pass"); else 0. With `--ip` DNS trouble is its SPF answer (temperror).
 */
function exitStatus(reports: ValidateReport[], exitCode: boolean, onUnreachable: (r: ValidateReport) => void): number {
  const unreachable = reports.filter((r) => r.unreachable && !r.spf);
  for (const r of unreachable) onUnreachable(r);
  if (!exitCode) return unreachable.length > 0 ? EXIT.UNAVAILABLE : EXIT.OK;
  const codes = reports.map((r) => (r.unreachable && !r.spf ? EXIT.UNAVAILABLE : validateExitCode(r)));
  if (codes.includes(EXIT.FAILED)) return EXIT.FAILED;
  if (codes.includes(EXIT.UNAVAILABLE)) return EXIT.UNAVAILABLE;
  return EXIT.OK;
}
