import type * as net from 'node:net';
import type { Logger } from '../log.js';
import { errorReply } from '../resp/encode.js';
import type { TunnelStats } from './stats.js';
import { Throttle } from './throttle.js';

/**
 * Descriptors kept for what is not a client's and not a node's: stdio, the status server,
 * topology reads, sockets closing.
 */
const FILE_HEADROOM = 64;

/**
 * Descriptors the tunnel keeps for itself with `nodes` nodes: each may hold a listener, a shared
 * connection and `pool` warm ones.
 */
export function reservedFiles(nodes: number, pool: number): number {
  return FILE_HEADROOM + nodes * (2 + pool);
}

/** How often the at-the-limit line is logged; the refusals themselves are counted, not logged. */
const WARNING_INTERVAL_MS = 10_000;

/**
 * The process's open-file limit, shared out. Clients (and the connections of their own that
 * they take) count against it; the rest is kept for the tunnel's own connections. Were
 * clients let in until the kernel said EMFILE, the storm that used the last descriptor would
 * leave none for the shared or warm connection every one of those clients waits on: all of them
 * would fail. Refusing at the budget instead keeps the clients already in working.
 */
export class FileBudget {
  private held = 0;
  private readonly warnings = new Throttle(WARNING_INTERVAL_MS);

  /**
   * `limit`: the soft limit (null: unknown, nothing is refused). `reserved`: descriptors kept for
   * the tunnel now (it grows with the number of nodes).
   */
  constructor(
    readonly limit: number | null,
    private readonly reserved: () => number,
    private readonly stats: TunnelStats,
    private readonly log: Logger,
  ) {}

  /** Clients the limit leaves room for now, in all (null: no known limit). */
  get capacity(): number | null {
    return this.limit === null ? null : Math.max(0, this.limit - this.reserved());
  }

  /** Takes one descriptor; false, with the line logged, when none is left for clients. */
  take(): boolean {
    const capacity = this.capacity;
    if (capacity !== null && this.held >= capacity) {
      this.stats.error('file-limit');
      if (this.warnings.allow('files'))
        this.log.warn(
          `at the open-file limit (${this.limit}): clients and their own connections hold ${this.held} descriptors, the tunnel keeps the rest; new clients are refused with an error; raise it (ulimit -n)`,
        );
      return false;
    }
    this.held++;
    return true;
  }

  /** Gives back what `take` took. */
  release(): void {
    this.held--;
  }

  /**
   * Opens a connection that counts against the limit until its socket closes; null, with nothing
   * opened, when no descriptor is left for clients. A failed open gives its descriptor back.
   */
  async open<T extends { socket: net.Socket }>(opening: () => Promise<T>): Promise<T | null> {
    if (!this.take()) return null;
    try {
      const opened = await opening();
      const { socket } = opened;
      if (socket.closed) this.release();
      else socket.once('close', () => this.release());
      return opened;
    } catch (e) {
      this.release();
      throw e;
    }
  }

  /**
   * Admits a client (its owner releases it when the client is gone), or refuses it as Redis does
   * at maxclients: the reason is written and the socket closed at once. Its descriptor is free
   * again before the next client is accepted, so a storm of refusals never takes the ones the
   * tunnel keeps.
   */
  admit(socket: net.Socket): boolean {
    if (this.take()) return true;
    socket.on('error', () => undefined);
    socket.end(errorReply(this.refusal()));
    socket.destroy();
    return false;
  }

  /** Why a client or its own connection is refused. */
  refusal(): string {
    return `ERR max number of clients reached: the tunnel is at its open-file limit (${this.limit}); raise it (ulimit -n)`;
  }
}
