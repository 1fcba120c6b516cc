import { parseDomain } from '../../model/domain-name.js';
import { applyAutoconfig, planAutoconfig } from '../../core/autoconfig.js';
import { planChanges } from '../../dns-hosts/plan.js';
import { loadWriter, parseHostId } from '../../dns-hosts/index.js';
import { detectHost } from '../../dns-hosts/detect.js';
import { discoverAuthoritative } from '../../dns/authoritative.js';
import type { HostId } from '../../dns-hosts/types.js';
import { applyDocument, renderApply, renderPlan, planDocument } from '../../render/plan.js';
import { RERUN_HINT } from '../../dns-hosts/pin.js';
import { renderVerify, verifyDocument } from '../../render/verify.js';
import { verifyExitCode } from '../../core/verify.js';
import { recheck, type ProviderCheck } from '../../core/recheck.js';
import { PROVIDER_NAMES } from '../../render/validate.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { confirm } from '../prompt.js';
import { createContext, type Context, type GlobalOptions } from '../context.js';
import { verifyDeps } from '../../core/targets.js';
import { watchCommand } from './watch.js';

const HOST_LABEL: Record<HostId, string> = { cloudflare: 'Cloudflare', route53: 'Amazon Route 53', resellerclub: 'ResellerClub', rfc2136: 'RFC 2136 dynamic update' };

/** --dns, else the zone's NS names, else RFC 2136 when its server is configured. */
async function chooseHost(ctx: Context, domain: string, flag: string | undefined): Promise<HostId> {
  if (flag) return parseHostId(flag);
  let found: ReturnType<typeof detectHost> = null;
  try {
    const set = await discoverAuthoritative(domain, ctx.dns.lookupVia(ctx.resolvers, true));
    found = detectHost(set.nameservers.map((n) => n.host));
  } catch { /* fall through to the hints below */ }
  if (found?.writer) return found.id as HostId;
  if (ctx.env.MAILSETUP_RFC2136_SERVER) return 'rfc2136';
  if (found) {
    throw new MailsetupError('PROVIDER_UNSUPPORTED', `${domain} is hosted at ${found.name}, which autoconfig cannot write to yet`, {
      hint: `Publish the records by hand: mailsetup records ${domain} --for ${found.recordsFor}, then mailsetup watch ${domain}.`,
    });
  }
  throw new MailsetupError('USAGE', `could not tell which DNS host serves ${domain}`, {
    hint: 'Name it with --dns cloudflare|route53|resellerclub|rfc2136, or publish by hand with mailsetup records.',
  });
}

export async function autoconfigCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const domain = parseDomain(args[0] ?? '');
  const ttl = options.ttl === undefined ? 3600 : Number(options.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 604800) throw new MailsetupError('USAGE', `--ttl: "${String(options.ttl)}" is not a number of seconds`, { hint: 'Use --ttl 3600 (1 to 604800).' });
  const ctx = createContext(globals);
  const store = ctx.store();
  await store.read(); // a broken state file is reported before anything touches the network
  const hostId = await chooseHost(ctx, domain, options.dns as string | undefined);
  const resolver = ctx.dns.lookupVia(ctx.resolvers, true);
  const writer = await (await loadWriter(hostId))({ env: ctx.env, timeoutMs: ctx.apiTimeoutMs, debug: (l) => ctx.out.debug(l), lookup: resolver, authoritative: ctx.authoritative });
  const planned = await ctx.out.waitFor(`reading the zone of ${domain} at ${HOST_LABEL[hostId]}`, planAutoconfig(domain, { store, writer, resolver, ttl }));
  const changes = planChanges(planned.plan);
  const conflicts = planned.plan.entries.filter((e) => e.action === 'conflict').length;
  const doc: Record<string, unknown> = { domain, dnsHost: hostId, zone: planned.zone.name, ...planDocument(planned.plan) };
  if (!ctx.out.json) for (const l of renderPlan(planned.plan, HOST_LABEL[hostId], planned.zone.name, ctx.out.colorLevel, ctx.out.columns)) ctx.out.line(l);

  const finish = (code: number) => { if (ctx.out.json) ctx.out.document(doc); return code; };
  if (changes.length === 0) {
    if (!ctx.out.json) ctx.out.line(conflicts ? 'Nothing to change automatically; resolve the conflicts above.' : 'Nothing to change.');
    doc.applied = [];
    // --dry-run stops after the plan even here: no re-check, so not even the state's history is written.
    if (options.dryRun) { doc.dryRun = true; return finish(conflicts > 0 ? EXIT.FAILED : EXIT.OK); }
  } else {
    if (options.dryRun) { doc.dryRun = true; return finish(EXIT.OK); }
    if (!(await confirm(`Apply ${changes.length} change${changes.length === 1 ? '' : 's'} to ${planned.zone.name} at ${HOST_LABEL[hostId]}?`, { yes: !!options.yes, what: `writing ${changes.length} DNS change(s)` }))) {
      // Answering no is a choice, not an error: said plainly, with the refusal status (64).
      if (ctx.out.json) throw new MailsetupError('CONFIRMATION_REQUIRED', 'not confirmed; nothing was written', { hint: 'Answer y, or pass --yes.' });
      ctx.out.warn('Nothing was written.');
      return EXIT.USAGE;
    }
    const result = await ctx.out.waitFor(`writing ${changes.length} change${changes.length === 1 ? '' : 's'} at ${HOST_LABEL[hostId]}, then waiting for the authoritative servers to serve them`,
      applyAutoconfig(planned, { store, writer, dns: ctx.dns, authoritative: ctx.authoritative, resolver, waitMs: 60_000 }));
    Object.assign(doc, applyDocument(result.report));
    doc.serial = result.serial;
    if (!ctx.out.json) for (const l of renderApply(result.report, ctx.out.colorLevel, ctx.out.columns)) ctx.out.line(l);
    if (result.report.conflicts.length > 0 && !result.report.failed) {
      // The zone moved under the plan: what was written (if anything) is recorded; the rest needs a fresh plan.
      const { applied, conflicts, skipped } = result.report;
      const names = [...new Set(conflicts.map((x) => (x.change.kind === 'create' ? x.change.record.name : x.change.to.name)))];
      const err = new MailsetupError('HOST_CONFLICT',
        `${names.join(', ')} changed since the plan was made: ${conflicts.length} change(s) refused, nothing written there; ${applied.length} applied, ${skipped.length} not attempted${writer.capabilities.atomicBatch ? ' (this host applies all or nothing)' : ''}`,
        { hint: RERUN_HINT });
      if (ctx.out.json) { doc.error = { code: err.code, message: err.message, hint: err.hint }; ctx.out.document(doc); return err.exitCode; }
      throw err;
    }
    if (result.report.failed) {
      const e = result.report.failed.error;
      const applied = result.report.applied.length;
      const err = new MailsetupError(e instanceof MailsetupError ? e.code : 'PROVIDER_UNAVAILABLE',
        `the DNS host stopped at change ${changes.indexOf(result.report.failed.change) + 1} of ${changes.length}: ${applied} applied (listed above), ${1 + result.report.skipped.length} not${result.report.conflicts.length ? `, ${result.report.conflicts.length} refused because the zone changed at their names (HOST_CONFLICT)` : ''}`,
        { hint: `${e instanceof MailsetupError && e.hint ? e.hint + ' ' : ''}Run autoconfig again: what was applied is recorded and will show as unchanged.` });
      if (ctx.out.json) { doc.error = { code: err.code, message: err.message, hint: err.hint }; ctx.out.document(doc); return err.exitCode; }
      throw err;
    }
    if (!ctx.out.json) {
      ctx.out.line(result.serial.inSync
        ? `All ${result.serial.servers.length} authoritative server(s) serve the new zone (serial ${result.serial.after}).`
        : `Not every authoritative server shows a new serial yet (${result.serial.servers.length ? `serial ${result.serial.after ?? '?'}` : 'servers unknown'}); verification may show records as missing for a while.`);
    }
  }
  const rc = await ctx.out.waitFor(`checking ${domain} on the authoritative servers and resolvers`, recheck(domain, { wrote: changes.length > 0, noProvider: options.provider === false, env: ctx.env }, verifyDeps(ctx)));
  doc.verify = verifyDocument(rc.verification);
  doc.dnsStatus = rc.dnsStatus;
  doc.providerCheck = rc.provider;
  if (!ctx.out.json) {
    ctx.out.line('');
    renderVerify(rc.verification, ctx.out.colorLevel, ctx.out.columns).forEach((l, k) => (k === 0 ? ctx.out.result(l) : ctx.out.line(l)));
    for (const l of providerLines(rc.provider)) ctx.out.line(l);
  }
  if (options.watch && !(rc.verification.allVerified && rc.provider.asked)) {
    if (ctx.out.json) ctx.out.document(doc);
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
