/**
 * A minimal SMTP server on a loopback address for `validate --smtp`: banner, EHLO (with or without
 * STARTTLS), STARTTLS upgrading to TLS with the given certificate, QUIT. Records what it was told.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface TestSmtp { address: string; port: number; heard: string[]; close(): Promise<void> }

export async function startSmtp(address: string, port: number, opts: { starttls: boolean; cert?: { key: string; cert: string }; banner?: string; brokenTls?: boolean }): Promise<TestSmtp> {
  const heard: string[] = [];
  const sockets = new Set<net.Socket>();
  const serve = (socket: net.Socket, secure: boolean) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        heard.push(`${secure ? 'tls:' : ''}${line}`);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') socket.write(`250-test.smtp greets you\r\n250-PIPELINING\r\n${opts.starttls && !secure ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`);
        else if (verb === 'STARTTLS' && opts.starttls && !secure) {
          socket.write('220 go ahead\r\n');
          socket.off('data', onData);
          if (opts.brokenTls) { socket.end('this is not TLS\r\n'); return; }
          const upgraded = new tls.TLSSocket(socket, { isServer: true, ...opts.cert });
          serve(upgraded, true);
          return;
        } else if (verb === 'QUIT') { socket.end('221 bye\r\n'); return; }
        else socket.write('502 not here\r\n');
      }
    };
    socket.on('data', onData);
  };
  const server = net.createServer((s) => { s.write(`${opts.banner ?? '220 test.smtp ESMTP'}\r\n`); serve(s, false); });
  await new Promise<void>((r, j) => { server.once('error', j); server.listen(port, address, () => r()); });
  return {
    address, port, heard,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
