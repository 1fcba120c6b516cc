/**
 * `net.isIP` without Node's IPv6 regular expression for strings that cannot be IPv6 addresses.
 *
 * Every IPv6 address holds a ':'. Node's IPv6 expression is large, and compiling it on its first use
 * cost ~16 M instructions, about 2 % of a `validate` run, which asks isIP mostly about domain names
 * (is this input, this SPF term, this MX target an address?). Same answers as `net.isIP`.
 */
import { createRequire } from 'node:module';

type Net = typeof import('node:net');
let net: Net | undefined;

/**
 * node:net on first use: loading it builds Node's stream machinery (~2 ms), which `--help` and
 * `--version` never need (they write without a stream, src/cli/stdio.ts) but would load through
 * the address checks of --resolver and --ip. process.getBuiltinModule is Node 20.16+; before it, a
 * require made for any absolute path finds a built-in module.
 */
function loadNet(): Net {
  return (net ??= process.getBuiltinModule?.('node:net') ?? (createRequire(process.execPath)('node:net') as Net));
}

export function isIP(input: string): 0 | 4 | 6 {
  if (input.includes(':')) return loadNet().isIP(input) as 0 | 4 | 6;
  return isIPv4(input) ? 4 : 0;
}

export function isIPv4(input: string): boolean {
  return loadNet().isIPv4(input);
}
