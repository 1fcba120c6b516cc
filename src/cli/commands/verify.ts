import { parseDomain } from '../../model/domain-name.js';
import { runVerify, verifyExitCode, type VerifyDeps, type VerifyOptions } from '../../core/verify.js';
import { githubAnnotations, renderVerify, verifyDocument } from '../../render/verify.js';
import { loadProvider } from '../../providers/index.js';
import type { ProviderId } from '../../providers/types.js';
import type { DomainState } from '../../state/schema.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { createContext, type Context, type GlobalOptions } from '../context.js';
import { terminalSafe } from '../../render/escape.js';
import { providerCredentials } from '../../providers/credentials.js';
import { PROVIDER_NAMES } from '../../render/validate.js';

/** The public resolvers compared by default (`--resolver` replaces the whole set). */
export const PUBLIC_RESOLVERS = ['1.1.1.1', '8.8.8.8', '9.9.9.9', '208.67.222.222'];

export function verifyDeps(ctx: Context): VerifyDeps {
  const providers = new Map<string, Promise<import('../../providers/types.js').EmailProvider>>();
  return {
    store: ctx.store(),
    dns: ctx.dns,
    resolvers: ctx.resolvers,
    comparators: ctx.resolversGiven ? ctx.resolvers : [...new Set([...ctx.resolvers, ...PUBLIC_RESOLVERS])],
    authoritative: ctx.authoritative,
    provider: (entry: DomainState) => {
      const key = `${entry.provider}|${entry.region ?? ''}`;
      let p = providers.get(key);
      if (!p) {
        if (entry.provider === 'sandbox') throw new MailsetupError('PROVIDER_UNSUPPORTED', 'the sandbox provider exists only inside "mailsetup demo"', { hint: 'Use --no-provider to check DNS only.' });
        p = loadProvider(entry.provider as ProviderId).then((f) => f({ env: ctx.env, timeoutMs: ctx.apiTimeoutMs, ...(entry.region ? { region: entry.region } : {}), debug: (l) => ctx.out.debug(l) }));
        providers.set(key, p);
      }
      return p;
    },
  };
}

export async function resolveTargets(ctx: Context, args: string[], all: boolean): Promise<string[]> {
  if (all) {
    const state = await ctx.store().read();
    const names = Object.keys(state.domains).filter((d) => !d.includes('@')).sort();
    if (names.length === 0) throw new MailsetupError('DOMAIN_NOT_FOUND', `no domains in ${ctx.store().path}`, { hint: 'Add one with "mailsetup add <domain> --provider <p>".' });
    return names;
  }
  if (args.length === 0) throw new MailsetupError('USAGE', 'name a domain, or use --all', { hint: 'mailsetup verify mail.acme.com, or mailsetup verify --all.' });
  return [...new Set(args.map(parseDomain))];
}

/**
 * The first stored domain whose provider has no credentials configured (an offline presence check,
 * src/providers/credentials.ts), when the provider would be asked: the DNS answers are then shown
 * first and the 77 after them (issue 12 item 7), instead of no answer at all.
 */
export async function missingCredentials(ctx: Context, domains: string[], opts: VerifyOptions): Promise<MailsetupError | null> {
  if (opts.noProvider || opts.refresh || ctx.out.json) return null;
  const state = await ctx.store().read();
  for (const d of domains) {
    const entry = state.domains[d];
    if (!entry || entry.provider === 'sandbox') continue;
    const presence = providerCredentials(entry.provider, ctx.env);
    if (presence.present) continue;
    const name = PROVIDER_NAMES[entry.provider] ?? entry.provider;
    return new MailsetupError('PROVIDER_AUTH', `${name} was not asked for ${d}: no credentials (${presence.source} not set); the results above are DNS alone`, {
      hint: `Set ${presence.source} to include the provider's verdict, or pass --no-provider to check DNS only (the exit status then follows DNS).`,
    });
  }
  return null;
}

export async function verifyCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const domains = await resolveTargets(ctx, args, !!options.all);
  const asked: VerifyOptions = { noProvider: options.provider === false, refresh: !!options.refresh };
  // No provider credentials: check DNS alone, show it, then exit 77 (never 77 with no answer shown).
  const noCredentials = await missingCredentials(ctx, domains, asked);
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
