/**
 * `reports` as a use case: validate the request, read the inputs, read each policy domain's live
 * `_dmarc` record through DNS (as `validate` reads it) unless told not to, name the senders from the
 * state file, analyse, and shape the `--json` document. The CLI (src/cli/commands/reports.ts) and
 * the library (src/lib/insights.ts) both call `runReports`. The parsers load only when it runs.
 */
import { EXIT, MailsetupError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import type { ReportsDocument } from '../reports/analyze.js';
import type { Thresholds } from '../reports/readiness.js';
import type { ReportsJsonDocument } from '../render/reports.js';
import type { StateFile } from '../state/schema.js';
import type { Runtime } from './runtime.js';

/** `30d`, `4w`, `12h`, or any duration `--timeout` accepts; in seconds. */
export function parseSince(text: string): number {
  const m = /^(\d+)\s*(d|w)$/.exec(text.trim());
  if (m) return Number(m[1]) * (m[2] === 'w' ? 7 : 1) * 86_400;
  return Math.round(parseDuration(text, '--since') / 1000);
}

/** `--to`: a day (its last second, UTC) or an ISO 8601 time. */
export function parseTo(text: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T23:59:59Z`) : new Date(text);
  if (Number.isNaN(d.getTime())) throw new MailsetupError('USAGE', `--to: "${text}" is not a date`, { hint: 'Use a date such as 2026-12-05 or an ISO 8601 time.' });
  return d;
}

/** What `reports` was asked, as the flags give it. */
export interface ReportsRequest {
  /** Files, folders, e-mails, mbox files, or `-` for standard input. */
  paths: string[];
  /** Only these policy domains (`--domain`, repeatable). */
  domains?: string[];
  /** The window (`--since`, default `30d`). */
  since?: string;
  /** End of the window (`--to`, default now): a date, `2026-12-05`, or an ISO 8601 time. */
  to?: string | Date;
  /** `--strict`: mailing-list traffic failing SPF and DKIM blocks p=reject. */
  strict?: boolean;
  /** Read the live `_dmarc` records (default true; `--no-dns` is false). */
  dns?: boolean;
  /** The readiness thresholds (library only; the CLI uses the defaults). */
  thresholds?: Partial<Thresholds>;
}

export interface ReportsOutcome {
  /** The analysis (with what the CSV needs: the reports and each record's source). */
  analysis: ReportsDocument;
  /** What `--json` prints. */
  document: ReportsJsonDocument;
  /** Advice for a person (a `_dmarc` record that could not be read …); the document says it too. */
  notes: string[];
  sinceSeconds: number;
  now: Date;
  domains: string[] | undefined;
}

export async function runReports(rt: Runtime, req: ReportsRequest): Promise<ReportsOutcome> {
  if (req.paths.length === 0) throw new MailsetupError('USAGE', 'no input: give report files, folders, e-mails or - for standard input', { hint: 'mailsetup reports ~/dmarc-reports' });
  if (req.paths.includes('-') && process.stdin.isTTY) {
    throw new MailsetupError('USAGE', '"-" reads reports from standard input, which is a terminal here', { hint: 'Pipe them in: zcat report.xml.gz | mailsetup reports -' });
  }
  const sinceSeconds = parseSince(String(req.since ?? '30d'));
  const now = req.to === undefined ? new Date() : req.to instanceof Date ? req.to : parseTo(String(req.to));
  const domains = req.domains?.map((d) => d.trim().toLowerCase());

  const [{ readInputs }, { analyze }, { toJson }] = await Promise.all([
    import('../reports/read.js'), import('../reports/analyze.js'), import('../render/reports.js'),
  ]);
  const read = await readInputs(req.paths);
  let state: StateFile | null = null;
  try { state = await rt.store().read(); } catch (e) {
    if (e instanceof MailsetupError && e.code === 'CONFIG_INVALID') throw e;
    rt.debug(`state file not read: ${e instanceof Error ? e.message : String(e)}`);
  }

  // The live _dmarc record of each policy domain (as `validate` reads it), unless dns is off.
  const notes: string[] = [];
  const live = new Map<string, string | null>();
  if (req.dns !== false && read.reports.length > 0) {
    const [{ validateLookup }, { isFailure, txtValues }, { looksLikeDmarc }] = await Promise.all([
      import('./validate.js'), import('../dns/types.js'), import('../validators/dmarc.js'),
    ]);
    const wanted = [...new Set(read.reports.map((r) => r.policy.domain))].filter((d) => !domains || domains.includes(d));
    await Promise.all(wanted.map(async (d) => {
      const answer = await validateLookup(d, { dns: rt.dns, resolvers: rt.resolvers, authoritative: rt.authoritative })(`_dmarc.${d}`, 'TXT');
      if (isFailure(answer)) { notes.push(`Could not read _dmarc.${d} (${answer.outcome}); the newest report's policy is used instead.`); return; }
      const records = txtValues(answer).filter(looksLikeDmarc);
      if (records.length > 1) { notes.push(`_dmarc.${d} holds ${records.length} DMARC records (receivers ignore them all); the newest report's policy is used instead.`); return; }
      live.set(d, records[0] ?? null);
    }));
  }

  const analysis = analyze(read, { now, sinceSeconds, domains, state, live, strict: !!req.strict, ...(req.thresholds ? { thresholds: req.thresholds } : {}) });
  return { analysis, document: toJson(analysis), notes, sinceSeconds, now, domains };
}

/**
 * The exit status, and the warning to show with it: 64 when no input held a report or none is in
 * the window (always); with `--exit-code` 2 when a domain is blocked, 1 when one must wait, else 0.
 */
export function reportsExit(o: ReportsOutcome, exitCode: boolean): { code: number; warning: string | null } {
  // inputs.reports: every aggregate report read, before duplicates and the window.
  if (o.analysis.inputs.reports === 0) {
    return { code: EXIT.USAGE, warning: 'No DMARC aggregate report was found in the inputs.' };
  }
  if (o.analysis.domains.length === 0) {
    return {
      code: EXIT.USAGE,
      warning: o.domains ? `No report for ${o.domains.join(', ')} in the window.` : `No report in the window (${Math.round(o.sinceSeconds / 86_400)} days up to ${o.now.toISOString().slice(0, 10)}); widen it with --since or move it with --to.`,
    };
  }
  if (!exitCode) return { code: EXIT.OK, warning: null };
  const verdicts = o.analysis.domains.map((d) => d.readiness.verdict);
  if (verdicts.includes('blocked')) return { code: EXIT.FAILED, warning: null };
  if (verdicts.includes('wait')) return { code: EXIT.PENDING, warning: null };
  return { code: EXIT.OK, warning: null };
}
