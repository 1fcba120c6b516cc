import { removalTarget, removeTarget } from '../../core/registry.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { confirm } from '../prompt.js';
import { createContext, type GlobalOptions } from '../context.js';
import { escapeText as e } from '../../render/escape.js';

export async function removeCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const { key, entry } = await removalTarget(ctx, args[0] ?? '');
  const keep = !!options.keepProvider;
  const what = keep ? `Forget ${key} (the ${entry.provider} identity is kept)` : `Delete ${key} at ${entry.provider} and forget it`;
  if (!(await confirm(`${what}? DNS records are not touched.`, { yes: !!options.yes, what: `removing ${key}` }))) {
    // Answering no is a choice, not an error: said plainly, with the refusal status (64).
    if (ctx.out.json) throw new MailsetupError('CONFIRMATION_REQUIRED', `removing ${key} was not confirmed; nothing was changed`, { hint: 'Answer y, or pass --yes.' });
    ctx.out.warn('Nothing was written.');
    return EXIT.USAGE;
  }
  const doc = await removeTarget(ctx, key, entry, { keepProvider: keep });
  if (ctx.out.json) {
    ctx.out.document(doc);
  } else {
    ctx.out.result(`Removed ${e(key)}${doc.providerDeleted ? ` and its ${e(entry.provider)} identity` : ` (the ${e(entry.provider)} identity was kept)`}.`);
    if (doc.records.length > 0) {
      ctx.out.line('DNS was not changed. These records served it and can now be deleted at your DNS host:');
      for (const r of doc.records) ctx.out.line(`  ${e(r.type).padEnd(5)} ${e(r.name)}  ${r.type === 'MX' ? `${r.priority} ` : ''}${e(r.value)}`);
    }
  }
  return EXIT.OK;
}
