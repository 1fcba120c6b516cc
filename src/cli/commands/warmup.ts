/**
 * `mailsetup warmup <domain>`: parse the flags, run the use case (src/core/warmup.ts), print. The
 * plan, its state writes and the position on it are in core, shared with the library.
 */
import { runWarmup } from '../../core/warmup.js';
import { EXIT } from '../../errors.js';
import { renderWarmup, renderWarmupReset } from '../../render/warmup.js';
import { createContext, type GlobalOptions } from '../context.js';

export async function warmupCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const outcome = await runWarmup(ctx, { domain: args[0] ?? '', target: options.target, start: options.start, days: options.days, reset: !!options.reset });
  if (ctx.out.json) {
    ctx.out.document(outcome.document);
    return EXIT.OK;
  }
  if (outcome.kind === 'dropped') {
    for (const l of renderWarmupReset(outcome.document, outcome.statePath)) ctx.out.result(l.text);
    return EXIT.OK;
  }
  if (outcome.replaced) ctx.out.note(`Replaced the plan started ${outcome.replaced.startedAt.slice(0, 10)}.`);
  // Today's cap is the result: kept with --quiet.
  for (const l of renderWarmup(outcome.document, outcome.created, ctx.out.columns)) (l.result ? ctx.out.result(l.text) : ctx.out.line(l.text));
  if (outcome.created) ctx.out.note(`Plan saved in ${outcome.statePath}.`);
  return EXIT.OK;
}
