import { Duplex } from 'node:stream';
import type * as net from 'node:net';

/**
 * One end of an in-process connection: what one end writes, the other reads. It stands in for a
 * client socket where the client lives in this process (the `cli` command talks to smart mode
 * this way, with no listener), so it answers the few socket calls a client connection makes.
 */
class MemoryEnd extends Duplex {
  other: MemoryEnd | null = null;
  readonly remoteAddress = 'in-process';
  readonly remotePort = 0;

  override _read(): void {
    // Data is pushed by the other end's writes.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    this.other?.push(chunk);
    done();
  }

  override _final(done: (e?: Error | null) => void): void {
    this.other?.push(null);
    done();
  }

  override _destroy(e: Error | null, done: (e?: Error | null) => void): void {
    const other = this.other;
    this.other = null;
    if (other && !other.destroyed) other.destroy();
    done(e);
  }

  setNoDelay(): this {
    return this;
  }
}

/** Two connected ends: the first is handed over as a server's client socket, the second is the client's. */
export function memorySocketPair(): { server: net.Socket; client: Duplex } {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.other = b;
  b.other = a;
  // The server side is used only through the calls MemoryEnd answers.
  return { server: a as unknown as net.Socket, client: b };
}
