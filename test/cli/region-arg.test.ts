/** `add --region` is checked when the command line is read: 64 with a did-you-mean, before any credential or network step. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

describe('add --region', () => {
  it('a misspelt SES region: 64 at once, the nearest region suggested, no credential asked for, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailsetup-region-'));
    try {
      const started = Date.now();
      // No AWS credentials and a dead resolver: either would fail differently if reached.
      const r = await runCli(['add', 'mail.acme.test', '--provider', 'ses', '--region', 'eu-wst-1', '--config', join(dir, 'm.json'), '--resolver', '127.0.0.1:9'], { HOME: dir });
      expect(r.code).toBe(64);
      expect(r.stderr).toMatch(/^error: --region: "eu-wst-1" is not an AWS region \[USAGE\]$/m);
      expect(r.stderr).toMatch(/^hint: Did you mean --region eu-west-1\?/m);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
  it('Mailgun: only us or eu', async () => {
    const r = await runCli(['add', 'mail.acme.test', '--provider', 'mailgun', '--region', 'euu', '--resolver', '127.0.0.1:9']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/Did you mean --region eu\?/);
  });
});
