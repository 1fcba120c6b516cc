/**
 * The contract every DNS-host writer passes (STYLE.md §6.3): against its loopback emulator through
 * the real SDK, or (RFC 2136) against real BIND. Writers only read and apply what core decided; the
 * plan-level rules (merge SPF, keep a stricter DMARC, never touch what we don't own) are tested
 * once, through autoconfig, over every writer. Pins: single-call cases pin each change to the zone
 * at apply time (`pinAtApply`); the conflict cases pin at "plan" time and change the zone after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsHostWriter, HostChange, HostContext, HostId, HostRecord } from '../../src/dns-hosts/types.js';
import { computePlan, planChanges } from '../../src/dns-hosts/plan.js';
import { makeRecord } from '../../src/model/record.js';
import { MailsetupError } from '../../src/errors.js';
import type { EmulatorFault } from '../emulators/types.js';
import { pinAtApply, pinNow, type PinningWriter } from '../helpers/host-harness.js';

export interface HostHarness {
  env: Record<string, string>;
  /** A zone prepared on the host (empty but for SOA/NS). */
  zone: string;
  seed(record: HostRecord): Promise<void>;
  /** Everything the zone holds now (except SOA/NS), normalised. */
  records(): Promise<HostRecord[]>;
  /** Emulators only: make requests fail. */
  fail?(fault: EmulatorFault, times: number, afterRequests?: number): void;
  credentialEnv: string[];
  close(): Promise<void>;
}

export interface HostContractSetup {
  id: HostId | 'zonefile';
  makeHarness: () => Promise<HostHarness>;
  makeWriter: (ctx: HostContext) => Promise<DnsHostWriter>;
}

const key = (r: HostRecord) => `${r.type} ${r.name} ${r.priority ?? ''} ${r.value}`;
const LONG_DKIM = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.padEnd(392, 'A')}`;

export function runDnsHostContract(setup: HostContractSetup): void {
  describe(`${setup.id}: DNS host writer contract`, () => {
    let h: HostHarness;
    let writer: PinningWriter;
    beforeAll(async () => {
      h = await setup.makeHarness();
      writer = pinAtApply(await setup.makeWriter({ env: { ...h.env }, timeoutMs: 5000, sleep: async () => {} }));
    });
    const exact = async () => (await h.records()).map((r) => `${key(r)} ${r.ttl}`).sort();
    afterAll(async () => { await h?.close(); });

    it('finds the zone that holds a name', async () => {
      const zone = await writer.findZone(`s1._domainkey.mail.${h.zone}`);
      expect(zone.name).toBe(h.zone);
      expect(zone.id).toEqual(expect.any(String));
    });

    it('lists the records at the given names, normalised (TXT joined and unquoted, MX priority apart)', async () => {
      await h.seed({ type: 'TXT', name: `seed.${h.zone}`, value: 'v=spf1 include:_spf.example.net ~all', priority: null, ttl: 300 });
      await h.seed({ type: 'TXT', name: `seed.${h.zone}`, value: 'google-site-verification=abc', priority: null, ttl: 300 });
      await h.seed({ type: 'MX', name: `seed.${h.zone}`, value: `mx.${h.zone}`, priority: 10, ttl: 300 });
      const zone = await writer.findZone(`seed.${h.zone}`);
      const got = await writer.listRecords(zone, [`seed.${h.zone}`, `nothing.${h.zone}`]);
      expect(got.map(key).sort()).toEqual([
        `MX seed.${h.zone} 10 mx.${h.zone}`,
        `TXT seed.${h.zone}  google-site-verification=abc`,
        `TXT seed.${h.zone}  v=spf1 include:_spf.example.net ~all`,
      ]);
    });

    it('creates TXT (longer than 255 bytes), CNAME and MX records', async () => {
      const zone = await writer.findZone(h.zone);
      const wanted: HostRecord[] = [
        { type: 'TXT', name: `s1._domainkey.mail.${h.zone}`, value: LONG_DKIM, priority: null, ttl: 300 },
        { type: 'CNAME', name: `abc._domainkey.mail.${h.zone}`, value: 'abc.dkim.amazonses.com', priority: null, ttl: 300 },
        { type: 'MX', name: `bounce.mail.${h.zone}`, value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10, ttl: 300 },
      ];
      const report = await writer.apply(zone, wanted.map((record) => ({ kind: 'create' as const, record })));
      expect(report.failed).toBeNull();
      expect(report.applied).toHaveLength(3);
      const listed = await writer.listRecords(zone, wanted.map((r) => r.name));
      expect(listed.map(key).sort()).toEqual(wanted.map(key).sort());
      const all = (await h.records()).map(key);
      for (const w of wanted) expect(all).toContain(key(w));
      for (const r of listed) if (r.proxied !== undefined) expect(r.proxied).toBe(false);
    });

    it('updates exactly one record and leaves its siblings at the same name alone', async () => {
      const zone = await writer.findZone(h.zone);
      const name = `seed.${h.zone}`;
      const [spf] = (await writer.listRecords(zone, [name])).filter((r) => r.value.startsWith('v=spf1'));
      const to = { ...spf!, value: 'v=spf1 include:_spf.example.net include:amazonses.com ~all' };
      const report = await writer.apply(zone, [{ kind: 'update', from: spf!, to }]);
      expect(report.failed).toBeNull();
      const after = (await writer.listRecords(zone, [name])).map(key).sort();
      expect(after).toEqual([
        `MX ${name} 10 mx.${h.zone}`,
        `TXT ${name}  google-site-verification=abc`,
        `TXT ${name}  v=spf1 include:_spf.example.net include:amazonses.com ~all`,
      ]);
    });

    it('a failure half way says exactly what was applied and what was not', async (ctx) => {
      // Skipped where it cannot apply, with the reason: RFC 2136 runs against real BIND, which has no
      // fault switch (rfc2136.test.ts covers a half-way failure with a key allowed only some types);
      // Route 53 applies one atomic batch, so "first applied, second failed" cannot happen
      // (route53.test.ts covers the all-or-nothing report).
      if (!h.fail) ctx.skip();
      const zone = await writer.findZone(h.zone);
      const changes = ['p1', 'p2', 'p3'].map((l) => ({ kind: 'create' as const, record: { type: 'TXT', name: `${l}.${h.zone}`, value: `partial ${l}`, priority: null, ttl: 300 } }));
      // Fail every request after the first write: the first change lands, the second fails.
      h.fail!({ kind: 'server-error' }, 100, 1);
      const report = await writer.apply(zone, changes);
      h.fail!({ kind: 'server-error' }, 0);
      expect(report.applied.map((c) => c.kind === 'create' && c.record.name)).toEqual([`p1.${h.zone}`]);
      expect(report.failed?.change).toEqual(changes[1]);
      expect(report.skipped).toEqual([changes[2]]);
      const names = (await h.records()).map((r) => r.name);
      expect(names).toContain(`p1.${h.zone}`);
      expect(names).not.toContain(`p2.${h.zone}`);
    });

    it('lists every type at a name: an A, an AAAA or a TXT where a CNAME is wanted is a conflict in the plan, and nothing is written', async () => {
      const zone = await writer.findZone(h.zone);
      const held: HostRecord[] = [
        { type: 'A', name: `c-a.${h.zone}`, value: '192.0.2.10', priority: null, ttl: 300 },
        { type: 'AAAA', name: `c-aaaa.${h.zone}`, value: '2001:db8::10', priority: null, ttl: 300 },
        { type: 'TXT', name: `c-txt.${h.zone}`, value: 'held=by-someone-else', priority: null, ttl: 300 },
      ];
      for (const r of held) await h.seed(r);
      const before = await exact();
      const listed = await writer.listRecords(zone, held.map((r) => r.name));
      expect(listed.map(key).sort()).toEqual(held.map(key).sort());
      const wanted = held.map((r) => makeRecord({ purpose: 'dkim', type: 'CNAME', name: r.name, value: 'k.dkim.example.net' }));
      const plan = computePlan(wanted, listed, [], 300);
      expect(plan.entries.map((e) => `${e.action} ${e.existing?.type}`)).toEqual(['conflict A', 'conflict AAAA', 'conflict TXT']);
      expect(planChanges(plan)).toEqual([]);
      // A stale plan that did not see them (empty pins) is refused by the writer itself.
      const stale: HostChange[] = wanted.map((w) => ({ kind: 'create', record: { type: 'CNAME', name: w.name, value: w.value, priority: null, ttl: 300 }, seen: [] }));
      const report = await writer.inner.apply(zone, stale);
      expect(report.applied).toEqual([]);
      expect(report.failed).toBeNull();
      expect(report.conflicts.map((x) => x.change)).toEqual(stale);
      for (const x of report.conflicts) expect(x.error).toMatchObject({ code: 'HOST_CONFLICT', exitCode: 2 });
      expect(await exact()).toEqual(before);
    });

    it('a record appearing between plan and apply → HOST_CONFLICT, nothing written at that name; other names as the host\'s atomicity says', async () => {
      const zone = await writer.findZone(h.zone);
      const race = `r-race.${h.zone}`;
      const calm = `r-calm.${h.zone}`;
      await h.seed({ type: 'TXT', name: race, value: 'v=spf1 -all', priority: null, ttl: 300 });
      const changes = await pinNow(writer, zone, [
        { kind: 'create', record: { type: 'TXT', name: calm, value: 'calm=1', priority: null, ttl: 300 } },
        { kind: 'create', record: { type: 'MX', name: race, value: `mx.${h.zone}`, priority: 10, ttl: 300 } },
        { kind: 'create', record: { type: 'TXT', name: race, value: 'race=ours', priority: null, ttl: 300 } },
      ]);
      // Someone adds an A record (a type the plan does not write) at the name after the plan was made.
      const theirs: HostRecord = { type: 'A', name: race, value: '192.0.2.77', priority: null, ttl: 300 };
      await h.seed(theirs);
      const report = await writer.inner.apply(zone, changes);
      expect(report.failed).toBeNull();
      const refused = report.conflicts.filter((x) => x.change !== changes[0]);
      expect(refused.map((x) => x.change)).toEqual([changes[1], changes[2]]);
      for (const x of refused) {
        expect(x.error).toMatchObject({ code: 'HOST_CONFLICT', exitCode: 2 });
        expect(x.error.message).toContain(race);
        expect(x.error.hint).toMatch(/fresh plan/);
      }
      const at = (n: string) => h.records().then((rs) => rs.filter((r) => r.name === n).map(key).sort());
      expect(await at(race)).toEqual([key(theirs), `TXT ${race}  v=spf1 -all`].sort());
      if (writer.capabilities.atomicBatch) {
        // All or nothing: the calm name was not written either, and the report says it was not attempted.
        expect(report.applied).toEqual([]);
        expect(report.skipped).toEqual([changes[0]]);
        expect(await at(calm)).toEqual([]);
      } else {
        expect(report.applied).toEqual([changes[0]]);
        expect(await at(calm)).toEqual([`TXT ${calm}  calm=1`]);
      }
    });

    it('an update whose record changed after the plan → HOST_CONFLICT, the newer value kept', async () => {
      const zone = await writer.findZone(h.zone);
      const name = `u-race.${h.zone}`;
      await h.seed({ type: 'TXT', name, value: 'v=DMARC1; p=none', priority: null, ttl: 300 });
      const [seen] = await writer.listRecords(zone, [name]);
      const changes = await pinNow(writer, zone, [{ kind: 'update', from: seen!, to: { ...seen!, value: 'v=DMARC1; p=quarantine', raw: undefined } }]);
      await h.seed({ type: 'TXT', name, value: 'someone=else', priority: null, ttl: 300 });
      const report = await writer.inner.apply(zone, changes);
      expect(report.applied).toEqual([]);
      expect(report.conflicts.map((x) => x.error.code)).toEqual(['HOST_CONFLICT']);
      expect((await h.records()).filter((r) => r.name === name).map((r) => r.value).sort()).toEqual(['someone=else', 'v=DMARC1; p=none']);
    });

    it('apply twice: the second run writes nothing, and a fresh plan has nothing to change', async () => {
      const zone = await writer.findZone(h.zone);
      const name = `twice.${h.zone}`;
      const wanted = [
        makeRecord({ purpose: 'mail-from-mx', type: 'MX', name, value: `mx.${h.zone}`, priority: 10 }),
        makeRecord({ purpose: 'mail-from-spf', type: 'TXT', name, value: 'v=spf1 include:amazonses.com ~all' }),
      ];
      const plan = computePlan(wanted, await writer.listRecords(zone, [name]), [], 300);
      const changes = planChanges(plan);
      expect(changes).toHaveLength(2);
      const first = await writer.inner.apply(zone, changes);
      expect(first.applied).toEqual(changes);
      const after = await exact();
      const second = await writer.inner.apply(zone, changes);
      expect(second.applied).toEqual([]);
      expect(second.failed).toBeNull();
      expect(second.conflicts.map((x) => x.error.code)).toEqual(['HOST_CONFLICT', 'HOST_CONFLICT']);
      expect(await exact()).toEqual(after);
      const again = computePlan(wanted, await writer.listRecords(zone, [name]), wanted.map((w) => ({ ...w, priority: w.priority })), 300);
      expect(planChanges(again)).toEqual([]);
      expect(await exact()).toEqual(after);
    });

    it('rejected credentials → PROVIDER_AUTH (77), naming the variable, without the secret', async (ctx) => {
      // The zone-file host is in memory and takes no credentials.
      if (h.credentialEnv.length === 0) return ctx.skip();
      const env = { ...h.env };
      for (const k of h.credentialEnv) env[k] = `${env[k] ?? 'x'}-wrong`;
      const bad = await setup.makeWriter({ env, timeoutMs: 5000, sleep: async () => {} });
      const err = await bad.findZone(h.zone).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(MailsetupError);
      expect((err as MailsetupError).exitCode).toBe(77);
      expect(h.credentialEnv.some((k) => `${(err as MailsetupError).message} ${(err as MailsetupError).hint}`.includes(k))).toBe(true);
      for (const k of h.credentialEnv) expect((err as MailsetupError).message).not.toContain(env[k]!);
    });
  });
}
