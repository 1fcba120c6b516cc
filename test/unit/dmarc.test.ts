import { describe, expect, it } from 'vitest';
import { memoryLookup, type ZoneRecord } from '../../src/dns/zone.js';
import type { CheckResult, Finding } from '../../src/model/finding.js';
import { auditDmarc, checkReportAuthorization, parseDmarc, type DmarcDetail } from '../../src/validators/dmarc.js';
import { txt, zone } from '../helpers/zone-builders.js';

const codes = (fs: Finding[]): string[] => fs.map((f) => f.code);
const find = (r: { findings: Finding[] }, code: string): Finding => {
  const f = r.findings.find((x) => x.code === code);
  if (!f) throw new Error(`no ${code} in ${codes(r.findings).join(',')}`);
  return f;
};
const detail = (r: CheckResult): DmarcDetail => r.detail as DmarcDetail;
const GOOD = 'v=DMARC1; p=reject; rua=mailto:dmarc@example.com';

describe('parseDmarc', () => {
  it('accepts a complete record and applies defaults', () => {
    const r = parseDmarc('v=DMARC1; p=quarantine; rua=mailto:d@example.com!10m; adkim=s', '_dmarc.example.com');
    expect(r.valid).toBe(true);
    expect(r.findings).toEqual([]);
    expect(r.policy).toMatchObject({ p: 'quarantine', sp: 'quarantine', np: 'quarantine', adkim: 's', aspf: 'r', psd: 'u', t: 'n' });
    expect(r.policy?.rua[0]).toMatchObject({ domain: 'example.com', size: '10m' });
  });

  it.each([
    ['v=dmarc1; p=none', 'v'],
    ['p=none; v=DMARC1', 'v'],
    [' v=DMARC1; p=none', 'v'],
    ['v=DMARC1; p=bogus', 'p'],
    ['v=DMARC1; p=none; sp=quarrantine', 'sp'],
    ['v=DMARC1; p=none; np=rejection', 'np'],
    ['v=DMARC1; p=none; adkim=relaxed', 'adkim'],
    ['v=DMARC1; p=none; pct=101', 'pct'],
    ['v=DMARC1; p=none; ri=4294967296', 'ri'],
    ['v=DMARC1; p=none; rf=rfrf', 'rf'],
    ['v=DMARC1; p=none; fo=01', 'fo'],
    ['v=DMARC1; p=none; psd=yes', 'psd'],
    ['v=DMARC1; p=none; t=yes', 't'],
    ['v=DMARC1; p=none; p=reject', 'p'],
    ['v=DMARC1; p=none; rua=dmarc@example.com', 'rua'],
    ['v=DMARC1; p=none; rua=mailto:d@example.com!10p', 'rua'],
    ['v=DMARC1; p=none; ruf=mail:d@example.com', 'ruf'],
  ])('%s → DMARC_SYNTAX on %s', (record, term) => {
    const r = parseDmarc(record, '_dmarc.example.com');
    expect(r.valid).toBe(false);
    const f = find(r, 'DMARC_SYNTAX');
    expect(f).toMatchObject({ severity: 'error', name: '_dmarc.example.com', term });
    expect(f.hint).toMatch(/\.$/);
  });

  it('treats a missing p by whether the record can still do anything', () => {
    expect(find(parseDmarc('v=DMARC1; rua=mailto:d@example.com'), 'DMARC_P_MISSING').severity).toBe('warning');
    expect(parseDmarc('v=DMARC1; rua=mailto:d@example.com').policy?.p).toBe('none');
    expect(find(parseDmarc('v=DMARC1; adkim=s'), 'DMARC_P_MISSING').severity).toBe('error');
    expect(parseDmarc('v=DMARC1').valid).toBe(false);
  });

  it('warns, without invalidating, about order, unknown tags, empty tags and non-mailto URIs', () => {
    const r = parseDmarc('v=DMARC1; sp=none; p=reject; foo=bar;; ruf=https://example.com/r; rua=mailto:d@example.com');
    expect(r.valid).toBe(true);
    expect(codes(r.findings)).toEqual(expect.arrayContaining(['DMARC_TAG_ORDER', 'DMARC_UNKNOWN_TAG', 'DMARC_EMPTY_TAG', 'DMARC_URI_NOT_MAILTO']));
    expect(find(r, 'DMARC_UNKNOWN_TAG').term).toBe('foo');
  });

  it('notes obsolete tags, testing mode and missing rua as info', () => {
    const r = parseDmarc('v=DMARC1; p=reject; pct=50; t=y');
    expect(r.valid).toBe(true);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(codes(r.findings)).toEqual(expect.arrayContaining(['DMARC_OBSOLETE_TAG', 'DMARC_TESTING', 'DMARC_NO_RUA']));
  });

  it('is case-insensitive in tag names and keywords, tolerant of whitespace', () => {
    const r = parseDmarc('V = DMARC1 ;\tP = Reject ; SP=none; np=Quarantine; rua=mailto:a@example.com , mailto:b@example.org');
    expect(r.valid).toBe(true);
    expect(r.policy).toMatchObject({ p: 'reject', sp: 'none', np: 'quarantine' });
    expect(r.policy?.rua.map((u) => u.domain)).toEqual(['example.com', 'example.org']);
  });
});

describe('auditDmarc', () => {
  it('passes a good record at _dmarc', async () => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', GOOD), { name: 'example.com', type: 'MX', data: { preference: 10, exchange: 'mx.example.com' } })));
    expect(r).toMatchObject({ check: 'dmarc', status: 'pass', name: '_dmarc.example.com', record: GOOD });
    expect(detail(r)).toMatchObject({ recordAt: 'example.com', inherited: false, policy: 'reject', policyTag: 'p' });
  });

  it('DMARC_MISSING when neither the domain nor its organisational domain has a record', async () => {
    const r = await auditDmarc('mail.example.com', memoryLookup(zone()));
    expect(r.status).toBe('fail');
    expect(find(r, 'DMARC_MISSING')).toMatchObject({ severity: 'error', name: '_dmarc.mail.example.com' });
    expect(r.record).toBeNull();
  });

  it('a subdomain covered by its organisational domain is not missing: sp applies', async () => {
    const lookup = memoryLookup(zone(txt('_dmarc.example.com', 'v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com'), txt('mail.example.com', 'v=spf1 -all')));
    const r = await auditDmarc('mail.example.com', lookup);
    expect(codes(r.findings)).not.toContain('DMARC_MISSING');
    expect(find(r, 'DMARC_INHERITED')).toMatchObject({ severity: 'info', term: 'sp', name: '_dmarc.mail.example.com' });
    expect(detail(r)).toMatchObject({ recordAt: 'example.com', inherited: true, policy: 'quarantine', policyTag: 'sp' });
    expect(r.record).toBe('v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com');
  });

  it('np applies to a subdomain that does not exist', async () => {
    const r = await auditDmarc('ghost.example.com', memoryLookup(zone(txt('_dmarc.example.com', 'v=DMARC1; p=reject; sp=none; np=quarantine'))));
    expect(detail(r)).toMatchObject({ policy: 'quarantine', policyTag: 'np' });
  });

  it('DMARC_POLICY_NONE is info', async () => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', 'v=DMARC1; p=none; rua=mailto:d@example.com'))));
    expect(find(r, 'DMARC_POLICY_NONE')).toMatchObject({ severity: 'info', term: 'p' });
  });

  it('DMARC_MULTIPLE_RECORDS without falling back to the organisational domain', async () => {
    const lookup = memoryLookup(zone(txt('_dmarc.mail.example.com', 'v=DMARC1; p=reject'), txt('_dmarc.mail.example.com', 'v=DMARC1; p=none'), txt('_dmarc.example.com', GOOD)));
    const r = await auditDmarc('mail.example.com', lookup);
    expect(find(r, 'DMARC_MULTIPLE_RECORDS').severity).toBe('error');
    expect(r.record).toEqual(['v=DMARC1; p=reject', 'v=DMARC1; p=none']);
    expect(detail(r).policy).toBeNull();
    expect(lookup.calls.map(([n]) => n)).not.toContain('_dmarc.example.com');
  });

  it('DMARC_WRONG_NAME for a record at the apex, looked at only when _dmarc has none; no policy is in force, so DMARC_MISSING too', async () => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('example.com', GOOD))));
    expect(find(r, 'DMARC_WRONG_NAME')).toMatchObject({ severity: 'error', name: 'example.com', term: 'v' });
    // The fix is the owner's own record at _dmarc, never a fresh p=none.
    expect(find(r, 'DMARC_MISSING')).toMatchObject({ severity: 'error', name: '_dmarc.example.com', hint: `Publish your record at _dmarc.example.com instead of example.com: "${GOOD}".` });
    expect(r.findings.map((f) => f.hint).join(' ')).not.toMatch(/p=none/);
    expect(detail(r).policy).toBeNull();
    expect(r.record).toBe(GOOD);
    const has = memoryLookup(zone(txt('_dmarc.example.com', GOOD), txt('example.com', 'v=spf1 -all')));
    await auditDmarc('example.com', has);
    expect(has.calls).not.toContainEqual(['example.com', 'TXT']);
  });

  it('an apex record on a subdomain the organisational policy covers: WRONG_NAME says so, not MISSING', async () => {
    const lookup = memoryLookup(zone(txt('mail.example.com', 'v=DMARC1; p=quarantine'), txt('_dmarc.example.com', 'v=DMARC1; p=reject; rua=mailto:d@example.com')));
    const r = await auditDmarc('mail.example.com', lookup);
    expect(codes(r.findings)).not.toContain('DMARC_MISSING');
    expect(find(r, 'DMARC_WRONG_NAME').message).toContain('The policy at _dmarc.example.com covers mail.example.com meanwhile (p=reject)');
    expect(find(r, 'DMARC_INHERITED')).toMatchObject({ severity: 'info', term: 'p' });
    // Moving p=quarantine to _dmarc.mail.example.com would weaken sp=reject: the fix is to delete it.
    expect(find(r, 'DMARC_WRONG_NAME').hint).toMatch(/^Delete it from mail\.example\.com: moving it .* would replace p=reject .* with p=quarantine/);
    expect(detail(r)).toMatchObject({ policy: 'reject', inherited: true });
    const stricter = await auditDmarc('mail.example.com', memoryLookup(zone(txt('mail.example.com', 'v=DMARC1; p=reject'), txt('_dmarc.example.com', 'v=DMARC1; p=none'))));
    expect(find(stricter, 'DMARC_WRONG_NAME').hint).toBe('Move it to _dmarc.mail.example.com and delete it from mail.example.com.');
  });

  it.each([
    ['p=reject; v=DMARC1; rua=mailto:d@example.com', 'v=DMARC1; p=reject; rua=mailto:d@example.com'],
    ['p=reject;rua=mailto:d@example.com; v=DMARC1;', 'v=DMARC1; p=reject; rua=mailto:d@example.com'],
    ['p=quarantine; sp=reject', 'v=DMARC1; p=quarantine; sp=reject'],
  ])('v=DMARC1 not first (%s): DMARC_SYNTAX whose fix is the owner\'s record reordered, never p=none', async (value, fixed) => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', value))));
    const f = find(r, 'DMARC_SYNTAX');
    expect(f).toMatchObject({ severity: 'error', term: 'v', hint: `Publish your record with v=DMARC1 moved to the front: "${fixed}".` });
    expect(codes(r.findings)).not.toContain('DMARC_MISSING');
    expect(codes(r.findings)).not.toContain('DMARC_UNRELATED_TXT');
    expect(r.findings.map((x) => x.hint).join(' ')).not.toMatch(/p=none/);
    expect(r.record).toBe(value);
    expect(r.status).toBe('fail');
  });

  it('a quoted DMARC record: RECORD_QUOTED and DMARC_MISSING, both fixed by removing the quotes', async () => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', '"v=DMARC1; p=reject"'))));
    expect(find(r, 'RECORD_QUOTED').hint).toContain('v=DMARC1; p=reject');
    expect(find(r, 'DMARC_MISSING').hint).toMatch(/^Remove the quotes/);
    expect(codes(r.findings)).not.toContain('DMARC_UNRELATED_TXT');
    expect(r.findings.map((x) => x.hint).join(' ')).not.toMatch(/p=none/);
  });

  it('no hint of the DMARC validator ever offers a weaker policy than the record holds', async () => {
    const records = ['v=DMARC1; p=reject; pct=150', 'v=DMARC1; p=reject; p=quarantine', 'v=DMARC1; sp=reject; rua=mailto:d@example.com', 'p=reject; v=DMARC1',
      ' v=DMARC1; p=reject', 'v=dmarc1; p=reject', 'v=DMARC1; p=reject; t=y; ri=x; rf=x; fo=9; adkim=x'];
    for (const value of records) {
      const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', value))));
      // DMARC_P_MISSING lists the three policies to choose from: without p, none is what is in force.
      for (const f of r.findings.filter((x) => x.code !== 'DMARC_P_MISSING')) expect(`${f.code}: ${f.hint}`).not.toMatch(/p=none|p=quarantine/);
    }
  });

  it('DMARC_SYNTAX keeps the invalid record verbatim', async () => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', 'v=DMARC1; p=bogus'))));
    expect(r.status).toBe('fail');
    expect(find(r, 'DMARC_SYNTAX').term).toBe('p');
    expect(r.record).toBe('v=DMARC1; p=bogus');
  });

  it('flags SPF and unrelated TXT at _dmarc', async () => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', 'v=spf1 -all'), txt('_dmarc.example.com', 'hello'), txt('_dmarc.example.com', GOOD))));
    expect(find(r, 'DMARC_SPF_AT_DMARC').severity).toBe('warning');
    expect(find(r, 'DMARC_UNRELATED_TXT').severity).toBe('warning');
    expect(detail(r).policy).toBe('reject');
  });

  it('DMARC_CNAME_CONFLICT when a CNAME and TXT coexist at _dmarc', async () => {
    const z = zone(txt('_dmarc.example.com', GOOD), { name: '_dmarc.example.com', type: 'CNAME', data: '_dmarc.hosted.example.net' });
    const r = await auditDmarc('example.com', memoryLookup(z));
    expect(find(r, 'DMARC_CNAME_CONFLICT').severity).toBe('error');
  });

  it('follows a CNAME at _dmarc to a hosted record without complaint', async () => {
    const z = zone({ name: '_dmarc.example.com', type: 'CNAME', data: 'example.com.dmarc.hosted.example.net' }, txt('example.com.dmarc.hosted.example.net', GOOD));
    const r = await auditDmarc('example.com', memoryLookup(z));
    expect(codes(r.findings)).toEqual(['DMARC_RUA_NO_MX']); // example.com has no MX in this zone
    expect(detail(r)).toMatchObject({ recordAt: 'example.com', policy: 'reject' });
  });

  it.each(['timeout', 'servfail'] as const)('a %s is "could not check", never missing', async (fault) => {
    const r = await auditDmarc('example.com', memoryLookup({ records: [], faults: [{ name: '_dmarc.example.com', fault }] }));
    expect(r.status).toBe('none');
    expect(codes(r.findings)).toEqual(['DMARC_UNCHECKED']);
  });

  it('a failure at the organisational domain is also "could not check"', async () => {
    const r = await auditDmarc('mail.example.com', memoryLookup({ records: [], faults: [{ name: '_dmarc.example.com', fault: 'timeout' }] }));
    expect(r.status).toBe('none');
  });

  it('DMARC_RUA_NOT_AUTHORIZED for an external destination without authorisation, and DMARC_RUA_NO_MX', async () => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', 'v=DMARC1; p=reject; rua=mailto:d@reports.example.net'))));
    expect(find(r, 'DMARC_RUA_NOT_AUTHORIZED')).toMatchObject({ severity: 'error', term: 'rua', name: 'example.com._report._dmarc.reports.example.net' });
    expect(find(r, 'DMARC_RUA_NO_MX')).toMatchObject({ severity: 'warning', name: 'reports.example.net' });
  });

  it('checks the first 10 of 1,000 report destinations and reports the rest once, unresolved', async () => {
    const rua = Array.from({ length: 1000 }, (_, i) => `mailto:d@r${i}.example.net`).join(',');
    const lookup = memoryLookup(zone(txt('_dmarc.example.com', `v=DMARC1; p=reject; rua=${rua}`)));
    const r = await auditDmarc('example.com', lookup);
    const asked = lookup.calls.map(([n]) => n);
    expect(asked.filter((n) => n.endsWith('.example.net'))).toHaveLength(10 * 3); // specific + wildcard authorisation, MX
    expect(asked).not.toContain('r10.example.net');
    expect(r.findings.filter((f) => f.code === 'DMARC_RUA_NOT_FOLLOWED')).toHaveLength(1);
    expect(find(r, 'DMARC_RUA_NOT_FOLLOWED')).toMatchObject({ severity: 'warning', term: 'rua', name: '_dmarc.example.com' });
    expect(find(r, 'DMARC_RUA_NOT_FOLLOWED').message).toContain('names 1000 rua/ruf destination domains; the first 10 were checked, the other 990');
    expect(r.findings.filter((f) => f.code === 'DMARC_RUA_NOT_AUTHORIZED')).toHaveLength(10);
  });

  it('accepts specific and wildcard authorisations; same organisational domain needs no lookup', async () => {
    const mx = (name: string): ZoneRecord => ({ name, type: 'MX', data: { preference: 10, exchange: `mx.${name}` } });
    const specific = zone(txt('_dmarc.example.com', 'v=DMARC1; p=reject; rua=mailto:d@a.example.net'), txt('example.com._report._dmarc.a.example.net', 'v=DMARC1'), mx('a.example.net'));
    expect((await auditDmarc('example.com', memoryLookup(specific))).status).toBe('pass');
    const wildcard = memoryLookup(zone(txt('*._report._dmarc.b.example.net', 'v=DMARC1')));
    expect(await checkReportAuthorization('example.com', 'b.example.net', wildcard)).toMatchObject({ authorized: true, name: '*._report._dmarc.b.example.net', lookups: 2 });
    const same = memoryLookup(zone());
    expect(await checkReportAuthorization('mail.example.com', 'example.com', same)).toMatchObject({ authorized: true, lookups: 0 });
    expect(same.calls).toEqual([]);
  });

  it('gives every finding a name, a hint, and a term where a tag is concerned', async () => {
    const r = await auditDmarc('example.com', memoryLookup(zone(txt('_dmarc.example.com', 'v=DMARC1; sp=none; p=none; foo=1; rua=mailto:x@y.example.org'))));
    for (const f of r.findings) {
      expect(f.name).toMatch(/example/);
      expect(f.hint).toMatch(/\.$/);
      expect(f.term === undefined).toBe(false);
    }
  });
});
