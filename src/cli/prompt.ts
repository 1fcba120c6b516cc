/**
 * The confirmation port. Without a terminal on both ends there is nobody to ask: the caller must
 * have passed --yes, or gets CONFIRMATION_REQUIRED (exit 64) and nothing is changed. Ctrl-C at the
 * question throws `Interrupted` (main prints "Aborted", exit 130).
 */
import { MailsetupError } from '../errors.js';
import { escapeText } from '../render/escape.js';
import { Interrupted } from './interrupt.js';

export async function confirm(question: string, opts: { yes: boolean; what: string }): Promise<boolean> {
  if (opts.yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new MailsetupError('CONFIRMATION_REQUIRED', `${opts.what} needs confirmation, and there is no terminal to ask`, {
      hint: 'Run it again with --yes to confirm.',
    });
  }
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    // Ctrl-C: readline holds the terminal in raw mode, so it arrives here, not as a signal.
    rl.on('SIGINT', () => { settled = true; rl.close(); reject(new Interrupted()); });
    // Ctrl-D (end of input) is no answer: not confirmed.
    rl.on('close', () => { if (!settled) { settled = true; process.stderr.write('\n'); resolve(false); } });
    // The question names zones read from DNS: escaped like every other line.
    rl.question(`${escapeText(question)} [y/N] `, (answer) => {
      settled = true;
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}
