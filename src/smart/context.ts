import type { ClientContext } from '../client/connection.js';
import type { RequestReading } from '../client/requests.js';
import type { Logger } from '../log.js';
import type { Connector } from '../net/connector.js';
import type { FileBudget } from '../net/file-budget.js';
import type { AuthAttempt } from '../protocol/local-auth.js';
import type { WaitMarkers } from '../protocol/wait-marker.js';
import type { NodeTable } from '../topology/node-table.js';
import type { SharedUpstreams } from './lanes.js';
import type { Planner } from './plan.js';
import type { ScriptCache } from './script-cache.js';

/** What every smart client of one tunnel shares (with what every client takes: ClientContext). */
export interface SmartContext extends ClientContext {
  table: NodeTable;
  /** Plans requests by the server's command table. */
  planner: Planner;
  /** How requests are read: made from the planner's table and policy, with its batchable names read in place. */
  reading: RequestReading;
  connector: Connector;
  auth: () => Buffer | null;
  /** Re-read the topology (after a MOVED, or a node that cannot be reached). */
  refresh: (reason: string) => Promise<boolean>;
  /** The tunnel's shared connections to the nodes. */
  shared: SharedUpstreams;
  /** Scripts clients sent, to load again where a failover lost them. */
  scripts: ScriptCache;
  log: Logger;
  /** The open-file limit: a client's own connections count against it. */
  files: FileBudget;
  /** Whether a client's login attempt is the tunnel's own credential. */
  isTunnelCredential: (attempt: AuthAttempt) => boolean;
  /** The writes that go in front of clients' WAITs. */
  waitMarkers: WaitMarkers;
  /** Where read-only commands go, until a client says otherwise (READONLY, READWRITE). */
  readFrom: ReadFrom;
  /** A replica further behind than this is not read from. */
  maxReplicaLagSeconds: number;
  /** Turns through each master's replicas, read by read, whichever client reads. */
  replicaTurn: { next: number };
}

/** See TunnelOptions.readFrom. */
export type ReadFrom = 'primary' | 'replica' | 'prefer-replica';
