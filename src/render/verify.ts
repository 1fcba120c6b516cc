/**
 * verify results → human lines, JSON documents and GitHub Actions annotations. Pure functions.
 */
import { Chalk } from 'chalk';
import type { CheckedRecord, DomainVerification, ResolverView } from '../core/verify.js';
import { escapeClip, escapeText as e } from './escape.js';
import { fitParts, wrapLines } from './table.js';
import { showDomain } from './idn.js';

const STAGE_TEXT: Record<string, string> = {
  delegation: 'waiting on delegation: the zone\'s nameservers do not answer for it',
  authoritative: 'waiting on DNS: records are not yet served by the authoritative servers',
  propagation: 'propagating: served, but resolvers still cache older answers',
  provider: 'waiting on the provider: DNS is right, the provider has not re-checked yet',
};

/** The JSON document for one domain (DESIGN.md `verify --json`). */
export function verifyDocument(v: DomainVerification): Record<string, unknown> {
  return {
    domain: v.domain, provider: v.provider, status: v.status, stage: v.stage, providerStatus: v.providerStatus,
    providerAction: v.providerAction, allVerified: v.allVerified, authoritative: v.authoritative,
    records: v.records.map((r) => ({
      purpose: r.purpose, type: r.type, name: r.name, value: r.value, priority: r.priority, ttl: r.ttl, required: r.required, source: r.source,
      status: r.status, code: r.code, found: r.found, detail: r.detail, hint: r.hint, resolvers: r.resolvers,
      ...(Object.keys(r.staleFor).length ? { staleFor: r.staleFor } : {}),
    })),
    notes: v.notes,
    checkedAt: v.checkedAt,
  };
}

function agreement(r: CheckedRecord): string {
  const views = Object.values(r.resolvers).filter((x) => x !== 'not-asked');
  if (views.length === 0) return '';
  const ok = views.filter((x) => x === 'verified').length;
  return `${ok}/${views.length}`;
}

/** `columns`: the terminal's width; a record that does not fit on one line is laid out as a block. */
export function renderVerify(v: DomainVerification, colorLevel: 0 | 1 | 2 | 3, columns = Number.POSITIVE_INFINITY): string[] {
  const c = new Chalk({ level: colorLevel });
  const color = { verified: c.green, pending: c.yellow, failed: c.red, unknown: c.gray, missing: c.yellow, invalid: c.red } as const;
  const mark = { verified: c.green('✔'), missing: c.yellow('…'), invalid: c.red('✖'), unknown: c.gray('?') } as const;
  const lines: string[] = [];
  const prov = v.providerStatus === 'unchecked' ? 'not asked' : v.providerStatus;
  lines.push(`${c.bold(showDomain(v.domain))}  ${color[v.status](v.status)}  ${c.gray(`(provider ${e(v.provider)}: ${e(prov)}${v.providerAction ? `; ${e(v.providerAction)}` : ''})`)}`);
  if (v.stage) lines.push(`  ${STAGE_TEXT[v.stage]}`);
  for (const r of v.records) {
    const seen = agreement(r);
    // Verified by a record other than the proposal (the owner's p=reject, a merged SPF): show what
    // the zone holds, and the proposal under it — never the proposal as if it were published.
    const held = r.status === 'verified' && r.type === 'TXT' && r.found.length === 1 && r.found[0]!.replace(/\s+/g, '') !== r.value.replace(/\s+/g, '') ? r.found[0]! : null;
    const shown = r.type === 'MX' ? `${r.priority} ${e(r.value)}` : escapeClip(held ?? r.value, 60);
    // One line when it fits; else `type name`, then `→ value`, then the status, each whole.
    lines.push(...fitParts([
      `  ${mark[r.status]} ${r.type.padEnd(5)} ${e(r.name)}${r.required ? '' : c.gray(' (optional)')}`, `${c.gray('→')} ${shown}`,
      `${color[r.status](r.status)}${r.code ? ` ${c.bold(r.code)}` : ''}${seen ? c.gray(`  propagated ${seen}`) : ''}`,
    ], columns, '      '));
    if (held) {
      lines.push(`      ${c.gray('the zone holds this; proposed:')} ${escapeClip(r.value, 60)}`);
      if (r.detail) lines.push(`      ${e(r.detail)}`);
    }
    if (r.detail && r.status !== 'verified') lines.push(`      ${e(r.detail)}`);
    else if (r.code === 'STALE_CACHE' && r.detail) lines.push(`      ${e(r.detail)}`);
    if (r.found.length && r.status !== 'verified') lines.push(`      ${c.gray('found:')} ${r.found.map(e).join(' | ')}`);
    if (r.hint && r.status !== 'verified') lines.push(`      ${c.gray('fix:')} ${e(r.hint)}`);
    const lagging = Object.entries(r.resolvers).filter(([, x]) => x === 'stale' || x === 'missing' || x === 'unknown');
    if (lagging.length && r.status === 'verified') {
      lines.push(`      ${c.gray(lagging.map(([s, x]) => `${e(s)}: ${x}${r.staleFor[s] !== undefined ? ` (${r.staleFor[s]} s left)` : ''}`).join(', '))}`);
    }
  }
  for (const n of v.notes) lines.push(`  ${c.yellow('!')} ${e(n)}`);
  return wrapLines(lines, columns);
}

// Runner logs render ANSI too: outside text is escaped first, then the workflow-command encoding.
const ghEscape = (s: string): string => e(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** `::error`/`::warning` workflow commands for failed and missing records (GITHUB_ACTIONS=true). */
export function githubAnnotations(results: DomainVerification[]): string[] {
  const out: string[] = [];
  for (const v of results) {
    for (const r of v.records) {
      if (r.status === 'invalid') out.push(`::error title=${ghEscape(`${r.code ?? 'invalid'}: ${r.name}`)}::${ghEscape(`${r.detail ?? ''} ${r.hint ?? ''}`.trim())}`);
      else if (r.status === 'missing' && r.required) out.push(`::warning title=${ghEscape(`missing: ${r.type} ${r.name}`)}::${ghEscape(r.hint ?? `Publish ${r.type} ${r.name}`)}`);
    }
    if (v.providerStatus === 'failed') out.push(`::error title=${ghEscape(`${v.provider}: ${v.domain}`)}::${ghEscape('The provider reports verification failed.')}`);
  }
  return out;
}

export type { ResolverView };
