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

/**
 * While a command runs: SIGINT (or SIGTERM) ends it with "Aborted" and 130, unless the command
 * listens for the signal itself (watch stops its loop and reports). Returns the uninstaller.
 */
export function abortOnInterrupt(): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return; // the command handles it
    sayAborted();
    process.exit(INTERRUPTED_EXIT);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); };
}
