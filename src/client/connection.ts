import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import type { LocalAuth } from '../protocol/local-auth.js';
import type { RequestSizeLimits } from '../resp/request-parser-options.js';
import { overOutputLimit } from '../net/output-limit.js';
import { SocketReads, adoptWithReads, writeLent } from '../net/socket-reads.js';
import type { TunnelStats } from '../net/stats.js';
import { LocalPasswordGate } from './local-password-gate.js';

/** What a client connection needs of the tunnel, in either mode. */
export interface ClientContext {
  stats: TunnelStats;
  /** `--local-password`: clients AUTH to the tunnel before anything reaches a node (null: off). */
  localAuth: LocalAuth | null;
  /** How large a request may be: the tunnel's cap and what the nodes accept (read at startup). */
  requestLimits: () => RequestSizeLimits;
  /** See TunnelOptions.clientOutputLimit. */
  clientOutputLimit: number;
}

/** What a mode does with its client's connection. */
export interface ClientHandlers {
  /**
   * The client's bytes, in order, past the local-password gate: lent when the connection reads
   * into a reused buffer (see the constructor's `lend`), valid only during the call.
   */
  read(chunk: Buffer): void;
  /** `read` threw (a request it could not read): the mode answers or closes as it does. */
  failed(e: unknown): void;
  /** The client sent FIN. */
  ended(): void;
  /** The socket closed. */
  closed(): void;
}

/** Where a client's replies go (see ClientConnection.write). */
export interface ClientOutput {
  readonly socket: net.Socket;
  write(bytes: Buffer): boolean;
}

/**
 * A client's connection to the tunnel, taken the same way in both modes: its bytes counted,
 * passed through the local-password gate (LocalPasswordGate) to the mode, and its replies written
 * with the output bound (`--client-output-limit`), past which the client is closed as a node
 * closes one over its output buffer limit. What the requests mean is the mode's: PinnedClient,
 * SmartClient.
 */
export class ClientConnection implements ClientOutput {
  readonly socket: net.Socket;
  /**
   * The reads' lender when chunks are lent (SocketReads: one reused buffer, read by Node's
   * `onread`); null when they are the stream's own buffers.
   */
  readonly reads: SocketReads | null;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    accepted: net.Socket,
    private readonly ctx: ClientContext,
    private readonly log: Logger,
    handlers: ClientHandlers,
    /**
     * Whether the mode reads lent chunks (a reused buffer: less CPU, but whatever it keeps past a
     * call it copies) or the stream's own.
     */
    lend: boolean,
  ) {
    const reads = lend ? new SocketReads() : null;
    const adopted = reads ? adoptWithReads(accepted, reads) : null;
    const socket = (this.socket = adopted ?? accepted);
    this.reads = adopted ? reads : null;
    socket.setNoDelay(true);
    const gated = LocalPasswordGate.before(handlers, ctx.localAuth, socket, ctx.requestLimits());
    const read = (chunk: Buffer): void => {
      this.bytesIn += chunk.length;
      ctx.stats.bytesToCluster += chunk.length;
      try {
        gated(chunk);
      } catch (e) {
        handlers.failed(e);
      }
    };
    if (this.reads) this.reads.handler = read;
    else socket.on('data', read);
    socket.on('error', (e: Error) => {
      log.debug(`client error: ${describeError(e)}`);
      socket.destroy();
    });
    socket.on('close', () => handlers.closed());
    socket.on('end', () => handlers.ended());
  }

  /**
   * Writes reply bytes; `lent` ones (valid only during the call) as writeLent does, with their
   * `lender` when it reads plain TCP. Returns false when the socket did not take them all: the mode
   * stops what feeds it until 'drain'. A client over the output bound is destroyed, with one warn
   * line.
   */
  write(bytes: Buffer, lent = false, lender: SocketReads | null = null): boolean {
    this.bytesOut += bytes.length;
    this.ctx.stats.bytesToClients += bytes.length;
    if (lent ? writeLent(this.socket, bytes, lender) : this.socket.write(bytes)) return true;
    if (overOutputLimit(this.socket, this.ctx.clientOutputLimit, this.ctx.stats, this.log))
      this.socket.destroy();
    return false;
  }
}
