/** TXT character-strings for host APIs (src/dns-hosts/txt.ts): 255-byte splitting and quoting. */
import { describe, expect, it } from 'vitest';
import { quoteTxt, splitTxt, unquoteTxtStrings } from '../../src/dns-hosts/txt.js';
import { zoneCandidates } from '../../src/dns-hosts/zone-candidates.js';

describe('TXT strings', () => {
  it('splits on UTF-8 bytes and never cuts a character', () => {
    const v = `${'a'.repeat(254)}é${'b'.repeat(10)}`;
    const parts = splitTxt(v);
    expect(parts.map((p) => Buffer.byteLength(p))).toEqual([254, 12]);
    expect(parts.join('')).toBe(v);
    expect(splitTxt('')).toEqual(['']);
    expect(splitTxt('x'.repeat(510)).map((p) => p.length)).toEqual([255, 255]);
  });

  it('quotes with escapes, octal for non-ASCII on request, and reads every form back', () => {
    expect(quoteTxt('say "hi" \\')).toBe('"say \\"hi\\" \\\\"');
    expect(quoteTxt('café', { octal: true })).toBe('"caf\\303\\251"');
    for (const v of ['v=spf1 -all', 'café "x"', `p=${'Z'.repeat(600)}`, '']) {
      expect(unquoteTxtStrings(quoteTxt(v, { octal: true }), { octal: true })).toBe(v);
      expect(unquoteTxtStrings(quoteTxt(v))).toBe(v);
    }
    expect(unquoteTxtStrings('"a\\065b"')).toBe('aAb'); // RFC 1035 \DDD is decimal
    expect(unquoteTxtStrings('v=spf1 -all')).toBeNull();
    expect(unquoteTxtStrings('"open')).toBeNull();
  });

  it('zone candidates: longest first, no bare TLD, `_` zones only where the host can have them', () => {
    expect(zoneCandidates('s1._domainkey.Mail.Acme.com.', { underscoreZones: true }))
      .toEqual(['s1._domainkey.mail.acme.com', '_domainkey.mail.acme.com', 'mail.acme.com', 'acme.com']);
    expect(zoneCandidates('s1._domainkey.mail.acme.com', { underscoreZones: false })).toEqual(['s1._domainkey.mail.acme.com', 'mail.acme.com', 'acme.com']);
    expect(zoneCandidates('_dmarc.acme.com', { underscoreZones: false })).toEqual(['acme.com']);
    expect(zoneCandidates('acme.com', { underscoreZones: false })).toEqual(['acme.com']);
  });
});
