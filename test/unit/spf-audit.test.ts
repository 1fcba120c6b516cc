import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RRType } from '../../src/dns/types.js';
import { memoryLookup, type ZoneFault } from '../../src/dns/zone.js';
import { auditSpf, guessProviders, type SpfAudit } from '../../src/validators/spf/audit.js';
import { zoneFromNames, type ZoneNames as Names } from '../helpers/zone-builders.js';

async function audit(names: Names, opts: { faults?: ZoneFault[]; domain?: string; expectIncludes?: string[] } = {}) {
  const lookup = memoryLookup(zoneFromNames(names, opts.faults));
  const result = await auditSpf(opts.domain ?? 'example.com', lookup, opts.expectIncludes ? { expectIncludes: opts.expectIncludes } : {});
  return { result, calls: lookup.calls };
}

const codes = (r: SpfAudit): string[] => r.findings.map((f) => f.code);
const hosts = (n: number, prefix: string, withAddress = true): Names =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}.example.com`, withAddress ? { A: [`192.0.2.${i + 1}`] } : {}]));

function expectAskedOnce(calls: Array<[string, RRType]>): void {
  const keys = calls.map(([n, t]) => `${n} ${t}`);
  expect(keys.length, keys.join('\n')).toBe(new Set(keys).size);
}

describe('lookup counting (RFC 7208 §4.6.4)', () => {
  it('counts an mx term once, however many exchanges it resolves', async () => {
    const { result, calls } = await audit({
      'example.com': { TXT: ['v=spf1 mx -all'], MX: Array.from({ length: 10 }, (_, i) => [i, `mx${i}.example.com`] as [number, string]) },
      ...hosts(10, 'mx'),
    });
    expect(result.detail).toMatchObject({ lookups: 1, voidLookups: 0, verdict: 'ok' });
    expect(result.status).toBe('pass');
    expect(calls.filter(([, t]) => t === 'A')).toHaveLength(10); // asked, but not counted
    expectAskedOnce(calls);
  });

  it('makes more than 10 MX names a permerror without resolving them', async () => {
    const { result, calls } = await audit({
      'example.com': { TXT: ['v=spf1 mx -all'], MX: Array.from({ length: 11 }, (_, i) => [i, `mx${i}.example.com`] as [number, string]) },
      ...hosts(11, 'mx'),
    });
    expect(result.detail.verdict).toBe('permerror');
    expect(codes(result)).toContain('SPF_TOO_MANY_MX');
    expect(calls.some(([, t]) => t === 'A')).toBe(false);
  });

  it('counts a void lookup once per term even though A and AAAA were both asked', async () => {
    const { result } = await audit({ 'example.com': { TXT: ['v=spf1 a:nx1.example.com a:nx2.example.com -all'] } });
    expect(result.detail).toMatchObject({ lookups: 2, voidLookups: 2, verdict: 'ok' });
    expect(result.findings.filter((f) => f.code === 'SPF_VOID_LOOKUP').map((f) => f.name)).toEqual(['nx1.example.com', 'nx2.example.com']);
  });

  it('does not count a host with only AAAA (or only A) as void', async () => {
    const { result } = await audit({
      'example.com': { TXT: ['v=spf1 a:v6.example.com a:v4.example.com mx:v6.example.com -all'] },
      'v6.example.com': { AAAA: ['2001:db8::1'], MX: [[10, 'v4.example.com']] }, 'v4.example.com': { A: ['192.0.2.1'] },
    });
    expect(result.detail.voidLookups).toBe(0);
  });

  it('makes a third void lookup a permerror, and names every void term', async () => {
    const { result } = await audit({
      'example.com': { TXT: ['v=spf1 a:nx1.example.com exists:nx2.example.com mx:nodata.example.com -all'] },
      'nodata.example.com': { A: ['192.0.2.1'] },
    });
    expect(result.detail).toMatchObject({ voidLookups: 3, verdict: 'permerror' });
    const f = result.findings.find((x) => x.code === 'SPF_TOO_MANY_VOID_LOOKUPS')!;
    expect(f.message).toContain('mx:nodata.example.com → nodata.example.com');
    expect(result.status).toBe('fail');
  });

  it('counts an MX exchange without any address as a void lookup (as pyspf and mailauth do)', async () => {
    const { result } = await audit({
      'example.com': { TXT: ['v=spf1 mx -all'], MX: [[10, 'mx1.example.com'], [20, 'mx2.example.com'], [30, 'mx3.example.com']] },
    });
    expect(result.detail).toMatchObject({ lookups: 1, voidLookups: 3, verdict: 'permerror' });
  });

  it('adds up nested includes and shows what each include costs', async () => {
    const { result, calls } = await audit({
      'example.com': { TXT: ['v=spf1 include:a.example.net include:b.example.net ip4:192.0.2.0/24 -all'] },
      'a.example.net': { TXT: ['v=spf1 include:c.example.net ip4:198.51.100.0/24 ~all'] },
      'c.example.net': { TXT: ['v=spf1 a mx -all'], A: ['192.0.2.9'], MX: [[10, 'c.example.net']] },
      'b.example.net': { TXT: ['v=spf1 exists:%{i}.b.example.net -all'] },
    });
    expect(result.detail).toMatchObject({ lookups: 6, voidLookups: 0, verdict: 'ok' });
    const [a, b] = result.detail.tree.terms;
    expect(a).toMatchObject({ term: 'include:a.example.net', lookups: 4, state: 'ok' });
    expect(a!.child!.terms[0]).toMatchObject({ term: 'include:c.example.net', lookups: 3 });
    expect(b).toMatchObject({ term: 'include:b.example.net', lookups: 2 });
    expect(b!.child!.terms[0]).toMatchObject({ state: 'macro', target: null, lookups: 1 });
    expect(codes(result)).toEqual(['SPF_MACRO_UNRESOLVED']);
    expectAskedOnce(calls);
  });

  it('follows redirect, counts it, and ignores it when the record has an all', async () => {
    const { result } = await audit({
      'example.com': { TXT: ['v=spf1 mx redirect=_spf.example.net'], MX: [[10, 'mail.example.com']] },
      'mail.example.com': { A: ['192.0.2.1'] },
      '_spf.example.net': { TXT: ['v=spf1 include:x.example.net -all'] },
      'x.example.net': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
    });
    expect(result.detail).toMatchObject({ lookups: 3, verdict: 'ok' });
    expect(result.detail.tree.terms.map((t) => t.kind)).toEqual(['mx', 'redirect']);

    const ignored = await audit({ 'example.com': { TXT: ['v=spf1 redirect=example.com ~all'] } });
    expect(ignored.result.detail).toMatchObject({ lookups: 0, verdict: 'ok' });
    expect(codes(ignored.result)).toEqual(['SPF_REDIRECT_IGNORED']);
  });

  it('reports include and redirect loops as permerror', async () => {
    const inc = await audit({
      'example.com': { TXT: ['v=spf1 include:a.example.com -all'] }, 'a.example.com': { TXT: ['v=spf1 include:example.com -all'] },
    });
    expect(inc.result.detail.verdict).toBe('permerror');
    expect(inc.result.findings.find((f) => f.code === 'SPF_INCLUDE_LOOP')).toMatchObject({ name: 'example.com', term: 'include:example.com' });
    const red = await audit({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1 redirect=example.com'] } });
    expect(red.result.detail.verdict).toBe('permerror');
    expect(codes(red.result)).toContain('SPF_REDIRECT_LOOP');
    expectAskedOnce(inc.calls);
  });

  it('re-counts an include reached twice (evaluation repeats it) but asks DNS once', async () => {
    const { result, calls } = await audit({
      'example.com': { TXT: ['v=spf1 include:a.example.net include:b.example.net -all'] },
      'a.example.net': { TXT: ['v=spf1 include:shared.example.net -all'] },
      'b.example.net': { CNAME: 'a.example.net' },
      'shared.example.net': { TXT: ['v=spf1 a:nx.example.net ~all'] },
    });
    expect(result.detail).toMatchObject({ lookups: 6, voidLookups: 2, verdict: 'ok' });
    expect(result.findings.filter((f) => f.code === 'SPF_VOID_LOOKUP')).toHaveLength(1);
    expectAskedOnce(calls);
  });

  it('allows exactly 10 lookups and rejects 11, naming what each top-level term costs', async () => {
    const inc = { 'inc.example.net': { TXT: ['v=spf1 a a a a a a a a'], A: ['192.0.2.10'] }, 'example.com': { A: ['192.0.2.1'] } };
    const ten = await audit({ ...inc, 'example.com': { A: ['192.0.2.1'], TXT: ['v=spf1 include:inc.example.net a -all'] } });
    expect(ten.result.detail).toMatchObject({ lookups: 10, verdict: 'ok' });
    const eleven = await audit({ ...inc, 'example.com': { A: ['192.0.2.1'], TXT: ['v=spf1 a include:inc.example.net ip4:192.0.2.4 a -all'] } });
    expect(eleven.result.detail).toMatchObject({ lookups: 11, verdict: 'permerror' });
    const f = eleven.result.findings.find((x) => x.code === 'SPF_TOO_MANY_LOOKUPS')!;
    expect(f).toMatchObject({ severity: 'error', name: 'example.com' });
    expect(f.message).toContain('include:inc.example.net 9');
  });

  it('resolves only the first 10 DNS-querying terms in evaluation order, counts the rest, and says so once', async () => {
    const terms = Array.from({ length: 2000 }, (_, i) => `a:h${i}.example.com`).join(' ');
    const { result, calls } = await audit({ 'example.com': { TXT: [`v=spf1 ${terms} -all`] }, ...hosts(2000, 'h') });
    expect(result.detail).toMatchObject({ lookups: 2000, verdict: 'permerror', notFollowed: 1990 });
    // The record, then A and AAAA for h0..h9: nothing beyond the 10th term.
    expect(calls).toHaveLength(1 + 20);
    expect(calls.map(([n]) => n)).not.toContain('h10.example.com');
    const nf = result.findings.filter((f) => f.code === 'SPF_NOT_FOLLOWED');
    expect(nf).toHaveLength(1);
    expect(nf[0]).toMatchObject({ severity: 'info', name: 'example.com' });
    expect(nf[0]!.message).toMatch(/^1990 DNS-querying terms beyond the limit of 10 were counted but not followed \(from "a:h10\.example\.com", "a:h11\.example\.com", "a:h12\.example\.com", …\)/);
    const many = result.findings.find((f) => f.code === 'SPF_TOO_MANY_LOOKUPS')!;
    expect(many.message).toContain('needs 2000 DNS-querying terms');
    expect(many.message.length).toBeLessThan(600); // names a dozen terms, not 2,000
  });

  it('numbers terms in evaluation order: an include\'s record comes before the terms after it', async () => {
    // include (1) + 9 inside = 10, so a:after is the 11th: counted, not resolved; inside, all 9 are resolved.
    const inner = Array.from({ length: 9 }, (_, i) => `a:in${i}.example.com`).join(' ');
    const { result, calls } = await audit({
      'example.com': { TXT: ['v=spf1 include:inc.example.net a:after.example.com include:late.example.net -all'] },
      'inc.example.net': { TXT: [`v=spf1 ${inner} -all`] }, ...hosts(9, 'in'), 'after.example.com': { A: ['192.0.2.99'] },
      'late.example.net': { TXT: ['v=spf1 a -all'] },
    });
    const asked = calls.map(([n, t]) => `${n} ${t}`);
    expect(asked).toContain('in8.example.com A');
    expect(asked).not.toContain('after.example.com A');
    // late.example.net's lower bound is position 3, so its record is fetched (deterministically), not its terms.
    expect(asked).toContain('late.example.net TXT');
    expect(asked).not.toContain('late.example.net A');
    expect(result.detail).toMatchObject({ lookups: 13, verdict: 'permerror', notFollowed: 2 });
  });

  it('does not fetch an include whose position is surely beyond the limit, and says the count is a lower bound', async () => {
    const a = Array.from({ length: 10 }, (_, i) => `a:h${i}.example.com`).join(' ');
    const { result, calls } = await audit({ 'example.com': { TXT: [`v=spf1 ${a} include:big.example.net -all`] }, ...hosts(10, 'h') });
    expect(calls.map(([n]) => n)).not.toContain('big.example.net');
    expect(result.detail).toMatchObject({ lookups: 11, notFollowed: 1, verdict: 'permerror' });
    expect(result.findings.find((f) => f.code === 'SPF_TOO_MANY_LOOKUPS')!.message).toContain('needs at least 11');
  });

  it('does not count or resolve terms after all', async () => {
    const { result, calls } = await audit({ 'example.com': { TXT: ['v=spf1 -all include:a.example.net mx'] } });
    expect(result.detail.lookups).toBe(0);
    expect(calls).toEqual([['example.com', 'TXT']]);
    expect(codes(result)).toEqual(['SPF_TERMS_AFTER_ALL', 'SPF_TERMS_AFTER_ALL']);
  });

  it('counts ptr without resolving it', async () => {
    const { result, calls } = await audit({ 'example.com': { TXT: ['v=spf1 ptr -all'] } });
    expect(result.detail.lookups).toBe(1);
    expect(calls).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ code: 'SPF_PTR', severity: 'warning', term: 'ptr' });
  });
});

describe('extra-cases.json context zones', () => {
  const data = JSON.parse(readFileSync(new URL('../fixtures/conformance/spf/extra-cases.json', import.meta.url), 'utf8')) as {
    context: Array<{ domain: string; zone: Record<string, { TXT?: string[]; A?: string[]; MX?: Array<[number, string]> }>; rfc_result: string; checker_error: string }>;
  };
  it.each(data.context.map((c) => [c.checker_error, c] as const))('%s → %s', async (_, c) => {
    const { result } = await audit(c.zone, { domain: c.domain });
    expect(result.detail.verdict).toBe(c.rfc_result);
  });
});

describe('record discovery', () => {
  it('reports a missing record with status none', async () => {
    const { result } = await audit({ 'example.com': { TXT: ['google-site-verification=abc'] } });
    expect(result).toMatchObject({ status: 'none', record: null, detail: { verdict: 'none' } });
    expect(result.findings[0]).toMatchObject({ code: 'SPF_MISSING', severity: 'error', name: 'example.com' });
  });

  it('says "could not check", never "missing", when the TXT query times out', async () => {
    const { result } = await audit({ 'example.com': { TXT: ['v=spf1 -all'] } }, { faults: [{ name: 'example.com', fault: 'timeout' }] });
    expect(result).toMatchObject({ status: 'none', detail: { verdict: 'temperror' } });
    expect(codes(result)).toEqual(['SPF_LOOKUP_FAILED']);
  });

  it('notes an obsolete Sender ID record next to a valid SPF record', async () => {
    const { result } = await audit({ 'example.com': { TXT: ['v=spf1 -all', 'spf2.0/mfrom,pra ip4:192.0.2.0/24 ~all'] } });
    expect(result.record).toBe('v=spf1 -all');
    expect(result.findings).toEqual([expect.objectContaining({ code: 'SPF_SENDER_ID', severity: 'info' })]);
    expect(result.status).toBe('pass');
  });

  it('keeps every record when there are several', async () => {
    const { result } = await audit({ 'example.com': { TXT: ['v=spf1 -all', 'V=SPF1 include:a.example.net ~all', 'spf2.0/pra -all'] } });
    expect(result.record).toEqual(['v=spf1 -all', 'V=SPF1 include:a.example.net ~all']);
    expect(result).toMatchObject({ status: 'fail', detail: { verdict: 'permerror' } });
    expect(codes(result)).toEqual(['SPF_SENDER_ID', 'SPF_MULTIPLE_RECORDS']);
  });

  it('recognises a value pasted with its quotes and still audits what is inside', async () => {
    const { result } = await audit({ 'example.com': { TXT: ['"v=spf1 include:amazonses.com ~all"'] }, 'amazonses.com': { TXT: ['v=spf1 ip4:199.255.192.0/22 -all'] } });
    expect(result.record).toBe('"v=spf1 include:amazonses.com ~all"');
    expect(result).toMatchObject({ status: 'fail', detail: { verdict: 'none', lookups: 1 } });
    expect(codes(result)).toEqual(['RECORD_QUOTED']);
  });

  it('reports syntax errors with the term and keeps auditing the good terms', async () => {
    const { result } = await audit({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.300 include:a.example.net ~all'] }, 'a.example.net': { TXT: ['v=spf1 -all'] } });
    expect(result.record).toBe('v=spf1 ip4:192.0.2.300 include:a.example.net ~all');
    expect(result.findings[0]).toMatchObject({ code: 'SPF_SYNTAX', term: 'ip4:192.0.2.300', name: 'example.com' });
    expect(result.detail).toMatchObject({ lookups: 1, verdict: 'permerror' });
  });

  it('refuses names that cannot have SPF without asking DNS', async () => {
    for (const d of ['localhost', '[192.0.2.1]', 'a..example.com', `${'x'.repeat(64)}.example.com`]) {
      const { result, calls } = await audit({}, { domain: d });
      expect(result).toMatchObject({ status: 'none', detail: { verdict: 'none' } });
      expect(codes(result)).toEqual(['SPF_DOMAIN_INVALID']);
      expect(calls).toEqual([]);
    }
  });
});

describe('include targets and verdict order', () => {
  it('flags include and redirect targets without SPF', async () => {
    const inc = await audit({ 'example.com': { TXT: ['v=spf1 include:nospf.example.net -all'] }, 'nospf.example.net': { TXT: ['hello'] } });
    expect(inc.result.findings[0]).toMatchObject({ code: 'SPF_INCLUDE_NO_RECORD', name: 'nospf.example.net', term: 'include:nospf.example.net' });
    expect(inc.result.detail.verdict).toBe('permerror');
    const red = await audit({ 'example.com': { TXT: ['v=spf1 redirect=nx.example.net'] } });
    expect(codes(red.result)).toEqual(['SPF_REDIRECT_NO_RECORD']);
    expect(red.result.detail).toMatchObject({ voidLookups: 1, verdict: 'permerror' });
  });

  it('reports an error inside an include at the included name', async () => {
    const { result } = await audit({ 'example.com': { TXT: ['v=spf1 include:bad.example.net -all'] }, 'bad.example.net': { TXT: ['v=spf1 include +all'] } });
    expect(result.findings.find((f) => f.code === 'SPF_SYNTAX')).toMatchObject({ name: 'bad.example.net', term: 'include' });
    expect(codes(result)).toContain('SPF_PLUS_ALL');
    expect(result.detail.verdict).toBe('permerror');
  });

  it('decides temperror or permerror by which problem evaluation meets first', async () => {
    const zone: Names = { 'bad.example.net': { TXT: ['v=spf1 foo'] } };
    const faults: ZoneFault[] = [{ name: 'slow.example.net', fault: 'timeout' }];
    const first = await audit({ ...zone, 'example.com': { TXT: ['v=spf1 include:slow.example.net include:bad.example.net -all'] } }, { faults });
    expect(first.result.detail.verdict).toBe('temperror');
    expect(first.result.findings.find((f) => f.code === 'SPF_LOOKUP_FAILED')).toMatchObject({ name: 'slow.example.net', severity: 'warning' });
    const second = await audit({ ...zone, 'example.com': { TXT: ['v=spf1 include:bad.example.net include:slow.example.net -all'] } }, { faults });
    expect(second.result.detail.verdict).toBe('permerror');
  });

  it('only warns about ?all and a missing all on the evaluated record, not on includes', async () => {
    const { result } = await audit({
      'example.com': { TXT: ['v=spf1 include:p.example.net ?all'] }, 'p.example.net': { TXT: ['v=spf1 ip4:192.0.2.0/24'] },
    });
    expect(result.findings.map((f) => [f.code, f.name])).toEqual([['SPF_NEUTRAL_ALL', 'example.com']]);
  });

  it('checks expected includes directly and through includes', async () => {
    const names: Names = {
      'example.com': { TXT: ['v=spf1 include:_spf.example.net -all'] },
      '_spf.example.net': { TXT: ['v=spf1 include:sendgrid.net include:amazonses.com -all'] },
      'sendgrid.net': { TXT: ['v=spf1 ip4:167.89.0.0/17 -all'] }, 'amazonses.com': { TXT: ['v=spf1 ip4:199.255.192.0/22 -all'] },
    };
    const ok = await audit(names, { expectIncludes: ['amazonses.com', 'include:_spf.example.net', 'SendGrid.net.'] });
    expect(ok.result.findings).toEqual([]);
    const missing = await audit(names, { expectIncludes: ['mailgun.org'] });
    expect(missing.result.findings).toEqual([expect.objectContaining({ code: 'SPF_INCLUDE_MISSING', name: 'example.com', term: 'include:mailgun.org', severity: 'error' })]);
    expect(guessProviders(ok.result.detail.tree)).toEqual(['sendgrid', 'ses']);
  });

  it('guesses providers without descending into a provider’s own includes', async () => {
    const { result } = await audit({
      'example.com': { TXT: ['v=spf1 include:_spf.google.com include:spf.protection.outlook.com include:eu.mailgun.org include:_spf.resend.com include:zoho.eu ~all'] },
      '_spf.google.com': { TXT: ['v=spf1 include:_netblocks.google.com ~all'] }, '_netblocks.google.com': { TXT: ['v=spf1 ip4:35.190.247.0/24 ~all'] },
      'spf.protection.outlook.com': { TXT: ['v=spf1 ip4:40.92.0.0/15 -all'] }, 'eu.mailgun.org': { TXT: ['v=spf1 ip4:141.193.32.0/23 ~all'] },
      '_spf.resend.com': { TXT: ['v=spf1 include:amazonses.com ~all'] }, 'amazonses.com': { TXT: ['v=spf1 ip4:199.255.192.0/22 -all'] },
      'zoho.eu': { TXT: ['v=spf1 ip4:185.20.208.0/22 -all'] },
    });
    expect(guessProviders(result.detail.tree)).toEqual(['google', 'microsoft', 'mailgun', 'resend', 'zoho']);
  });

  it('gives every finding a name and a hint', async () => {
    const { result } = await audit({
      'example.com': { TXT: ['v=spf1 ptr +a:nx.example.com include:%{d}.x.example.net mx:nomx.example.com a:nx2.example.com exists:%{p}.example.com all'] },
    });
    for (const f of result.findings) {
      expect(f.name, f.code).toMatch(/\S/);
      expect(f.hint, f.code).toMatch(/\.$/);
    }
    expect(new Set(codes(result))).toEqual(new Set(['SPF_PTR', 'SPF_PLUS_ALL', 'SPF_MACRO_P', 'SPF_MACRO_UNRESOLVED', 'SPF_VOID_LOOKUP', 'SPF_TOO_MANY_VOID_LOOKUPS']));
  });
});
