/** Hostile and broken inputs: every one is a finding, never an exception, and limits hold. */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import fc from 'fast-check';
import { readInputs } from '../../src/reports/read.js';
import { dedupe } from '../../src/reports/analyze.js';

const REAL = 'test/fixtures/dmarc-reports';
const MAILRU = readFileSync(join(REAL, 'stalwart-mail-auth/dmarc-feedback/102.eml'));
const XML = readFileSync(join(REAL, 'stalwart-mail-auth/dmarc-feedback/003.xml'));
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'ms-reports-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
const file = (name: string, data: Uint8Array | string): string => { const p = join(dir, name); writeFileSync(p, data); return p; };
const codes = (r: { findings: { code: string }[] }): string[] => r.findings.map((f) => f.code);

describe('reports: hostile inputs', () => {
  it('a zip bomb (one entry declaring 64 MiB) is refused before inflating', async () => {
    const p = file('bomb.zip', zipSync({ 'report.xml': new Uint8Array(64 * 1024 * 1024) }, { level: 9 }));
    const r = await readInputs([p]);
    expect(r.reports).toEqual([]);
    expect(codes(r)).toEqual(['ARCHIVE_UNSAFE']);
    expect(r.findings[0]!.message).toContain('67108864 bytes');
  });

  it('a gzip bomb (64 MiB of zeros) stops at the 50 MiB limit', async () => {
    const p = file('bomb.xml.gz', gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    const r = await readInputs([p]);
    expect(r.reports).toEqual([]);
    expect(codes(r)).toEqual(['ARCHIVE_UNSAFE']);
  });

  it('billion laughs is refused unread, quickly', async () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>`;
    const t0 = Date.now();
    const r = await readInputs([file('lol.xml', lol)]);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(codes(r)).toEqual(['REPORT_INVALID_XML']);
    expect(r.findings[0]!.message).toContain('DOCTYPE');
  });

  it('an external entity pointing at a local file: refused, and the file\'s contents never appear', async () => {
    const secret = file('secret.txt', 'TOP-SECRET-7f3a9c');
    const xxe = `<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY x SYSTEM "file://${secret}">]><feedback><report_metadata><org_name>&x;</org_name><email>a@b.c</email><report_id>1</report_id><date_range><begin>1</begin><end>2</end></date_range></report_metadata><policy_published><domain>acme.com</domain><p>none</p></policy_published></feedback>`;
    const r = await readInputs([file('xxe.xml', xxe)]);
    expect(codes(r)).toEqual(['REPORT_INVALID_XML']);
    expect(JSON.stringify(r)).not.toContain('TOP-SECRET');
  });

  it('a 0-byte file, white space and random bytes are findings', async () => {
    const r = await readInputs([file('empty.xml', ''), file('blank.xml', '  \n\t '), file('random.bin', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 251)))]);
    expect(codes(r)).toEqual(['REPORT_EMPTY', 'REPORT_EMPTY', 'REPORT_NOT_DMARC']);
  });

  it('any bytes, with or without a gzip, zip, XML or mail prefix, never throw', async () => {
    const prefixes = [[], [0x1f, 0x8b], [0x50, 0x4b, 0x03, 0x04], [0x3c], [0x7b], [...Buffer.from('From: a@b\nSubject: x\n\n')]];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 300 }), async (pre, rest) => {
      const p = file('fuzz.bin', new Uint8Array([...pre, ...rest]));
      const r = await readInputs([p]);
      expect(r.reports.length + r.findings.length).toBeGreaterThanOrEqual(1);
    }), { numRuns: 150 });
  });

  it('a zip of 25 entries is refused (the limit is 20)', async () => {
    const entries = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`r${i}.xml`, new Uint8Array(XML)]));
    const r = await readInputs([file('many.zip', zipSync(entries))]);
    expect(r.reports).toEqual([]);
    expect(r.findings.map((f) => f.code)).toEqual(['ARCHIVE_UNSAFE']);
    expect(r.findings[0]!.message).toContain('25 entries');
  });

  it('a zip of 3 reports is read; gzip with trailing CRLF (Mimecast) is read', async () => {
    const r = await readInputs([file('three.zip', zipSync({ 'a.xml': new Uint8Array(XML), 'b.xml': new Uint8Array(XML), 'c.xml': new Uint8Array(XML) }))]);
    expect(r.reports).toHaveLength(3);
    const g = await readInputs([file('mimecast.xml.gz', Buffer.concat([gzipSync(XML), Buffer.from('\r\n')]))]);
    expect(g.reports).toHaveLength(1);
  });

  it('containers nested three deep are refused; twice is fine', async () => {
    const twice = gzipSync(gzipSync(XML));
    expect((await readInputs([file('x.xml.gz.gz', twice)])).reports).toHaveLength(1);
    const r = await readInputs([file('x.gz.gz.gz', gzipSync(twice))]);
    expect(codes(r)).toEqual(['ARCHIVE_UNSAFE']);
  });

  it('a TLS-RPT and an ARF failure report mail are recognised and skipped', async () => {
    const r = await readInputs([join(REAL, 'parsedmarc/smtp_tls/google.com_smtp_tls_report.eml'), join(REAL, 'parsedmarc/failure/dmarc_ruf_report_linkedin.eml')]);
    expect(r.reports).toEqual([]);
    expect(codes(r)).toEqual(['REPORT_TLSRPT', 'REPORT_FAILURE_ARF']);
    expect(r.other).toEqual({ tlsrpt: 1, failure: 1 });
    expect(r.findings.every((f) => f.severity === 'info')).toBe(true);
  });

  it('an mbox of two report mails, and a report mail forwarded as message/rfc822', async () => {
    const mbox = Buffer.concat([Buffer.from('From dmarc@mail.ru Mon Nov  7 00:00:00 2022\n'), MAILRU, Buffer.from('\n\nFrom dmarc@mail.ru Tue Nov  8 00:00:00 2022\n'), MAILRU, Buffer.from('\n')]);
    const r = await readInputs([file('inbox.mbox', mbox)]);
    expect(r.reports).toHaveLength(2);
    expect(r.read).toBe(2);
    const d = dedupe(r.reports);
    expect(d.duplicates).toBe(1);
    expect(d.findings[0]).toMatchObject({ code: 'REPORT_DUPLICATE', severity: 'info' });

    const boundary = 'b0und';
    const wrapped = `From: it@acme.com\r\nTo: me@acme.com\r\nSubject: Fwd: report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n${MAILRU.toString('latin1')}\r\n--${boundary}--\r\n`;
    const w = await readInputs([file('fwd.eml', Buffer.from(wrapped, 'latin1'))]);
    expect(w.reports).toHaveLength(1);
    expect(w.reports[0]!.org).toBe('Mail.Ru');
  });

  it('the same report id and range with a different body: a warning, the later copy kept', async () => {
    const changed = XML.toString('utf8').replace(/<count>(\d+)<\/count>/, (_m, n) => `<count>${Number(n) + 5}</count>`);
    const r = await readInputs([file('a.xml', XML), file('b.xml', changed)]);
    const d = dedupe(r.reports);
    expect(d.kept).toHaveLength(1);
    expect(d.findings[0]).toMatchObject({ code: 'REPORT_DUPLICATE', severity: 'warning' });
    expect(d.kept[0]!.input).toContain('b.xml');
  });

  it('a missing path is a finding, not an exception', async () => {
    const r = await readInputs([join(dir, 'nope.xml')]);
    expect(codes(r)).toEqual(['REPORT_UNREADABLE']);
  });
});
