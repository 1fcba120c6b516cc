/**
 * `add` and DMARC (issue 11, item 5; DESIGN.md `add`): the DMARC record `add` recommends is decided
 * from the policy in force, looked up live (the embedded DNS server over the wire): never a record at
 * a name that already holds DMARC (unless it is mailsetup's own, to tighten it), never a policy
 * weaker than the one in force there or inherited from the organisational domain, nothing blind
 * when DNS does not answer; re-running `add --dmarc quarantine|reject` updates the stored
 * recommendation. The real SendGrid SDK talks to the loopback emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { txt } from '../helpers/zone-builders.js';
import { startSendgridEmulator, type SendgridEmulator } from '../emulators/sendgrid.js';

type Rec = { purpose: string; name: string; value: string; required: boolean; source: string };

describe('add proposes DMARC only where it neither duplicates nor weakens a policy', { timeout: 30_000 }, () => {
  let dns: EmbeddedDns;
  let emu: SendgridEmulator;
  let dir: string;
  let state: string;
  const add = (d: string, ...args: string[]) =>
    runCli(['add', d, '--provider', 'sendgrid', '--config', state, '--resolver', dns.address, '--timeout', '1s', ...args], { ...emu.env, AWS_EC2_METADATA_DISABLED: 'true' });
  const stored = (d: string): Rec[] => JSON.parse(readFileSync(state, 'utf8')).domains[d].records;
  const dmarcOf = (d: string): Rec | undefined => stored(d).find((r) => r.purpose === 'dmarc');

  beforeAll(async () => {
    dns = await startEmbeddedDns({
      records: [
        txt('_dmarc.acme.test', 'v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.test'),
        txt('_dmarc.mail.foreign.test', 'v=DMARC1; p=none'),
        txt('_dmarc.two.test', 'v=DMARC1; p=none'),
        txt('_dmarc.two.test', 'v=DMARC1; p=reject'),
        txt('_dmarc.strict.test', 'v=DMARC1; p=none; sp=reject'),
      ],
      faults: [{ name: '_dmarc.mail.down.test', fault: 'servfail' }],
    });
    emu = await startSendgridEmulator();
    dir = mkdtempSync(join(tmpdir(), 'mailsetup-add-dmarc-'));
    state = join(dir, 'mailsetup.json');
  });
  afterAll(async () => {
    await dns?.close();
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an apex whose _dmarc already says p=quarantine: no DMARC record proposed there', async () => {
    const r = await add('acme.test');
    expect(r.code, r.stderr).toBe(0);
    expect(dmarcOf('acme.test')).toBeUndefined();
    expect(stored('acme.test').length).toBeGreaterThan(0); // the provider's records are there
    expect(r.stdout).toContain('DMARC: _dmarc.acme.test already holds a DMARC record (p=quarantine); no DMARC record is proposed there');
    expect(r.stdout).not.toMatch(/_dmarc\.acme\.test\s.*p=none/);
    // Asking for a stricter policy still proposes no second record: the owner edits theirs.
    const strict = await add('acme.test', '--dmarc', 'reject');
    expect(strict.code, strict.stderr).toBe(0);
    expect(dmarcOf('acme.test')).toBeUndefined();
    expect(strict.stdout).toContain('To move to p=reject, edit that record.');
  });

  it('a subdomain covered by the apex\'s p=quarantine: no p=none (nor p=quarantine) proposal; --dmarc reject is proposed', async () => {
    const r = await add('mail.acme.test', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson(r);
    expect(doc.records.some((x: Rec) => x.purpose === 'dmarc')).toBe(false);
    expect(doc.notes).toContainEqual(expect.objectContaining({ kind: 'dmarc-covered', by: '_dmarc.acme.test', policy: 'quarantine', proposed: false }));
    expect(dmarcOf('mail.acme.test')).toBeUndefined();

    expect((await add('mail.acme.test', '--dmarc', 'quarantine')).code).toBe(0);
    expect(dmarcOf('mail.acme.test')).toBeUndefined();

    const strict = await add('mail.acme.test', '--dmarc', 'reject');
    expect(strict.code, strict.stderr).toBe(0);
    expect(dmarcOf('mail.acme.test')).toMatchObject({ name: '_dmarc.mail.acme.test', value: 'v=DMARC1; p=reject', required: true, source: 'mailsetup' });
    expect(strict.stdout).toContain('makes it stricter (p=reject)');
    // A later add without --dmarc keeps the stricter recommendation instead of falling back to p=none.
    expect((await add('mail.acme.test')).code).toBe(0);
    expect(dmarcOf('mail.acme.test')?.value).toBe('v=DMARC1; p=reject');
  });

  it('an inherited sp=reject is in force even though the parent\'s p=none: nothing weaker proposed', async () => {
    const r = await add('mail.strict.test', '--dmarc', 'quarantine');
    expect(r.code, r.stderr).toBe(0);
    expect(dmarcOf('mail.strict.test')).toBeUndefined();
  });

  it('a name holding a record mailsetup did not write, or several: nothing proposed there', async () => {
    const foreign = await add('mail.foreign.test', '--dmarc', 'reject');
    expect(foreign.code, foreign.stderr).toBe(0);
    expect(dmarcOf('mail.foreign.test')).toBeUndefined();
    const two = await add('two.test', '--json');
    expect(two.code, two.stderr).toBe(0);
    expect(dmarcOf('two.test')).toBeUndefined();
    expect(parseJson(two).notes).toContainEqual(expect.objectContaining({ kind: 'dmarc-exists', at: '_dmarc.two.test', count: 2 }));
  });

  it('re-running add --dmarc reject updates the stored recommendation (adopting, not re-registering), keeping its rua', async () => {
    const first = await add('mail.tighten.test', '--dmarc-rua', 'mailto:reports@tighten.test', '--json');
    expect(first.code, first.stderr).toBe(0);
    const firstDoc = parseJson(first);
    expect(firstDoc.adopted).toBe(false);
    expect(dmarcOf('mail.tighten.test')?.value).toBe('v=DMARC1; p=none; rua=mailto:reports@tighten.test');
    const others = stored('mail.tighten.test').filter((x) => x.purpose !== 'dmarc');

    const again = await add('mail.tighten.test', '--dmarc', 'reject', '--json');
    expect(again.code, again.stderr).toBe(0);
    const doc = parseJson(again);
    expect(doc.adopted).toBe(true);
    expect(doc.providerId).toBe(firstDoc.providerId);
    expect(doc.notes).toContainEqual({ kind: 'dmarc-updated', from: 'v=DMARC1; p=none; rua=mailto:reports@tighten.test', to: 'v=DMARC1; p=reject; rua=mailto:reports@tighten.test' });
    expect(dmarcOf('mail.tighten.test')).toMatchObject({ value: 'v=DMARC1; p=reject; rua=mailto:reports@tighten.test', required: true });
    expect(stored('mail.tighten.test').filter((x) => x.purpose !== 'dmarc')).toEqual(others);
    const human = await add('mail.tighten.test', '--dmarc', 'quarantine');
    expect(human.stdout).toContain('DMARC: the recommendation changed from "v=DMARC1; p=reject; rua=mailto:reports@tighten.test" to "v=DMARC1; p=quarantine; rua=mailto:reports@tighten.test"; mailsetup autoconfig mail.tighten.test publishes it');
  });

  it('mailsetup\'s own published policy is tightened on request and never loosened', async () => {
    // As after `autoconfig`: p=none is live at the name, and the state says mailsetup wrote it.
    expect((await add('mail.owned.test')).code).toBe(0);
    expect(dmarcOf('mail.owned.test')?.value).toBe('v=DMARC1; p=none');
    dns.setZone({ records: [txt('_dmarc.mail.owned.test', 'v=DMARC1; p=none')] });
    const s = JSON.parse(readFileSync(state, 'utf8'));
    s.domains['mail.owned.test'].applied = [{ type: 'TXT', name: '_dmarc.mail.owned.test', value: 'v=DMARC1; p=none', priority: null }];
    writeFileSync(state, JSON.stringify(s, null, 2));

    const up = await add('mail.owned.test', '--dmarc', 'quarantine');
    expect(up.code, up.stderr).toBe(0);
    expect(dmarcOf('mail.owned.test')?.value).toBe('v=DMARC1; p=quarantine');

    // Now quarantine is live and ours: asking p=none keeps it.
    dns.setZone({ records: [txt('_dmarc.mail.owned.test', 'v=DMARC1; p=quarantine')] });
    s.domains['mail.owned.test'] = { ...JSON.parse(readFileSync(state, 'utf8')).domains['mail.owned.test'], applied: [{ type: 'TXT', name: '_dmarc.mail.owned.test', value: 'v=DMARC1; p=quarantine', priority: null }] };
    writeFileSync(state, JSON.stringify(s, null, 2));
    const down = await add('mail.owned.test', '--dmarc', 'none');
    expect(down.code, down.stderr).toBe(0);
    expect(dmarcOf('mail.owned.test')?.value).toBe('v=DMARC1; p=quarantine');
    expect(down.stdout).toContain('is stricter than p=none, and is kept');
  });

  it('DNS does not answer for _dmarc: says so, proposes nothing blind, and keeps an earlier recommendation', async () => {
    dns.setZone({ records: [], faults: [{ name: '_dmarc.mail.down.test', fault: 'servfail' }] });
    const r = await add('mail.down.test');
    expect(r.code, r.stderr).toBe(0);
    expect(dmarcOf('mail.down.test')).toBeUndefined();
    expect(r.stdout).toContain('DMARC: DNS did not answer, so the policy in force could not be looked up; no DMARC record is proposed');

    dns.setZone({ records: [] });
    expect((await add('mail.down.test', '--dmarc', 'quarantine')).code).toBe(0);
    expect(dmarcOf('mail.down.test')?.value).toBe('v=DMARC1; p=quarantine');
    dns.setZone({ records: [], faults: [{ name: '_dmarc.mail.down.test', fault: 'servfail' }] });
    const blind = await add('mail.down.test', '--dmarc', 'none');
    expect(blind.code).toBe(0);
    expect(dmarcOf('mail.down.test')?.value).toBe('v=DMARC1; p=quarantine');
    expect(blind.stdout).toContain('the stored DMARC recommendation was left as it was');
  });
});
