/**
 * An internationalised domain is shown as people write it, with the A-label (what DNS and the
 * records hold) beside it: `bücher.example (xn--bcher-kva.example)`. Other names are unchanged.
 */
import { domainToUnicode } from 'node:url';
import { escapeText } from './escape.js';

export function showDomain(ascii: string): string {
  if (!/(^|\.)xn--/i.test(ascii)) return escapeText(ascii);
  const unicode = domainToUnicode(ascii);
  return unicode && unicode !== ascii ? `${escapeText(unicode)} (${escapeText(ascii)})` : escapeText(ascii);
}
