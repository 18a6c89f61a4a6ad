import type { NodeTarget } from '../topology/types.js';

/**
 * A connection to one node, of whichever kind: the tunnel's shared connection and a smart client's
 * own (Upstream), a pinned client's own (OwnLink), and a warm one waiting in the pool
 * (WarmConnection). Each carries requests its own way (frames to waiters, a byte stream, none
 * yet); what the tunnel asks of every one is the same: its node, whether it still works, and to
 * close it.
 */
export interface NodeConnection {
  readonly target: NodeTarget;
  /** It can carry no more requests: it broke, the node closed it, or it was closed. */
  readonly broken: boolean;
  /** Closes it now. Whatever still waits on it is told so, each kind in its own way. */
  close(): void;
}
