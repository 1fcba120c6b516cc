/** The layout rules every human table and line follows (src/render/table.ts). */
import { describe, expect, it } from 'vitest';
import { displayWidth, fitParts, renderTable, terminalRows, wrapLine } from '../../src/render/table.js';

const name = '217be0c2e51b443ac29a0cb51d71a8ea._domainkey.mail.acme.test';
const value = '217be0c2e51b443ac29a0cb51d71a8ea.dkim.amazonses.com';

describe('display width', () => {
  it('counts colour codes as nothing, wide characters as two, combining marks as nothing', () => {
    expect(displayWidth('\x1b[31mabc\x1b[39m')).toBe(3);
    expect(displayWidth('例え.jp')).toBe(7);
    expect(displayWidth('e\u0301')).toBe(1);
  });
  it('rows a line takes on a terminal, its own wrapping included', () => {
    expect(terminalRows('x'.repeat(80), 80)).toBe(1);
    expect(terminalRows('x'.repeat(81), 80)).toBe(2);
    expect(terminalRows('', 80)).toBe(1);
  });
});

describe('wrapLine', () => {
  it('breaks only at spaces, keeps the indentation, and never splits a token', () => {
    const line = `      fix: Publish CNAME ${name} → ${value}.`;
    const out = wrapLine(line, 60);
    for (const l of out) expect(displayWidth(l)).toBeLessThanOrEqual(Math.max(60, displayWidth(`        ${name}`)));
    expect(out.some((l) => l.includes(name))).toBe(true);
    expect(out.some((l) => l.includes(`${value}.`))).toBe(true);
    expect(out.slice(1).every((l) => l.startsWith('        '))).toBe(true);
    expect(out.join(' ').replace(/\s+/g, ' ').trim()).toBe(line.replace(/\s+/g, ' ').trim());
  });
  it('a token longer than the line stays whole on a line of its own', () => {
    const long = 'p=' + 'A'.repeat(200);
    const out = wrapLine(`v=DKIM1; k=rsa; ${long}`, 80);
    expect(out).toEqual(['v=DKIM1; k=rsa;', `  ${long}`]);
  });
  it('a line that fits is left as it is', () => {
    expect(wrapLine('  a  b', 80)).toEqual(['  a  b']);
  });
});

describe('fitParts', () => {
  it('one line when everything fits, else each part whole on an indented line', () => {
    expect(fitParts(['  ✔ TXT _dmarc.acme.test', '→ v=DMARC1; p=none', 'verified'], 100, '      ')).toEqual(['  ✔ TXT _dmarc.acme.test  → v=DMARC1; p=none  verified']);
    const out = fitParts([`  ✔ CNAME ${name}`, `→ ${value}`, 'verified  propagated 1/1'], 80, '      ');
    expect(out).toEqual([`  ✔ CNAME ${name}`, `      → ${value}`, '      verified  propagated 1/1']);
  });
});

describe('renderTable', () => {
  const cols = [{ head: 'type', stack: 'title' as const }, { head: 'name', stack: 'title' as const }, { head: 'value', stack: 'body' as const }, { head: 'purpose' }];
  const rows = [['CNAME', name, value, 'dkim'], ['TXT', '_dmarc.mail.acme.test', 'v=DMARC1; p=none; rua=mailto:d@acme.test', 'dmarc']];

  it('boxed when every column can hold its longest token; rows as wide as the border, within the width', () => {
    const out = renderTable(cols, rows, { width: 140, colorLevel: 0 });
    expect(out[0]!.startsWith('┌')).toBe(true);
    expect(new Set(out.map(displayWidth)).size).toBe(1);
    expect(displayWidth(out[0]!)).toBeLessThanOrEqual(140);
    expect(out.some((l) => l.includes(name) && l.includes(value))).toBe(true);
  });
  it('prose wraps at spaces inside a cell when that is enough to fit', () => {
    const dmarc = 'v=DMARC1; p=none; rua=mailto:d@acme.test; ruf=mailto:f@acme.test; fo=1';
    const out = renderTable(cols, [['TXT', '_dmarc.mail.acme.test', dmarc, 'dmarc']], { width: 80, colorLevel: 0 });
    expect(out[0]!.startsWith('┌')).toBe(true);
    expect(new Set(out.map(displayWidth))).toEqual(new Set([80]));
    expect(out.filter((l) => l.startsWith('│ TXT'))).toHaveLength(1);
    // Every token of the value whole in some row.
    for (const t of dmarc.split(' ')) expect(out.some((l) => l.includes(t))).toBe(true);
  });
  it('stacked when a name cannot fit whole: `type name`, then the value, then the rest', () => {
    const out = renderTable(cols, rows, { width: 80, colorLevel: 0 });
    expect(out.slice(0, 4)).toEqual([`CNAME ${name}`, `  ${value}`, '  purpose: dkim', '']);
    expect(out.every((l) => displayWidth(l) <= 80)).toBe(true);
  });
});

describe('showDomain', () => {
  it('U-label with the A-label beside; ASCII names unchanged; escaped', async () => {
    const { showDomain } = await import('../../src/render/idn.js');
    expect(showDomain('xn--bcher-kva.example')).toBe('bücher.example (xn--bcher-kva.example)');
    expect(showDomain('mail.acme.test')).toBe('mail.acme.test');
    expect(showDomain('a\x1b.test')).toBe('a\\x1b.test');
  });
});
