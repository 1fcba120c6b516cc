/** The autoconfig plan → human lines and JSON. Pure. */
import { Chalk } from 'chalk';
import type { Plan, PlanEntry } from '../dns-hosts/plan.js';
import type { ApplyReport, HostChange, HostRecord } from '../dns-hosts/types.js';
import { escapeClip, escapeText as esc } from './escape.js';
import { fitParts, wrapLines } from './table.js';
import type { AutoconfigResult, AutoconfigSession } from '../core/autoconfig.js';
import type { Recheck } from '../core/recheck.js';
import { redact, type MailsetupError } from '../errors.js';
import { verifyDocument } from './verify.js';

// Names and values come from the DNS host's zone: escaped (and clipped after escaping).
const parts = (r: { type: string; name: string; value: string; priority: number | null }): [string, string] =>
  [`${esc(r.type).padEnd(5)} ${esc(r.name)}`, `${r.type === 'MX' ? `${r.priority ?? 10} ` : ''}${escapeClip(r.value, 70)}`];
const show = (r: { type: string; name: string; value: string; priority: number | null }): string => parts(r).join('  ');
/** `lead type name  value` on one line when it fits `columns`, else the value on the next line, indented. */
const fit = (lead: string, r: { type: string; name: string; value: string; priority: number | null }, columns: number, indent = ' '.repeat(12)): string[] => {
  const [head, value] = parts(r);
  return fitParts([`${lead} ${head}`, value], columns, indent);
};

export function planDocument(plan: Plan): Record<string, unknown> {
  return {
    changes: plan.entries.map((e) => ({
      action: e.action, record: e.record,
      existing: e.existing ? { type: e.existing.type, name: e.existing.name, value: e.existing.value, priority: e.existing.priority } : null,
      to: e.change?.kind === 'update' ? e.change.to.value : e.change?.kind === 'create' ? e.change.record.value : null,
      reason: e.reason, fix: e.fix,
    })),
    untouched: plan.untouched.map((h) => ({ type: h.type, name: h.name, value: h.value, priority: h.priority })),
  };
}

/** `columns`: the terminal's width; a change that does not fit on one line puts its value on the next. */
export function renderPlan(plan: Plan, hostLabel: string, zone: string, colorLevel: 0 | 1 | 2 | 3, columns = Number.POSITIVE_INFINITY): string[] {
  const c = new Chalk({ level: colorLevel });
  const sign: Record<PlanEntry['action'], string> = { create: c.green('+ create   '), update: c.yellow('~ update   '), unchanged: c.gray('= unchanged'), conflict: c.red('! conflict ') };
  const lines = [c.bold(`Plan for ${esc(hostLabel)}, zone ${esc(zone)}:`)];
  for (const e of plan.entries) {
    if (e.action === 'update' && e.change?.kind === 'update') {
      lines.push(...fit(sign.update, e.change.from, columns));
      lines.push(`${' '.repeat(12)}${c.gray('→')} ${escapeClip(e.change.to.value, 70)}`);
    } else if (e.action === 'unchanged' && e.existing && e.existing.value.replace(/\s+/g, '') !== e.record.value.replace(/\s+/g, '')) {
      // Unchanged because the zone's own record covers the proposal: show what the zone holds.
      lines.push(...fit(sign.unchanged, e.existing, columns));
      lines.push(`${' '.repeat(12)}${c.gray('(the zone holds this; proposed:')} ${escapeClip(e.record.value, 70)}${c.gray(')')}`);
    } else {
      lines.push(...fit(sign[e.action], e.action === 'create' && e.change?.kind === 'create' ? e.change.record : e.record, columns));
    }
    if (e.reason) lines.push(`${' '.repeat(12)}${c.gray(esc(e.reason))}`);
    if (e.fix) lines.push(`${' '.repeat(12)}${c.gray('fix:')} ${esc(e.fix)}`);
  }
  if (plan.untouched.length) {
    lines.push(c.gray(`Left alone (not mailsetup's): ${plan.untouched.length} record${plan.untouched.length === 1 ? '' : 's'} at these names`));
    for (const h of plan.untouched) lines.push(...fit(' ', h, columns, '    ').map((l) => c.gray(l)));
  }
  const n = (a: PlanEntry['action']) => plan.entries.filter((e) => e.action === a).length;
  lines.push(`${n('create')} to create, ${n('update')} to update, ${n('unchanged')} unchanged, ${n('conflict')} conflict${n('conflict') === 1 ? '' : 's'}.`);
  return wrapLines(lines, columns);
}

const rec = (c: HostChange): HostRecord => (c.kind === 'create' ? c.record : c.to);

export function renderApply(report: ApplyReport, colorLevel: 0 | 1 | 2 | 3, columns = Number.POSITIVE_INFINITY): string[] {
  const c = new Chalk({ level: colorLevel });
  const lines: string[] = [];
  for (const a of report.applied) lines.push(...fit(`${c.green('✔')} ${a.kind === 'create' ? 'created' : 'updated'}`, rec(a), columns, '    '));
  for (const x of report.conflicts) lines.push(`${c.red('!')} refused ${show(rec(x.change))}: ${esc(x.error.message)}`);
  if (report.failed) lines.push(`${c.red('✖')} failed  ${show(rec(report.failed.change))}: ${esc(report.failed.error.message)}`);
  for (const s of report.skipped) lines.push(...fit(`${c.gray('·')} not attempted`, rec(s), columns, '    '));
  return wrapLines(lines, columns);
}

/** An apply report as JSON: the records written or not, without the pins each change carries. */
/** Error texts pass `redact` (the adapters redact theirs; an unexpected error's text might not be). */
export function applyDocument(report: ApplyReport, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const brief = (x: HostChange) => {
    const r = rec(x);
    return { kind: x.kind, type: r.type, name: r.name, value: r.value, priority: r.priority, ...(x.kind === 'update' ? { from: x.from.value } : {}) };
  };
  return {
    applied: report.applied.map(brief),
    conflicts: report.conflicts.map((x) => ({ change: brief(x.change), error: redact(x.error.message, env) })),
    failed: report.failed ? { change: brief(report.failed.change), error: redact(report.failed.error.message, env) } : null,
    skipped: report.skipped.map(brief),
  };
}

/**
 * `autoconfig --json` (schemas/autoconfig.schema.json), as far as the run went: the plan; `applied:
 * []` when there was nothing to change; `dryRun`; what the host did and the serial; the error the
 * apply ended with; the re-check. The CLI and the library both build it here.
 */
export function autoconfigDocument(s: AutoconfigSession, run: { dryRun?: boolean; apply?: AutoconfigResult; error?: MailsetupError | null; recheck?: Recheck }, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const doc: Record<string, unknown> = { domain: s.planned.domain, dnsHost: s.hostId, zone: s.planned.zone.name, ...planDocument(s.planned.plan) };
  if (s.changes.length === 0) doc.applied = [];
  if (run.dryRun) doc.dryRun = true;
  if (run.apply) Object.assign(doc, applyDocument(run.apply.report, env), { serial: run.apply.serial });
  if (run.error) doc.error = { code: run.error.code, message: redact(run.error.message, env), hint: run.error.hint === null ? null : redact(run.error.hint, env) };
  if (run.recheck) Object.assign(doc, { verify: verifyDocument(run.recheck.verification), dnsStatus: run.recheck.dnsStatus, providerCheck: run.recheck.provider });
  return doc;
}
