/**
 * Tables that fit (issue 12 item 1): on a real pseudo-terminal 80 and 120 columns wide, and piped
 * (100), no line of records, validate, verify, list or autoconfig --dry-run is wider than the
 * terminal, and no DNS name or value is broken: each appears whole on one line. Long DKIM names
 * make the boxed table impossible at 80, so the stacked layout is what is checked there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { runCli } from '../helpers/cli.js';
import { plainLines, runPty, SCRIPT } from '../helpers/pty.js';
import { requireProgram } from '../helpers/programs.js';
import { cname, mx, txt } from '../helpers/zone-builders.js';
import { displayWidth } from '../../src/render/table.js';

const D = 'mail.wide.test';
const tokens = ['q2b7vvl3o6bnkhyxbuv5mrvuv5sgkz4a', 'hdk2dmqsfkrgc6hakrftbzsypakh4ou5', 'tspvb5mbx4jdjqwf3zxlwjfenxrdnf4w'];
const record = (purpose: string, type: string, name: string, value: string, priority: number | null = null) =>
  ({ purpose, type, name, value, priority, ttl: null, required: true, source: 'provider' });
const RECORDS = [
  ...tokens.map((t) => record('dkim', 'CNAME', `${t}._domainkey.${D}`, `${t}.dkim.amazonses.com`)),
  record('mail-from-mx', 'MX', `bounce.${D}`, 'feedback-smtp.eu-west-1.amazonses.com', 10),
  record('mail-from-spf', 'TXT', `bounce.${D}`, 'v=spf1 include:amazonses.com ~all'),
  record('dmarc', 'TXT', `_dmarc.${D}`, 'v=DMARC1; p=none; rua=mailto:dmarc-reports@wide.test'),
];
/** Every name and value that must appear whole on one line of the output. */
const WHOLE = [...new Set(RECORDS.flatMap((r) => [r.name, r.type === 'TXT' ? r.value.split(' ')[0]! : r.value]))];

const ready = requireProgram(SCRIPT, 'script (util-linux)', 'util-linux');

describe('tables that fit the terminal', () => {
  let dns: EmbeddedDns;
  let dir: string;
  let state: string;
  beforeAll(async () => {
    const soa = { mname: 'ns.wide.test', rname: 'h.wide.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 };
    dns = await startEmbeddedDns({ records: [
      { name: 'wide.test', type: 'SOA', data: soa },
      ...tokens.map((t) => cname(`${t}._domainkey.${D}`, `${t}.dkim.amazonses.com`)),
      mx(`bounce.${D}`, 10, 'feedback-smtp.eu-west-1.amazonses.com'),
      txt(`bounce.${D}`, 'v=spf1 include:amazonses.com ~all'),
      txt(D, 'v=spf1 include:amazonses.com -all'),
      txt(`_dmarc.${D}`, 'v=DMARC1; p=none; rua=mailto:dmarc-reports@wide.test'),
    ] });
    dir = mkdtempSync(join(tmpdir(), 'mailsetup-wide-'));
    state = join(dir, 'mailsetup.json');
    writeFileSync(state, JSON.stringify({ version: 1, domains: { [D]: {
      provider: 'ses', providerId: D, region: 'eu-west-1', status: 'pending', createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [], records: RECORDS,
    } } }));
  });
  afterAll(async () => { await dns.close(); rmSync(dir, { recursive: true, force: true }); });

  const dnsArgs = () => ['--resolver', dns.address, '--authoritative', dns.address];
  const commands = (): Array<[string, string[]]> => [
    ['records', ['records', D, '--config', state]],
    ['records --for route53', ['records', D, '--for', 'route53', '--config', state]],
    ['validate', ['validate', D, '--selector', tokens[0]!, ...dnsArgs()]],
    ['verify', ['verify', D, '--no-provider', '--config', state, ...dnsArgs()]],
    ['list', ['list', '--config', state]],
  ];

  const check = (text: string, cols: number, what: string, whole: string[], tableOnly = false) => {
    // Piped, validate keeps each finding's prose on one line (for grep); its table still fits —
    // boxed, or stacked once the checks (MTA-STS, TLS-RPT, DNSSEC, BIMI …) make it too wide: the
    // table is everything before the first section after it.
    const all = plainLines(text);
    const end = all.findIndex((l) => /^(Records found|Findings|Verdict:)/.test(l));
    const lines = tableOnly ? all.slice(0, end < 0 ? all.length : end) : all;
    const wide = lines.filter((l) => displayWidth(l) > cols);
    expect(wide, `${what}: lines wider than ${cols}:\n${wide.join('\n')}\n---\n${text}`).toEqual([]);
    for (const w of whole) expect(lines.some((l) => l.includes(w)), `${what}: "${w}" is not whole on any line:\n${text}`).toBe(true);
  };

  for (const cols of [80, 120]) {
    it.runIf(ready)(`at ${cols} columns on a terminal`, async () => {
      for (const [what, args] of commands()) {
        const r = await runPty(args, { cols, env: { NO_COLOR: '1' } });
        expect(r.code, `${what}\n${r.out}`).not.toBe(null);
        const whole = what === 'list' ? [D] : what.startsWith('records --for') ? WHOLE.filter((w) => !w.endsWith(D)) : what === 'validate' ? [`${tokens[0]}._domainkey.${D}`] : WHOLE;
        check(r.out, cols, `${what} at ${cols}`, whole);
      }
    }, 60_000);
  }

  it('piped: 100 columns, the same guarantees', async () => {
    for (const [what, args] of commands()) {
      const r = await runCli(args);
      expect(r.code, `${what}\n${r.stderr}`).not.toBe(null);
      const whole = what === 'list' ? [D] : what.startsWith('records --for') ? WHOLE.filter((w) => !w.endsWith(D)) : what === 'validate' ? [`${tokens[0]}._domainkey.${D}`] : WHOLE;
      check(r.stdout, 100, `${what} piped`, whole, what === 'validate');
    }
  }, 60_000);

  it.runIf(ready)('records at 80 columns is stacked: the type and name on one line, the value on the next', async () => {
    const r = await runPty(['records', D, '--config', state], { cols: 80, env: { NO_COLOR: '1' } });
    const lines = plainLines(r.out);
    const at = lines.findIndex((l) => l === `CNAME ${tokens[0]}._domainkey.${D}`);
    expect(at, r.out).toBeGreaterThanOrEqual(0);
    expect(lines[at + 1]!.trim()).toBe(`${tokens[0]}.dkim.amazonses.com`);
    expect(r.out).not.toContain('┌'); // no half-table
  }, 30_000);

  it.runIf(ready)('records at 200 columns is still a boxed table, every row as wide as the border', async () => {
    const r = await runPty(['records', D, '--config', state], { cols: 200, env: { NO_COLOR: '1' } });
    const rows = plainLines(r.out).filter((l) => /^[│┌├└]/.test(l));
    expect(rows.length, r.out).toBeGreaterThan(RECORDS.length * 2);
    expect(new Set(rows.map(displayWidth)).size).toBe(1);
    expect(Math.max(...rows.map(displayWidth))).toBeLessThanOrEqual(200);
  }, 30_000);
});
