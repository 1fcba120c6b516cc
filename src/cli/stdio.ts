/**
 * What commander prints by itself (help, --version, usage errors) goes out without creating
 * process.stdout or process.stderr when they are a pipe or a file: the first touch of either builds a
 * stream, which loads Node's stream and net modules (~2 ms, a sixth of what `mailsetup --help` adds
 * to Node's start-up) for one write. A terminal keeps the streams: commander asks them for the width.
 */
import { fstatSync, writeSync } from 'node:fs';

/** A pipe, socket or regular file: no terminal, so no width or colour to ask the stream for. */
export function plainFd(fd: 1 | 2): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket() || st.isFile();
  } catch {
    return false;
  }
}

const EXIT_QUIETLY_ON_EPIPE = (e: NodeJS.ErrnoException): void => {
  // `mailsetup validate x | head` closes the pipe early: that is not an error worth a stack trace.
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  else throw e;
};

let guarded = false;

/** The streams' EPIPE handling; call before anything writes through process.stdout or process.stderr. */
export function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) stream.on('error', EXIT_QUIETLY_ON_EPIPE);
}

/**
 * One write to fd 1 or 2, synchronous like the streams are for pipes and files on POSIX. A pipe
 * someone made non-blocking may refuse part of it (EAGAIN): the rest then goes through the stream,
 * which waits. A closed pipe ends the run quietly, as guardStdio does for the streams.
 */
export function writeDirect(fd: 1 | 2, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'EAGAIN') return EXIT_QUIETLY_ON_EPIPE(err);
      guardStdio();
      (fd === 1 ? process.stdout : process.stderr).write(rest);
      return;
    }
  }
}
