/**
 * The contract every email-provider adapter passes, against its loopback emulator through the real
 * SDK (STYLE.md §6.3). One function, called once per provider from test/providers/<id>.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailProvider, ProviderContext, ProviderId } from '../../src/providers/types.js';
import { MailsetupError } from '../../src/errors.js';
import type { ProviderEmulator } from '../emulators/types.js';

export interface ContractSetup {
  id: ProviderId;
  startEmulator: () => Promise<ProviderEmulator>;
  makeProvider: (ctx: ProviderContext) => Promise<EmailProvider>;
}

const fastSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 50)));

async function caught(p: Promise<unknown>): Promise<MailsetupError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof MailsetupError)) throw new Error(`expected a MailsetupError, got: ${String((e as Error)?.stack ?? e)}`);
    return e;
  }
  throw new Error('expected the call to fail');
}

export function runEmailProviderContract(setup: ContractSetup): void {
  describe(`${setup.id}: email provider contract`, () => {
    let emu: ProviderEmulator;
    const ctx = (over: Partial<ProviderContext> = {}): ProviderContext => ({
      env: { ...emu.env }, timeoutMs: 2000, sleep: fastSleep, ...over,
    });
    const secretsOf = () => emu.credentialEnv.map((k) => emu.env[k]).filter((v): v is string => !!v && v.length >= 4);

    beforeAll(async () => { emu = await setup.startEmulator(); });
    afterAll(async () => { await emu.close(); });

    it('registers a new domain: pending, normalised records, a DKIM record among them', async () => {
      const p = await setup.makeProvider(ctx());
      const { identity, adopted } = await p.register({ domain: 'mail.contract.test' });
      expect(adopted).toBe(false);
      expect(identity.status).toBe('pending');
      expect(identity.providerId).toEqual(expect.any(String));
      expect(identity.records.some((r) => r.purpose === 'dkim')).toBe(true);
      for (const r of identity.records) {
        expect(r.name).toBe(r.name.toLowerCase());
        expect(r.name.endsWith('.')).toBe(false);
        expect(r.name === 'mail.contract.test' || r.name.endsWith('.mail.contract.test')).toBe(true);
        if (r.type === 'MX') { expect(r.priority).toEqual(expect.any(Number)); expect(r.value).not.toMatch(/^\d+\s/); }
        if (r.type === 'TXT') expect(r.value.startsWith('"')).toBe(false);
        if (r.type === 'CNAME') expect(r.value.endsWith('.')).toBe(false);
        expect(r.source).toBe('provider');
      }
      expect(emu.hasDomain('mail.contract.test')).toBe(true);
    });

    it('adopts a domain the provider already has instead of failing', async () => {
      const p = await setup.makeProvider(ctx());
      const first = await p.get('mail.contract.test', (await p.register({ domain: 'mail.contract.test' })).identity.providerId);
      emu.seed('seeded.contract.test');
      const again = await p.register({ domain: 'mail.contract.test' });
      expect(again.adopted).toBe(true);
      expect(again.identity.providerId).toBe(first?.providerId);
      const seeded = await p.register({ domain: 'seeded.contract.test' });
      expect(seeded.adopted).toBe(true);
      expect(seeded.identity.records.length).toBeGreaterThan(0);
    });

    it('reads the identity back, and sees it verified once the provider does', async () => {
      const p = await setup.makeProvider(ctx());
      const { identity } = await p.register({ domain: 'verify.contract.test' });
      const got = await p.get('verify.contract.test', identity.providerId);
      expect(got?.records.map((r) => `${r.type} ${r.name}`).sort()).toEqual(identity.records.map((r) => `${r.type} ${r.name}`).sort());
      emu.setVerified('verify.contract.test');
      const after = await p.verify('verify.contract.test', identity.providerId);
      expect(after.status).toBe('verified');
      expect((await p.get('verify.contract.test', identity.providerId))?.status).toBe('verified');
    });

    it('removes an identity, and removing it again is not an error', async () => {
      const p = await setup.makeProvider(ctx());
      const { identity } = await p.register({ domain: 'gone.contract.test' });
      await p.remove('gone.contract.test', identity.providerId);
      expect(emu.hasDomain('gone.contract.test')).toBe(false);
      expect(await p.get('gone.contract.test', identity.providerId)).toBeNull();
      await p.remove('gone.contract.test', identity.providerId);
    });

    it('missing credentials → PROVIDER_AUTH (77) naming the variable', async () => {
      const env = { ...emu.env };
      for (const k of emu.credentialEnv) delete env[k];
      const e = await caught((async () => (await setup.makeProvider(ctx({ env }))).register({ domain: 'nokey.contract.test' }))());
      expect(e.code).toBe('PROVIDER_AUTH');
      expect(e.exitCode).toBe(77);
      expect(emu.credentialEnv.some((k) => `${e.message} ${e.hint}`.includes(k))).toBe(true);
    });

    it('rejected credentials → PROVIDER_AUTH (77), and the secret is not in the message', async () => {
      const p = await setup.makeProvider(ctx());
      emu.fail({ kind: 'auth' }, 5);
      const e = await caught(p.register({ domain: 'auth.contract.test' }));
      emu.fail({ kind: 'auth' }, 0);
      expect(e.code).toBe('PROVIDER_AUTH');
      expect(e.exitCode).toBe(77);
      for (const s of secretsOf()) expect(`${e.message} ${e.hint} ${e.stack}`).not.toContain(s);
    });

    it('429 with Retry-After is retried after the wait it asks for', async () => {
      const waits: number[] = [];
      const p = await setup.makeProvider(ctx({ sleep: async (ms) => { waits.push(ms); } }));
      emu.fail({ kind: 'rate-limit', retryAfterSeconds: 2 }, 1);
      const { identity } = await p.register({ domain: 'ratelimit.contract.test' });
      expect(identity.records.length).toBeGreaterThan(0);
      expect(waits.some((w) => w >= 2000)).toBe(true);
    });

    it('429 without Retry-After is retried with backoff', async () => {
      const p = await setup.makeProvider(ctx());
      emu.fail({ kind: 'rate-limit', retryAfterSeconds: null }, 2);
      const { identity } = await p.register({ domain: 'ratelimit2.contract.test' });
      expect(identity.records.length).toBeGreaterThan(0);
    });

    it('a 500 that persists → PROVIDER_UNAVAILABLE (69) after bounded retries', async () => {
      const p = await setup.makeProvider(ctx());
      emu.fail({ kind: 'server-error' }, 50);
      const before = emu.requests.length;
      const e = await caught(p.register({ domain: 'down.contract.test' }));
      emu.fail({ kind: 'server-error' }, 0);
      expect(e.code).toBe('PROVIDER_UNAVAILABLE');
      expect(e.exitCode).toBe(69);
      expect(emu.requests.length - before).toBeGreaterThan(1);
      expect(emu.requests.length - before).toBeLessThan(10);
    });

    it('a single 500 is retried and succeeds', async () => {
      const p = await setup.makeProvider(ctx());
      emu.fail({ kind: 'server-error' }, 1);
      const { identity } = await p.register({ domain: 'blip.contract.test' });
      expect(identity.records.length).toBeGreaterThan(0);
    });

    it('a malformed response body → PROVIDER_UNAVAILABLE, not a crash', async () => {
      const p = await setup.makeProvider(ctx());
      emu.fail({ kind: 'malformed' }, 50);
      const e = await caught(p.get('mail.contract.test', 'mail.contract.test'));
      emu.fail({ kind: 'malformed' }, 0);
      expect(e.code).toBe('PROVIDER_UNAVAILABLE');
    });

    it('a connection reset mid-response → PROVIDER_UNAVAILABLE after retries', async () => {
      const p = await setup.makeProvider(ctx());
      emu.fail({ kind: 'reset' }, 50);
      const e = await caught(p.register({ domain: 'reset.contract.test' }));
      emu.fail({ kind: 'reset' }, 0);
      expect(e.code).toBe('PROVIDER_UNAVAILABLE');
    });

    it('a response slower than --timeout → PROVIDER_UNAVAILABLE saying it timed out', async () => {
      const p = await setup.makeProvider(ctx({ timeoutMs: 300 }));
      emu.fail({ kind: 'slow', delayMs: 2000 }, 50);
      const t0 = Date.now();
      const e = await caught(p.register({ domain: 'slow.contract.test' }));
      emu.fail({ kind: 'slow', delayMs: 0 }, 0);
      expect(e.code).toBe('PROVIDER_UNAVAILABLE');
      expect(e.message).toMatch(/time/i);
      expect(Date.now() - t0).toBeLessThan(8000);
    });
  });
}
