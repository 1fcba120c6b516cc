/**
 * Reading and writing the state file (DESIGN.md "State file"): guarantees, in order of importance:
 *  - a file that cannot be read, parsed or validated is reported (CONFIG_INVALID, exit 78, with its
 *    path) and never rewritten — `update` parses before it writes and throws before touching it;
 *  - writes are atomic (temp file in the same directory, fsync, rename, fsync of the directory), so a
 *    reader or a crash sees the old file or the new one, never half of one;
 *  - writers are serialised across processes by a lock, and `update` re-reads the file inside it, so
 *    concurrent `add`s of different domains all land;
 *  - no secret from the environment is ever written;
 *  - fields this version does not know are kept.
 *
 * Lock: `proper-lockfile` (mkdir-based, so it also works on network file systems; stale-lock
 * detection by mtime, refreshed while held), imported lazily in `update` so that read-only commands
 * never load it. The atomic write is done here (`writeFileAtomic` below) rather than with
 * `write-file-atomic`, whose temp-file naming reads CommonJS `__filename` at write time: undefined
 * in the CLI's ESM bundle, so every write would throw there.
 */
// fs.promises, read when a file operation runs: node:fs/promises loads a dozen modules (readline,
// watchers …), and `validate`, which never reads the state file, loads this module at start.
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MailsetupError, SECRET_ENV } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import { isInsideGitWorkTree, locateStateFile, type LocateOptions, type StateSource } from './locate.js';
import { emptyState, normaliseState, validateState, type DomainState, type DomainStatus, type StateFile } from './schema.js';

const UNREADABLE_HINT = 'Fix the file by hand or move it away; mailsetup never overwrites a file it cannot read.';

/** Lock timings: a held lock is refreshed every 2 s and counts as stale (its holder died) after 10 s. */
const LOCK_STALE_MS = 10_000;
const LOCK_UPDATE_MS = 2_000;
/**
 * Waiting for the lock: short randomised back-off first (a write takes milliseconds, and 20 `add`s
 * at once must all get through quickly), capped at 500 ms, until a deadline — 45 s by default,
 * longer than LOCK_STALE_MS, so a lock left behind by a killed process is always outlived and taken
 * over. A deadline rather than a retry count, so that STATE_LOCKED comes when the wait says it does.
 * `MAILSETUP_LOCK_WAIT` (a duration) changes it: CI jobs that queue on one file may want longer.
 */
const LOCK_WAIT_MS = 45_000;
const LOCK_BACKOFF = { first: 10, factor: 1.3, max: 500 };

/** Secrets shorter than this are not looked for: a 4-character test key would match ordinary words. */
const MIN_SECRET_LENGTH = 8;

interface HeldLock {
  /** Set when another process took the lock over as stale (we were stalled for > LOCK_STALE_MS). */
  compromised(): Error | null;
  release(): Promise<void>;
}

export interface StateStoreOptions {
  path: string;
  /** Looked at for SECRET_ENV values that must never be written. */
  env?: NodeJS.ProcessEnv;
  source?: StateSource;
  /** How long `update` waits for another process's lock before STATE_LOCKED (default: $MAILSETUP_LOCK_WAIT, else 45 s). */
  lockWaitMs?: number;
}

export class StateStore {
  readonly path: string;
  readonly source: StateSource | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly lockWaitMs: number | undefined;

  constructor(options: StateStoreOptions) {
    this.path = resolve(options.path);
    this.source = options.source;
    this.env = options.env ?? process.env;
    this.lockWaitMs = options.lockWaitMs;
  }

  /** The lock directory proper-lockfile creates next to the file while a process writes it. */
  get lockPath(): string {
    return `${this.path}.lock`;
  }

  /** The current state; an empty v1 state when the file does not exist (which is not created). */
  async read(): Promise<StateFile> {
    const text = await this.readText();
    return text === null ? emptyState() : parseState(text, this.path);
  }

  /**
   * Lock, re-read, apply `mutator` to the fresh state, validate, write atomically, unlock. Returns
   * what the mutator returned. Keep the mutator quick and free of network calls: other mailsetup
   * processes wait for the lock meanwhile. Nothing is written when the mutator changed nothing.
   */
  async update<T>(mutator: (state: StateFile) => T | Promise<T>): Promise<T> {
    const dir = dirname(this.path);
    const inGit = isInsideGitWorkTree(dir);
    // Outside a repository the file is private to the user (XDG config dir), so its directory is too.
    await fsp.mkdir(dir, { recursive: true, ...(inGit ? {} : { mode: 0o700 }) }).catch((e: unknown) => {
      throw this.ioError('its directory cannot be created', e);
    });
    const held = await this.lock();
    try {
      const before = await this.readText();
      const state = before === null ? emptyState() : parseState(before, this.path);
      // Compared after the mutator, so that a no-op neither creates the file nor reformats the user's.
      const unchanged = serializeState(state);
      const result = await mutator(state);
      const problems = validateState(state);
      if (problems.length > 0) {
        throw new MailsetupError('INTERNAL', `refusing to write ${this.path}: the new state is invalid: ${problems.join('; ')}`, {
          hint: 'This is a bug in mailsetup; the file was left as it was. Please report it.',
        });
      }
      const text = serializeState(state);
      if (text === unchanged) return result;
      this.assertNoSecret(text, before);
      const lost = held.compromised();
      if (lost) throw this.ioError('its lock was lost while updating it (it was left as it was)', lost);
      await this.writeAtomic(text, before === null ? (inGit ? 0o644 : 0o600) : undefined);
      return result;
    } finally {
      await held.release();
    }
  }

  private async readText(): Promise<string | null> {
    try {
      return await fsp.readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.ioError('it cannot be read', e);
    }
  }

  private waitMs(): number {
    if (this.lockWaitMs !== undefined) return this.lockWaitMs;
    const raw = this.env.MAILSETUP_LOCK_WAIT;
    if (!raw) return LOCK_WAIT_MS;
    try {
      return parseDuration(raw);
    } catch {
      throw new MailsetupError('USAGE', `MAILSETUP_LOCK_WAIT: "${raw}" is not a duration`, { hint: 'Use a duration such as 45s or 2m, or unset it.' });
    }
  }

  private async lock(): Promise<HeldLock> {
    // CommonJS module: under Node's ESM loader its exports are named, inside the esbuild bundle they
    // may only be on `default`.
    const mod = await import('proper-lockfile');
    const lock = mod.lock ?? (mod as unknown as { default: typeof mod }).default.lock;
    let compromised: Error | null = null;
    const waitMs = this.waitMs();
    const deadline = Date.now() + waitMs;
    let delay = LOCK_BACKOFF.first;
    for (;;) {
      try {
        const release = await lock(this.path, {
          // The file may not exist yet; realpath would fail on it.
          realpath: false,
          stale: LOCK_STALE_MS,
          update: LOCK_UPDATE_MS,
          // Each attempt also takes over a stale lock; the waiting between attempts is ours (above).
          retries: 0,
          // The default throws from a timer and kills the process; note it and refuse to write instead.
          onCompromised: (err) => { compromised = err; },
        });
        return {
          compromised: () => compromised,
          release: async () => {
            // Already gone (compromised, or removed by hand): the write is done or was refused either way.
            if (!compromised) await release().catch(() => {});
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw this.ioError('it cannot be locked', e);
        const left = deadline - Date.now();
        if (left <= 0) throw this.lockedError(waitMs, e);
        const pause = Math.min(left, delay * (1 + Math.random()));
        delay = Math.min(delay * LOCK_BACKOFF.factor, LOCK_BACKOFF.max);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  /**
   * Another process holds the lock: not a broken file (CONFIG_INVALID would say "fix it by hand"),
   * but a busy one. The hint says how to tell a live holder from a dead one: a live holder refreshes
   * the lock's mtime every LOCK_UPDATE_MS; a dead one's lock is taken over once LOCK_STALE_MS old.
   */
  private lockedError(waitMs: number, cause: unknown): MailsetupError {
    const secs = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
    return new MailsetupError('STATE_LOCKED', `${this.path}: another mailsetup process held it locked for longer than the ${secs(waitMs)} wait`, {
      hint: `The lock is the directory ${this.lockPath}. A running holder touches it every ${secs(LOCK_UPDATE_MS)}, so its modification time keeps moving; `
        + `one whose process died is taken over automatically once it is ${secs(LOCK_STALE_MS)} old. Wait for the other run and try again (MAILSETUP_LOCK_WAIT=2m waits longer); `
        + `remove the directory only if no mailsetup is running.`,
      cause,
    });
  }

  private async writeAtomic(text: string, newFileMode: number | undefined): Promise<void> {
    try {
      await writeFileAtomic(this.path, text, newFileMode);
    } catch (e) {
      throw this.ioError('it cannot be written (it was left as it was)', e);
    }
  }

  /** Defence in depth: credentials live in the environment only (DESIGN.md), so they must never reach the file. */
  private assertNoSecret(text: string, before: string | null): void {
    for (const name of SECRET_ENV) {
      const value = this.env[name];
      if (!value || value.length < MIN_SECRET_LENGTH) continue;
      const escaped = JSON.stringify(value).slice(1, -1);
      const inside = (t: string): boolean => t.includes(value) || t.includes(escaped);
      if (!inside(text)) continue;
      // Already in the file: the user put it there, and it is theirs to remove, not a bug of ours.
      if (before !== null && inside(before)) {
        throw new MailsetupError('CONFIG_INVALID', `${this.path}: contains the value of $${name}; credentials belong in the environment only`, {
          hint: 'Remove the credential from the file by hand; mailsetup will not write a file that holds one.',
        });
      }
      throw new MailsetupError('INTERNAL', `refusing to write ${this.path}: a value would contain the secret from $${name}`, {
        hint: 'This is a bug in mailsetup; the file was left as it was. Please report it (without the secret).',
      });
    }
  }

  private ioError(what: string, e: unknown): MailsetupError {
    const code = (e as NodeJS.ErrnoException).code;
    return new MailsetupError('CONFIG_INVALID', `${this.path}: ${what}${code ? ` (${code})` : ''}`, { hint: UNREADABLE_HINT, cause: e });
  }
}

/** Locate the state file (locate.ts) and open a store on it. */
export function openStateStore(options: LocateOptions): StateStore {
  const { path, source } = locateStateFile(options);
  return new StateStore({ path, source, env: options.env });
}

/** Parse and validate file content; any problem is CONFIG_INVALID naming the file. */
export function parseState(text: string, path: string): StateFile {
  const invalid = (problem: string): MailsetupError => new MailsetupError('CONFIG_INVALID', `${path}: ${problem}`, { hint: UNREADABLE_HINT });
  // Editors on Windows may save a byte-order mark; it is not content.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw invalid('the file is empty (expected a JSON object with "version": 1)');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw invalid(`not valid JSON: ${jsonErrorWhere(body, (e as Error).message)}`);
  }
  const problems = validateState(json);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    throw invalid(problems.length > 10 ? `${shown}; and ${problems.length - 10} more problems` : shown);
  }
  return normaliseState(json);
}

/** Pretty JSON, trailing newline, domains sorted by name so that diffs in git stay small. */
export function serializeState(state: StateFile): string {
  const names = Object.keys(state.domains).sort();
  // Object.fromEntries defines own properties, so even a `__proto__` key is kept as data.
  const domains = Object.fromEntries(names.map((name) => [name, state.domains[name]]));
  return `${JSON.stringify({ ...state, domains }, null, 2)}\n`;
}

/**
 * Set a domain's status, appending to its history only when the status changes (or when the
 * history is empty, so it starts with the status the domain has). Returns whether anything changed.
 */
export function recordStatus(domain: DomainState, status: DomainStatus, detail?: string | null, now: Date = new Date()): boolean {
  if (domain.status === status && domain.history.length > 0) return false;
  const at = now.toISOString();
  domain.history.push(detail === undefined ? { at, status } : { at, status, detail });
  domain.status = status;
  domain.updatedAt = at;
  return true;
}

/** Node's JSON.parse says "at position N"; a person editing the file wants a line and column. */
function jsonErrorWhere(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${message.replace(/\s*in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms (Windows) and file systems cannot open or fsync a directory; the rename stands.
  }
}

let tempCounter = 0;

/**
 * Temp file in the target's directory (rename is atomic only within one file system), written,
 * fsynced, renamed over the target, then the directory fsynced so that the rename itself survives a
 * crash. A symlinked state file is written through (the link stays). An existing file keeps its
 * mode (and, for root, its owner); a new one gets `newFileMode` whatever the umask.
 */
async function writeFileAtomic(path: string, text: string, newFileMode = 0o600): Promise<void> {
  const target = await fsp.realpath(path).catch(() => path);
  const existing = await fsp.stat(target).catch(() => null);
  const mode = existing ? existing.mode & 0o7777 : newFileMode;
  // Unique per process and call; 'wx' makes a clash fail instead of sharing a file.
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now().toString(36)}.${++tempCounter}.tmp`);
  const handle = await fsp.open(temp, 'wx', mode);
  try {
    try {
      await handle.chmod(mode);
      if (existing && process.getuid?.() === 0) await handle.chown(existing.uid, existing.gid).catch(() => {});
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, target);
  } catch (e) {
    await fsp.unlink(temp).catch(() => {});
    throw e;
  }
  await fsyncDir(dirname(target));
}
