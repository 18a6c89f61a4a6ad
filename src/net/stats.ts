import { type NodeDelta, NodeStatsBook } from './node-stats.js';

/**
 * What one tunnel has done, counted where it happens (connection pairs, smart clients, the
 * topology watcher) and read by the status page and the metrics. Plain numbers: counting costs an
 * addition, and the format belongs to whoever reads them.
 */
export class TunnelStats {
  /** Per node: requests, errors, redirects, bytes each way, latency (see NodeStats). */
  readonly nodes = new NodeStatsBook();
  /** Client connections accepted, per mode. */
  accepted = { pinned: 0, smart: 0 };
  /** Bytes from clients towards the cluster, and from the cluster to clients. */
  bytesToCluster = 0;
  bytesToClients = 0;
  /** New pinned clients that got a warm upstream from the pool, and those that had to wait for one. */
  pool = { hits: 0, misses: 0 };
  /**
   * Pinned clients that took a connection of their own (every one with --no-share; with sharing,
   * those that sent a request that needs one).
   */
  ownConnections = 0;
  /** Replies whose node addresses were rewritten (topology replies, MOVED, ASK). */
  rewrites = 0;
  /** Problems, by kind: an unreachable node, a malformed frame, a refused command... */
  readonly errors = new Map<ErrorKind, number>();
  /** Topology refreshes that read a topology, and those that could not. */
  refreshes = { ok: 0, failed: 0 };
  /** The last refresh: when it ended, whether it read a topology, and why not. */
  lastRefresh: { at: number; ok: boolean; error?: string } | null = null;

  error(kind: ErrorKind, n = 1): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + n);
  }

  /**
   * The counts so far as plain data, and zero from here on: a worker's report to the primary,
   * which adds it up. Reset in place: the warm pool holds `pool` and counts into it.
   */
  take(): StatsDelta {
    const taken: StatsDelta = {
      accepted: { ...this.accepted },
      bytesToCluster: this.bytesToCluster,
      bytesToClients: this.bytesToClients,
      pool: { ...this.pool },
      ownConnections: this.ownConnections,
      rewrites: this.rewrites,
      errors: [...this.errors],
      nodes: this.nodes.take(),
    };
    this.accepted.pinned = this.accepted.smart = 0;
    this.bytesToCluster = this.bytesToClients = this.rewrites = 0;
    this.pool.hits = this.pool.misses = 0;
    this.ownConnections = 0;
    this.errors.clear();
    return taken;
  }

  /** Adds what worker `worker` counted. */
  add(d: StatsDelta, worker: number): void {
    for (const [id, n] of d.nodes) this.nodes.of(id).add(worker, n);
    this.accepted.pinned += d.accepted.pinned;
    this.accepted.smart += d.accepted.smart;
    this.bytesToCluster += d.bytesToCluster;
    this.bytesToClients += d.bytesToClients;
    this.pool.hits += d.pool.hits;
    this.pool.misses += d.pool.misses;
    this.ownConnections += d.ownConnections;
    this.rewrites += d.rewrites;
    for (const [kind, n] of d.errors) this.error(kind, n);
  }
}

/** Counts as plain data, from a worker process to the primary (see `take`). */
export interface StatsDelta {
  accepted: { pinned: number; smart: number };
  bytesToCluster: number;
  bytesToClients: number;
  pool: { hits: number; misses: number };
  ownConnections: number;
  rewrites: number;
  errors: Array<[ErrorKind, number]>;
  /** Per node, by node id. */
  nodes: Array<[string, NodeDelta]>;
}

export type ErrorKind =
  /** A node could not be connected to, or refused the tunnel's TLS or AUTH. */
  | 'unreachable'
  /** A client sent bytes that are not RESP: its connection was closed. */
  | 'malformed-request'
  /** A node sent bytes that are not RESP: that connection pair was closed. */
  | 'malformed-reply'
  /** Smart mode answered a command with an error of its own (CROSSSLOT, not served...). */
  | 'refused'
  /** A client, or a pinned client's own connection, was refused at the open-file limit. */
  | 'file-limit'
  /** A client left more reply bytes unread than --client-output-limit: it was closed. */
  | 'output-limit';
