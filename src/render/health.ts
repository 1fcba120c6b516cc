/**
 * `health` and `warmup` results → human lines and JSON documents. Pure functions. Text that came
 * from a provider (its status words, messages) goes through `shown`, which escapes control, bidi
 * and format characters so nothing a provider says reaches the terminal raw.
 */
import { Chalk } from 'chalk';
import type { DomainHealth } from '../core/health.js';
import { percent, PROVIDER_NAME, type HealthStatus } from '../core/health-rules.js';
import type { HealthSnapshot } from '../state/schema.js';
import { escapeText as shown } from './escape.js';

export function healthDocument(results: DomainHealth[], checkedAt: string): Record<string, unknown> {
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

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length))).join('  ').trimEnd());
}

export function renderHealth(results: DomainHealth[], colorLevel: 0 | 1 | 2 | 3): string[] {
  const c = new Chalk({ level: colorLevel });
  const paint: Record<HealthStatus, (s: string) => string> = { healthy: c.green, warning: c.yellow, flagged: c.red, unknown: c.gray };
  const rows = [['DOMAIN', 'PROVIDER', 'SENT', 'BOUNCE', 'COMPLAINT', 'PROVIDER VERDICT', 'DNS', 'STATUS']];
  for (const r of results) {
    const f = r.figures;
    const scope = f?.scope === 'account' ? '*' : '';
    rows.push([r.domain, PROVIDER_NAME[r.provider] ?? r.provider, count(f?.sent ?? null) + scope, percent(f?.bounceRate ?? null), percent(f?.complaintRate ?? null, 3), shown(verdictText(r)), r.dns, r.status]);
  }
  const lines = table(rows).map((l, i) => (i === 0 ? c.bold(l) : l.replace(new RegExp(`${results[i - 1]!.status}$`), paint[results[i - 1]!.status](results[i - 1]!.status))));
  if (results.some((r) => r.figures?.scope === 'account')) lines.push('* account-wide figures (every domain of the account), not this domain alone');
  const w = results[0]?.window;
  if (w) lines.push(`window: ${w.from.slice(0, 10)} → ${w.to.slice(0, 10)} (${w.days} day${w.days === 1 ? '' : 's'}, UTC)`);
  for (const r of results) {
    const shownFindings = r.findings.filter((f) => f.severity !== 'info' || f.code === 'LOW_VOLUME' || f.code === 'VDM_DISABLED');
    if (shownFindings.length === 0) continue;
    lines.push('');
    lines.push(`${c.bold(r.domain)} ${paint[r.status](r.status)}`);
    for (const f of shownFindings) {
      const mark = f.severity === 'error' ? c.red('✖') : f.severity === 'warning' ? c.yellow('!') : c.gray('i');
      lines.push(`  ${mark} ${f.code}: ${shown(f.message)}`);
      if (f.hint) lines.push(`    → ${shown(f.hint)}`);
    }
  }
  return lines;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of values (null → space), scaled to the largest. */
export function sparkline(values: Array<number | null>): string {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  return values.map((v) => (v === null ? ' ' : max === 0 ? BARS[0] : BARS[Math.min(7, Math.floor((v / max) * 7.999))])).join('');
}

export function renderHistory(domain: string, snapshots: HealthSnapshot[]): string[] {
  if (snapshots.length === 0) return [`${domain}: no health snapshots yet (each "mailsetup health" run stores one a day)`];
  const rate = (n: number | null, d: number | null) => (n !== null && d !== null && d > 0 ? n / d : null);
  const rows = [['DATE', 'SENT', 'BOUNCE', 'COMPLAINT', 'STATUS']];
  for (const s of snapshots) rows.push([s.date, count(s.sent), percent(rate(s.bounces, s.sent)), percent(rate(s.complaints, s.delivered), 3), s.status]);
  return [
    `${domain} (${snapshots.length} day${snapshots.length === 1 ? '' : 's'}; each row is that day's run over its window)`,
    ...table(rows).map((l) => `  ${l}`),
    `  sent    ${sparkline(snapshots.map((s) => s.sent))}`,
    `  bounce  ${sparkline(snapshots.map((s) => rate(s.bounces, s.sent)))}`,
  ];
}
