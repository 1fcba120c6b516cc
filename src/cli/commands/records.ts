import { recordsDocument } from '../../core/registry.js';
import { renderCsv, renderRecordsParts, renderZone, RECORDS_FORMATS, RECORDS_HOSTS, type RecordsFormat } from '../../render/records.js';
import type { RecordsHost } from '../../dns-hosts/detect.js';
import { MailsetupError, EXIT } from '../../errors.js';
import { createContext, type GlobalOptions } from '../context.js';
import { terminalSafe } from '../../render/escape.js';

export async function recordsCommand(args: string[], options: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const format = String(options.format ?? (globals.json ? 'json' : 'table')) as RecordsFormat;
  const host = String(options.for ?? 'generic') as RecordsHost;
  if (!RECORDS_FORMATS.includes(format)) throw new MailsetupError('USAGE', `--format: "${format}" is not one of ${RECORDS_FORMATS.join(', ')}`, { hint: 'Use --format table, json, zone or csv.' });
  if (!RECORDS_HOSTS.includes(host)) throw new MailsetupError('USAGE', `--for: "${host}" is not one of ${RECORDS_HOSTS.join(', ')}`, { hint: 'Use --for generic, cloudflare, route53, godaddy or namecheap.' });
  const ctx = createContext(globals);
  const doc = await recordsDocument(ctx, args[0] ?? '', typeof options.zone === 'string' ? options.zone : undefined);
  const { domain, zone, records } = doc;
  // Zone and CSV text is the result itself (printed even with --quiet); the renderers escaped it,
  // and the same last net as the output port's runs over it.
  const write = (lines: string[]) => { for (const l of lines) process.stdout.write(terminalSafe(l, false) + '\n'); };
  if (format === 'json' || globals.json) {
    ctx.out.document(doc);
  } else if (format === 'zone') {
    write(renderZone(domain, records));
  } else if (format === 'csv') {
    write(renderCsv(records, zone, host));
  } else {
    // The records are the result (printed with --quiet too); the host's pitfalls are advice.
    const { advice, table } = await renderRecordsParts(records, zone, host, ctx.out.colorLevel, ctx.out.columns);
    for (const l of advice) ctx.out.line(l);
    for (const l of table) ctx.out.result(l);
  }
  return EXIT.OK;
}
