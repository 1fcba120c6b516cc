/**
 * Amazon SES v2 adapter: the shared contract, then what only SES has (BYODKIM, custom MAIL FROM,
 * receiving MX, regional DKIM zones, status words, the AWS credential chain), all through the real
 * SDK against the loopback emulator.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { easyDkimRecords, mapStatus } from '../../src/providers/ses/convert.js';
import { createSesProvider } from '../../src/providers/ses/index.js';
import type { ProviderContext } from '../../src/providers/types.js';
import { runEmailProviderContract } from '../contract/email-provider.js';
import { SES_FAKE_KEY_ID, startSesEmulator } from '../emulators/ses.js';
import type { SesEmulator } from '../emulators/ses.js';
import { caught } from '../helpers/caught.js';
import { guardEnv } from '../helpers/cli.js';

runEmailProviderContract({ id: 'ses', startEmulator: startSesEmulator, makeProvider: createSesProvider });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ses adapter', () => {
  let emu: SesEmulator;
  const lines: string[] = [];
  const ctx = (over: Partial<ProviderContext> = {}): ProviderContext => ({
    env: { ...emu.env }, timeoutMs: 2000, sleep: async () => {}, debug: (l) => lines.push(l), ...over,
  });
  const ses = (over: Partial<ProviderContext> = {}) => createSesProvider(ctx(over));

  beforeAll(async () => { emu = await startSesEmulator(); });
  afterAll(async () => { await emu.close(); });

  it('never lets the SDK print its Node-version warning (a real process, stderr captured)', async () => {
    const dir = join(ROOT, 'node_modules', '.cache', `ses-warning-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const { build } = await import('esbuild');
      // Bundled the way scripts/build.mjs bundles the CLI (SDK included), so this also proves the
      // adapter loads the SDK from an ESM bundle.
      await build({
        absWorkingDir: ROOT, entryPoints: { ses: 'src/providers/ses/index.ts' }, outdir: dir, outExtension: { '.js': '.mjs' },
        bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent',
        banner: { js: "import { createRequire as __msCreateRequire } from 'node:module'; const require = __msCreateRequire(import.meta.url);" },
      });
      const script = join(dir, 'probe.mjs');
      writeFileSync(script, `const { createSesProvider } = await import(${JSON.stringify(join(dir, 'ses.mjs'))});
        const p = await createSesProvider({ env: JSON.parse(process.argv[2]), timeoutMs: 2000 });
        console.log(JSON.stringify(await p.get('absent.example', 'absent.example')));`);
      // No AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED; the loopback guard and no EC2 metadata, as every child.
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...guardEnv() };
      const ours = await run([script, JSON.stringify(emu.env)], env);
      expect(ours.stderr).toBe('');
      expect(ours.stdout.trim()).toBe('null');
      if (Number(process.versions.node.split('.')[0]) < 22) {
        // Control: the same SDK built directly does warn, so the probe above can see a warning.
        const raw = await run(['--input-type=module', '-e', `const { SESv2Client } = await import('@aws-sdk/client-sesv2'); new SESv2Client({ region: 'us-east-1' });`], env);
        expect(raw.stderr).toContain('NodeVersionSupportWarning');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('BYODKIM: publishes the public key as TXT, hands the private key to SES only', async () => {
    for (const bits of [1024, 2048] as const) {
      lines.length = 0;
      const domain = `byo${bits}.ses.test`;
      const result = await (await ses()).register({ domain, dkim: 'byo', dkimKeySize: bits });
      const dkim = result.identity.records.filter((r) => r.purpose === 'dkim');
      expect(dkim).toHaveLength(1);
      const txt = dkim[0]!;
      expect(txt.type).toBe('TXT');
      expect(txt.name).toMatch(new RegExp(`^mailsetup\\d{8}\\._domainkey\\.${domain.replace(/\./g, '\\.')}$`));
      const p = txt.value.match(/^v=DKIM1; k=rsa; p=([A-Za-z0-9+/=]+)$/)?.[1];
      const pub = createPublicKey({ key: Buffer.from(p!, 'base64'), format: 'der', type: 'spki' });
      expect(pub.asymmetricKeyDetails?.modulusLength).toBe(bits);

      const stored = emu.identity(domain)!;
      expect(stored.origin).toBe('EXTERNAL');
      expect(stored.tokens).toEqual([txt.name.split('.')[0]]);
      expect(stored.keyBits).toBe(bits);
      // The key SES received is the private half of the published key …
      const priv = createPrivateKey({ key: Buffer.from(stored.privateKey!, 'base64'), format: 'der', type: 'pkcs1' });
      expect(createPublicKey(priv).export({ format: 'der', type: 'spki' }).toString('base64')).toBe(p);
      // … and it appears nowhere we return or log.
      expect(`${JSON.stringify(result)} ${lines.join('\n')}`).not.toContain(stored.privateKey!.slice(0, 40));
    }
  });

  it('BYODKIM: a create that timed out but landed is recognised as ours on the retry', async () => {
    // The first attempt times out at 300 ms but SES still processes it at 400 ms; the retry
    // (after a 600 ms wait) then meets AlreadyExists for an identity carrying our selector.
    const p = await ses({ timeoutMs: 300, sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(ms, 600))) });
    emu.fail({ kind: 'slow', delayMs: 400 }, 1);
    const { identity, adopted } = await p.register({ domain: 'byoretry.ses.test', dkim: 'byo', dkimKeySize: 1024 });
    expect(adopted).toBe(false);
    const txt = identity.records.find((r) => r.purpose === 'dkim');
    expect(txt?.type).toBe('TXT');
    expect(emu.identity('byoretry.ses.test')?.tokens).toEqual([txt?.name.split('.')[0]]);
    // The path under test: two creates, the second answered AlreadyExists, then a read-back.
    const mine = emu.requests.filter((r) => r.path.includes('byoretry') || (r.body as { EmailIdentity?: string }).EmailIdentity === 'byoretry.ses.test');
    expect(mine.map((r) => r.method)).toEqual(['POST', 'POST', 'GET', 'PUT']);
  });

  it('custom MAIL FROM: records at <label>.<domain>, the default label is mail, adoption keeps the owner\'s', async () => {
    const p = await ses();
    const { identity } = await p.register({ domain: 'mf.ses.test', mailFrom: 'Bounce' });
    const mx = identity.records.find((r) => r.purpose === 'mail-from-mx');
    const spf = identity.records.find((r) => r.purpose === 'mail-from-spf');
    expect(mx).toMatchObject({ type: 'MX', name: 'bounce.mf.ses.test', value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10 });
    expect(spf).toMatchObject({ type: 'TXT', name: 'bounce.mf.ses.test', value: 'v=spf1 include:amazonses.com ~all', priority: null });
    expect(emu.identity('mf.ses.test')?.mailFrom).toMatchObject({ domain: 'bounce.mf.ses.test', behavior: 'USE_DEFAULT_VALUE' });

    const puts = () => emu.requests.filter((r) => r.method === 'PUT').length;
    const before = puts();
    const again = await p.register({ domain: 'mf.ses.test' });
    expect(again.adopted).toBe(true);
    expect(again.identity.records.find((r) => r.purpose === 'mail-from-mx')?.name).toBe('bounce.mf.ses.test');
    expect(puts()).toBe(before);

    const plain = await p.register({ domain: 'mf2.ses.test' });
    expect(plain.identity.records.filter((r) => r.name === 'mail.mf2.ses.test').map((r) => r.type).sort()).toEqual(['MX', 'TXT']);
    const none = await p.register({ domain: 'mf3.ses.test', mailFrom: '' });
    expect(none.identity.records.some((r) => r.purpose.startsWith('mail-from'))).toBe(false);

    const sent = emu.requests.length;
    expect((await caught(p.register({ domain: 'mf4.ses.test', mailFrom: 'a.b' }))).code).toBe('USAGE');
    expect(emu.requests.length).toBe(sent);
  });

  it('--inbound adds the receiving MX at the domain and says whether the region is known to receive', async () => {
    lines.length = 0;
    const { identity } = await (await ses({ region: 'eu-west-1' })).register({ domain: 'in.ses.test', inbound: true });
    expect(identity.records.find((r) => r.purpose === 'inbound-mx'))
      .toMatchObject({ type: 'MX', name: 'in.ses.test', value: 'inbound-smtp.eu-west-1.amazonaws.com', priority: 10 });
    expect(lines.join('\n')).toMatch(/receives mail in eu-west-1/);
    lines.length = 0;
    await (await ses({ region: 'eu-south-1' })).register({ domain: 'in2.ses.test', inbound: true });
    expect(lines.join('\n')).toMatch(/eu-south-1 is not known/);
  });

  it('the region decides the DKIM zone (from SigningHostedZone), the feedback host and where the identity lives', async () => {
    const south = await (await ses({ region: 'eu-south-1' })).register({ domain: 'region.ses.test' });
    expect(south.identity.region).toBe('eu-south-1');
    const cnames = south.identity.records.filter((r) => r.purpose === 'dkim');
    expect(cnames).toHaveLength(3);
    for (const r of cnames) expect(r.value).toBe(`${r.name.split('.')[0]}.dkim.eu-south-1.amazonses.com`);
    expect(south.identity.records.find((r) => r.type === 'MX')?.value).toBe('feedback-smtp.eu-south-1.amazonses.com');
    expect(emu.identity('region.ses.test', 'eu-south-1')).toBeDefined();
    // SES identities are regional: us-east-1 does not see it.
    expect(await (await ses()).get('region.ses.test', 'region.ses.test')).toBeNull();

    const west = await (await ses({ env: { ...emu.env, AWS_REGION: 'eu-west-1' } })).register({ domain: 'region.ses.test' });
    expect(west.adopted).toBe(false);
    expect(west.identity.records.find((r) => r.purpose === 'dkim')?.value).toMatch(/\.dkim\.amazonses\.com$/);
    // Without SigningHostedZone the regional table is the fallback.
    expect(easyDkimRecords('x.test', { Tokens: ['t1'] }, 'ap-northeast-3')[0]?.value).toBe('t1.dkim.ap-northeast-3.amazonses.com');
  });

  it('maps SES status words, TEMPORARY_FAILURE staying pending with the reason', async () => {
    expect(['SUCCESS', 'FAILED', 'PENDING', 'NOT_STARTED', 'TEMPORARY_FAILURE', undefined].map(mapStatus))
      .toEqual(['verified', 'failed', 'pending', 'pending', 'pending', 'pending']);
    const p = await ses();
    await p.register({ domain: 'status.ses.test' });
    const cases = [
      [{ verification: 'TEMPORARY_FAILURE', dkim: 'TEMPORARY_FAILURE', errorType: 'DNS_SERVER_ERROR' }, 'pending', /TEMPORARY_FAILURE \(DNS_SERVER_ERROR\).*retry/],
      [{ verification: 'FAILED', dkim: 'FAILED', errorType: 'TYPE_NOT_FOUND' }, 'failed', /FAILED \(TYPE_NOT_FOUND\)/],
      [{ verification: 'SUCCESS', dkim: 'SUCCESS', mailFrom: 'FAILED', errorType: '' }, 'verified', /^SUCCESS; MAIL FROM FAILED$/],
    ] as const;
    for (const [state, status, words] of cases) {
      emu.setStatus('status.ses.test', state);
      const got = await p.verify('status.ses.test', 'status.ses.test');
      expect(got.status).toBe(status);
      expect(got.providerState).toMatch(words);
    }
    expect(p.capabilities.triggerVerify).toBe(false);
    expect((await caught(p.verify('nothere.ses.test', 'nothere.ses.test'))).code).toBe('DOMAIN_NOT_FOUND');
  });

  it('single sender: an address identity, percent-encoded in the path, verified once clicked', async () => {
    const p = await ses();
    const first = await p.registerSender!('Someone+tag@Example.COM');
    expect(first).toEqual({ email: 'Someone+tag@example.com', providerId: 'Someone+tag@example.com', status: 'pending' });
    expect(emu.identity('Someone+tag@example.com')?.type).toBe('EMAIL_ADDRESS');
    expect((await p.registerSender!('Someone+tag@example.com')).status).toBe('pending'); // adopts, no error
    expect(emu.requests.some((r) => r.path.endsWith('/Someone%2Btag%40example.com'))).toBe(true);
    emu.setVerified('Someone+tag@example.com');
    expect((await p.checkSender!('Someone+tag@example.com', first.providerId)).status).toBe('verified');
    expect((await caught(p.checkSender!('nobody@example.com', 'nobody@example.com'))).code).toBe('DOMAIN_NOT_FOUND');
  });

  it('region comes from --region, AWS_REGION, AWS_DEFAULT_REGION or the profile; none is a usage error', async () => {
    const { AWS_REGION: _, ...noRegion } = emu.env;
    const byDefault = await (await ses({ env: { ...noRegion, AWS_DEFAULT_REGION: 'ca-west-1' } })).register({ domain: 'r1.ses.test' });
    expect(byDefault.identity.region).toBe('ca-west-1');
    const dir = mkdtempSync(join(tmpdir(), 'ses-cfg-'));
    try {
      writeFileSync(join(dir, 'config'), '[default]\nregion = us-west-1\n[profile work]\nregion = eu-north-1\n');
      writeFileSync(join(dir, 'credentials'), `[work]\naws_access_key_id = ${SES_FAKE_KEY_ID}\naws_secret_access_key = from-profile\n`);
      const files = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
      expect((await (await ses({ env: { ...noRegion, ...files } })).register({ domain: 'r2.ses.test' })).identity.region).toBe('us-west-1');
      // A profile from the files named in ctx.env supplies both region and credentials.
      const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, ...noKeys } = noRegion;
      const viaProfile = await (await ses({ env: { ...noKeys, ...files, AWS_PROFILE: 'work' } })).register({ domain: 'r3.ses.test' });
      expect(viaProfile.identity.region).toBe('eu-north-1');
      const missing = await caught((async () => (await ses({ env: { ...noKeys, ...files, AWS_PROFILE: 'nope', AWS_REGION: 'us-east-1' } })).get('x.test', 'x.test'))());
      expect(missing.code).toBe('PROVIDER_AUTH');
      expect(missing.message).toContain('AWS_PROFILE=nope');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const e = await caught(ses({ env: noRegion }));
    expect(e.code).toBe('USAGE');
    expect(e.hint).toMatch(/--region|AWS_REGION/);
  });

  it('uses ctx.env, not process.env: keys only in process.env are not picked up', async () => {
    const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, ...noKeys } = emu.env;
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = SES_FAKE_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = 'process-env-secret';
    try {
      const e = await caught((async () => (await ses({ env: noKeys })).get('x.test', 'x.test'))());
      expect(e.code).toBe('PROVIDER_AUTH');
      expect(`${e.message} ${e.hint}`).toContain('AWS_ACCESS_KEY_ID');
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID; else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY; else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
    // The global AWS_ENDPOINT_URL works when the service-specific one is absent.
    const { AWS_ENDPOINT_URL_SESV2: url, ...noSesUrl } = emu.env;
    expect(await (await ses({ env: { ...noSesUrl, AWS_ENDPOINT_URL: url! } })).get('x.test', 'x.test')).toBeNull();
  });

  it('retries a reset, not an unreadable body; an IAM deny names the permissions', async () => {
    const p = await ses();
    let before = emu.requests.length;
    emu.fail({ kind: 'reset' }, 1);
    await p.register({ domain: 'blip2.ses.test' });
    expect(emu.requests.length - before).toBe(3); // reset create, create, PUT mail-from

    before = emu.requests.length;
    emu.fail({ kind: 'malformed' }, 5);
    const bad = await caught(p.get('blip2.ses.test', 'blip2.ses.test'));
    emu.fail({ kind: 'malformed' }, 0);
    expect(bad.code).toBe('PROVIDER_UNAVAILABLE');
    expect(emu.requests.length - before).toBe(1);

    emu.fail({ kind: 'forbidden' }, 1);
    const denied = await caught(p.remove('blip2.ses.test', 'blip2.ses.test'));
    expect(denied.code).toBe('PROVIDER_AUTH');
    expect(denied.hint).toContain('ses:DeleteEmailIdentity');
  });
});
