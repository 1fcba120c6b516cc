/**
 * Where the state file lives (DESIGN.md "State file", resolution order):
 *   1. `--config <path>`                       (source 'flag', relative to cwd)
 *   2. `$MAILSETUP_CONFIG`                      (source 'env'; an empty value counts as unset)
 *   3. `mailsetup.json` in cwd or a parent      (source 'project')
 *   4. `$XDG_CONFIG_HOME/mailsetup/config.json` (source 'xdg'; `~/.config` when unset or relative)
 *
 * Step 3 searches upward only inside a git work tree and stops at its root (the directory holding
 * `.git`): a stray `mailsetup.json` in a parent of the repository, in /tmp or in / must never be
 * picked up. Outside a work tree only cwd itself is looked at, for the same reason.
 *
 * Git is detected by the presence of `.git` (a directory, or a file for worktrees and submodules)
 * rather than by running `git`: it is cheap, needs no git binary and is what git itself looks for.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { MailsetupError } from '../errors.js';

export const PROJECT_FILE = 'mailsetup.json';

export type StateSource = 'flag' | 'env' | 'project' | 'xdg';

export interface LocateOptions {
  /** The `--config` value, if given. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface StateLocation {
  path: string;
  source: StateSource;
}

export function locateStateFile(options: LocateOptions): StateLocation {
  const { flag, env } = options;
  const cwd = resolve(options.cwd);
  if (flag !== undefined) {
    // `--config ""` is almost always an unset shell variable; guessing another file would hide that.
    if (flag.trim() === '') throw new MailsetupError('USAGE', '--config needs a file path', { hint: 'Give the path of the state file, e.g. --config ./mailsetup.json.' });
    return { path: resolve(cwd, flag), source: 'flag' };
  }
  const fromEnv = env.MAILSETUP_CONFIG;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { path: resolve(cwd, fromEnv), source: 'env' };

  const project = findProjectFile(cwd);
  if (project) return { path: project, source: 'project' };

  return { path: join(xdgConfigHome(env), 'mailsetup', 'config.json'), source: 'xdg' };
}

/** The nearest `mailsetup.json` from `cwd` up to the git root (inclusive), or cwd only outside git. */
export function findProjectFile(cwd: string): string | null {
  const start = resolve(cwd);
  const root = findGitRoot(start);
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_FILE);
    if (isFile(candidate)) return candidate;
    if (root === null || dir === root || dirname(dir) === dir) return null;
  }
}

/** The nearest directory at or above `dir` that contains `.git`, or null. `dir` need not exist yet. */
export function findGitRoot(dir: string): string | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return null;
  }
}

export function isInsideGitWorkTree(dir: string): boolean {
  return findGitRoot(dir) !== null;
}

/** XDG Base Directory spec: a relative `$XDG_CONFIG_HOME` is invalid and must be ignored. */
export function xdgConfigHome(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return xdg;
  // HOME from the given env first, so tests (and `env HOME=… mailsetup`) are honoured.
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
  return join(home, '.config');
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
