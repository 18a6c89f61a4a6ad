import type { Edit } from '../resp/encode.js';

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
}

/** Maps a node named in a reply to its local address; undefined for a node the map has not seen. */
export type AddressLookup = (ref: NodeRef) => LocalAddress | undefined;

/** What a rewriter produced: byte edits on the frame, and the nodes it could not map. */
export interface RewriteOutcome {
  edits: Edit[];
  missing: NodeRef[];
}

export function newOutcome(): RewriteOutcome {
  return { edits: [], missing: [] };
}

/**
 * Splits `host:port` at the last colon: servers print IPv6 addresses unbracketed (`::1:6380`).
 * Brackets, if a peer sends them anyway, are removed. Returns null when the port is not a port.
 */
export function splitHostPort(endpoint: string): { host: string; port: number } | null {
  const colon = endpoint.lastIndexOf(':');
  if (colon < 0) return null;
  const portText = endpoint.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port > 65535) return null;
  let host = endpoint.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

/** `host:port` the way servers write it in MOVED/ASK and CLUSTER NODES (IPv6 unbracketed). */
export function joinHostPort(host: string, port: number): string {
  return `${host}:${port}`;
}
