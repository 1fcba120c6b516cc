/**
 * `validate --smtp`: talk to each MX host as a sending server would — connect to port 25, read the
 * banner, EHLO, require STARTTLS, complete TLS, and check the certificate against the MX name
 * (system store plus NODE_EXTRA_CA_CERTS). At most 10 hosts, concurrently, each bounded by one
 * deadline. Only run when asked: many networks block outgoing port 25, so "unreachable" is a
 * warning that says "from here".
 *
 * `node:tls` is imported on first use, so no TLS module loads on the `--help` path.
 *
 * Test hook: with `MAILSETUP_TEST_SMTP_PORT` set, a loopback address is contacted on that port
 * instead of 25 (tests run servers without privileges). It has no effect on any other address.
 */
import net from 'node:net';
import type { CheckResult, Finding } from '../model/finding.js';
import { statusFromFindings } from '../model/finding.js';
import type { MxDetail } from './mx.js';

export const SMTP_MAX_HOSTS = 10;
const EHLO_NAME = 'mailsetup.invalid';

export interface SmtpHostResult {
  host: string;
  address: string | null;
  banner: string | null;
  starttls: boolean | null;
  tls: { protocol: string | null; authorized: boolean; error: string | null } | null;
  error: string | null;
}

/** One SMTP conversation as a line reader: each reply is its lines up to the one with a space after the code. */
class Conversation {
  private buf = '';
  private waiters: Array<() => void> = [];
  private closed: string | null = null;
  constructor(private socket: net.Socket) { this.attach(socket); }
  attach(socket: net.Socket | import('node:tls').TLSSocket): void {
    this.socket = socket;
    this.buf = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { this.buf += d; if (this.buf.length > 64 * 1024) this.fail('reply over 64 KB'); this.wake(); });
    socket.on('close', () => this.fail('connection closed'));
    socket.on('error', (e) => this.fail(e.message));
  }
  private fail(why: string) { this.closed ??= why; this.wake(); }
  private wake() { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
  async reply(): Promise<{ code: number; lines: string[] }> {
    for (;;) {
      const lines = this.buf.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        if (/^\d{3} /.test(lines[i]!) || /^\d{3}$/.test(lines[i]!)) {
          const reply = lines.slice(0, i + 1);
          this.buf = lines.slice(i + 1).join('\r\n');
          return { code: Number(lines[i]!.slice(0, 3)), lines: reply.map((l) => l.slice(4)) };
        }
      }
      if (this.closed) throw new Error(this.closed);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  send(line: string) { this.socket.write(`${line}\r\n`); }
  detach() { this.socket.removeAllListeners('data'); this.socket.removeAllListeners('close'); this.socket.removeAllListeners('error'); this.socket.on('error', () => {}); }
}

export async function probeSmtpHost(host: string, address: string, timeoutMs: number): Promise<SmtpHostResult> {
  const out: SmtpHostResult = { host, address, banner: null, starttls: null, tls: null, error: null };
  const testPort = Number(process.env.MAILSETUP_TEST_SMTP_PORT);
  const port = testPort > 0 && (/^127\./.test(address) || address === '::1') ? testPort : 25;
  const sockets: net.Socket[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no complete conversation within ${timeoutMs} ms`)), timeoutMs); });
  const talk = async () => {
    const socket = net.connect({ host: address, port });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const c = new Conversation(socket);
    const banner = await c.reply();
    out.banner = banner.lines.join(' ').slice(0, 200);
    if (banner.code !== 220) throw new Error(`banner ${banner.code}: ${out.banner}`);
    c.send(`EHLO ${EHLO_NAME}`);
    const ehlo = await c.reply();
    if (ehlo.code !== 250) throw new Error(`EHLO answered ${ehlo.code}`);
    out.starttls = ehlo.lines.slice(1).some((l) => /^STARTTLS\b/i.test(l));
    if (!out.starttls) { c.send('QUIT'); return; }
    c.send('STARTTLS');
    const go = await c.reply();
    if (go.code !== 220) { out.tls = { protocol: null, authorized: false, error: `STARTTLS answered ${go.code}` }; return; }
    c.detach();
    const tls = await import('node:tls');
    const secure = tls.connect({ socket, servername: host, rejectUnauthorized: false });
    sockets.push(secure);
    await new Promise<void>((resolve, reject) => { secure.once('secureConnect', resolve); secure.once('error', reject); })
      .catch((e: Error) => { out.tls = { protocol: null, authorized: false, error: `handshake failed: ${e.message}` }; throw e; });
    out.tls = { protocol: secure.getProtocol(), authorized: secure.authorized, error: secure.authorized ? null : String(secure.authorizationError) };
    c.attach(secure);
    c.send('QUIT');
    await c.reply().catch(() => undefined);
  };
  try {
    await Promise.race([talk(), deadline]);
  } catch (e) {
    out.error = (e as Error).message;
  } finally {
    clearTimeout(timer);
    // The TLS socket before the TCP socket under it: never pull a stream from under TLS.
    for (const s of sockets.reverse()) s.destroy();
  }
  return out;
}

export async function auditSmtp(mx: CheckResult, opts: { timeoutMs: number; enforced: Promise<boolean> }): Promise<CheckResult> {
  const d = mx.detail as MxDetail | undefined;
  const hosts = (d?.hosts ?? []).slice(0, SMTP_MAX_HOSTS);
  const findings: Finding[] = [];
  const name = hosts.map((h) => h.exchange).join(',') || mx.name;
  if (hosts.length === 0) {
    findings.push({ severity: 'info', code: 'SMTP_NO_HOSTS', name: mx.name, term: null,
      message: 'No MX host with an address to talk to, so SMTP was not checked.', hint: null });
    return { check: 'smtp', status: 'none', name, record: null, findings, detail: { hosts: [] } };
  }
  const results = await Promise.all(hosts.map((h) => (h.addresses[0]
    ? probeSmtpHost(h.exchange, h.addresses[0], opts.timeoutMs)
    : Promise.resolve<SmtpHostResult>({ host: h.exchange, address: null, banner: null, starttls: null, tls: null, error: 'no address' }))));
  const enforced = await opts.enforced;
  const strict: Finding['severity'] = enforced ? 'error' : 'warning';
  const because = enforced ? ' MTA-STS is in enforce mode: senders that honour it refuse to deliver here.' : '';
  for (const r of results) {
    const add = (severity: Finding['severity'], code: string, message: string, hint: string) =>
      findings.push({ severity, code, name: r.host, term: null, message, hint });
    if (r.tls?.error && r.tls.protocol !== null && !r.tls.authorized) {
      add(strict, 'SMTP_CERT_INVALID', `The TLS certificate of ${r.host} does not validate for that name (${r.tls.error}).${because}`,
        `Serve a certificate from a public CA naming ${r.host}, and renew it before it expires.`);
    } else if (r.tls && r.tls.protocol === null) {
      add(strict, 'SMTP_TLS_FAILED', `${r.host} offers STARTTLS but TLS could not be completed (${r.tls.error}).${because}`,
        'Check the TLS configuration of the mail server (protocols, ciphers, certificate chain).');
    } else if (r.starttls === false) {
      add(strict, 'SMTP_STARTTLS_MISSING', `${r.host} does not offer STARTTLS: mail to it travels unencrypted.${because}`,
        'Enable STARTTLS on the mail server with a certificate for its MX name.');
    } else if (r.error && r.starttls === null) {
      add('warning', 'SMTP_UNREACHABLE', `Could not talk SMTP to ${r.host}${r.address ? ` (${r.address})` : ''} from here: ${r.error}. Many networks block outgoing port 25; this is not proof the server is down.`,
        'Run from a host that may connect to port 25, or check the server.');
    }
  }
  const none = results.every((r) => r.starttls === null) && !findings.some((f) => f.severity === 'error');
  return { check: 'smtp', status: none ? 'none' : statusFromFindings(findings), name, record: null, findings, detail: { hosts: results } };
}
