import { parseIdentity } from '../../model/domain-name.js';
import { getDomain, removeDomain } from '../../core/registry.js';
import { loadProvider } from '../../providers/index.js';
import type { ProviderId } from '../../providers/types.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { confirm } from '../prompt.js';
import { createContext, type GlobalOptions } from '../context.js';
import { escapeText as e } from '../../render/escape.js';

export async function removeCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const identity = parseIdentity(args[0] ?? '');
  const key = identity.email ?? identity.domain;
  const ctx = createContext(globals);
  const store = ctx.store();
  const entry = await getDomain(store, key);
  const keep = !!options.keepProvider;
  const what = keep ? `Forget ${key} (the ${entry.provider} identity is kept)` : `Delete ${key} at ${entry.provider} and forget it`;
  if (!(await confirm(`${what}? DNS records are not touched.`, { yes: !!options.yes, what: `removing ${key}` }))) {
    // Answering no is a choice, not an error: said plainly, with the refusal status (64).
    if (ctx.out.json) throw new MailsetupError('CONFIRMATION_REQUIRED', `removing ${key} was not confirmed; nothing was changed`, { hint: 'Answer y, or pass --yes.' });
    ctx.out.warn('Nothing was written.');
    return EXIT.USAGE;
  }
  let provider = null;
  if (!keep) {
    if (entry.provider === 'sandbox') throw new MailsetupError('PROVIDER_UNSUPPORTED', 'the sandbox provider exists only inside "mailsetup demo"', { hint: 'Use --keep-provider to forget the domain.' });
    const factory = await loadProvider(entry.provider as ProviderId);
    provider = await factory({ env: ctx.env, timeoutMs: ctx.apiTimeoutMs, ...(entry.region ? { region: entry.region } : {}), debug: (l) => ctx.out.debug(l) });
  }
  const result = await ctx.out.waitFor(provider ? `deleting ${key} at ${entry.provider}` : `forgetting ${key}`, removeDomain(store, key, provider));
  if (ctx.out.json) {
    ctx.out.document({ domain: key, removed: true, providerDeleted: result.providerDeleted, records: entry.records });
  } else {
    ctx.out.result(`Removed ${e(key)}${result.providerDeleted ? ` and its ${e(entry.provider)} identity` : ` (the ${e(entry.provider)} identity was kept)`}.`);
    if (entry.records.length > 0) {
      ctx.out.line('DNS was not changed. These records served it and can now be deleted at your DNS host:');
      for (const r of entry.records) ctx.out.line(`  ${e(r.type).padEnd(5)} ${e(r.name)}  ${r.type === 'MX' ? `${r.priority} ` : ''}${e(r.value)}`);
    }
  }
  return EXIT.OK;
}
