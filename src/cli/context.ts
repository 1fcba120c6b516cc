/**
 * The per-run Context of a CLI command: the core Runtime (src/core/runtime.ts) built from the global
 * options, plus the output port. Core functions take the Runtime part only.
 */
import { createRuntime, type Runtime } from '../core/runtime.js';
import { createOutput, type Output } from '../render/output.js';
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

export interface Context extends Runtime {
  out: Output;
}

export function createContext(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Context {
  const out = createOutput({ json: !!g.json, quiet: !!g.quiet, verbose: !!g.verbose, color: g.color === false ? false : undefined, env });
  // --verbose: every DNS question and every API call on stderr (src/cli/verbose.ts).
  if (g.verbose) traceApiCalls((l) => out.debug(l));
  const rt = createRuntime(g, env, { debug: (l) => out.debug(l), waitFor: (what, work) => out.waitFor(what, work), ...(g.verbose ? { observer: (q) => out.debug(dnsLine(q)) } : {}) });
  return Object.assign(rt, { out });
}
