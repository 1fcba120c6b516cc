/**
 * The per-run Context built from the global options: output port, DNS engine, resolver and
 * authoritative server lists, timeout. Core functions take it instead of reaching for globals.
 */
import { DnsEngine } from '../dns/engine.js';
import { systemResolvers } from '../dns/system.js';
import { createOutput, type Output } from '../render/output.js';

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
  /** --authoritative servers, when given (skip NS discovery). */
  authoritative: string[];
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  configPath: string | undefined;
}

export function createContext(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Context {
  const out = createOutput({ json: !!g.json, quiet: !!g.quiet, verbose: !!g.verbose, color: g.color === false ? false : undefined, env });
  const timeoutMs = g.timeout ?? 2500;
  const resolvers = g.resolver && g.resolver.length > 0 ? g.resolver : systemResolvers();
  return {
    out,
    dns: new DnsEngine({ timeoutMs, retries: 1, concurrency: 16 }),
    resolvers,
    authoritative: g.authoritative ?? [],
    timeoutMs,
    env,
    configPath: g.config,
  };
}
