/**
 * The Route 53 emulator's wire helpers (registrars.md §2.2–2.4): a just-enough reader for the
 * ChangeResourceRecordSets XML the SDK sends, XML writing with escaping, Route 53's name ordering
 * (labels reversed), and its TXT value checks. Written independently of the writer's convert.ts so
 * the two cannot agree on a mistake.
 */
import { normaliseName } from '../../src/model/record.js';

export const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export const unesc = (s: string): string => s
  .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
  .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
  .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const tag = (xml: string, name: string): string | undefined => xml.match(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`))?.[1];
const tags = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!);

export interface WireChange {
  action: string;
  name: string;
  type: string;
  ttl: number | null;
  values: string[];
  alias: boolean;
  setIdentifier: string | undefined;
}

/** null when the body is not a ChangeResourceRecordSetsRequest. */
export function parseChangeBatch(xml: string): WireChange[] | null {
  if (!/<ChangeResourceRecordSetsRequest[\s>]/.test(xml)) return null;
  return tags(xml, 'Change').map((c) => {
    const set = tag(c, 'ResourceRecordSet') ?? '';
    const ttl = tag(set, 'TTL');
    const sid = tag(set, 'SetIdentifier');
    return {
      action: unesc(tag(c, 'Action') ?? ''),
      name: unesc(tag(set, 'Name') ?? ''),
      type: unesc(tag(set, 'Type') ?? ''),
      ttl: ttl === undefined ? null : Number(ttl),
      values: tags(tag(set, 'ResourceRecords') ?? '', 'Value').map(unesc),
      alias: tag(set, 'AliasTarget') !== undefined,
      setIdentifier: sid === undefined ? undefined : unesc(sid),
    };
  });
}

/** `*.acme.com` → `\052.acme.com.` as Route 53 lists names. */
export const wireName = (name: string): string => `${normaliseName(name).replace(/\*/g, '\\052')}.`;
export const plainName = (name: string): string => normaliseName(name.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(parseInt(d, 8))));

/** Route 53 sorts names with the labels reversed: com.acme, com.acme.mail, … */
export const sortKey = (name: string): string => plainName(name).split('.').reverse().join('.');

/** The character-strings of a TXT value, or an error message in Route 53's words. */
export function checkTxt(value: string): string | null {
  const v = value.trim();
  if (!/^"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*$/s.test(v)) {
    return `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${value}''`;
  }
  for (const s of txtStrings(v)) {
    if (s.length > 255) return `Invalid Resource Record: 'FATAL problem: CharacterStringTooLong (Value is too long) encountered with '${value}''`;
  }
  return null;
}

/** Each quoted string as bytes (escapes resolved: `\"`, `\\`, `\ddd` octal). */
function txtStrings(value: string): Buffer[] {
  return [...value.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => {
    const out: number[] = [];
    const body = m[1]!;
    for (let i = 0; i < body.length; i++) {
      if (body[i] === '\\' && /^[0-7]{3}$/.test(body.slice(i + 1, i + 4))) { out.push(parseInt(body.slice(i + 1, i + 4), 8)); i += 3; continue; }
      if (body[i] === '\\') i++;
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out.push(...Buffer.from(ch, 'utf8'));
      i += ch.length - 1;
    }
    return Buffer.from(out);
  });
}

export const decodeTxt = (value: string): string => Buffer.concat(txtStrings(value)).toString('utf8');

/** How another tool would have stored a TXT value: quoted, split every 255 ASCII characters. */
export function encodeTxt(text: string): string {
  const parts: string[] = [];
  for (let i = 0; i < text.length || parts.length === 0; i += 255) parts.push(text.slice(i, i + 255));
  return parts.map((p) => `"${p.replace(/["\\]/g, '\\$&')}"`).join(' ');
}
