import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';

/**
 * A raw TLS connection to one node that records the exact reply bytes: used to capture fixtures.
 * It authenticates first and swallows that reply.
 */
export class RawConn {
  private socket: tls.TLSSocket;
  private received: Buffer[] = [];
  private lastData = Date.now();

  private constructor(socket: tls.TLSSocket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.received.push(d);
      this.lastData = Date.now();
    });
  }

  static async open(
    host: string,
    port: number,
    caFile: string,
    user: string,
    password: string,
  ): Promise<RawConn> {
    const socket = tls.connect({
      host,
      port,
      ca: readFileSync(caFile),
      servername: undefined,
      checkServerIdentity: () => undefined,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const conn = new RawConn(socket);
    const auth = await conn.exchange(
      `*3\r\n$4\r\nAUTH\r\n$${user.length}\r\n${user}\r\n$${password.length}\r\n${password}\r\n`,
    );
    if (auth.toString() !== '+OK\r\n') throw new Error(`AUTH failed on ${host}:${port}: ${auth.toString()}`);
    return conn;
  }

  /** Sends `request` and returns every byte received until the line has been quiet for `quietMs`. */
  async exchange(request: string | Buffer, quietMs = 120, maxMs = 5000): Promise<Buffer> {
    // Bytes that arrived since the last exchange (e.g. a message published meanwhile) are included.
    this.lastData = Date.now();
    if (request.length > 0)
      this.socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
    const start = Date.now();
    // Wait for the first byte (or maxMs), then for quiet.
    while (Date.now() - start < maxMs) {
      await new Promise((r) => setTimeout(r, 10));
      if (this.received.length > 0 && Date.now() - this.lastData >= quietMs) break;
      if (this.received.length === 0 && Date.now() - start >= quietMs * 3 && request.length === 0) break;
      if (
        this.received.length === 0 &&
        Date.now() - start >= Math.max(quietMs * 3, 400) &&
        request.length > 0
      )
        break;
    }
    const out = Buffer.concat(this.received);
    this.received = [];
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}
