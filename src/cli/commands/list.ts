import { listDomains } from '../../core/registry.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { DOMAIN_STATUSES, type DomainStatus } from '../../state/schema.js';
import { createContext, type GlobalOptions } from '../context.js';
import { escapeText as e } from '../../render/escape.js';

export async function listCommand(_args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const status = options.status as DomainStatus | undefined;
  if (status !== undefined && !DOMAIN_STATUSES.includes(status)) {
    throw new MailsetupError('USAGE', `--status: "${status}" is not one of ${DOMAIN_STATUSES.join(', ')}`, { hint: 'Use --status pending, verified or failed.' });
  }
  const ctx = createContext(globals);
  const domains = await listDomains(ctx.store(), status);
  if (ctx.out.json) {
    ctx.out.document({ domains });
    return EXIT.OK;
  }
  if (domains.length === 0) {
    ctx.out.line(status ? `No ${status} domains in ${ctx.store().path}.` : `No domains yet in ${ctx.store().path}. Add one with "mailsetup add mail.example.com --provider ses".`);
    return EXIT.OK;
  }
  const [{ Chalk }, { renderTable }] = await Promise.all([import('chalk'), import('../../render/table.js')]);
  const c = new Chalk({ level: ctx.out.colorLevel });
  const color = { verified: c.green, pending: c.yellow, failed: c.red, unknown: c.gray } as const;
  // The state file can be edited by hand: its text is escaped before the table measures it.
  const rows = domains.map((d) => [e(d.domain), e(d.provider + (d.region ? ` (${d.region})` : '')), color[d.status](d.status), String(d.records), e(d.updatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))]);
  const table = renderTable([{ head: 'domain', stack: 'title' }, { head: 'provider' }, { head: 'status', stack: 'title' }, { head: 'records' }, { head: 'updated' }], rows,
    { width: ctx.out.columns, colorLevel: ctx.out.colorLevel, border: ctx.out.colorLevel ? c.gray : undefined, bold: ctx.out.colorLevel ? c.bold : undefined });
  // The table is the result: printed with --quiet too.
  for (const l of table) ctx.out.result(l);
  ctx.out.note(`State file: ${ctx.store().path}`);
  return EXIT.OK;
}
