import type { ClientContext } from '../client/connection.js';
import type { Logger } from '../log.js';
import type { RequestReading } from '../client/requests.js';
import type { AuthAttempt } from '../protocol/local-auth.js';
import type { WaitMarkers } from '../protocol/wait-marker.js';
import type { AddressBook, NodeTarget } from '../topology/types.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { Login } from '../protocol/login.js';
import type { SpanSender } from './primary-sender.js';
import type { Connector } from '../net/connector.js';
import type { FileBudget } from '../net/file-budget.js';
import type { WarmPool } from '../upstream/warm-pool.js';
import type { Throttle } from '../net/throttle.js';
import type { SharedUpstreams } from '../upstream/shared-pool.js';
import type { Session } from '../protocol/session.js';
import type { SessionSink } from '../protocol/sink.js';

/** What every pinned client of one tunnel shares (with what every client takes: ClientContext). */
export interface PinnedContext extends ClientContext {
  connector: Connector;
  /** The AUTH request for a new upstream, with the newest credential (null: no AUTH). */
  auth: () => Buffer | null;
  addresses: AddressBook;
  /** Maps local listener addresses in MIGRATE / CLUSTER MEET / REPLICAOF back to real nodes. */
  rewriteRequest: (request: Buffer) => Buffer | null;
  /** How large a reply may be. */
  maxFrameBytes: number;
  log: Logger;
  /** Warm upstreams to take before opening a new one. */
  pool: WarmPool;
  /** The open-file limit: a client's own connection counts against it. */
  files: FileBudget;
  /**
   * The node's shared connection, which plain requests take until a client needs its own (see
   * SharedLane); null when sharing is off (--no-share): every client opens its own at once.
   */
  shared: SharedUpstreams | null;
  /** Whether an AUTH names the tunnel's own credential (its clients share the tunnel's login). */
  isTunnelCredential: (attempt: AuthAttempt) => boolean;
  /**
   * How requests are read, with the policy that says which may go on the shared connection
   * (nothing, until the server's table is read).
   */
  reading: () => RequestReading;
  /** Shared requests' keys are sampled into their node's hot keys (see HotKeys). */
  hotKeys: boolean;
  /** A node could not be reached (it may have failed over): re-read the topology. */
  onUnreachable: (target: NodeTarget) => void;
  /** Re-read the topology now, for this reason. */
  refresh: (reason: string) => void;
}

/** What a pinned client asks of the set it belongs to (PinnedClients). */
export interface PinnedClientOwner {
  readonly context: PinnedContext;
  /** How a client's shared lane reaches `entry`'s shared connection (see PrimarySender). */
  sender(
    shared: SharedUpstreams,
    entry: NodeEntry,
    protocol: 2 | 3,
    login: Login | null,
    writes: boolean,
  ): SpanSender;
  /**
   * The protocol state of a client of `entry`'s listener at `self`, writing to `sink`;
   * `unmarkedWrites` says, when a WAIT comes, whether it needs the wait marker (see WaitMarkers).
   */
  session(
    entry: NodeEntry,
    self: { host: string; port: number },
    sink: SessionSink,
    unmarkedWrites: () => boolean,
  ): Session;
  /** A standalone primary's client got READONLY: the primary moved (re-read the topology). */
  primaryDemoted(entry: NodeEntry, why?: string): void;
  /** One throttle for every client's "cannot reach the node" warnings. */
  readonly unreachableWarnings: Throttle;
  /** The writes that go in front of clients' WAITs. */
  readonly waitMarkers: WaitMarkers;
  /** Called by a client once both of its sockets are gone. */
  closed(client: object): void;
}
