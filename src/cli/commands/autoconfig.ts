import { parseDomain } from '../../model/domain-name.js';
import { applyFailure, applySession, HOST_LABEL, openAutoconfig, parseTtl } from '../../core/autoconfig.js';
import { autoconfigDocument, renderApply, renderPlan } from '../../render/plan.js';
import { renderVerify } from '../../render/verify.js';
import { verifyExitCode } from '../../core/verify.js';
import { recheck, type ProviderCheck } from '../../core/recheck.js';
import { verifyDeps } from '../../core/targets.js';
import { PROVIDER_NAMES } from '../../render/validate.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { confirm } from '../prompt.js';
import { createContext, type GlobalOptions } from '../context.js';
import { watchCommand } from './watch.js';

export async function autoconfigCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const domain = parseDomain(args[0] ?? '');
  const ttl = parseTtl(options.ttl);
  const ctx = createContext(globals);
  const s = await openAutoconfig(ctx, domain, { dnsHost: options.dns as string | undefined, ttl });
  const label = HOST_LABEL[s.hostId];
  const { changes, conflicts } = s;
  if (!ctx.out.json) for (const l of renderPlan(s.planned.plan, label, s.planned.zone.name, ctx.out.colorLevel, ctx.out.columns)) ctx.out.line(l);

  const run: Parameters<typeof autoconfigDocument>[1] = {};
  const finish = (code: number) => { if (ctx.out.json) ctx.out.document(autoconfigDocument(s, run, ctx.env)); return code; };
  if (changes.length === 0) {
    if (!ctx.out.json) ctx.out.line(conflicts ? 'Nothing to change automatically; resolve the conflicts above.' : 'Nothing to change.');
    // --dry-run stops after the plan even here: no re-check, so not even the state's history is written.
    if (options.dryRun) { run.dryRun = true; return finish(conflicts > 0 ? EXIT.FAILED : EXIT.OK); }
  } else {
    if (options.dryRun) { run.dryRun = true; return finish(EXIT.OK); }
    if (!(await confirm(`Apply ${changes.length} change${changes.length === 1 ? '' : 's'} to ${s.planned.zone.name} at ${label}?`, { yes: !!options.yes, what: `writing ${changes.length} DNS change(s)` }))) {
      // Answering no is a choice, not an error: said plainly, with the refusal status (64).
      if (ctx.out.json) throw new MailsetupError('CONFIRMATION_REQUIRED', 'not confirmed; nothing was written', { hint: 'Answer y, or pass --yes.' });
      ctx.out.warn('Nothing was written.');
      return EXIT.USAGE;
    }
    run.apply = await ctx.out.waitFor(`writing ${changes.length} change${changes.length === 1 ? '' : 's'} at ${label}, then waiting for the authoritative servers to serve them`, applySession(ctx, s));
    if (!ctx.out.json) for (const l of renderApply(run.apply.report, ctx.out.colorLevel, ctx.out.columns)) ctx.out.line(l);
    // The zone moved under the plan, or the host stopped half way: what was written is recorded.
    const failure = applyFailure(s, run.apply);
    if (failure) {
      if (ctx.out.json) { run.error = failure; return finish(failure.exitCode); }
      throw failure;
    }
    if (!ctx.out.json) {
      const { serial } = run.apply;
      ctx.out.line(serial.inSync
        ? `All ${serial.servers.length} authoritative server(s) serve the new zone (serial ${serial.after}).`
        : `Not every authoritative server shows a new serial yet (${serial.servers.length ? `serial ${serial.after ?? '?'}` : 'servers unknown'}); verification may show records as missing for a while.`);
    }
  }
  const rc = run.recheck = await ctx.out.waitFor(`checking ${domain} on the authoritative servers and resolvers`, recheck(domain, { wrote: changes.length > 0, noProvider: options.provider === false, env: ctx.env }, verifyDeps(ctx)));
  if (!ctx.out.json) {
    ctx.out.line('');
    renderVerify(rc.verification, ctx.out.colorLevel, ctx.out.columns).forEach((l, k) => (k === 0 ? ctx.out.result(l) : ctx.out.line(l)));
    for (const l of providerLines(rc.provider)) ctx.out.line(l);
  }
  if (options.watch && !(rc.verification.allVerified && rc.provider.asked)) {
    if (ctx.out.json) ctx.out.document(autoconfigDocument(s, run, ctx.env));
    // Into watch with the provider only if it could be asked just now: never a credentials error after a write.
    return watchCommand([domain], { interval: options.interval ?? '10s', timeout: '60m', exitCode: true, provider: rc.provider.asked }, globals);
  }
  if (conflicts > 0) return finish(EXIT.FAILED);
  // The exit status follows DNS (the provider's verdict is shown, never decisive): 0 verified,
  // 1 not served yet, 2 wrong, 69 could not check — "could not check" never reads as success.
  return finish(verifyExitCode([{ ...rc.verification, status: rc.dnsStatus }]));
}

/** Say plainly that the provider's verdict is not part of this result, and how to get it. */
function providerLines(p: ProviderCheck): string[] {
  if (p.asked) return [];
  const name = PROVIDER_NAMES[p.id] ?? p.id;
  return [
    `${name} was not asked: ${p.reason}. The result above is DNS alone, checked on the authoritative servers.`,
    `To add ${name}'s verdict: ${p.next}`,
  ];
}
