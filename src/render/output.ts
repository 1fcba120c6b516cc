/**
 * The output port. In `--json` mode stdout carries exactly one JSON document (or one per line for
 * `watch`) and every human line goes to stderr; otherwise human text goes to stdout. Colour follows
 * --no-color / NO_COLOR / FORCE_COLOR, then whether the stream is a terminal.
 */
import { jsonText, terminalSafe } from './escape.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean | undefined;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Colour level for chalk: 0 (none) or 1+. */
  readonly colorLevel: 0 | 1 | 2 | 3;
  /** Whether the human stream is an interactive terminal (spinners, redraws). */
  readonly interactive: boolean;
  /** Width of the human stream (100 when it is not a terminal). */
  readonly columns: number;
  /**
   * A human line of the command's result (stdout; stderr in json mode; dropped when quiet), as it
   * is: renderers fit their lines to `columns` (src/render/table.ts); a line holding a command to
   * copy is left whole for the terminal to soft-wrap, since a hard break would split the command.
   */
  line(text?: string): void;
  /**
   * The command's result line (the verdict): printed even with --quiet, which prints errors and
   * this, nothing else (DESIGN.md). Human stream, or stderr when `toStderr`.
   */
  result(text: string, toStderr?: boolean): void;
  /**
   * Wait for `work`; when it takes more than about a second, show what it waits for (`what`) with a
   * spinner on stderr — on a terminal only, never when piped, quiet or verbose (DESIGN.md).
   */
  waitFor<T>(what: string, work: Promise<T>): Promise<T>;
  /** Progress or advice for humans: always stderr, dropped when quiet. */
  note(text: string): void;
  /** A warning: stderr, even when quiet. */
  warn(text: string): void;
  /** Diagnostics shown only with --verbose (stderr). */
  debug(text: string): void;
  /** The machine-readable result: one JSON document on stdout. */
  document(doc: unknown): void;
}

export function colorLevelFor(opt: boolean | undefined, env: NodeJS.ProcessEnv, isTTY: boolean): 0 | 1 | 2 | 3 {
  if (opt === false) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    const n = Number(force);
    return (n >= 1 && n <= 3 ? n : 1) as 1 | 2 | 3;
  }
  if (opt === true) return 1;
  return isTTY && env.TERM !== 'dumb' ? 1 : 0;
}

export function createOutput(opts: OutputOptions): Output {
  const env = opts.env ?? process.env;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const human = opts.json ? stderr : stdout;
  const interactive = !!human.isTTY && env.CI !== 'true' && env.TERM !== 'dumb';
  const colorLevel = colorLevelFor(opts.color, env, !!human.isTTY);
  // Renderers escape what came from outside; this net makes sure nothing they missed reaches a
  // terminal raw (only line breaks, and our colour codes when colour is on, pass).
  const safe = (text: string): string => terminalSafe(text, colorLevel > 0) + '\n';
  const columns = (human as { columns?: number }).columns || 100;
  // Spinners only where a person watches stderr, and never mixed with --verbose lines.
  const spinners = !!stderr.isTTY && env.CI !== 'true' && env.TERM !== 'dumb' && !opts.quiet && !opts.verbose;
  return {
    json: opts.json,
    quiet: opts.quiet,
    verbose: opts.verbose,
    colorLevel,
    interactive,
    columns,
    line(text = '') { if (!opts.quiet) human.write(safe(text)); },
    result(text, toStderr = false) { (toStderr ? stderr : human).write(safe(text)); },
    waitFor(what, work) {
      if (!spinners) return work;
      let done = false;
      let spinner: { stop(): unknown } | null = null;
      const timer = setTimeout(() => {
        void import('ora').then(({ default: ora }) => {
          if (!done) spinner = ora({ text: terminalSafe(what, false), stream: stderr, discardStdin: false, color: colorLevel > 0 ? 'cyan' : false }).start();
        });
      }, 1000);
      return work.finally(() => { done = true; clearTimeout(timer); spinner?.stop(); });
    },
    note(text) { if (!opts.quiet) stderr.write(safe(text)); },
    warn(text) { stderr.write(safe(text)); },
    debug(text) { if (opts.verbose) stderr.write(safe(text)); },
    document(doc) { stdout.write(jsonText(doc, 2) + '\n'); },
  };
}
