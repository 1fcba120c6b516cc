/**
 * The render-boundary escaping (src/render/escape.ts): what a terminal could act on or hide is shown
 * escaped, what it can show is left alone, JSON parses back to the same data, zone-file escapes
 * read back as the same bytes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PLAIN_TEXT, escapeClip, escapeText, jsonText, terminalSafe, zoneEscape } from '../../src/render/escape.js';
import { displayWidth } from '../../src/render/table.js';

/** Anything a terminal may act on: C0 (all of it), DEL, C1, bidi and format characters, U+2028/9. */
// eslint-disable-next-line no-control-regex
const RAW_UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
const BIDI_FORMAT = [0x061c, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff, 0xe0001];

describe('escapeText', () => {
  it('spells control characters as \\xHH and format characters as \\uHHHH', () => {
    expect(escapeText('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
    expect(escapeText('\x00\x07\t\n\r\x7f\x9b')).toBe('\\x00\\x07\\x09\\x0a\\x0d\\x7f\\x9b');
    expect(escapeText('v=spf1 \u202e-all')).toBe('v=spf1 \\u202e-all');
    expect(escapeText('x\u200by\ufeff')).toBe('x\\u200by\\ufeff');
    expect(escapeText('tag\u{e0041}')).toBe('tag\\u{e0041}');
    expect(escapeText('\u2028\u2029')).toBe('\\u2028\\u2029');
  });

  it('leaves printable text alone, including non-ASCII letters and emoji', () => {
    for (const s of ['v=spf1 include:amazonses.com ~all', 'bücher.example', 'пример.рф', '例え.テスト', 'ok ✔ → …', 'p=MIIBIjAN+/==', '"quoted" \\ back']) {
      expect(escapeText(s)).toBe(s);
    }
  });

  it('escapes every listed bidi and format character', () => {
    for (const cp of BIDI_FORMAT) expect(escapeText(String.fromCodePoint(cp))).toMatch(/^\\u/);
  });

  it('property: output never holds a raw unsafe character, and safe input is unchanged', () => {
    const unsafe = fc.constantFrom(...[...Array(0x20).keys(), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i), ...BIDI_FORMAT, 0x2028, 0x2029].map((c) => String.fromCodePoint(c)));
    const text = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), unsafe), { maxLength: 20 }).map((a) => a.join(''));
    fc.assert(fc.property(text, (s) => {
      const out = escapeText(s);
      expect(out).not.toMatch(RAW_UNSAFE);
      // Idempotent on its own output: escaped text holds nothing left to escape.
      expect(escapeText(out)).toBe(out);
    }));
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      if (!RAW_UNSAFE.test(s) && !/[\p{Cf}\p{Cs}]/u.test(s)) expect(escapeText(s)).toBe(s);
    }));
  });

  it('escapeClip clips after escaping, never inside an escape', () => {
    expect(escapeClip('short', 60)).toBe('short');
    const clipped = escapeClip('\x1b'.repeat(40), 60);
    expect(clipped.length).toBeLessThanOrEqual(60);
    expect(clipped).toMatch(/^(\\x1b)+…$/);
    expect(escapeClip('a'.repeat(60), 60)).toBe('a'.repeat(60));
    expect(escapeClip('a'.repeat(61), 60)).toBe('a'.repeat(57) + '…');
  });
});

describe('terminalSafe (the output port\'s net)', () => {
  it('keeps line breaks, and SGR colour codes only when colour is on', () => {
    expect(terminalSafe('\x1b[31mred\x1b[39m\nnext', true)).toBe('\x1b[31mred\x1b[39m\nnext');
    expect(terminalSafe('\x1b[31mred\x1b[39m', false)).toBe('\\x1b[31mred\\x1b[39m');
  });

  it('never passes a cursor move, OSC, CR, BEL or bidi control, colour on or off', () => {
    const hostile = 'a\x1b[2J\x1b]0;title\x07\x1b]52;c;aGk=\x07\rALL CHECKS PASSED\u202e\x9b1m';
    for (const colour of [true, false]) {
      const out = terminalSafe(hostile, colour);
      // eslint-disable-next-line no-control-regex
      expect(out.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(RAW_UNSAFE);
      expect(out).toContain('\\x1b[2J');
      expect(out).toContain('\\x0dALL CHECKS PASSED');
    }
  });
});

describe('jsonText', () => {
  it('\\u-escapes DEL, C1 and format characters, and parses back to the same data', () => {
    const doc = { value: 'a\x7fb\x9bc\u202ed\x1be', list: ['\u2028', '\u{e0041}'] };
    const text = jsonText(doc, 2);
    expect(text).not.toMatch(/[\x7f-\x9f\u202e\u2028]/u);
    expect(text).toContain('\\u007f');
    expect(text).toContain('\\u009b');
    expect(text).toContain('\\u202e');
    expect(text).toContain('\\udb40\\udc41');
    expect(JSON.parse(text)).toEqual(doc);
  });

  it('property: any data round-trips and no raw C0 (bar layout), DEL, C1 or format character is left', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const text = jsonText(v, 2);
      // eslint-disable-next-line no-control-regex
      expect(text.replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f-\x9f\p{Cf}\u2028\u2029]/u);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
    }));
  });
});

describe('zoneEscape', () => {
  it('writes control and format characters as \\DDD of their UTF-8 bytes, and quotes " and \\', () => {
    expect(zoneEscape('a\x1bb', true)).toBe('a\\027b');
    expect(zoneEscape('say "hi" \\', true)).toBe('say \\"hi\\" \\\\');
    expect(zoneEscape('\u202e', true)).toBe('\\226\\128\\174');
    expect(zoneEscape('x\x07.example.test', false)).toBe('x\\007.example.test');
    expect(zoneEscape('v=spf1 include:amazonses.com ~all', true)).toBe('v=spf1 include:amazonses.com ~all');
  });
});

describe('PLAIN_TEXT, the fast path', () => {
  it('holds no code point the escapes or the width count would treat specially', () => {
    const plain: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      const ch = String.fromCharCode(cp);
      if (PLAIN_TEXT.test(ch)) plain.push(ch);
    }
    expect(plain.length).toBeGreaterThan(95 + 256);
    const special = plain.filter((ch) => /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{M}]/u.test(ch));
    expect(special).toEqual([]);
    // The slow paths (taken because of the é) give the fast path's answers for every such character.
    for (const ch of plain) {
      expect(escapeText(`${ch}\u00e9`)).toBe(`${ch}\u00e9`);
      expect(terminalSafe(`${ch}\u00e9`, false)).toBe(`${ch}\u00e9`);
      expect(displayWidth(`${ch}\u00e9`)).toBe(2);
    }
  });
});
