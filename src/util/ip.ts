/**
 * `net.isIP` without Node's IPv6 regular expression for strings that cannot be IPv6 addresses.
 *
 * Every IPv6 address holds a ':'. Node's IPv6 expression is large, and compiling it on its first use
 * cost ~16 M instructions, about 2 % of a `validate` run, which asks isIP mostly about domain names
 * (is this input, this SPF term, this MX target an address?). Same answers as `net.isIP`.
 */
import { isIP as netIsIP, isIPv4 } from 'node:net';

export function isIP(input: string): 0 | 4 | 6 {
  if (input.includes(':')) return netIsIP(input) as 0 | 4 | 6;
  return isIPv4(input) ? 4 : 0;
}
