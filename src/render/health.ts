/**
 * `health` results → human lines and JSON documents. Pure functions. Text that came
 * from a provider (its status words, messages) goes through `shown`, which escapes control, bidi
 * and format characters so nothing a provider says reaches the terminal raw.
 */
import { Chalk } from 'chalk';
import type { DomainHealth } from '../core/health.js';
import { healthExitCode, percent, PROVIDER_NAME, type HealthFigures, type HealthFinding, type HealthStatus } from '../core/health-rules.js';
import type { HealthSnapshot } from '../state/schema.js';
import { escapeText as shown } from './escape.js';
import { fitted, plain, result, type HumanLine } from './lines.js';
import { renderTable, type TableColumn } from './table.js';

/** One domain of `health --json` (schemas/health.schema.json). */
export interface HealthDomainDocument {
  domain: string;
  provider: string;
  status: HealthStatus;
  window: DomainHealth['window'];
  figures: {
    sent: number | null; delivered: number | null; bounces: number | null; complaints: number | null;
    bounceRate: number | null; complaintRate: number | null; scope: 'domain' | 'account' | null;
    complaintBase?: HealthFigures['complaintBase']; ratesFrom?: HealthFigures['ratesFrom']; source?: HealthFigures['source'];
  };
  verdict: Record<string, unknown> | null;
  dns: DomainHealth['dns'];
  findings: Array<{ severity: HealthFinding['severity']; code: string; message: string; hint: string | null; figure?: number | null; threshold?: number | null }>;
}

/** `health --json`: the domains, healthiest first, and when they were checked. */
export interface HealthDocument {
  domains: HealthDomainDocument[];
  checkedAt: string;
}

export function healthDocument(results: DomainHealth[], checkedAt: string): HealthDocument {
  return {
    domains: results.map((r) => ({
      domain: r.domain, provider: r.provider, status: r.status, window: r.window,
      figures: r.figures ? {
        sent: r.figures.sent, delivered: r.figures.delivered, bounces: r.figures.bounces, complaints: r.figures.complaints,
        bounceRate: r.figures.bounceRate, complaintRate: r.figures.complaintRate, scope: r.figures.scope,
        complaintBase: r.figures.complaintBase, ratesFrom: r.figures.ratesFrom, source: r.figures.source,
      } : { sent: null, delivered: null, bounces: null, complaints: null, bounceRate: null, complaintRate: null, scope: null },
      verdict: r.verdict, dns: r.dns,
      findings: r.findings.map((f) => ({ severity: f.severity, code: f.code, message: f.message, hint: f.hint, ...(f.figure !== undefined ? { figure: f.figure, threshold: f.threshold ?? null } : {}) })),
    })),
    checkedAt,
  };
}

function verdictText(r: DomainHealth): string {
  const v = r.verdict;
  if (!v) return r.provider === 'resend' ? '(none)' : '?';
  if (r.provider === 'ses') {
    const parts = [String(v.enforcementStatus ?? '?')];
    if (v.sendingEnabled === false) parts.push('paused');
    if (v.productionAccessEnabled === false) parts.push('sandbox');
    return parts.join(', ');
  }
  if (r.provider === 'sendgrid') return v.reputation === null || v.reputation === undefined ? '?' : `reputation ${String(v.reputation)}`;
  if (r.provider === 'mailgun') return v.isDisabled ? 'disabled' : v.state === 'active' ? 'enabled' : `enabled, ${String(v.state ?? '?')}`;
  return '';
}

const count = (n: number | null) => (n === null ? '—' : n.toLocaleString('en-US'));

const HEALTH_COLUMNS: TableColumn[] = [
  { head: 'DOMAIN', stack: 'title' }, { head: 'PROVIDER' }, { head: 'SENT', align: 'right' }, { head: 'BOUNCE', align: 'right' }, { head: 'COMPLAINT', align: 'right' },
  { head: 'PROVIDER VERDICT' }, { head: 'DNS' }, { head: 'STATUS', stack: 'title' },
];

/** The worst status over the results, as `--exit-code` ranks them: flagged, unknown, warning, healthy. */
function worst(results: DomainHealth[]): HealthStatus {
  return ({ 0: 'healthy', 1: 'warning', 2: 'flagged', 69: 'unknown' } as Record<number, HealthStatus>)[healthExitCode(results.map((r) => r.status))]!;
}

/** The result line (kept with --quiet): the worst status first, then the domain, or the count of each status. */
export function healthResultLine(results: DomainHealth[]): string {
  const w = worst(results);
  if (results.length === 1) return `${w}: ${shown(results[0]!.domain)}`;
  const counts = (['healthy', 'warning', 'flagged', 'unknown'] as HealthStatus[]).map((s) => [s, results.filter((r) => r.status === s).length] as const).filter(([, n]) => n > 0);
  return `${w}: ${results.length} domains, ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}`;
}

/** The table (fitted to `columns`, stacked when too narrow), the findings, and the result line last. */
export function renderHealth(results: DomainHealth[], colorLevel: 0 | 1 | 2 | 3, columns = 100): HumanLine[] {
  const c = new Chalk({ level: colorLevel });
  const paint: Record<HealthStatus, (s: string) => string> = { healthy: c.green, warning: c.yellow, flagged: c.red, unknown: c.gray };
  const rows = results.map((r) => {
    const f = r.figures;
    const scope = f?.scope === 'account' ? '*' : '';
    return [shown(r.domain), shown(PROVIDER_NAME[r.provider] ?? r.provider), count(f?.sent ?? null) + scope, percent(f?.bounceRate ?? null), percent(f?.complaintRate ?? null, 3), shown(verdictText(r)), r.dns, paint[r.status](r.status)];
  });
  const lines: string[] = renderTable(HEALTH_COLUMNS, rows, { width: columns, colorLevel, plain: true, bold: c.bold });
  if (results.some((r) => r.figures?.scope === 'account')) lines.push('* account-wide figures (every domain of the account), not this domain alone');
  const w = results[0]?.window;
  if (w) lines.push(`window: ${w.from.slice(0, 10)} → ${w.to.slice(0, 10)} (${w.days} day${w.days === 1 ? '' : 's'}, UTC)`);
  for (const r of results) {
    const shownFindings = r.findings.filter((f) => f.severity !== 'info' || f.code === 'LOW_VOLUME' || f.code === 'VDM_DISABLED');
    if (shownFindings.length === 0) continue;
    lines.push('');
    lines.push(`${c.bold(shown(r.domain))} ${paint[r.status](r.status)}`);
    for (const f of shownFindings) {
      const mark = f.severity === 'error' ? c.red('✖') : f.severity === 'warning' ? c.yellow('!') : c.gray('i');
      lines.push(`  ${mark} ${f.code}: ${shown(f.message)}`);
      if (f.hint) lines.push(`    → ${shown(f.hint)}`);
    }
  }
  if (results.length === 0) return fitted(plain(lines), columns);
  lines.push('');
  const verdict = healthResultLine(results);
  return [...fitted(plain(lines), columns), ...fitted([result(paint[worst(results)](verdict))], columns)];
}

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of values (null → space), scaled to the largest. */
export function sparkline(values: Array<number | null>): string {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  return values.map((v) => (v === null ? ' ' : max === 0 ? BARS[0] : BARS[Math.min(7, Math.floor((v / max) * 7.999))])).join('');
}

const HISTORY_COLUMNS: TableColumn[] = [{ head: 'DATE', stack: 'title' }, { head: 'SENT', align: 'right' }, { head: 'BOUNCE', align: 'right' }, { head: 'COMPLAINT', align: 'right' }, { head: 'STATUS', stack: 'title' }];

/** `health --history`: one table of daily snapshots per domain, with sparklines of volume and bounces. */
export function renderHistory(domain: string, snapshots: HealthSnapshot[], columns = 100): string[] {
  if (snapshots.length === 0) return [`${shown(domain)}: no health snapshots yet (each "mailsetup health" run stores one a day)`];
  const rate = (n: number | null, d: number | null) => (n !== null && d !== null && d > 0 ? n / d : null);
  const rows = snapshots.map((s) => [shown(s.date), count(s.sent), percent(rate(s.bounces, s.sent)), percent(rate(s.complaints, s.delivered), 3), shown(s.status)]);
  return [
    `${shown(domain)} (${snapshots.length} day${snapshots.length === 1 ? '' : 's'}; each row is that day's run over its window)`,
    ...renderTable(HISTORY_COLUMNS, rows, { width: columns - 2, colorLevel: 0, plain: true }).map((l) => `  ${l}`),
    `  sent    ${sparkline(snapshots.map((s) => s.sent))}`,
    `  bounce  ${sparkline(snapshots.map((s) => rate(s.bounces, s.sent)))}`,
  ];
}
