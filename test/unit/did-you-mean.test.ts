import { describe, expect, it } from 'vitest';
import { choiceHint, closest } from '../../src/util/did-you-mean.js';

describe('did-you-mean', () => {
  const providers = ['ses', 'sendgrid', 'mailgun', 'resend'];
  it.each([
    ['sendgird', 'sendgrid'], ['SendGrid', 'sendgrid'], ['mailgn', 'mailgun'], ['resnd', 'resend'], ['sess', 'ses'],
  ])('%s → %s', (typo, want) => expect(closest(typo, providers)).toBe(want));

  it('nothing when no choice is close (no wild guesses)', () => {
    expect(closest('x', providers)).toBeNull();
    expect(closest('postmark', providers)).toBeNull();
  });

  it('the hint names the suggestion first, then every choice', () => {
    expect(choiceHint('route35', ['cloudflare', 'route53'], '--dns')).toBe('Did you mean --dns route53? Choose one of: cloudflare, route53.');
    expect(choiceHint('zzz', ['cloudflare', 'route53'], '--dns')).toBe('Choose one of: cloudflare, route53.');
  });
});
