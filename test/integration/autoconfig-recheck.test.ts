/**
 * autoconfig's re-check follows the contract (issue 11, item 4): after a write it checks DNS on the
 * authoritative servers (real BIND9, written through RFC 2136 + TSIG); the provider's verdict is
 * added only when its credentials are configured, and the exit status follows DNS — so a run with
 * DNS-host credentials only, or with provider credentials that are rejected, still exits 0 after a
 * successful write. `--dry-run` and "Nothing to change." never reach the provider (the SendGrid
 * emulator's request log proves it). No AWS credentials anywhere: HOME is an empty directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAMED, requireProgram, startNamed, type RunningServer } from '../helpers/programs.js';
import { DIG, NSUPDATE, dig, nsupdate } from '../helpers/host-harness.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { rec } from '../helpers/zone-builders.js';
import { startSendgridEmulator, type SendgridEmulator } from '../emulators/sendgrid.js';

const ready = requireProgram(NAMED, 'BIND9 named', 'bind9') && requireProgram(DIG, 'dig', 'bind9-dnsutils') && requireProgram(NSUPDATE, 'nsupdate', 'bind9-dnsutils');
const SECRET = Buffer.from('mailsetup-recheck-test-secret-32').toString('base64');
const KEY = `hmac-sha256:recheck-test.:${SECRET}`;
const ZONE = `$TTL 300
@       IN SOA ns1.recheck.test. hostmaster.recheck.test. ( 1 3600 600 86400 60 )
        IN NS  ns1.recheck.test.
ns1     IN A   127.0.0.1
`;
const SES_DOMAIN = 'mail.recheck.test';
const SG_DOMAIN = 'news.recheck.test';

describe.runIf(ready)('autoconfig re-check: DNS decides, the provider only when it can be asked', { timeout: 60_000 }, () => {
  let named: RunningServer;
  let sendgrid: SendgridEmulator;
  let dir: string;
  let home: string;
  const state = (n: string) => join(dir, `${n}.json`);
  // Only what the run needs: the DNS host's credentials, no provider's; no instance metadata.
  const base = () => ({ MAILSETUP_RFC2136_SERVER: named.address, MAILSETUP_TSIG_KEY: KEY, AWS_EC2_METADATA_DISABLED: 'true', HOME: home });
  const dns = () => ['--authoritative', named.address, '--resolver', named.address, '--timeout', '5s'];
  const autoconfig = (d: string, cfg: string, env: Record<string, string>, ...args: string[]) =>
    runCli(['autoconfig', d, '--config', cfg, '--dns', 'rfc2136', ...dns(), ...args], { ...base(), ...env });
  const served = (name: string, type: string) => dig(named, KEY, ['+short', name, type]).sort();

  beforeAll(async () => {
    named = await startNamed({ 'recheck.test': ZONE }, `key "recheck-test." { algorithm hmac-sha256; secret "${SECRET}"; };`, { 'recheck.test': 'update-policy { grant recheck-test. zonesub ANY; };' });
    sendgrid = await startSendgridEmulator();
    dir = mkdtempSync(join(tmpdir(), 'mailsetup-recheck-'));
    home = join(dir, 'home');
    writeFileSync(state('ses'), JSON.stringify({ version: 1, domains: { [SES_DOMAIN]: {
      provider: 'ses', providerId: SES_DOMAIN, region: 'us-east-1', status: 'pending',
      createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z', history: [],
      records: [
        rec({ purpose: 'dkim', type: 'CNAME', name: `tok1._domainkey.${SES_DOMAIN}`, value: 'tok1.dkim.amazonses.com' }),
        rec({ purpose: 'mail-from-mx', type: 'MX', name: `bounce.${SES_DOMAIN}`, value: 'feedback-smtp.us-east-1.amazonses.com' }),
        rec({ purpose: 'mail-from-spf', type: 'TXT', name: `bounce.${SES_DOMAIN}`, value: 'v=spf1 include:amazonses.com ~all' }),
        rec({ purpose: 'dmarc', type: 'TXT', name: `_dmarc.${SES_DOMAIN}`, value: 'v=DMARC1; p=none', source: 'mailsetup' }),
      ],
    } } }, null, 2));
  });
  afterAll(async () => {
    await named?.stop();
    await sendgrid?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('SES without any AWS credentials: --dry-run exits 0 and asks nobody', async () => {
    expect(existsSync(join(home, '.aws'))).toBe(false);
    const r = await autoconfig(SES_DOMAIN, state('ses'), {}, '--dry-run');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('create');
    expect(r.stderr).not.toContain('PROVIDER_AUTH');
    expect(served(`bounce.${SES_DOMAIN}`, 'MX')).toEqual([]);
  });

  it('SES without any AWS credentials: --yes writes, verifies on BIND, exits 0 and says SES was not asked', async () => {
    const r = await autoconfig(SES_DOMAIN, state('ses'), {}, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/mail\.recheck\.test\s+verified\s+\(provider ses: not asked\)/);
    expect(r.stdout).toContain('Amazon SES was not asked: its credentials are not set here (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)).');
    expect(r.stdout).toContain(`To add Amazon SES's verdict: mailsetup verify ${SES_DOMAIN}`);
    expect(served(`tok1._domainkey.${SES_DOMAIN}`, 'CNAME')).toEqual(['tok1.dkim.amazonses.com.']);
    expect(served(`bounce.${SES_DOMAIN}`, 'MX')).toEqual(['10 feedback-smtp.us-east-1.amazonses.com.']);
    expect(served(`bounce.${SES_DOMAIN}`, 'TXT')).toEqual(['"v=spf1 include:amazonses.com ~all"']);
    expect(served(`_dmarc.${SES_DOMAIN}`, 'TXT')).toEqual(['"v=DMARC1; p=none"']);
    // DNS verified is what the state records (as verify --no-provider would).
    expect(JSON.parse(readFileSync(state('ses'), 'utf8')).domains[SES_DOMAIN].status).toBe('verified');
  });

  it('SES without any AWS credentials: the second run is "Nothing to change.", exit 0; --json says why the provider was not asked', async () => {
    const r = await autoconfig(SES_DOMAIN, state('ses'), {}, '--yes', '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = parseJson(r);
    expect(doc.applied).toEqual([]);
    expect(doc.dnsStatus).toBe('verified');
    expect(doc.providerCheck).toMatchObject({ id: 'ses', asked: false, code: null, next: `mailsetup verify ${SES_DOMAIN}` });
    expect(doc.providerCheck.reason).toMatch(/nothing was written/);
    expect(doc.verify).toMatchObject({ status: 'verified', providerStatus: 'unchecked' });
    const human = await autoconfig(SES_DOMAIN, state('ses'), {});
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Nothing to change.');
    // --dry-run with nothing to change stops at the plan: not even the state file is written.
    const before = readFileSync(state('ses'), 'utf8');
    const dry = await autoconfig(SES_DOMAIN, state('ses'), {}, '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(parseJson(dry)).toMatchObject({ dryRun: true, applied: [] });
    expect(readFileSync(state('ses'), 'utf8')).toBe(before);
  });

  it('SES without any AWS credentials: --watch goes on with DNS only and exits 0, no credentials error', async () => {
    const r = await autoconfig(SES_DOMAIN, state('ses'), {}, '--yes', '--watch');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('PROVIDER_AUTH');
    expect(r.stdout).toContain('Amazon SES was not asked');
  });

  describe('SendGrid, its credentials set', () => {
    const good = () => sendgrid.env;
    // A key that is configured but rejected (401): the provider is asked, and refuses.
    const rejected = () => ({ ...sendgrid.env, SENDGRID_API_KEY: 'SG.revoked-key-for-this-test' });

    it('add, then --dry-run: the plan, exit 0, no request to SendGrid', async () => {
      const added = await runCli(['add', SG_DOMAIN, '--provider', 'sendgrid', '--config', state('sg'), ...dns()], { ...base(), ...good() });
      expect(added.code, added.stderr).toBe(0);
      const before = sendgrid.requests.length;
      const r = await autoconfig(SG_DOMAIN, state('sg'), good(), '--dry-run', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(parseJson(r).dryRun).toBe(true);
      expect(sendgrid.requests.length).toBe(before);
    });

    it('credentials rejected: the write succeeds and the run exits 0 (DNS verified), saying SendGrid could not be asked', async () => {
      const r = await autoconfig(SG_DOMAIN, state('sg'), rejected(), '--yes', '--json');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const doc = parseJson(r);
      expect(doc.applied.length).toBeGreaterThan(0);
      expect(doc.dnsStatus).toBe('verified');
      expect(doc.providerCheck).toMatchObject({ id: 'sendgrid', asked: false, code: 'PROVIDER_AUTH', next: `mailsetup verify ${SG_DOMAIN}` });
      expect(doc.providerCheck.reason).toContain('SENDGRID_API_KEY');
      expect(doc.verify.records.every((x: { status: string }) => x.status === 'verified')).toBe(true);
      expect(r.stdout + r.stderr).not.toContain('SG.revoked-key-for-this-test');
      const cname = doc.verify.records.find((x: { type: string }) => x.type === 'CNAME');
      expect(served(cname.name, 'CNAME')).toEqual([`${cname.value}.`]);
    });

    it('"Nothing to change." with good credentials: exit 0, SendGrid not asked', async () => {
      const before = sendgrid.requests.length;
      const r = await autoconfig(SG_DOMAIN, state('sg'), good(), '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('Nothing to change.');
      expect(r.stdout).toContain('SendGrid was not asked: nothing was written');
      expect(sendgrid.requests.length).toBe(before);
    });

    it('after a write with good credentials, SendGrid is asked; its "pending" does not change the exit status', async () => {
      // Remove one record by hand so that there is something to write again.
      const before = sendgrid.requests.length;
      const entry = JSON.parse(readFileSync(state('sg'), 'utf8')).domains[SG_DOMAIN];
      const dmarc = entry.records.find((x: { purpose: string }) => x.purpose === 'dmarc');
      nsupdate(named, KEY, 'recheck.test', [`update delete ${dmarc.name} TXT`]);
      expect(served(dmarc.name, 'TXT')).toEqual([]);
      const r = await autoconfig(SG_DOMAIN, state('sg'), good(), '--yes', '--json');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const doc = parseJson(r);
      expect(doc.applied).toHaveLength(1);
      expect(doc.providerCheck).toMatchObject({ asked: true, reason: null });
      expect(doc.verify.providerStatus).not.toBe('unchecked');
      expect(doc.dnsStatus).toBe('verified');
      expect(sendgrid.requests.length).toBeGreaterThan(before);
    });

    it('add --dmarc reject re-run updates the stored recommendation, and autoconfig then tightens the record it wrote', async () => {
      const name = `_dmarc.${SG_DOMAIN}`;
      expect(served(name, 'TXT')).toEqual(['"v=DMARC1; p=none"']);
      const added = await runCli(['add', SG_DOMAIN, '--provider', 'sendgrid', '--dmarc', 'reject', '--config', state('sg'), ...dns()], { ...base(), ...good() });
      expect(added.code, added.stderr).toBe(0);
      expect(added.stdout).toContain('DMARC: the recommendation changed from "v=DMARC1; p=none" to "v=DMARC1; p=reject"');
      const r = await autoconfig(SG_DOMAIN, state('sg'), good(), '--yes', '--json');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const doc = parseJson(r);
      expect(doc.applied).toEqual([expect.objectContaining({ kind: 'update' })]);
      expect(served(name, 'TXT')).toEqual(['"v=DMARC1; p=reject"']);
    });
  });
});
