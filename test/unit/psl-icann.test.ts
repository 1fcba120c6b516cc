/**
 * organisationalDomain() walks a generated copy of the PSL's ICANN section (src/model/psl-icann.ts)
 * instead of loading tldts at start-up. It must give tldts's answers: the generated file must be
 * the current tldts's list, and for every name of that list (private section too, since a private
 * name under an ICANN wildcard changes what the wildcard matches) and the odd inputs around it, the
 * result must be tldts's getDomain(…, { allowPrivateDomains: false }) with the same fallback.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { getDomain } from 'tldts';
import { allPaths, generate } from '../../scripts/psl-icann.mjs';
import { organisationalDomain } from '../../src/model/domain-name.js';

function viaTldts(name: string): string {
  const d = getDomain(name, { allowPrivateDomains: false });
  if (d) return d;
  const labels = name.split('.');
  return labels.length >= 2 ? labels.slice(-2).join('.') : name;
}

describe('the generated ICANN list', () => {
  it('is what scripts/psl-icann.mjs makes of the installed tldts (else: node scripts/psl-icann.mjs)', () => {
    expect(readFileSync(new URL('../../src/model/psl-icann.ts', import.meta.url), 'utf8')).toBe(generate());
  });

  it('gives tldts\'s organisational domain for every name in the list, and names below them', () => {
    const names: string[] = [];
    for (const path of allPaths()) {
      const p = path.replaceAll('*', 'wild');
      names.push(path, p, `x.${p}`, `a.b.${p}`, `c.d.e.f.${p}`, `x.${path}`, `${p}.`, `X.${p.toUpperCase()}`, `.${p}`, `x..${p}`, `city.${p}`, `www.${p}`);
    }
    const differ = names.filter((n) => organisationalDomain(n) !== viaTldts(n));
    expect(differ.slice(0, 20)).toEqual([]);
    expect(names.length).toBeGreaterThan(50_000);
  });

  it.each([
    'mail.acme.com', 'a.b.mail.acme.co.uk', 'mail.example.test', 'example', '', '.', '..', 'com', 'co.uk', 'www.ck', 'a.www.ck', 'b.a.ck',
    'city.kawasaki.jp', 'x.city.kawasaki.jp', 'foo.kawasaki.jp', 'a.foo.kawasaki.jp', '192.0.2.1', '[2001:db8::1]', '2001:db8::1',
    'http://mail.acme.co.uk/path', 'user@mail.acme.org', 'MAIL.ACME.CO.UK.', 'xn--bcher-kva.example', 'bücher.example.de', 'a..b.co.uk',
    'foo.blogspot.com', 'x.s3.amazonaws.com', 'a.github.io', 'a.b.0x12', 'a.1.2', 'under_score.co.uk', '-bad.co.uk', ' spaced.co.uk ',
  ])('%j as tldts', (name) => {
    expect(organisationalDomain(name)).toBe(viaTldts(name));
  });
});
