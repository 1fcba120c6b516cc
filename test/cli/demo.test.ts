/** `mailsetup demo` is the README's first example and the tool's self-test: it must end verified, offline, fast. */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';

describe('mailsetup demo', () => {
  it('runs add → records → autoconfig → watch to "verified" in under a minute, and cleans up', async () => {
    const started = Date.now();
    const r = await runCli(['demo'], {}, 70_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    for (const step of ['1/4 mailsetup add', '2/4 mailsetup records', '3/4 mailsetup autoconfig', '4/4 mailsetup watch']) expect(r.stdout).toContain(step);
    expect(r.stdout).toContain('SIMULATOR');
    expect(r.stdout).toMatch(/status: pending → verified/);
    expect(r.stdout).toMatch(/✔ mail\.acme\.test verified/);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const state = /state\s+(\S+mailsetup\.json)/.exec(r.stdout)?.[1];
    expect(state).toBeDefined();
    expect(existsSync(state!)).toBe(false);
  }, 90_000);
});
