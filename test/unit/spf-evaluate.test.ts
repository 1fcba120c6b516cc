import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { memoryLookup, type ZoneFault } from '../../src/dns/zone.js';
import { checkHost, type SpfEvaluation } from '../../src/validators/spf/evaluate.js';
import { expandDomain, expandMacros, parseClientIp, type MacroContext } from '../../src/validators/spf/macro.js';
import { parseDomainSpec, parseMacroString } from '../../src/validators/spf/parse.js';
import { renderSpfEvaluation, spfWhy } from '../../src/render/spf-eval.js';
import { zoneFromNames, type ZoneNames as Names } from '../helpers/zone-builders.js';

async function check(names: Names, ip: string, opts: { domain?: string; sender?: string; faults?: ZoneFault[]; helo?: string } = {}): Promise<SpfEvaluation> {
  const domain = opts.domain ?? 'example.com';
  return checkHost(ip, domain, opts.sender ?? `alice@${domain}`, memoryLookup(zoneFromNames(names, opts.faults)), { helo: opts.helo ?? 'mx.example.org', now: 1_700_000_000_000 });
}

const spf = (record: string | string[], extra: Names[string] = {}): Names[string] => ({ TXT: [record], ...extra });

describe('macro expansion (RFC 7208 §7.4 examples)', () => {
  const ctx = (ip: string, over: Partial<MacroContext> = {}): MacroContext => ({
    ip: parseClientIp(ip)!, sender: 'strong-bad@email.example.com', local: 'strong-bad', senderDomain: 'email.example.com',
    domain: 'email.example.com', helo: 'mx.example.org', receiver: 'mx.receiver.example', now: 1_700_000_000,
    validatedName: async () => 'unknown', ...over,
  });
  const expand = (s: string, c: MacroContext) => expandMacros(parseMacroString(s, true).tokens, c);

  it.each([
    ['%{s}', 'strong-bad@email.example.com'], ['%{o}', 'email.example.com'], ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'], ['%{d3}', 'email.example.com'], ['%{d2}', 'example.com'], ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'], ['%{d2r}', 'example.email'], ['%{l}', 'strong-bad'], ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'], ['%{lr-}', 'bad.strong'], ['%{l1r-}', 'strong'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
    ['%{h} %{r} %{t} %{c}', 'mx.example.org mx.receiver.example 1700000000 192.0.2.3'],
    ['%%%_%-', '% %20'],
  ])('%s → %s', async (macro, want) => {
    expect(await expand(macro, ctx('192.0.2.3'))).toBe(want);
  });

  it('IPv6: %{i} is 32 dot-separated nibbles, %{v} is ip6, %{c} is the RFC 5952 form', async () => {
    const c = ctx('2001:DB8::CB01');
    expect(await expand('%{ir}.%{v}._spf.%{d2}', c)).toBe('1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com');
    expect(await expand('%{c}', c)).toBe('2001:db8::cb01');
  });

  it('an IPv4-mapped IPv6 client is an IPv4 client', async () => {
    const c = ctx('::ffff:192.0.2.3');
    expect(c.ip.family).toBe(4);
    expect(await expand('%{i} %{v}', c)).toBe('192.0.2.3 in-addr');
  });

  it('upper-case letters are URL-escaped; several delimiters split at once', async () => {
    const c = ctx('192.0.2.3', { local: '~jack&jill=up a', sender: '~jack&jill=up a@example.com' });
    expect(await expand('%{L}', c)).toBe('~jack%26jill%3Dup%20a');
    expect(await expand('%{l2r=-}', ctx('192.0.2.3', { local: 'x-y=z' }))).toBe('y.x');
  });

  it('%{p} asks for the validated name only when used', async () => {
    let asked = 0;
    const c = ctx('192.0.2.3', { validatedName: async () => { asked++; return 'mail.example.com'; } });
    expect(await expand('%{d}', c)).toBe('email.example.com');
    expect(asked).toBe(0);
    expect(await expand('%{p}', c)).toBe('mail.example.com');
  });

  it('an expanded domain over 253 octets loses whole labels on the left; one trailing dot goes', async () => {
    const long = 'a'.repeat(60); // x.y.z + 4 × 61 + "example" = 257 octets: x and y go
    const spec = parseDomainSpec(`%{o}.${long}.${long}.${long}.${long}.example.`).spec!;
    const name = await expandDomain(spec, ctx('192.0.2.3', { senderDomain: 'x.y.z' }));
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toBe(`z.${long}.${long}.${long}.${long}.example`);
  });
});

describe('mechanisms and prefix lengths', () => {
  it.each([
    ['v=spf1 ip4:192.0.2.0/24 -all', '192.0.2.200', 'pass'],
    ['v=spf1 ip4:192.0.2.0/24 -all', '192.0.3.1', 'fail'],
    ['v=spf1 ip4:0.0.0.0/0 -all', '203.0.113.9', 'pass'],
    ['v=spf1 ip6:2001:db8::/32 ~all', '2001:db8:ffff::1', 'pass'],
    ['v=spf1 ip6:2001:db8::/32 ~all', '2001:db9::1', 'softfail'],
    ['v=spf1 ip6:::/0 ~all', '192.0.2.1', 'softfail'],
    ['v=spf1 a/24 -all', '192.0.2.77', 'pass'],
    ['v=spf1 a -all', '192.0.2.77', 'fail'],
    ['v=spf1 a//64 -all', '2001:db8:1:2::99', 'pass'],
    ['v=spf1 a//64 -all', '2001:db8:1:3::99', 'fail'],
    ['v=spf1 mx/30 -all', '192.0.2.26', 'pass'],
    ['v=spf1 exists:%{ir}.bl.example.com -all', '192.0.2.9', 'pass'],
    ['v=spf1 ?ptr -all', '192.0.2.9', 'neutral'],
    ['v=spf1 ip4:192.0.2.1', '192.0.2.2', 'neutral'],
  ])('%s for %s → %s', async (record, ip, want) => {
    const r = await check({
      'example.com': spf(record, { A: ['192.0.2.10'], AAAA: ['2001:db8:1:2::1'], MX: [[10, 'mx.example.com']] }),
      'mx.example.com': { A: ['192.0.2.25'] },
      '9.2.0.192.bl.example.com': { A: ['127.0.0.2'] },
      '9.2.0.192.in-addr.arpa': { PTR: ['host.example.com'] },
      'host.example.com': { A: ['192.0.2.9'] },
    }, ip);
    expect(r.result).toBe(want);
  });

  it('a TXT record with zero strings beside the SPF record does not break the lookup', async () => {
    expect((await check({ 'example.com': { TXT: [[], ['v=spf1 ip4:', '192.0.2.5 -all']] } }, '192.0.2.5')).result).toBe('pass');
  });
});

describe('include and redirect (RFC 7208 §5.2, §6.1)', () => {
  const zone = (inner: string | null, faults = false): Names => ({
    'example.com': spf('v=spf1 include:inc.example.net -all'),
    ...(inner === null || faults ? {} : { 'inc.example.net': spf(inner) }),
  });
  it.each([
    ['v=spf1 +all', 'pass'], ['v=spf1 -all', 'fail'], ['v=spf1 ~all', 'fail'], ['v=spf1 ?all', 'fail'],
    ['v=spf1 ip4:1.2.3.4/33', 'permerror'], [null, 'permerror'],
  ])('included %s → %s', async (inner, want) => {
    expect((await check(zone(inner), '192.0.2.1')).result).toBe(want);
  });

  it('an include whose record cannot be fetched → temperror', async () => {
    const r = await check(zone(null, true), '192.0.2.1', { faults: [{ name: 'inc.example.net', fault: 'timeout' }] });
    expect(r.result).toBe('temperror');
    expect(r.trace[r.decidedBy!]!.asked[0]).toMatchObject({ name: 'inc.example.net', type: 'TXT', failed: true });
  });

  it('redirect: the target decides, with its own exp; a target without a record is permerror', async () => {
    const r = await check({
      'example.com': spf('v=spf1 ip4:192.0.2.1 exp=e1.example.com redirect=_spf.example.net'),
      '_spf.example.net': spf('v=spf1 -all exp=why.example.net'),
      'why.example.net': { TXT: ['%{i} may not send for %{d}'] },
      'e1.example.com': { TXT: ['not this one'] },
    }, '192.0.2.7');
    expect(r).toMatchObject({ result: 'fail', explanation: '192.0.2.7 may not send for _spf.example.net' });
    expect((await check({ 'example.com': spf('v=spf1 redirect=nowhere.example.net') }, '192.0.2.7')).result).toBe('permerror');
  });

  it('exp= is evaluated on fail only, and an include\'s exp never', async () => {
    const names: Names = {
      'example.com': spf('v=spf1 include:inc.example.net ~all exp=why.example.com'),
      'inc.example.net': spf('v=spf1 -all exp=why.example.net'),
      'why.example.com': { TXT: ['outer'] }, 'why.example.net': { TXT: ['inner'] },
    };
    const r = await check(names, '192.0.2.7');
    expect(r).toMatchObject({ result: 'softfail', explanation: null });
    expect(r.trace.some((s) => s.kind === 'exp')).toBe(false);
  });

  it('an exp= that cannot be fetched is silently no explanation', async () => {
    const r = await check({ 'example.com': spf('v=spf1 -all exp=why.example.com') }, '192.0.2.7', { faults: [{ name: 'why.example.com', fault: 'servfail' }] });
    expect(r).toMatchObject({ result: 'fail', explanation: null });
  });

  it('an include loop is a permerror, named as a loop in the trace', async () => {
    const r = await check({ 'example.com': spf('v=spf1 include:b.example.com -all'), 'b.example.com': spf('v=spf1 include:example.com') }, '192.0.2.1');
    expect(r.result).toBe('permerror');
    expect(r.trace[r.decidedBy!]!.note).toMatch(/loop/);
  });
});

describe('processing limits (RFC 7208 §4.6.4), counted along the evaluated path', () => {
  const hosts = (n: number): Names => Object.fromEntries(Array.from({ length: n }, (_, i) => [`h${i}.example.com`, { A: [`198.51.100.${i + 1}`] }]));
  const terms = (n: number) => Array.from({ length: n }, (_, i) => `a:h${i}.example.com`).join(' ');

  it('10 DNS-querying terms are fine; the 11th is a permerror', async () => {
    expect((await check({ 'example.com': spf(`v=spf1 ${terms(10)} -all`), ...hosts(11) }, '192.0.2.1')).result).toBe('fail');
    const r = await check({ 'example.com': spf(`v=spf1 ${terms(11)} -all`), ...hosts(11) }, '192.0.2.1');
    expect(r).toMatchObject({ result: 'permerror', lookups: 11 });
    expect(r.trace[r.decidedBy!]).toMatchObject({ term: 'a:h10.example.com', lookups: 11 });
  });

  it('a client matched before the 11th term passes: the limit is counted during evaluation', async () => {
    expect((await check({ 'example.com': spf(`v=spf1 ${terms(3)} ip4:192.0.2.1 ${terms(11)} -all`), ...hosts(11) }, '192.0.2.1')).result).toBe('pass');
  });

  it('lookups inside includes count toward the same 10, and the trace shows the running count', async () => {
    const r = await check({
      'example.com': spf('v=spf1 include:i.example.com mx -all', { MX: [[10, 'h0.example.com']] }),
      'i.example.com': spf(`v=spf1 ${terms(8)}`), ...hosts(8),
    }, '192.0.2.1');
    expect(r.result).toBe('fail');
    expect(r.lookups).toBe(10);
    expect(r.trace.filter((s) => s.kind === 'mechanism').map((s) => [s.depth, s.lookups])).toEqual([
      [0, 1], ...Array.from({ length: 8 }, (_, i) => [1, i + 2]), [0, 10], [0, 10],
    ]);
  });

  it('a third void lookup is a permerror; two are fine', async () => {
    expect((await check({ 'example.com': spf('v=spf1 a:n1.example.com a:n2.example.com ?all') }, '192.0.2.1')).result).toBe('neutral');
    const r = await check({ 'example.com': spf('v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com ?all') }, '192.0.2.1');
    expect(r).toMatchObject({ result: 'permerror', voidLookups: 3 });
  });

  it('more than 10 MX names is a permerror; ptr looks at 10 names only', async () => {
    const mx = Array.from({ length: 11 }, (_, i) => [i, `h${i}.example.com`] as [number, string]);
    expect((await check({ 'example.com': spf('v=spf1 mx -all', { MX: mx }), ...hosts(11) }, '198.51.100.1')).result).toBe('permerror');
    const ptrs = Array.from({ length: 11 }, (_, i) => `h${i}.example.com`);
    const names: Names = { ...hosts(11), '11.100.51.198.in-addr.arpa': { PTR: ptrs }, 'h10.example.com': { A: ['198.51.100.11'] } };
    expect((await check({ ...names, 'example.com': spf('v=spf1 ptr:h10.example.com -all') }, '198.51.100.11')).result).toBe('fail');
  });

  it('a DNS timeout is temperror, decided by the step that asked', async () => {
    const r = await check({ 'example.com': spf('v=spf1 a:slow.example.com -all') }, '192.0.2.1', { faults: [{ name: 'slow.example.com', fault: 'timeout' }] });
    expect(r.result).toBe('temperror');
    expect(r.trace[r.decidedBy!]).toMatchObject({ term: 'a:slow.example.com', result: 'temperror' });
  });
});

describe('initial processing (§4.3) and record selection (§4.5)', () => {
  it.each([
    ['example', 'none'], ['[192.0.2.1]', 'none'], [`${'a'.repeat(64)}.example.com`, 'none'], ['nospf.example.com', 'none'],
  ])('%s → %s', async (domain, want) => {
    expect((await check({ 'nospf.example.com': { A: ['192.0.2.1'] } }, '192.0.2.1', { domain })).result).toBe(want);
  });

  it('two v=spf1 records are a permerror; a syntax error anywhere is a permerror', async () => {
    expect((await check({ 'example.com': { TXT: ['v=spf1 -all', 'v=spf1 +all'] } }, '192.0.2.1')).result).toBe('permerror');
    expect((await check({ 'example.com': spf('v=spf1 ip4:192.0.2.1 -all moo') }, '192.0.2.1')).result).toBe('permerror');
  });

  it('no local part means postmaster; an empty sender means postmaster@<domain>', async () => {
    const names: Names = { 'example.com': spf('v=spf1 -all exp=why.example.com'), 'why.example.com': { TXT: ['%{s}'] } };
    const lookup = memoryLookup(zoneFromNames(names));
    expect((await checkHost('192.0.2.1', 'example.com', '@example.com', lookup, { helo: 'x' })).explanation).toBe('postmaster@example.com');
    expect((await checkHost('192.0.2.1', 'example.com', '', lookup, { helo: 'x' })).explanation).toBe('postmaster@example.com');
  });
});

describe('rendering (src/render/spf-eval.ts)', () => {
  it('prints the result in words, the trace as a tree and one sentence why', async () => {
    const names: Names = {
      'example.com': spf('v=spf1 include:_spf.example.net a:nowhere.example.com -all'),
      '_spf.example.net': spf('v=spf1 ip4:198.51.100.0/24 ~all'),
    };
    const ev = await check(names, '192.0.2.7');
    const lines = renderSpfEvaluation({ ...ev, ip: '192.0.2.7', domain: 'example.com', sender: 'alice@example.com', helo: 'mx.example.org' }, new Chalk({ level: 0 }));
    expect(lines.join('\n')).toMatchInlineSnapshot(`
      "SPF evaluation for 192.0.2.7 (sender alice@example.com, HELO mx.example.org)
        Result: fail — example.com says 192.0.2.7 is not allowed to send its mail; receivers may reject it.
        Trace (2/10 DNS-querying terms, 1/2 void lookups):
          example.com  "v=spf1 include:_spf.example.net a:nowhere.example.com -all"
          include:_spf.example.net  no match  [1/10 lookups]
              the included record gives softfail, which for an include means "no match": evaluation goes on
            _spf.example.net  "v=spf1 ip4:198.51.100.0/24 ~all"
            ip4:198.51.100.0/24  no match
                192.0.2.7 is not in 198.51.100.0/24
            ~all  match → softfail
          a:nowhere.example.com  no match  [2/10 lookups, 1/2 void]
              A nowhere.example.com → NXDOMAIN (no such name)
              nowhere.example.com has no A record, so nothing can match 192.0.2.7
          -all  match → fail
        Why: 192.0.2.7 matched none of the terms reached (include:_spf.example.net, a:nowhere.example.com); the record of example.com ends in "-all", which matches every other address, so the result is fail."
    `);
  });

  it('says why for errors and for a match inside an include', async () => {
    const why = async (names: Names, ip: string) => spfWhy({ ...(await check(names, ip)), ip, domain: 'example.com', sender: 'alice@example.com', helo: 'x' });
    const hosts = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`h${i}.example.com`, { A: ['198.51.100.1'] }]));
    const terms = Array.from({ length: 11 }, (_, i) => `a:h${i}.example.com`).join(' ');
    expect(await why({ 'example.com': spf('v=spf1 include:i.example.net -all'), 'i.example.net': spf(`v=spf1 ${terms}`), ...hosts }, '192.0.2.1'))
      .toBe('The result is permerror (in the record of i.example.net, reached through include:i.example.net) because "a:h9.example.com" would be ' +
        'DNS-querying term 11; the limit is 10 (RFC 7208 §4.6.4); receivers cannot use the policy, so it authorises nobody.');
    expect(await why({ 'example.com': spf('v=spf1 include:i.example.net -all'), 'i.example.net': spf('v=spf1 ip4:192.0.2.0/24') }, '192.0.2.1'))
      .toBe('192.0.2.1 matches "ip4:192.0.2.0/24" in the record of i.example.net, reached through include:i.example.net; the qualifier "+" of "include:i.example.net" gives pass.');
  });
});
