/**
 * Tests never leave loopback. This guard is loaded into every CLI child the tests spawn (through
 * `NODE_OPTIONS=--import=…`, see `guardEnv` in cli.ts) and into every vitest worker (setupFiles). It
 * wraps the ways Node sends a packet — `dgram.Socket#send`/`#connect`, `net.Socket#connect` (which
 * `net.connect`, `tls.connect`, http(s) agents and fetch all end in), and `node:dns` (getaddrinfo
 * and c-ares, which send from C where the wrappers above cannot see) — and, for a destination
 * that is not a loopback address, refuses *before* the original is called, so nothing is sent: it
 * writes a marker line to stderr (the CLI helper fails any run whose stderr holds it), records it
 * (the vitest setup fails the test) and throws.
 *
 * A host name other than `localhost` counts as off loopback: resolving it would ask the system
 * resolver, which is exactly what a test must not do. Plain JavaScript, so a plain `node` can load it.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { writeSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export const NET_GUARD_MARKER = 'MAILSETUP_NET_GUARD';

const STATE = Symbol.for('mailsetup.netGuard');

/** The guard's state, shared by every copy of this module in a process (vitest re-imports per file). */
function state() {
  globalThis[STATE] ??= { installed: false, violations: [] };
  return globalThis[STATE];
}

export function isLoopback(host) {
  if (host === undefined || host === null || host === '' || host === 'localhost') return true; // Node's default is localhost
  const h = String(host).replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^(0+:){7}0*1$/.test(h) || /^::ffff:127\./i.test(h);
  return false;
}

function trip(what, host, port) {
  const line = `${NET_GUARD_MARKER}: refused ${what} to ${host}:${port} — tests never leave loopback (pid ${process.pid})`;
  state().violations.push(line);
  try { writeSync(2, line + '\n'); } catch { /* stderr closed: the throw below still says it */ }
  const err = new Error(line);
  err.code = 'EACCES';
  throw err;
}

/** dgram `send(msg[, offset, length][, port][, address][, cb])`: the address is the one string argument. */
function checkDatagram(args) {
  const rest = args.slice(1).filter((a) => typeof a !== 'function');
  const at = rest.findIndex((a) => typeof a === 'string');
  if (at === -1) return; // connected socket (checked at connect) or the default address, localhost
  if (!isLoopback(rest[at])) trip('a UDP datagram', rest[at], rest[at - 1]);
}

/** net `connect(options | [options, cb] | port[, host] | path)`. */
function checkStream(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // net.connect() hands over already-normalised arguments
  if (typeof first === 'string') return; // a Unix socket path
  if (first !== null && typeof first === 'object') {
    if (first.path) return;
    if (!isLoopback(first.host)) trip('a TCP connection', first.host, first.port);
    return;
  }
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  if (!isLoopback(host)) trip('a TCP connection', host, first);
}

/** `1.2.3.4:53`, `[::1]:53`, `::1` → the address part. */
function serverHost(server) {
  const m = /^\[(.*)\](?::\d+)?$/.exec(server);
  if (m) return m[1];
  return net.isIPv6(server) ? server : server.replace(/:\d+$/, '');
}

/** getaddrinfo and c-ares ask the system's resolvers (or those set on a Resolver): only loopback ones may be asked. */
function guardDns(target, getServers) {
  for (const key of Object.keys(target)) {
    if (!/^resolve|^reverse$/.test(key) || typeof target[key] !== 'function') continue;
    const original = target[key];
    target[key] = function guardedResolve(...args) {
      const servers = getServers(this);
      const off = servers.find((x) => !isLoopback(serverHost(x)));
      if (off !== undefined) trip(`a DNS question (${key} ${String(args[0])})`, off, 53);
      return original.apply(this, args);
    };
  }
}

function guardLookup(target) {
  const original = target.lookup;
  target.lookup = function guardedLookup(host, ...rest) {
    // An address literal is not looked up; any name but localhost would be, by the system resolver.
    if (!net.isIP(String(host)) && !isLoopback(host)) trip('a host-name lookup (getaddrinfo)', host, 53);
    return original.call(this, host, ...rest);
  };
}

export function installNetGuard() {
  const s = state();
  if (s.installed) return;
  s.installed = true;
  guardLookup(dns);
  guardLookup(dns.promises);
  guardDns(dns, () => dns.getServers());
  guardDns(dns.promises, () => dns.getServers());
  guardDns(dns.Resolver.prototype, (r) => r.getServers());
  guardDns(dns.promises.Resolver.prototype, (r) => r.getServers());
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function guardedSend(...args) { checkDatagram(args); return send.apply(this, args); };
  const dconnect = dgram.Socket.prototype.connect;
  dgram.Socket.prototype.connect = function guardedConnect(port, address, ...rest) {
    if (typeof address === 'string' && !isLoopback(address)) trip('a UDP connect', address, port);
    return dconnect.call(this, port, address, ...rest);
  };
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) { checkStream(args); return connect.apply(this, args); };
  // `import { lookup } from 'node:dns/promises'` bound the original already: point it at the wrapper.
  syncBuiltinESMExports();
}

/** The violations recorded in this process since the last call, and forget them. */
export function takeNetGuardViolations() {
  const s = state();
  return s.violations.splice(0, s.violations.length);
}

// Loaded with `--import`: install at once. (The vitest setup imports it the same way.)
installNetGuard();
