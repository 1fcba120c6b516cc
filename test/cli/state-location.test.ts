/**
 * "Where did my state go?" (issue 12): `add` always names the state file it wrote, and the first
 * write to the per-user fallback (no mailsetup.json here or up to the repository root) says so and
 * suggests `mailsetup init`. The real SendGrid SDK talks to the loopback emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { runCli } from '../helpers/cli.js';
import { startSendgridEmulator, type SendgridEmulator } from '../emulators/sendgrid.js';
import { soa } from '../helpers/zone-builders.js';

describe('add says where the state lives', { timeout: 30_000 }, () => {
  let dns: EmbeddedDns;
  let emu: SendgridEmulator;
  let home: string;
  beforeAll(async () => {
    dns = await startEmbeddedDns({ records: [soa('where.test')] });
    emu = await startSendgridEmulator();
    home = mkdtempSync(join(tmpdir(), 'mailsetup-home-'));
  });
  afterAll(async () => { await dns?.close(); await emu?.close(); rmSync(home, { recursive: true, force: true }); });

  it('first write to the XDG fallback: says it plainly and suggests init; the next one names the file', async () => {
    const env = { ...emu.env, HOME: home, XDG_CONFIG_HOME: '' };
    const xdg = join(home, '.config', 'mailsetup', 'config.json');
    const first = await runCli(['add', 'mail.where.test', '--provider', 'sendgrid', '--resolver', dns.address, '--timeout', '1s'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(xdg)).toBe(true);
    expect(first.stderr).toContain(`Created ${xdg}: no mailsetup.json was found`);
    expect(first.stderr).toMatch(/run "mailsetup init" there/);
    const again = await runCli(['add', 'mail.where.test', '--provider', 'sendgrid', '--resolver', dns.address, '--timeout', '1s'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`Saved in ${xdg}.`);
    expect(again.stderr).not.toMatch(/mailsetup init/);
  });

  it('without --provider: the stored provider on a re-run, else init\'s default, else 64 naming both ways', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailsetup-default-'));
    try {
      const cfg = join(dir, 'mailsetup.json');
      const base = ['--config', cfg, '--resolver', dns.address, '--timeout', '1s'];
      const before = emu.calls.length;
      // No state file yet, no flag: refused before any provider is built or any file is written.
      const none = await runCli(['add', 'mail.where.test', ...base], emu.env);
      expect(none.code).toBe(64);
      expect(none.stderr).toMatch(/add needs a provider/);
      expect(none.stderr).toMatch(/--provider ses, sendgrid, mailgun or resend/);
      expect(none.stderr).toMatch(/mailsetup init --provider/);
      expect(existsSync(cfg)).toBe(false);
      expect(emu.calls).toHaveLength(before);

      expect((await runCli(['init', '--provider', 'sendgrid', '--config', cfg], emu.env)).code).toBe(0);
      const first = await runCli(['add', 'mail.where.test', '--json', ...base], emu.env);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ domain: 'mail.where.test', provider: 'sendgrid' });
      expect(emu.calls.length).toBeGreaterThan(before);

      // A re-run that only tightens DMARC needs no --provider: the stored one is used.
      const again = await runCli(['add', 'mail.where.test', '--dmarc', 'reject', '--json', ...base], emu.env);
      expect(again.code, again.stderr).toBe(0);
      const doc = JSON.parse(again.stdout) as { provider: string; records: Array<{ purpose: string; value: string }> };
      expect(doc.provider).toBe('sendgrid');
      expect(doc.records.find((r) => r.purpose === 'dmarc')?.value).toMatch(/p=reject/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
