/**
 * The GitHub Action (action.yml → action/run.sh) run the way Actions runs it: inputs as INPUT_*
 * environment variables, GITHUB_ACTIONS=true, bash. MAILSETUP_CMD points the script at this
 * build instead of `npx mailsetup@<version>`; everything else is the script as shipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { BIN, guardEnv } from '../helpers/cli.js';
import { sesPublished, soa, stateFor } from '../helpers/zone-builders.js';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'action', 'run.sh');
let dns: EmbeddedDns;
let dir: string;

beforeAll(async () => {
  // mail.ok.test is published in full; mail.half.test lacks its DKIM CNAME.
  dns = await startEmbeddedDns({
    records: [soa('ok.test'), ...sesPublished('mail.ok.test'), soa('half.test'), ...sesPublished('mail.half.test').filter((r) => r.type !== 'CNAME')],
  });
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-action-'));
});
afterAll(async () => { await dns.close(); rmSync(dir, { recursive: true, force: true }); });

function runAction(inputs: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', GITHUB_ACTIONS: 'true', ...guardEnv(),
      MAILSETUP_CMD: `${process.execPath} ${BIN}`,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase().replace(/-/g, '_')}`, v])),
    };
    const child = spawn('bash', [SCRIPT], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('action.yml', () => {
  it('declares the inputs and hands them to run.sh as environment variables, not as script text', () => {
    const action = loadYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default: string }>; runs: { using: string; steps: Array<{ run: string; env: Record<string, string> }> };
    };
    expect(Object.keys(action.inputs).sort()).toEqual(['args', 'config', 'domains', 'no-provider', 'version']);
    expect(action.inputs.domains!.default).toBe('all');
    expect(action.runs.using).toBe('composite');
    const step = action.runs.steps[0]!;
    expect(step.run).toBe('bash "${{ github.action_path }}/action/run.sh"');
    expect(step.env.INPUT_DOMAINS).toBe('${{ inputs.domains }}');
    expect(step.env.INPUT_NO_PROVIDER).toBe('${{ inputs.no-provider }}');
  });
});

describe('action/run.sh under GITHUB_ACTIONS=true', () => {
  const base = () => ({ 'no-provider': 'true', args: `--resolver ${dns.address} --authoritative ${dns.address} --timeout 2s` });

  it('every record served → the step passes (exit 0)', async () => {
    const config = join(dir, 'ok.json');
    writeFileSync(config, stateFor(['mail.ok.test']));
    const r = await runAction({ ...base(), domains: 'mail.ok.test', config });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).not.toMatch(/^::(error|warning)/m);
  });

  it('"all" with a record missing → the step fails with exit 1 and a ::warning annotation naming it', async () => {
    const config = join(dir, 'all.json');
    writeFileSync(config, stateFor(['mail.ok.test', 'mail.half.test']));
    const r = await runAction({ ...base(), domains: 'all', config });
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^::warning title=missing: CNAME tok1\._domainkey\.mail\.half\.test::/m);
  });

  it('a domain list cannot inject a command: it is passed as arguments', async () => {
    const config = join(dir, 'inj.json');
    writeFileSync(config, stateFor(['mail.ok.test']));
    const marker = join(dir, 'pwned');
    const r = await runAction({ ...base(), domains: `mail.ok.test;touch ${marker} $(touch ${marker})`, config });
    expect(r.code).toBe(64);
    expect(() => readFileSync(marker)).toThrow();
  });
});
