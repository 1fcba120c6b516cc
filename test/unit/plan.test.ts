import { describe, expect, it } from 'vitest';
import { computePlan, mergeSpf, planChanges } from '../../src/dns-hosts/plan.js';
import type { HostRecord } from '../../src/dns-hosts/types.js';
import { makeRecord, type DnsRecord } from '../../src/model/record.js';

const D = 'mail.acme.test';
const desired: DnsRecord[] = [
  makeRecord({ purpose: 'dkim', type: 'CNAME', name: `t1._domainkey.${D}`, value: 't1.dkim.amazonses.com' }),
  makeRecord({ purpose: 'mail-from-mx', type: 'MX', name: `bounce.${D}`, value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10 }),
  makeRecord({ purpose: 'mail-from-spf', type: 'TXT', name: `bounce.${D}`, value: 'v=spf1 include:amazonses.com ~all' }),
  makeRecord({ purpose: 'dmarc', type: 'TXT', name: `_dmarc.${D}`, value: 'v=DMARC1; p=none', source: 'mailsetup' }),
];
const host = (type: string, name: string, value: string, priority: number | null = null, extra: Partial<HostRecord> = {}): HostRecord => ({ type, name, value, priority, ttl: 300, ...extra });
const actions = (p: ReturnType<typeof computePlan>) => p.entries.map((e) => `${e.action} ${e.record.type} ${e.record.name}`);

describe('computePlan', () => {
  it('an empty zone: everything is created', () => {
    const p = computePlan(desired, [], [], 3600);
    expect(p.entries.every((e) => e.action === 'create')).toBe(true);
    expect(planChanges(p)).toHaveLength(4);
    expect(planChanges(p)[1]).toEqual({ kind: 'create', record: { type: 'MX', name: `bounce.${D}`, value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10, ttl: 3600 }, seen: [] });
  });

  it('a second run over the applied records changes nothing', () => {
    const applied = planChanges(computePlan(desired, [], [], 3600)).map((c) => (c.kind === 'create' ? c.record : c.to));
    const p = computePlan(desired, applied, applied, 3600);
    expect(p.entries.map((e) => e.action)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(planChanges(p)).toEqual([]);
  });

  it('pins each change to everything its name held at plan time, of every type', () => {
    const a = host('A', `bounce.${D}`, '192.0.2.1');
    const note = host('TXT', `bounce.${D}`, 'note=keep');
    const elsewhere = host('TXT', `other.${D}`, 'x=y');
    const changes = planChanges(computePlan(desired, [a, note, elsewhere], [], 3600));
    expect(changes.length).toBeGreaterThan(1);
    for (const c of changes) {
      const name = c.kind === 'create' ? c.record.name : c.to.name;
      expect(c.seen).toEqual(name === `bounce.${D}` ? [a, note] : []);
    }
  });

  it('merges the include into an existing SPF instead of adding a second v=spf1', () => {
    const spf = host('TXT', `bounce.${D}`, 'v=spf1 include:sendgrid.net -all');
    const p = computePlan(desired, [spf], [], 3600);
    const e = p.entries.find((x) => x.record.purpose === 'mail-from-spf')!;
    expect(e.action).toBe('update');
    expect(e.change).toEqual({ kind: 'update', from: spf, to: { ...spf, value: 'v=spf1 include:sendgrid.net include:amazonses.com -all' }, seen: [spf] });
  });

  it('a misordered DMARC (p=reject; v=DMARC1) is the owner\'s broken policy: a conflict with their record reordered, never a second record', () => {
    const broken = host('TXT', `_dmarc.${D}`, 'p=reject; v=DMARC1; rua=mailto:d@acme.test');
    const p = computePlan(desired, [broken], [], 3600);
    const e = p.entries.find((x) => x.record.purpose === 'dmarc')!;
    expect(e).toMatchObject({ action: 'conflict', fix: expect.stringContaining('"v=DMARC1; p=reject; rua=mailto:d@acme.test"') });
    expect(planChanges(p).some((c) => (c.kind === 'create' ? c.record : c.to).name === `_dmarc.${D}`)).toBe(false);
  });

  it('an SPF that already includes the provider is unchanged; two SPF records are a conflict', () => {
    expect(computePlan(desired, [host('TXT', `bounce.${D}`, 'v=spf1 include:AmazonSES.com include:x.test ~all')], [], 3600).entries[2]!.action).toBe('unchanged');
    const two = computePlan(desired, [host('TXT', `bounce.${D}`, 'v=spf1 -all'), host('TXT', `bounce.${D}`, 'v=spf1 ~all')], [], 3600);
    expect(two.entries[2]).toMatchObject({ action: 'conflict', fix: expect.stringMatching(/Merge/) });
  });

  it('keeps a stricter DMARC, keeps a weaker one it does not own, updates a weaker one it wrote', () => {
    const reject = host('TXT', `_dmarc.${D}`, 'v=DMARC1; p=reject');
    expect(computePlan(desired, [reject], [], 3600).entries[3]).toMatchObject({ action: 'unchanged', reason: expect.stringMatching(/strict/) });
    const strictWanted = desired.map((r) => (r.purpose === 'dmarc' ? { ...r, value: 'v=DMARC1; p=quarantine' } : r));
    const none = host('TXT', `_dmarc.${D}`, 'v=DMARC1; p=none');
    expect(computePlan(strictWanted, [none], [], 3600).entries[3]!.action).toBe('unchanged');
    expect(computePlan(strictWanted, [none], [none], 3600).entries[3]!.action).toBe('update');
  });

  it('a CNAME wanted where other records exist is a conflict with the fix; a foreign CNAME is not rewritten', () => {
    const p = computePlan(desired, [host('TXT', `t1._domainkey.${D}`, 'v=DKIM1; p=abc')], [], 3600);
    expect(p.entries[0]).toMatchObject({ action: 'conflict', fix: expect.stringMatching(/Delete the TXT/) });
    const foreign = host('CNAME', `t1._domainkey.${D}`, 'elsewhere.example.net');
    expect(computePlan(desired, [foreign], [], 3600).entries[0]!.action).toBe('conflict');
    expect(computePlan(desired, [foreign], [foreign], 3600).entries[0]!.action).toBe('update');
  });

  it('other data at a name that holds a CNAME is a conflict', () => {
    const p = computePlan(desired, [host('CNAME', `bounce.${D}`, 'x.example.net')], [], 3600);
    expect(actions(p).filter((a) => a.startsWith('conflict'))).toEqual([`conflict MX bounce.${D}`, `conflict TXT bounce.${D}`]);
  });

  it('lists the records at those names it leaves alone, and never plans a change to them', () => {
    const other = host('TXT', `bounce.${D}`, 'google-site-verification=xyz');
    const otherMx = host('MX', `bounce.${D}`, 'mx.other.test', 20);
    const p = computePlan(desired, [other, otherMx, host('TXT', 'unrelated.acme.test', 'x')], [], 3600);
    expect(p.untouched).toEqual([other, otherMx]);
    for (const c of planChanges(p)) if (c.kind === 'update') expect([other, otherMx]).not.toContain(c.from);
  });

  it('a proxied record it owns is switched to DNS only; one it does not own is a conflict', () => {
    const prox = host('CNAME', `t1._domainkey.${D}`, 't1.dkim.amazonses.com', null, { proxied: true, hostId: 'r1' });
    expect(computePlan(desired, [prox], [prox], 3600).entries[0]).toMatchObject({ action: 'update', change: { to: { proxied: false, hostId: 'r1' } } });
    expect(computePlan(desired, [prox], [], 3600).entries[0]!.action).toBe('conflict');
  });
});

describe('mergeSpf', () => {
  it.each([
    ['v=spf1 include:a.test -all', 'v=spf1 include:b.test ~all', 'v=spf1 include:a.test include:b.test -all'],
    ['v=spf1 ip4:192.0.2.1 redirect=_spf.a.test', 'v=spf1 include:b.test ~all', 'v=spf1 ip4:192.0.2.1 include:b.test redirect=_spf.a.test'],
    ['v=spf1 mx', 'v=spf1 include:b.test ~all', 'v=spf1 mx include:b.test'],
    ['v=spf1 include:B.test ~all', 'v=spf1 include:b.test ~all', 'v=spf1 include:B.test ~all'],
  ])('%s + %s → %s', (a, b, out) => {
    expect(mergeSpf(a, b)).toBe(out);
  });
});
