/**
 * What one tunnel has done, counted where it happens (connection pairs, smart clients, the
 * topology watcher) and read by the status page and the metrics. Plain numbers: counting costs an
 * addition, and the format belongs to whoever reads them.
 */
export class TunnelStats {
  /** Client connections accepted, per mode. */
  accepted = { pinned: 0, smart: 0 };
  /** Bytes from clients towards the cluster, and from the cluster to clients. */
  bytesToCluster = 0;
  bytesToClients = 0;
  /** New pinned clients that got a warm upstream from the pool, and those that had to wait for one. */
  pool = { hits: 0, misses: 0 };
  /** Replies whose node addresses were rewritten (topology replies, MOVED, ASK). */
  rewrites = 0;
  /** Problems, by kind: an unreachable node, a malformed frame, a refused command... */
  readonly errors = new Map<ErrorKind, number>();
  /** Topology refreshes that read a topology, and those that could not. */
  refreshes = { ok: 0, failed: 0 };
  /** The last refresh: when it ended, whether it read a topology, and why not. */
  lastRefresh: { at: number; ok: boolean; error?: string } | null = null;

  error(kind: ErrorKind): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }
}

export type ErrorKind =
  /** A node could not be connected to, or refused the tunnel's TLS or AUTH. */
  | 'unreachable'
  /** A client sent bytes that are not RESP: its connection was closed. */
  | 'malformed-request'
  /** A node sent bytes that are not RESP: that connection pair was closed. */
  | 'malformed-reply'
  /** Smart mode answered a command with an error of its own (CROSSSLOT, not served...). */
  | 'refused';
