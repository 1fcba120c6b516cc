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
import { replayScreen, runPty } from '../helpers/pty.js';

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

  it('at 80 columns with lines that wrap: each redraw clears exactly what it printed (no stale copy)', async () => {
    // A name longer than the terminal (one token, so it cannot be laid out shorter): every line
    // holding it wraps. It appears 2 s in, so the view is redrawn several times before it verifies.
    const long = `${'k'.repeat(60)}._domainkey.${'l'.repeat(20)}.${d}`;
    const soa = { mname: 'ns.tty.test', rname: 'h.tty.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 };
    const wrapDns = await startEmbeddedDns({ records: [{ name: 'tty.test', type: 'SOA', data: soa }, { name: `_dmarc.${d}`, type: 'TXT', data: 'v=DMARC1; p=none' }] });
    const state = join(dir, 'wrap.json');
    writeFileSync(state, JSON.stringify({ version: 1, domains: { [d]: {
      provider: 'ses', providerId: d, region: null, status: 'pending', createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
      records: [
        { purpose: 'dmarc', type: 'TXT', name: `_dmarc.${d}`, value: 'v=DMARC1; p=none', priority: null, ttl: null, required: true, source: 'mailsetup' },
        { purpose: 'dkim', type: 'CNAME', name: long, value: 'k1.dkim.provider.test', priority: null, ttl: null, required: true, source: 'provider' },
      ],
    } } }));
    const timer = setTimeout(() => wrapDns.setZone({ records: [{ name: 'tty.test', type: 'SOA', data: { ...soa, serial: 2 } }, { name: `_dmarc.${d}`, type: 'TXT', data: 'v=DMARC1; p=none' }, { name: long, type: 'CNAME', data: 'k1.dkim.provider.test' }] }), 3500);
    try {
      const r = await runPty(['watch', d, '--config', state, '--authoritative', wrapDns.address, '--resolver', wrapDns.address, '--no-provider', '--interval', '1s', '--timeout', '20s'],
        { cols: 80, rows: 60, env: { NO_COLOR: '1' } });
      expect(r.code, r.out).toBe(0);
      expect(r.out.match(/\x1b\[\d+A/g)?.length ?? 0, r.out).toBeGreaterThanOrEqual(2); // redrawn at least twice
      const screen = replayScreen(r.out, 80);
      // What a person sees at the end: one copy of the view, the final one.
      expect(screen.filter((l) => l.startsWith(`${d}  `)), screen.join('\n')).toHaveLength(1);
      // The long name: once in the record's line, once in "changed: … missing → verified".
      expect(screen.filter((l) => /k{60}/.test(l)), screen.join('\n')).toHaveLength(2);
      expect(screen.filter((l) => /\bmissing\b/.test(l) && !/missing → verified/.test(l)), screen.join('\n')).toEqual([]);
      expect(screen.join('\n')).toMatch(/All verified/);
    } finally {
      clearTimeout(timer);
      await wrapDns.close();
    }
  }, 40_000);
});
