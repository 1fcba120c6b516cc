/**
 * `health` for SendGrid, Mailgun and Resend through the built CLI against their emulators (real
 * SDKs), and what every provider shares: thresholds just over and just under, low volume, a figure
 * the key may not read (null + the scope to add), 429 then success, persistent 5xx → 69 with the
 * state file untouched, missing credentials → 77 naming the variable, snapshots once a day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseJson } from '../helpers/cli.js';
import { startHealthWorld, type HealthWorld, type Provider } from '../helpers/health-world.js';
import { daysAgo, spread, type DaySeed } from '../emulators/delivery-seed.js';

let w: HealthWorld;
const DOMAIN: Record<Provider, string> = { ses: 'mail.s.test', sendgrid: 'mail.sg.test', mailgun: 'mail.mg.test', resend: 'mail.rs.test' };
const PENDING = 'mail.pending.test';
beforeAll(async () => { w = await startHealthWorld([...Object.values(DOMAIN), 'mail.sg2.test', 'mail.sg3.test', PENDING], [PENDING]); });
afterAll(async () => { await w.close(); });

function seed(p: Provider, days: DaySeed[], domain = DOMAIN[p]): void {
  if (p === 'ses') { w.ses.setAccount({ VdmEnabled: 'ENABLED', EnforcementStatus: 'HEALTHY', SendingEnabled: true, ProductionAccessEnabled: true }); w.ses.setVdmDays(domain, days); }
  if (p === 'sendgrid') { w.sendgrid.setAccount({ reputation: 99 }); w.sendgrid.setStatsDays(days); }
  if (p === 'mailgun') w.mailgun.setMetricsDays(domain, days);
  if (p === 'resend') w.resend.setMetricsDays(domain, days);
}

async function health(p: Provider, ...extra: string[]) {
  const state = w.state({ [DOMAIN[p]]: p });
  const r = await w.run(['health', DOMAIN[p], '--json', '--exit-code', ...extra], state);
  const ctx = `${p}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
  expect(r.stdout + r.stderr, ctx).not.toMatch(/\n\s+at .+[:(]\d+/);
  return { r, ctx, state, one: r.code !== null && [0, 1, 2, 69].includes(r.code) && r.stdout.includes('"domains"') ? parseJson(r).domains[0] : null };
}
const codes = (one: { findings: Array<{ code: string }> }) => one.findings.map((f) => f.code);
const PROVIDERS: Provider[] = ['sendgrid', 'mailgun', 'resend'];

describe.each(PROVIDERS)('health: %s thresholds', (p) => {
  const cases: Array<[string, { sent: number; bounces: number; complaints: number }, string, number]> = [
    ['healthy', { sent: 10000, bounces: 100, complaints: 0 }, 'healthy', 0],
    ['bounce just over 2 %', { sent: 10000, bounces: 201, complaints: 0 }, 'warning', 1],
    ['bounce exactly 3 %', { sent: 10000, bounces: 300, complaints: 0 }, 'warning', 1],
    ['bounce just over 3 %', { sent: 10000, bounces: 301, complaints: 0 }, 'flagged', 2],
    ['complaints exactly 0.08 %', { sent: 100000, bounces: 0, complaints: 80 }, 'healthy', 0],
    ['complaints just over 0.08 %', { sent: 100000, bounces: 0, complaints: 81 }, 'warning', 1],
    ['complaints just over 0.1 %', { sent: 100000, bounces: 0, complaints: 101 }, 'flagged', 2],
    ['low volume, not judged', { sent: 99, bounces: 30, complaints: 5 }, 'healthy', 0],
  ];
  it.each(cases)('%s', async (_name, fig, status, exit) => {
    // Complaints over delivered: make delivered exactly `sent` so the thresholds are exact.
    seed(p, spread({ ...fig, delivered: fig.sent }));
    const { r, one, ctx } = await health(p);
    expect(r.code, ctx).toBe(exit);
    expect(one.status, ctx).toBe(status);
    expect(one.figures.sent, ctx).toBe(fig.sent);
    expect(one.figures.bounces, ctx).toBe(fig.bounces);
    expect(one.figures.scope, ctx).toBe(p === 'sendgrid' ? 'account' : 'domain');
    if (fig.sent < 100) expect(codes(one)).toContain('LOW_VOLUME');
  });
});

describe('health: provider verdicts and what a key may not read', () => {
  it('SendGrid reputation 65 is flagged, 75 a warning; figures are account-wide and say so', async () => {
    w.sendgrid.setStatsDays(spread({ sent: 1000, bounces: 0, complaints: 0 }));
    w.sendgrid.setAccount({ reputation: 65 });
    const low = await health('sendgrid');
    expect(low.r.code, low.ctx).toBe(2);
    expect(low.one.verdict).toMatchObject({ reputation: 65 });
    expect(codes(low.one)).toEqual(expect.arrayContaining(['REPUTATION_LOW', 'FIGURES_ACCOUNT_WIDE']));
    w.sendgrid.setAccount({ reputation: 75 });
    const poor = await health('sendgrid');
    expect(poor.r.code).toBe(1);
    expect(poor.one.findings.find((f: { code: string }) => f.code === 'REPUTATION_LOW').severity).toBe('warning');
  });

  it('SendGrid key without stats.read: figures null, a warning naming the scope', async () => {
    w.sendgrid.setAccount({ reputation: 99 });
    w.sendgrid.denyScopes(['stats.read']);
    try {
      const { r, one, ctx } = await health('sendgrid');
      expect(r.code, ctx).toBe(1);
      expect(one.figures).toMatchObject({ sent: null, bounceRate: null, complaintRate: null });
      expect(one.findings.find((f: { code: string }) => f.code === 'FIGURES_FORBIDDEN').hint).toMatch(/stats\.read/);
    } finally { w.sendgrid.denyScopes([]); }
  });

  it('Mailgun disabled domain is flagged', async () => {
    const d = 'mail.mgoff.test';
    const state = w.state({ [d]: 'mailgun' });
    w.mailgun.setDisabled(d);
    w.mailgun.setMetricsDays(d, spread({ sent: 1000, bounces: 0, complaints: 0 }));
    const r = await w.run(['health', d, '--json', '--exit-code'], state);
    const one = parseJson(r).domains[0];
    expect(r.code).toBe(2);
    expect(one.verdict).toEqual({ state: 'disabled', isDisabled: true });
    expect(codes(one)).toContain('PROVIDER_ENFORCEMENT');
  });

  it('Resend with a sending-only key: no figure, no verdict → unknown (69), the hint says which key', async () => {
    w.resend.restrictKey(true);
    try {
      const { r, one, ctx } = await health('resend');
      expect(r.code, ctx).toBe(69);
      expect(one.status).toBe('unknown');
      expect(one.figures.sent).toBeNull();
      expect(one.findings.find((f: { code: string }) => f.code === 'FIGURES_FORBIDDEN').hint).toMatch(/Full access/);
    } finally { w.resend.restrictKey(false); }
  });

  it('DNS pending makes a domain a warning with DNS_NOT_VERIFIED', async () => {
    w.mailgun.setMetricsDays(PENDING, spread({ sent: 1000, bounces: 0, complaints: 0 }));
    const state = w.state({ [PENDING]: 'mailgun' });
    const r = await w.run(['health', PENDING, '--json', '--exit-code'], state);
    const one = parseJson(r).domains[0];
    expect(one).toMatchObject({ dns: 'pending', status: 'warning' });
    expect(codes(one)).toContain('DNS_NOT_VERIFIED');
  });
});

describe('health: one /v3/stats call per SendGrid account, order healthiest first', () => {
  it('three SendGrid domains and a Mailgun one: SendGrid asked once; sorted by headroom', async () => {
    w.sendgrid.setAccount({ reputation: 99 });
    w.sendgrid.setStatsDays(spread({ sent: 1000, bounces: 15, complaints: 0 }));
    w.mailgun.setMetricsDays(DOMAIN.mailgun, spread({ sent: 1000, bounces: 1, complaints: 0 }));
    const state = w.state({ 'mail.sg.test': 'sendgrid', 'mail.sg2.test': 'sendgrid', 'mail.sg3.test': 'sendgrid', [DOMAIN.mailgun]: 'mailgun' });
    const before = w.sendgrid.calls.length;
    const r = await w.run(['health', '--all', '--json'], state);
    expect(r.code, r.stderr).toBe(0);
    const calls = w.sendgrid.calls.slice(before);
    expect(calls.filter((c) => c.path === '/v3/stats')).toHaveLength(1);
    expect(calls.filter((c) => c.path === '/v3/user/account')).toHaveLength(1);
    expect(calls.find((c) => c.path === '/v3/stats')!.query).toMatchObject({ start_date: daysAgo(6), end_date: daysAgo(0), aggregated_by: 'day' });
    const doc = parseJson(r);
    expect(doc.domains.map((d: { domain: string }) => d.domain)).toEqual([DOMAIN.mailgun, 'mail.sg.test', 'mail.sg2.test', 'mail.sg3.test']);
  });
});

describe('health: failures', () => {
  it.each(['ses', 'sendgrid', 'mailgun', 'resend'] as Provider[])('%s: 429 with Retry-After, then success', async (p) => {
    seed(p, spread({ sent: 1000, bounces: 0, complaints: 0 }));
    w[p].fail({ kind: 'rate-limit', retryAfterSeconds: 1 }, 1);
    const { r, one, ctx } = await health(p);
    expect(r.code, ctx).toBe(0);
    expect(one.figures.sent).toBe(1000);
  });

  it.each(['ses', 'sendgrid', 'mailgun', 'resend'] as Provider[])('%s: persistent 5xx → 69, one error line + hint, state byte-identical', async (p) => {
    seed(p, spread({ sent: 1000, bounces: 0, complaints: 0 }));
    const state = w.state({ [DOMAIN[p]]: p });
    const before = readFileSync(state, 'utf8');
    w[p].fail({ kind: 'server-error' }, 100);
    try {
      const r = await w.run(['health', DOMAIN[p]], state);
      expect(r.code, r.stderr).toBe(69);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^error: .+\[PROVIDER_UNAVAILABLE\]$/);
      expect(lines).toHaveLength(2);
      expect(readFileSync(state, 'utf8')).toBe(before);
    } finally { w[p].fail({ kind: 'server-error' }, 0); }
  }, 60_000);

  it.each([['ses', 'AWS_ACCESS_KEY_ID'], ['sendgrid', 'SENDGRID_API_KEY'], ['mailgun', 'MAILGUN_API_KEY'], ['resend', 'RESEND_API_KEY']] as Array<[Provider, string]>)('%s: missing credentials → 77 naming %s, state byte-identical', async (p, variable) => {
    const state = w.state({ [DOMAIN[p]]: p });
    const before = readFileSync(state, 'utf8');
    const unset = Object.fromEntries(w[p].credentialEnv.map((k) => [k, undefined]));
    const r = await w.run(['health', DOMAIN[p], '--json'], state, unset);
    expect(r.code, r.stdout + r.stderr).toBe(77);
    const doc = parseJson(r);
    expect(doc.error.code).toBe('PROVIDER_AUTH');
    expect(doc.error.message + doc.error.hint).toContain(variable);
    expect(readFileSync(state, 'utf8')).toBe(before);
  });

  it.each([['ses', 'auth'], ['sendgrid', 'auth'], ['mailgun', 'auth'], ['resend', 'forbidden']] as Array<[Provider, 'auth' | 'forbidden']>)('%s: a rejected key (%s) → 77, state byte-identical', async (p, kind) => {
    seed(p, spread({ sent: 1000, bounces: 0, complaints: 0 }));
    const state = w.state({ [DOMAIN[p]]: p });
    const before = readFileSync(state, 'utf8');
    w[p].fail({ kind }, 100);
    try {
      const r = await w.run(['health', DOMAIN[p]], state);
      expect(r.code, r.stderr).toBe(77);
      expect(r.stderr).toMatch(/\[PROVIDER_AUTH\]\nhint: /);
      expect(readFileSync(state, 'utf8')).toBe(before);
    } finally { w[p].fail({ kind }, 0); }
  });

  it('with --all, one provider down: the others are judged, that domain is unknown, exit 69', async () => {
    seed('mailgun', spread({ sent: 1000, bounces: 0, complaints: 0 }));
    seed('resend', spread({ sent: 1000, bounces: 0, complaints: 0 }));
    const state = w.state({ [DOMAIN.mailgun]: 'mailgun', [DOMAIN.resend]: 'resend' });
    w.resend.fail({ kind: 'server-error' }, 100);
    try {
      const r = await w.run(['health', '--all', '--json'], state);
      expect(r.code).toBe(69);
      const doc = parseJson(r);
      expect(doc.domains.map((d: { domain: string; status: string }) => [d.domain, d.status])).toEqual([[DOMAIN.mailgun, 'healthy'], [DOMAIN.resend, 'unknown']]);
      expect(codes(doc.domains[1])).toContain('PROVIDER_UNAVAILABLE');
      const saved = JSON.parse(readFileSync(state, 'utf8'));
      expect(saved.domains[DOMAIN.mailgun].health).toHaveLength(1);
      expect(saved.domains[DOMAIN.resend].health).toBeUndefined();
    } finally { w.resend.fail({ kind: 'server-error' }, 0); }
  }, 60_000);
});

describe('health: daily snapshots and --history', () => {
  it('one snapshot per domain per UTC day, replaced by a later run; older ones kept, 90 days at most', async () => {
    const old = [
      { date: daysAgo(120), sent: 1, delivered: 1, bounces: 0, complaints: 0, status: 'healthy' },
      { date: daysAgo(3), sent: 500, delivered: 490, bounces: 2, complaints: 0, status: 'healthy' },
    ];
    const state = w.state({ [DOMAIN.mailgun]: 'mailgun' }, { [DOMAIN.mailgun]: { health: old } });
    w.mailgun.setMetricsDays(DOMAIN.mailgun, spread({ sent: 1000, bounces: 5, complaints: 0 }));
    expect((await w.run(['health', DOMAIN.mailgun], state)).code).toBe(0);
    w.mailgun.setMetricsDays(DOMAIN.mailgun, spread({ sent: 2000, bounces: 50, complaints: 0 }));
    const r = await w.run(['health', DOMAIN.mailgun], state);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mail\.mg\.test\s+Mailgun\s+2,000\s+2\.5 %/);
    const snaps = JSON.parse(readFileSync(state, 'utf8')).domains[DOMAIN.mailgun].health;
    expect(snaps.map((s: { date: string }) => s.date)).toEqual([daysAgo(3), daysAgo(0)]);
    expect(snaps[1]).toMatchObject({ sent: 2000, bounces: 50, status: 'warning', days: 7, scope: 'domain', lastDay: { date: daysAgo(1), bounces: 50 } });
    const h = await w.run(['health', DOMAIN.mailgun, '--history'], state);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(new RegExp(`${daysAgo(3)}\\s+500\\s+0\\.4 %`));
    expect(h.stdout).toMatch(/bounce\s+[▁-█]{2}/);
    const hj = await w.run(['health', '--history', '--json'], state);
    expect(parseJson(hj).domains[0].history).toHaveLength(2);
  });
});
