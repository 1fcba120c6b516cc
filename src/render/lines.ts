/**
 * A human line as a renderer hands it to the CLI: its text (escaped, coloured, fitted) and whether it
 * is the command's result line — the verdict `--quiet` still prints (DESIGN.md), through the output
 * port's `result()`; every other line goes through `line()`.
 */
import { wrapLine } from './table.js';

export interface HumanLine {
  text: string;
  result?: boolean;
}

/** Plain lines (never the result). */
export const plain = (lines: string[]): HumanLine[] => lines.map((text) => ({ text }));

/** The result line. */
export const result = (text: string): HumanLine => ({ text, result: true });

/** Each line word-wrapped to `width` at spaces (a wrapped result line stays the result, every part of it). */
export function fitted(lines: HumanLine[], width: number): HumanLine[] {
  return lines.flatMap((l) => wrapLine(l.text, width).map((text) => ({ ...l, text })));
}
