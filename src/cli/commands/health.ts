import { runHealth } from '../../core/health.js';
import { healthExitCode } from '../../core/health-rules.js';
import { verifyDomain } from '../../core/verify.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { healthWindow } from '../../providers/window.js';
import { healthDocument, renderHealth, renderHistory } from '../../render/health.js';
import { createContext, type GlobalOptions } from '../context.js';
import { resolveTargets, verifyDeps } from '../../core/targets.js';

export function parseDays(value: unknown, flag = '--days', max = 30, fallback = 7): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(String(value).trim()) || n < 1 || n > max) {
    throw new MailsetupError('USAGE', `${flag} must be a whole number from 1 to ${max} (got "${String(value)}")`, { hint: `For example ${flag} ${fallback}.` });
  }
  return n;
}

export async function healthCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const days = parseDays(options.days);
  if (options.history) {
    const state = await ctx.store().read();
    const domains = args.length === 0 || options.all ? Object.keys(state.domains).filter((d) => !d.includes('@')).sort() : await resolveTargets(ctx, args, false);
    for (const d of domains) if (!state.domains[d]) throw new MailsetupError('DOMAIN_NOT_FOUND', `${d} is not in ${ctx.store().path}`, { hint: 'Check the name with "mailsetup list".' });
    const history = domains.map((d) => ({ domain: d, history: state.domains[d]!.health ?? [] }));
    if (ctx.out.json) ctx.out.document({ domains: history });
    else history.forEach((h, i) => { if (i > 0) ctx.out.line(''); for (const l of renderHistory(h.domain, h.history)) ctx.out.line(l); });
    return EXIT.OK;
  }
  let domains = await resolveTargets(ctx, args, !!options.all);
  if (options.all) {
    // The demo's simulated domains have no figures anywhere: leave them out of --all, and say so.
    const state = await ctx.store().read();
    const demo = domains.filter((d) => state.domains[d]?.provider === 'sandbox');
    if (demo.length > 0) {
      ctx.out.note(`Skipping ${demo.length} demo domain${demo.length === 1 ? '' : 's'} (sandbox provider): ${demo.join(', ')}`);
      domains = domains.filter((d) => !demo.includes(d));
      if (domains.length === 0) throw new MailsetupError('DOMAIN_NOT_FOUND', `no domain in ${ctx.store().path} has a real provider`, { hint: 'Add one with "mailsetup add <domain> --provider <p>".' });
    }
  }
  // DNS as `verify --no-provider` judges it: the authoritative servers decide; the resolver
  // comparison (propagation) adds nothing to the verdict, so health does not ask the public set.
  const vdeps = { ...verifyDeps(ctx), comparators: [] };
  if (!ctx.out.json && domains.length > 1) ctx.out.note(`Checking ${domains.length} domains…`);
  const run = await runHealth(domains, healthWindow(days, new Date()), {
    store: vdeps.store,
    provider: vdeps.provider,
    dns: async (domain, entry) => (await verifyDomain(domain, entry, { noProvider: true, refresh: false }, vdeps)).status,
    concurrency: 8,
  });
  if (ctx.out.json) ctx.out.document(healthDocument(run.results, run.checkedAt));
  else {
    for (const l of renderHealth(run.results, ctx.out.colorLevel)) ctx.out.line(l);
  }
  // --quiet: the result line only, the worst status over the domains.
  if (ctx.out.quiet && !ctx.out.json) {
    const worst = healthExitCode(run.results.map((r) => r.status));
    ctx.out.result(`${({ 0: 'healthy', 1: 'warning', 2: 'flagged', 69: 'unknown' } as Record<number, string>)[worst]}\n`);
  }
  if (options.exitCode) return healthExitCode(run.results.map((r) => r.status));
  // A provider that could not be asked for some domain: the check did not fully run.
  return run.incomplete ? EXIT.UNAVAILABLE : EXIT.OK;
}
