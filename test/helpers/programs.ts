/**
 * Real DNS servers for interop tests: BIND9 `named` (authoritative) and `unbound` (caching
 * resolver), each started on a free loopback port in a fresh temp directory. When a program is
 * missing, tests say so loudly; under CI=true a missing program is a failure, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import { query } from '../../src/dns/wire.js';

export const NAMED = ['/usr/sbin/named', '/usr/bin/named'].find((p) => existsSync(p)) ?? null;
export const UNBOUND = ['/usr/sbin/unbound', '/usr/bin/unbound'].find((p) => existsSync(p)) ?? null;
export const NAMED_CHECKZONE = ['/usr/bin/named-checkzone', '/usr/sbin/named-checkzone'].find((p) => existsSync(p)) ?? null;

/** Returns true when the program is there; otherwise warns loudly, and fails under CI. */
export function requireProgram(path: string | null, name: string, pkg: string): boolean {
  if (path) return true;
  const msg = `\n!!! ${name} is not installed: its interop tests are SKIPPED here. Install it with "apt-get install -y ${pkg}". CI installs it, where these tests always run.\n`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(msg);
  return false;
}

export async function freePort(): Promise<number> {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const port = udp.address().port;
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    if (ok) return port;
  }
}

export interface RunningServer { address: string; port: number; dir: string; stop(): Promise<void>; log(): string }

async function waitReady(address: string, name: string, recursion: boolean, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited early (${proc.exitCode}):\n${log()}`);
    const a = await query(address, name, 'SOA', { recursion, timeoutMs: 300, retries: 0 });
    if (a.outcome === 'answer' || a.outcome === 'nodata' || a.outcome === 'nxdomain') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not answer within 15 s:\n${log()}`);
}

function stopper(proc: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (proc.exitCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * Start BIND9 serving `zones` (name → zone-file text), optionally with extra named.conf text (e.g. a
 * `key` stanza) and extra options per zone (e.g. `update-policy { grant k. zonesub ANY; };`).
 */
export async function startNamed(zones: Record<string, string>, extraConf = '', zoneOptions: Record<string, string> = {}): Promise<RunningServer> {
  if (!NAMED) throw new Error('named is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'mailsetup-named-'));
  const port = await freePort();
  const zoneConf = Object.entries(zones).map(([name, text]) => {
    writeFileSync(join(dir, `db.${name}`), text);
    return `zone "${name}" { type primary; file "${join(dir, `db.${name}`)}"; ${zoneOptions[name] ?? ''} };`;
  }).join('\n');
  writeFileSync(join(dir, 'named.conf'), `
options {
  directory "${dir}"; pid-file "${dir}/named.pid"; session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; allow-query { any; }; allow-transfer { none; }; dnssec-validation no; notify no;
};
controls { };
${extraConf}
${zoneConf}
`);
  const check = spawnSync(NAMED.replace(/named$/, 'named-checkconf'), [join(dir, 'named.conf')], { encoding: 'utf8' });
  if (check.status !== 0 && check.error === undefined) throw new Error(`named-checkconf: ${check.stdout}${check.stderr}`);
  let output = '';
  const proc = spawn(NAMED, ['-g', '-c', join(dir, 'named.conf'), '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d) => { output += d; });
  proc.stderr?.on('data', (d) => { output += d; });
  const address = `127.0.0.1:${port}`;
  const first = Object.keys(zones)[0]!;
  await waitReady(address, first, false, proc, () => output);
  return { address, port, dir, stop: stopper(proc, dir), log: () => output };
}

/**
 * Start unbound as a caching resolver that sends questions for `zones` to `upstream` (ip@port), and
 * answers everything else itself. Tests never leave loopback: unbound gets a local root — `"."` is a
 * static local zone (NXDOMAIN for any name outside the test zones, at once, instead of a walk from
 * the Internet's root servers), each test zone is `transparent` so its questions still go to the stub,
 * and the root hints name a loopback address in case anything ever reaches for the root.
 */
/**
 * `trustAnchor` makes it a validating resolver (the DNSSEC tests: the parent zone's key as the
 * anchor, a bogus child answered SERVFAIL); without it, it only iterates.
 */
export async function startUnbound(zones: string[], upstream: { host: string; port: number }, opts: { trustAnchor?: string } = {}): Promise<RunningServer> {
  if (!UNBOUND) throw new Error('unbound is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'mailsetup-unbound-'));
  const port = await freePort();
  const stubs = zones.map((z) => `stub-zone:\n  name: "${z}"\n  stub-addr: ${upstream.host}@${upstream.port}\n`).join('');
  writeFileSync(join(dir, 'root.hints'), '.                      3600000 IN NS a.root.loopback.invalid.\na.root.loopback.invalid. 3600000 IN A  127.0.0.1\n');
  // unbound serves special-use TLDs (test., invalid., …) itself by default (RFC 6761); the
  // transparent local zones below (more specific) let our zones through to the stub.
  const local = ['  local-zone: "." static\n', ...zones.map((z) => `  local-zone: "${z.replace(/\.$/, '')}." transparent\n`)].join('');
  const anchor = opts.trustAnchor?.replace(/\s+/g, ' ').trim();
  const dnssec = anchor
    ? `  module-config: "validator iterator"\n  val-log-level: 2\n  trust-anchor: "${anchor}"\n`
    : `  module-config: "iterator"\n  harden-dnssec-stripped: no\n${zones.map((z) => `  domain-insecure: "${z}"\n`).join('')}`;
  writeFileSync(join(dir, 'unbound.conf'), `server:
  interface: 127.0.0.1
  port: ${port}
  do-ip6: no
  do-daemonize: no
  use-syslog: no
  logfile: ""
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  root-hints: "${dir}/root.hints"
${dnssec}${local}
remote-control:
  control-enable: no
${stubs}`);
  let output = '';
  const proc = spawn(UNBOUND, ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d) => { output += d; });
  proc.stderr?.on('data', (d) => { output += d; });
  const address = `127.0.0.1:${port}`;
  await waitReady(address, zones[0]!, true, proc, () => output);
  return { address, port, dir, stop: stopper(proc, dir), log: () => output };
}
