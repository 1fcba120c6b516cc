/**
 * Reading inputs: paths (files, folders, recursively), `-` (standard input), e-mails and mbox files.
 * Each byte string is sniffed by content, never by name or media type (reference §1.3): gzip
 * `1f 8b`, zip `PK\3\4`, an e-mail or mbox (header lines), `{` (TLS-RPT JSON), `<` (XML).
 *
 * Limits (DESIGN.md): at most 50 MiB per input before and after decompression (node:zlib's
 * `maxOutputLength` stops a gzip bomb; a zip's declared sizes are checked before anything is
 * inflated), at most 20 entries per zip, at most 2 nested containers (a `.xml.gz.gz`, a report mail
 * forwarded as `message/rfc822`). Every failure is a finding on that input, never an exception.
 *
 * fflate and postal-mime are imported lazily, when a zip or an e-mail first turns up.
 */
import { readFile, readdir, lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AggregateReport, InputFinding } from './model.js';
import { decodeText, parseReportXml } from './xml.js';

export const LIMITS = {
  /** Bytes per input, read and after decompression. */
  maxBytes: 50 * 1024 * 1024,
  maxZipEntries: 20,
  /** Containers inside containers (gzip in zip, a mail inside a mail). */
  maxDepth: 2,
  /** Messages taken from one mbox file. */
  maxMessagesPerMbox: 100_000,
};

export interface ReadResult {
  reports: AggregateReport[];
  findings: InputFinding[];
  /** Inputs read: files, standard input, and each message of an mbox. */
  read: number;
  other: { tlsrpt: number; failure: number };
}

export interface ReadOptions {
  /** Standard input, for `-` (injected by tests). */
  stdin?: () => Promise<Uint8Array>;
  limits?: Partial<typeof LIMITS>;
}

type Fflate = typeof import('fflate');
type PostalMime = typeof import('postal-mime');
let fflate: Promise<Fflate> | undefined;
let postal: Promise<PostalMime> | undefined;

class Budget {
  constructor(public left: number) {}
}

export async function readInputs(paths: string[], options: ReadOptions = {}): Promise<ReadResult> {
  const limits = { ...LIMITS, ...options.limits };
  const result: ReadResult = { reports: [], findings: [], read: 0, other: { tlsrpt: 0, failure: 0 } };
  const reader = new Reader(limits, result);
  for (const p of paths) {
    if (p === '-') {
      result.read++;
      const bytes = options.stdin ? await options.stdin() : await readStdin(limits.maxBytes + 1);
      if (bytes.length > limits.maxBytes) { reader.finding('error', 'REPORT_TOO_LARGE', '-', `standard input is larger than ${mib(limits.maxBytes)}`); continue; }
      await reader.bytes(bytes, '-', 0, new Budget(limits.maxBytes), false);
      continue;
    }
    await reader.path(p);
  }
  return result;
}

async function readStdin(max: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(b);
    size += b.length;
    if (size > max) break;
  }
  return Buffer.concat(chunks);
}

const mib = (n: number): string => `${Math.round(n / 1024 / 1024)} MiB`;

const startsWith = (b: Uint8Array, ...bytes: number[]): boolean => bytes.every((x, i) => b[i] === x);

/** The first non-whitespace byte (after a UTF-8 BOM). */
function firstByte(b: Uint8Array): number | undefined {
  let i = startsWith(b, 0xef, 0xbb, 0xbf) ? 3 : 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return b[i];
}

/** RFC 5322 header lines (or an mbox "From " line) at the start. */
function looksLikeMail(b: Uint8Array): 'mbox' | 'mail' | null {
  const head = Buffer.from(b.subarray(0, 2048)).toString('latin1');
  if (head.startsWith('From ')) return 'mbox';
  const lines = head.split(/\r?\n/);
  const headerish = lines.slice(0, 3).filter((l) => /^[A-Za-z][A-Za-z0-9-]*:/.test(l) || /^[ \t]\S/.test(l)).length;
  return /^[A-Za-z][A-Za-z0-9-]*:/.test(lines[0] ?? '') && headerish >= Math.min(2, lines.length) ? 'mail' : null;
}

class Reader {
  constructor(private limits: typeof LIMITS, private result: ReadResult) {}

  finding(severity: InputFinding['severity'], code: string, input: string, message: string, hint: string | null = null): void {
    this.result.findings.push({ severity, code, input, message, hint });
  }

  async path(p: string, inFolder = false): Promise<void> {
    let info;
    try {
      info = inFolder ? await lstat(p) : await stat(p);
    } catch (e) {
      this.result.read++;
      this.finding('error', 'REPORT_UNREADABLE', p, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      return;
    }
    if (info.isSymbolicLink()) return; // inside a folder: never follow links (loops, escapes)
    if (info.isDirectory()) {
      let names: string[];
      try { names = (await readdir(p)).sort(); } catch (e) {
        this.finding('error', 'REPORT_UNREADABLE', p, `cannot list the folder: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        return;
      }
      for (const n of names) if (!n.startsWith('.')) await this.path(join(p, n), true);
      return;
    }
    if (!info.isFile()) return;
    this.result.read++;
    if (info.size > this.limits.maxBytes) {
      this.finding('error', 'REPORT_TOO_LARGE', p, `${info.size} bytes, more than the ${mib(this.limits.maxBytes)} limit; not read`);
      return;
    }
    let bytes: Uint8Array;
    try { bytes = await readFile(p); } catch (e) {
      this.finding('error', 'REPORT_UNREADABLE', p, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      return;
    }
    await this.bytes(bytes, p, 0, new Budget(this.limits.maxBytes), false);
  }

  /**
   * Sniff and dispatch. `quietIfOther`: inside an e-mail, a part that is no report (a logo, the
   * HTML text) is ignored silently; the mail as a whole says whether it held a report.
   * Returns how many reports (or recognised other reports) it found.
   */
  async bytes(b: Uint8Array, label: string, depth: number, budget: Budget, quietIfOther: boolean): Promise<number> {
    if (b.length === 0) {
      if (!quietIfOther) this.finding('warning', 'REPORT_EMPTY', label, 'the input is empty (0 bytes)');
      return 0;
    }
    if (startsWith(b, 0x1f, 0x8b)) return this.gzip(b, label, depth, budget);
    if (startsWith(b, 0x50, 0x4b, 0x03, 0x04) || startsWith(b, 0x50, 0x4b, 0x05, 0x06)) return this.zip(b, label, depth, budget);
    const first = firstByte(b);
    if (first === 0x3c /* < */) return this.xml(b, label);
    if (first === 0x7b /* { */) return this.json(b, label, quietIfOther);
    const mail = looksLikeMail(b);
    if (mail && depth <= this.limits.maxDepth) return mail === 'mbox' ? this.mbox(b, label, depth, budget) : this.mail(b, label, depth, budget);
    if (first === undefined) {
      if (!quietIfOther) this.finding('warning', 'REPORT_EMPTY', label, 'the input holds only white space');
      return 0;
    }
    if (!quietIfOther) this.finding('warning', 'REPORT_NOT_DMARC', label, 'not a DMARC report: neither XML, gzip, zip, JSON nor an e-mail');
    return 0;
  }

  private tooDeep(label: string, depth: number): boolean {
    if (depth < this.limits.maxDepth) return false;
    this.finding('error', 'ARCHIVE_UNSAFE', label, `containers nested more than ${this.limits.maxDepth} deep; not opened`);
    return true;
  }

  private async gzip(b: Uint8Array, label: string, depth: number, budget: Budget): Promise<number> {
    if (this.tooDeep(label, depth)) return 0;
    // Mimecast appends CRLF after the gzip member; trim CR/LF only (a member ends in its length field, often 00 00).
    let end = b.length;
    while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
    let out: Buffer;
    try {
      out = gunzipSync(b.subarray(0, end), { maxOutputLength: Math.max(1, budget.left) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || (e instanceof RangeError)) {
        this.finding('error', 'ARCHIVE_UNSAFE', label, `gzip expands beyond the ${mib(this.limits.maxBytes)} limit (a decompression bomb?); not read`);
      } else {
        this.finding('error', 'ARCHIVE_INVALID', label, `gzip data is corrupt: ${(e as Error).message}`);
      }
      return 0;
    }
    budget.left -= out.length;
    return this.bytes(out, label, depth + 1, budget, false);
  }

  private async zip(b: Uint8Array, label: string, depth: number, budget: Budget): Promise<number> {
    if (this.tooDeep(label, depth)) return 0;
    const { unzipSync } = await (fflate ??= import('fflate'));
    const entries: { name: string; originalSize: number }[] = [];
    try {
      unzipSync(b, { filter: (f) => { entries.push({ name: f.name, originalSize: f.originalSize }); return false; } });
    } catch (e) {
      this.finding('error', 'ARCHIVE_INVALID', label, `zip data is corrupt: ${(e as Error).message}`);
      return 0;
    }
    const files = entries.filter((e) => !e.name.endsWith('/'));
    if (files.length > this.limits.maxZipEntries) {
      this.finding('error', 'ARCHIVE_UNSAFE', label, `the zip holds ${files.length} entries, more than ${this.limits.maxZipEntries}; not opened`);
      return 0;
    }
    const declared = files.reduce((s, f) => s + f.originalSize, 0);
    if (declared > budget.left) {
      this.finding('error', 'ARCHIVE_UNSAFE', label, `the zip declares ${declared} bytes uncompressed, more than the ${mib(this.limits.maxBytes)} limit (a decompression bomb?); not opened`);
      return 0;
    }
    let unzipped: Record<string, Uint8Array>;
    try {
      unzipped = unzipSync(b, { filter: (f) => !f.name.endsWith('/') });
    } catch (e) {
      this.finding('error', 'ARCHIVE_INVALID', label, `zip data is corrupt: ${(e as Error).message}`);
      return 0;
    }
    let found = 0;
    for (const f of files) {
      const data = unzipped[f.name];
      if (!data) continue;
      budget.left -= data.length;
      found += await this.bytes(data, `${label}#${f.name}`, depth + 1, budget, false);
    }
    return found;
  }

  private async xml(b: Uint8Array, label: string): Promise<number> {
    const outcome = await parseReportXml(b, label);
    if (!outcome.ok) {
      this.result.findings.push(outcome.finding);
      return 0;
    }
    this.result.reports.push(outcome.report);
    this.result.findings.push(...outcome.findings);
    return 1;
  }

  private json(b: Uint8Array, label: string, quiet: boolean): number {
    let doc: unknown;
    try { doc = JSON.parse(decodeText(b).text); } catch {
      if (!quiet) this.finding('warning', 'REPORT_NOT_DMARC', label, 'JSON that does not parse; not a DMARC report');
      return 0;
    }
    if (typeof doc === 'object' && doc !== null && 'policies' in doc && ('organization-name' in doc || 'report-id' in doc)) {
      this.result.other.tlsrpt++;
      this.finding('info', 'REPORT_TLSRPT', label, 'an SMTP TLS report (RFC 8460) about inbound TLS; skipped (it does not bear on DMARC)');
      return 1;
    }
    if (!quiet) this.finding('warning', 'REPORT_NOT_DMARC', label, 'JSON that is not a DMARC report');
    return 0;
  }

  private async mbox(b: Uint8Array, label: string, depth: number, budget: Budget): Promise<number> {
    const text = Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
    // Messages start at a line beginning "From " (mboxrd/mboxo escape body lines as ">From ").
    const starts = [0];
    const re = /\r?\n\r?\n(?=From )/g;
    for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + m[0].length);
    const uniq = [...new Set(starts)].sort((x, y) => x - y).slice(0, this.limits.maxMessagesPerMbox);
    let found = 0;
    for (let i = 0; i < uniq.length; i++) {
      const chunk = b.subarray(uniq[i], uniq[i + 1] ?? b.length);
      const nl = chunk.indexOf(0x0a);
      const message = nl >= 0 ? chunk.subarray(nl + 1) : new Uint8Array();
      if (i > 0) this.result.read++;
      found += await this.mail(message, `${label}#${i + 1}`, depth, budget);
    }
    return found;
  }

  private async mail(b: Uint8Array, label: string, depth: number, budget: Budget): Promise<number> {
    const { default: PostalMimeClass } = await (postal ??= import('postal-mime'));
    let email;
    try {
      email = await PostalMimeClass.parse(b, {
        forceRfc822Attachments: true,
        attachmentEncoding: 'arraybuffer',
        maxNestingDepth: 20,
        maxPartCount: 200,
        maxRfc822NestingDepth: this.limits.maxDepth,
      });
    } catch (e) {
      this.finding('error', 'REPORT_NOT_DMARC', label, `an e-mail that could not be read: ${(e as Error).message}`);
      return 0;
    }
    const contentType = email.headers.find((h) => h.key === 'content-type')?.value ?? '';
    const reportType = /report-type\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase();
    const isArf = reportType === 'feedback-report' || email.attachments.some((a) => a.mimeType.toLowerCase() === 'message/feedback-report');
    if (isArf) {
      this.result.other.failure++;
      this.finding('info', 'REPORT_FAILURE_ARF', label, 'a DMARC failure report (ARF, RFC 6591/9991); skipped: per-message reports do not feed the aggregate view');
      return 1;
    }
    if (reportType === 'tlsrpt' || email.headers.some((h) => h.key === 'tls-report-domain')) {
      this.result.other.tlsrpt++;
      this.finding('info', 'REPORT_TLSRPT', label, 'an SMTP TLS report mail (RFC 8460) about inbound TLS; skipped (it does not bear on DMARC)');
      return 1;
    }
    let found = 0;
    for (const [i, a] of email.attachments.entries()) {
      const content = typeof a.content === 'string' ? new TextEncoder().encode(a.content) : new Uint8Array(a.content as ArrayBuffer);
      if (content.length > budget.left) {
        this.finding('error', 'REPORT_TOO_LARGE', `${label}#${a.filename ?? i + 1}`, `an attachment larger than the ${mib(this.limits.maxBytes)} limit; not read`);
        continue;
      }
      const mime = a.mimeType.toLowerCase();
      const nextDepth = mime === 'message/rfc822' ? depth + 1 : depth;
      if (mime === 'message/rfc822' && nextDepth > this.limits.maxDepth) {
        this.finding('error', 'ARCHIVE_UNSAFE', label, `mails nested more than ${this.limits.maxDepth} deep; not opened`);
        continue;
      }
      found += await this.bytes(content, `${label}#${a.filename ?? `part${i + 1}`}`, nextDepth, budget, true);
    }
    if (found === 0) {
      // Some reporters put the XML in the body itself.
      const body = email.text?.trim();
      if (body && body.startsWith('<')) found += await this.bytes(new TextEncoder().encode(body), `${label}#body`, depth, budget, true);
    }
    if (found === 0) this.finding('warning', 'REPORT_NOT_DMARC', label, 'an e-mail without a DMARC report attachment');
    return found;
  }
}
