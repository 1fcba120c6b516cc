/**
 * `validate` report → human lines. Pure: takes the report, the colours (src/render/paint.ts) and a
 * colour level, returns strings.
 * One verdict line per check, then every finding with the name, the term and the fix.
 */
import { isLookupFailure, type ValidateReport } from '../core/validate.js';
import type { CheckResult, Finding } from '../model/finding.js';
import { renderSpfEvaluation } from './spf-eval.js';
import { escapeText as esc } from './escape.js';
import { renderTable } from './table.js';
import { showDomain } from './idn.js';
import type { Painter } from './paint.js';

export const PROVIDER_NAMES: Record<string, string> = {
  ses: 'Amazon SES', sendgrid: 'SendGrid', mailgun: 'Mailgun', resend: 'Resend', google: 'Google Workspace',
  microsoft: 'Microsoft 365', postmark: 'Postmark', mailchimp: 'Mailchimp/Mandrill', brevo: 'Brevo', zoho: 'Zoho Mail',
  fastmail: 'Fastmail', sparkpost: 'SparkPost',
};

function recordLines(c: CheckResult): string[] {
  if (c.record === null) return [];
  const list = Array.isArray(c.record) ? c.record : [c.record];
  return list.map((r) => (r === '' ? '(empty record)' : esc(r)));
}

function verdictText(c: CheckResult): string {
  const count = (sev: Finding['severity']) => c.findings.filter((f) => f.severity === sev).length;
  const parts = [summary(c)].filter(Boolean);
  const e = count('error');
  const w = count('warning');
  if (e) parts.push(`${e} error${e === 1 ? '' : 's'}`);
  if (w) parts.push(`${w} warning${w === 1 ? '' : 's'}`);
  // "Could not check" says so here; what was asked is named once, under Findings.
  if (c.status === 'none') parts.push(c.findings[0] ? (/_(UNCHECKED|LOOKUP_FAILED)$/.test(c.findings[0].code) ? 'could not check (see Findings)' : esc(c.findings[0].message)) : 'nothing found');
  else if (!e && !w) parts.push('ok');
  return parts.join(' · ');
}

function summary(c: CheckResult): string {
  const d = c.detail as Record<string, unknown> | undefined;
  if (c.check === 'spf' && d && typeof d.lookups === 'number') return `${d.lookups}/10 lookups, ${d.voidLookups ?? 0}/2 void`;
  if (c.check === 'dkim' && d && Array.isArray(d.selectors)) {
    const found = (d.selectors as Array<{ selector: string; found: boolean; keyType?: string | null; bits?: number | null }>).filter((s) => s.found);
    return found.length ? found.map((s) => esc(`${s.selector}${s.keyType ? ` (${s.keyType}${s.bits ? ' ' + s.bits : ''})` : ''}`)).join(', ') : 'no selector found';
  }
  return '';
}

/** The DNS name to show for a check: for DKIM the selectors found, not every name probed. */
function shownName(c: CheckResult): string {
  if (c.check === 'dkim') {
    const sel = (c.detail as { selectors?: Array<{ name: string; found: boolean }> } | undefined)?.selectors ?? [];
    const found = sel.filter((s) => s.found).map((s) => esc(s.name));
    if (found.length > 0) return found.join('\n');
    if (sel.length > 1) return `${sel.length} selectors probed`;
  }
  return c.name.split(',').map(esc).join('\n');
}

export function renderValidate(report: ValidateReport, c: Painter, colorLevel: 0 | 1 | 2 | 3, columns = 120): string[] {
  const statusColor = { pass: c.green, warn: c.yellow, fail: c.red, none: c.gray } as const;
  const sevMark = (f: Finding): string => (f.severity === 'error' ? c.red('✖ error  ') : f.severity === 'warning' ? c.yellow('▲ warning') : c.cyan('ℹ info   '));
  const lines: string[] = [];
  lines.push(c.bold(`Mail authentication for ${showDomain(report.domain)}`) + (report.email ? c.gray(` (from ${esc(report.email)})`) : ''));
  // Fitted to the terminal (src/render/table.ts): boxed, or one block per check when names are long.
  lines.push(...renderTable([{ head: 'check', stack: 'title' }, { head: 'status', stack: 'title' }, { head: 'name', stack: 'body' }, { head: 'verdict', stack: 'body' }],
    report.checks.map((check) => [check.check.toUpperCase(), statusColor[check.status](check.status), shownName(check), verdictText(check)]),
    { width: columns, colorLevel, border: colorLevel ? c.gray : undefined, bold: colorLevel ? c.bold : undefined }));
  const withRecords = report.checks.filter((ch) => ch.record !== null);
  if (withRecords.length > 0) {
    lines.push('', c.bold('Records found'));
    for (const ch of withRecords) {
      for (const r of recordLines(ch)) lines.push(`  ${ch.check.toUpperCase().padEnd(6)} ${r}`);
    }
  }
  const findings = report.checks.flatMap((ch) => ch.findings.map((f) => ({ check: ch.check, f })));
  if (findings.length > 0) {
    lines.push('', c.bold('Findings'));
    const order = { error: 0, warning: 1, info: 2 } as const;
    findings.sort((a, b) => order[a.f.severity] - order[b.f.severity]);
    for (const { f } of findings) {
      const where = f.term ? `${esc(f.name)} ${c.gray('[')}${esc(f.term)}${c.gray(']')}` : esc(f.name);
      lines.push(`${sevMark(f)} ${c.bold(f.code)} ${where}`);
      lines.push(`    ${esc(f.message)}`);
      if (f.hint) lines.push(`    ${c.gray('fix:')} ${esc(f.hint)}`);
    }
  }
  if (report.spf) lines.push('', ...renderSpfEvaluation(report.spf, c));
  lines.push('');
  const errors = findings.filter((x) => x.f.severity === 'error').length;
  const warnings = findings.filter((x) => x.f.severity === 'warning').length;
  const verdict = report.unreachable
    ? c.red('Could not check: no DNS answer for any record.')
    : errors > 0
      ? c.red(`${errors} error${errors === 1 ? '' : 's'}`) + (warnings ? `, ${c.yellow(`${warnings} warning${warnings === 1 ? '' : 's'}`)}` : '') + ' — mail from this domain may fail authentication.'
      : warnings > 0
        ? c.yellow(`No errors, ${warnings} warning${warnings === 1 ? '' : 's'}.`)
        : c.green('All checks pass.');
  lines.push(`Verdict: ${verdict}`);
  if (report.providers.length > 0) {
    lines.push(`Sending provider (guessed from SPF includes and DKIM targets): ${report.providers.map((p) => PROVIDER_NAMES[p] ?? esc(p)).join(', ')}`);
  }
  return lines;
}

/** The CSV columns after `domain`, in order; a check a run did not make (`smtp` without `--smtp`) is an empty cell. */
export const CSV_CHECKS = ['spf', 'dkim', 'dmarc', 'mx', 'cname', 'mta-sts', 'tls-rpt', 'dnssec', 'bimi', 'smtp'] as const;

function csvCell(v: string): string {
  // Escaped like every human output: a spreadsheet or terminal gets no control character either.
  const s = esc(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * `validate --format csv`: one row per domain — the domain (the address when one was given), the
 * status of each check (`unknown` when it could not ask), then the error codes, space-separated.
 */
export function renderValidateCsv(reports: ValidateReport[]): string[] {
  const lines = [['domain', ...CSV_CHECKS, 'errors'].join(',')];
  for (const r of reports) {
    const status = (name: string) => {
      const ch = r.checks.find((c) => c.check === name);
      if (!ch) return '';
      return r.unreachable || (ch.status === 'none' && ch.findings.some(isLookupFailure)) ? 'unknown' : ch.status;
    };
    const errors = [...new Set(r.checks.flatMap((c) => c.findings.filter((f) => f.severity === 'error').map((f) => f.code)))];
    if (r.unreachable) errors.unshift('DNS_UNAVAILABLE');
    lines.push([r.email ?? r.domain, ...CSV_CHECKS.map(status), errors.join(' ')].map(csvCell).join(','));
  }
  return lines;
}

/** After several domains' reports: one line per domain, worst first, then the count. */
export function renderValidateSummary(reports: ValidateReport[], c: Painter): string[] {
  const rows = reports.map((r) => {
    const all = r.checks.flatMap((ch) => ch.findings);
    const e = all.filter((f) => f.severity === 'error').length;
    const w = all.filter((f) => f.severity === 'warning').length;
    const rank = r.unreachable ? 1 : e > 0 ? 0 : w > 0 ? 2 : 3;
    const text = r.unreachable ? c.red('could not check (no DNS answer)')
      : e > 0 ? c.red(`${e} error${e === 1 ? '' : 's'}`) + (w ? `, ${w} warning${w === 1 ? '' : 's'}` : '')
        : w > 0 ? c.yellow(`${w} warning${w === 1 ? '' : 's'}`) : c.green('all checks pass');
    return { rank, line: `  ${esc(r.email ?? r.domain)}  ${text}` };
  });
  rows.sort((a, b) => a.rank - b.rank);
  const failed = rows.filter((r) => r.rank === 0).length;
  const unknown = rows.filter((r) => r.rank === 1).length;
  return ['', c.bold(`Summary of ${reports.length} domains`), ...rows.map((r) => r.line),
    `${failed} with errors${unknown ? `, ${unknown} could not be checked` : ''}, ${reports.length - failed - unknown} without errors.`];
}
