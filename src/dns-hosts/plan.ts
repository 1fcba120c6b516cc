/**
 * The autoconfig plan: wanted records vs what the zone holds → create / update / unchanged /
 * conflict, plus the records at those names that are left alone. Pure: no I/O, so preview and
 * apply share one value (STYLE.md §6.4). Rules:
 * - never rewrite a record mailsetup does not own (ownership = what the state file says we wrote);
 * - an SPF already at the name is merged (the provider's include added once), never a second v=spf1;
 * - an existing DMARC policy is kept (a stricter one always; one we don't own whatever it says);
 * - a CNAME where other records exist (or other data where a CNAME exists) is a conflict, with the fix.
 */
import type { DnsRecord } from '../model/record.js';
import type { HostChange, HostRecord } from './types.js';
import { parseSpf } from '../validators/spf/parse.js';
import { dmarcVersionFirst, meantAsDmarc } from '../validators/dmarc.js';

export type PlanAction = 'create' | 'update' | 'unchanged' | 'conflict';

export interface PlanEntry {
  action: PlanAction;
  record: DnsRecord;
  existing: HostRecord | null;
  /** The write to make (create/update only). */
  change: HostChange | null;
  /** Why: for update, unchanged-with-a-twist and conflict. */
  reason: string | null;
  /** For conflicts: what the user can do. */
  fix: string | null;
}

export interface Plan {
  entries: PlanEntry[];
  /** Records at the planned names that the plan leaves alone. */
  untouched: HostRecord[];
}

const norm = (s: string): string => s.trim().toLowerCase().replace(/\.$/, '');
const ws = (s: string): string => s.replace(/\s+/g, ' ').trim();
const isSpf = (v: string): boolean => /^v=spf1(\s|$)/i.test(v.trim());
const isDmarc = (v: string): boolean => /^v\s*=\s*DMARC1/i.test(v.trim());
const dkimKey = (v: string): string | null => /(?:^|;)\s*p=([^;]*)/.exec(v)?.[1]?.replace(/\s+/g, '') ?? null;
const STRICTNESS: Record<string, number> = { none: 0, quarantine: 1, reject: 2 };
const policyOf = (v: string): number => STRICTNESS[(/(?:^|;)\s*p\s*=\s*(\w+)/i.exec(v)?.[1] ?? 'none').toLowerCase()] ?? 0;

export function sameRecord(a: { type: string; name: string; value: string; priority: number | null }, b: { type: string; name: string; value: string; priority: number | null }): boolean {
  if (a.type !== b.type || norm(a.name) !== norm(b.name)) return false;
  if (a.type === 'TXT') return ws(a.value) === ws(b.value);
  return norm(a.value) === norm(b.value) && (a.type !== 'MX' || a.priority === b.priority);
}

function includesOf(v: string): string[] {
  return parseSpf(v).terms.flatMap((t) => ('mechanism' in t && t.mechanism === 'include' && t.domainSpec ? [norm(t.domainSpec.raw)] : []));
}

/** Add the includes `want` lacks, just before the final `all` (or `redirect=`), keeping everything else. */
export function mergeSpf(existing: string, wanted: string): string {
  const have = new Set(includesOf(existing));
  const add = includesOf(wanted).filter((i) => !have.has(i)).map((i) => `include:${i}`);
  if (add.length === 0) return existing;
  const terms = existing.trim().split(/\s+/);
  const at = terms.findIndex((t, i) => i > 0 && (/^[+\-~?]?all$/i.test(t) || /^redirect=/i.test(t)));
  if (at === -1) return [...terms, ...add].join(' ');
  return [...terms.slice(0, at), ...add, ...terms.slice(at)].join(' ');
}

function toHost(r: DnsRecord, ttl: number): HostRecord {
  return { type: r.type, name: r.name, value: r.value, priority: r.type === 'MX' ? (r.priority ?? 10) : null, ttl: r.ttl ?? ttl };
}

function entry(action: PlanAction, record: DnsRecord, existing: HostRecord | null, change: HostChange | null, reason: string | null = null, fix: string | null = null): PlanEntry {
  return { action, record, existing, change, reason, fix };
}

export function computePlan(desired: DnsRecord[], existing: HostRecord[], owned: Array<Pick<HostRecord, 'type' | 'name' | 'value' | 'priority'>>, ttl: number): Plan {
  const isOwned = (h: HostRecord) => owned.some((o) => sameRecord(o, h));
  const touched = new Set<HostRecord>();
  const entries: PlanEntry[] = [];
  for (const r of desired) {
    const here = existing.filter((h) => norm(h.name) === norm(r.name));
    const want = toHost(r, ttl);
    const cname = here.find((h) => h.type === 'CNAME');
    const same = here.find((h) => sameRecord(h, want));
    if (same) {
      touched.add(same);
      if (same.proxied) {
        entries.push(isOwned(same)
          ? entry('update', r, same, { kind: 'update', from: same, to: { ...want, hostId: same.hostId, proxied: false }, seen: here } as HostChange, 'served through the proxy: switch it to DNS only')
          : entry('conflict', r, same, null, 'the record exists but is proxied, and mailsetup did not create it', 'Turn the proxy off for this record in the DNS host (DNS only).'));
      } else entries.push(entry('unchanged', r, same, null));
      continue;
    }
    if (r.type === 'CNAME') {
      const others = here.filter((h) => h.type !== 'CNAME');
      if (others.length > 0) {
        entries.push(entry('conflict', r, others[0]!, null, `a CNAME cannot share ${r.name} with the ${others.map((o) => o.type).join(', ')} record(s) there`, `Delete the ${others.map((o) => o.type).join('/')} at ${r.name} if it is unused, then run autoconfig again.`));
        continue;
      }
      if (cname) {
        touched.add(cname);
        entries.push(isOwned(cname)
          ? entry('update', r, cname, { kind: 'update', from: cname, to: { ...want, hostId: cname.hostId }, seen: here }, `points to ${cname.value}; mailsetup set it before, now ${r.value}`)
          : entry('conflict', r, cname, null, `a CNAME to ${cname.value} is there and mailsetup did not create it`, `Change it to ${r.value} by hand if it is stale, then run autoconfig again.`));
        continue;
      }
      entries.push(entry('create', r, null, { kind: 'create', record: want, seen: here }));
      continue;
    }
    if (cname) {
      entries.push(entry('conflict', r, cname, null, `${r.name} is a CNAME (to ${cname.value}); no other record can live there`, `Remove the CNAME at ${r.name} if it is unused, then run autoconfig again.`));
      continue;
    }
    if (r.type === 'TXT' && (r.purpose === 'spf' || r.purpose === 'mail-from-spf')) {
      const spfs = here.filter((h) => h.type === 'TXT' && isSpf(h.value));
      if (spfs.length > 1) {
        spfs.forEach((s) => touched.add(s));
        entries.push(entry('conflict', r, spfs[0]!, null, `${spfs.length} SPF records at ${r.name} already (a permanent error for receivers)`, 'Merge them into one v=spf1 record by hand, then run autoconfig again.'));
        continue;
      }
      const spf = spfs[0];
      if (!spf) { entries.push(entry('create', r, null, { kind: 'create', record: want, seen: here })); continue; }
      touched.add(spf);
      const merged = mergeSpf(spf.value, r.value);
      if (merged === spf.value) { entries.push(entry('unchanged', r, spf, null, 'the existing SPF record already includes the provider')); continue; }
      entries.push(entry('update', r, spf, { kind: 'update', from: spf, to: { ...spf, value: merged }, seen: here }, `merge into the existing SPF: ${merged}`));
      continue;
    }
    if (r.type === 'TXT' && r.purpose === 'dmarc') {
      // A record meant as DMARC but not starting with v=DMARC1 (`p=reject; v=DMARC1`) is the owner's
      // policy, broken — not "no DMARC": creating ours beside it would leave two records, or a
      // weaker policy once they fix theirs.
      const dmarcs = here.filter((h) => h.type === 'TXT' && meantAsDmarc(h.value));
      const d = dmarcs[0];
      if (!d) { entries.push(entry('create', r, null, { kind: 'create', record: want, seen: here })); continue; }
      dmarcs.forEach((x) => touched.add(x));
      if (dmarcs.length > 1) { entries.push(entry('conflict', r, d, null, `${dmarcs.length} DMARC records at ${r.name} (receivers ignore them all)`, 'Keep one v=DMARC1 record and delete the others.')); continue; }
      if (!isDmarc(d.value)) {
        entries.push(entry('conflict', r, d, null, `the DMARC record at ${r.name} does not start with v=DMARC1, so receivers ignore it`, `Fix it at your DNS host, keeping your policy: "${dmarcVersionFirst(d.value)}".`));
        continue;
      }
      if (policyOf(d.value) >= policyOf(r.value)) { entries.push(entry('unchanged', r, d, null, 'an existing DMARC policy at least as strict is kept')); continue; }
      entries.push(isOwned(d)
        ? entry('update', r, d, { kind: 'update', from: d, to: { ...want, hostId: d.hostId }, seen: here }, 'mailsetup wrote this policy before; now the stricter one')
        : entry('unchanged', r, d, null, 'an existing DMARC policy is kept: mailsetup did not write it'));
      continue;
    }
    if (r.type === 'TXT' && r.purpose === 'dkim') {
      const keys = here.filter((h) => h.type === 'TXT' && dkimKey(h.value) !== null);
      const k = keys[0];
      if (k) {
        touched.add(k);
        entries.push(isOwned(k)
          ? entry('update', r, k, { kind: 'update', from: k, to: { ...want, hostId: k.hostId }, seen: here }, 'a DKIM key mailsetup published before; replaced with the current one')
          : entry('conflict', r, k, null, 'another DKIM key is published at this selector', 'Use another selector, or delete the old key if it is unused.'));
        continue;
      }
    }
    if (r.type === 'MX') {
      const mx = here.find((h) => h.type === 'MX' && norm(h.value) === norm(r.value));
      if (mx) {
        touched.add(mx);
        entries.push(isOwned(mx)
          ? entry('update', r, mx, { kind: 'update', from: mx, to: { ...want, hostId: mx.hostId }, seen: here }, `priority ${mx.priority} → ${want.priority}`)
          : entry('unchanged', r, mx, null, `priority ${mx.priority} kept (mailsetup did not create it)`));
        continue;
      }
    }
    entries.push(entry('create', r, null, { kind: 'create', record: want, seen: here }));
  }
  const names = new Set(desired.map((d) => norm(d.name)));
  const untouched = existing.filter((h) => names.has(norm(h.name)) && !touched.has(h));
  return { entries, untouched };
}

export function planChanges(plan: Plan): HostChange[] {
  return plan.entries.flatMap((e) => (e.change ? [e.change] : []));
}
