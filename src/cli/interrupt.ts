/**
 * Ctrl-C (DESIGN.md exit 130): at a prompt or during a long step the run stops with "Aborted" and
 * exit 130 — never an "internal error". State writes are atomic (src/state/store.ts), so stopping
 * between them leaves the file as it was or as it became, never half-written; the state lock is
 * released on exit by proper-lockfile's exit hook.
 */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export const INTERRUPTED_EXIT = 130;

/** Print "Aborted" (on a fresh line on a terminal, after the echoed ^C). */
export function sayAborted(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): void {
  stream.write(`${stream.isTTY ? '\n' : ''}Aborted.\n`);
}

let claimed = 0;

/**
 * A command that stops cleanly on Ctrl-C itself (watch: ends its loop, saves, reports) claims the
 * signal while it runs; call the returned function when done. (Counting SIGINT listeners would not
 * do: signal-exit, used by ora and proper-lockfile, listens too.)
 */
export function claimInterrupt(): () => void {
  claimed++;
  let released = false;
  return () => { if (!released) { released = true; claimed--; } };
}

/**
 * While a command runs: SIGINT (or SIGTERM) ends it with "Aborted" and 130, unless the command
 * claimed the signal (`claimInterrupt`). Returns the uninstaller.
 */
export function abortOnInterrupt(): () => void {
  const handler = () => {
    if (claimed > 0) return; // the command handles it
    sayAborted();
    process.exit(INTERRUPTED_EXIT);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); };
}
