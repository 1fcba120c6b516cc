/**
 * Text that came from outside — DNS record values and names, MX/CNAME targets, provider and DNS-host
 * messages — is data. Sent raw to a terminal, an ESC sequence in a TXT record can clear the screen,
 * print a fake verdict after a CR, set the window title or write the clipboard (OSC 52), and an RLO
 * can make `-all` read as `lla-`. So every renderer passes such text through `escapeText` before it
 * is laid out, and the output port runs `terminalSafe` over every line as a last net.
 *
 * What is escaped (DESIGN.md, "Exit codes"): every control character (C0 including TAB/LF/CR, DEL,
 * C1), every format character (category Cf: bidi controls U+202A–U+202E and U+2066–U+2069, zero-width
 * U+200B–U+200F, U+2060–U+2064, U+FEFF, U+061C, tag characters …), the line and paragraph separators
 * U+2028/U+2029 (some terminals and editors break lines on them), and lone surrogates.
 */

/**
 * Text that needs no escaping and no width lookup: printable ASCII and the few symbols the renderers
 * draw (box drawing and geometric shapes U+2500–U+25FF, `·` `—` `…` `→` `ℹ` `✓` `✖`). None of these is
 * a control, format, separator or surrogate code point, a combining mark or a wide character
 * (test/unit/escape.test.ts checks each one), so such a string is returned as it is and is as wide
 * as it is long.
 *
 * Why: the expressions below name Unicode properties, and compiling one reads ICU's tables:
 * UNSAFE, NET and table.ts's combining-mark test cost ~15 M instructions the first time, in every
 * run that prints a line, for text that is nearly always plain.
 */
export const PLAIN_TEXT = /^[\x20-\x7e\u00b7\u2014\u2026\u2192\u2139\u2500-\u25ff\u2713\u2716]*$/;

/** Every code point a terminal may act on or hide, rather than just show. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** The one spelling of an escaped code point: `\x1b` up to U+00FF, `\u202e` above, `\u{e0041}` beyond the BMP. */
function spell(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\u{${cp.toString(16)}}`;
}

/** Outside text for a human: every control, bidi and format character shown escaped, never raw. */
export function escapeText(text: string): string {
  if (PLAIN_TEXT.test(text)) return text;
  return text.replace(UNSAFE, spell);
}

/**
 * `escapeText`, whole when the escaped text has at most `max` characters, else its first `max - 3`
 * and `…` — clipped after escaping, never inside an escape or a surrogate pair, so a clipped
 * column is as wide as it says.
 */
export function escapeClip(text: string, max: number): string {
  const escaped = escapeText(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const ch of text) {
    const piece = escapeText(ch);
    if (out.length + piece.length > max - 3) break;
    out += piece;
  }
  return out + '…';
}

// Our own colour codes are SGR sequences (ESC [ params m) from chalk; nothing else we write is a
// control sequence, except watch's cursor moves, which are written outside the port.
// eslint-disable-next-line no-control-regex
const NET = /(\x1b\[[0-9;]*m)|[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * The last net, run by the output port over every line it writes: renderers already escaped what
 * came from outside, so this only catches what one of them missed. A line break stays a line break
 * (several lines may be written at once); with colour on, an SGR colour sequence stays too (chalk's;
 * a stray one from outside can only change colours, never move the cursor, title or clipboard).
 * With colour off (NO_COLOR, a pipe) nothing passes but LF.
 */
export function terminalSafe(text: string, keepColour: boolean): string {
  if (PLAIN_TEXT.test(text)) return text;
  return text.replace(NET, (m: string, sgr: string | undefined) => (m === '\n' || (sgr !== undefined && keepColour) ? m : sgr !== undefined ? '\\x1b' + m.slice(1) : spell(m)));
}

// JSON.stringify escapes C0 but leaves DEL, C1, bidi and format characters raw; `\u` escapes of them
// parse back to the same string, so a JSON reader loses nothing and `--json | cat` drives nothing.
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;
const ASCII_BELOW_DEL = /^[\x00-\x7e]*$/;

/** The one way a JSON document is printed: JSON.stringify, then DEL, C1 and format characters `\u`-escaped. */
export function jsonText(doc: unknown, indent?: number): string {
  const text = JSON.stringify(doc, null, indent);
  // ASCII below DEL holds nothing JSON_UNSAFE matches; skip compiling it (see PLAIN_TEXT).
  if (ASCII_BELOW_DEL.test(text)) return text;
  return text.replace(JSON_UNSAFE, (m) => {
    let out = '';
    for (let i = 0; i < m.length; i++) out += `\\u${m.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}

/**
 * A TXT character-string or an owner name for a zone file (`records --format zone`): unsafe code
 * points become RFC 1035 `\DDD` escapes of their UTF-8 bytes, which BIND reads back as the same
 * bytes; `"` and `\` are escaped as the zone-file syntax needs inside quotes.
 */
export function zoneEscape(text: string, quoted: boolean): string {
  const body = quoted ? text.replace(/[\\"]/g, (c) => `\\${c}`) : text;
  return body.replace(UNSAFE, (ch) => [...Buffer.from(ch, 'utf8')].map((b) => `\\${String(b).padStart(3, '0')}`).join(''));
}
