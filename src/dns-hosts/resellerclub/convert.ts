/**
 * ResellerClub (LogicBoxes) records ↔ HostRecord. The API has no record ids: a record is its
 * domain, host, type and value, and updates select the old record by its value exactly as the API
 * returned it (`raw`), so that is kept next to the normalised value. Search answers are an object
 * of numbered entries plus string counts (registrars.md §3.2); whether `host` comes back relative
 * (`_dmarc`, `@`) or fully qualified is not documented, so both are read. Search takes one type per
 * call, so listing a name means one search per type the API knows (A, AAAA, CNAME, MX, NS, TXT, SRV).
 */
import { normaliseName } from '../../model/record.js';
import { unquoteTxtStrings } from '../txt.js';
import type { HostRecord } from '../types.js';

/** Every type `search-records` takes (its `type` is required: there is no "all types" search). */
export type RcType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'NS' | 'TXT' | 'SRV';
export const RC_SEARCH_TYPES: readonly RcType[] = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV'];
/** The types the writer writes (one add/update endpoint each). */
export type RcWriteType = 'TXT' | 'CNAME' | 'MX';
export const RC_WRITE_TYPES: readonly RcWriteType[] = ['TXT', 'CNAME', 'MX'];

/** KB default TTL, and the lowest one known clients send (lower values are unverified). */
export const DEFAULT_TTL = 14400;
export const MIN_TTL = 7200;

/** A record as found by search, normalised, with the value as the API spelled it. */
export interface RcRecord extends HostRecord { raw: string }

export interface SearchPage { total: number; records: RcRecord[] }

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** The `host` parameter: relative to the zone, `@` at the apex. */
export function hostParam(name: string, zone: string): string {
  const n = normaliseName(name);
  if (n === zone) return '@';
  if (!n.endsWith(`.${zone}`)) throw new Error(`${n} is not inside ${zone}`);
  return n.slice(0, -(zone.length + 1));
}

/** A `host` from a search answer, relative or qualified, as an FQDN. */
export function qualifyHost(host: string, zone: string): string {
  const h = normaliseName(host);
  if (h === '' || h === '@' || h === zone) return zone;
  return h.endsWith(`.${zone}`) ? h : `${h}.${zone}`;
}

/** TXT may come back wrapped in quotes (or as `"…" "…"`): compare and show it unquoted. */
export function txtValue(raw: string): string {
  return unquoteTxtStrings(raw) ?? raw;
}

function toRecord(entry: Record<string, unknown>, zone: string, type: RcType): RcRecord | null {
  const host = str(entry.host);
  const raw = str(entry.value);
  if (host === null || raw === null) return null;
  if ((str(entry.type) ?? type).toUpperCase() !== type) return null;
  const ttlText = str(entry.timetolive);
  const ttl = ttlText !== null && /^\d+$/.test(ttlText) ? Number(ttlText) : null;
  const base = { type, name: qualifyHost(host, zone), ttl, raw };
  if (type === 'TXT') return { ...base, value: txtValue(raw), priority: null };
  if (type === 'CNAME' || type === 'NS') return { ...base, value: normaliseName(raw), priority: null };
  if (type === 'A' || type === 'AAAA') return { ...base, value: raw.trim().toLowerCase(), priority: null };
  if (type === 'SRV') {
    // Kept as the API spells it, with its priority/port/weight fields when present: compared, never written.
    const extra = ['priority', 'weight', 'port'].map((f) => str(entry[f])).filter((x): x is string => x !== null);
    return { ...base, value: [...extra, raw].join(' '), priority: null };
  }
  // MX: a separate `priority` field when there is one, else a leading "10 " in the value.
  const inline = /^(\d+)\s+(\S+)$/.exec(raw.trim());
  const p = str(entry.priority);
  const priority = p !== null && /^\d+$/.test(p) ? Number(p) : inline ? Number(inline[1]) : null;
  return { ...base, value: normaliseName(inline ? inline[2]! : raw), priority };
}

/** `{"recsonpage":"2","recsindb":"2","1":{…},"2":{…}}` → records of `type`; null when not that shape. */
export function parseSearch(body: unknown, zone: string, type: RcType): SearchPage | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const o = body as Record<string, unknown>;
  const total = Number(str(o.recsindb) ?? NaN);
  if (!Number.isFinite(total)) return null;
  const records = Object.keys(o)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => o[k])
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
    .map((e) => toRecord(e, zone, type))
    .filter((r): r is RcRecord => r !== null);
  return { total, records };
}

/** Same record for our purposes: TXT by exact text, names case-insensitively, MX with its priority. */
export function sameRecord(a: HostRecord, b: HostRecord): boolean {
  if (a.type !== b.type || normaliseName(a.name) !== normaliseName(b.name)) return false;
  if (a.type === 'TXT') return a.value === b.value;
  if (a.type === 'MX' && (a.priority ?? 10) !== (b.priority ?? 10)) return false;
  return normaliseName(a.value) === normaliseName(b.value);
}

/** The API's spelling stays in `raw`: an update selects the old record by it. */
export const hostRecord = (r: RcRecord): HostRecord => r;
