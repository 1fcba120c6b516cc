/**
 * The transport half of a DNS server on one loopback port: UDP datagrams and TCP connections with
 * RFC 1035 §4.2.2 two-byte length framing. What to answer is the caller's: the embedded server
 * answers from zone data, the tests' hostile server misbehaves with the raw bytes.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface DnsHandlers {
  /** A datagram arrived; reply with `udp.send(bytes, rinfo.port, rinfo.address)` (or not at all). */
  udp(msg: Buffer, rinfo: dgram.RemoteInfo, udp: dgram.Socket): void;
  /** A framed message arrived on a connection; `write` frames and sends one reply (dropped once closed). */
  tcp(msg: Buffer, write: (reply: Buffer) => void): void;
}

export interface DnsListener {
  /** `127.0.0.1:PORT` (IPv6 hosts in brackets). */
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function listenDns(host: string, handlers: DnsHandlers): Promise<DnsListener> {
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const write = (reply: Buffer): void => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      if (!socket.destroyed) socket.write(Buffer.concat([len, reply]));
    };
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        handlers.tcp(msg, write);
      }
    });
  });

  // UDP and TCP must share a port: bind UDP to an ephemeral port, then TCP to the same one; another
  // process may hold that TCP port, so try again with a fresh UDP port.
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) => handlers.udp(msg, rinfo, udp));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, host, () => { udp.off('error', reject); resolve(); });
    });
    const port = udp.address().port;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => { tcp.off('error', reject); resolve(); });
      });
    } catch (e) {
      await new Promise<void>((r) => udp.close(() => r()));
      if (attempt >= 10) throw e;
      continue;
    }
    return {
      address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
      port,
      async close() {
        for (const s of sockets) s.destroy();
        await Promise.all([
          new Promise<void>((r) => udp.close(() => r())),
          new Promise<void>((r) => tcp.close(() => r())),
        ]);
      },
    };
  }
}
