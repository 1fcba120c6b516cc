/**
 * `reports` output: the human screen (one block per policy domain: the result line — domain and
 * verdict, kept with --quiet — then window, reporters, live vs reported policy, the sources table by
 * volume, findings with hints, the next record), the JSON document, and the CSV of normalised rows.
 *
 * Everything printed from a report is data written by strangers: C0/DEL/C1 controls and bidi
 * overrides are shown as visible `\u{…}` escapes, never sent to the terminal.
 */
import type { DomainAnalysis, ReportsDocument, Source } from '../reports/analyze.js';
import { escapeText } from './escape.js';
import { CLASSES } from '../reports/analyze.js';
import type { InputFinding } from '../reports/model.js';
import { fitted, result, type HumanLine } from './lines.js';
import { renderTable, wrapLine, type TableColumn } from './table.js';

/** A report's text made safe for one terminal line: the one escaping function (src/render/escape.ts). */
export function safe(text: string | null | undefined): string {
  return escapeText(String(text ?? ''));
}

export interface Paint { red(s: string): string; yellow(s: string): string; green(s: string): string; gray(s: string): string; bold(s: string): string }

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const pct = (n: number, d: number): string => (d === 0 ? '–' : `${(Math.floor((n / d) * 1000) / 10).toFixed(1)} %`);

export function verdictLine(a: DomainAnalysis): string {
  const r = a.readiness;
  switch (r.verdict) {
    case 'ready': return `Ready for p=${r.next}`;
    case 'at_target': return 'At target: p=reject, and every legitimate source aligns';
    case 'blocked': {
      const failing = a.findings.filter((f) => f.code === 'DMARC_SOURCE_FAILING' || f.code === 'DMARC_SOURCE_MISALIGNED').length;
      const what = failing > 0 ? `${failing} legitimate source${failing > 1 ? 's' : ''} fail${failing > 1 ? '' : 's'} alignment` : 'legitimate mail is already being quarantined or rejected';
      return `Blocked${r.next ? ` (p=${r.next})` : ''}: ${what}`;
    }
    case 'wait': {
      const first = a.findings.find((f) => f.check && ['C1', 'C1b', 'C2', 'C5', 'C6', 'R1'].includes(f.check) && f.code !== 'DMARC_LIVE_UNCHECKED');
      return `Wait${r.next ? ` (p=${r.next})` : ''}: ${first ? first.message : 'not enough evidence yet'}`;
    }
  }
}

/**
 * The human screen, fitted to `columns`: per policy domain its result line first (the domain and the
 * verdict, kept with --quiet), then the evidence, the sources table, findings and the next record;
 * then what was read. The next record and the commands that apply it are never broken.
 */
export function renderHuman(doc: ReportsDocument, paint: Paint, columns = 100, maxSources = 15): HumanLine[] {
  const out: HumanLine[] = [];
  /** Prose, wrapped at spaces; continuation lines start with `indent`. */
  const say = (text: string, indent?: string) => out.push(...wrapLine(text, columns, indent).map((t) => ({ text: t })));
  /** Left whole: a record or a command to copy (the terminal soft-wraps it). */
  const whole = (text: string) => out.push({ text });
  for (const a of doc.domains) {
    const v = verdictLine(a);
    const color = a.readiness.verdict === 'ready' || a.readiness.verdict === 'at_target' ? paint.green : a.readiness.verdict === 'wait' ? paint.yellow : paint.red;
    out.push(...fitted([result(`${paint.bold(safe(a.domain))}${a.provider ? ` (${safe(a.provider)} via mailsetup)` : ''}: ${color(paint.bold(safe(v)))}`)], columns));
    const w = a.window;
    const col = ' '.repeat(13);
    say(`  window     ${w.firstReport ?? '–'} → ${w.lastReport ?? '–'}: ${plural(w.spanDays, 'day')}, ${w.reportDays} with a report (looking back from ${w.to.slice(0, 10)})`, col);
    say(`  reporters  ${a.reporters.map((r) => `${safe(r.org)} (${plural(r.reports, 'report')}, ${plural(r.messages, 'message')})`).join(', ')}`, col);
    // Segments by p alone (sp, pct … changes are in --json).
    const segments: { p: string; from: string; to: string }[] = [];
    for (const p of a.policy.reported) {
      const last = segments[segments.length - 1];
      if (last && last.p === (p.p ?? '?')) last.to = p.to; else segments.push({ p: p.p ?? '?', from: p.from, to: p.to });
    }
    const reported = segments.map((p) => `p=${p.p} ${p.from === p.to ? p.from : `${p.from} → ${p.to}`}`).join(', ');
    whole(`  policy     live: ${a.policy.live === null ? (a.findings.some((f) => f.code === 'DMARC_LIVE_UNCHECKED') ? 'not checked' : 'none published') : safe(a.policy.live)}`);
    say(`             reported: ${reported}`, col + '          ');
    const t = a.totals;
    say(`  messages   ${t.messages}: ${pct(t.dmarcPass, t.messages)} pass DMARC; ${CLASSES.filter((c) => t.byClass[c] > 0).map((c) => `${c} ${t.byClass[c]}`).join(', ')}`, col);
    whole('');
    for (const l of sourcesTable(a.sources, maxSources, columns - 2)) whole(`  ${l}`);
    const findings = a.findings.filter((f) => f.code !== 'DMARC_LIVE_UNCHECKED' || a.readiness.verdict === 'ready');
    if (findings.length > 0) {
      whole('');
      for (const f of findings) {
        const mark = f.severity === 'error' ? paint.red('✗') : f.severity === 'warning' ? paint.yellow('!') : paint.gray('i');
        say(`  ${mark} ${f.code}  ${safe(f.message)}`, '    ');
        // Each wrapped line painted on its own, so no colour runs across a line break.
        if (f.hint) for (const l of wrapLine(`      ${safe(f.hint)}`, columns, '      ')) whole(paint.gray(l));
      }
    }
    if (a.readiness.suggestedRecord) {
      whole('');
      whole(`  next record  _dmarc.${safe(a.domain)} TXT "${safe(a.readiness.suggestedRecord)}"`);
      for (const [i, c] of a.readiness.apply.entries()) whole(`  ${i === 0 ? 'apply with ' : '           '}  ${safe(c)}`);
    }
    whole('');
  }
  const i = doc.inputs;
  const other = [i.other.tlsrpt ? `${i.other.tlsrpt} TLS-RPT` : '', i.other.failure ? `${i.other.failure} failure report${i.other.failure > 1 ? 's' : ''}` : ''].filter(Boolean);
  say(`inputs: ${i.read} read, ${i.reports} aggregate reports, ${i.duplicates} duplicate${i.duplicates === 1 ? '' : 's'}${i.outsideWindow ? `, ${i.outsideWindow} outside the window` : ''}${other.length ? `, skipped ${other.join(' and ')}` : ''}${i.rejected.length ? `; ${i.rejected.length} not read:` : ''}`);
  for (const f of i.rejected.slice(0, 20)) say(`  ${f.severity === 'error' ? paint.red('✗') : paint.yellow('!')} ${f.code}  ${safe(f.input)}: ${safe(f.message)}`, '      ');
  if (i.rejected.length > 20) say(`  … and ${i.rejected.length - 20} more (--json lists them all)`);
  return out;
}

const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const SOURCE_COLUMNS: TableColumn[] = [
  { head: 'source', stack: 'title' }, { head: 'class', stack: 'title' }, { head: 'msgs', align: 'right' }, { head: 'pass', align: 'right' },
  { head: 'DKIM al.', align: 'right' }, { head: 'SPF al.', align: 'right' }, { head: 'orgs', align: 'right' }, { head: 'first seen' },
];

/** The sources by volume, as a table fitted to `width` (`orgs`: how many reporting organisations saw it). */
function sourcesTable(sources: Source[], max: number, width: number): string[] {
  const rows = sources.slice(0, max).map((s) => [
    truncate(safe(s.name), 48), s.class, String(s.messages), pct(s.dmarcPass, s.messages), pct(s.dkimAligned, s.messages), pct(s.spfAligned, s.messages), String(s.reporters.length), s.firstSeen,
  ]);
  const out = renderTable(SOURCE_COLUMNS, rows, { width, colorLevel: 0, plain: true });
  if (sources.length > max) {
    const rest = sources.slice(max);
    out.push(`… ${rest.length} more sources, ${rest.reduce((s, x) => s + x.messages, 0)} messages (--json lists them all)`);
  }
  return out;
}

/** `reports --json`: what DESIGN.md names, without the internals (per-day maps, parsed reports). */
export interface ReportsJsonDocument {
  domains: Array<Omit<DomainAnalysis, 'sources' | 'reports' | 'recordSources'> & { sources: Array<Omit<Source, 'days'>> }>;
  inputs: ReportsDocument['inputs'];
  findings: ReportsDocument['findings'];
  checkedAt: string;
}

/** The `--json` document: what DESIGN.md names, without the internals (per-day maps, parsed reports). */
export function toJson(doc: ReportsDocument): ReportsJsonDocument {
  return {
    domains: doc.domains.map((a) => ({
      domain: a.domain,
      provider: a.provider,
      window: a.window,
      reporters: a.reporters,
      policy: a.policy,
      totals: a.totals,
      sources: a.sources.map(({ days: _days, ...s }) => s),
      readiness: a.readiness,
      findings: a.findings,
    })),
    inputs: doc.inputs,
    findings: doc.findings,
    checkedAt: doc.checkedAt,
  };
}

const CSV_HEAD = [
  'reporter', 'reporter_email', 'report_id', 'begin', 'end', 'policy_domain', 'p', 'sp', 'pct', 'source_ip', 'count',
  'disposition', 'dkim_aligned', 'spf_aligned', 'override_reasons', 'header_from', 'envelope_from',
  'dkim_domains', 'dkim_selectors', 'dkim_results', 'spf_domains', 'spf_results', 'source', 'class',
];

/** A CSV cell: quoted when needed; a leading = + - @ (a spreadsheet formula) neutralised with '. */
export function csvCell(v: string | number | null): string {
  let s = v === null ? '' : safe(String(v));
  if (/^[=+\-@]/.test(s) && !/^-?\d/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(doc: ReportsDocument): string {
  const lines = [CSV_HEAD.join(',')];
  for (const a of doc.domains) {
    const byId = new Map(a.sources.map((s) => [s.id, s]));
    a.reports.forEach((r, i) => r.records.forEach((rec, j) => {
      const src = byId.get(a.recordSources[i]![j]!);
      lines.push([
        r.org, r.email, r.reportId, new Date(r.begin * 1000).toISOString(), new Date(r.end * 1000).toISOString(), r.policy.domain,
        r.policy.p, r.policy.sp, r.policy.pct, rec.sourceIp, rec.count, rec.disposition, rec.dkim, rec.spf,
        rec.reasons.map((x) => x.type).join(';'), rec.headerFrom, rec.envelopeFrom,
        rec.authDkim.map((d) => d.domain ?? '').join(';'), rec.authDkim.map((d) => d.selector ?? '').join(';'), rec.authDkim.map((d) => d.result ?? '').join(';'),
        rec.authSpf.map((d) => d.domain ?? '').join(';'), rec.authSpf.map((d) => d.result ?? '').join(';'),
        src?.name ?? null, src?.class ?? null,
      ].map(csvCell).join(','));
    }));
  }
  return lines.join('\n') + '\n';
}

export function inputFindingLine(f: InputFinding): string {
  return `${f.code}  ${safe(f.input)}: ${safe(f.message)}`;
}
