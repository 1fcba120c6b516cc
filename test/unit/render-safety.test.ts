/**
 * The renderers themselves escape outside text — not only the output port's last net — so what a
 * table measures and what a line shows is the escaped text. Pure functions, hostile data, colour on
 * (so the only ESC allowed in a line is an SGR colour code of ours).
 */
import { describe, expect, it } from 'vitest';
import { renderVerify, githubAnnotations } from '../../src/render/verify.js';
import { renderPlan, renderApply } from '../../src/render/plan.js';
import { renderCsv, renderRecordsTable, renderZone } from '../../src/render/records.js';
import type { CheckedRecord, DomainVerification } from '../../src/core/verify.js';
import type { Plan } from '../../src/dns-hosts/plan.js';
import type { HostRecord } from '../../src/dns-hosts/types.js';
import { rec } from '../helpers/zone-builders.js';
import { Writable } from 'node:stream';
import { createOutput } from '../../src/render/output.js';
import { renderError } from '../../src/render/error.js';
import { MailsetupError } from '../../src/errors.js';

const HOSTILE = 'v=spf1 +all\r\x1b[2J\x1b]52;c;aGk=\x07\x1b]0;t\x07\x00\x7f\x9b\u202e\u200b\t';

/** No raw control byte, DEL, C1 or bidi/format character once our own SGR colour codes are taken out. */
function expectInert(lines: string[]): void {
  // eslint-disable-next-line no-control-regex
  const text = lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/);
  expect(text).toContain('\\x1b[2J');
}

const checked = (over: Partial<CheckedRecord>): CheckedRecord => ({
  ...rec({ purpose: 'mail-from-spf', type: 'TXT', name: 'bounce.mail.acme.test', value: 'v=spf1 include:amazonses.com ~all' }),
  status: 'invalid', code: 'VALUE_MISMATCH', found: [HOSTILE], detail: `served ${HOSTILE}`, hint: `replace ${HOSTILE}`,
  resolvers: { [`127.0.0.1:53${HOSTILE}`]: 'stale' }, staleFor: {}, ...over,
});

describe('renderers escape outside text themselves', () => {
  it('renderVerify and the GitHub annotations', () => {
    const v: DomainVerification = {
      domain: 'mail.acme.test', provider: 'ses', status: 'failed', stage: null, providerStatus: 'pending', providerAction: `asked ${HOSTILE}`,
      allVerified: false, authoritative: { zone: 'acme.test', servers: [] },
      records: [checked({}), checked({ type: 'MX', name: `bounce${HOSTILE}.acme.test`, value: `mx${HOSTILE}.test`, status: 'verified', priority: 10 })],
      notes: [`note ${HOSTILE}`], checkedAt: '2026-12-06T00:00:00.000Z',
    };
    expectInert(renderVerify(v, 1));
    expectInert(githubAnnotations([v]));
  });

  it('renderPlan and renderApply', () => {
    const host = (value: string): HostRecord => ({ type: 'TXT', name: `bounce${HOSTILE}.acme.test`, value, priority: null, ttl: 300 });
    const plan: Plan = {
      entries: [
        { action: 'update', record: rec({ purpose: 'mail-from-spf', type: 'TXT', name: 'bounce.acme.test', value: 'v=spf1 -all' }), existing: host(HOSTILE), change: { kind: 'update', from: host(HOSTILE), to: host(`${HOSTILE} merged`), seen: [host(HOSTILE)] }, reason: `because ${HOSTILE}`, fix: `fix ${HOSTILE}` },
      ],
      untouched: [host(HOSTILE)],
    };
    expectInert(renderPlan(plan, 'Cloudflare', `acme${HOSTILE}.test`, 1));
    const create = { kind: 'create' as const, record: host(HOSTILE), seen: [] };
    expectInert(renderApply({ applied: [create], conflicts: [{ change: create, error: new MailsetupError("HOST_CONFLICT", `zone now holds ${HOSTILE}`) }], failed: { change: create, error: new Error(`host said ${HOSTILE}`) }, skipped: [create] }, 1));
  });

  it('records: table (widths measured on escaped text), CSV, and the zone file', async () => {
    const records = [rec({ purpose: 'verification', type: 'TXT', name: '_v.acme.test', value: HOSTILE }), rec({ purpose: 'dkim', type: 'CNAME', name: 's1._domainkey.acme.test', value: `s1${HOSTILE}.provider.test` })];
    // Wide enough for the boxed layout (narrower ones stack: test/unit/table.test.ts).
    const table = await renderRecordsTable(records, 'acme.test', 'route53', 1, 400);
    expectInert(table);
    // eslint-disable-next-line no-control-regex
    const widths = new Set(table.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '')).filter((l) => /^[│┌├└]/.test(l)).map((l) => [...l].length));
    expect(widths.size).toBe(1);
    expectInert(renderCsv(records, 'acme.test', 'generic'));
    const zone = renderZone('acme.test', records);
    // eslint-disable-next-line no-control-regex
    expect(zone.join('\n')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\u200b]/);
    expect(zone.join('\n')).toContain('\\013\\027[2J');
  });
});

describe('the output port and the error line', () => {
  const sink = () => {
    let text = '';
    return { stream: Object.assign(new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } }), { isTTY: false }), text: () => text };
  };

  it('an error quoting a provider message is one escaped line plus a hint; in JSON it is \\u-escaped', () => {
    const err = new MailsetupError('PROVIDER_UNAVAILABLE', `SendGrid said: ${HOSTILE}\nsecond line`, { hint: `retry ${HOSTILE}` });
    const human = { out: sink(), err: sink() };
    renderError(err, createOutput({ json: false, quiet: false, verbose: false, color: undefined, env: {}, stdout: human.out.stream, stderr: human.err.stream }));
    expect(human.err.text().trim().split('\n')).toHaveLength(2);
    expectInert([human.err.text().replace(/\n$/, '')].flatMap((t) => t.split('\n')));
    const json = { out: sink(), err: sink() };
    renderError(err, createOutput({ json: true, quiet: false, verbose: false, color: undefined, env: {}, stdout: json.out.stream, stderr: json.err.stream }));
    // eslint-disable-next-line no-control-regex
    expect(json.out.text().replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e\u200b]/);
    expect(JSON.parse(json.out.text()).error.message).toBe(`SendGrid said: ${HOSTILE}\nsecond line`);
  });

  it('the port\'s net escapes what a renderer missed, keeping line breaks', () => {
    const s = sink();
    const out = createOutput({ json: false, quiet: false, verbose: true, color: false, env: {}, stdout: s.stream, stderr: s.stream });
    out.line(`raw ${HOSTILE}`);
    out.note(`two\nlines ${HOSTILE}`);
    out.debug(`debug ${HOSTILE}`);
    const lines = s.text().replace(/\n$/, '').split('\n');
    expect(lines).toHaveLength(4);
    expectInert(lines);
  });
});
