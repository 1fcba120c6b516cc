/**
 * Tag-lists as DKIM key records (RFC 6376 §3.2) and DMARC records (RFC 7489 §6.4) write them:
 * `tag=value` specs separated by `;`, whitespace around tags and values ignored, each tag at most
 * once. The two standards differ, and the caller says how:
 * - DKIM tag names are case-sensitive (`V=` is another tag); DMARC's are not (`foldCase`);
 * - what an empty spec, a spec that is not tag=value or a repeated tag means is the caller's to
 *   report: they come back as `problems`, in record order (DKIM tolerates empty specs, DMARC warns
 *   about `;;` but not about a trailing `;`; both refuse a repeated tag).
 */

/**
 * Trim whitespace and line breaks (RFC 6376 FWS; DMARC's WSP, line breaks included). A loop, not
 * /[ \t\r\n]+$/, which backtracks quadratically over a long inner run (a 64 KB TXT record took seconds).
 */
export const trimFws = (s: string): string => {
  let a = 0;
  let b = s.length;
  while (a < b && ' \t\r\n'.includes(s[a]!)) a++;
  while (b > a && ' \t\r\n'.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
};

export type TagListProblem =
  /** `inner`: between two specs (`;;`), not before the first or after the last `;`. */
  | { kind: 'empty'; inner: boolean }
  /** `spec` is trimmed. */
  | { kind: 'not-a-tag'; spec: string }
  /** A later occurrence; the first one's value is kept. */
  | { kind: 'duplicate'; tag: string };

export interface TagList {
  /** Values by tag name (lower-case with `foldCase`), first occurrence. */
  tags: Record<string, string>;
  /** Tag names in record order. */
  order: string[];
  problems: TagListProblem[];
}

export function parseTagList(text: string, options: { foldCase: boolean }): TagList {
  const tags: Record<string, string> = {};
  const order: string[] = [];
  const problems: TagListProblem[] = [];
  const parts = text.split(';');
  parts.forEach((part, i) => {
    const spec = trimFws(part);
    if (spec === '') {
      problems.push({ kind: 'empty', inner: i > 0 && i < parts.length - 1 });
      return;
    }
    const eq = spec.indexOf('=');
    const name = eq === -1 ? '' : trimFws(spec.slice(0, eq));
    const tag = options.foldCase ? name.toLowerCase() : name;
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(tag)) {
      problems.push({ kind: 'not-a-tag', spec });
      return;
    }
    // Own properties only: `in` would see Object.prototype and call a first `toString=` a duplicate.
    if (Object.hasOwn(tags, tag)) {
      problems.push({ kind: 'duplicate', tag });
      return;
    }
    tags[tag] = trimFws(spec.slice(eq + 1));
    order.push(tag);
  });
  return { tags, order, problems };
}
