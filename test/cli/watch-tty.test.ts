/**
 * watch on a real terminal: run under `script` (util-linux), which gives the CLI a pseudo-terminal.
 * There it must redraw one live view in place (cursor-up + clear escape codes, a spinner) and still
 * exit 0 once everything is verified. Off a terminal the same run prints no escape code at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { BIN, guardEnv } from '../helpers/cli.js';
import { NET_GUARD_MARKER } from '../helpers/net-guard.mjs';
import { requireProgram } from '../helpers/programs.js';

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p)) ?? null;
const ready = requireProgram(SCRIPT, 'script (util-linux)', 'util-linux');

describe.runIf(ready)('watch on a terminal', () => {
  let dns: EmbeddedDns;
  let dir: string;
  const d = 'mail.tty.test';
  beforeAll(async () => {
    const soa = { mname: 'ns.tty.test', rname: 'h.tty.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 };
    dns = await startEmbeddedDns({ records: [{ name: 'tty.test', type: 'SOA', data: soa }] });
    dir = mkdtempSync(join(tmpdir(), 'mailsetup-tty-'));
    writeFileSync(join(dir, 'mailsetup.json'), JSON.stringify({ version: 1, domains: { [d]: {
      provider: 'ses', providerId: d, region: null, status: 'pending', createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
      records: [{ purpose: 'dmarc', type: 'TXT', name: `_dmarc.${d}`, value: 'v=DMARC1; p=none', priority: null, ttl: null, required: true, source: 'mailsetup' }],
    } } }));
    // The record appears two seconds in.
    setTimeout(() => dns.setZone({ records: [{ name: 'tty.test', type: 'SOA', data: { ...soa, serial: 2 } }, { name: `_dmarc.${d}`, type: 'TXT', data: 'v=DMARC1; p=none' }] }), 2000);
  });
  afterAll(async () => { await dns.close(); rmSync(dir, { recursive: true, force: true }); });

  it('redraws a live view with escape codes and exits 0 when verified', async () => {
    const cmd = 'stty cols 120 rows 40; ' + [process.execPath, BIN, 'watch', d, '--config', join(dir, 'mailsetup.json'), '--authoritative', dns.address, '--resolver', dns.address, '--no-provider', '--interval', '1s', '--timeout', '20s']
      .map((a) => `'${a}'`).join(' ');
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(SCRIPT!, ['-qefc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', ...guardEnv() } });
      let buf = '';
      // Never leave a runaway child behind: kill the whole session if it outlives the test.
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.on('data', (x) => { buf += x; if (buf.length > 2_000_000) child.kill('SIGKILL'); });
      child.stderr.on('data', (x) => { buf += x; });
      child.on('close', (c) => { clearTimeout(guard); resolve({ code: c, out: buf }); });
    });
    expect(code, out).toBe(0);
    expect(out).not.toContain(NET_GUARD_MARKER);
    expect(out).toMatch(/\x1b\[\d+A/); // cursor up: the view is redrawn in place
    expect(out).toMatch(/verified/);
    expect(out).toMatch(/next check in 1s/);
  }, 40_000);
});
