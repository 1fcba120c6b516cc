/**
 * What every use case needs from a run, without a front end: the DNS engine, which resolvers and
 * authoritative servers to ask, the timeouts, the environment credentials are read from, the state
 * file, and a sink for diagnostics. The CLI's Context (src/cli/context.ts) adds the output port to
 * it; the library (src/lib/) builds one that prints nothing. Core functions take a Runtime, so they
 * can be called without the CLI around them.
 */
import { DnsEngine, type DnsQuestionEvent } from '../dns/engine.js';
import { systemResolvers } from '../dns/system.js';
import { openStateStore, type StateStore } from '../state/store.js';

export interface RuntimeOptions {
  /** The state file (`--config`); else found as DESIGN.md "State file" says. */
  config?: string;
  /** Recursive resolvers (`--resolver`); else the system's. */
  resolver?: string[];
  /** Servers taken as authoritative (`--authoritative`), skipping NS discovery. */
  authoritative?: string[];
  /** Per network call, in ms (`--timeout`). */
  timeout?: number;
}

export interface Runtime {
  dns: DnsEngine;
  /** Recursive resolvers: --resolver, else the system's. */
  resolvers: string[];
  /** Whether --resolver was given (it then replaces the public comparator set too). */
  resolversGiven: boolean;
  /** --authoritative servers, when given (skip NS discovery). */
  authoritative: string[];
  timeoutMs: number;
  /** Provider and DNS-host API calls: --timeout when given, else 30 s (APIs are slower than DNS). */
  apiTimeoutMs: number;
  env: NodeJS.ProcessEnv;
  configPath: string | undefined;
  /** The state file, located on first use (commands that need no state never touch it). */
  store(): StateStore;
  /** Diagnostics (the CLI shows them with --verbose; the library drops them unless asked). */
  debug(line: string): void;
  /** Wait for `work`, saying what it waits for (the CLI's spinner on a terminal; else just the wait). */
  waitFor<T>(what: string, work: Promise<T>): Promise<T>;
}

export interface RuntimeHooks {
  debug?: (line: string) => void;
  waitFor?: <T>(what: string, work: Promise<T>) => Promise<T>;
  /** Every DNS question as it completes (the CLI's --verbose lines). */
  observer?: (q: DnsQuestionEvent) => void;
  cwd?: string;
}

export function createRuntime(o: RuntimeOptions, env: NodeJS.ProcessEnv = process.env, hooks: RuntimeHooks = {}): Runtime {
  const timeoutMs = o.timeout ?? 2500;
  const resolversGiven = !!(o.resolver && o.resolver.length > 0);
  let store: StateStore | undefined;
  return {
    dns: new DnsEngine({ timeoutMs, retries: 1, concurrency: 16, ...(hooks.observer ? { observer: hooks.observer } : {}) }),
    resolvers: resolversGiven ? o.resolver! : systemResolvers(),
    resolversGiven,
    authoritative: o.authoritative ?? [],
    timeoutMs,
    apiTimeoutMs: o.timeout ?? 30_000,
    env,
    configPath: o.config,
    store: () => (store ??= openStateStore({ flag: o.config, env, cwd: hooks.cwd ?? process.cwd() })),
    debug: hooks.debug ?? (() => {}),
    waitFor: hooks.waitFor ?? (<T>(_what: string, work: Promise<T>) => work),
  };
}
