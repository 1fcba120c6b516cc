import { describe, expect, it } from 'vitest';
import { organisationalDomain, parseDomain, parseIdentity, parseSmtpIdentity } from '../../src/model/domain-name.js';
import { MailsetupError } from '../../src/errors.js';

function rejects(input: string): MailsetupError {
  try {
    parseDomain(input);
  } catch (e) {
    expect(e).toBeInstanceOf(MailsetupError);
    return e as MailsetupError;
  }
  throw new Error(`"${input}" was accepted`);
}

describe('parseDomain', () => {
  it.each([
    ['Mail.Acme.COM', 'mail.acme.com'],
    ['mail.acme.com.', 'mail.acme.com'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['MÜNCHEN.example', 'xn--mnchen-3ya.example'],
    ['_dmarc.acme.com', '_dmarc.acme.com'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
  ])('normalises %s → %s', (input, expected) => {
    expect(parseDomain(input)).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['a..b.com', 'empty label'],
    ['.acme.com', 'empty label'],
    ['acme .com', 'space'],
    [' acme.com', 'spaces'],
    ['192.0.2.1', 'IP address'],
    ['2001:db8::1', 'IP address'],
    ['-acme.com', 'hyphen'],
    ['acme-.com', 'hyphen'],
    [`${'a'.repeat(64)}.com`, 'longer than 63'],
    [`${'abcdefghi.'.repeat(26)}com`, 'limit is 253'],
    ['localhost', 'single label'],
    ['acme!.com', 'characters'],
    ['1.2.3.999', 'numeric'],
  ])('rejects %j (%s) with DOMAIN_INVALID and exit 64', (input, why) => {
    const e = rejects(input);
    expect(e.code).toBe('DOMAIN_INVALID');
    expect(e.exitCode).toBe(64);
    expect(e.message).toContain(why);
    expect(e.hint).toBeTruthy();
  });
});

describe('parseIdentity', () => {
  it('takes the domain of an address and keeps the local part', () => {
    expect(parseIdentity('Jane@Mail.Acme.com')).toEqual({ domain: 'mail.acme.com', localPart: 'Jane', email: 'Jane@mail.acme.com' });
  });
  it('reads @domain as postmaster@domain', () => {
    expect(parseIdentity('@example.net').email).toBe('postmaster@example.net');
  });
  it('smtp (validate): takes the local part as SMTP carries it, everything before the last @', () => {
    expect(parseIdentity('Macro Error@example.net', { smtp: true })).toMatchObject({ domain: 'example.net', localPart: 'Macro Error' });
    expect(parseIdentity('"a@b"@example.net', { smtp: true })).toMatchObject({ domain: 'example.net', localPart: '"a@b"' });
    expect(parseIdentity(`${'é'.repeat(32)}@example.net`, { smtp: true }).localPart).toHaveLength(32); // 64 octets: at the limit
  });
  it('a mailbox (add, remove) still refuses a space in the local part', () => {
    expect(() => parseIdentity('Macro Error@example.net')).toThrow(/contains a space/);
    expect(parseIdentity('"a@b"@example.net').localPart).toBe('"a@b"');
  });
  it.each([
    ['tab', 'a\tb@example.net'], ['ESC', '\x1b]0;x\x07@example.net'], ['DEL', 'a\x7f@example.net'], ['C1', 'a\x9b@example.net'],
    ['bidi override', 'a\u202eb@example.net'], ['zero-width joiner', 'a\u200db@example.net'], ['65 octets', `${'a'.repeat(65)}@example.net`],
    ['65 octets in UTF-8', `${'é'.repeat(32)}a@example.net`],
  ])('refuses a local part with a %s (DOMAIN_INVALID, 64), shown escaped', (_what, input) => {
    let e: MailsetupError | undefined;
    try { parseIdentity(input, { smtp: true }); } catch (x) { e = x as MailsetupError; }
    expect(e).toBeInstanceOf(MailsetupError);
    if (!e) return;
    expect(e.code).toBe('DOMAIN_INVALID');
    expect(e.exitCode).toBe(64);
    expect(e.message).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  });
  it('rejects an address with a bad domain', () => {
    expect(() => parseIdentity('jane@acme..com')).toThrow(/empty label/);
  });
});

describe('parseSmtpIdentity (validate --ip): a malformed domain is data, not an input error', () => {
  it.each([
    ['foo@A...example.com', 'a...example.com', /empty label/],
    ['A2345678', 'a2345678', /single label/],
    ['foo@[1.2.3.5]', '[1.2.3.5]', /IP address/],
    [`x@${'a'.repeat(64)}.example.com`, `${'a'.repeat(64)}.example.com`, /longer than 63/],
  ])('%s → kept as given, with the problem', (input, domain, problem) => {
    const id = parseSmtpIdentity(input);
    expect(id.domain).toBe(domain);
    expect(id.problem).toMatch(problem);
  });
  it('a good identity parses as parseIdentity does, with no problem', () => {
    expect(parseSmtpIdentity('Macro Error@Example.NET')).toEqual({ ...parseIdentity('Macro Error@Example.NET', { smtp: true }), problem: null });
  });
  it.each([['foo@'], [''], ['a\x1b@A..b'], ['x@exa\u202emple..com'], [`${'a'.repeat(65)}@a..b`]])('still refuses %j (DOMAIN_INVALID)', (input) => {
    expect(() => parseSmtpIdentity(input)).toThrow(MailsetupError);
  });
});

describe('organisationalDomain', () => {
  it.each([
    ['mail.acme.com', 'acme.com'],
    ['a.b.mail.acme.co.uk', 'acme.co.uk'],
    ['acme.com', 'acme.com'],
    ['mail.example.test', 'example.test'],
  ])('%s → %s', (name, org) => {
    expect(organisationalDomain(name)).toBe(org);
  });
});
