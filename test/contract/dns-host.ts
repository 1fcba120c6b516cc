/**
 * The contract every DNS-host writer passes (STYLE.md §6.3): against its loopback emulator through
 * the real SDK, or (RFC 2136) against real BIND. Writers only read and apply what core decided; the
 * plan-level rules (merge SPF, keep a stricter DMARC, never touch what we don't own) are tested
 * once, through autoconfig, over every writer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsHostWriter, HostContext, HostId, HostRecord } from '../../src/dns-hosts/types.js';
import { MailsetupError } from '../../src/errors.js';
import type { EmulatorFault } from '../emulators/types.js';

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
  id: HostId;
  makeHarness: () => Promise<HostHarness>;
  makeWriter: (ctx: HostContext) => Promise<DnsHostWriter>;
}

const key = (r: HostRecord) => `${r.type} ${r.name} ${r.priority ?? ''} ${r.value}`;
const LONG_DKIM = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.padEnd(392, 'A')}`;

export function runDnsHostContract(setup: HostContractSetup): void {
  describe(`${setup.id}: DNS host writer contract`, () => {
    let h: HostHarness;
    let writer: DnsHostWriter;
    beforeAll(async () => {
      h = await setup.makeHarness();
      writer = await setup.makeWriter({ env: { ...h.env }, timeoutMs: 5000, sleep: async () => {} });
    });
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

    it('rejected credentials → PROVIDER_AUTH (77), naming the variable, without the secret', async () => {
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
