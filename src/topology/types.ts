/** The cluster vocabulary every layer above `resp/` shares: nodes, endpoints, local addresses. */

/** What the tunnel knows of one remote node's address, from discovery. */
export interface RemoteNode {
  id: string;
  /** The node's IP as announced (may be empty when unknown). */
  ip: string;
  /** The port clients use over the upstream transport (the TLS port for a TLS upstream). */
  port: number;
  /** Announced hostname, if any. */
  hostname?: string;
  /** Preferred endpoint as announced (ip, hostname, `?` or empty). */
  endpoint?: string;
}

/** Inclusive slot range. */
export type SlotRange = [number, number];

/** One node of the cluster as discovery sees it. */
export interface ClusterNode extends RemoteNode {
  role: 'master' | 'replica';
  /** For replicas: their master's id, when known. */
  masterId?: string;
  /** For masters: slot ranges served, inclusive. */
  slots: SlotRange[];
  health: 'online' | 'loading' | 'fail';
  /**
   * For replicas, when measured (smart mode's replica reads): seconds since it last acknowledged
   * its master's stream, as the master reports it; Infinity when it is not in sync.
   */
  lagSeconds?: number;
  /** For masters, when read (the status page): slots it is handing to another master. */
  migrating?: SlotMove[];
  /** For masters, when read: slots it is taking from another master. */
  importing?: SlotMove[];
}

/** One slot in the middle of a move (CLUSTER SETSLOT ... MIGRATING/IMPORTING), and the other side. */
export interface SlotMove {
  slot: number;
  /** The node id of the other master. */
  peer: string;
}

/** What a reply says about a node. */
export interface NodeRef {
  /** 40-hex node id, when the reply names it (SLOTS element 2, NODES token 0, SHARDS `id`). */
  id?: string;
  /**
   * The endpoint as announced: an IP (IPv6 unbracketed), a hostname, `?` (hostname preferred but the
   * node has none) or `` (unknown endpoint: the host of the node this connection talks to).
   */
  host: string;
  port: number;
  /** The node's IP when the reply gives it beside a preferred endpoint (SLOTS/SHARDS metadata). */
  ip?: string;
  /** The node's announced hostname when the reply gives one. */
  hostname?: string;
  /** For MOVED: the slot, whose owner is the target (a last resort for `?` and empty hosts). */
  slot?: number;
}

/** Where the tunnel serves a node locally. */
export interface LocalAddress {
  host: string;
  port: number;
  /** Host and port as a RESP bulk string and integer, encoded once: rewrites write them often. */
  readonly encoded?: { readonly host: Buffer; readonly port: Buffer };
}

/** Maps a node named in a reply to its local address; undefined for a node not served. */
export type AddressLookup = (ref: NodeRef) => LocalAddress | undefined;

/** What the rewriters need to point a reply at the tunnel. */
export interface Addresses {
  readonly lookup: AddressLookup;
  /** The upstream speaks TLS, so a CLUSTER SHARDS node is named by its `tls-port` when it has one. */
  readonly tls: boolean;
}

/**
 * What the reply path may ask of the tunnel: where a node is served, and, for a node it does not
 * serve yet, to serve it. The one way the I/O-free core reaches up.
 */
export interface AddressBook extends Addresses {
  /**
   * Makes sure these nodes are served (re-reading the topology, binding what is new). The promise
   * settles once they are, or once the tunnel gives up waiting; then `lookup` is asked again.
   * Undefined: there is nothing to wait for.
   */
  ensure?(missing: NodeRef[]): Promise<void> | undefined;
}

/** How to reach a node: where to dial, how to name it, which TLS name to verify. */
export interface NodeTarget {
  /** Address to dial (an IP, or a name to resolve). */
  host: string;
  port: number;
  /** How messages name the node, e.g. `127.0.0.11:7001` or `node1.example:6379`. */
  label: string;
  /** Name the node's certificate must carry; also sent as SNI when it is a hostname. */
  tlsName: string;
}
