/**
 * The autoconfig plan rules (test/contract/autoconfig-plan.ts) over every writer: Cloudflare, Route 53
 * and ResellerClub against their loopback emulators through the real SDKs, RFC 2136 against real
 * BIND9. Half-way failures: emulator faults from the second write on; Route 53's one atomic
 * ChangeBatch lost; BIND with a key whose update-policy allows TXT and CNAME but not MX (one UPDATE:
 * nothing lands).
 */
import { afterAll, beforeAll } from 'vitest';
import { createCloudflareWriter } from '../../src/dns-hosts/cloudflare/index.js';
import { createResellerclubWriter } from '../../src/dns-hosts/resellerclub/index.js';
import { createRfc2136Writer, SERVER_ENV } from '../../src/dns-hosts/rfc2136/index.js';
import { TSIG_ENV } from '../../src/dns-hosts/rfc2136/tsig.js';
import { createRoute53Writer } from '../../src/dns-hosts/route53/index.js';
import { runAutoconfigContract } from '../contract/autoconfig-plan.js';
import type { DnsHostEmulator } from '../emulators/dns-host-types.js';
import { bindHarness, bindKeyStanza, bindZoneFile, cloudflareHarness, DIG, NSUPDATE, resellerclubHarness, route53Harness, type EmulatorHarness } from '../helpers/host-harness.js';
import { NAMED, requireProgram, startNamed, type RunningServer } from '../helpers/programs.js';

const ZONE = 'plan.test';
const serverError = { kind: 'server-error' } as const;

/** An emulator harness whose partial failure is HTTP 500 on every request after the first write. */
const failingAfterFirstWrite = <E extends DnsHostEmulator>(h: EmulatorHarness<E>) => ({
  ...h, authoritative: [],
  partial: {
    how: 'HTTP 500 on every request after the first write', lands: 1,
    arm: async () => { h.emulator.fail(serverError, 1000, 1); return null; },
    disarm: async () => h.emulator.fail(serverError, 0),
  },
});

runAutoconfigContract({
  id: 'cloudflare',
  makeWriter: createCloudflareWriter,
  makeHarness: async () => failingAfterFirstWrite(await cloudflareHarness(ZONE)),
});

runAutoconfigContract({
  id: 'route53',
  makeWriter: createRoute53Writer,
  async makeHarness() {
    const h = await route53Harness(ZONE);
    const emu = h.emulator;
    return {
      ...h, authoritative: [],
      partial: {
        // One apply is one atomic ChangeBatch: when it is lost, nothing of it landed.
        how: 'the ChangeBatch fails with HTTP 500, and so does every retry', lands: 0,
        arm: async () => {
          emu.beforeNextChange(() => { emu.fail(serverError, 1000); throw new Error('injected: this ChangeBatch is lost'); });
          return null;
        },
        disarm: async () => { emu.fail(serverError, 0); emu.beforeNextChange(() => {}); },
      },
    };
  },
});

runAutoconfigContract({
  id: 'resellerclub',
  makeWriter: createResellerclubWriter,
  makeHarness: async () => failingAfterFirstWrite(await resellerclubHarness(ZONE)),
});

// RFC 2136: BIND with two keys on the zone — one may write anything, the other only TXT and CNAME.
const FULL_KEY = `hmac-sha256:plan-full.:${Buffer.from('mailsetup-plan-test-full-key-32b').toString('base64')}`;
const TXT_KEY = `hmac-sha256:plan-txt.:${Buffer.from('mailsetup-plan-test-txt-key-32by').toString('base64')}`;
const hasBind = requireProgram(NAMED, 'BIND9 named', 'bind9') && requireProgram(NSUPDATE, 'nsupdate', 'bind9-dnsutils') && requireProgram(DIG, 'dig', 'bind9-dnsutils');
let named: RunningServer | undefined;

beforeAll(async () => {
  if (!hasBind) return;
  named = await startNamed(
    { [ZONE]: bindZoneFile(ZONE) },
    `${bindKeyStanza(FULL_KEY)}\n${bindKeyStanza(TXT_KEY)}`,
    { [ZONE]: 'update-policy { grant plan-full. zonesub ANY; grant plan-txt. zonesub TXT CNAME; }; allow-transfer { key "plan-full."; };' },
  );
});
afterAll(async () => { await named?.stop(); });

if (hasBind) {
  runAutoconfigContract({
    id: 'rfc2136',
    makeWriter: createRfc2136Writer,
    async makeHarness() {
      const server = named!;
      const env = { [SERVER_ENV]: server.address, [TSIG_ENV]: FULL_KEY };
      return {
        ...bindHarness(server, FULL_KEY, TSIG_ENV, env, ZONE),
        authoritative: [server.address],
        partial: {
          // The fresh domain's changes (CNAME, CNAME, MX, TXT, TXT) go in one UPDATE: BIND refuses the
          // MX, so the whole message, and nothing lands.
          how: 'a key the update-policy allows TXT and CNAME only (REFUSED: the MX in the one UPDATE)', lands: 0,
          arm: async () => createRfc2136Writer({ env: { ...env, [TSIG_ENV]: TXT_KEY }, timeoutMs: 5000 }),
          disarm: async () => {},
        },
      };
    },
  });
}
