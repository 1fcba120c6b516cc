import { MailsetupError, redact } from '../errors.js';
import type { Output } from './output.js';
import { escapeText } from './escape.js';

/** The one place errors become output: one line plus a hint, or `{"error": {...}}` in json mode. */
export function renderError(err: unknown, out: Output): number {
  const known = err instanceof MailsetupError;
  const e = known ? err : new MailsetupError('INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`, {
    hint: 'This is a bug in mailsetup. Please report it with the command you ran and the output of --verbose.',
  });
  const message = redact(e.message);
  const hint = e.hint ? redact(e.hint) : null;
  if (out.json) {
    out.document({ error: { code: e.code, message, hint } });
  } else {
    // Messages embed provider, DNS-host and DNS text: escaped, which also keeps the error one line.
    out.warn(`error: ${escapeText(message)} [${e.code}]`);
    if (hint) out.warn(`hint: ${escapeText(hint)}`);
  }
  if (out.verbose) {
    const stack = (known ? (err.cause instanceof Error ? err.cause.stack : null) : err instanceof Error ? err.stack : null);
    if (stack) out.warn(redact(stack));
  }
  return e.exitCode;
}
