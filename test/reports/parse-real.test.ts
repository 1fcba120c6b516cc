/** Golden parse results over every vendored real report (test/fixtures/dmarc-reports, see its README). */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readInputs } from '../../src/reports/read.js';

const ROOT = 'test/fixtures/dmarc-reports';
const at = (p: string): string => join(ROOT, p);

// file → [reporter org, policy domain, p, records, messages, schema]
const GOLDEN: Record<string, [string, string, string | null, number, number, string]> = {
  'parsedmarc/aggregate/!example.com!1538204542!1538463818.xml': ['accurateplastics.com', 'example.com', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate/!large-example.com!1711897200!1711983600.xml': ['accurateplastics.com', 'example.com', 'none', 2286, 2286, 'rfc7489'],
  'parsedmarc/aggregate/addisonfoods.com!example.com!1536105600!1536191999.xml': ['addisonfoods.com', 'example.com', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate/empty_reason.xml': ['example.org', 'example.com', 'quarantine', 1, 2, 'rfc7489'],
  'parsedmarc/aggregate/estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip': ['XYZ Corporation', 'example.com', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate/example.net!example.com!1529366400!1529452799.xml': ['example.net', 'example.com', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz': ['FastMail Pty Ltd', 'indemed.com', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate/ikea.com!example.de!1538690400!1538776800.xml': ['ikea.com', 'example.de', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate/invalid_utf_8.xml': ['accurateplastics.com', 'example.com', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate/old_draft_from_wiki.xml': ['acme.com', 'example.com', 'none', 1, 2, 'rfc7489'],
  'parsedmarc/aggregate/protection.outlook.com!example.com!1711756800!1711843200.xml': ['Outlook.com', 'example.com', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate/rfc9990-example.net!example.com!1700000000!1700086399.xml': ['example.net', 'example.com', 'reject', 2, 7, 'rfc9990'],
  'parsedmarc/aggregate/rfc9990-sample.xml': ['Sample Reporter', 'example.com', 'quarantine', 1, 123, 'rfc9990'],
  'parsedmarc/aggregate/usssa.com!example.com!1538784000!1538870399.xml': ['usssa.com', 'example.com', 'none', 2, 2, 'rfc7489'],
  'parsedmarc/aggregate/veeam.com!example.com!1530133200!1530219600.xml': ['veeam.com', 'example.com', 'none', 1, 1, 'rfc7489'],
  'parsedmarc/aggregate_invalid/report_with_upper_cased_pass.xml': ['example.com', 'example.com', 'reject', 1, 1, 'rfc7489'],
  'stalwart-mail-auth/dmarc-feedback/001.xml': ['Sample Reporter', 'example.com', 'quarantine', 1, 123, 'rfc9990'],
  'stalwart-mail-auth/dmarc-feedback/003.xml': ['Fastmail Pty Ltd', 'stalw.art', 'none', 4, 9, 'rfc7489'],
  'stalwart-mail-auth/dmarc-feedback/100.eml': ['google.com', 'stalw.art', 'none', 1, 1, 'rfc7489'],
  'stalwart-mail-auth/dmarc-feedback/102.eml': ['Mail.Ru', 'stalw.art', 'none', 1, 1, 'rfc7489'],
  'cry-inc-dmarc-report-viewer/dmarc-reports/gmxnet.xml': ['GMX', 'myserver.com', 'reject', 1, 1, 'rfc9990'],
  'cry-inc-dmarc-report-viewer/dmarc-reports/mailru.xml': ['Mail.Ru', 'foobar.de', 'reject', 1, 1, 'rfc7489'],
};

describe('golden parse of every vendored real report', () => {
  for (const [file, [org, domain, p, records, messages, schema]] of Object.entries(GOLDEN)) {
    it(file, async () => {
      const r = await readInputs([at(file)]);
      expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(r.reports).toHaveLength(1);
      const rep = r.reports[0]!;
      expect([rep.org, rep.policy.domain, rep.policy.p, rep.records.length, rep.records.reduce((s, x) => s + x.count, 0), rep.schema])
        .toEqual([org, domain, p, records, messages, schema]);
    });
  }

  it('the whole folder: 22 reports, 1 invalid XML, 1 empty file, 2 TLS-RPT, 1 failure report, licences not reports', async () => {
    const r = await readInputs([ROOT]);
    expect(r.reports).toHaveLength(22);
    expect(r.other).toEqual({ tlsrpt: 2, failure: 1 });
    const by = (code: string): string[] => r.findings.filter((f) => f.code === code).map((f) => f.input.slice(ROOT.length + 1)).sort();
    expect(by('REPORT_INVALID_XML')).toEqual(['parsedmarc/aggregate/invalid_xml.xml']);
    expect(by('REPORT_EMPTY')).toEqual(['parsedmarc/empty.xml']);
    expect(by('REPORT_FAILURE_ARF')).toHaveLength(1);
    expect(by('REPORT_TLSRPT')).toHaveLength(2);
    expect(by('REPORT_NOT_DMARC').every((i) => /LICENSE|README/.test(i))).toBe(true);
    expect(r.reports.reduce((s, x) => s + x.records.reduce((t, y) => t + y.count, 0), 0)).toBe(2286 + 1 + 1 + 2 + 1 + 1 + 1 + 1 + 1 + 2 + 1 + 7 + 123 + 2 + 1 + 1 + 123 + 9 + 1 + 1 + 1 + 1);
  });
});

describe('real-world quirks survive', () => {
  it('compressed IPv6 from Google (zip inside a single-part mail) is normalised', async () => {
    const r = await readInputs([at('stalwart-mail-auth/dmarc-feedback/100.eml')]);
    expect(r.reports[0]!.records[0]!.sourceIp).toBe('2a01:4f9:c011:b43c::1');
  });

  it('IKEA: the stray <xs:schema> tag is stripped; upper-case enums are lower-cased and noted', async () => {
    const ikea = await readInputs([at('parsedmarc/aggregate/ikea.com!example.de!1538690400!1538776800.xml')]);
    expect(ikea.reports[0]!.records[0]!.headerFrom).toBeTruthy();
    const upper = await readInputs([at('parsedmarc/aggregate_invalid/report_with_upper_cased_pass.xml')]);
    const rec = upper.reports[0]!.records[0]!;
    expect([rec.disposition, rec.dkim, rec.spf]).toEqual(['none', 'pass', 'pass']);
    expect(upper.reports[0]!.deviations.join(';')).toContain('upper case');
    expect(upper.reports[0]!.org).toBe('example.com'); // trailing space trimmed
    expect(upper.findings.map((f) => f.code)).toContain('REPORT_TIMESPAN_LONG');
  });

  it('empty org_name falls back to the e-mail domain; empty auth_results and envelope_from are gaps, not errors', async () => {
    const r = await readInputs([at('parsedmarc/aggregate/usssa.com!example.com!1538784000!1538870399.xml')]);
    const rec = r.reports[0]!.records[0]!;
    expect(rec.authDkim).toEqual([]);
    expect(rec.envelopeFrom).toBeNull();
    expect(r.findings.find((f) => f.code === 'REPORT_SCHEMA_DEVIATION')!.message).toContain('empty <auth_results>');
  });

  it('RFC 9990: namespace, generator, disposition pass, np/testing/discovery_method', async () => {
    const r = await readInputs([at('parsedmarc/aggregate/rfc9990-sample.xml')]);
    const rep = r.reports[0]!;
    expect(rep.namespace).toBe('urn:ietf:params:xml:ns:dmarc-2.0');
    expect(rep.generator).toBeTruthy();
    expect(rep.records[0]!.disposition).toBe('pass');
    const ex = (await readInputs([at('parsedmarc/aggregate/rfc9990-example.net!example.com!1700000000!1700086399.xml')])).reports[0]!;
    expect(ex.policy.np).not.toBeNull();
    expect(ex.policy.discoveryMethod).not.toBeNull();
    expect(ex.records.flatMap((x) => x.reasons.map((y) => y.type)).length).toBeGreaterThan(0);
  });

  it('invalid UTF-8 is decoded with replacement and noted', async () => {
    const r = await readInputs([at('parsedmarc/aggregate/invalid_utf_8.xml')]);
    expect(r.reports[0]!.deviations.join(';')).toContain('invalid UTF-8');
  });

  it('entity text in values is decoded (&quot; &amp;)', async () => {
    const r = await readInputs([at('stalwart-mail-auth/dmarc-feedback/003.xml')]);
    const all = JSON.stringify(r.reports[0]);
    expect(all).not.toMatch(/&quot;|&amp;/);
  });
});
