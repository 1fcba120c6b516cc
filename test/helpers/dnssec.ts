/**
 * Signed zones for DNSSEC tests, made with BIND's own tools (dnssec-keygen, dnssec-signzone from
 * bind9-utils), and a *validating* unbound on loopback that trusts the test parent's key — so a real
 * resolver sets the AD bit, or answers SERVFAIL for a bogus zone. Nothing leaves loopback: unbound
 * gets a local root and stub zones pointing at the BIND server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUnbound, type RunningServer } from './programs.js';

export const DNSSEC_KEYGEN = ['/usr/bin/dnssec-keygen', '/usr/sbin/dnssec-keygen'].find((p) => existsSync(p)) ?? null;
export const DNSSEC_SIGNZONE = ['/usr/bin/dnssec-signzone', '/usr/sbin/dnssec-signzone'].find((p) => existsSync(p)) ?? null;

export interface ZoneSpec {
  name: string;
  /** Zone-file body after the SOA/NS (relative names, one record a line). */
  body: string;
  signed: boolean;
  /** Sign with signatures that expired long ago: validators find the zone bogus. */
  expired?: boolean;
  /** Children delegated from this zone, and whether their DS goes into it. */
  children?: Array<{ name: string; ds: boolean }>;
}

const header = (zone: string) => `$TTL 300\n@ IN SOA ns.${zone}. h.${zone}. 1 3600 600 86400 60\n@ IN NS ns.${zone}.\nns IN A 127.0.0.1\n`;

/**
 * Zone files for `zones` in a fresh directory, children first: each signed child's DS set goes into
 * its parent when `ds` says so (else the delegation is an island). Returns name → zone-file text and
 * the trust anchor (the first zone's key-signing DNSKEY, as an unbound `trust-anchor:` line).
 */
export function buildSignedZones(zones: ZoneSpec[]): { dir: string; files: Record<string, string>; anchor: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mailsetup-dnssec-'));
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const files: Record<string, string> = {};
  const ksks: Record<string, string> = {};
  // Children before parents: a parent needs its children's DS.
  const order = [...zones].sort((a, b) => b.name.split('.').length - a.name.split('.').length);
  for (const z of order) {
    let text = header(z.name) + z.body + '\n';
    for (const c of z.children ?? []) {
      const rel = c.name.slice(0, -(z.name.length + 1));
      text += `${rel} IN NS ns.${c.name}.\nns.${rel} IN A 127.0.0.1\n`;
      if (c.ds) text += readFileSync(join(dir, `dsset-${c.name}.`), 'utf8').replace(new RegExp(`^${c.name.replace(/\./g, '\\.')}\\.`, 'gm'), `${c.name}.`);
    }
    const file = join(dir, `db.${z.name}`);
    writeFileSync(file, text);
    if (!z.signed) { files[z.name] = text; continue; }
    const ksk = run(DNSSEC_KEYGEN!, ['-K', dir, '-a', 'ECDSAP256SHA256', '-f', 'KSK', '-n', 'ZONE', z.name]);
    run(DNSSEC_KEYGEN!, ['-K', dir, '-a', 'ECDSAP256SHA256', '-n', 'ZONE', z.name]);
    ksks[z.name] = readFileSync(join(dir, `${ksk}.key`), 'utf8').split('\n').find((l) => /DNSKEY/.test(l) && !l.startsWith(';'))!;
    // -P: dnssec-signzone would refuse to write a zone whose signatures do not verify (expired ones).
    const times = z.expired ? ['-P', '-s', '20200101000000', '-e', '20200201000000'] : [];
    run(DNSSEC_SIGNZONE!, ['-S', '-K', dir, '-d', dir, '-o', z.name, '-f', `${file}.signed`, ...times, file]);
    files[z.name] = readFileSync(`${file}.signed`, 'utf8');
  }
  const top = zones[0]!.name;
  return { dir, files, anchor: ksks[top] ?? '' };
}

/** unbound validating with `anchor` for the test zones (each a stub at `upstream`), or, with `validate` false, only iterating. */
export function startValidatingUnbound(zones: string[], upstream: { host: string; port: number }, anchor: string, validate = true): Promise<RunningServer> {
  return startUnbound(zones, upstream, validate ? { trustAnchor: anchor } : {});
}
