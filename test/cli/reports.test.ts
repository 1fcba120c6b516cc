/**
 * `mailsetup reports` through the built CLI: the vendored real reports, a generated month in
 * mixed containers (gzip, zip, mbox), the live record read from the embedded DNS server on
 * loopback, exit codes, JSON, CSV, escaping of report text, and --help loading no parser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { parseJson, runCli } from '../helpers/cli.js';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { generateReports, REPORTERS, type GenSource, type Scenario } from '../helpers/dmarc-reports.js';

const ENV = { AWS_EC2_METADATA_DISABLED: 'true' };
const REAL = 'test/fixtures/dmarc-reports';
const SES: GenSource = { ip: '54.240.8.12', perDay: 100, dkim: [{ domain: 'acme.test', selector: 'abcdefghijklmnopqrstuvwxyz012345', result: 'pass' }], spf: { domain: 'amazonses.com', result: 'pass' }, envelopeFrom: 'amazonses.com' };
const CRM: GenSource = { ip: '198.51.100.20', perDay: 6, dkim: [{ domain: 'crm-vendor.example', selector: 'crm1', result: 'pass' }], spf: { domain: 'bounce.crm-vendor.example', result: 'pass' } };
const scen = (over: Partial<Scenario>): Scenario => ({ domain: 'acme.test', lastDay: '2026-12-05', days: 30, reporters: REPORTERS, sources: [SES], ...over });

let dir: string;
let dns: EmbeddedDns;
const cli = (args: string[]) => runCli(['reports', ...args, '--to', '2026-12-06T06:00:00Z', '--config', join(dir, 'none.json')], ENV);

/** Write a scenario's reports as a mailbox would hold them: Google zips, Outlook gzips, some in an mbox. */
function writeMonth(name: string, s: Scenario): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  const reports = generateReports(s);
  const mbox: string[] = [];
  reports.forEach((r, i) => {
    const safeName = r.name.replace(/!/g, '_');
    if (i % 3 === 0) writeFileSync(join(out, `${safeName}.zip`), zipSync({ [r.name]: new TextEncoder().encode(r.xml) }));
    else if (i % 3 === 1) writeFileSync(join(out, `${safeName}.gz`), gzipSync(r.xml));
    else mbox.push(`From dmarc@reporter.example Sat Dec  5 00:00:00 2026\nFrom: dmarc@reporter.example\nSubject: Report Domain: ${s.domain}\nMIME-Version: 1.0\nContent-Type: application/gzip; name="${r.name}.gz"\nContent-Transfer-Encoding: base64\n\n${gzipSync(r.xml).toString('base64').replace(/.{76}/g, '$&\n')}\n`);
  });
  writeFileSync(join(out, 'inbox.mbox'), mbox.join('\n'));
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-reports-'));
  dns = await startEmbeddedDns({ records: [
    { name: '_dmarc.acme.test', type: 'TXT', data: 'v=DMARC1; p=none; rua=mailto:dmarc@acme.test' },
    { name: '_dmarc.crm.test', type: 'TXT', data: 'v=DMARC1; p=none' },
  ] });
});
afterAll(async () => {
  await dns?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mailsetup reports', () => {
  it('the vendored real reports: every figure in --json, and nothing rejected but the broken, empty and non-report files', async () => {
    const r = await cli([REAL, '--no-dns', '--since', '5000d', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson(r);
    expect(doc.inputs).toMatchObject({ read: 32, reports: 22, duplicates: 1, other: { tlsrpt: 2, failure: 1 } });
    expect(doc.inputs.rejected.map((f: { code: string }) => f.code).sort()).toEqual(['REPORT_EMPTY', 'REPORT_INVALID_XML', 'REPORT_NOT_DMARC', 'REPORT_NOT_DMARC', 'REPORT_NOT_DMARC', 'REPORT_NOT_DMARC', 'REPORT_NOT_DMARC']);
    const domains = Object.fromEntries(doc.domains.map((d: any) => [d.domain, d]));
    expect(Object.keys(domains).sort()).toEqual(['example.com', 'example.de', 'foobar.de', 'indemed.com', 'myserver.com', 'stalw.art']);
    expect(domains['example.com'].totals.messages).toBe(2304);
    expect(domains['stalw.art'].totals).toMatchObject({ messages: 11, byClass: { forwarder: 8, authorized: 3 } });
    // A month of data is missing everywhere: nothing may be called ready.
    for (const d of doc.domains) expect(['wait', 'blocked']).toContain(d.readiness.verdict);
    for (const d of doc.domains) for (const s of d.sources) expect(s.days).toBeUndefined();
  });

  it('a generated month (zip, gzip, mbox) with the live record from DNS: ready, the next record and how to apply it; exit 0', async () => {
    const month = writeMonth('clean', scen({}));
    const r = await runCli(['reports', month, '--to', '2026-12-06T06:00:00Z', '--resolver', dns.address, '--timeout', '1s', '--exit-code', '--config', join(dir, 'none.json')], ENV);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Ready for p=quarantine');
    expect(r.stdout).toContain('live: v=DMARC1; p=none; rua=mailto:dmarc@acme.test');
    expect(r.stdout).toContain('next record  _dmarc.acme.test TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.test"');
    expect(r.stdout).toMatch(/Amazon SES \(acme\.test\/abcdefgh…\)\s+authorized\s+3000\s+100\.0 %/);
    expect(r.stdout).toContain('apply with   your DNS host: replace the TXT record at _dmarc.acme.test');
    expect(dns.queries.some((q) => q.name === '_dmarc.acme.test' && q.type === 'TXT')).toBe(true);
  });

  it('blocked → exit 2, wait → exit 1, with --exit-code only', async () => {
    const blocked = writeMonth('blocked', scen({ sources: [SES, CRM] }));
    const b = await cli([blocked, '--no-dns', '--exit-code']);
    expect(b.code, b.stderr).toBe(2);
    expect(b.stdout).toMatch(/Blocked \(p=quarantine\): 1 legitimate source fails alignment/);
    expect(b.stdout).toContain('DMARC_SOURCE_MISALIGNED');
    expect((await cli([blocked, '--no-dns'])).code).toBe(0);
    const short = writeMonth('short', scen({ days: 10 }));
    const w = await cli([short, '--no-dns', '--exit-code', '--json']);
    expect(w.code).toBe(1);
    expect(parseJson(w).domains[0].readiness).toMatchObject({ verdict: 'wait', current: 'none', next: 'quarantine', suggestedRecord: null });
  });

  it('--domain narrows to one policy domain', async () => {
    const r = await cli([REAL, '--no-dns', '--since', '5000d', '--domain', 'stalw.art', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseJson(r).domains.map((d: { domain: string }) => d.domain)).toEqual(['stalw.art']);
    const none = await cli([REAL, '--no-dns', '--since', '5000d', '--domain', 'nowhere.example']);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('No report for nowhere.example');
  });

  it('--format csv: one row per (report, record) with its source and class', async () => {
    const r = await cli([join(REAL, 'stalwart-mail-auth/dmarc-feedback/003.xml'), '--no-dns', '--since', '5000d', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^reporter,reporter_email,report_id,begin,end,policy_domain,p,/);
    expect(lines).toHaveLength(1 + 4);
    expect(lines.filter((l) => l.endsWith(',forwarder'))).toHaveLength(3);
    expect(lines.filter((l) => l.endsWith(',authorized'))).toHaveLength(1);
  });

  it('no report in any input → 64; reports only outside the window → 64 with a hint', async () => {
    const none = await cli([join(REAL, 'README.md'), '--no-dns']);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('No DMARC aggregate report');
    const old = await cli([join(REAL, 'parsedmarc/aggregate/empty_reason.xml'), '--no-dns']);
    expect(old.code).toBe(64);
    expect(old.stderr).toContain('--since');
  });

  it('report text is data: control characters and bidi overrides never reach the terminal', async () => {
    const [rep] = generateReports(scen({ days: 1, reporters: [{ org: 'Evil\u001b[2J\u009bCorp\u202etxt', email: 'x@evil.example' }] }));
    const p = join(dir, 'evil.xml');
    writeFileSync(p, rep!.xml.replace('<org_name>', '<org_name>&#x1b;]0;title&#x7;'));
    const r = await cli([p, '--no-dns']);
    expect(r.code, r.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout + r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(r.stdout).toContain('Evil\\x1b[2J\\x9bCorp\\u202etxt');
  });

  it('an external entity to a local file: refused, its contents never printed', async () => {
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'SECRET-b61e0');
    const p = join(dir, 'xxe.xml');
    writeFileSync(p, `<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file://${secret}">]><feedback><report_metadata><org_name>&x;</org_name></report_metadata></feedback>`);
    const r = await cli([p, '--no-dns', '--json']);
    expect(r.code).toBe(64);
    expect(r.stdout + r.stderr).not.toContain('SECRET-b61e0');
    expect(parseJson(r).inputs.rejected[0].code).toBe('REPORT_INVALID_XML');
  });

  it('reads standard input (-)', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const xml = readFileSync(join(REAL, 'stalwart-mail-auth/dmarc-feedback/003.xml'));
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'reports', '-', '--no-dns', '--since', '5000d', '--to', '2026-12-06', '--json', '--config', join(dir, 'none.json')], { env: { PATH: process.env.PATH, ...ENV, NO_COLOR: '1' } });
      let stdout = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.on('close', (code) => resolve({ code, stdout }));
      child.stdin.end(gzipSync(xml));
    });
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout).domains[0].domain).toBe('stalw.art');
  });

  it('--help loads none of the parsing libraries: no statically imported chunk of the CLI holds them', async () => {
    const help = await runCli(['reports', '--help'], ENV);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: mailsetup reports/);
    const dist = 'dist';
    const closure = new Set<string>();
    const visit = (f: string): void => {
      if (closure.has(f)) return;
      closure.add(f);
      const src = readFileSync(join(dist, f), 'utf8');
      // dist/ is CommonJS: a static import is a top-level require() (an import() became a require()
      // inside a promise, never at the start of a line).
      for (const m of src.matchAll(/^(?:var \w+ = )?(?:__toESM\()?require\("\.\/([^"]+\.cjs)"\)/gm)) visit(m[1]!);
    };
    visit('main.cjs');
    expect(closure.size).toBeGreaterThan(3);
    const markers = ['invalid zip data', 'maxRfc822NestingDepth', 'removeNSPrefix'];
    for (const f of closure) for (const m of markers) expect(readFileSync(join(dist, f), 'utf8').includes(m), `${f} holds "${m}"`).toBe(false);
    // The markers are real: the lazily loaded chunks do hold them.
    const all = readdirSync(dist).filter((f) => f.endsWith('.cjs')).map((f) => readFileSync(join(dist, f), 'utf8'));
    for (const m of markers) expect(all.some((s) => s.includes(m))).toBe(true);
  });
});
