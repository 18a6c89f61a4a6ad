import type * as net from 'node:net';
import { ReplySkipper } from '../resp/reply-skipper.js';
import type { OpenNode } from '../net/connector.js';
import { type SocketReads, writeLent } from '../net/socket-reads.js';
import type { NodeStats } from '../net/node-stats.js';
import { READONLY } from '../topology/standalone.js';
import { Valve } from '../net/valve.js';
import type { NodeConnection } from '../upstream/node-connection.js';
import type { NodeTarget } from '../topology/types.js';

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

export interface OwnLinkOptions {
  target: NodeTarget;
  /** The labels the client set while it shared a connection: written first, replies dropped. */
  labels: readonly Buffer[];
  /** The node's figures: requests and bytes each way (replies are timed on shared connections only). */
  stats: NodeStats;
  /** How many requests the client's session had read when it moved here (those went elsewhere). */
  counted: number;
  /**
   * For a standalone primary: it answered READONLY, so it was demoted and the table should follow
   * now (PrimarySender watches the shared connection). Null elsewhere.
   */
  demoted: (() => void) | null;
}

/**
 * A pinned client's own connection to its node, once attached: its socket, the reused buffer it
 * reads into, and its read valve. The labels the client set while it shared a connection (see
 * SharedLane) are written first; their replies are the tunnel's, so they are dropped here and
 * the client's replies start after them.
 */
export class OwnLink implements NodeConnection {
  readonly socket: net.Socket;
  readonly reads: SocketReads;
  readonly valve: Valve;
  private skip: ReplySkipper | null = null;
  /** The client's requests counted into the node's figures so far (see write). */
  private counted: number;

  constructor(
    open: OpenNode,
    private readonly on: OwnLinkEvents,
    private readonly o: OwnLinkOptions,
  ) {
    this.counted = o.counted;
    const { labels } = o;
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

  /**
   * Writes the client's bytes, lent from `lender` (see writeLent), which bring the client's
   * requests to `requests` in all; false when the socket wants a drain first.
   */
  write(bytes: Buffer, lender: SocketReads | null, requests: number): boolean {
    this.o.stats.bytesToNode += bytes.length;
    this.o.stats.requests += requests - this.counted;
    this.counted = requests;
    return writeLent(this.socket, bytes, lender);
  }

  get target(): NodeTarget {
    return this.o.target;
  }

  get broken(): boolean {
    return this.socket.destroyed;
  }

  /** Closes the connection; its events tell the client (see OwnLinkEvents.close). */
  close(): void {
    this.socket.destroy();
  }

  /** Bytes from the node (and those that came with the handshake). */
  readonly read = (chunk: Buffer): void => {
    this.o.stats.bytesFromNode += chunk.length;
    if (this.o.demoted && chunk.includes(READONLY)) this.o.demoted();
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
