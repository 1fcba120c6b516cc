/**
 * `validate --ip`: the check_host() evaluation → human lines. Pure. The result in words, the trace
 * as an indented tree (each include or redirect one level deeper, each DNS question under the term
 * that asked it), then one sentence saying why, written for someone who has never read RFC 7208.
 */
import type { SpfEvaluationReport } from '../core/validate.js';
import type { SpfResult, TraceStep } from '../validators/spf/evaluate.js';
import { escapeText as e } from './escape.js';
import type { Painter } from './paint.js';

const MEANING: Record<SpfResult, (ip: string, domain: string) => string> = {
  pass: (ip, d) => `${d} authorises ${ip} to send its mail`,
  fail: (ip, d) => `${d} says ${ip} is not allowed to send its mail; receivers may reject it`,
  softfail: (ip, d) => `${d} says ${ip} is probably not allowed to send its mail; receivers usually accept it but mark it`,
  neutral: (ip, d) => `${d} makes no statement about ${ip}`,
  none: (_ip, d) => `there is no SPF policy for ${d}`,
  temperror: () => 'a DNS lookup failed; a receiver would defer the message and try again later',
  permerror: (_ip, d) => `the SPF policy of ${d} is broken, so receivers cannot use it`,
};

const DNS_TERM = /^[-+~?]?(include|a|mx|ptr|exists)\b|^redirect=/i;

function stepLines(s: TraceStep, c: Painter): string[] {
  const pad = '  '.repeat(s.depth + 2);
  const lines: string[] = [];
  const counts = `${s.lookups}/10 lookups${s.voidLookups ? `, ${s.voidLookups}/2 void` : ''}`;
  if (s.kind === 'record') {
    const fetched = !s.asked.some((q) => q.failed);
    lines.push(`${pad}${c.bold(e(s.domain))}  ${s.term ? `"${e(s.term)}"` : c.gray(fetched ? '(no SPF record)' : '(the record could not be fetched)')}`);
  } else if (s.kind === 'default') {
    lines.push(`${pad}${c.gray('end of record, nothing matched')}  → ${s.result}`);
  } else {
    const outcome = s.kind === 'exp' ? ''
      : s.matched === true ? c.green(`match${s.result ? ` → ${s.result}` : ''}`)
        : s.matched === false ? c.gray('no match')
          : s.result ? c.red(s.result) : '';
    const count = s.kind !== 'exp' && DNS_TERM.test(s.term) ? c.gray(`  [${counts}]`) : '';
    const target = s.target && !s.term.includes(s.target) ? c.gray(` (${e(s.target)})`) : '';
    lines.push(`${pad}${e(s.term)}${target}${outcome ? `  ${outcome}` : ''}${count}`);
  }
  // Under a record line the TXT answer is the record itself: say it only when it is not.
  for (const q of s.asked) {
    if (s.kind === 'record' && s.term && !q.failed) continue;
    lines.push(`${pad}    ${c.gray(`${q.type} ${e(q.name)} →`)} ${q.failed ? c.red(e(q.answer)) : e(q.answer)}`);
  }
  if (s.note && s.kind !== 'default') lines.push(`${pad}    ${c.gray(e(s.note))}`);
  return lines;
}

/** The match inside an include that made it pass (followed down through nested includes). */
function innerMatch(trace: TraceStep[], at: number): number {
  const depth = trace[at]!.depth;
  for (let i = at + 1; i < trace.length && trace[i]!.depth > depth; i++) {
    const s = trace[i]!;
    if (s.depth === depth + 1 && s.matched === true) return /^[-+~?]?include:/i.test(s.term) ? innerMatch(trace, i) : i;
  }
  return at;
}

/** The include/redirect terms that lead from the checked domain to `at`, outermost first. */
function pathTo(trace: TraceStep[], at: number): string[] {
  const path: string[] = [];
  let want = trace[at]!.depth - 1;
  for (let i = at - 1; i >= 0 && want >= 0; i--) {
    const s = trace[i]!;
    if (s.depth === want && (s.kind === 'redirect' || /^[-+~?]?include:/i.test(s.term))) { path.unshift(s.term); want--; }
  }
  return path;
}

/** One sentence: which step decided the result, and why that gives this result. */
export function spfWhy(ev: SpfEvaluationReport): string {
  const at = ev.decidedBy;
  const step = at === null ? undefined : ev.trace[at];
  if (!step) return `The result is ${ev.result}.`;
  const note = (step.note ?? '').replace(/\.$/, '');
  if (ev.result === 'none') return `${note}, so the result is none: receivers treat the mail as not covered by SPF.`;
  if (ev.result === 'temperror' || ev.result === 'permerror') {
    const via = pathTo(ev.trace, at!);
    const where = [step.kind === 'record' ? '' : `in the record of ${step.domain}`, via.length ? `reached through ${via.join(' → ')}` : '']
      .filter(Boolean).join(', ');
    const then = ev.result === 'temperror' ? 'a receiver would defer the message and try again later' : 'receivers cannot use the policy, so it authorises nobody';
    return `The result is ${ev.result}${where ? ` (${where})` : ''} because ${note}; ${then}.`;
  }
  if (step.kind === 'default') {
    return `${ev.ip} matched none of the terms tried, and the record of ${step.domain} has no "all" and no redirect=, so the result is neutral.`;
  }
  const decisive = /^[-+~?]?include:/i.test(step.term) ? innerMatch(ev.trace, at!) : at!;
  const hit = ev.trace[decisive]!;
  let start = at!;
  while (start > 0 && !(ev.trace[start]!.kind === 'record' && ev.trace[start]!.depth === step.depth)) start--;
  const tried = ev.trace.slice(start, at!).filter((s) => s.depth === step.depth && s.kind === 'mechanism').map((s) => s.term);
  if (/^[-+~?]?all$/i.test(hit.term)) {
    const before = tried.length ? `none of the terms reached (${tried.join(', ')})` : 'no term before it';
    return `${ev.ip} matched ${before}; the record of ${step.domain} ends in "${hit.term}", which matches every other address, so the result is ${ev.result}.`;
  }
  const via = pathTo(ev.trace, decisive);
  const through = via.length ? `, reached through ${via.join(' → ')}` : '';
  const qualifier = /^[-+~?]/.test(step.term) ? step.term[0] : '+';
  const expanded = hit.target && !hit.term.includes(hit.target) ? ` (${hit.target})` : '';
  const how = hit.note ? ` (${hit.note})` : '';
  return `${ev.ip} matches "${hit.term}"${expanded} in the record of ${hit.domain}${through}${how}; the qualifier "${qualifier}" of "${step.term}" gives ${ev.result}.`;
}

export function renderSpfEvaluation(ev: SpfEvaluationReport, c: Painter): string[] {
  const colour = ev.result === 'pass' ? c.green : ev.result === 'softfail' || ev.result === 'neutral' || ev.result === 'none' ? c.yellow : c.red;
  const lines = [
    c.bold(`SPF evaluation for ${ev.ip}`) + c.gray(` (sender ${e(ev.sender)}, HELO ${e(ev.helo)})`),
    `  Result: ${colour(ev.result)} — ${MEANING[ev.result](ev.ip, e(ev.domain))}.`,
    `  Trace (${ev.lookups}/10 DNS-querying terms, ${ev.voidLookups}/2 void lookups):`,
  ];
  for (const s of ev.trace) lines.push(...stepLines(s, c));
  if (ev.explanation !== null) lines.push(`  Explanation published by the domain: ${e(ev.explanation)}`);
  // spfWhy quotes terms, notes and names from the records: escaped as a whole (it adds no colour).
  lines.push(`  Why: ${e(spfWhy(ev))}`);
  return lines;
}
