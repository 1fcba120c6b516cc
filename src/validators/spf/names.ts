/**
 * What the SPF audit and the check_host() evaluator both need to know about names and limits, kept
 * in one place so the two cannot disagree on what a usable domain is or what the limits are.
 */
import { isIP } from '../../util/ip.js';

/** RFC 7208 §4.6.4: DNS-querying terms per check_host(), void lookups, and MX/PTR names per term. */
export const SPF_MAX_LOOKUPS = 10;
export const SPF_MAX_VOID_LOOKUPS = 2;
export const SPF_MAX_MX_NAMES = 10;
export const SPF_MAX_PTR_NAMES = 10;

/** Lower-case, without the trailing dot (names compare with ===). */
export const normSpfName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** Can this name be put on the wire (RFC 1035 lengths, no empty label)? */
export function nameProblem(name: string): string | null {
  if (name === '') return 'it is empty';
  if (name.length > 253) return `it is ${name.length} characters long (the limit is 253)`;
  for (const label of name.split('.')) {
    if (label === '') return 'it has an empty label';
    if (label.length > 63) return `the label "${label.slice(0, 20)}…" is longer than 63 characters`;
  }
  return null;
}

/** RFC 7208 §4.3: a malformed or single-label domain (or a domain literal) has no SPF: result none. */
export function domainProblem(domain: string): string | null {
  if (/^\[.*\]$/.test(domain) || isIP(domain)) return 'it is an address literal, not a domain name';
  if (/[\s\x00-\x1f\x7f]/.test(domain)) return 'it contains whitespace or control characters';
  const why = nameProblem(domain);
  if (why) return why;
  if (!domain.includes('.')) return 'it is a single label, not a fully qualified domain';
  return null;
}
