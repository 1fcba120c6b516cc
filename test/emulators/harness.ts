/**
 * What every loopback emulator shares: the fault switch tests flip (`fail(fault, times,
 * afterRequests)`), answering a fault (the provider's own error bodies come from a per-emulator
 * table; reset/malformed/slow are the same everywhere but for a body sample), and the server itself
 * (127.0.0.1 on a free port, body read whole, request log, sockets destroyed on close).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorFault } from './types.js';

/** How one provider answers the error faults, and what its broken bodies look like. */
export interface FaultAnswers {
  auth(res: ServerResponse): void;
  forbidden(res: ServerResponse): void;
  /** `retryAfter` is `{ 'retry-after': "<seconds>" }`, or empty when the fault has no Retry-After. */
  rateLimit(res: ServerResponse, retryAfter: Record<string, string>, seconds: number | null): void;
  serverError(res: ServerResponse): void;
  /** Body of a 200 that does not parse. */
  malformed: string;
  /** Start of a body the connection is reset in the middle of. */
  truncated: string;
  /** Default `application/json`. */
  contentType?: string;
  /** Extra headers on the malformed answer (a request id …). */
  headers?: () => Record<string, string>;
}

export interface FaultSwitch {
  /** Make the next `times` requests (default 1) fail this way, after `afterRequests` pass; `times` 0 clears. */
  fail(fault: EmulatorFault, times?: number, afterRequests?: number): void;
  /** The fault this request meets, if any; a request with `counts` false does not use up `afterRequests`. */
  next(counts?: boolean): EmulatorFault | null;
  /**
   * Answer `fault` the provider's way. Resolves true when the request has been answered (or its
   * connection dropped); false when the handler should go on — for `slow`, after the delay.
   */
  answer(res: ServerResponse, fault: EmulatorFault | null, answers: FaultAnswers): Promise<boolean>;
  /** Drop pending slow answers (the server is closing). */
  cancel(): void;
}

export function createFaultSwitch(): FaultSwitch {
  let state: { fault: EmulatorFault; left: number; after: number } | null = null;
  const timers = new Set<NodeJS.Timeout>();
  return {
    fail(fault, times = 1, afterRequests = 0) { state = times > 0 ? { fault, left: times, after: afterRequests } : null; },
    next(counts = true) {
      if (!state || state.left <= 0) return null;
      if (state.after > 0) {
        if (counts) state.after -= 1;
        return null;
      }
      const f = state.fault;
      if (--state.left <= 0) state = null;
      return f;
    },
    async answer(res, f, a) {
      if (!f) return false;
      const type = a.contentType ?? 'application/json';
      switch (f.kind) {
        case 'auth': a.auth(res); return true;
        case 'forbidden': a.forbidden(res); return true;
        case 'rate-limit': a.rateLimit(res, f.retryAfterSeconds === null ? {} : { 'retry-after': String(f.retryAfterSeconds) }, f.retryAfterSeconds); return true;
        case 'server-error': a.serverError(res); return true;
        case 'malformed':
          res.writeHead(200, { 'content-type': type, 'content-length': String(Buffer.byteLength(a.malformed)), ...a.headers?.() }).end(a.malformed);
          return true;
        case 'reset':
          res.writeHead(200, { 'content-type': type, 'content-length': '4096' });
          res.write(a.truncated);
          setImmediate(() => res.socket?.destroy());
          return true;
        case 'slow':
          await new Promise<void>((resolve) => { const t = setTimeout(() => { timers.delete(t); resolve(); }, f.delayMs); timers.add(t); });
          return false;
      }
    },
    cancel() { for (const t of timers) clearTimeout(t); timers.clear(); },
  };
}

export type LoopbackHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer, url: URL) => void | Promise<void>;

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** Every request received, in order (logged once its body has arrived). */
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

/** Serve `handler` on 127.0.0.1 (a free port); `close` cancels the faults' slow answers and destroys open sockets. */
export async function startLoopbackServer(handler: LoopbackHandler, faults?: Pick<FaultSwitch, 'cancel'>): Promise<LoopbackServer> {
  const requests: LoopbackServer['requests'] = [];
  const server = createServer((req, res) => {
    res.on('error', () => {}); // the client may have hung up (timeouts, resets): nothing to do
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://emulator');
      requests.push({ method: req.method ?? 'GET', path: url.pathname });
      void handler(req, res, Buffer.concat(chunks), url);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      faults?.cancel();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
