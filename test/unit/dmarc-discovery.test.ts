/**
 * RFC 9989 discovery (src/validators/dmarc-discovery.ts) on the tree-walk cases of
 * dmarc/discovery-cases.json — including the ones the RFC 7489 audit excludes (the walk reaching the
 * TLD) — and the disagreement finding.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryLookup, type ZoneData, type ZoneRecord } from '../../src/dns/zone.js';
import { discoverDmarcbis, orgDomainDiffers, treeWalkNames } from '../../src/validators/dmarc-discovery.js';

type Case = { id: string; zone: Record<string, { TXT?: string[][] }>; input: { domain: string }; expect: Record<string, unknown> };
const cases: Case[] = JSON.parse(readFileSync('test/fixtures/conformance/dmarc/discovery-cases.json', 'utf8'));
const zoneOf = (z: Case['zone']): ZoneData => ({ records: Object.entries(z).flatMap(([name, t]) => (t.TXT ?? []).map((rr): ZoneRecord => ({ name, type: 'TXT', data: rr }))) });
const byId = (id: string) => cases.find((c) => c.id === id)!;

describe('RFC 9989 tree walk', () => {
  it('tree-walk-reaches-tld: sub.example.com asks up to _dmarc.com, finds nothing', async () => {
    const c = byId('tree-walk-reaches-tld');
    const lookup = memoryLookup(zoneOf(c.zone));
    const r = await discoverDmarcbis(c.input.domain, lookup);
    expect(lookup.calls.map(([n]) => `${n}`)).toEqual(expect.arrayContaining(c.expect.queried_include as string[]));
    expect(r.recordAt).toBe(c.expect.record_at);
  });

  it('tree-walk-8-query-cap: the exact 8 questions of a 13-label name, and the record found', async () => {
    const c = byId('tree-walk-8-query-cap');
    const lookup = memoryLookup(zoneOf(c.zone));
    const r = await discoverDmarcbis(c.input.domain, lookup);
    expect(lookup.calls.map(([n]) => n)).toEqual(c.expect.queries);
    expect(r.recordAt).toBe(c.expect.record_at);
    expect(treeWalkNames(c.input.domain)).toHaveLength(8);
  });

  it('psd-n-marks-org-domain: psd=n makes b.example.com the organisational domain, its policy applies', async () => {
    const c = byId('psd-n-marks-org-domain');
    const r = await discoverDmarcbis(c.input.domain, memoryLookup(zoneOf(c.zone)));
    expect(r.organisationalDomain).toBe(c.expect.org_domain);
    expect(r.recordAt).toBe('b.example.com');
  });

  it('psd-y-stops-walk: a psd=y record marks the suffix; the organisational domain is one label below it', async () => {
    const c = byId('psd-y-stops-walk');
    const r = await discoverDmarcbis(c.input.domain, memoryLookup(zoneOf(c.zone)));
    expect(r.organisationalDomain).toBe(c.expect.org_domain);
    expect(r.recordAt).toBe('giant.bank.example');
  });

  it('an intermediate record is not the one applied: the fewest-label record is the organisational domain', async () => {
    const zone: ZoneData = { records: [
      { name: '_dmarc.example.com', type: 'TXT', data: 'v=DMARC1; p=reject' },
      { name: '_dmarc.b.example.com', type: 'TXT', data: 'v=DMARC1; p=none' },
    ] };
    const r = await discoverDmarcbis('a.b.example.com', memoryLookup(zone));
    expect(r).toMatchObject({ organisationalDomain: 'example.com', recordAt: 'example.com', incomplete: false });
    // RFC 7489 (nearest ancestor up to the PSL organisational domain) applied b.example.com's: say so.
    const f = orgDomainDiffers('a.b.example.com', 'example.com', 'b.example.com', r)!;
    expect(f).toMatchObject({ code: 'DMARC_ORG_DOMAIN_DIFFERS', severity: 'info' });
    expect(f.message).toMatch(/RFC 9989 apply the record at _dmarc\.example\.com; those following RFC 7489 apply the one at _dmarc\.b\.example\.com/);
  });

  it('no finding when both agree, or when a question failed (could not tell)', async () => {
    const zone: ZoneData = { records: [{ name: '_dmarc.example.com', type: 'TXT', data: 'v=DMARC1; p=reject' }] };
    const r = await discoverDmarcbis('mail.example.com', memoryLookup(zone));
    expect(orgDomainDiffers('mail.example.com', 'example.com', 'example.com', r)).toBeNull();
    const failing = await discoverDmarcbis('mail.example.com', memoryLookup({ ...zone, faults: [{ name: '_dmarc.com', fault: 'servfail' }] }));
    expect(failing.incomplete).toBe(true);
    expect(orgDomainDiffers('mail.example.com', 'example.com', 'b.example.com', failing)).toBeNull();
  });
});
