/**
 * Route 53 resource record sets ↔ HostRecord (registrars.md §2.4), and the read-merge step that
 * turns record-level changes into RRset-wide writes. Route 53 has no record ids: an RRset (name +
 * type) is written whole, so adding one TXT value means writing every sibling value with it.
 * Wire forms: names end with a dot (`*` as `\052`), TXT values are quoted strings of ≤ 255 bytes
 * with non-printable bytes as `\ddd` octal, MX is `10 host.`, CNAME `host.`.
 */
import { MailsetupError } from '../../errors.js';
import { normaliseName } from '../../model/record.js';
import type { HostChange, HostRecord } from '../types.js';
import { quoteTxt, unquoteTxtStrings } from '../txt.js';
import { RERUN_HINT } from '../pin.js';

/** An RRset as read, name normalised, values in wire form. */
export interface R53RRset {
  name: string;
  type: string;
  ttl: number | null;
  values: string[];
  /** Alias target (no values of its own). */
  alias?: string;
  /** Weighted, latency, failover … records: one of several RRsets at name + type. */
  setIdentifier?: string;
}

export interface RRsetWrite {
  /**
   * CREATE a new RRset (fails if one appeared), or REPLACE one: DELETE it with exactly the values and
   * TTL read, then CREATE the new one, in the same batch — the DELETE fails if the set changed.
   */
  action: 'CREATE' | 'REPLACE';
  name: string;
  type: string;
  ttl: number;
  values: string[];
  /** Indexes (into the apply's changes) this write carries. */
  changes: number[];
  /** REPLACE: the RRset as read, wire values verbatim. */
  old?: { ttl: number; values: string[] };
}

export const DEFAULT_TTL = 300;
const HOSTNAME_TYPES = new Set(['CNAME', 'MX', 'NS', 'PTR']);

/** `\052.acme.com.` → `*.acme.com`. */
export function fromWireName(name: string): string {
  return normaliseName(name.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(parseInt(d, 8))));
}

/** The one place a dot is added: every name we send is a normalised FQDN. */
export const toWireName = (name: string): string => `${normaliseName(name)}.`;

export function toWireValue(r: HostRecord): string {
  const type = r.type.toUpperCase();
  if (type === 'TXT') return quoteTxt(r.value, { octal: true });
  if (type === 'MX') return `${r.priority ?? 10} ${toWireName(r.value)}`;
  if (HOSTNAME_TYPES.has(type)) return toWireName(r.value);
  return r.value;
}

export function fromWireValue(type: string, wire: string): { value: string; priority: number | null } {
  if (type === 'TXT') return { value: unquoteTxtStrings(wire, { octal: true }) ?? wire, priority: null };
  if (type === 'MX') {
    const m = wire.trim().match(/^(\d+)\s+(\S+)$/);
    return m ? { value: normaliseName(m[2]!), priority: Number(m[1]) } : { value: wire, priority: null };
  }
  if (HOSTNAME_TYPES.has(type)) return { value: normaliseName(wire), priority: null };
  return { value: wire, priority: null };
}

export function rrsetToRecords(rs: R53RRset): HostRecord[] {
  if (rs.alias !== undefined) return [{ type: rs.type, name: rs.name, value: normaliseName(rs.alias), priority: null, ttl: null }];
  return rs.values.map((w) => ({ type: rs.type, name: rs.name, ...fromWireValue(rs.type, w), ttl: rs.ttl, raw: w }));
}

const key = (name: string, type: string) => `${normaliseName(name)}|${type.toUpperCase()}`;

function sameValue(type: string, wire: string, r: HostRecord): boolean {
  const got = fromWireValue(type, wire);
  if (type === 'TXT') return got.value === r.value;
  return got.value.toLowerCase() === r.value.toLowerCase() && (type !== 'MX' || got.priority === (r.priority ?? 10));
}

function conflict(r: HostRecord, why: string): MailsetupError {
  return new MailsetupError('HOST_CONFLICT', `${r.type.toUpperCase()} ${r.name}: ${why}; nothing was written at ${normaliseName(r.name)}`, { hint: RERUN_HINT });
}

interface Working { existed: boolean; ttl: number | null; read: string[]; values: Array<{ wire: string; ours: boolean }>; dirty: boolean; lastTtl: number | null; changes: number[]; special: boolean }

export interface MergeResult {
  writes: RRsetWrite[];
  /** Changes whose state already held: nothing to write for them. */
  unchanged: number[];
  /** The first change that cannot be merged (the ones before it are in `writes`/`unchanged`). */
  stopped: { index: number; error: MailsetupError } | null;
}

/**
 * Apply `changes` in order to the RRsets read from the zone. An update must find its `from`
 * value; a CNAME must stand alone at its name. A new RRset is CREATEd, an existing one REPLACEd
 * (DELETE with the values read + CREATE with every sibling), so a concurrent writer makes the whole
 * batch fail rather than be clobbered.
 */
export function mergeChanges(current: R53RRset[], changes: HostChange[]): MergeResult {
  const sets = new Map<string, Working>();
  for (const rs of current) {
    const k = key(rs.name, rs.type);
    const special = rs.alias !== undefined || rs.setIdentifier !== undefined || sets.get(k)?.special === true;
    sets.set(k, { existed: true, ttl: rs.ttl, read: [...rs.values], values: rs.values.map((wire) => ({ wire, ours: false })), dirty: false, lastTtl: null, changes: [], special });
  }
  const typesAt = (name: string) => [...sets.entries()].filter(([k, w]) => k.startsWith(`${normaliseName(name)}|`) && (w.values.length > 0 || w.special)).map(([k]) => k.split('|')[1]!);
  const unchanged: number[] = [];
  let stopped: MergeResult['stopped'] = null;

  for (const [i, change] of changes.entries()) {
    const rec = change.kind === 'create' ? change.record : change.to;
    const type = rec.type.toUpperCase();
    const k = key(rec.name, type);
    try {
      if (change.kind === 'update' && key(change.from.name, change.from.type) !== k) {
        throw new MailsetupError('INTERNAL', `An update must keep name and type (${change.from.type} ${change.from.name} → ${type} ${rec.name})`);
      }
      const w = sets.get(k) ?? { existed: false, ttl: null, read: [], values: [], dirty: false, lastTtl: null, changes: [], special: false };
      if (w.special) throw conflict(rec, 'the name holds an alias or routing-policy record set, which mailsetup does not rewrite');
      const others = typesAt(rec.name).filter((t) => t !== type);
      if (type === 'CNAME' && others.length > 0) throw conflict(rec, `a CNAME cannot sit beside ${others.join(', ')} records`);
      if (type !== 'CNAME' && others.includes('CNAME')) throw conflict(rec, 'the name already holds a CNAME');
      const wire = toWireValue(rec);
      const present = w.values.findIndex((v) => sameValue(type, v.wire, rec));
      if (change.kind === 'create') {
        if (present >= 0) { unchanged.push(i); continue; }
        if (type === 'CNAME' && w.values.length > 0) throw conflict(rec, 'a CNAME already points elsewhere');
        w.values.push({ wire, ours: true });
      } else {
        const at = w.values.findIndex((v) => sameValue(type, v.wire, change.from));
        if (at < 0) throw conflict(change.from, 'the value to replace is gone');
        if (present >= 0 && present !== at) w.values.splice(at, 1);
        else w.values[at] = { wire, ours: true };
      }
      w.dirty = true;
      w.lastTtl = rec.ttl;
      w.changes.push(i);
      sets.set(k, w);
    } catch (e) {
      stopped = { index: i, error: e instanceof MailsetupError ? e : new MailsetupError('INTERNAL', String(e)) };
      break;
    }
  }

  const writes: RRsetWrite[] = [];
  for (const [k, w] of sets) {
    if (!w.dirty) continue;
    const [name, type] = k.split('|') as [string, string];
    // The RRset has one TTL: ours when every value is ours, else the siblings' (not ours to change).
    const allOurs = w.values.every((v) => v.ours);
    const ttl = (allOurs ? w.lastTtl ?? w.ttl : w.ttl ?? w.lastTtl) ?? DEFAULT_TTL;
    const values = w.values.map((v) => v.wire);
    writes.push(w.existed && w.ttl !== null
      ? { action: 'REPLACE', name, type, ttl, values, changes: w.changes, old: { ttl: w.ttl, values: w.read } }
      : { action: 'CREATE', name, type, ttl, values, changes: w.changes });
  }
  return { writes, unchanged, stopped };
}

/** Route 53 limits per ChangeBatch: 1000 values (an UPSERT or DELETE+CREATE counts twice) and 32,000 characters. */
export function toBatches(writes: RRsetWrite[]): RRsetWrite[][] {
  const batches: RRsetWrite[][] = [];
  let cur: RRsetWrite[] = [];
  let count = 0;
  let chars = 0;
  for (const w of writes) {
    const n = w.values.length + (w.old?.values.length ?? 0);
    const c = [...w.values, ...(w.old?.values ?? [])].reduce((s, v) => s + v.length, 0);
    if (cur.length > 0 && (count + n > 1000 || chars + c > 32_000)) {
      batches.push(cur);
      cur = [];
      count = 0;
      chars = 0;
    }
    cur.push(w);
    count += n;
    chars += c;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}
