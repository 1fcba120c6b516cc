/**
 * `init`: create `./mailsetup.json` (an empty state, with a default provider when given), so the
 * state lives next to the infrastructure code and is committed with it. Never overwrites a file.
 */
import { initStateFile } from '../../core/registry.js';
import { createContext, type GlobalOptions } from '../context.js';

export async function initCommand(_args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const r = await initStateFile(globals.config ?? 'mailsetup.json', typeof options.provider === 'string' ? options.provider : undefined);
  if (ctx.out.json) ctx.out.document({ path: r.path, created: r.created });
  else if (!r.created) ctx.out.line(`${r.path} already exists; nothing was changed.`);
  else {
    ctx.out.result(`Created ${r.path}: mailsetup keeps its state here from now on (commit it next to your infrastructure code).`);
    ctx.out.note(r.provider
      ? `Next: mailsetup add mail.<your-domain>   (${r.provider} is the default provider now; --provider picks another)`
      : 'Next: mailsetup add mail.<your-domain> --provider <ses|sendgrid|mailgun|resend>');
  }
  return 0;
}
