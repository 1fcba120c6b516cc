/**
 * TXT character-strings as host APIs want them: a record's value is one text, the wire holds
 * strings of at most 255 bytes (RFC 1035 §3.3), and zone-file style APIs (Route 53, Cloudflare)
 * take them as `"…" "…"` with `"` and `\` escaped. Splitting counts UTF-8 bytes and never cuts a
 * character in two.
 */

export const TXT_STRING_MAX = 255;

/** Split into pieces of at most `max` UTF-8 bytes each, on character boundaries. */
export function splitTxt(value: string, max = TXT_STRING_MAX): string[] {
  const out: string[] = [];
  let piece = '';
  let bytes = 0;
  for (const ch of value) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) {
      out.push(piece);
      piece = '';
      bytes = 0;
    }
    piece += ch;
    bytes += n;
  }
  if (piece !== '' || out.length === 0) out.push(piece);
  return out;
}

export interface QuoteOptions {
  /** Write bytes outside printable ASCII as `\ddd` octal (Route 53 wants this). */
  octal?: boolean;
}

function escapePiece(piece: string, octal: boolean): string {
  let s = '';
  for (const ch of piece) {
    if (ch === '"' || ch === '\\') s += `\\${ch}`;
    else if (octal && !/^[\x20-\x7e]$/.test(ch)) {
      for (const b of Buffer.from(ch, 'utf8')) s += `\\${b.toString(8).padStart(3, '0')}`;
    } else s += ch;
  }
  return s;
}

/** `v=DKIM1; … p=MIIB…` → `"v=DKIM1; … (255 bytes)" "…rest"`. */
export function quoteTxt(value: string, opts: QuoteOptions = {}): string {
  return splitTxt(value).map((p) => `"${escapePiece(p, opts.octal === true)}"`).join(' ');
}

/**
 * The text of `"…" "…"` (escapes resolved, strings joined), or null when `content` is not a
 * sequence of quoted strings. `\ddd` is octal when `octal` (Route 53), else decimal (RFC 1035 §5.1).
 */
export function unquoteTxtStrings(content: string, opts: QuoteOptions = {}): string | null {
  const text = content.trim();
  if (!/^"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*$/s.test(text)) return null;
  const bytes: number[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) {
    const body = m[1]!;
    for (let i = 0; i < body.length; i++) {
      const ch = body[i]!;
      if (ch !== '\\') {
        const cp = body.codePointAt(i)!;
        const s = String.fromCodePoint(cp);
        bytes.push(...Buffer.from(s, 'utf8'));
        i += s.length - 1;
        continue;
      }
      const digits = body.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits)) {
        bytes.push(parseInt(digits, opts.octal ? 8 : 10) & 0xff);
        i += 3;
      } else if (i + 1 < body.length) {
        bytes.push(...Buffer.from(body[i + 1]!, 'utf8'));
        i += 1;
      }
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
