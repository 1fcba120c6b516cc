import { describe, expect, it } from 'vitest';
import { memoryLookup } from '../../src/dns/zone.js';
import type { Finding } from '../../src/model/finding.js';
import { auditCname, followCnames, type CnameDetail } from '../../src/validators/cname.js';
import { cname, txt, zone } from '../helpers/zone-builders.js';

const codes = (fs: Finding[]): string[] => fs.map((f) => f.code);
const details = (r: { detail?: unknown }): CnameDetail[] => (r.detail as { cnames: CnameDetail[] }).cnames;
const DKIM = 'tok1._domainkey.example.com';

describe('auditCname', () => {
  it('reports the CNAMEs found and passes when they are alone and resolve', async () => {
    const z = zone(cname(DKIM, 'tok1.dkim.amazonses.com'), txt('tok1.dkim.amazonses.com', 'p=abc'), txt('_dmarc.example.com', 'v=DMARC1; p=none'));
    const r = await auditCname(['example.com', '_dmarc.example.com', DKIM], memoryLookup(z));
    expect(r).toMatchObject({ check: 'cname', status: 'pass', record: [`${DKIM} CNAME tok1.dkim.amazonses.com`], findings: [] });
    expect(details(r)).toEqual([{ name: DKIM, target: 'tok1.dkim.amazonses.com', chain: ['tok1.dkim.amazonses.com'], dangling: false, loop: false, coexisting: [] }]);
  });

  it('CNAME_WITH_OTHER_DATA when TXT records share the name with a CNAME', async () => {
    const z = zone(cname('_dmarc.example.com', '_dmarc.hosted.example.net'), txt('_dmarc.example.com', 'v=DMARC1; p=none'), txt('_dmarc.hosted.example.net', 'v=DMARC1; p=reject'));
    const r = await auditCname(['_dmarc.example.com'], memoryLookup(z));
    expect(r.status).toBe('fail');
    expect(r.findings).toEqual([expect.objectContaining({ code: 'CNAME_WITH_OTHER_DATA', severity: 'error', name: '_dmarc.example.com' })]);
    expect(details(r)[0]!.coexisting).toEqual(['TXT']);
  });

  it('CNAME_WITH_OTHER_DATA for MX beside a CNAME at a host name (MX is not asked at underscore names)', async () => {
    const z = zone(cname('mail.example.com', 'host.example.net'), { name: 'mail.example.com', type: 'MX', data: { preference: 10, exchange: 'mx.example.net' } }, { name: 'host.example.net', type: 'A', data: '192.0.2.1' });
    const lookup = memoryLookup(z);
    const r = await auditCname(['mail.example.com', DKIM], lookup);
    expect(details(r)[0]!.coexisting).toEqual(['MX']);
    expect(lookup.calls).not.toContainEqual([DKIM, 'MX']);
  });

  it('CNAME_DANGLING when the target does not exist', async () => {
    const r = await auditCname([DKIM], memoryLookup(zone(cname(DKIM, 'tok1.dkim.amazonses.com'))));
    expect(r.findings).toEqual([expect.objectContaining({ code: 'CNAME_DANGLING', severity: 'error', name: DKIM })]);
    expect(details(r)[0]!.dangling).toBe(true);
  });

  it('a target that exists without TXT is not dangling', async () => {
    const z = zone(cname('links.example.com', 'track.example.net'), { name: 'track.example.net', type: 'A', data: '192.0.2.1' });
    expect((await auditCname(['links.example.com'], memoryLookup(z))).findings).toEqual([]);
  });

  it('CNAME_LOOP for an alias chain that comes back on itself', async () => {
    const z = zone(cname(DKIM, 'b.example.com'), cname('b.example.com', DKIM));
    const r = await auditCname([DKIM], memoryLookup(z));
    expect(codes(r.findings)).toEqual(['CNAME_LOOP']);
    expect(await followCnames(DKIM, memoryLookup(z))).toEqual({ chain: [DKIM, 'b.example.com', DKIM], loop: true, failed: false });
  });

  it('CNAME_UNCHECKED and status none when nothing could be asked', async () => {
    const r = await auditCname([DKIM], memoryLookup({ records: [], faults: [{ name: DKIM, fault: 'timeout' }] }));
    expect(r.status).toBe('none');
    expect(codes(r.findings)).toEqual(['CNAME_UNCHECKED']);
  });

  it('asks each name once per type, even when given twice', async () => {
    const lookup = memoryLookup(zone());
    const r = await auditCname(['Example.com', 'example.com'], lookup);
    expect(r).toMatchObject({ status: 'pass', record: null });
    expect(lookup.calls).toEqual([['example.com', 'CNAME'], ['example.com', 'TXT'], ['example.com', 'MX']]);
  });
});
