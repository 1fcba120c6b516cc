/**
 * The one place human output is fitted to the terminal (DESIGN.md; issue 12 item 1): no line wider
 * than `width` (the terminal's columns, 100 when not a terminal), and a DNS name or value never
 * broken inside a token. Text is wrapped only at spaces; a table whose columns cannot hold their
 * longest token falls back to a stacked layout, one block per row. The only line that can stay
 * wider than `width` is one holding a single token longer than `width` (a 2048-bit DKIM key): it is
 * printed whole on its own line, for the terminal to soft-wrap and for copy-paste to keep intact.
 *
 * Widths are measured on what is shown: callers pass text already escaped (`escapeText`), and SGR
 * colour codes count as zero columns.
 */

// eslint-disable-next-line no-control-regex
import { PLAIN_TEXT } from './escape.js';

const SGR = /\x1b\[[0-9;]*m/g;

const WIDE: Array<[number, number]> = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf],
  [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe30, 0xfe4f], [0xff00, 0xff60], [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff], [0x20000, 0x3fffd],
];

/**
 * Combining marks (general category M), all at U+0300 or above. Built once and only tried from
 * there up: compiled per character (as the bundle did: esbuild turns this literal into a
 * `new RegExp` call), a validate table cost ~6 M instructions.
 */
const MARK = /\p{M}/u;
const NON_ASCII = /[^\x00-\x7f]/;

/** Columns a string takes on a terminal: colour codes 0, combining marks 0, East Asian wide 2. */
export function displayWidth(text: string): number {
  const plain = text.replace(SGR, '');
  // ASCII, or the symbols the renderers draw: one column a character (no marks, nothing wide). Most
  // cells and lines; padEnd asks per cell.
  if (!NON_ASCII.test(plain) || PLAIN_TEXT.test(plain)) return plain.length;
  let w = 0;
  for (const ch of plain) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x300 && MARK.test(ch)) continue;
    w += WIDE.some(([a, b]) => cp >= a && cp <= b) ? 2 : 1;
  }
  return w;
}

/** Rows a line takes on a terminal `columns` wide, the terminal's own wrapping included. */
export function terminalRows(line: string, columns: number): number {
  if (columns <= 0) return 1;
  return Math.max(1, Math.ceil(displayWidth(line) / columns));
}

const padEnd = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - displayWidth(s)));

/**
 * Word-wrap one line to `width`, breaking only at spaces. Continuation lines start with `indent`
 * (default: the line's own leading spaces plus two). A word longer than the room left gets a line
 * of its own, whole.
 */
export function wrapLine(line: string, width: number, indent?: string): string[] {
  if (displayWidth(line) <= width) return [line];
  const lead = /^ */.exec(line.replace(SGR, ''))![0];
  const cont = indent ?? lead + '  ';
  const words = line.slice(line.indexOf(line.trimStart())).split(' ');
  const out: string[] = [];
  let cur = lead;
  let curW = displayWidth(lead);
  let first = true;
  for (const word of words) {
    const w = displayWidth(word);
    if (!first && curW + 1 + w > width) {
      out.push(cur);
      cur = cont;
      curW = displayWidth(cont);
      first = true;
    }
    if (first) {
      if (word === '' && out.length > 0) continue; // no stray space at the start of a continuation
      cur += word;
      curW += w;
      first = false;
    } else {
      cur += ' ' + word;
      curW += 1 + w;
    }
  }
  out.push(cur);
  return out;
}

/** Every line word-wrapped to `width` (lines that fit are left as they are). */
export function wrapLines(lines: string[], width: number): string[] {
  return lines.flatMap((l) => l.split('\n')).flatMap((l) => wrapLine(l, width));
}

/**
 * Parts of one logical line (a record, say: `type name`, `→ value`, `status`): joined by two spaces
 * when they fit in `width`; else the first part, then the others packed onto lines starting with
 * `indent`, each part whole (word-wrapped only if it alone is wider than a line).
 */
export function fitParts(parts: string[], width: number, indent: string): string[] {
  const shown = parts.filter((p) => p !== '');
  const joined = shown.join('  ');
  if (displayWidth(joined) <= width) return [joined];
  const out = wrapLine(shown[0] ?? '', width, indent);
  let cur = '';
  for (const p of shown.slice(1)) {
    if (cur && displayWidth(indent + cur + '  ' + p) <= width) { cur += '  ' + p; continue; }
    if (cur) out.push(...wrapLine(indent + cur, width, indent + '  '));
    cur = p;
  }
  if (cur) out.push(...wrapLine(indent + cur, width, indent + '  '));
  return out;
}

export interface TableColumn {
  head: string;
  /**
   * In the stacked layout: `title` cells make the block's first line (`type name`), `body` cells
   * one indented line each (multi-line cells: one line per line), `meta` cells share one line as
   * `head: value`, joined by ` · `. Default `meta`.
   */
  stack?: 'title' | 'body' | 'meta';
  /** Figures: padded on the left (`plain` tables only). Default `left`. */
  align?: 'left' | 'right';
}

export interface TableOptions {
  /** Terminal columns (100 when not a terminal). */
  width: number;
  colorLevel: 0 | 1 | 2 | 3;
  /** Paint the borders and the header (chalk functions, or identity when colour is off). */
  border?: (s: string) => string;
  bold?: (s: string) => string;
  /**
   * No borders: columns two spaces apart under a header line, for listings read as text (health,
   * its history, the reports' sources). Same fitting: cells wrap at spaces, and a table whose
   * columns cannot hold their longest token is stacked.
   */
  plain?: boolean;
}

/** Split a cell into its lines, then wrap each at spaces to `w`. */
function cellLines(cell: string, w: number): string[] {
  return cell.split('\n').flatMap((l) => wrapLine(l, w, ''));
}

const tokens = (cell: string): string[] => cell.split(/[\n ]/);

/**
 * A boxed table that fits `width`, or — when its columns cannot hold their longest token — one
 * block per row (stacked). Cells are escaped text; they may hold colour codes and line breaks.
 */
export function renderTable(columns: TableColumn[], rows: string[][], opt: TableOptions): string[] {
  const paint = opt.border ?? ((s: string) => s);
  const bold = opt.bold ?? ((s: string) => s);
  const n = columns.length;
  const natural = columns.map((c, i) => Math.max(displayWidth(c.head), ...rows.map((r) => Math.max(0, ...(r[i] ?? '').split('\n').map(displayWidth)))));
  const minimal = columns.map((c, i) => Math.max(...tokens(c.head).map(displayWidth), ...rows.map((r) => Math.max(0, ...tokens(r[i] ?? '').map(displayWidth)))));
  const frame = opt.plain ? 2 * (n - 1) : 3 * n + 1; // plain: two spaces between; boxed: "│ " + " │ " between + " │"
  const budget = opt.width - frame;
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  if (sum(minimal) > budget) return stacked(columns, rows, opt.width, bold);
  const widths = [...minimal];
  // Give the room left to the columns furthest from their natural width, one column at a time.
  let left = Math.min(budget, sum(natural)) - sum(widths);
  while (left > 0) {
    let best = -1;
    for (let i = 0; i < n; i++) if (widths[i]! < natural[i]! && (best < 0 || natural[i]! - widths[i]! > natural[best]! - widths[best]!)) best = i;
    if (best < 0) break;
    widths[best]!++;
    left--;
  }
  if (opt.plain) return plainRows(columns, rows, widths, bold);
  const rule = (l: string, m: string, r: string) => paint(l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r);
  const row = (cells: string[], head: boolean): string[] => {
    const split = cells.map((c, i) => cellLines(c, widths[i]!));
    const height = Math.max(1, ...split.map((s) => s.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) {
      out.push(paint('│') + split.map((s, i) => ' ' + padEnd(head ? bold(s[k] ?? '') : s[k] ?? '', widths[i]!) + ' ').join(paint('│')) + paint('│'));
    }
    return out;
  };
  const lines = [rule('┌', '┬', '┐'), ...row(columns.map((c) => c.head), true)];
  for (const r of rows) lines.push(rule('├', '┼', '┤'), ...row(r, false));
  lines.push(rule('└', '┴', '┘'));
  return lines;
}

function plainRows(columns: TableColumn[], rows: string[][], widths: number[], bold: (s: string) => string): string[] {
  const pad = (s: string, i: number) => (columns[i]!.align === 'right' ? ' '.repeat(Math.max(0, widths[i]! - displayWidth(s))) + s : padEnd(s, widths[i]!));
  const row = (cells: string[], head: boolean): string[] => {
    const split = cells.map((c, i) => cellLines(c, widths[i]!));
    const height = Math.max(1, ...split.map((s) => s.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) {
      const line = split.map((s, i) => pad(s[k] ?? '', i)).join('  ').replace(/ +$/, '');
      out.push(head ? bold(line) : line);
    }
    return out;
  };
  return [...row(columns.map((c) => c.head), true), ...rows.flatMap((r) => row(r, false))];
}

function stacked(columns: TableColumn[], rows: string[][], width: number, bold: (s: string) => string): string[] {
  const lines: string[] = [];
  rows.forEach((r, k) => {
    if (k > 0) lines.push('');
    const role = (i: number) => columns[i]!.stack ?? 'meta';
    const title = r.filter((_, i) => role(i) === 'title' && r[i]).join(' ');
    lines.push(...wrapLine(bold(title), width, '  '));
    r.forEach((cell, i) => {
      if (role(i) !== 'body' || !cell) return;
      for (const l of cell.split('\n')) lines.push(...wrapLine('  ' + l, width, '    '));
    });
    const meta = r.map((cell, i) => (role(i) === 'meta' && cell ? `${columns[i]!.head}: ${cell.replace(/\n/g, ', ')}` : '')).filter(Boolean);
    if (meta.length) lines.push(...wrapLine('  ' + meta.join(' · '), width, '    '));
  });
  return lines;
}
