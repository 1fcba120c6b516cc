/**
 * `mailsetup reports <path|->...`: read DMARC aggregate reports, name and class who sends as each
 * policy domain, and say whether the next DMARC step is safe (DESIGN.md "`reports`"). Keeps no
 * state; reads the state file only to name the senders mailsetup set up.
 */
import { MailsetupError, EXIT } from '../../errors.js';
import { parseDuration } from '../../util/duration.js';
import { createContext, type GlobalOptions } from '../context.js';
import type { StateFile } from '../../state/schema.js';

const FORMATS = ['table', 'json', 'csv'] as const;

/** `30d`, `4w`, `12h`, or any duration `--timeout` accepts. */
export function parseSince(text: string): number {
  const m = /^(\d+)\s*(d|w)$/.exec(text.trim());
  if (m) return Number(m[1]) * (m[2] === 'w' ? 7 : 1) * 86_400;
  return Math.round(parseDuration(text, '--since') / 1000);
}

function parseTo(text: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T23:59:59Z`) : new Date(text);
  if (Number.isNaN(d.getTime())) throw new MailsetupError('USAGE', `--to: "${text}" is not a date`, { hint: 'Use a date such as 2026-12-05 or an ISO 8601 time.' });
  return d;
}

export async function reportsCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const format = (globals.json ? 'json' : (options.format as string | undefined) ?? 'table') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new MailsetupError('USAGE', `--format: "${String(options.format)}" is not one of ${FORMATS.join(', ')}`, { hint: 'Use --format table, json or csv.' });
  if (args.length === 0) throw new MailsetupError('USAGE', 'no input: give report files, folders, e-mails or - for standard input', { hint: 'mailsetup reports ~/dmarc-reports' });
  if (args.includes('-') && process.stdin.isTTY) {
    throw new MailsetupError('USAGE', '"-" reads reports from standard input, which is a terminal here', { hint: 'Pipe them in: zcat report.xml.gz | mailsetup reports -' });
  }
  const since = parseSince(String(options.since ?? '30d'));
  const now = options.to ? parseTo(String(options.to)) : new Date();
  const domains = (options.domain as string[] | undefined)?.map((d) => d.trim().toLowerCase());
  const ctx = createContext({ ...globals, json: format === 'json' });

  const [{ readInputs }, { analyze }, render] = await Promise.all([
    import('../../reports/read.js'), import('../../reports/analyze.js'), import('../../render/reports.js'),
  ]);
  const read = await readInputs(args);
  let state: StateFile | null = null;
  try { state = await ctx.store().read(); } catch (e) {
    if (e instanceof MailsetupError && e.code === 'CONFIG_INVALID') throw e;
    ctx.out.debug(`state file not read: ${e instanceof Error ? e.message : String(e)}`);
  }

  // The live _dmarc record of each policy domain (as `validate` reads it), unless --no-dns.
  const live = new Map<string, string | null | undefined>();
  if (options.dns !== false && read.reports.length > 0) {
    const [{ validateLookup }, { isFailure, txtValues }, { looksLikeDmarc }] = await Promise.all([
      import('../../core/validate.js'), import('../../dns/types.js'), import('../../validators/dmarc.js'),
    ]);
    const wanted = [...new Set(read.reports.map((r) => r.policy.domain))].filter((d) => !domains || domains.includes(d));
    await Promise.all(wanted.map(async (d) => {
      const answer = await validateLookup(d, { dns: ctx.dns, resolvers: ctx.resolvers, authoritative: ctx.authoritative })(`_dmarc.${d}`, 'TXT');
      if (isFailure(answer)) { ctx.out.note(`Could not read _dmarc.${d} (${answer.outcome}); the newest report's policy is used instead.`); return; }
      const records = txtValues(answer).filter(looksLikeDmarc);
      if (records.length > 1) { ctx.out.note(`_dmarc.${d} holds ${records.length} DMARC records (receivers ignore them all); the newest report's policy is used instead.`); return; }
      live.set(d, records[0] ?? null);
    }));
  }

  const doc = analyze(read, { now, sinceSeconds: since, domains, state, live, strict: !!options.strict });
  const noReport = read.reports.length === 0;
  const empty = doc.domains.length === 0;

  if (format === 'json') ctx.out.document(render.toJson(doc));
  else if (format === 'csv') process.stdout.write(render.renderCsv(doc));
  else {
    const { Chalk } = await import('chalk');
    const c = new Chalk({ level: ctx.out.colorLevel });
    for (const l of render.renderHuman(doc, { red: c.red, yellow: c.yellow, green: c.green, gray: c.gray, bold: c.bold })) ctx.out.line(l);
  }
  if (noReport) {
    ctx.out.warn('No DMARC aggregate report was found in the inputs.');
    return EXIT.USAGE;
  }
  if (empty) {
    ctx.out.warn(domains ? `No report for ${domains.join(', ')} in the window.` : `No report in the window (${Math.round(since / 86_400)} days up to ${now.toISOString().slice(0, 10)}); widen it with --since or move it with --to.`);
    return EXIT.USAGE;
  }
  if (!options.exitCode) return EXIT.OK;
  const verdicts = doc.domains.map((d) => d.readiness.verdict);
  if (verdicts.includes('blocked')) return EXIT.FAILED;
  if (verdicts.includes('wait')) return EXIT.PENDING;
  return EXIT.OK;
}
