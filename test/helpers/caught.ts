import { MailsetupError } from '../../src/errors.js';

/** The MailsetupError `p` rejects with; anything else (or no rejection) fails the test. */
export async function caught(p: Promise<unknown>): Promise<MailsetupError> {
  try { await p; } catch (e) { if (e instanceof MailsetupError) return e; throw e; }
  throw new Error('expected the call to fail');
}
