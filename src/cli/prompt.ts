/**
 * The confirmation port. Without a terminal on both ends there is nobody to ask: the caller must
 * have passed --yes, or gets CONFIRMATION_REQUIRED (exit 64) and nothing is changed.
 */
import { MailsetupError } from '../errors.js';
import { escapeText } from '../render/escape.js';

export async function confirm(question: string, opts: { yes: boolean; what: string }): Promise<boolean> {
  if (opts.yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new MailsetupError('CONFIRMATION_REQUIRED', `${opts.what} needs confirmation, and there is no terminal to ask`, {
      hint: 'Run it again with --yes to confirm.',
    });
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    // The question names zones read from DNS: escaped like every other line.
    const answer = await rl.question(`${escapeText(question)} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
