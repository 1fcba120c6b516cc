/** Precise messages for what people type instead of a domain, and --region checked up front (issue 12 item 8). */
import { describe, expect, it } from 'vitest';
import { parseDomain, parseIdentity } from '../../src/model/domain-name.js';
import { FIXED_REGIONS, SES_REGIONS, regionProblem } from '../../src/providers/regions.js';
import { REGIONS as SENDGRID } from '../../src/providers/sendgrid/api.js';
import { REGIONS as MAILGUN } from '../../src/providers/mailgun/api.js';
import { REGIONS as RESEND } from '../../src/providers/resend/api.js';
import { MailsetupError } from '../../src/errors.js';

const caught = (f: () => unknown): MailsetupError => {
  try { f(); } catch (e) { return e as MailsetupError; }
  throw new Error('no error');
};

describe('inputs that are not domains', () => {
  it.each([
    ['https://mail.acme.com/path?x=1', /is a URL/, /mail\.acme\.com/],
    ['http://acme.com', /is a URL/, /acme\.com/],
    ['mail.acme.com:25', /has a port/, /mail\.acme\.com$/],
    ['acme.com/dmarc', /contains a "\/"/, /acme\.com$/],
  ])('%s', (input, why, hint) => {
    const e = caught(() => parseDomain(input));
    expect(e.code).toBe('DOMAIN_INVALID');
    expect(e.exitCode).toBe(64);
    expect(e.message).toMatch(why);
    expect(e.message).not.toMatch(/punycode/);
    expect(e.hint).toMatch(hint);
  });
  it('user@ says there is nothing after the @, not ""', () => {
    const e = caught(() => parseIdentity('user@'));
    expect(e.message).toBe('"user@" is not a valid email address: nothing after the "@"');
  });
  it('real names still parse', () => {
    expect(parseDomain('Mail.Acme.com.')).toBe('mail.acme.com');
    expect(parseIdentity('jane@acme.com').email).toBe('jane@acme.com');
  });
});

describe('--region', () => {
  it('the restated lists are the adapters\' own', () => {
    expect(FIXED_REGIONS.sendgrid).toEqual([...SENDGRID]);
    expect(FIXED_REGIONS.mailgun).toEqual([...MAILGUN]);
    expect(FIXED_REGIONS.resend).toEqual([...RESEND]);
  });
  it('SES: a misspelt region is refused with the nearest known one; any well-formed region passes', () => {
    const e = regionProblem('ses', 'eu-wst-1')!;
    expect(e.exitCode).toBe(64);
    expect(e.hint).toMatch(/Did you mean --region eu-west-1\?/);
    expect(regionProblem('ses', 'europe')).not.toBeNull();
    for (const r of SES_REGIONS) expect(regionProblem('ses', r)).toBeNull();
    expect(regionProblem('ses', 'mx-central-1')).toBeNull(); // a newer region than the list
  });
  it('fixed-region providers: outside the list is refused, with a did-you-mean', () => {
    expect(regionProblem('mailgun', 'euu')!.hint).toMatch(/Did you mean --region eu\?/);
    expect(regionProblem('resend', 'eu-west-2')!.hint).toMatch(/Did you mean --region eu-west-1\?.*Choose one of/);
    expect(regionProblem('sendgrid', 'EU')).toBeNull();
  });
});
