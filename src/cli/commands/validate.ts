import { validateExitCode, type ValidateReport } from '../../core/validate.js';
import { checkValidateRequest, validateDocument, validateTargets, type ValidateRequest } from '../../core/validate-targets.js';
import { renderValidate, renderValidateCsv, renderValidateSummary } from '../../render/validate.js';
import { painter } from '../../render/paint.js';
import { terminalSafe } from '../../render/escape.js';
import { wrapLines } from '../../render/table.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { createContext, type GlobalOptions } from '../context.js';

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export async function validateCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const format = (options.format as string | undefined) ?? (globals.json ? 'json' : 'table');
  if (!FORMATS.includes(format as Format)) {
    throw new MailsetupError('USAGE', `--format: "${format}" is not one of ${FORMATS.join(', ')}`, { hint: 'Use --format table, json or csv.' });
  }
  const request: ValidateRequest = {
    targets: args, selectors: (options.selector as string[] | undefined) ?? [], smtp: !!options.smtp,
    ...(typeof options.file === 'string' ? { file: options.file } : {}),
    ...(options.ip !== undefined ? { ip: options.ip as string } : {}),
    ...(options.helo !== undefined ? { helo: options.helo as string } : {}),
    ...(globals.timeout !== undefined ? { networkTimeoutMs: globals.timeout } : {}),
  };
  const unique = checkValidateRequest(request);
  const many = unique.length > 1 || options.file !== undefined;

  const ctx = createContext({ ...globals, json: format === 'json' || !!globals.json });
  ctx.out.debug(`resolvers: ${ctx.resolvers.join(', ')}${ctx.authoritative.length ? `; authoritative: ${ctx.authoritative.join(', ')}` : ''}`);
  const what = unique.length === 1 ? unique[0]!.domain : `${unique.length} domains`;
  const reports = await ctx.out.waitFor(`checking SPF, DKIM, DMARC, MX and transport security of ${what}`, validateTargets(ctx, unique, request));
  ctx.out.debug(`DNS questions: ${ctx.dns.sent} sent for ${ctx.dns.asked} asked`);

  if (format === 'json' || ctx.out.json) {
    ctx.out.document(many ? reports.map(validateDocument) : validateDocument(reports[0]!));
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
