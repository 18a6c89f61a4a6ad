import type { PortPin } from './address-plan.js';
import type { ClusterNode, LocalAddress, NodeTarget } from './types.js';

/* The node table's vocabulary (see NodeTable): its entries, the changes it emits, its records. */

/** One node the tunnel serves. Entries are changed only by the table, in place. */
export interface NodeEntry {
  /** Identity, role, slots and the endpoint the cluster announces. */
  readonly node: ClusterNode;
  /** How to reach it: dial address, label, TLS name. */
  readonly target: NodeTarget;
  /** Where clients reach it through the tunnel. */
  readonly local: LocalAddress;
  /** Made for a redirect target no topology listed yet (its id is `adhoc:host:port`). */
  readonly adhoc: boolean;
  /** When the node was first missing from a refreshed topology. */
  readonly goneSince: number | undefined;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What changed in the table; subscribers (listeners, later workers) follow these. */
export type NodeChange =
  | { type: 'added'; entry: NodeEntry }
  /** Role, slots or address changed; `from` is the target before (equal when only slots moved). */
  | { type: 'updated'; entry: NodeEntry; from: NodeTarget }
  /** An ad hoc entry turned out to be this node (same local port). */
  | { type: 'adopted'; entry: NodeEntry; adhocId: string }
  /** Its local port could not be bound, so it moved. */
  | { type: 'port-moved'; entry: NodeEntry; from: number }
  | { type: 'retired'; entry: NodeEntry };

/** A table's entries as plain data: what a worker process's copy is made from (see `mirror`). */
export interface TableRecords {
  seedId: string | undefined;
  topology: 'cluster' | 'standalone';
  /** Slot owners as the original's index has them: `[start, end, node id]`. */
  owners: Array<[number, number, string]>;
  entries: Array<{
    node: ClusterNode;
    target: NodeTarget;
    port: number;
    adhoc: boolean;
    goneSince: number | undefined;
  }>;
}

export interface NodeTableOptions {
  /** Local ports pinned with --map. */
  pins: PortPin[];
  /** Host written into local addresses (what clients are told). */
  localHost: string;
  /** The dial target for a node (TLS name and --resolve rules). */
  targetOf: (node: ClusterNode) => NodeTarget;
}
