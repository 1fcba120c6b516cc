/**
 * The state file's v1 shape (DESIGN.md "State file", "Records and statuses") and its validation.
 *
 * Hand-written rather than a schema library: the shape is small, users edit the file by hand and
 * deserve messages that name the exact spot (`domains["mail.acme.com"].records[2].type: expected
 * CNAME|TXT|MX, got "A"`), and it keeps a schema library off every command's start-up path.
 *
 * Validation never rebuilds objects: the parsed JSON is checked in place and handed back, so fields
 * this version does not know (written by a newer mailsetup, or by the user) survive load → save.
 * `normaliseState` only fills in fields a hand-written v1 file may leave out (`history`, `region`,
 * a record's `priority`/`ttl`/`required`/`source`), with the values they would mean.
 */
import type { DnsRecord, RecordPurpose, RecordType } from '../model/record.js';
import { normaliseName } from '../model/record.js';
import type { ProviderId } from '../providers/types.js';
import { PROVIDER_IDS } from '../providers/types.js';

export const STATE_VERSION = 1;

export type DomainStatus = 'pending' | 'verified' | 'failed' | 'unknown';
export const DOMAIN_STATUSES: readonly DomainStatus[] = ['pending', 'verified', 'failed', 'unknown'];

/** `sandbox` is the demo's labelled simulator; it may appear in a demo's state file. */
export type StoredProviderId = ProviderId | 'sandbox';
export const STORED_PROVIDER_IDS: readonly StoredProviderId[] = [...PROVIDER_IDS, 'sandbox'];

const RECORD_TYPES: readonly RecordType[] = ['CNAME', 'TXT', 'MX'];
const RECORD_PURPOSES: readonly RecordPurpose[] = [
  'dkim', 'spf', 'dmarc', 'mail-from-mx', 'mail-from-spf', 'return-path', 'verification', 'inbound-mx', 'tracking',
];
const RECORD_SOURCES: readonly DnsRecord['source'][] = ['provider', 'mailsetup'];

export interface HistoryEntry {
  /** ISO 8601, UTC. */
  at: string;
  status: DomainStatus;
  detail?: string | null;
  [unknown: string]: unknown;
}

/** One UTC day's `health` run for a domain (DESIGN.md "`health`"); figures over the run's window. */
export interface HealthSnapshot {
  /** `YYYY-MM-DD`, UTC: the day of the run. */
  date: string;
  sent: number | null;
  delivered: number | null;
  bounces: number | null;
  complaints: number | null;
  status: 'healthy' | 'warning' | 'flagged' | 'unknown';
  /** The window the figures cover, in days (`--days`). */
  days?: number;
  scope?: 'domain' | 'account' | null;
  /** The last complete UTC day (yesterday) alone, when the provider gave daily figures: what `warmup` reads. */
  lastDay?: { date: string; sent: number | null; delivered: number | null; bounces: number | null; complaints: number | null } | null;
  [unknown: string]: unknown;
}

/** A `warmup` plan (DESIGN.md "`warmup`"). */
export interface WarmupPlanState {
  start: number;
  target: number;
  days: number;
  /** ISO 8601: the plan's day one is this UTC day. */
  startedAt: string;
  [unknown: string]: unknown;
}

export interface DomainState {
  provider: StoredProviderId;
  /** The provider's own identifier, as a string (SES: identity name; SendGrid: numeric id …). */
  providerId: string;
  region: string | null;
  /** Unknown per-record fields are preserved at run time; the type stays `DnsRecord` so core can assign provider records directly. */
  records: DnsRecord[];
  status: DomainStatus;
  createdAt: string;
  updatedAt: string;
  /** Every status change, oldest first (see `recordStatus` in store.ts). */
  history: HistoryEntry[];
  /** Daily `health` snapshots, oldest first, 90 days kept. */
  health?: HealthSnapshot[];
  warmup?: WarmupPlanState;
  [unknown: string]: unknown;
}

export interface ProviderSettings {
  region?: string;
  baseUrl?: string;
  [unknown: string]: unknown;
}

export interface StateDefaults {
  provider?: StoredProviderId;
  region?: string;
  [unknown: string]: unknown;
}

export interface StateFile {
  version: 1;
  defaults?: StateDefaults;
  providers?: Record<string, ProviderSettings>;
  domains: Record<string, DomainState>;
  [unknown: string]: unknown;
}

export function emptyState(): StateFile {
  return { version: 1, domains: {} };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Present with a value: `undefined` is what JSON.stringify drops, so it counts as absent, as it will be in the file. */
const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;

/** `.name` for identifiers, `["mail.acme.com"]` for anything else, `[2]` for indices. */
function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

function got(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v} ${String(v)}`;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** One field check: returns what was expected, or null when the value is fine. */
type Check = (v: unknown) => string | null;
const oneOf = (values: readonly string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? null : values.join('|'));
const str: Check = (v) => (typeof v === 'string' ? null : 'a string');
const nonEmpty: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? null : 'a non-empty string');
const nullableStr: Check = (v) => (v === null || typeof v === 'string' ? null : 'a string or null');
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'true or false');
const timestamp: Check = (v) => (typeof v === 'string' && ISO_8601.test(v) && !Number.isNaN(Date.parse(v)) ? null : 'an ISO 8601 timestamp such as "2026-11-23T10:00:00.000Z"');
const intIn = (min: number, max: number, nullable: boolean): Check => (v) =>
  (nullable && v === null) || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max) ? null : `${nullable ? 'null or ' : ''}an integer from ${min} to ${max}`;
const httpUrl: Check = (v) => {
  if (typeof v !== 'string') return 'an http(s) URL';
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'an http(s) URL';
    // Credentials belong in the environment only; a URL with user:password@ would put one in the file.
    if (u.username !== '' || u.password !== '') return 'a URL without user:password@ (credentials come from the environment)';
    return null;
  } catch {
    return 'an http(s) URL';
  }
};

class Checker {
  readonly problems: string[] = [];
  field(o: Obj, key: string, path: string, check: Check, required: boolean): void {
    const p = at(path, key);
    if (!has(o, key)) {
      if (required) this.problems.push(`${p}: required`);
      return;
    }
    const expected = check(o[key]);
    if (expected !== null) this.problems.push(`${p}: expected ${expected}, got ${got(o[key])}`);
  }
  object(v: unknown, path: string): v is Obj {
    if (isObj(v)) return true;
    this.problems.push(`${path || '(top level)'}: expected an object, got ${got(v)}`);
    return false;
  }
  array(v: unknown, path: string): v is unknown[] {
    if (Array.isArray(v)) return true;
    this.problems.push(`${path}: expected an array, got ${got(v)}`);
    return false;
  }
}

/**
 * Every problem in `json` as a v1 state file, each prefixed with the JSON path it concerns.
 * An empty list means the value can be used (after `normaliseState`) as a `StateFile`.
 */
export function validateState(json: unknown): string[] {
  const c = new Checker();
  if (!c.object(json, '')) return c.problems;
  if (!has(json, 'version')) c.problems.push(`version: required (this mailsetup writes ${STATE_VERSION})`);
  else if (typeof json.version === 'number' && Number.isInteger(json.version) && json.version > STATE_VERSION) {
    c.problems.push(`version: ${json.version} was written by a newer mailsetup; this one understands version ${STATE_VERSION}, upgrade mailsetup`);
  } else if (json.version !== STATE_VERSION) c.problems.push(`version: expected ${STATE_VERSION}, got ${got(json.version)}`);

  if (has(json, 'defaults') && c.object(json.defaults, 'defaults')) {
    c.field(json.defaults, 'provider', 'defaults', oneOf(STORED_PROVIDER_IDS), false);
    c.field(json.defaults, 'region', 'defaults', nonEmpty, false);
  }
  if (has(json, 'providers') && c.object(json.providers, 'providers')) {
    for (const [id, settings] of Object.entries(json.providers)) {
      const p = at('providers', id);
      if (!c.object(settings, p)) continue;
      c.field(settings, 'region', p, nonEmpty, false);
      c.field(settings, 'baseUrl', p, httpUrl, false);
    }
  }
  // A hand-written `{"version": 1}` is a valid, empty state.
  if (has(json, 'domains') && c.object(json.domains, 'domains')) {
    for (const [name, domain] of Object.entries(json.domains)) checkDomain(c, name, domain);
  }
  return c.problems;
}

function checkDomain(c: Checker, name: string, domain: unknown): void {
  const p = at('domains', name);
  // Keys are looked up with `===` after the CLI normalised the user's input, so they must be normal too.
  const normal = normaliseName(name);
  if (normal !== name || !name.includes('.') || /[^\x21-\x7e]/.test(name)) {
    c.problems.push(`${p}: domain names are stored fully qualified, lower-case, in ASCII (punycode) and without the trailing dot${normal !== name && normal.includes('.') ? `: use ${JSON.stringify(normal)}` : ''}`);
  }
  if (!c.object(domain, p)) return;
  c.field(domain, 'provider', p, oneOf(STORED_PROVIDER_IDS), true);
  c.field(domain, 'providerId', p, nonEmpty, true);
  c.field(domain, 'region', p, nullableStr, false);
  c.field(domain, 'status', p, oneOf(DOMAIN_STATUSES), true);
  c.field(domain, 'createdAt', p, timestamp, true);
  c.field(domain, 'updatedAt', p, timestamp, true);
  if (!has(domain, 'records')) c.problems.push(`${at(p, 'records')}: required`);
  else if (c.array(domain.records, at(p, 'records'))) domain.records.forEach((r, i) => checkRecord(c, at(at(p, 'records'), i), r));
  if (has(domain, 'history') && c.array(domain.history, at(p, 'history'))) {
    domain.history.forEach((h, i) => {
      const hp = at(at(p, 'history'), i);
      if (!c.object(h, hp)) return;
      c.field(h, 'at', hp, timestamp, true);
      c.field(h, 'status', hp, oneOf(DOMAIN_STATUSES), true);
      c.field(h, 'detail', hp, nullableStr, false);
    });
  }
  if (has(domain, 'health') && c.array(domain.health, at(p, 'health'))) {
    domain.health.forEach((h, i) => {
      const hp = at(at(p, 'health'), i);
      if (!c.object(h, hp)) return;
      c.field(h, 'date', hp, day, true);
      for (const k of ['sent', 'delivered', 'bounces', 'complaints']) c.field(h, k, hp, count, true);
      c.field(h, 'status', hp, oneOf(HEALTH_STATUSES), true);
      c.field(h, 'days', hp, intIn(1, 30, false), false);
      if (has(h, 'lastDay') && h.lastDay !== null && c.object(h.lastDay, at(hp, 'lastDay'))) {
        c.field(h.lastDay, 'date', at(hp, 'lastDay'), day, true);
        for (const k of ['sent', 'delivered', 'bounces', 'complaints']) c.field(h.lastDay, k, at(hp, 'lastDay'), count, false);
      }
    });
  }
  if (has(domain, 'warmup') && c.object(domain.warmup, at(p, 'warmup'))) {
    const wp = at(p, 'warmup');
    c.field(domain.warmup, 'start', wp, intIn(1, 1_000_000_000, false), true);
    c.field(domain.warmup, 'target', wp, intIn(1, 1_000_000_000, false), true);
    c.field(domain.warmup, 'days', wp, intIn(1, 365, false), true);
    c.field(domain.warmup, 'startedAt', wp, timestamp, true);
  }
}

const HEALTH_STATUSES = ['healthy', 'warning', 'flagged', 'unknown'] as const;
const day: Check = (v) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) ? null : 'a UTC date such as "2026-12-01"');
const count: Check = (v) => (v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0) ? null : 'null or a number from 0');

function checkRecord(c: Checker, p: string, r: unknown): void {
  if (!c.object(r, p)) return;
  c.field(r, 'purpose', p, oneOf(RECORD_PURPOSES), true);
  c.field(r, 'type', p, oneOf(RECORD_TYPES), true);
  c.field(r, 'name', p, nonEmpty, true);
  c.field(r, 'value', p, str, true);
  // MX keeps its preference in `priority`, never inside `value` (DESIGN.md "Records and statuses").
  const isMx = r.type === 'MX';
  c.field(r, 'priority', p, isMx ? intIn(0, 65535, false) : (v) => (v === null ? null : `null (only MX records have a priority)`), isMx);
  c.field(r, 'ttl', p, intIn(0, 2147483647, true), false);
  c.field(r, 'required', p, bool, false);
  c.field(r, 'source', p, oneOf(RECORD_SOURCES), false);
}

/**
 * Fill in what a valid hand-written v1 file may omit, in place, and return it typed. Call only on a
 * value `validateState` accepted. Only absent fields are added; nothing present is changed or removed.
 */
export function normaliseState(json: unknown): StateFile {
  const state = json as StateFile;
  if (!has(state, 'domains')) state.domains = {};
  for (const domain of Object.values(state.domains)) {
    if (!has(domain, 'region')) domain.region = null;
    if (!has(domain, 'history')) domain.history = [];
    for (const r of domain.records as unknown as Obj[]) {
      if (!has(r, 'priority')) r.priority = null;
      if (!has(r, 'ttl')) r.ttl = null;
      if (!has(r, 'required')) r.required = true;
      // A record the user wrote into the file by hand is not the provider's.
      if (!has(r, 'source')) r.source = 'mailsetup';
    }
  }
  return state;
}
