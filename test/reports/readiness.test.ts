/** The verdict rule over generated month-long report sets: one scenario per verdict and per finding code. */
import { describe, expect, it } from 'vitest';
import { analyze, type DomainAnalysis } from '../../src/reports/analyze.js';
import { parseReportXml } from '../../src/reports/xml.js';
import type { ReadResult } from '../../src/reports/read.js';
import type { StateFile } from '../../src/state/schema.js';
import { generateReports, REPORTERS, type GenSource, type Scenario } from '../helpers/dmarc-reports.js';

const TOKEN = 'abcdefghijklmnopqrstuvwxyz012345';
const SES: GenSource = { ip: '54.240.8.12', perDay: 100, dkim: [{ domain: 'acme.com', selector: TOKEN, result: 'pass' }, { domain: 'amazonses.com', selector: 'ug7nbtf4gccmlpwj322ax3p6ow6yfsug', result: 'pass' }], spf: { domain: 'amazonses.com', result: 'pass' }, envelopeFrom: 'amazonses.com' };
const WORKSPACE: GenSource = { ip: '209.85.220.41', perDay: 20, dkim: [{ domain: 'acme.com', selector: 'google', result: 'pass' }], spf: { domain: 'acme.com', result: 'pass' }, envelopeFrom: 'acme.com' };
const SPOOF: GenSource = { ip: '203.0.113.9', perDay: 400, spf: { domain: 'acme.com', result: 'fail' }, envelopeFrom: 'acme.com' };
const CRM: GenSource = { ip: '198.51.100.20', perDay: 6, dkim: [{ domain: 'crm-vendor.example', selector: 'crm1', result: 'pass' }], spf: { domain: 'bounce.crm-vendor.example', result: 'pass' }, envelopeFrom: 'bounce.crm-vendor.example' };

const LAST = '2026-12-05';
const NOW = new Date('2026-12-06T06:00:00Z');

function scenario(over: Partial<Scenario> = {}): Scenario {
  return { domain: 'acme.com', lastDay: LAST, days: 30, reporters: REPORTERS, sources: [SES, WORKSPACE], ...over };
}

async function run(s: Scenario, opts: { live?: string | null; state?: StateFile; strict?: boolean } = {}): Promise<DomainAnalysis> {
  const read: ReadResult = { reports: [], findings: [], read: 0, other: { tlsrpt: 0, failure: 0 } };
  for (const g of generateReports(s)) {
    const o = await parseReportXml(new TextEncoder().encode(g.xml), g.name);
    if (!o.ok) throw new Error(o.finding.message);
    read.reports.push(o.report);
    read.read++;
  }
  const live = new Map<string, string | null | undefined>();
  if (opts.live !== undefined) live.set(s.domain, opts.live);
  const doc = analyze(read, { now: NOW, sinceSeconds: 30 * 86_400, state: opts.state ?? null, live, strict: opts.strict });
  expect(doc.domains).toHaveLength(1);
  return doc.domains[0]!;
}

const codes = (a: DomainAnalysis): string[] => [...new Set(a.findings.map((f) => f.code))].sort();

describe('reports readiness: none → quarantine', () => {
  it('30 clean days from two reporters → ready, with the owner\'s record with only p changed', async () => {
    const a = await run(scenario(), { live: 'v=DMARC1; p=none; rua=mailto:dmarc@acme.com; t=y' });
    expect(a.readiness.verdict).toBe('ready');
    expect(a.readiness.next).toBe('quarantine');
    expect(a.readiness.suggestedRecord).toBe('v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.com');
    expect(a.readiness.apply[0]).toContain('replace the TXT record at _dmarc.acme.com');
    expect(a.window.spanDays).toBe(30);
    expect(a.window.reportDays).toBe(30);
    expect(a.totals.messages).toBe(30 * 120);
    expect(a.reporters.map((r) => r.org)).toEqual(['google.com', 'Outlook.com']);
    const ses = a.sources.find((s) => s.messages === 3000)!;
    expect(ses.class).toBe('authorized');
    expect(ses.name).toContain('Amazon SES');
    expect(ses.passRate).toBe(1);
  });

  it('RFC 9990 reports give the same verdict', async () => {
    const a = await run(scenario({ format: 'rfc9990' }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('ready');
    expect(a.policy.reported[0]).toMatchObject({ p: 'none', np: 'none', testing: 'n' });
  });

  it('10 days → wait (DMARC_REPORTS_INSUFFICIENT)', async () => {
    const a = await run(scenario({ days: 10 }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('wait');
    expect(codes(a)).toContain('DMARC_REPORTS_INSUFFICIENT');
    expect(a.readiness.suggestedRecord).toBeNull();
    expect(a.findings.find((f) => f.code === 'DMARC_REPORTS_INSUFFICIENT')!.message).toContain('10 of 28 days');
  });

  it('one reporter → wait', async () => {
    const a = await run(scenario({ reporters: [REPORTERS[0]!] }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('wait');
    expect(a.findings.find((f) => f.code === 'DMARC_REPORTS_INSUFFICIENT')!.message).toContain('1 of 2 reporting organisations');
  });

  it('a CRM signing with its own domain → blocked (DMARC_SOURCE_MISALIGNED), naming it and its volume', async () => {
    const a = await run(scenario({ sources: [SES, WORKSPACE, CRM] }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('blocked');
    const f = a.findings.find((x) => x.code === 'DMARC_SOURCE_MISALIGNED')!;
    expect(f.message).toContain('180 messages');
    expect(f.message).toContain('crm-vendor.example');
    const crm = a.sources.find((s) => s.class === 'misaligned')!;
    expect(crm.identifiedBy).toContain('recurring');
  });

  it('the same authenticated-elsewhere traffic on two days from one reporter is spoofing, not a service: never blocks', async () => {
    const burst: GenSource = { ...CRM, perDay: 50, fromDay: 20, toDay: 21 };
    const a = await run(scenario({ sources: [SES, WORKSPACE, burst], reporters: REPORTERS }), { live: 'v=DMARC1; p=none' });
    const src = a.sources.find((s) => s.authenticatedAs === 'crm-vendor.example')!;
    expect(src.class).toBe('unauthorized');
    expect(a.readiness.verdict).toBe('ready');
  });

  it('heavy spoofing while own mail passes → ready, and the spoofing is shown as such', async () => {
    const a = await run(scenario({ sources: [SES, WORKSPACE, SPOOF] }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('ready');
    expect(a.totals.byClass.unauthorized).toBe(30 * 400);
    expect(codes(a)).toContain('DMARC_SPOOFING_SEEN');
    expect(a.sources[0]!.class).toBe('unauthorized'); // sorted by volume
  });

  it('a legitimate source at 96 % → blocked (DMARC_SOURCE_FAILING) with its rate', async () => {
    const a = await run(scenario({ sources: [{ ...SES, failRate: 0.04 }, WORKSPACE] }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('blocked');
    const f = a.findings.find((x) => x.code === 'DMARC_SOURCE_FAILING')!;
    expect(f.message).toMatch(/96\.0 % of 1400 messages/);
    expect(f.message).toContain('DKIM fails');
  });

  it('the dangerous direction: an own server with SPF only, failing 5 % from its own IP, is blocked, not hidden as spoofing', async () => {
    const own: GenSource = { ip: '192.0.2.25', perDay: 40, spf: { domain: 'acme.com', result: 'pass' }, envelopeFrom: 'acme.com', failRate: 0.05 };
    const a = await run(scenario({ sources: [SES, WORKSPACE, own] }), { live: 'v=DMARC1; p=none' });
    const src = a.sources.find((s) => s.id === 'spf:acme.com')!;
    expect(src.messages).toBe(30 * 40);
    expect(src.passRate).toBeLessThan(0.98);
    expect(a.readiness.verdict).toBe('blocked');
    expect(a.findings.find((f) => f.code === 'DMARC_SOURCE_FAILING')!.message).toContain('SPF fails for acme.com');
  });

  it('the dangerous direction: a monthly billing run that failed 20 days ago still blocks, though quiet lately', async () => {
    const billing: GenSource = { ip: '198.51.100.80', perDay: 500, fromDay: 9, toDay: 9, dkim: [{ domain: 'acme.com', selector: 'bill', result: 'pass' }], failRate: 0.5 };
    const a = await run(scenario({ sources: [SES, WORKSPACE, billing] }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('blocked');
    expect(a.findings.find((f) => f.code === 'DMARC_SOURCE_FAILING')!.message).toContain('of 500 messages');
  });

  it('the dangerous direction: a long tail of small senders under the 10-message floor, failing, is judged together', async () => {
    const tail: GenSource[] = Array.from({ length: 6 }, (_, i) => ({ ip: `198.51.100.${100 + i}`, perDay: 4, fromDay: 28, dkim: [{ domain: 'acme.com', selector: `tail${i}`, result: 'pass' }], failRate: 0.5 }));
    const a = await run(scenario({ sources: [SES, WORKSPACE, ...tail], days: 30 }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('blocked');
    expect(a.findings.find((f) => f.code === 'DMARC_SOURCE_FAILING')!.message).toMatch(/6 small legitimate sources together: 50\.0 % of 48 messages/);
  });

  it('a new source on day 27 → wait (DMARC_SOURCE_NEW)', async () => {
    const mailchimp: GenSource = { ip: '198.2.128.5', perDay: 30, fromDay: 26, dkim: [{ domain: 'acme.com', selector: 'k1', result: 'pass' }], spf: { domain: 'mcsv.net', result: 'pass' } };
    const a = await run(scenario({ sources: [SES, WORKSPACE, mailchimp] }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('wait');
    const f = a.findings.find((x) => x.code === 'DMARC_SOURCE_NEW')!;
    expect(f.message).toContain('Mailchimp');
    expect(f.message).toContain('2026-12-02');
  });

  it('a live record that differs from the reports → wait (DMARC_POLICY_MISMATCH)', async () => {
    const a = await run(scenario(), { live: 'v=DMARC1; p=quarantine' });
    expect(a.readiness.verdict).toBe('wait');
    expect(codes(a)).toContain('DMARC_POLICY_MISMATCH');
  });

  it('without the live record, the newest report\'s policy is taken and the record is rebuilt, saying so', async () => {
    const a = await run(scenario());
    expect(a.readiness.verdict).toBe('ready');
    expect(codes(a)).toEqual(expect.arrayContaining(['DMARC_LIVE_UNCHECKED', 'DMARC_RECORD_REBUILT']));
    expect(a.readiness.suggestedRecord).toBe('v=DMARC1; p=quarantine; sp=none; adkim=r; aspf=r');
  });

  it('stale reports (newest a week old) → wait', async () => {
    const a = await run(scenario({ lastDay: '2026-11-28' }), { live: 'v=DMARC1; p=none' });
    expect(a.readiness.verdict).toBe('wait');
    expect(a.findings.some((f) => f.check === 'C1b')).toBe(true);
  });
});

describe('reports readiness: quarantine → reject, and at reject', () => {
  it('14 days at quarantine → wait (DMARC_QUARANTINE_TOO_SHORT)', async () => {
    const a = await run(scenario({ policy: (i) => (i >= 16 ? 'quarantine' : 'none') }), { live: 'v=DMARC1; p=quarantine' });
    expect(a.readiness.current).toBe('quarantine');
    expect(a.readiness.next).toBe('reject');
    expect(a.readiness.verdict).toBe('wait');
    expect(a.findings.find((f) => f.code === 'DMARC_QUARANTINE_TOO_SHORT')!.message).toContain('14 of 28 days');
  });

  it('30 clean days at quarantine → ready for reject', async () => {
    const a = await run(scenario({ policy: () => 'quarantine' }), { live: 'v=DMARC1; p=quarantine; rua=mailto:d@acme.com' });
    expect(a.readiness.verdict).toBe('ready');
    expect(a.readiness.suggestedRecord).toBe('v=DMARC1; p=reject; rua=mailto:d@acme.com');
    expect(a.findings.find((f) => f.code === 'DMARC_NP_RECOMMENDED')!.hint).toContain('np=reject');
    const withNp = await run(scenario({ policy: () => 'quarantine' }), { live: 'v=DMARC1; p=quarantine; np=reject' });
    expect(withNp.findings.map((f) => f.code)).not.toContain('DMARC_NP_RECOMMENDED');
  });

  it('legitimate mail already quarantined → blocked (DMARC_LEGIT_QUARANTINED)', async () => {
    const a = await run(scenario({ policy: () => 'quarantine', sources: [{ ...SES, perDay: 1000, failRate: 0.003 }, WORKSPACE] }), { live: 'v=DMARC1; p=quarantine' });
    expect(a.readiness.verdict).toBe('blocked');
    expect(codes(a)).toContain('DMARC_LEGIT_QUARANTINED');
    expect(codes(a)).not.toContain('DMARC_SOURCE_FAILING');
  });

  it('mailing-list traffic failing both checks → ready with DMARC_MAILING_LIST_TRAFFIC, blocked with --strict', async () => {
    const list: GenSource = { ip: '192.0.2.77', perDay: 4, dkim: [{ domain: 'acme.com', selector: 'google', result: 'fail' }], spf: { domain: 'lists.example.org', result: 'pass' }, reason: 'mailing_list', failRate: 0 };
    const s = scenario({ policy: () => 'quarantine', sources: [SES, WORKSPACE, list] });
    const a = await run(s, { live: 'v=DMARC1; p=quarantine' });
    expect(a.sources.find((x) => x.id.startsWith('forwarder:'))!.class).toBe('forwarder');
    expect(codes(a)).toContain('DMARC_MAILING_LIST_TRAFFIC');
    expect(a.readiness.verdict).toBe('ready');
    expect((await run(s, { live: 'v=DMARC1; p=quarantine', strict: true })).readiness.verdict).toBe('blocked');
  });

  it('p=reject and clean → at_target', async () => {
    const a = await run(scenario({ policy: () => 'reject' }), { live: 'v=DMARC1; p=reject' });
    expect(a.readiness.verdict).toBe('at_target');
    expect(a.readiness.next).toBeNull();
  });

  it('a regression at p=reject → blocked', async () => {
    const a = await run(scenario({ policy: () => 'reject', sources: [SES, { ...WORKSPACE, failRate: 0.1 }] }), { live: 'v=DMARC1; p=reject' });
    expect(a.readiness.verdict).toBe('blocked');
    expect(a.findings.find((f) => f.code === 'DMARC_SOURCE_FAILING')!.message).toContain('Google Workspace');
  });
});

describe('reports sources from the state file', () => {
  it('names the SES stream mailsetup set up by its DKIM tokens and MAIL FROM', async () => {
    const state: StateFile = {
      version: 1,
      domains: {
        'acme.com': {
          provider: 'ses', providerId: 'acme.com', region: 'us-east-1', status: 'verified', createdAt: '2026-10-01T00:00:00Z', updatedAt: '2026-10-01T00:00:00Z', history: [],
          records: [
            { purpose: 'dkim', type: 'CNAME', name: `${TOKEN}._domainkey.acme.com`, value: `${TOKEN}.dkim.amazonses.com`, priority: null, ttl: null, required: true, source: 'provider' },
            { purpose: 'mail-from-mx', type: 'MX', name: 'mail.acme.com', value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10, ttl: null, required: true, source: 'provider' },
            { purpose: 'dmarc', type: 'TXT', name: '_dmarc.acme.com', value: 'v=DMARC1; p=none; rua=mailto:dmarc@acme.com', priority: null, ttl: null, required: false, source: 'mailsetup' },
          ],
        },
      },
    };
    const bounce: GenSource = { ...SES, dkim: [], envelopeFrom: 'mail.acme.com', spf: { domain: 'mail.acme.com', result: 'pass' }, perDay: 10 };
    const a = await run(scenario({ sources: [SES, WORKSPACE, bounce] }), { state });
    const ses = a.sources.find((s) => s.id === 'ses@mailsetup:acme.com')!;
    expect(ses.name).toBe('Amazon SES (mailsetup, acme.com)');
    expect(ses.identifiedBy.sort()).toEqual(['dkim-selector', 'mail-from']);
    expect(ses.messages).toBe(30 * 110);
    expect(a.provider).toBe('ses');
    // Ready: the stored recommendation is the basis, and the commands that apply it are named.
    expect(a.readiness.verdict).toBe('ready');
    expect(a.readiness.suggestedRecord).toBe('v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.com');
    expect(a.readiness.apply).toEqual(['mailsetup add acme.com --provider ses --dmarc quarantine', 'mailsetup autoconfig acme.com']);
  });
});
