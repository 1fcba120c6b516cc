/**
 * verify --refresh re-reads the record list from the provider (SES emulator, real SDK): rotated
 * Easy DKIM tokens replace the stored ones, while records the provider never reports back (a
 * BYODKIM public key, mailsetup's DMARC) are kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { startSesEmulator, type SesEmulator } from '../emulators/ses.js';
import { parseJson, runCli } from '../helpers/cli.js';

let dns: EmbeddedDns;
let ses: SesEmulator;
let dir: string;
beforeAll(async () => {
  dns = await startEmbeddedDns({ records: [{ name: 'refresh.test', type: 'SOA', data: { mname: 'ns.refresh.test', rname: 'h.refresh.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } }] });
  ses = await startSesEmulator();
  dir = mkdtempSync(join(tmpdir(), 'mailsetup-refresh-'));
});
afterAll(async () => { await dns.close(); await ses.close(); rmSync(dir, { recursive: true, force: true }); });

const cli = (state: string, ...args: string[]) => runCli([...args, '--config', state, '--resolver', dns.address, '--authoritative', dns.address, '--timeout', '5s'], ses.env);
const names = (state: string, d: string) => (JSON.parse(readFileSync(state, 'utf8')).domains[d].records as Array<{ purpose: string; type: string; name: string }>).map((r) => `${r.purpose} ${r.type} ${r.name}`).sort();

describe('verify --refresh', () => {
  it('replaces rotated Easy DKIM tokens with the provider\'s current ones', async () => {
    const state = join(dir, 'easy.json');
    const d = 'mail.refresh.test';
    expect((await cli(state, 'add', d, '--provider', 'ses')).code).toBe(0);
    const before = names(state, d);
    const identity = ses.identity(d)!;
    identity.tokens = identity.tokens.map((t) => `rotated${t.slice(7)}`);
    const r = await cli(state, 'verify', d, '--refresh', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson(r);
    const dkim = doc.records.filter((x: { purpose: string }) => x.purpose === 'dkim').map((x: { name: string }) => x.name);
    expect(dkim).toHaveLength(3);
    for (const n of dkim) expect(n).toMatch(/^rotated/);
    expect(doc.records.some((x: { purpose: string }) => x.purpose === 'dmarc')).toBe(true);
    expect(before.filter((x) => x.startsWith('dkim')).every((x) => !x.includes('rotated'))).toBe(true);
    // Saved: the state file now holds the current tokens.
    expect(names(state, d).filter((x) => x.startsWith('dkim')).every((x) => x.includes('rotated'))).toBe(true);
  });

  it('keeps a BYODKIM public key the provider never reports back', async () => {
    const state = join(dir, 'byo.json');
    const d = 'byo.refresh.test';
    expect((await cli(state, 'add', d, '--provider', 'ses', '--dkim', 'byo')).code).toBe(0);
    const r = await cli(state, 'verify', d, '--refresh', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson(r);
    const key = doc.records.find((x: { purpose: string; type: string }) => x.purpose === 'dkim' && x.type === 'TXT');
    expect(key?.value).toMatch(/^v=DKIM1; k=rsa; p=/);
  });
});
