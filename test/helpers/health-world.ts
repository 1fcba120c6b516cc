/**
 * A world for `health` and `warmup` tests: the four provider emulators, one embedded DNS server
 * authoritative for every test domain, and a state file per test. Every domain stores the SES-style
 * records of `sesWanted` whatever its provider (DNS is checked as `verify --no-provider`, against the
 * stored records), and the zone serves them unless the domain is listed in `dnsMissing`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDns, type EmbeddedDns } from '../../src/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/dns/zone.js';
import { startMailgunEmulator, type MailgunEmulator } from '../emulators/mailgun.js';
import { startResendEmulator, type ResendEmulator } from '../emulators/resend.js';
import { startSendgridEmulator, type SendgridEmulator } from '../emulators/sendgrid.js';
import { startSesEmulator, type SesEmulator } from '../emulators/ses.js';
import { runCli, type CliResult } from './cli.js';
import { sesPublished, sesWanted, soa } from './zone-builders.js';

export type Provider = 'ses' | 'sendgrid' | 'mailgun' | 'resend';

export interface HealthWorld {
  ses: SesEmulator;
  sendgrid: SendgridEmulator;
  mailgun: MailgunEmulator;
  resend: ResendEmulator;
  dns: EmbeddedDns;
  dir: string;
  /** Every emulator's environment at once (each provider reads its own variables). */
  env: Record<string, string>;
  /** A fresh state file holding `domains` (name → provider), with extra per-domain fields. */
  state(domains: Record<string, Provider>, extra?: Record<string, Record<string, unknown>>): string;
  run(args: string[], state: string, env?: Record<string, string | undefined>): Promise<CliResult>;
  close(): Promise<void>;
}

/** `domains` are served correctly by the DNS server unless in `dnsMissing`. */
export async function startHealthWorld(domains: string[], dnsMissing: string[] = []): Promise<HealthWorld> {
  const [ses, sendgrid, mailgun, resend] = await Promise.all([startSesEmulator(), startSendgridEmulator(), startMailgunEmulator(), startResendEmulator()]);
  const records: ZoneRecord[] = [];
  for (const d of domains) {
    const zone = d.split('.').slice(-2).join('.');
    if (!records.some((r) => r.type === 'SOA' && r.name === zone)) records.push(soa(zone));
    if (!dnsMissing.includes(d)) records.push(...sesPublished(d));
  }
  const dns = await startEmbeddedDns({ records });
  const dir = mkdtempSync(join(tmpdir(), 'mailsetup-health-'));
  let n = 0;
  const env = { ...ses.env, ...sendgrid.env, ...mailgun.env, ...resend.env, AWS_EC2_METADATA_DISABLED: 'true' };
  return {
    ses, sendgrid, mailgun, resend, dns, dir, env,
    state(map, extra = {}) {
      const at = '2026-11-30T00:00:00.000Z';
      const entries = Object.fromEntries(Object.entries(map).map(([d, provider]) => {
        if (provider === 'mailgun') mailgun.seed(d);
        if (provider === 'resend') resend.seed(d);
        const providerId = provider === 'resend' ? resend.idOf(d) : provider === 'sendgrid' ? '17' : d;
        return [d, { provider, providerId, region: provider === 'ses' ? 'us-east-1' : null, records: sesWanted(d), status: 'verified', createdAt: at, updatedAt: at, history: [], ...(extra[d] ?? {}) }];
      }));
      const file = join(dir, `state-${++n}.json`);
      writeFileSync(file, JSON.stringify({ version: 1, domains: entries }, null, 2) + '\n');
      return file;
    },
    run(args, state, extraEnv = {}) {
      const e: Record<string, string> = { ...env };
      for (const [k, v] of Object.entries(extraEnv)) { if (v === undefined) delete e[k]; else e[k] = v; }
      return runCli([...args, '--config', state, '--authoritative', dns.address, '--resolver', dns.address, '--timeout', '3s'], e, 60_000);
    },
    async close() {
      await Promise.all([ses.close(), sendgrid.close(), mailgun.close(), resend.close(), dns.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const readText = (file: string): string => readFileSync(file, 'utf8');
