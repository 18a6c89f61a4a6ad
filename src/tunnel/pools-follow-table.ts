import type { WarmPool } from '../upstream/warm-pool.js';
import type { SharedPool } from '../upstream/shared-pool.js';
import type { NodeChange, NodeTable } from '../topology/node-table.js';

/**
 * Keeps the pool in line with the table: every served node gets warm connections, a node that
 * moved gets them at its new address, and one that left has its pool drained. Returns the
 * unsubscribe function.
 */
export function warmPoolFollows(table: NodeTable, pool: WarmPool): () => void {
  if (pool.size === 0) return () => {};
  for (const e of table.entries()) pool.fill(e.target);
  return table.subscribe((change: NodeChange) => {
    if (change.type === 'added' || change.type === 'adopted') pool.fill(change.entry.target);
    else if (change.type === 'retired') pool.drain(change.entry.target);
    else if (moved(change)) {
      pool.drain(change.from);
      pool.fill(change.entry.target);
    }
  });
}

/**
 * Keeps the shared connections in line with the table: a node that left or moved has its shared
 * connections closed once their requests are answered (the next request opens one where it is
 * now). Returns the unsubscribe function.
 */
export function sharedPoolFollows(table: NodeTable, shared: SharedPool): () => void {
  return table.subscribe((change: NodeChange) => {
    if (change.type === 'retired' || moved(change)) shared.retire(change.entry);
  });
}

/** The change is a served node's new address. */
export function moved(change: NodeChange): change is Extract<NodeChange, { type: 'updated' }> {
  if (change.type !== 'updated') return false;
  const { from, entry } = change;
  return (
    from.host !== entry.target.host ||
    from.port !== entry.target.port ||
    from.tlsName !== entry.target.tlsName
  );
}
