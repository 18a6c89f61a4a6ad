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

  /** What the last `delta()` reported, so the next one sends only what is new. */
  private reported: StatsDelta = emptyDelta();

  error(kind: ErrorKind, n = 1): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + n);
  }

  /** The counts as plain data (a worker's report to the primary is the change since the last). */
  totals(): StatsDelta {
    return {
      accepted: { ...this.accepted },
      bytesToCluster: this.bytesToCluster,
      bytesToClients: this.bytesToClients,
      pool: { ...this.pool },
      rewrites: this.rewrites,
      errors: [...this.errors],
    };
  }

  /** What was counted since the last call. */
  delta(): StatsDelta {
    const now = this.totals();
    const was = this.reported;
    this.reported = now;
    const before = new Map(was.errors);
    return {
      accepted: {
        pinned: now.accepted.pinned - was.accepted.pinned,
        smart: now.accepted.smart - was.accepted.smart,
      },
      bytesToCluster: now.bytesToCluster - was.bytesToCluster,
      bytesToClients: now.bytesToClients - was.bytesToClients,
      pool: { hits: now.pool.hits - was.pool.hits, misses: now.pool.misses - was.pool.misses },
      rewrites: now.rewrites - was.rewrites,
      errors: now.errors.map(([k, n]) => [k, n - (before.get(k) ?? 0)]),
    };
  }

  /** Adds what a worker counted. */
  add(d: StatsDelta): void {
    this.accepted.pinned += d.accepted.pinned;
    this.accepted.smart += d.accepted.smart;
    this.bytesToCluster += d.bytesToCluster;
    this.bytesToClients += d.bytesToClients;
    this.pool.hits += d.pool.hits;
    this.pool.misses += d.pool.misses;
    this.rewrites += d.rewrites;
    for (const [kind, n] of d.errors) if (n > 0) this.error(kind, n);
  }
}

/** Counts as plain data, to cross from a worker process to the primary. */
export interface StatsDelta {
  accepted: { pinned: number; smart: number };
  bytesToCluster: number;
  bytesToClients: number;
  pool: { hits: number; misses: number };
  rewrites: number;
  errors: Array<[ErrorKind, number]>;
}

function emptyDelta(): StatsDelta {
  return {
    accepted: { pinned: 0, smart: 0 },
    bytesToCluster: 0,
    bytesToClients: 0,
    pool: { hits: 0, misses: 0 },
    rewrites: 0,
    errors: [],
  };
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
