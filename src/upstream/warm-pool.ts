import type { Logger } from '../log.js';
import { describeError } from '../log.js';
import type { NodeTarget } from '../topology/types.js';
import type { Connector, OpenNode } from '../net/connector.js';
import { SocketReads } from '../net/socket-reads.js';
import type { NodeConnection } from './node-connection.js';

/** After a failed open, a node's pool waits this long before trying again (a node that is down). */
const RETRY_AFTER_MS = 1000;

/**
 * An idle connection is replaced after this long: managed services close idle clients (Azure
 * after 10 minutes), and a client must never be handed one the server has just dropped. The
 * shared connections follow the same rule.
 */
export const IDLE_MAX_MS = 240_000;

/**
 * A refill starts this long after a take: opening a TLS connection costs about a millisecond of
 * CPU, and spent at once it would delay the very client that took the warm one. Measured, new
 * connections 4 ms apart (connect, PING, close): 3.1 ms each with an immediate refill, 2.8 ms with
 * 10 ms (the pool ran dry), 1.5 ms with 2 ms.
 */
const REFILL_DELAY_MS = 2;

/**
 * A warm connection waiting in the pool: connected, through TLS and authenticated, read only to
 * notice a node that closes it. `forget` ends the waiting (a client took it, or it closes).
 */
class WarmConnection implements NodeConnection {
  constructor(
    readonly open: OpenNode,
    readonly target: NodeTarget,
    readonly forget: () => void,
  ) {}

  get broken(): boolean {
    return this.open.socket.destroyed;
  }

  close(): void {
    this.forget();
    this.open.socket.destroy();
  }
}

interface NodePool {
  target: NodeTarget;
  idle: WarmConnection[];
  opening: number;
  failedAt: number;
  refill: NodeJS.Timeout | null;
}

/**
 * Warm upstream connections per node, connected, through TLS and authenticated, so a new client
 * connection's first byte goes out at once instead of after a TCP + TLS + AUTH handshake. Only
 * fresh connections are pooled: one a client has used goes away with that client, so no client
 * ever inherits another's state (SELECT, CLIENT SETNAME, MULTI, subscriptions). A credential
 * refresh drops what was opened before it; a node that leaves drains its pool; a pool never holds
 * more than `size` connections, open or opening, whatever the storm of clients.
 */
export class WarmPool {
  private readonly nodes = new Map<string, NodePool>();
  private generation = 0;
  private closed = false;

  constructor(
    private readonly connector: Connector,
    private readonly auth: () => Buffer | null,
    /** Connections kept per node; 0 turns the pool off. */
    readonly size: number,
    private readonly log: Logger,
    private readonly counts: { hits: number; misses: number } = { hits: 0, misses: 0 },
  ) {}

  /** A warm connection to `target`, or null when none is ready; the pool refills behind it. */
  take(target: NodeTarget): OpenNode | null {
    if (this.size === 0) return null;
    const pool = this.nodes.get(keyOf(target));
    const idle = pool?.idle.shift();
    if (pool && !pool.refill)
      pool.refill = setTimeout(() => {
        pool.refill = null;
        this.fill(pool.target);
      }, REFILL_DELAY_MS).unref();
    if (!idle) {
      this.counts.misses++;
      return null;
    }
    idle.forget();
    this.counts.hits++;
    return idle.open;
  }

  /** Keeps `size` connections ready for `target`, opening the missing ones in the background. */
  fill(target: NodeTarget): void {
    if (this.size === 0 || this.closed) return;
    const key = keyOf(target);
    let pool = this.nodes.get(key);
    if (!pool) this.nodes.set(key, (pool = { target, idle: [], opening: 0, failedAt: 0, refill: null }));
    if (Date.now() - pool.failedAt < RETRY_AFTER_MS) return;
    for (let n = pool.idle.length + pool.opening; n < this.size; n++) void this.openOne(pool);
  }

  private async openOne(pool: NodePool): Promise<void> {
    pool.opening++;
    const generation = this.generation;
    let open: OpenNode;
    try {
      open = await this.connector.open(pool.target, this.auth(), new SocketReads());
    } catch (e) {
      pool.failedAt = Date.now();
      this.log.debug(
        `pool: cannot open a connection to ${pool.target.label}: ${describeError(e, { withNode: false })}`,
      );
      return;
    } finally {
      pool.opening--;
    }
    const reads = open.reads as SocketReads;
    const stale = generation !== this.generation || this.nodes.get(keyOf(pool.target)) !== pool;
    // Bytes after the AUTH reply (there should be none) would belong to no client: not pooled.
    if (this.closed || stale || open.pending) return void open.socket.destroy();
    // While idle: a node that closes or says anything (it should not) takes the connection out.
    const drop = (): void => {
      const i = pool.idle.indexOf(idle);
      if (i >= 0) pool.idle.splice(i, 1);
      idle.close();
    };
    const expire = setTimeout(() => {
      drop();
      this.fill(pool.target);
    }, IDLE_MAX_MS).unref();
    const idle = new WarmConnection(open, pool.target, () => {
      clearTimeout(expire);
      open.socket.off('close', drop);
      open.socket.off('error', drop);
      open.socket.off('end', drop);
      reads.handler = () => undefined;
      open.socket.pause(); // handed over paused, as the connector hands it
    });
    open.socket.on('close', drop);
    open.socket.on('error', drop);
    open.socket.on('end', drop);
    reads.handler = () => {
      drop();
      return false;
    };
    // Reading while idle is how a close by the node is noticed (nothing else should come).
    open.socket.resume();
    pool.idle.push(idle);
  }

  /** Closes the idle connections to `target` and stops keeping any (it left, or moved). */
  drain(target: NodeTarget): void {
    const key = keyOf(target);
    const pool = this.nodes.get(key);
    if (!pool) return;
    this.nodes.delete(key);
    if (pool.refill) clearTimeout(pool.refill);
    for (const idle of pool.idle) idle.close();
  }

  /** A fresh credential: what authenticated with the old one is replaced. */
  refreshCredentials(): void {
    this.generation++;
    for (const pool of [...this.nodes.values()]) {
      for (const idle of pool.idle) idle.close();
      pool.idle = [];
      this.fill(pool.target);
    }
  }

  /** Idle connections held now, over every node. */
  get idleCount(): number {
    let n = 0;
    for (const pool of this.nodes.values()) n += pool.idle.length;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const pool of [...this.nodes.values()]) this.drain(pool.target);
  }
}

function keyOf(t: NodeTarget): string {
  return `${t.host}|${t.port}|${t.tlsName ?? ''}`;
}
