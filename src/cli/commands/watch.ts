import { runWatch, type Round } from '../../core/watch.js';
import { runVerify, verifyExitCode } from '../../core/verify.js';
import { renderVerify, verifyDocument } from '../../render/verify.js';
import { parseDuration } from '../../util/duration.js';
import { EXIT } from '../../errors.js';
import { createContext, type Context, type GlobalOptions } from '../context.js';
import { claimInterrupt } from '../interrupt.js';
import { escapeText, jsonText, terminalSafe } from '../../render/escape.js';
import { terminalRows, wrapLine } from '../../render/table.js';
import { missingCredentials, resolveTargets, verifyDeps } from '../../core/targets.js';

export const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done);
});

export const fmt = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`);

/**
 * How a watch looks: JSON Lines with --json; one live view redrawn in place (with a spinner) on a
 * terminal; one plain line per change anywhere else — never an escape code there.
 */
export async function watchView(ctx: Context, intervalMs: number): Promise<{ onRound: (round: Round) => void; stop: () => void }> {
  // Three renderings: JSON Lines; a live redrawn view on a terminal; one plain line per change elsewhere.
  // A terminal that reports no width (some pseudo-terminals) would make the spinner's line
  // arithmetic divide by zero and clear forever: fall back to plain lines there.
  const live = !ctx.out.json && ctx.out.interactive && (process.stdout.columns ?? 0) > 0;
  let spinner: { text: string; start(): unknown; stop(): unknown; clear(): unknown } | null = null;
  let drawn = 0;
  if (live) {
    const { default: ora } = await import('ora');
    spinner = ora({ text: 'checking…', stream: process.stdout, discardStdin: false, color: ctx.out.colorLevel > 0 ? 'cyan' : false });
  }
  const onRound = (round: Round): void => {
    if (ctx.out.json) {
      const docs = round.results.map(verifyDocument);
      process.stdout.write(jsonText(docs.length === 1 ? docs[0] : docs) + '\n');
      return;
    }
    if (live && spinner) {
      spinner.stop();
      if (drawn) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
      // Laid out for the terminal's width now (it may have been resized), and measured as the
      // terminal shows it: a line wider than the terminal (one unbreakable token) takes several
      // rows, and the next redraw must clear exactly the rows this one took — no stale copy.
      const columns = process.stdout.columns || ctx.out.columns;
      const lines = round.results.flatMap((v) => renderVerify(v, ctx.out.colorLevel, columns));
      const changed = round.changes.length && round.n > 1 ? wrapLine(`changed: ${round.changes.map((c) => escapeText(`${c.what} ${c.from ?? '—'} → ${c.to}`)).join('; ')}`, columns, '  ') : [];
      const all = [...lines, ...changed];
      // Written outside the output port (the cursor moves above must not be escaped): the same net.
      process.stdout.write(terminalSafe(all.join('\n'), ctx.out.colorLevel > 0) + '\n');
      drawn = all.reduce((n, l) => n + terminalRows(terminalSafe(l, ctx.out.colorLevel > 0), columns), 0);
      if (!round.done) {
        spinner.text = `round ${round.n}, ${fmt(round.elapsedMs)} elapsed — next check in ${fmt(intervalMs)} (Ctrl-C to stop)`;
        spinner.start();
      }
      return;
    }
    for (const ch of round.changes) {
      ctx.out.line(`[${fmt(round.elapsedMs)}] ${escapeText(`${ch.domain} ${ch.what}: ${ch.from ? `${ch.from} → ` : ''}${ch.to}`)}`);
    }
  };
  return { onRound, stop: () => { spinner?.stop(); } };
}

export async function watchCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const intervalMs = parseDuration(String(options.interval ?? '30s'), '--interval');
  const timeoutMs = parseDuration(String(options.timeout ?? '60m'), '--timeout');
  const domains = await resolveTargets(ctx, args, false);
  const noProvider = options.provider === false;
  // No provider credentials: one DNS-only check shown, then the 77 naming --no-provider — watching
  // for a verdict that can never come would only end in the timeout.
  const noCredentials = ctx.out.json ? null : await missingCredentials(ctx, domains, { noProvider, refresh: false });
  if (noCredentials) {
    const results = await ctx.out.waitFor(`checking ${domains.join(', ')} on the authoritative servers and resolvers`, runVerify(domains, { noProvider: true, refresh: false }, verifyDeps(ctx)));
    for (const [i, v] of results.entries()) {
      if (i > 0) ctx.out.line('');
      renderVerify(v, ctx.out.colorLevel, ctx.out.columns).forEach((l, k) => (k === 0 ? ctx.out.result(l) : ctx.out.line(l)));
    }
    throw noCredentials;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const release = claimInterrupt();

  const view = await watchView(ctx, intervalMs);
  const outcome = await runWatch(domains, { noProvider, refresh: false, intervalMs, timeoutMs }, verifyDeps(ctx), {
    now: () => Date.now(), sleep, onRound: view.onRound, signal: controller.signal,
  });
  view.stop();
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  release();
  if (outcome.reason === 'verified') {
    ctx.out.result(`All verified for ${domains.join(', ')}.`, true);
    return EXIT.OK;
  }
  if (outcome.reason === 'interrupted') {
    ctx.out.note('Stopped; the last state is saved.');
    return 130;
  }
  ctx.out.result(`Timed out after ${fmt(timeoutMs)}; not everything is verified yet.`, true);
  // With or without --exit-code: `watch && deploy` must never deploy early. 1 pending, 2 failed,
  // 69 could not check.
  const code = verifyExitCode(outcome.last);
  return code === EXIT.OK ? EXIT.PENDING : code;
}
