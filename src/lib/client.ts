/** What every library call takes, and the Runtime built from it (nothing printed). */
import { createRuntime, type Runtime } from '../core/runtime.js';

export interface ClientOptions {
  /** Recursive resolvers (`ip[:port]`); default: the system's (/etc/resolv.conf). */
  resolvers?: string[];
  /** Treat these servers as authoritative for the domain (skips NS discovery). */
  authoritative?: string[];
  /** Per network call, in ms (default 2500 for DNS, 30000 for provider APIs). */
  timeoutMs?: number;
  /** The state file (default: as the CLI finds it: ./mailsetup.json up to the repository root, else the user's). */
  config?: string;
  /** Where credentials are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Diagnostics the CLI prints with --verbose (API retries, …); dropped when not given. */
  debug?: (line: string) => void;
}

/** A run's Runtime, without the CLI's output port: nothing is printed. */
export function runtime(o: ClientOptions): Runtime {
  return createRuntime({
    ...(o.resolvers ? { resolver: o.resolvers } : {}),
    ...(o.authoritative ? { authoritative: o.authoritative } : {}),
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    ...(o.config ? { config: o.config } : {}),
  }, o.env ?? process.env, o.debug ? { debug: o.debug } : {});
}

