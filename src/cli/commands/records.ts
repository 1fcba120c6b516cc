import { parseDomain } from '../../model/domain-name.js';
import { organisationalDomain } from '../../model/domain-name.js';
import { getDomain } from '../../core/registry.js';
import { renderCsv, renderRecordsParts, renderZone, RECORDS_FORMATS, RECORDS_HOSTS, type RecordsFormat } from '../../render/records.js';
import type { RecordsHost } from '../../dns-hosts/detect.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { createContext, type GlobalOptions } from '../context.js';
import { terminalSafe } from '../../render/escape.js';

export async function recordsCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const domain = parseDomain(args[0] ?? '');
  const format = String(options.format ?? (globals.json ? 'json' : 'table')) as RecordsFormat;
  const host = String(options.for ?? 'generic') as RecordsHost;
  if (!RECORDS_FORMATS.includes(format)) throw new MailsetupError('USAGE', `--format: "${format}" is not one of ${RECORDS_FORMATS.join(', ')}`, { hint: 'Use --format table, json, zone or csv.' });
  if (!RECORDS_HOSTS.includes(host)) throw new MailsetupError('USAGE', `--for: "${host}" is not one of ${RECORDS_HOSTS.join(', ')}`, { hint: 'Use --for generic, cloudflare, route53, godaddy or namecheap.' });
  const ctx = createContext(globals);
  const entry = await getDomain(ctx.store(), domain);
  const zone = typeof options.zone === 'string' ? parseDomain(options.zone) : organisationalDomain(domain);
  // Zone and CSV text is the result itself (printed even with --quiet); the renderers escaped it,
  // and the same last net as the output port's runs over it.
  const write = (lines: string[]) => { for (const l of lines) process.stdout.write(terminalSafe(l, false) + '\n'); };
  if (format === 'json' || globals.json) {
    ctx.out.document({ domain, provider: entry.provider, status: entry.status, zone, records: entry.records });
  } else if (format === 'zone') {
    write(renderZone(domain, entry.records));
  } else if (format === 'csv') {
    write(renderCsv(entry.records, zone, host));
  } else {
    // The records are the result (printed with --quiet too); the host's pitfalls are advice.
    const { advice, table } = await renderRecordsParts(entry.records, zone, host, ctx.out.colorLevel, ctx.out.columns);
    for (const l of advice) ctx.out.line(l);
    for (const l of table) ctx.out.result(l);
  }
  return EXIT.OK;
}
