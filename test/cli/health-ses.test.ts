/**
 * `health` for SES through the built CLI against the SES emulator (real @aws-sdk/client-sesv2 and
 * @aws-sdk/client-cloudwatch): per-identity VDM figures, the GetAccount verdict (probation,
 * shutdown, sandbox), VDM off → the account-wide CloudWatch fallback, labelled; a VDM metric that
 * failed with HTTP 200 → null.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson } from '../helpers/cli.js';
import { startHealthWorld, type HealthWorld } from '../helpers/health-world.js';
import { spread } from '../emulators/delivery-seed.js';

let w: HealthWorld;
const D = 'mail.ses-health.test';
beforeAll(async () => { w = await startHealthWorld([D]); });
afterAll(async () => { await w.close(); });

const reset = () => {
  w.ses.setAccount({ EnforcementStatus: 'HEALTHY', SendingEnabled: true, ProductionAccessEnabled: true, VdmEnabled: 'ENABLED' });
  w.ses.setVdmErrors({});
  w.ses.setCloudWatch({ days: [], bounceRate: null, complaintRate: null, forbidden: false });
};
const health = async (...extra: string[]) => {
  const state = w.state({ [D]: 'ses' });
  const r = await w.run(['health', D, '--json', '--exit-code', ...extra], state);
  return { r, doc: r.stdout ? parseJson(r) : null, one: r.stdout ? parseJson(r).domains?.[0] : null };
};
const codes = (one: { findings: Array<{ code: string }> }) => one.findings.map((f) => f.code);

describe('health: SES', () => {
  it('healthy per identity from VDM: figures, verdict, DNS, exit 0', async () => {
    reset();
    w.ses.setVdmDays(D, spread({ sent: 7000, bounces: 70, complaints: 2 }));
    const { r, doc, one } = await health();
    expect(r.code, r.stderr).toBe(0);
    expect(one).toMatchObject({
      domain: D, provider: 'ses', status: 'healthy', dns: 'verified',
      figures: { sent: 7000, bounces: 70, complaints: 2, bounceRate: 0.01, scope: 'domain' },
      verdict: { enforcementStatus: 'HEALTHY', sendingEnabled: true, productionAccessEnabled: true, vdmEnabled: 'ENABLED' },
      window: { days: 7 },
    });
    expect(doc.checkedAt).toMatch(/Z$/);
    expect(w.ses.requests.some((q) => q.path === '/v2/email/metrics/batch')).toBe(true);
  });

  it('just over 3 % bounces is flagged (exit 2); exactly 3 % is a warning (exit 1)', async () => {
    reset();
    w.ses.setVdmDays(D, spread({ sent: 10000, bounces: 301, complaints: 0 }));
    const over = await health();
    expect(over.r.code).toBe(2);
    expect(over.one.status).toBe('flagged');
    expect(over.one.findings.find((f: { code: string }) => f.code === 'BOUNCE_RATE_HIGH')).toMatchObject({ severity: 'error', figure: 0.0301, threshold: 0.03 });
    w.ses.setVdmDays(D, spread({ sent: 10000, bounces: 300, complaints: 0 }));
    const at = await health();
    expect(at.r.code).toBe(1);
    expect(at.one.status).toBe('warning');
  });

  it('complaints over DELIVERY_COMPLAINT: 0.1 % exactly is a warning, above it flagged', async () => {
    reset();
    w.ses.setVdmDays(D, spread({ sent: 200000, bounces: 0, complaints: 100 }).map((d) => ({ ...d, deliveryComplaint: d.complaints ? 100000 : 0 })));
    expect((await health()).one).toMatchObject({ status: 'warning', figures: { complaintRate: 0.001 } });
    w.ses.setVdmDays(D, spread({ sent: 200000, bounces: 0, complaints: 101 }).map((d) => ({ ...d, deliveryComplaint: d.complaints ? 100000 : 0 })));
    expect((await health()).one.status).toBe('flagged');
  });

  it('probation and shutdown are flagged with PROVIDER_ENFORCEMENT; the sandbox is a warning', async () => {
    reset();
    w.ses.setVdmDays(D, spread({ sent: 1000, bounces: 0, complaints: 0 }));
    w.ses.setAccount({ EnforcementStatus: 'PROBATION' });
    const p = await health();
    expect(p.r.code).toBe(2);
    expect(codes(p.one)).toContain('PROVIDER_ENFORCEMENT');
    expect(p.one.findings.find((f: { code: string }) => f.code === 'PROVIDER_ENFORCEMENT').message).toMatch(/PROBATION \(under review\)/);
    w.ses.setAccount({ EnforcementStatus: 'SHUTDOWN', SendingEnabled: false });
    const s = await health();
    expect(s.one.status).toBe('flagged');
    expect(s.one.findings.find((f: { code: string }) => f.code === 'PROVIDER_ENFORCEMENT').message).toMatch(/SHUTDOWN .*SendingEnabled false/);
    w.ses.setAccount({ EnforcementStatus: 'HEALTHY', SendingEnabled: true, ProductionAccessEnabled: false });
    const sb = await health();
    expect(sb.r.code).toBe(1);
    expect(codes(sb.one)).toContain('PROVIDER_SANDBOX');
  });

  it('VDM off: the account-wide CloudWatch figures, labelled, with the provider\'s own gauges', async () => {
    reset();
    w.ses.setAccount({ VdmEnabled: 'DISABLED' });
    w.ses.setCloudWatch({ days: spread({ sent: 5000, bounces: 50, complaints: 1 }), bounceRate: 0.035, complaintRate: 0.0002 });
    const { r, one } = await health();
    expect(one.figures).toMatchObject({ scope: 'account', sent: 5000, bounces: 50, bounceRate: 0.035, complaintRate: 0.0002, ratesFrom: 'provider', source: 'CloudWatch AWS/SES' });
    expect(codes(one)).toEqual(expect.arrayContaining(['VDM_DISABLED', 'FIGURES_ACCOUNT_WIDE', 'BOUNCE_RATE_HIGH']));
    expect(one.status).toBe('flagged');
    expect(r.code).toBe(2);
    expect(one.findings.find((f: { code: string }) => f.code === 'VDM_DISABLED').hint).toMatch(/VdmEnabled=ENABLED/);
  });

  it('a VDM metric that failed (HTTP 200, Errors[]) is null, never 0', async () => {
    reset();
    w.ses.setVdmDays(D, spread({ sent: 1000, bounces: 5, complaints: 0 }));
    w.ses.setVdmErrors({ COMPLAINT: 'INTERNAL_FAILURE' });
    const { one } = await health();
    expect(one.figures).toMatchObject({ sent: 1000, complaints: null, complaintRate: null, bounceRate: 0.005 });
    expect(codes(one)).toContain('FIGURE_PARTIAL');
    expect(one.status).toBe('warning');
  });
});

describe('health: SES permissions and hostile text', () => {
  it('VDM off and CloudWatch denied: figures null, a warning naming cloudwatch:GetMetricData', async () => {
    reset();
    w.ses.setAccount({ VdmEnabled: 'DISABLED' });
    w.ses.setCloudWatch({ forbidden: true });
    const { r, one } = await health();
    expect(r.code).toBe(1);
    expect(one.status).toBe('warning');
    expect(one.figures.sent).toBeNull();
    expect(one.findings.find((f: { code: string }) => f.code === 'FIGURES_FORBIDDEN').hint).toMatch(/cloudwatch:GetMetricData/);
  });

  it('VDM denied per query (ACCESS_DENIED, HTTP 200): the CloudWatch fallback, labelled', async () => {
    reset();
    w.ses.setVdmErrors(Object.fromEntries(['SEND', 'DELIVERY', 'PERMANENT_BOUNCE', 'COMPLAINT', 'DELIVERY_COMPLAINT'].map((m) => [m, 'ACCESS_DENIED'])) as Record<string, 'ACCESS_DENIED'>);
    w.ses.setCloudWatch({ days: spread({ sent: 3000, bounces: 3, complaints: 0 }) });
    const { one } = await health();
    expect(one.figures).toMatchObject({ scope: 'account', sent: 3000, bounceRate: 0.001, ratesFrom: 'counts' });
    expect(codes(one)).toEqual(expect.arrayContaining(['VDM_UNAVAILABLE', 'FIGURES_ACCOUNT_WIDE']));
  });

  it('a provider word with control characters is shown escaped, never raw', async () => {
    reset();
    w.ses.setVdmDays(D, spread({ sent: 1000, bounces: 0, complaints: 0 }));
    w.ses.setAccount({ EnforcementStatus: 'PROBATION\u001b[2J\u202e' });
    const state = w.state({ [D]: 'ses' });
    const r = await w.run(['health', D], state);
    expect(r.stdout).not.toMatch(/[\u001b\u202e]/);
    expect(r.stdout).toContain('PROBATION\\x1b[2J\\u202e');
  });
});

describe('health: bad input', () => {
  it.each([
    [['health'], /name a domain, or use --all/],
    [['health', D, '--days', '31'], /--days must be a whole number from 1 to 30/],
    [['health', D, '--days', 'x'], /--days must be/],
    [['health', 'mail.unknown.test'], /mail\.unknown\.test is not in/],
    [['warmup', 'mail.unknown.test', '--target', '1000'], /mail\.unknown\.test is not in/],
  ])('%j → 64, one line and a hint', async (args, message) => {
    const state = w.state({ [D]: 'ses' });
    const r = await w.run(args as string[], state);
    expect(r.code).toBe(64);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(message as RegExp);
    expect(lines[1]).toMatch(/^hint: /);
  });
});
