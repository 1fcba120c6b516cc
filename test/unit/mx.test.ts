import { describe, expect, it } from 'vitest';
import { memoryLookup, type ZoneRecord } from '../../src/dns/zone.js';
import type { Finding } from '../../src/model/finding.js';
import { auditMx, type MxDetail } from '../../src/validators/mx.js';
import { zone } from '../helpers/zone-builders.js';

const D = 'example.com';
const mx = (preference: number, exchange: string, name = D): ZoneRecord => ({ name, type: 'MX', data: { preference, exchange } });
const a = (name: string, data = '192.0.2.1'): ZoneRecord => ({ name, type: 'A', data });
const codes = (fs: Finding[]): string[] => fs.map((f) => f.code);
const find = (r: { findings: Finding[] }, code: string): Finding => {
  const f = r.findings.find((x) => x.code === code);
  if (!f) throw new Error(`no ${code} in ${codes(r.findings).join(',')}`);
  return f;
};

describe('auditMx', () => {
  it('checks the 10 most preferred of 1,000 exchanges and reports the rest once, unresolved', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => mx(1000 - i, `mx${i}.example.com`));
    const lookup = memoryLookup(zone(...records, ...Array.from({ length: 1000 }, (_, i) => a(`mx${i}.example.com`))));
    const r = await auditMx(D, lookup);
    // The MX question, then A and AAAA of the 10 most preferred (mx999 … mx990).
    expect(lookup.calls).toHaveLength(1 + 20);
    expect(lookup.calls.map(([n]) => n)).toContain('mx990.example.com');
    expect(lookup.calls.map(([n]) => n)).not.toContain('mx989.example.com');
    expect(r.findings.filter((f) => f.code === 'MX_NOT_FOLLOWED')).toHaveLength(1);
    expect(find(r, 'MX_NOT_FOLLOWED')).toMatchObject({ severity: 'warning', name: D });
    expect(find(r, 'MX_NOT_FOLLOWED').message).toContain('1000 MX records naming 1000 hosts; the 10 most preferred were checked, the other 990 were not looked up');
    expect(r.status).toBe('warn');
    expect((r.detail as MxDetail).deliverTo).toHaveLength(1000);
  });

  it('ten exchanges are all checked, with no NOT_FOLLOWED finding', async () => {
    const lookup = memoryLookup(zone(...Array.from({ length: 10 }, (_, i) => mx(i, `mx${i}.example.com`)), ...Array.from({ length: 10 }, (_, i) => a(`mx${i}.example.com`))));
    const r = await auditMx(D, lookup);
    expect(codes(r.findings)).toEqual([]);
    expect(lookup.calls).toHaveLength(21);
  });

  it('passes MX records whose targets have addresses, sorted by preference', async () => {
    const r = await auditMx(D, memoryLookup(zone(mx(20, 'mx2.example.com'), mx(10, 'mx1.example.com'), a('mx1.example.com'), { name: 'mx2.example.com', type: 'AAAA', data: '2001:db8::1' })));
    expect(r).toMatchObject({ check: 'mx', status: 'pass', name: D, record: ['10 mx1.example.com', '20 mx2.example.com'], findings: [] });
    expect((r.detail as MxDetail).hosts.map((h) => [h.exchange, h.addresses])).toEqual([['mx1.example.com', ['192.0.2.1']], ['mx2.example.com', ['2001:db8::1']]]);
  });

  it('MX_MISSING is a warning, and mentions the implicit MX when the domain has an address', async () => {
    const none = await auditMx(D, memoryLookup(zone({ name: D, type: 'TXT', data: 'v=spf1 -all' })));
    expect(none.status).toBe('warn');
    expect(find(none, 'MX_MISSING')).toMatchObject({ severity: 'warning', name: D });
    expect(find(none, 'MX_MISSING').hint).toMatch(/sending-only/);
    const implicit = await auditMx(D, memoryLookup(zone(a(D))));
    expect(find(implicit, 'MX_MISSING').message).toMatch(/implicit MX/);
    expect((implicit.detail as MxDetail).deliverTo).toEqual([{ preference: null, host: D }]);
  });

  it('MX_NULL is info for "0 ."', async () => {
    const r = await auditMx(D, memoryLookup(zone(mx(0, '.'))));
    expect(r.status).toBe('pass');
    expect(codes(r.findings)).toEqual(['MX_NULL']);
    expect(r.record).toEqual(['0 .']);
    expect((r.detail as MxDetail).nullMx).toBe(true);
  });

  it('MX_NULL_INVALID for a null MX with preference other than 0, or mixed with other MX', async () => {
    expect(find(await auditMx(D, memoryLookup(zone(mx(10, '.')))), 'MX_NULL_INVALID').severity).toBe('error');
    const mixed = await auditMx(D, memoryLookup(zone(mx(0, '.'), mx(10, 'mx.example.com'), a('mx.example.com'))));
    expect(codes(mixed.findings)).toEqual(['MX_NULL_INVALID']);
  });

  it('MX_TARGET_CNAME when the exchange is an alias', async () => {
    const r = await auditMx(D, memoryLookup(zone(mx(10, 'mail.example.com'), { name: 'mail.example.com', type: 'CNAME', data: 'mx.provider.example.net' }, a('mx.provider.example.net'))));
    expect(find(r, 'MX_TARGET_CNAME')).toMatchObject({ severity: 'error', name: 'mail.example.com' });
    expect(find(r, 'MX_TARGET_CNAME').hint).toContain('mx.provider.example.net');
  });

  it('MX_TARGET_IP when the exchange is an IP address', async () => {
    const lookup = memoryLookup(zone(mx(10, '192.0.2.25')));
    expect(find(await auditMx(D, lookup), 'MX_TARGET_IP').severity).toBe('error');
    expect(lookup.calls).toEqual([[D, 'MX']]);
  });

  it('MX_PRIORITY_IN_VALUE for "10 host" pasted as the target', async () => {
    const r = await auditMx(D, memoryLookup(zone(mx(10, '10 feedback-smtp.us-east-1.amazonses.com'))));
    const f = find(r, 'MX_PRIORITY_IN_VALUE');
    expect(f.severity).toBe('error');
    expect(f.hint).toBe('Set the target to feedback-smtp.us-east-1.amazonses.com and put 10 in the priority field.');
  });

  it('MX_PRIORITY_IN_VALUE for "10.host" only when that name has no address', async () => {
    const pasted = await auditMx(D, memoryLookup(zone(mx(10, '10.feedback-smtp.us-east-1.amazonses.com'))));
    expect(codes(pasted.findings)).toEqual(['MX_PRIORITY_IN_VALUE']);
    const real = await auditMx(D, memoryLookup(zone(mx(10, '0.mx.example.com'), a('0.mx.example.com'))));
    expect(real.findings).toEqual([]);
  });

  it('MX_TARGET_NO_ADDRESS is a warning', async () => {
    expect(find(await auditMx(D, memoryLookup(zone(mx(10, 'mx.example.com')))), 'MX_TARGET_NO_ADDRESS')).toMatchObject({ severity: 'warning', name: 'mx.example.com' });
  });

  it('MX_DUPLICATE_HOST is a warning', async () => {
    const r = await auditMx(D, memoryLookup(zone(mx(10, 'mx.example.com'), mx(20, 'mx.example.com'), a('mx.example.com'))));
    expect(codes(r.findings)).toEqual(['MX_DUPLICATE_HOST']);
    expect(r.status).toBe('warn');
  });

  it('MX_CNAME_LOOP when the domain is an alias in a loop', async () => {
    const z = zone({ name: D, type: 'CNAME', data: 'b.example.com' }, { name: 'b.example.com', type: 'CNAME', data: D });
    const r = await auditMx(D, memoryLookup(z));
    expect(find(r, 'MX_CNAME_LOOP').severity).toBe('error');
    expect(r.status).toBe('fail');
  });

  it.each(['timeout', 'servfail'] as const)('a %s is "could not check", never missing', async (fault) => {
    const r = await auditMx(D, memoryLookup({ records: [], faults: [{ name: D, fault }] }));
    expect(r.status).toBe('none');
    expect(codes(r.findings)).toEqual(['MX_UNCHECKED']);
  });

  it('a failed address lookup for a target is not reported as "no address"', async () => {
    const r = await auditMx(D, memoryLookup({ records: [mx(10, 'mx.example.com')], faults: [{ name: 'mx.example.com', fault: 'timeout' }] }));
    expect(codes(r.findings)).toEqual(['MX_UNCHECKED']);
  });
});
