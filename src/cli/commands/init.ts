/**
 * `init`: create `./mailsetup.json` (an empty state, with a default provider when given), so the
 * state lives next to the infrastructure code and is committed with it. Never overwrites a file.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MailsetupError } from '../../errors.js';
import { emptyState } from '../../state/schema.js';
import { serializeState } from '../../state/store.js';
import { parseProviderId } from '../../providers/index.js';
import { createContext, type GlobalOptions } from '../context.js';

export async function initCommand(_args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ctx = createContext(globals);
  const path = resolve(globals.config ?? 'mailsetup.json');
  const state = emptyState();
  if (typeof options.provider === 'string') state.defaults = { provider: parseProviderId(options.provider) };
  try {
    // 'wx': create only. An existing state file — perhaps with every domain in it — is never replaced.
    await writeFile(path, serializeState(state), { flag: 'wx', mode: 0o644 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (ctx.out.json) ctx.out.document({ path, created: false });
      else ctx.out.line(`${path} already exists; nothing was changed.`);
      return 0;
    }
    throw new MailsetupError('CONFIG_INVALID', `cannot create ${path}: ${(e as Error).message}`, { hint: 'Check that the directory exists and is writable.' });
  }
  if (ctx.out.json) ctx.out.document({ path, created: true });
  else {
    ctx.out.result(`Created ${path}: mailsetup keeps its state here from now on (commit it next to your infrastructure code).`);
    ctx.out.note(`Next: mailsetup add mail.<your-domain> --provider ${state.defaults?.provider ?? '<ses|sendgrid|mailgun|resend>'}`);
  }
  return 0;
}
