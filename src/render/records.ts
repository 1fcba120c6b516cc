/**
 * Records → what a person pastes somewhere: a table, JSON, a BIND zone-file fragment or CSV, with
 * host names shaped for a DNS host's UI (`--for`) and that host's known pitfalls. Pure functions.
 */
import type { DnsRecord } from '../model/record.js';
import type { RecordsHost } from '../dns-hosts/detect.js';
import { escapeText, zoneEscape } from './escape.js';
import { renderTable, wrapLine } from './table.js';

export type RecordsFormat = 'table' | 'json' | 'zone' | 'csv';
export const RECORDS_FORMATS: readonly RecordsFormat[] = ['table', 'json', 'zone', 'csv'];
export const RECORDS_HOSTS: readonly RecordsHost[] = ['generic', 'cloudflare', 'route53', 'godaddy', 'namecheap'];

export const HOST_LABELS: Record<RecordsHost, string> = {
  generic: 'any DNS host', cloudflare: 'Cloudflare', route53: 'Amazon Route 53', godaddy: 'GoDaddy', namecheap: 'Namecheap',
};

/** The pitfalls people hit in each host's UI, said once above the records. */
export const HOST_PITFALLS: Record<RecordsHost, string[]> = {
  generic: [
    'Host names are fully qualified. If your DNS host appends the zone name itself, enter only the part before it, or the zone will appear twice.',
    'Paste TXT values without surrounding quotes unless your host asks for them (Google/Squarespace: no quotes).',
  ],
  cloudflare: [
    'Set Proxy status to "DNS only" (grey cloud) for every CNAME: a proxied CNAME answers with Cloudflare addresses and verification fails.',
    'Enter the Name relative to the zone ("@" for the apex); Cloudflare appends the zone.',
    'Paste TXT content without surrounding quotes.',
  ],
  route53: [
    'The console appends the zone to "Record name": enter only the relative part (empty for the apex).',
    'TXT values must be wrapped in double quotes in the console; values over 255 characters must be split into several quoted strings on one line (shown below).',
    'MX values are "priority target" in one field, e.g. "10 feedback-smtp.us-east-1.amazonses.com".',
  ],
  godaddy: [
    'Enter Host relative to the zone ("@" for the apex); GoDaddy appends the domain.',
    'MX: put the number in the Priority field, not in "Points to".',
    'Paste TXT values without surrounding quotes.',
  ],
  namecheap: [
    'Host is relative, without the domain suffix ("@" for the apex): Namecheap appends it.',
    'MX records need "Mail settings: Custom MX" in Advanced DNS; the priority has its own field.',
    'Paste TXT values without surrounding quotes.',
  ],
};

/** The name as the host's UI wants it: relative to the zone for hosts that append it. */
export function hostName(name: string, zone: string, host: RecordsHost): string {
  if (host === 'generic') return name;
  if (name === zone) return host === 'route53' ? '' : '@';
  return name.endsWith('.' + zone) ? name.slice(0, -zone.length - 1) : name;
}

/** Split a TXT value into ≤ 255-byte character-strings (counting UTF-8 bytes, never inside a character). */
export function splitTxt(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of value) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > 255) { out.push(current); current = ''; bytes = 0; }
    current += ch;
    bytes += n;
  }
  out.push(current);
  return out;
}

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The value as the host's form field wants it. */
export function hostValue(r: DnsRecord, host: RecordsHost): string {
  if (r.type === 'TXT') return host === 'route53' ? splitTxt(r.value).map(quote).join(' ') : r.value;
  if (r.type === 'MX' && host === 'route53') return `${r.priority ?? 10} ${r.value}`;
  return r.value;
}

/**
 * A BIND zone-file fragment: absolute names, TXT quoted and split, one record per line. Control and
 * format characters are written as `\DDD` escapes — the zone-file spelling of the same bytes — so
 * the fragment is both safe on a terminal and exact when pasted.
 */
export function renderZone(domain: string, records: DnsRecord[], defaultTtl = 3600): string[] {
  const lines = [`; mailsetup records for ${zoneEscape(domain, false)}`, `; paste into the zone file (names are absolute)`];
  for (const r of records) {
    const ttl = r.ttl ?? defaultTtl;
    const owner = `${zoneEscape(r.name, false)}.`;
    let rdata: string;
    if (r.type === 'TXT') rdata = splitTxt(r.value).map((s) => `"${zoneEscape(s, true)}"`).join(' ');
    else if (r.type === 'MX') rdata = `${r.priority ?? 10} ${zoneEscape(r.value, false)}.`;
    else rdata = `${zoneEscape(r.value, false)}.`;
    const optional = r.required ? '' : ' ; optional';
    lines.push(`${owner} ${ttl} IN ${r.type} ${rdata}${optional}`);
  }
  return lines;
}

function csvCell(v: string | number | boolean | null): string {
  // Escaped like every human output: a spreadsheet or terminal gets no control character either.
  const s = v === null ? '' : escapeText(String(v));
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(records: DnsRecord[], zone: string, host: RecordsHost): string[] {
  const lines = ['type,name,value,priority,ttl,purpose,required,source'];
  for (const r of records) {
    lines.push([r.type, hostName(r.name, zone, host), hostValue(r, host), r.priority, r.ttl, r.purpose, r.required, r.source].map(csvCell).join(','));
  }
  return lines;
}

/**
 * The human table, fitted to the terminal (src/render/table.ts): boxed when every name and value
 * fits whole, else one block per record (`type name`, then the value) — never a name broken.
 */
export async function renderRecordsParts(records: DnsRecord[], zone: string, host: RecordsHost, colorLevel: 0 | 1 | 2 | 3, columns = 100): Promise<{ advice: string[]; table: string[] }> {
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level: colorLevel });
  const rows = records.map((r) => [
    // Escaped before the table measures them, so column widths are those of what is shown.
    escapeText(r.type), escapeText(hostName(r.name, zone, host)) || '(empty)', escapeText(hostValue(r, host)),
    r.priority === null ? '' : String(r.priority), r.purpose + (r.required ? '' : c.gray(' (optional)')),
  ]);
  const table = renderTable([
    { head: 'type', stack: 'title' }, { head: host === 'generic' ? 'name' : 'host', stack: 'title' }, { head: 'value', stack: 'body' },
    { head: 'priority' }, { head: 'purpose' },
  ], rows, { width: columns, colorLevel, border: colorLevel ? c.gray : undefined, bold: colorLevel ? c.bold : undefined });
  return { advice: recordsAdvice(zone, host, c, columns), table };
}

/** The host's pitfalls, said once above the records (dropped with --quiet; the table is the result). */
function recordsAdvice(zone: string, host: RecordsHost, c: { bold: (s: string) => string; yellow: (s: string) => string }, columns: number): string[] {
  return [
    ...(host !== 'generic' ? wrapLine(c.bold(`For ${HOST_LABELS[host]} (zone ${escapeText(zone)}):`), columns) : []),
    ...HOST_PITFALLS[host].flatMap((p) => wrapLine(`${c.yellow('!')} ${p}`, columns, '  ')),
  ];
}

/** The pitfalls, then the table: what `records`, `add` and `demo` print. */
export async function renderRecordsTable(records: DnsRecord[], zone: string, host: RecordsHost, colorLevel: 0 | 1 | 2 | 3, columns = 100): Promise<string[]> {
  const { advice, table } = await renderRecordsParts(records, zone, host, colorLevel, columns);
  return [...advice, ...table];
}
