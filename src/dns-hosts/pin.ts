/**
 * Pinned plans (types.ts): what a name holds now, compared with what the plan saw there plus what
 * this same apply has written there since. Shared by every writer, so "changed" means the same
 * thing at every host. Compared: type, name, value, MX priority and Cloudflare's proxy flag. Not
 * compared: TTLs (hosts adjust the TTL of what we write — minimums, the RRset's TTL — so a TTL is no
 * sign of someone else's edit) and what the server keeps itself (the SOA, whose serial moves with
 * every write anywhere in the zone, and DNSSEC records, re-signed on every write).
 */
import { MailsetupError } from '../errors.js';
import { normaliseName } from '../model/record.js';
import type { HostChange, HostRecord } from './types.js';

const SERVER_KEPT = new Set(['SOA', 'RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'DNSKEY', 'CDS', 'CDNSKEY', 'UNKNOWN_65534']);

export const written = (c: HostChange): HostRecord => (c.kind === 'create' ? c.record : c.to);
export const nameOf = (c: HostChange): string => normaliseName(written(c).name);

/** Records that count for the pin (the server's own bookkeeping left out). */
export const pinnable = (rs: HostRecord[]): HostRecord[] => rs.filter((r) => !SERVER_KEPT.has(r.type.toUpperCase()));

export function pinKey(r: HostRecord): string {
  const type = r.type.toUpperCase();
  const value = type === 'TXT' ? r.value.replace(/\s+/g, ' ').trim() : r.value.trim().toLowerCase().replace(/\.$/, '');
  return `${type} ${normaliseName(r.name)} ${type === 'MX' ? String(r.priority ?? 10) : '-'} ${r.proxied === true ? 'proxied ' : ''}${value}`;
}

/** What the name should hold now: `seen`, with the changes this apply already made there. */
export function expectedAt(seen: HostRecord[], appliedHere: HostChange[]): HostRecord[] {
  const out = pinnable(seen).slice();
  for (const c of appliedHere) {
    if (c.kind === 'update') {
      const at = out.findIndex((r) => pinKey(r) === pinKey(c.from));
      if (at >= 0) out.splice(at, 1);
    }
    const w = written(c);
    // Hosts store a record once: writing one that is there already leaves one.
    if (!out.some((r) => pinKey(r) === pinKey(w))) out.push(w);
  }
  return out;
}

export interface PinDiff { appeared: HostRecord[]; gone: HostRecord[] }

/** How `now` differs from `expected` (as multisets), or null when it does not. */
export function pinDiff(expected: HostRecord[], now: HostRecord[]): PinDiff | null {
  const left = pinnable(now).slice();
  const gone: HostRecord[] = [];
  for (const e of pinnable(expected)) {
    const at = left.findIndex((r) => pinKey(r) === pinKey(e));
    if (at >= 0) left.splice(at, 1); else gone.push(e);
  }
  return left.length === 0 && gone.length === 0 ? null : { appeared: left, gone };
}

const brief = (r: HostRecord): string => `${r.type.toUpperCase()} "${r.value.length > 60 ? `${r.value.slice(0, 57)}…` : r.value}"`;

export const RERUN_HINT = 'Someone or something else edited the zone after the plan was made. Run autoconfig again: it shows a fresh plan against the zone as it is now.';

/** The HOST_CONFLICT for a name; `diff` says what changed, when it is known. */
export function hostConflict(name: string, diff: PinDiff | null, detail?: string): MailsetupError {
  const parts = diff ? [...diff.appeared.map((r) => `${brief(r)} appeared`), ...diff.gone.map((r) => `${brief(r)} is gone`)] : [];
  const what = [...parts, ...(detail ? [detail] : [])].join('; ') || 'its records differ from the plan';
  return new MailsetupError('HOST_CONFLICT', `${name} changed since the plan was made (${what}); nothing was written at ${name}`, { hint: RERUN_HINT });
}

/** Group changes by name, in first-seen order. */
export function byName(changes: HostChange[]): Map<string, HostChange[]> {
  const out = new Map<string, HostChange[]>();
  for (const c of changes) out.set(nameOf(c), [...(out.get(nameOf(c)) ?? []), c]);
  return out;
}
