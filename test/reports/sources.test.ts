/** Naming sources: the state file first (each provider's selectors and MAIL FROM), then DKIM/SPF and the service table. */
import { describe, expect, it } from 'vitest';
import { nameRecord, network, stateSenders } from '../../src/reports/sources.js';
import type { ReportRecordRow } from '../../src/reports/model.js';
import type { StateFile } from '../../src/state/schema.js';
import type { DnsRecord } from '../../src/model/record.js';

const rec = (purpose: DnsRecord['purpose'], type: DnsRecord['type'], name: string, value: string): DnsRecord =>
  ({ purpose, type, name, value, priority: type === 'MX' ? 10 : null, ttl: null, required: true, source: 'provider' });
const domain = (provider: string, records: DnsRecord[]) =>
  ({ provider, providerId: 'x', region: null, status: 'verified', createdAt: '2026-10-01T00:00:00Z', updatedAt: '2026-10-01T00:00:00Z', history: [], records }) as StateFile['domains'][string];

const STATE: StateFile = {
  version: 1,
  domains: {
    'sg.acme.com': domain('sendgrid', [
      rec('return-path', 'CNAME', 'em1234.sg.acme.com', 'u1.wl.sendgrid.net'),
      rec('dkim', 'CNAME', 's1._domainkey.sg.acme.com', 's1.domainkey.u1.wl.sendgrid.net'),
      rec('dkim', 'CNAME', 's2._domainkey.sg.acme.com', 's2.domainkey.u1.wl.sendgrid.net'),
    ]),
    'mg.acme.com': domain('mailgun', [
      rec('spf', 'TXT', 'mg.acme.com', 'v=spf1 include:mailgun.org ~all'),
      rec('dkim', 'TXT', 'pdk1._domainkey.mg.acme.com', 'k=rsa; p=MIGf'),
    ]),
    'rs.acme.com': domain('resend', [
      rec('dkim', 'TXT', 'resend._domainkey.rs.acme.com', 'p=MIGf'),
      rec('mail-from-mx', 'MX', 'send.rs.acme.com', 'feedback-smtp.us-east-1.amazonses.com'),
      rec('mail-from-spf', 'TXT', 'send.rs.acme.com', 'v=spf1 include:amazonses.com ~all'),
    ]),
  },
};
const senders = stateSenders(STATE);

function row(over: Partial<ReportRecordRow>): ReportRecordRow {
  return { sourceIp: '192.0.2.1', count: 1, disposition: 'none', dkim: 'fail', spf: 'fail', reasons: [], headerFrom: 'acme.com', envelopeFrom: null, envelopeTo: null, authDkim: [], authSpf: [], ...over };
}

describe('reports: naming sources', () => {
  it('reads each provider\'s selectors and MAIL FROM from the state file', () => {
    const by = Object.fromEntries(senders.map((s) => [s.provider, { selectors: [...s.selectors].sort(), mailFrom: [...s.mailFrom].sort() }]));
    expect(by).toEqual({
      sendgrid: { selectors: ['s1', 's2'], mailFrom: ['em1234.sg.acme.com'] },
      mailgun: { selectors: ['pdk1'], mailFrom: ['mg.acme.com'] },
      resend: { selectors: ['resend'], mailFrom: ['send.rs.acme.com'] },
    });
  });

  it('SendGrid by selector, Mailgun by its SPF domain, Resend by its MAIL FROM', () => {
    const sg = nameRecord(row({ dkim: 'pass', authDkim: [{ domain: 'sg.acme.com', selector: 's1', result: 'pass', humanResult: null }] }), 'acme.com', senders);
    expect([sg.kind, sg.key, sg.name]).toEqual(['state', 'sendgrid@mailsetup:sg.acme.com', 'SendGrid (mailsetup, sg.acme.com)']);
    const mg = nameRecord(row({ spf: 'pass', envelopeFrom: 'mg.acme.com', authSpf: [{ domain: 'mg.acme.com', scope: 'mfrom', result: 'pass' }] }), 'acme.com', senders);
    expect(mg.key).toBe('mailgun@mailsetup:mg.acme.com');
    const rs = nameRecord(row({ spf: 'pass', envelopeFrom: 'send.rs.acme.com', authSpf: [{ domain: 'send.rs.acme.com', scope: 'mfrom', result: 'pass' }] }), 'acme.com', senders);
    expect([rs.key, rs.identifiedBy]).toEqual(['resend@mailsetup:rs.acme.com', ['mail-from']]);
  });

  it('a spoofer using the stored MAIL FROM with SPF failing is not charged to the provider', () => {
    const n = nameRecord(row({ envelopeFrom: 'mg.acme.com', authSpf: [{ domain: 'mg.acme.com', scope: 'mfrom', result: 'fail' }] }), 'acme.com', senders);
    expect(n.kind).toBe('unauth');
  });

  it('the service table: DKIM for a service\'s own domain is that service (unaligned); unknown domains by their organisational domain', () => {
    const mc = nameRecord(row({ authDkim: [{ domain: 'mcsv.net', selector: 'k1', result: 'pass', humanResult: null }] }), 'acme.com', []);
    expect([mc.kind, mc.name, mc.known, mc.authenticatedAs]).toEqual(['other-auth', 'Mailchimp', true, 'mcsv.net']);
    const crm = nameRecord(row({ authSpf: [{ domain: 'bounce.crm.example.co.uk', scope: 'mfrom', result: 'pass' }] }), 'acme.com', []);
    expect([crm.name, crm.known]).toEqual(['example.co.uk', false]);
    const ws = nameRecord(row({ dkim: 'pass', authDkim: [{ domain: 'acme.com', selector: 'google', result: 'pass', humanResult: null }] }), 'acme.com', []);
    expect(ws.name).toBe('Google Workspace (acme.com/google)');
  });

  it('networks: /24 and /48', () => {
    expect(network('192.0.2.77')).toBe('192.0.2.0/24');
    expect(network('2a01:4f9:c011:b43c::1')).toBe('2a01:4f9:c011::/48');
    expect(network('2001:db8::1')).toBe('2001:db8:0::/48');
  });
});

describe('the analysis of a folder of reports (no DNS, no state)', () => {
  it('reads the inputs and keeps what falls in the window', async () => {
    const [{ readInputs }, { analyze }] = await Promise.all([import('../../src/reports/read.js'), import('../../src/reports/analyze.js')]);
    const read = await readInputs(['test/fixtures/dmarc-reports/stalwart-mail-auth']);
    const doc = analyze(read, { now: new Date('2026-12-06T00:00:00Z'), sinceSeconds: 5000 * 86_400, domains: undefined, state: null, live: undefined, thresholds: undefined, strict: undefined });
    // The RFC 9990 sample (001.xml) is dated 1979: outside any sensible window.
    expect(doc.domains.map((d) => d.domain)).toEqual(['stalw.art']);
    expect(doc.inputs.outsideWindow).toBe(1);
    expect(doc.domains[0]!.totals.messages).toBe(11);
  });
});
