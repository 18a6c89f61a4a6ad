import type { NodeEntry } from '../topology/node-table.js';
import type { Upstream } from './upstream.js';

/**
 * Upstreams by node, one each: made on first use, and made again once one breaks, or once it has
 * been idle for `retireIdleMs` (when given). `make` gets the close hook that forgets a broken one,
 * and the protocol the request that needs the connection was issued in (2 unless given).
 */
export class Upstreams {
  private readonly byNode = new Map<NodeEntry, Upstream>();
  private closed = false;

  constructor(
    private readonly make: (entry: NodeEntry, forget: (u: Upstream) => void, protocol: number) => Upstream,
    private readonly retireIdleMs = 0,
  ) {}

  get(entry: NodeEntry, protocol = 2): Upstream {
    if (this.closed) {
      // A request that waited for earlier ones (see Lanes) may come after its client closed: it
      // gets a closed connection, which fails it at once, instead of one nobody would close.
      const dead = this.make(entry, () => undefined, protocol);
      dead.close();
      return dead;
    }
    let u = this.byNode.get(entry);
    // A connection idle that long may have been dropped by the server without a word yet.
    if (u && this.retireIdleMs > 0 && u.idleMs() > this.retireIdleMs) {
      u.close();
      u = undefined;
    }
    if (!u || u.broken) {
      u = this.make(
        entry,
        (gone) => {
          if (this.byNode.get(gone.entry) === gone) this.byNode.delete(gone.entry);
        },
        protocol,
      );
      this.byNode.set(entry, u);
    }
    return u;
  }

  /**
   * The node left, or moved: its connection takes nothing new and closes once its requests are
   * answered; the next request opens one at the node's address now.
   */
  retire(entry: NodeEntry): void {
    const u = this.byNode.get(entry);
    if (!u) return;
    this.byNode.delete(entry);
    u.retire();
  }

  /** How many nodes have a connection here now. */
  get size(): number {
    return this.byNode.size;
  }

  values(): IterableIterator<Upstream> {
    return this.byNode.values();
  }

  /** Closes every connection; the next request opens one again. */
  close(): void {
    for (const u of this.byNode.values()) u.close();
    this.byNode.clear();
  }

  /** Closes every connection, and every one asked for later at once (its owner is gone). */
  closeForGood(): void {
    this.closed = true;
    this.close();
  }
}
