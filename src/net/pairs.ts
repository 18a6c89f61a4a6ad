import type * as net from 'node:net';
import type { Logger } from '../log.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { AddressBook, NodeTarget } from '../topology/types.js';
import type { Upstream } from './upstream.js';
import type { Connector } from './connector.js';
import { ConnectionPair } from './pair.js';
import type { TunnelStats } from './stats.js';
import type { UpstreamPool } from './pool.js';
import type { LocalAuth } from '../protocol/local-auth.js';
import { Throttle } from './throttle.js';
import { WaitMarkers } from '../protocol/wait-marker.js';
import type { FileBudget } from './file-budget.js';

/** What every connection pair of one tunnel shares. */
export interface PairContext {
  connector: Connector;
  /** The AUTH request for a new upstream, with the newest credential (null: no AUTH). */
  auth: () => Buffer | null;
  addresses: AddressBook;
  /** Maps local listener addresses in MIGRATE / CLUSTER MEET / REPLICAOF back to real nodes. */
  rewriteRequest: (request: Buffer) => Buffer | null;
  maxFrameBytes: number;
  log: Logger;
  /** --local-password: clients authenticate to the tunnel first (null: no local password). */
  localAuth: LocalAuth | null;
  /** Warm upstreams to take before opening a new one. */
  pool: UpstreamPool;
  /** The open-file limit: a client's own connection counts against it. */
  files: FileBudget;
  /**
   * The node's shared connection, which plain requests take until a client needs its own (see
   * SharedLane); null when sharing is off (--no-share): every client opens its own at once.
   */
  shared: ((entry: NodeEntry, protocol: 2 | 3) => Upstream) | null;
  /** What the tunnel counts. */
  stats: TunnelStats;
  /** A node could not be reached (it may have failed over): re-read the topology. */
  onUnreachable: (target: NodeTarget) => void;
}

/** How often "cannot open upstream" is logged at warn per node; repeats go to debug. */
const UNREACHABLE_WARNING_INTERVAL_MS = 10_000;

/** The open connection pairs of one tunnel, with their ids and shared warning throttle. */
export class Pairs {
  private readonly open = new Set<ConnectionPair>();
  private nextId = 1;
  readonly unreachableWarnings = new Throttle(UNREACHABLE_WARNING_INTERVAL_MS);
  /** The writes that go in front of clients' WAITs, one per slot asked for. */
  readonly waitMarkers = new WaitMarkers();

  constructor(readonly context: PairContext) {}

  /** Takes a client connection of `entry`'s listener. */
  accept(client: net.Socket, entry: NodeEntry, self: { host: string; port: number }): void {
    if (!this.context.files.admit(client)) return;
    const pair = new ConnectionPair(client, this.nextId++, entry, self, this);
    this.context.stats.accepted.pinned++;
    this.open.add(pair);
    void pair.start();
  }

  /** Called by a pair once both of its sockets are gone. */
  closed(pair: ConnectionPair): void {
    if (this.open.delete(pair)) this.context.files.release();
  }

  /** A fresh credential: open connections re-authenticate with it. */
  reauthenticate(auth: Buffer): void {
    for (const pair of this.open) pair.reauth(auth);
  }

  get size(): number {
    return this.open.size;
  }

  /** Ends every pair politely, then destroys what has not closed after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    for (const p of this.open) p.end();
    const deadline = Date.now() + graceMs;
    while (this.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const p of this.open) p.destroy();
  }
}
