/**
 * `watch`: verify every interval until everything is verified or the deadline passes. The loop
 * takes its clock and sleep as ports, emits each round, and says what changed since the last one.
 */
import type { DomainVerification, VerifyDeps, VerifyOptions } from './verify.js';
import { runVerify } from './verify.js';

export interface WatchOptions extends VerifyOptions {
  intervalMs: number;
  timeoutMs: number;
}

export interface Change { domain: string; what: string; from: string | null; to: string }

export interface Round { n: number; elapsedMs: number; results: DomainVerification[]; changes: Change[]; done: boolean }

export interface WatchPorts {
  now: () => number;
  /** Resolves after ms, or early when `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  onRound: (round: Round) => void | Promise<void>;
  signal: AbortSignal;
}

export type WatchOutcome = { reason: 'verified' | 'timeout' | 'interrupted'; last: DomainVerification[] };

function isDone(results: DomainVerification[], noProvider: boolean): boolean {
  return results.every((v) => v.status === 'verified' || (noProvider && v.records.filter((r) => r.required).every((r) => r.status === 'verified')));
}

export function diffRounds(prev: DomainVerification[] | null, next: DomainVerification[]): Change[] {
  const changes: Change[] = [];
  for (const v of next) {
    const before = prev?.find((p) => p.domain === v.domain) ?? null;
    if (!before || before.status !== v.status) changes.push({ domain: v.domain, what: 'status', from: before?.status ?? null, to: v.status });
    if (before && before.stage !== v.stage && v.stage) changes.push({ domain: v.domain, what: 'stage', from: before.stage, to: v.stage });
    for (const r of v.records) {
      const old = before?.records.find((x) => x.type === r.type && x.name === r.name);
      const label = `${r.type} ${r.name}`;
      const now = r.code ? `${r.status} ${r.code}` : r.status;
      const was = old ? (old.code ? `${old.status} ${old.code}` : old.status) : null;
      if (was !== now) changes.push({ domain: v.domain, what: label, from: was, to: now });
    }
  }
  return changes;
}

export async function runWatch(domains: string[], opts: WatchOptions, deps: VerifyDeps, ports: WatchPorts): Promise<WatchOutcome> {
  const start = ports.now();
  let prev: DomainVerification[] | null = null;
  for (let n = 1; ; n++) {
    // Each round asks again: forget the previous round's answers.
    deps.dns.forget(() => true);
    const results = await runVerify(domains, opts, deps);
    const done = isDone(results, opts.noProvider);
    await ports.onRound({ n, elapsedMs: ports.now() - start, results, changes: diffRounds(prev, results), done });
    prev = results;
    if (done) return { reason: 'verified', last: results };
    const left = opts.timeoutMs - (ports.now() - start);
    if (left <= 0) return { reason: 'timeout', last: results };
    if (ports.signal.aborted) return { reason: 'interrupted', last: results };
    await ports.sleep(Math.min(opts.intervalMs, left), ports.signal);
    if (ports.signal.aborted) return { reason: 'interrupted', last: results };
  }
}
