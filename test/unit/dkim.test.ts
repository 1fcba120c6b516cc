import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryLookup, type ZoneData } from '../../src/dns/zone.js';
import type { CheckResult, Finding } from '../../src/model/finding.js';
import { auditDkim, DEFAULT_DKIM_SELECTORS, guessDkimProvider, parseDkimKey, type DkimSelectorDetail } from '../../src/validators/dkim.js';
import { txt, zone } from '../helpers/zone-builders.js';

const rsa = (bits: number, type: 'spki' | 'pkcs1' = 'spki'): string =>
  generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type, format: 'der' }).toString('base64');
const RSA2048 = rsa(2048);
const ED25519_RAW = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');

const codes = (fs: Finding[]): string[] => fs.map((f) => f.code);
const find = (r: { findings: Finding[] }, code: string): Finding => {
  const f = r.findings.find((x) => x.code === code);
  if (!f) throw new Error(`no ${code} in ${codes(r.findings).join(',')}`);
  return f;
};
const selectors = (r: CheckResult): DkimSelectorDetail[] => (r.detail as { selectors: DkimSelectorDetail[] }).selectors;

describe('parseDkimKey', () => {
  it('decodes a 2048-bit RSA key', () => {
    const r = parseDkimKey(`v=DKIM1; k=rsa; p=${RSA2048}`, 's1._domainkey.example.com');
    expect(r).toMatchObject({ valid: true, revoked: false, testing: false, key: { type: 'rsa', bits: 2048, format: 'spki' } });
    expect(r.findings).toEqual([]);
  });

  it('allows whitespace, including folding, inside p=', () => {
    const folded = RSA2048.match(/.{1,60}/g)!.join(' \r\n\t ');
    const r = parseDkimKey(`v=DKIM1; k=rsa; p= ${folded} `);
    expect(r.findings).toEqual([]);
    expect(r.key.bits).toBe(2048);
  });

  it('decodes a raw 32-byte ed25519 key and rejects an SPKI-wrapped one', () => {
    expect(parseDkimKey(`v=DKIM1; k=ed25519; p=${ED25519_RAW}`)).toMatchObject({ valid: true, key: { type: 'ed25519', format: 'raw' } });
    const spki = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(find(parseDkimKey(`v=DKIM1; k=ed25519; p=${spki}`), 'DKIM_KEY_INVALID').message).toMatch(/44 bytes/);
  });

  it('DKIM_KEY_FORMAT warns about a bare PKCS#1 key but still decodes it', () => {
    const r = parseDkimKey(`v=DKIM1; p=${rsa(1024, 'pkcs1')}`);
    expect(r).toMatchObject({ valid: true, key: { type: 'rsa', bits: 1024, format: 'pkcs1' } });
    expect(find(r, 'DKIM_KEY_FORMAT').severity).toBe('warning');
  });

  it.each([
    ['truncated', `v=DKIM1; p=${RSA2048.slice(0, 200)}`],
    ['not base64', 'v=DKIM1; p=this-is-not*base64'],
    ['a key of the wrong type', `v=DKIM1; k=rsa; p=${generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`],
  ])('DKIM_KEY_INVALID for %s', (_, record) => {
    expect(find(parseDkimKey(record, 'sel._domainkey.example.com'), 'DKIM_KEY_INVALID')).toMatchObject({ severity: 'error', term: 'p', name: 'sel._domainkey.example.com' });
  });

  it('DKIM_KEY_TOO_SHORT under 1024 bits (RFC 8301)', () => {
    const r = parseDkimKey(`v=DKIM1; p=${rsa(512)}`);
    expect(find(r, 'DKIM_KEY_TOO_SHORT').severity).toBe('error');
    expect(r.key.bits).toBe(512);
  });

  it('DKIM_REVOKED for an empty p=', () => {
    const r = parseDkimKey('v=DKIM1; k=rsa; p=');
    expect(r.revoked).toBe(true);
    expect(find(r, 'DKIM_REVOKED').severity).toBe('error');
  });

  it('DKIM_TESTING for t=y (a warning; the key still works)', () => {
    const r = parseDkimKey(`v=DKIM1; t=y:s; p=${RSA2048}`);
    expect(r.valid).toBe(true);
    expect(find(r, 'DKIM_TESTING')).toMatchObject({ severity: 'warning', term: 't' });
  });

  it('DKIM_SHA1_ONLY when h= allows only sha1', () => {
    expect(find(parseDkimKey(`v=DKIM1; h=sha1; p=${RSA2048}`), 'DKIM_SHA1_ONLY').term).toBe('h');
    expect(parseDkimKey(`v=DKIM1; h=sha1:sha256; p=${RSA2048}`).findings).toEqual([]);
  });

  it.each([
    ['v=DKIM2; p=x', 'v'], [`p=${'A'.repeat(8)}; v=DKIM1`, 'v'], ['k=dsa; p=', 'k'], [`h=md5; p=${'A'.repeat(8)}`, 'h'],
    [`s=chat; p=${'A'.repeat(8)}`, 's'], ['v=DKIM1; k=rsa', 'p'], ['v=DKIM1; p=; p=', 'p'], ['v=DKIM1; t; p=', null],
  ])('%s → DKIM_SYNTAX on %s', (record, term) => {
    expect(find(parseDkimKey(record), 'DKIM_SYNTAX')).toMatchObject({ severity: 'error', term });
  });
});

describe('auditDkim', () => {
  it('follows the usual provider CNAME and guesses the provider', async () => {
    const z = zone(
      { name: 'tok1._domainkey.example.com', type: 'CNAME', data: 'tok1.dkim.amazonses.com' },
      txt('tok1.dkim.amazonses.com', `p=${RSA2048}`),
    );
    const r = await auditDkim('example.com', memoryLookup(z), { selectors: ['tok1'] });
    expect(r).toMatchObject({ check: 'dkim', status: 'pass', record: [`p=${RSA2048}`] });
    expect(selectors(r)).toEqual([{ selector: 'tok1', name: 'tok1._domainkey.example.com', found: true, cname: 'tok1.dkim.amazonses.com', keyType: 'rsa', bits: 2048, provider: 'ses', outcome: 'answer' }]);
  });

  it('an explicit selector that is absent is DKIM_MISSING (error)', async () => {
    const r = await auditDkim('example.com', memoryLookup(zone()), { selectors: ['s1'] });
    expect(r.status).toBe('fail');
    expect(find(r, 'DKIM_MISSING')).toMatchObject({ severity: 'error', name: 's1._domainkey.example.com' });
  });

  it('an explicit selector whose CNAME target has no key names the target', async () => {
    const z = zone({ name: 's1._domainkey.example.com', type: 'CNAME', data: 's1.domainkey.u1.wl1.sendgrid.net' });
    expect(find(await auditDkim('example.com', memoryLookup(z), { selectors: ['s1'] }), 'DKIM_MISSING').message).toMatch(/sendgrid\.net/);
  });

  it('probing that finds nothing is a warning naming the probed selectors', async () => {
    const lookup = memoryLookup(zone());
    const r = await auditDkim('example.com', lookup);
    expect(r.status).toBe('warn');
    const f = find(r, 'DKIM_MISSING');
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('google, selector1');
    expect(f.hint).toMatch(/--selector/);
    expect(lookup.calls).toHaveLength(DEFAULT_DKIM_SELECTORS.length);
  });

  it('probing finds a key under a common selector and ignores non-key TXT at other probes', async () => {
    const z = zone(txt('google._domainkey.example.com', `v=DKIM1; k=rsa; p=${RSA2048}`), txt('*.example.com', 'v=spf1 -all'), txt('default._domainkey.example.com', 'hello'));
    const r = await auditDkim('example.com', memoryLookup(z));
    expect(r.status).toBe('pass');
    expect(selectors(r).filter((s) => s.found).map((s) => [s.selector, s.provider])).toEqual([['google', 'google']]);
  });

  it('an explicit selector holding something that is not a key is DKIM_SYNTAX', async () => {
    const r = await auditDkim('example.com', memoryLookup(zone(txt('mail._domainkey.example.com', 'hello world'))), { selectors: ['mail'] });
    expect(r.findings.filter((f) => f.code === 'DKIM_SYNTAX').map((f) => f.term)).toEqual([null, 'p']);
  });

  it('DKIM_REVOKED is an error for a named selector, a warning when found by probing', async () => {
    const z = zone(txt('s1._domainkey.example.com', 'v=DKIM1; p='));
    expect(find(await auditDkim('example.com', memoryLookup(z), { selectors: ['s1'] }), 'DKIM_REVOKED').severity).toBe('error');
    expect(find(await auditDkim('example.com', memoryLookup(z)), 'DKIM_REVOKED').severity).toBe('warning');
  });

  it('DKIM_MULTIPLE_RECORDS when a selector holds two keys', async () => {
    const z = zone(txt('s1._domainkey.example.com', `p=${RSA2048}`), txt('s1._domainkey.example.com', `p=${rsa(1024)}`));
    expect(find(await auditDkim('example.com', memoryLookup(z), { selectors: ['s1'] }), 'DKIM_MULTIPLE_RECORDS').severity).toBe('error');
  });

  it('a timeout is "could not check", never missing', async () => {
    const z: ZoneData = { records: [], faults: [{ name: 's1._domainkey.example.com', fault: 'timeout' }] };
    const r = await auditDkim('example.com', memoryLookup(z), { selectors: ['s1'] });
    expect(r.status).toBe('none');
    expect(codes(r.findings)).toEqual(['DKIM_UNCHECKED']);
    expect(selectors(r)[0]).toMatchObject({ found: false, outcome: 'timeout' });
  });

  it('guesses providers from CNAME targets and provider-specific selectors', () => {
    expect(guessDkimProvider('s1', ['s1.domainkey.u123.wl.sendgrid.net'])).toBe('sendgrid');
    expect(guessDkimProvider('pdk1', ['pdk1._domainkey.abc.dkim1.mailgun.com'])).toBe('mailgun');
    expect(guessDkimProvider('selector1', ['selector1-example-com._domainkey.example.onmicrosoft.com'])).toBe('microsoft');
    expect(guessDkimProvider('resend', [])).toBe('resend');
    expect(guessDkimProvider('20210112153312pm', [])).toBe('postmark');
    expect(guessDkimProvider('default', [])).toBeNull();
  });
});
