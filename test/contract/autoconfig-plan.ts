/**
 * The plan-level rules of autoconfig (DESIGN.md "DNS hosts", STYLE.md §6.3–6.4), run through
 * `planAutoconfig` / `applyAutoconfig` over every writer: against its loopback emulator, or (RFC 2136)
 * real BIND. Each case gets its own sending domain under the harness zone, seeds what "someone else"
 * put there, and after every step checks the zone through the harness (never through the writer):
 * what we wanted is there, and every record we do not own is byte-identical — inside the case's
 * domain and everywhere else in the zone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAutoconfig, planAutoconfig, type AutoconfigPlan, type OwnedRecord } from '../../src/core/autoconfig.js';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { DnsEngine } from '../../src/dns/engine.js';
import type { Lookup } from '../../src/dns/types.js';
import { planChanges } from '../../src/dns-hosts/plan.js';
import type { DnsHostWriter, HostFactory, HostId, HostRecord } from '../../src/dns-hosts/types.js';
import { makeRecord, type DnsRecord } from '../../src/model/record.js';
import type { DomainState } from '../../src/state/schema.js';
import { StateStore } from '../../src/state/store.js';
import type { HostHarness } from './dns-host.js';

/** A way to make one apply stop half way, and what it is expected to have written by then. */
export interface PartialFailure {
  /** How the failure is made (shown in the test name). */
  how: string;
  /** How many of the fresh domain's five changes land before the failure. */
  lands: number;
  /** Arm the failure; return the writer to apply with (null: the usual one). */
  arm(): Promise<DnsHostWriter | null>;
  disarm(): Promise<void>;
}

export interface PlanHarness extends HostHarness {
  /** Servers whose SOA serial autoconfig waits for after a write ([]: none, no wait). */
  authoritative: string[];
  partial: PartialFailure | null;
}

export interface AutoconfigContractSetup {
  id: HostId;
  makeWriter: HostFactory;
  makeHarness: () => Promise<PlanHarness>;
}

type Keyed = Pick<HostRecord, 'type' | 'name' | 'value' | 'priority'>;
const key = (r: Keyed): string => `${r.type} ${r.name} ${r.type === 'MX' ? r.priority : '-'} ${r.value}`;
const keys = (rs: Keyed[]): string[] => rs.map(key).sort();
const under = (d: string) => (r: { name: string }): boolean => r.name === d || r.name.endsWith(`.${d}`);
/** Byte for byte: every field the harness reports (TTL, Cloudflare id and proxied flag included). */
const exact = (rs: HostRecord[]): string[] => rs.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)))).sort();

const rec = (purpose: DnsRecord['purpose'], type: DnsRecord['type'], name: string, value: string, over: Partial<DnsRecord> = {}): DnsRecord =>
  makeRecord({ purpose, type, name, value, ...over });
const host = (type: string, name: string, value: string, priority: number | null = null): HostRecord =>
  ({ type, name, value, priority, ttl: 300 });

/** What an SES-like provider hands over, in this order: two DKIM CNAMEs, MAIL FROM MX + SPF, DMARC. */
function mailRecords(d: string): DnsRecord[] {
  return [
    rec('dkim', 'CNAME', `k1._domainkey.${d}`, 'k1.dkim.amazonses.com'),
    rec('dkim', 'CNAME', `k2._domainkey.${d}`, 'k2.dkim.amazonses.com'),
    rec('mail-from-mx', 'MX', `bounce.${d}`, 'feedback-smtp.us-east-1.amazonses.com', { priority: 10 }),
    rec('mail-from-spf', 'TXT', `bounce.${d}`, 'v=spf1 include:amazonses.com ~all'),
    rec('dmarc', 'TXT', `_dmarc.${d}`, 'v=DMARC1; p=none', { source: 'mailsetup', required: false }),
  ];
}

const TTL = 3600;
const INCLUDES = Array.from({ length: 10 }, (_, i) => `l${i + 1}.example.net`);

export function runAutoconfigContract(setup: AutoconfigContractSetup): void {
  describe(`${setup.id}: autoconfig plan rules`, () => {
    let h: PlanHarness;
    let writer: DnsHostWriter;
    let world: EmbeddedDns;
    let resolver: Lookup;
    let dir: string;

    beforeAll(async () => {
      h = await setup.makeHarness();
      writer = await setup.makeWriter({ env: { ...h.env }, timeoutMs: 5000, sleep: async () => {} });
      // The rest of the internet, as far as SPF merging needs it: the includes the merged records name.
      world = await startEmbeddedDns({ records: [
        { name: 'amazonses.com', type: 'TXT', data: 'v=spf1 ip4:199.255.192.0/22 -all' },
        { name: '_spf.example.net', type: 'TXT', data: 'v=spf1 ip4:192.0.2.0/24 -all' },
        ...INCLUDES.map((n) => ({ name: n, type: 'TXT' as const, data: 'v=spf1 -all' })),
      ] });
      resolver = new DnsEngine({ timeoutMs: 2000 }).lookupVia([world.address], true);
      dir = mkdtempSync(join(tmpdir(), `mailsetup-plan-${setup.id}-`));
    });
    afterAll(async () => {
      await h?.close();
      await world?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** One sending domain under the zone, its seeded foreign records, its state file. */
    async function startCase(label: string, opts: { seed?: HostRecord[]; records?: DnsRecord[]; applied?: OwnedRecord[] } = {}) {
      const d = `${label}.${h.zone}`;
      for (const s of opts.seed ?? []) await h.seed(s);
      const all = await h.records();
      const outside = all.filter((r) => !under(d)(r));
      const foreign = all.filter(under(d));
      expect(keys(foreign)).toEqual(keys(opts.seed ?? []));
      const records = opts.records ?? mailRecords(d);
      const store = new StateStore({ path: join(dir, `${label}.json`), env: {} });
      const now = new Date().toISOString();
      await store.update((s) => {
        s.domains[d] = {
          provider: 'ses', providerId: d, region: 'us-east-1', records, status: 'pending', createdAt: now, updatedAt: now, history: [],
          ...(opts.applied ? { applied: opts.applied } : {}),
        };
      });
      const entry = async (): Promise<DomainState> => (await store.read()).domains[d]!;
      return {
        d, store, records, foreign, entry,
        /** The zone's records under the case's domain, as keys. */
        zone: async () => keys((await h.records()).filter(under(d))),
        /**
         * Nothing outside the domain changed, and every foreign record under it is still there
         * exactly once, byte for byte — but for `rewritten`, the ones a rule may change (SPF merge).
         */
        async untouched(rewritten: Keyed[] = []) {
          const now = await h.records();
          expect(exact(now.filter((r) => !under(d)(r)))).toEqual(exact(outside));
          const mine = now.filter(under(d));
          for (const f of foreign) {
            if (rewritten.some((x) => key(x) === key(f))) continue;
            expect(exact(mine.filter((r) => key(r) === key(f)))).toEqual(exact([f]));
          }
        },
        plan: () => planAutoconfig(d, { store, writer, resolver, ttl: TTL }),
        apply: (p: AutoconfigPlan, w: DnsHostWriter = writer) => applyAutoconfig(p, {
          // A fresh engine per run, as the CLI has: the SOA serial read before the write is not a memo.
          store, writer: w, dns: new DnsEngine({ timeoutMs: 2000 }), authoritative: h.authoritative, resolver, waitMs: 10_000,
        }),
        ownedKeys: async () => keys(((await entry()).applied ?? []) as OwnedRecord[]),
      };
    }
    type Case = Awaited<ReturnType<typeof startCase>>;

    const actions = (p: AutoconfigPlan) => p.plan.entries.map((e) => `${e.action} ${e.record.type} ${e.record.name.split('.')[0]}`);
    const want = (rs: DnsRecord[]) => keys(rs.map((r) => ({ ...r, priority: r.type === 'MX' ? r.priority ?? 10 : null })));

    /** Plan again: nothing to write, the zone and the state file as they were after applying. */
    async function idempotent(c: Case) {
      const zone = await c.zone();
      const state = readFileSync(c.store.path, 'utf8');
      const again = await c.plan();
      expect(planChanges(again.plan)).toEqual([]);
      expect(again.plan.entries.every((e) => e.action === 'unchanged' || e.action === 'conflict')).toBe(true);
      const r = await c.apply(again);
      expect(r.report).toEqual({ applied: [], failed: null, skipped: [], conflicts: [] });
      expect(await c.zone()).toEqual(zone);
      expect(readFileSync(c.store.path, 'utf8')).toBe(state);
      return again;
    }

    it('a fresh domain: everything is created and owned; re-planning changes nothing', async () => {
      const c = await startCase('fresh');
      const p = await c.plan();
      expect(p.zone.name).toBe(h.zone);
      expect(actions(p)).toEqual(['create CNAME k1', 'create CNAME k2', 'create MX bounce', 'create TXT bounce', 'create TXT _dmarc']);
      expect(p.plan.untouched).toEqual([]);
      expect(await c.zone()).toEqual([]); // planning writes nothing
      const r = await c.apply(p);
      expect(r.report.failed).toBeNull();
      expect(r.report.skipped).toEqual([]);
      expect(r.report.applied).toEqual(planChanges(p.plan));
      expect(await c.zone()).toEqual(want(c.records));
      expect(await c.ownedKeys()).toEqual(want(c.records));
      expect((await c.entry()).dnsHost).toBe(setup.id);
      if (h.authoritative.length > 0) {
        expect(r.serial.inSync).toBe(true);
        expect(r.serial.after).toBeGreaterThan(r.serial.before!);
      }
      await c.untouched();
      await idempotent(c);
      await c.untouched();
    });

    it('an SPF already at the MAIL FROM name gets the include merged in, never a second v=spf1', async () => {
      const c = await startCase('spf', { seed: [host('TXT', `bounce.spf.${h.zone}`, 'v=spf1 include:_spf.example.net ~all')] });
      const [theirs] = c.foreign;
      const merged = 'v=spf1 include:_spf.example.net include:amazonses.com ~all';
      const p = await c.plan();
      const spf = p.plan.entries.find((e) => e.record.purpose === 'mail-from-spf')!;
      expect(spf.action).toBe('update');
      expect(spf.change).toMatchObject({ kind: 'update', from: { value: theirs!.value }, to: { value: merged } });
      expect(p.plan.untouched).toEqual([]);
      await c.untouched();
      const r = await c.apply(p);
      expect(r.report.failed).toBeNull();
      const txt = (await h.records()).filter((x) => x.name === `bounce.${c.d}` && x.type === 'TXT');
      expect(txt.map((x) => x.value)).toEqual([merged]);
      expect(await c.zone()).toEqual(want(c.records.map((x) => (x.purpose === 'mail-from-spf' ? { ...x, value: merged } : x))));
      expect(await c.ownedKeys()).toContain(key({ type: 'TXT', name: `bounce.${c.d}`, value: merged, priority: null }));
      await c.untouched([theirs!]);
      await idempotent(c);
      await c.untouched([theirs!]);
    });

    it('an existing stricter DMARC (p=reject) is kept as it is', async () => {
      const c = await startCase('dmarc', { seed: [host('TXT', `_dmarc.dmarc.${h.zone}`, 'v=DMARC1; p=reject; rua=mailto:dmarc@ops.example.net')] });
      const p = await c.plan();
      const dmarc = p.plan.entries.find((e) => e.record.purpose === 'dmarc')!;
      expect(dmarc).toMatchObject({ action: 'unchanged', change: null, existing: { value: 'v=DMARC1; p=reject; rua=mailto:dmarc@ops.example.net' } });
      expect(dmarc.reason).toMatch(/at least as strict/);
      await c.apply(p);
      expect((await h.records()).filter((x) => x.name === `_dmarc.${c.d}`).map((x) => x.value)).toEqual(['v=DMARC1; p=reject; rua=mailto:dmarc@ops.example.net']);
      expect(await c.ownedKeys()).toEqual(want(c.records.filter((x) => x.purpose !== 'dmarc')));
      await c.untouched();
      await idempotent(c);
      await c.untouched();
    });

    it('a foreign TXT at a name we write is left alone and listed as untouched', async () => {
      const c = await startCase('foreign', { seed: [host('TXT', `bounce.foreign.${h.zone}`, 'google-site-verification=keep-me')] });
      const p = await c.plan();
      expect(actions(p).every((a) => a.startsWith('create'))).toBe(true);
      expect(keys(p.plan.untouched)).toEqual(keys(c.foreign));
      const r = await c.apply(p);
      expect(r.report.failed).toBeNull();
      expect(await c.zone()).toEqual([...want(c.records), ...keys(c.foreign)].sort());
      expect(await c.ownedKeys()).toEqual(want(c.records));
      await c.untouched();
      const again = await idempotent(c);
      expect(keys(again.plan.untouched)).toEqual(keys(c.foreign));
      await c.untouched();
    });

    it('a CNAME wanted where a TXT exists is a conflict, and nothing is written at that name', async () => {
      const c = await startCase('cname', { seed: [host('TXT', `k1._domainkey.cname.${h.zone}`, 'v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQColdkey')] });
      const p = await c.plan();
      expect(actions(p)).toEqual(['conflict CNAME k1', 'create CNAME k2', 'create MX bounce', 'create TXT bounce', 'create TXT _dmarc']);
      const conflict = p.plan.entries[0]!;
      expect(conflict.change).toBeNull();
      expect(conflict.reason).toMatch(/CNAME cannot share/);
      expect(conflict.fix).toEqual(expect.any(String));
      const r = await c.apply(p);
      expect(r.report.applied).toHaveLength(4);
      expect((await h.records()).filter((x) => x.name === `k1._domainkey.${c.d}`).map(key)).toEqual(keys(c.foreign));
      expect(await c.ownedKeys()).toEqual(want(c.records.slice(1)));
      await c.untouched();
      const again = await idempotent(c);
      expect(again.plan.entries[0]!.action).toBe('conflict');
      await c.untouched();
    });

    it('ownership: a CNAME we wrote whose target changed is updated; one we did not write is a conflict', async () => {
      const c = await startCase('own', { seed: [host('CNAME', `k2._domainkey.own.${h.zone}`, 'k2.other-esp.example.net')] });
      const p = await c.plan();
      expect(actions(p)).toEqual(['create CNAME k1', 'conflict CNAME k2', 'create MX bounce', 'create TXT bounce', 'create TXT _dmarc']);
      expect(p.plan.entries[1]!.reason).toMatch(/mailsetup did not create it/);
      await c.apply(p);
      await c.untouched();
      // The provider rotates both DKIM targets.
      const rotated = c.records.map((x) => (x.type === 'CNAME' ? { ...x, value: x.value.replace(/^(k\d)\./, '$1-rotated.') } : x));
      await c.store.update((s) => { s.domains[c.d]!.records = rotated; });
      const p2 = await c.plan();
      expect(actions(p2)).toEqual(['update CNAME k1', 'conflict CNAME k2', 'unchanged MX bounce', 'unchanged TXT bounce', 'unchanged TXT _dmarc']);
      expect(p2.plan.entries[0]!.change).toMatchObject({ from: { value: 'k1.dkim.amazonses.com' }, to: { value: 'k1-rotated.dkim.amazonses.com' } });
      const r = await c.apply(p2);
      expect(r.report.applied).toEqual(planChanges(p2.plan));
      expect(r.report.failed).toBeNull();
      expect((await h.records()).filter((x) => x.name === `k1._domainkey.${c.d}`).map((x) => `${x.type} ${x.value}`)).toEqual(['CNAME k1-rotated.dkim.amazonses.com']);
      const owned = await c.ownedKeys();
      expect(owned).toContain(key({ type: 'CNAME', name: `k1._domainkey.${c.d}`, value: 'k1-rotated.dkim.amazonses.com', priority: null }));
      expect(owned).not.toContain(key({ type: 'CNAME', name: `k1._domainkey.${c.d}`, value: 'k1.dkim.amazonses.com', priority: null }));
      expect(await c.zone()).toEqual([...want(rotated.filter((x) => !x.name.startsWith('k2._domainkey.'))), ...keys(c.foreign)].sort());
      await c.untouched();
      await idempotent(c);
      await c.untouched();
    });

    it('a failure half way: the report says exactly what was applied, and a re-run applies only the rest', async (ctx) => {
      if (!h.partial) return ctx.skip();
      const partial = h.partial;
      const c = await startCase('partial', { seed: [host('TXT', `bounce.partial.${h.zone}`, 'unrelated=keep-me')] });
      const p = await c.plan();
      const changes = planChanges(p.plan);
      expect(changes).toHaveLength(5);
      const failing = await partial.arm();
      const r = await c.apply(p, failing ?? writer).finally(() => partial.disarm());
      const written = (x: (typeof changes)[number]) => (x.kind === 'create' ? x.record : x.to);
      expect(r.report.applied).toEqual(changes.slice(0, partial.lands));
      expect(r.report.failed?.change).toEqual(changes[partial.lands]);
      expect(r.report.failed?.error).toBeInstanceOf(Error);
      expect(r.report.skipped).toEqual(changes.slice(partial.lands + 1));
      // Exactly what the report says landed is in the zone, and is what the state file now owns.
      expect(await c.zone()).toEqual([...keys(r.report.applied.map(written)), ...keys(c.foreign)].sort());
      expect(await c.ownedKeys()).toEqual(keys(r.report.applied.map(written)));
      await c.untouched();
      const rerun = await c.plan();
      expect(rerun.plan.entries.filter((e) => e.action === 'unchanged')).toHaveLength(partial.lands);
      expect(planChanges(rerun.plan)).toEqual(changes.slice(partial.lands));
      const r2 = await c.apply(rerun);
      expect(r2.report).toEqual({ applied: changes.slice(partial.lands), failed: null, skipped: [], conflicts: [] });
      expect(await c.zone()).toEqual([...want(c.records), ...keys(c.foreign)].sort());
      expect(await c.ownedKeys()).toEqual(want(c.records));
      await c.untouched();
      await idempotent(c);
    });

    it('pinned: a record appearing at a planned name after the plan → HOST_CONFLICT there, nothing written there, the state owns only what landed', async () => {
      const c = await startCase('pinned');
      const p = await c.plan();
      const changes = planChanges(p.plan);
      expect(changes).toHaveLength(5);
      // Someone publishes an SPF at the MAIL FROM name after the plan was shown.
      const theirs = host('TXT', `bounce.${c.d}`, 'v=spf1 include:_spf.example.net ~all');
      await h.seed(theirs);
      const r = await c.apply(p);
      const written = (x: (typeof changes)[number]) => (x.kind === 'create' ? x.record : x.to);
      const bounce = changes.filter((x) => written(x).name === `bounce.${c.d}`);
      const others = changes.filter((x) => !bounce.includes(x));
      expect(r.report.failed).toBeNull();
      expect(r.report.conflicts.map((x) => x.change)).toEqual(bounce);
      for (const x of r.report.conflicts) expect(x.error).toMatchObject({ code: 'HOST_CONFLICT', exitCode: 2 });
      // All-or-nothing hosts wrote nothing; record-by-record hosts wrote the other names.
      expect(r.report.applied).toEqual(writer.capabilities.atomicBatch ? [] : others);
      expect(r.report.skipped).toEqual(writer.capabilities.atomicBatch ? others : []);
      expect((await h.records()).filter((x) => x.name === `bounce.${c.d}`).map(key)).toEqual([key(theirs)]);
      expect(await c.zone()).toEqual([...keys(r.report.applied.map(written)), key(theirs)].sort());
      expect(await c.ownedKeys()).toEqual(keys(r.report.applied.map(written)));
      // A fresh plan sees their SPF and merges into it.
      const again = await c.plan();
      expect(again.plan.entries.find((e) => e.record.purpose === 'mail-from-spf')?.action).toBe('update');
    });

    it('no plan can make it delete or rewrite a record it does not own', async () => {
      const d = `hostile.${h.zone}`;
      const records = [
        rec('dkim', 'TXT', `sel._domainkey.${d}`, 'v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCnew'),
        rec('dkim', 'CNAME', `k2._domainkey.${d}`, 'k2.dkim.amazonses.com'),
        rec('mail-from-mx', 'MX', `bounce.${d}`, 'feedback-smtp.us-east-1.amazonses.com', { priority: 10 }),
        rec('mail-from-spf', 'TXT', `bounce.${d}`, 'v=spf1 include:amazonses.com ~all'),
        rec('dmarc', 'TXT', `_dmarc.${d}`, 'v=DMARC1; p=quarantine', { source: 'mailsetup' }),
        rec('verification', 'TXT', `verify.${d}`, 'amazonses:token-123'),
      ];
      const c = await startCase('hostile', {
        records,
        seed: [
          host('TXT', `sel._domainkey.${d}`, 'v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCforeign'), // another key at our selector
          host('CNAME', `k2._domainkey.${d}`, 'k2.other-esp.example.net'), // someone else's CNAME
          host('MX', `bounce.${d}`, 'feedback-smtp.us-east-1.amazonses.com', 20), // same exchange, their priority
          host('TXT', `bounce.${d}`, 'v=spf1 include:_spf.example.net ~all'), // two SPF records already
          host('TXT', `bounce.${d}`, 'v=spf1 a -all'),
          host('TXT', `_dmarc.${d}`, 'v=DMARC1; p=none; rua=mailto:d@ops.example.net'), // weaker, but theirs
          host('CNAME', `verify.${d}`, 'verify.elsewhere.example.net'), // a CNAME where we want a TXT
        ],
        // The state file claims a k2 CNAME we wrote once, with another target: ownership is by exact value.
        applied: [{ type: 'CNAME', name: `k2._domainkey.${d}`, value: 'k2.dkim.amazonses-old.com', priority: null }],
      });
      const p = await c.plan();
      expect(actions(p)).toEqual(['conflict TXT sel', 'conflict CNAME k2', 'unchanged MX bounce', 'conflict TXT bounce', 'unchanged TXT _dmarc', 'conflict TXT verify']);
      expect(planChanges(p.plan)).toEqual([]);
      await c.untouched();
      const r = await c.apply(p);
      expect(r.report).toEqual({ applied: [], failed: null, skipped: [], conflicts: [] });
      expect(await c.zone()).toEqual(keys(c.foreign));
      await c.untouched();
      await idempotent(c);
      await c.untouched();
    });

    it('an SPF merge that would need more than 10 DNS lookups is a conflict, not a write', async () => {
      const full = `v=spf1 ${INCLUDES.map((i) => `include:${i}`).join(' ')} ~all`;
      const c = await startCase('limit', { seed: [host('TXT', `bounce.limit.${h.zone}`, full)] });
      const p = await c.plan();
      const spf = p.plan.entries.find((e) => e.record.purpose === 'mail-from-spf')!;
      expect(spf).toMatchObject({ action: 'conflict', change: null });
      expect(spf.reason).toMatch(/11 DNS lookups/);
      const r = await c.apply(p);
      expect(r.report.applied).toHaveLength(4);
      expect((await h.records()).filter((x) => x.name === `bounce.${c.d}` && x.type === 'TXT').map((x) => x.value)).toEqual([full]);
      await c.untouched();
      await idempotent(c);
      await c.untouched();
    });
  });
}
