/**
 * `--verbose` (DESIGN.md; issue 12 item 4): every DNS question (server, name, type, outcome, time)
 * and every provider / DNS-host API call (method, host and path, status, time) on stderr. API calls
 * are seen through Node's diagnostics channels — `http.client.*` (the AWS SDK, axios-based SDKs)
 * and `undici:*` (fetch) — so no SDK is wrapped and nothing changes when verbose is off. Never a
 * secret: the query string is dropped (some APIs take keys there), headers are never read, and
 * every line also goes through `redact`.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { DnsQuestionEvent } from '../dns/engine.js';
import { redact } from '../errors.js';
import { escapeText } from '../render/escape.js';

/** One line per DNS question. Names can come from DNS (CNAME targets): escaped. */
export function dnsLine(q: DnsQuestionEvent): string {
  const result = q.skipped ? 'not sent (server silent so far)' : `${q.outcome}${q.records ? `, ${q.records} record${q.records === 1 ? '' : 's'}` : ''}`;
  return `dns ${q.server}${q.recursion ? '' : ' (auth)'} ${escapeText(q.name)} ${q.type} → ${result} (${q.ms} ms)`;
}

const pathOnly = (path: string): string => path.split('?')[0] ?? '';

let installed = false;

/** Print every HTTP(S) call the process makes from now on; once per process. */
export function traceApiCalls(debug: (line: string) => void): void {
  if (installed) return;
  installed = true;
  const say = (line: string) => debug(redact(escapeText(line)));
  const started = new WeakMap<object, number>();
  const calls = new WeakMap<object, { t0: number; what: string; answered: boolean }>();
  subscribe('http.client.request.start', (msg) => {
    const { request } = msg as { request: { method: string; host?: string; path: string; getHeader?: (n: string) => unknown; once: (e: string, f: () => void) => unknown } };
    // The Host header carries the port when it is not the default (never a credential).
    const host = String(request.getHeader?.('host') ?? request.host ?? '');
    const call = { t0: Date.now(), what: `${request.method} ${host}${pathOnly(request.path)}`, answered: false };
    calls.set(request, call);
    request.once('close', () => { if (!call.answered) say(`api ${call.what} → no response (${Date.now() - call.t0} ms)`); });
  });
  subscribe('http.client.response.finish', (msg) => {
    const { request, response } = msg as { request: object; response: { statusCode?: number } };
    const call = calls.get(request);
    if (!call) return;
    call.answered = true;
    say(`api ${call.what} → ${response.statusCode ?? '?'} (${Date.now() - call.t0} ms)`);
  });
  subscribe('undici:request:create', (msg) => {
    const { request } = msg as { request: object };
    started.set(request, Date.now());
  });
  subscribe('undici:request:headers', (msg) => {
    const { request, response } = msg as { request: { method: string; origin?: string; path: string }; response: { statusCode: number } };
    const t0 = started.get(request) ?? Date.now();
    say(`api ${request.method} ${String(request.origin ?? '').replace(/^https?:\/\//, '')}${pathOnly(request.path)} → ${response.statusCode} (${Date.now() - t0} ms)`);
  });
  subscribe('undici:request:error', (msg) => {
    const { request, error } = msg as { request: { method: string; origin?: string; path: string }; error: Error };
    const t0 = started.get(request) ?? Date.now();
    say(`api ${request.method} ${String(request.origin ?? '').replace(/^https?:\/\//, '')}${pathOnly(request.path)} → ${error.name} (${Date.now() - t0} ms)`);
  });
}
