/**
 * The colours `validate`'s renderers paint with: chalk when colour is on, else chalk's level-0
 * behaviour without chalk.
 *
 * Why the lazy import: importing chalk detects the terminal's colour support (it imports
 * node:process, whose ESM namespace reads every property of `process`, node:os and node:tty), about
 * 15 M instructions, 2 % of a `validate` run, although we always give chalk the level ourselves.
 * A piped, NO_COLOR or --json run (every script, CI job and the bench) needs none of it.
 */
import type { ChalkInstance } from 'chalk';

/** The chalk styles the validate renderers use. */
export type Painter = Pick<ChalkInstance, 'bold' | 'cyan' | 'gray' | 'green' | 'red' | 'yellow'>;

/** What a chalk style does at level 0: its arguments as text, joined by spaces. */
const asText = ((...args: unknown[]) => (args.length === 1 ? '' + args[0] : args.join(' '))) as ChalkInstance;
const PLAIN: Painter = { bold: asText, cyan: asText, gray: asText, green: asText, red: asText, yellow: asText };

export async function painter(colorLevel: 0 | 1 | 2 | 3): Promise<Painter> {
  if (colorLevel === 0) return PLAIN;
  const { Chalk } = await import('chalk');
  return new Chalk({ level: colorLevel });
}
