/** Report mails in the shapes reporters send: single-part XML, octet-stream gzip (Amazon SES), x-zip, base64 or not. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { readInputs } from '../../src/reports/read.js';

const XML = readFileSync('test/fixtures/dmarc-reports/stalwart-mail-auth/dmarc-feedback/003.xml');
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/.{76}/g, '$&\r\n');

async function readMail(mail: string): Promise<Awaited<ReturnType<typeof readInputs>>> {
  return readInputs(['-'], { stdin: async () => Buffer.from(mail, 'latin1') });
}

describe('reports: report mail shapes', () => {
  it('a single-part text/xml body', async () => {
    const r = await readMail(`From: dmarc@rep.example\r\nSubject: Report Domain: stalw.art\r\nMIME-Version: 1.0\r\nContent-Type: text/xml; charset=utf-8\r\n\r\n${XML.toString('utf8')}`);
    expect(r.reports).toHaveLength(1);
  });

  it('Amazon SES: application/octet-stream gzip in multipart/mixed, with an HTML part beside it', async () => {
    const mail = `From: dmarc@amazonses.com\r\nSubject: Dmarc Aggregate Report Domain: {stalw.art}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n<p>This is an aggregate report</p>\r\n--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="amazonses.com!stalw.art!1!2.xml.gz"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(gzipSync(XML))}\r\n--x--\r\n`;
    const r = await readMail(mail);
    expect(r.reports).toHaveLength(1);
    expect(r.findings.filter((f) => f.severity !== 'info' && f.code !== 'REPORT_SCHEMA_DEVIATION')).toEqual([]);
  });

  it('application/x-zip-compressed named .xml.zip (Seznam)', async () => {
    const mail = `From: dmarc@seznam.cz\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: application/x-zip-compressed; name="seznam.cz!stalw.art!1!2.xml.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(zipSync({ 'r.xml': new Uint8Array(XML) }))}\r\n`;
    expect((await readMail(mail)).reports).toHaveLength(1);
  });

  it('a mail with no report attachment at all is one finding', async () => {
    const r = await readMail('From: someone@example.com\r\nSubject: hello\r\n\r\nJust text.\r\n');
    expect(r.reports).toEqual([]);
    expect(r.findings.map((f) => f.code)).toEqual(['REPORT_NOT_DMARC']);
  });

  it('Yahoo\'s gzip holding the literal "unused" is a finding, not a crash', async () => {
    const r = await readInputs(['-'], { stdin: async () => gzipSync('unused') });
    expect(r.findings.map((f) => f.code)).toEqual(['REPORT_NOT_DMARC']);
  });
});
