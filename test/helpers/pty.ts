/**
 * The CLI on a real pseudo-terminal of a given size, through `script` (util-linux), plus a small
 * terminal emulator that replays what it printed — so a test can look at the screen a person sees
 * (autowrap at the terminal's width, cursor-up and clear codes applied), not at the byte stream.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { assertLoopbackResolver, BIN, guardEnv } from './cli.js';
import { NET_GUARD_MARKER } from './net-guard.mjs';

export const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p)) ?? null;

export interface PtyResult { code: number | null; out: string }

export interface PtyOptions {
  cols: number;
  rows?: number;
  env?: NodeJS.ProcessEnv;
  /** Typed into the terminal: each `write` once the output so far matches `after` (and `delayMs` more passed). */
  input?: Array<{ after: RegExp; write: string; delayMs?: number }>;
  timeoutMs?: number;
}

/** Run `mailsetup args` on a terminal `cols` wide (stdin, stdout and stderr all on it). */
export function runPty(args: string[], opt: PtyOptions): Promise<PtyResult> {
  if (!SCRIPT) throw new Error('script (util-linux) is not installed');
  assertLoopbackResolver(args);
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const cmd = `stty cols ${opt.cols} rows ${opt.rows ?? 50}; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  return new Promise((resolve) => {
    const child = spawn(SCRIPT!, ['-qefc', cmd, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', ...opt.env, ...guardEnv() },
    });
    let out = '';
    const steps = [...(opt.input ?? [])];
    let waiting = false;
    const feed = () => {
      if (waiting || !steps.length || !steps[0]!.after.test(out)) return;
      waiting = true;
      setTimeout(() => { waiting = false; if (steps.length) child.stdin.write(steps.shift()!.write); feed(); }, steps[0]!.delayMs ?? 0);
    };
    const poll = setInterval(feed, 100);
    // Never leave a runaway child behind: kill the whole session if it outlives the test.
    const guard = setTimeout(() => child.kill('SIGKILL'), opt.timeoutMs ?? 30_000);
    // setEncoding: a UTF-8 character split across two chunks (a box-drawing '─' at a pipe boundary)
    // is decoded whole, not as replacement characters that would widen the line.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (x: string) => { out += x; if (out.length > 2_000_000) child.kill('SIGKILL'); feed(); });
    child.stderr.on('data', (x: string) => { out += x; });
    child.on('close', (c) => {
      clearTimeout(guard);
      clearInterval(poll);
      if (out.includes(NET_GUARD_MARKER)) throw new Error(`mailsetup ${args.join(' ')} tried to leave loopback:\n${out}`);
      resolve({ code: c, out });
    });
  });
}

/**
 * Replay terminal output on a screen `cols` wide with unlimited height: printable characters
 * autowrap (with the pending-wrap column real terminals have), CR, LF, cursor up (CSI n A), column
 * (CSI n G), erase below (CSI J) and erase line (CSI K) are applied; colours and modes are ignored.
 * Returns the rows, trailing spaces trimmed.
 */
export function replayScreen(out: string, cols: number): string[] {
  const rows: string[][] = [[]];
  let r = 0;
  let c = 0;
  const row = (i: number) => (rows[i] ??= []);
  for (let i = 0; i < out.length; i++) {
    const ch = out[i]!;
    if (ch === '\x1b') {
      const m = /^\x1b\[(\??)([0-9;]*)([A-Za-z])/.exec(out.slice(i, i + 16));
      if (!m) continue;
      i += m[0].length - 1;
      if (m[1]) continue; // private modes (cursor visibility)
      const n = Number(m[2] || '0');
      if (m[3] === 'A') { r = Math.max(0, r - (n || 1)); c = Math.min(c, cols - 1); }
      else if (m[3] === 'G') c = Math.max(0, (n || 1) - 1);
      else if (m[3] === 'J' && n === 0) { row(r).length = Math.min(row(r).length, c); rows.length = r + 1; }
      else if (m[3] === 'K' && n === 0) row(r).length = Math.min(row(r).length, c);
      continue;
    }
    if (ch === '\r') { c = 0; continue; }
    if (ch === '\n') { r++; row(r); continue; }
    if (ch < ' ') continue;
    if (c >= cols) { r++; c = 0; }
    const line = row(r);
    while (line.length < c) line.push(' ');
    line[c++] = ch;
  }
  return rows.map((x) => x.join('').replace(/\s+$/, ''));
}

/** The visible text of terminal output, escape codes and CRs removed (for width checks). */
export function plainLines(out: string): string[] {
  // eslint-disable-next-line no-control-regex
  return out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').split('\n');
}
