/**
 * Tests never leave loopback. This guard is loaded into every CLI child the tests spawn (through
 * `NODE_OPTIONS=--import=…`, see `guardEnv` in cli.ts) and into every vitest worker (setupFiles). It
 * wraps the three ways Node sends a packet — `dgram.Socket#send`/`#connect` and `net.Socket#connect`
 * (which `net.connect`, `tls.connect`, http(s) agents and fetch all end in) — and, for a destination
 * that is not a loopback address, refuses *before* the original is called, so nothing is sent: it
 * writes a marker line to stderr (the CLI helper fails any run whose stderr holds it), records it
 * (the vitest setup fails the test) and throws.
 *
 * A host name other than `localhost` counts as off loopback: resolving it would ask the system
 * resolver, which is exactly what a test must not do. Plain JavaScript, so a plain `node` can load it.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { writeSync } from 'node:fs';

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

export function installNetGuard() {
  const s = state();
  if (s.installed) return;
  s.installed = true;
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function guardedSend(...args) { checkDatagram(args); return send.apply(this, args); };
  const dconnect = dgram.Socket.prototype.connect;
  dgram.Socket.prototype.connect = function guardedConnect(port, address, ...rest) {
    if (typeof address === 'string' && !isLoopback(address)) trip('a UDP connect', address, port);
    return dconnect.call(this, port, address, ...rest);
  };
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) { checkStream(args); return connect.apply(this, args); };
}

/** The violations recorded in this process since the last call, and forget them. */
export function takeNetGuardViolations() {
  const s = state();
  return s.violations.splice(0, s.violations.length);
}

// Loaded with `--import`: install at once. (The vitest setup imports it the same way.)
installNetGuard();
