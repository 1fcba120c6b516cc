/**
 * The per-run Context built from the global options: output port, DNS engine, resolver and
 * authoritative server lists, timeout. Core functions take it instead of reaching for globals.
 */
import { DnsEngine } from '../dns/engine.js';
import { systemResolvers } from '../dns/system.js';
import { createOutput, type Output } from '../render/output.js';
import { openStateStore, type StateStore } from '../state/store.js';
import { dnsLine, traceApiCalls } from './verbose.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  resolver?: string[];
  authoritative?: string[];
  timeout?: number;
}

export interface Context {
  out: Output;
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
}

export function createContext(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Context {
  const out = createOutput({ json: !!g.json, quiet: !!g.quiet, verbose: !!g.verbose, color: g.color === false ? false : undefined, env });
  const timeoutMs = g.timeout ?? 2500;
  // --verbose: every DNS question and every API call on stderr (src/cli/verbose.ts).
  if (g.verbose) traceApiCalls((l) => out.debug(l));
  const resolvers = g.resolver && g.resolver.length > 0 ? g.resolver : systemResolvers();
  let store: StateStore | undefined;
  return {
    out,
    apiTimeoutMs: g.timeout ?? 30_000,
    store: () => (store ??= openStateStore({ flag: g.config, env, cwd: process.cwd() })),
    dns: new DnsEngine({ timeoutMs, retries: 1, concurrency: 16, ...(g.verbose ? { observer: (q) => out.debug(dnsLine(q)) } : {}) }),
    resolvers,
    resolversGiven: !!(g.resolver && g.resolver.length > 0),
    authoritative: g.authoritative ?? [],
    timeoutMs,
    env,
    configPath: g.config,
  };
}
