/**
 * `mailsetup reports <path|->...`: read DMARC aggregate reports, name and class who sends as each
 * policy domain, and say whether the next DMARC step is safe (DESIGN.md "`reports`"). Parses the
 * flags, runs the use case (src/core/reports.ts, shared with the library) and prints it as a table,
 * JSON or CSV. Keeps no state; reads the state file only to name the senders mailsetup set up.
 */
import { MailsetupError } from '../../errors.js';
import { reportsExit, runReports } from '../../core/reports.js';
import { createContext, type GlobalOptions } from '../context.js';

const FORMATS = ['table', 'json', 'csv'] as const;

export async function reportsCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const format = (globals.json ? 'json' : (options.format as string | undefined) ?? 'table') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new MailsetupError('USAGE', `--format: "${String(options.format)}" is not one of ${FORMATS.join(', ')}`, { hint: 'Use --format table, json or csv.' });
  const ctx = createContext({ ...globals, json: format === 'json' });
  const readsDns = options.dns !== false;
  const outcome = await ctx.out.waitFor(readsDns ? 'reading the reports and the live _dmarc records' : 'reading the reports', runReports(ctx, {
    paths: args,
    domains: options.domain as string[] | undefined,
    since: options.since === undefined ? undefined : String(options.since),
    to: options.to === undefined ? undefined : String(options.to),
    strict: !!options.strict,
    dns: readsDns,
  }));
  for (const n of outcome.notes) ctx.out.note(n);

  if (format === 'json') ctx.out.document(outcome.document);
  else if (format === 'csv') process.stdout.write((await import('../../render/reports.js')).renderCsv(outcome.analysis));
  else {
    const [{ Chalk }, { renderHuman }] = await Promise.all([import('chalk'), import('../../render/reports.js')]);
    const c = new Chalk({ level: ctx.out.colorLevel });
    // Each domain's first line (its verdict) is the result: kept with --quiet.
    for (const l of renderHuman(outcome.analysis, { red: c.red, yellow: c.yellow, green: c.green, gray: c.gray, bold: c.bold }, ctx.out.columns)) (l.result ? ctx.out.result(l.text) : ctx.out.line(l.text));
  }
  const { code, warning } = reportsExit(outcome, !!options.exitCode);
  if (warning) ctx.out.warn(warning);
  return code;
}
