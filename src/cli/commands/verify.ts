import { runVerify, verifyExitCode, type VerifyOptions } from '../../core/verify.js';
import { githubAnnotations, renderVerify, verifyDocument } from '../../render/verify.js';
import { EXIT } from '../../errors.js';
import { createContext, type GlobalOptions } from '../context.js';
import { terminalSafe } from '../../render/escape.js';
import { missingCredentials, resolveTargets, verifyDeps } from '../../core/targets.js';

export async function verifyCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const domains = await resolveTargets(ctx, args, !!options.all);
  const asked: VerifyOptions = { noProvider: options.provider === false, refresh: !!options.refresh };
  // No provider credentials: check DNS alone, show it, then exit 77 (never 77 with no answer shown).
  const noCredentials = ctx.out.json ? null : await missingCredentials(ctx, domains, asked);
  const opts: VerifyOptions = noCredentials ? { ...asked, noProvider: true } : asked;
  const results = await ctx.out.waitFor(`checking ${domains.length === 1 ? domains[0] : `${domains.length} domains`} on the authoritative servers and resolvers${opts.noProvider ? '' : ', and asking the provider'}`, runVerify(domains, opts, verifyDeps(ctx)));
  if (ctx.out.json) {
    const docs = results.map(verifyDocument);
    ctx.out.document(docs.length === 1 && args.length <= 1 && !options.all ? docs[0] : docs);
  } else {
    for (const [i, v] of results.entries()) {
      if (i > 0) ctx.out.line('');
      // The first line (domain, status, provider) is the result: kept with --quiet.
      renderVerify(v, ctx.out.colorLevel, ctx.out.columns).forEach((l, k) => (k === 0 ? ctx.out.result(l) : ctx.out.line(l)));
    }
  }
  // The runner reads workflow commands from both streams; stdout stays one JSON document with --json.
  if (ctx.env.GITHUB_ACTIONS === 'true') for (const a of githubAnnotations(results)) (ctx.out.json ? process.stderr : process.stdout).write(terminalSafe(a, false) + '\n');
  if (noCredentials) throw noCredentials;
  const code = verifyExitCode(results);
  if (!options.exitCode) return EXIT.OK;
  return code;
}
