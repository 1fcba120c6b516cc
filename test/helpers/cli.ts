/** Run the built CLI as a subprocess, the way users and CI jobs run it: no TTY, no stdin. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NET_GUARD_MARKER } from './net-guard.mjs';
import { assertSchema, schemaKinds } from './schemas.js';

export const BIN = fileURLToPath(new URL('../../bin/mailsetup.cjs', import.meta.url));
const NET_GUARD = new URL('./net-guard.mjs', import.meta.url).href;

export interface CliResult { code: number | null; stdout: string; stderr: string; args?: string[] }

/**
 * What every Node child of the tests gets: the loopback guard preloaded, and no EC2 metadata
 * service (the AWS SDK would otherwise try 169.254.169.254 when no credentials are set).
 */
export function guardEnv(): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: `--import=${NET_GUARD}`, AWS_EC2_METADATA_DISABLED: 'true' };
}

/** Commands that ask DNS; without `--resolver` they would ask the system's (or public) resolvers. */
const ASKS_DNS = new Set(['validate', 'verify', 'watch', 'add', 'autoconfig']);

/**
 * No test uses the system or public resolvers: a command that asks DNS is given a loopback
 * `--resolver` (even where it is refused before asking, so a change in parsing cannot make it leak).
 */
export function assertLoopbackResolver(args: string[]): void {
  if (!args.some((a) => ASKS_DNS.has(a))) return;
  if (args.includes('--help') || args[0] === 'help') return; // help never asks DNS
  if (!args.includes('--resolver')) throw new Error(`mailsetup ${args.join(' ')}: give it --resolver 127.0.0.1:PORT (the default is the system's resolvers)`);
  args.forEach((a, i) => {
    if ((a === '--resolver' || a === '--authoritative') && !/^127\./.test(args[i + 1] ?? '')) {
      throw new Error(`mailsetup ${args.join(' ')}: ${a} ${args[i + 1]} is not on loopback`);
    }
  });
}

/** Fails the run when the child tried to send anything off loopback (the guard's marker on stderr). */
export function assertStayedOnLoopback(args: string[], r: CliResult): CliResult {
  if (r.stderr.includes(NET_GUARD_MARKER)) {
    throw new Error(`mailsetup ${args.join(' ')} tried to leave loopback (give it --resolver/--authoritative on 127.0.0.1):\n${r.stderr}`);
  }
  return r;
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<CliResult> {
  assertLoopbackResolver(args);
  return { ...assertStayedOnLoopback(args, await spawnCli(args, env, () => {}, timeoutMs)), args };
}

/** runCli, calling `onLine` with each stdout line as it arrives. */
export async function runCliStreaming(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void, timeoutMs = 30_000): Promise<CliResult> {
  assertLoopbackResolver(args);
  return { ...assertStayedOnLoopback(args, await spawnCli(args, env, onLine, timeoutMs)), args };
}

/** The CLI as a subprocess with the guard loaded, without failing on its marker (the guard's own test). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', ...env, ...guardEnv() },
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    // Decode as UTF-8 across chunk boundaries: a character split between two reads stays whole.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) { onLine(pending.slice(0, nl)); pending = pending.slice(nl + 1); }
    });
    child.stderr.on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`mailsetup ${args.join(' ')} timed out\n${stderr}`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/**
 * stdout must be exactly one JSON document, and match its command's schema in schemas/ (an error
 * document matches error.schema.json, whatever the command).
 */
export function parseJson(r: CliResult): any {
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
  const kinds = schemaKinds();
  const isError = typeof doc === 'object' && doc !== null && !Array.isArray(doc) && Object.keys(doc).length === 1 && 'error' in doc;
  const command = r.args?.find((a) => kinds.includes(a) && a !== 'error' && a !== 'common');
  if (isError) assertSchema('error', doc);
  else if (command) assertSchema(command, doc);
  return doc;
}
