import { parseIdentity, parseSmtpIdentity } from '../../model/domain-name.js';
import { wrapLines } from '../../render/table.js';
import { runValidate, validateExitCode } from '../../core/validate.js';
import { renderValidate } from '../../render/validate.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { createContext, type GlobalOptions } from '../context.js';

export async function validateCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  // With --ip the identity is what a receiver got off the wire: a malformed domain is evaluated (none).
  const identity = options.ip !== undefined ? parseSmtpIdentity(args[0] ?? '') : parseIdentity(args[0] ?? '', { smtp: true });
  const ctx = createContext(globals);
  const selectors = (options.selector as string[] | undefined) ?? [];
  for (const s of selectors) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(s)) {
      throw new MailsetupError('USAGE', `--selector: "${s}" is not a DKIM selector`, { hint: 'A selector is the label before ._domainkey, such as s1 or google.' });
    }
  }
  const ip = options.ip as string | undefined;
  const helo = options.helo as string | undefined;
  if (helo !== undefined && ip === undefined) {
    throw new MailsetupError('USAGE', '--helo needs --ip: the HELO name is only used to evaluate SPF for a client address', { hint: 'Add --ip <address>, for example --ip 192.0.2.1 --helo mail.example.com.' });
  }
  ctx.out.debug(`resolvers: ${ctx.resolvers.join(', ')}${ctx.authoritative.length ? `; authoritative: ${ctx.authoritative.join(', ')}` : ''}`);
  const report = await ctx.out.waitFor(`checking SPF, DKIM, DMARC and MX of ${identity.domain}`, runValidate({ identity, selectors, ...(ip ? { ip } : {}), ...(helo !== undefined ? { helo } : {}) },
    { dns: ctx.dns, resolvers: ctx.resolvers, authoritative: ctx.authoritative }));
  ctx.out.debug(`DNS questions: ${report.dns.questions} sent for ${report.dns.asked} asked`);
  if (ctx.out.json) {
    const { unreachable: _u, ...doc } = report;
    ctx.out.document(doc);
  } else {
    // --quiet keeps the verdict line (the result); everything else is dropped.
    // The table always fits; on a terminal the prose (findings, SPF trace) is wrapped at spaces too.
    // Piped, prose lines stay whole, one finding per line, for grep and scripts.
    const lines = renderValidate(report, ctx.out.colorLevel, ctx.out.columns);
    for (const line of ctx.out.interactive ? wrapLines(lines, ctx.out.columns) : lines) (line.startsWith('Verdict:') ? ctx.out.result(line) : ctx.out.line(line));
  }
  // With --ip the question asked is the SPF result, and DNS trouble is its answer (temperror), not exit 69.
  if (report.unreachable && !report.spf) {
    if (!ctx.out.json) ctx.out.warn(`error: no DNS server answered for ${report.domain} [DNS_UNAVAILABLE]\nhint: Check the network or pass a reachable server with --resolver.`);
    return EXIT.UNAVAILABLE;
  }
  return options.exitCode ? validateExitCode(report) : EXIT.OK;
}
