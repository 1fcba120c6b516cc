/**
 * DNS faults through the built CLI (a subprocess, no TTY), served by the embedded DNS server on
 * loopback: whole-server timeouts, one name that SERVFAILs, REFUSEs or times out, truncated UDP
 * replies, replies with the wrong ID or the wrong question, and authoritative servers that are
 * dead (one of two, then both). "Could not ask" must never be reported as "does not exist", a
 * failure must be one line plus a hint (no stack trace), and the state file must stay valid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneFault, ZoneRecord } from '../../src/dns/zone.js';
import { DEFAULT_DKIM_SELECTORS } from '../../src/validators/dkim.js';
import { parseJson, runCli, type CliResult } from '../helpers/cli.js';
import { rsaPublicKey } from '../helpers/keys.js';
import { a, mx, sesPublished, sesWanted, soa, stateFor, txt } from '../helpers/zone-builders.js';

const key = rsaPublicKey(2048);

/** A domain whose every check passes (SPF, DKIM at s1, DMARC, MX with an address). */
function healthy(d: string): ZoneRecord[] {
  return [
    txt(d, 'v=spf1 ip4:192.0.2.0/24 -all'),
    txt(`s1._domainkey.${d}`, `v=DKIM1; k=rsa; p=${key}`),
    txt(`_dmarc.${d}`, `v=DMARC1; p=reject; rua=mailto:reports@${d}`),
    mx(d, 10, `mx.${d}`), a(`mx.${d}`, '192.0.2.25'),
  ];
}

/** Everything validate asks about a domain (with selector probing), for a server that must never answer. */
function silentNames(d: string): ZoneFault[] {
  return [d, `_dmarc.${d}`, `_mta-sts.${d}`, `_smtp._tls.${d}`, `default._bimi.${d}`, ...DEFAULT_DKIM_SELECTORS.map((s) => `${s}._domainkey.${d}`)].map((name) => ({ name, fault: 'timeout' as const }));
}

/** Over 1232 bytes (the EDNS payload the client offers): the server must truncate it over UDP. */
const bulky = Array.from({ length: 6 }, (_, i) => txt('big.test', `site-verification-${i}=${'x'.repeat(240)}`));

let dns: EmbeddedDns;
let silent: EmbeddedDns;
beforeAll(async () => {
  dns = await startEmbeddedDns({
    records: [
      ...healthy('servfail.test'), ...healthy('refused.test'), ...healthy('slow.test'),
      ...healthy('tc.test'), ...healthy('big.test'), ...bulky, ...healthy('wrongid.test'), ...healthy('wrongq.test'),
      ...healthy('wrongboth.test'),
    ],
    faults: [
      { name: '_dmarc.servfail.test', type: 'TXT', fault: 'servfail' },
      { name: 's1._domainkey.refused.test', fault: 'refused' },
      { name: 'slow.test', type: 'MX', fault: 'timeout' },
    ],
    wireFaults: [
      { name: 'tc.test', type: 'TXT', fault: 'truncate' },
      { name: 'wrongid.test', type: 'TXT', fault: 'wrong-id' },
      { name: 'wrongq.test', type: 'TXT', fault: 'wrong-question' },
      { name: '_dmarc.wrongboth.test', fault: 'wrong-id' },
      { name: 's1._domainkey.wrongboth.test', fault: 'wrong-question' },
    ],
  });
  silent = await startEmbeddedDns({ records: healthy('down.test'), faults: silentNames('down.test') });
});
afterAll(async () => { await dns.close(); await silent.close(); });

type Check = { check: string; status: string; findings: Array<{ code: string; severity: string }> };
const check = (doc: { checks: Check[] }, name: string): Check => {
  const c = doc.checks.find((x) => x.check === name);
  if (!c) throw new Error(`no ${name} check in ${JSON.stringify(doc.checks)}`);
  return c;
};
const codes = (c: Check) => c.findings.map((f) => f.code);

/** No stack trace and no internal error, whatever the mode. */
function clean(r: CliResult): void {
  expect(r.stderr + r.stdout).not.toMatch(/\n\s+at .+[:(]\d+/);
  expect(r.stderr + r.stdout).not.toMatch(/INTERNAL|TypeError|please report/i);
}

async function validate(domain: string, server: string, ...extra: string[]) {
  const r = await runCli(['validate', domain, '--resolver', server, '--json', '--timeout', '3s', ...extra]);
  clean(r);
  return { ...r, doc: parseJson(r) };
}

describe('validate: a server that never answers', () => {
  it('--json: exit 69, every check "none", nothing reported missing', async () => {
    const r = await runCli(['validate', 'down.test', '--resolver', silent.address, '--json', '--timeout', '200ms']);
    clean(r);
    expect(r.code).toBe(69);
    const doc = parseJson(r);
    expect(doc.checks.map((c: Check) => c.check).sort()).toEqual(['bimi', 'cname', 'dkim', 'dmarc', 'dnssec', 'mta-sts', 'mx', 'spf', 'tls-rpt']);
    for (const c of doc.checks as Check[]) {
      expect(c.status, c.check).toBe('none');
      expect(codes(c).filter((x) => /_MISSING$/.test(x)), c.check).toEqual([]);
    }
    expect(codes(check(doc, 'spf'))).toContain('SPF_LOOKUP_FAILED');
    expect(codes(check(doc, 'dmarc'))).toContain('DMARC_UNCHECKED');
    expect(codes(check(doc, 'mx'))).toContain('MX_UNCHECKED');
    // It really asked (and was really ignored): the questions reached the server.
    expect(silent.queries.some((q) => q.name === 'down.test')).toBe(true);
  });

  it('human mode: the report, then one error line and one hint on stderr; no stack trace', async () => {
    const r = await runCli(['validate', 'down.test', '--resolver', silent.address, '--selector', 's1', '--timeout', '200ms']);
    clean(r);
    expect(r.code).toBe(69);
    const errLines = r.stderr.trim().split('\n');
    expect(errLines, r.stderr).toHaveLength(2);
    expect(errLines[0]).toMatch(/^error: .*down\.test.* \[DNS_UNAVAILABLE\]$/);
    expect(errLines[1]).toMatch(/^hint: \S/);
    expect(r.stdout).not.toMatch(/SPF_MISSING|DMARC_MISSING|DKIM_MISSING|MX_MISSING/);
  });

  it('--verbose adds diagnostics but still no stack trace', async () => {
    const r = await runCli(['validate', 'down.test', '--resolver', silent.address, '--selector', 's1', '--timeout', '200ms', '--verbose']);
    clean(r);
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/\[DNS_UNAVAILABLE\]/);
  });
});

describe('validate: one name fails, the rest answer', () => {
  it.each([
    ['SERVFAIL on _dmarc TXT', 'servfail.test', 'dmarc', 'DMARC_UNCHECKED', []],
    ['REFUSED on the DKIM selector', 'refused.test', 'dkim', 'DKIM_UNCHECKED', []],
    ['a timeout on MX', 'slow.test', 'mx', 'MX_UNCHECKED', ['--timeout', '300ms']],
  ])('%s → that check "could not check", the others pass, exit 0', async (_, domain, broken, code, extra) => {
    const r = await validate(domain, dns.address, '--selector', 's1', '--exit-code', ...extra);
    expect(r.code, r.stderr).toBe(0);
    const c = check(r.doc, broken);
    expect(c.status).toBe('none');
    expect(codes(c)).toContain(code);
    expect(codes(c).filter((x) => /_MISSING$/.test(x))).toEqual([]);
    for (const other of ['spf', 'dkim', 'dmarc', 'mx'].filter((x) => x !== broken)) {
      expect(check(r.doc, other).status, `${other}: ${JSON.stringify(check(r.doc, other).findings)}`).toBe('pass');
    }
  });

  it('human mode names the check that could not be made, and exits 0', async () => {
    const r = await runCli(['validate', 'servfail.test', '--resolver', dns.address, '--selector', 's1', '--timeout', '3s']);
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DMARC\s+│\s+none/);
    expect(r.stdout).toContain('DMARC_UNCHECKED');
    expect(r.stdout).not.toContain('DMARC_MISSING');
    expect(r.stderr).not.toMatch(/^error:/m);
  });
});

describe('validate: misbehaving replies on the wire', () => {
  it('a truncated UDP reply is asked again over TCP, and the check passes', async () => {
    const before = dns.queries.length;
    const r = await validate('tc.test', dns.address, '--selector', 's1');
    expect(r.code).toBe(0);
    expect(check(r.doc, 'spf').status).toBe('pass');
    const asked = dns.queries.slice(before).filter((q) => q.name === 'tc.test' && q.type === 'TXT').map((q) => q.transport);
    expect(asked).toEqual(['udp', 'tcp']);
  });

  it('an answer too big for UDP (over 1232 bytes) arrives over TCP, whole', async () => {
    const before = dns.queries.length;
    const r = await validate('big.test', dns.address, '--selector', 's1');
    expect(check(r.doc, 'spf')).toMatchObject({ status: 'pass', record: 'v=spf1 ip4:192.0.2.0/24 -all' });
    const asked = dns.queries.slice(before).filter((q) => q.name === 'big.test' && q.type === 'TXT').map((q) => q.transport);
    expect(asked).toEqual(['udp', 'tcp']);
  });

  it.each([
    ['a reply with the wrong ID', 'wrongid.test'],
    ['a reply to the wrong question', 'wrongq.test'],
  ])('%s is ignored; the real reply that follows is taken (no retry, no timeout)', async (_, domain) => {
    const before = dns.queries.length;
    const r = await validate(domain, dns.address, '--selector', 's1', '--timeout', '5s');
    expect(r.code).toBe(0);
    expect(check(r.doc, 'spf')).toMatchObject({ status: 'pass', record: 'v=spf1 ip4:192.0.2.0/24 -all' });
    const asked = dns.queries.slice(before).filter((q) => q.name === domain && q.type === 'TXT');
    expect(asked.map((q) => q.transport)).toEqual(['udp']);
  });

  it('bogus replies on DMARC and DKIM names too: every check passes', async () => {
    const r = await validate('wrongboth.test', dns.address, '--selector', 's1', '--exit-code', '--timeout', '5s');
    expect(r.code).toBe(0);
    for (const c of ['spf', 'dkim', 'dmarc', 'mx']) expect(check(r.doc, c).status, c).toBe('pass');
  });
});

// ---------------------------------------------------------------------------------------------
// verify against dead authoritative servers
// ---------------------------------------------------------------------------------------------

/** Every name verify asks the authoritative servers about `d` (zone cut and records), all failing the same way. */
function deadFor(domains: string[], fault: ZoneFault['fault']): ZoneFault[] {
  const names = new Set<string>();
  for (const d of domains) {
    const labels = d.split('.');
    for (let i = 0; i < labels.length - 1; i++) names.add(labels.slice(i).join('.'));
    for (const r of sesWanted(d)) names.add(r.name);
  }
  return [...names].map((name) => ({ name, fault }));
}

const DOMAINS = ['mail.one.test', 'mail.both.test', 'mail.kept.test', 'mail.refused.test', 'mail.servfail.test'];
let live: EmbeddedDns;
const dead: EmbeddedDns[] = [];
let dir: string;

beforeAll(async () => {
  const zones = ['one.test', 'both.test', 'kept.test', 'refused.test', 'servfail.test'];
  live = await startEmbeddedDns({
    records: [
      txt('amazonses.com', 'v=spf1 ip4:54.240.0.0/18 ~all'),
      ...zones.map(soa), ...DOMAINS.flatMap(sesPublished),
    ],
  });
  for (const fault of ['timeout', 'timeout', 'refused', 'servfail'] as const) {
    dead.push(await startEmbeddedDns({ records: [...zones.map(soa), ...DOMAINS.flatMap(sesPublished)], faults: deadFor(DOMAINS, fault) }));
  }
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-faults-dns-'));
});
afterAll(async () => {
  await live.close();
  for (const d of dead) await d.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeState(file: string, domains: string[]): string {
  const path = join(dir, file);
  writeFileSync(path, `${stateFor(domains)}\n`);
  return path;
}

async function verify(state: string, domain: string, authoritative: string[], ...extra: string[]) {
  const r = await runCli([
    'verify', domain, '--config', state, ...authoritative.flatMap((s) => ['--authoritative', s]),
    '--resolver', live.address, '--no-provider', '--json', ...extra,
  ]);
  clean(r);
  return { ...r, doc: parseJson(r) };
}

describe('verify: dead authoritative servers', () => {
  it.each([
    ['times out', 0],
    ['REFUSES', 2],
    ['SERVFAILs', 3],
  ])('one of two %s → the live one answers: verified, exit 0', async (_, which) => {
    const domain = which === 0 ? 'mail.one.test' : which === 2 ? 'mail.refused.test' : 'mail.servfail.test';
    const state = writeState(`one-${which}.json`, [domain]);
    const r = await verify(state, domain, [dead[which]!.address, live.address], '--exit-code', '--timeout', '300ms');
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({ domain, status: 'verified', allVerified: true });
    for (const x of r.doc.records) {
      expect(x.status, x.name).toBe('verified');
      expect(x.resolvers[dead[which]!.address], x.name).toBe('unknown');
      expect(x.resolvers[live.address], x.name).toBe('verified');
    }
    expect(JSON.parse(readFileSync(state, 'utf8')).domains[domain].status).toBe('verified');
  });

  it('both dead → every record "unknown" (never "missing"), exit 69 with --exit-code, 0 without; the state file stays valid', async () => {
    const state = writeState('both.json', ['mail.both.test']);
    const servers = [dead[0]!.address, dead[1]!.address];
    const r = await verify(state, 'mail.both.test', servers, '--exit-code', '--timeout', '200ms');
    expect(r.code).toBe(69);
    expect(r.doc.status).toBe('unknown');
    expect(r.doc.allVerified).toBe(false);
    for (const x of r.doc.records) {
      expect(x.status, x.name).toBe('unknown');
      expect(x.code, x.name).not.toBe('VALUE_MISMATCH');
      // A resolver must not be asked before the authoritative servers serve the record.
      expect(x.resolvers[live.address], x.name).toBe('not-asked');
    }
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    expect(saved.version).toBe(1);
    expect(saved.domains['mail.both.test'].status).toBe('unknown');
    expect(saved.domains['mail.both.test'].records).toHaveLength(4);
    expect(saved.domains['mail.both.test'].verifiedAt ?? {}).toEqual({});
    expect(JSON.stringify(saved)).not.toMatch(/"missing"/);

    const plain = await runCli(['verify', 'mail.both.test', '--config', state, '--authoritative', servers[0]!, '--authoritative', servers[1]!, '--resolver', live.address, '--no-provider', '--timeout', '200ms']);
    clean(plain);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/unknown/);
    expect(plain.stdout).not.toMatch(/\bmissing\b/);
    expect(() => JSON.parse(readFileSync(state, 'utf8'))).not.toThrow();
  });

  it('verified once, then every server dead → this run says unknown (exit 69), the state is not demoted', async () => {
    const state = writeState('kept.json', ['mail.kept.test']);
    const first = await verify(state, 'mail.kept.test', [live.address]);
    expect(first.doc.status).toBe('verified');
    const r = await verify(state, 'mail.kept.test', [dead[0]!.address, dead[1]!.address], '--exit-code', '--timeout', '200ms');
    // A CI gate must never pass while DNS cannot be asked, whatever an earlier run saw.
    expect(r.code).toBe(69);
    expect(r.doc.status).toBe('unknown');
    expect(r.doc.allVerified).toBe(false);
    for (const x of r.doc.records) {
      expect(x.status).toBe('unknown');
      expect(x.detail).toMatch(/Last verified at \d{4}-/);
    }
    const saved = JSON.parse(readFileSync(state, 'utf8')).domains['mail.kept.test'];
    expect(saved.status).toBe('verified');
    expect(Object.keys(saved.verifiedAt)).toHaveLength(4);
  });
});
