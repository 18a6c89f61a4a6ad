import type * as net from 'node:net';
import { ReplySkipper } from '../resp/reply-skipper.js';
import type { OpenNode } from '../net/connector.js';
import type { SocketReads } from '../net/socket-reads.js';
import { Valve } from '../net/valve.js';

/** What an own connection tells its pair. */
export interface OwnLinkEvents {
  /** The node's reply bytes for the client (lent: valid only during the call). */
  reply(chunk: Buffer): void;
  /** The node's bytes are not RESP. */
  fail(e: unknown): void;
  /** The connection takes writes again. */
  drain(): void;
  /** The node sent FIN. */
  end(): void;
  error(e: Error): void;
  /** The node closed (QUIT, timeout, restart). */
  close(): void;
}

/**
 * A pinned client's own connection to its node, once attached: its socket, the reused buffer it
 * reads into, and its read valve. The labels the client set while it shared a connection (see
 * SharedLane) are written first; their replies are the tunnel's, so they are dropped here and
 * the client's replies start after them.
 */
export class OwnLink {
  readonly socket: net.Socket;
  readonly reads: SocketReads;
  readonly valve: Valve;
  private skip: ReplySkipper | null = null;

  constructor(
    open: OpenNode,
    labels: readonly Buffer[],
    private readonly on: OwnLinkEvents,
  ) {
    const socket = (this.socket = open.socket);
    // Every own connection reads into one (the client and the pool open them so).
    this.reads = open.reads as SocketReads;
    this.valve = new Valve(socket);
    this.reads.handler = this.read;
    socket.on('drain', () => on.drain());
    socket.on('end', () => on.end());
    socket.on('error', (e: Error) => on.error(e));
    socket.on('close', () => on.close());
    if (labels.length > 0) {
      socket.write(Buffer.concat(labels));
      this.skip = new ReplySkipper(labels.length);
    }
  }

  /** Bytes from the node (and those that came with the handshake). */
  readonly read = (chunk: Buffer): void => {
    if (this.skip) {
      try {
        chunk = this.skip.push(chunk);
      } catch (e) {
        return this.on.fail(e);
      }
      if (!this.skip.done || chunk.length === 0) return;
      this.skip = null;
    }
    this.on.reply(chunk);
  };
}
