/**
 * `mailsetup health`: parse the flags, run the use case (src/core/health.ts), print. The flow —
 * which domains, the demo domains `--all` skips, the window, DNS as `verify --no-provider` — is in
 * core, shared with the library (src/lib/insights.ts).
 */
import { checkHealth, healthExit, healthHistory, planHealth, type HealthRequest } from '../../core/health.js';
import { EXIT } from '../../errors.js';
import { healthDocument, renderHealth, renderHistory } from '../../render/health.js';
import { createContext, type GlobalOptions } from '../context.js';


export async function healthCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const req: HealthRequest = { domains: args, all: !!options.all, days: options.days };
  if (options.history) {
    const doc = await healthHistory(ctx, req);
    if (ctx.out.json) ctx.out.document(doc);
    // Each domain's first line (how many days are stored) is its result: kept with --quiet.
    else doc.domains.forEach((h, i) => { if (i > 0) ctx.out.line(''); renderHistory(h.domain, h.history, ctx.out.columns).forEach((l, k) => (k === 0 ? ctx.out.result(l) : ctx.out.line(l))); });
    return EXIT.OK;
  }
  const plan = await planHealth(ctx, req);
  // The demo's simulated domains have no figures anywhere: --all leaves them out, and says so.
  const demo = plan.skippedDemo;
  if (demo.length > 0) ctx.out.note(`Skipping ${demo.length} demo domain${demo.length === 1 ? '' : 's'} (sandbox provider): ${demo.join(', ')}`);
  if (!ctx.out.json && plan.domains.length > 1) ctx.out.note(`Checking ${plan.domains.length} domains…`);
  const run = await ctx.out.waitFor(`asking the provider${plan.domains.length === 1 ? ` for ${plan.domains[0]}` : `s for ${plan.domains.length} domains`} and checking DNS`, checkHealth(ctx, plan));
  if (ctx.out.json) ctx.out.document(healthDocument(run.results, run.checkedAt));
  // The last line (the worst status) is the result: kept with --quiet.
  else for (const l of renderHealth(run.results, ctx.out.colorLevel, ctx.out.columns)) (l.result ? ctx.out.result(l.text) : ctx.out.line(l.text));
  return healthExit(run, !!options.exitCode);
}
