/**
 * What the primary and its worker processes say to each other over the IPC channel. The primary
 * keeps the topology, the listeners and the credential; a worker serves the clients it is handed.
 */
import type { StatsDelta } from '../net/stats.js';
import type { TableRecords } from '../topology/node-table.js';
import type { NodeRef } from '../topology/types.js';
import type { TunnelOptions } from './options.js';

export type ToWorker =
  /** First message: the options (with the current password) and the table as it stands. */
  | { t: 'init'; options: TunnelOptions; records: TableRecords }
  /** The table changed: here is all of it. */
  | { t: 'table'; records: TableRecords }
  /** A refreshed credential (--auth-command). */
  | { t: 'password'; password: string }
  /** A client connection (its handle travels with the message). */
  | { t: 'pinned'; nodeId: string }
  | { t: 'smart' }
  /** The answer to a worker's `ask`. */
  | { t: 'answer'; seq: number; ok: boolean }
  /** End every connection (within `graceMs`) and exit. */
  | { t: 'stop'; graceMs: number };

export type FromWorker =
  /** Listening for messages: anything sent before this is lost, so `init` waits for it. */
  | { t: 'hello' }
  /** Serving: clients may be handed over; `failed` instead when it could not start. */
  | { t: 'ready' }
  | { t: 'failed'; error: string }
  /** Something only the primary can do: serve nodes a reply names, or re-read the topology. */
  | { t: 'ask'; seq: number; serve?: NodeRef[]; refresh?: string }
  /** What the worker counted since its last report, and what it holds now. */
  | {
      t: 'stats';
      delta: StatsDelta;
      connections: { pinned: number; smart: number };
      /** Clients per node id now: pinned ones, and smart ones with a connection of their own to it. */
      perNode: Array<[string, number, number]>;
      poolIdle: number;
    };
