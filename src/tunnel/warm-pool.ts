import type { UpstreamPool } from '../net/pool.js';
import type { NodeChange, NodeTable } from '../topology/node-table.js';

/**
 * Keeps the pool in line with the table: every served node gets warm connections, a node that
 * moved gets them at its new address, and one that left has its pool drained. Returns the
 * unsubscribe function.
 */
export function warmPoolFollows(table: NodeTable, pool: UpstreamPool): () => void {
  if (pool.size === 0) return () => {};
  for (const e of table.entries()) pool.fill(e.target);
  return table.subscribe((change: NodeChange) => {
    if (change.type === 'added' || change.type === 'adopted') pool.fill(change.entry.target);
    else if (change.type === 'retired') pool.drain(change.entry.target);
    else if (change.type === 'updated') {
      const { from, entry } = change;
      if (
        from.host !== entry.target.host ||
        from.port !== entry.target.port ||
        from.tlsName !== entry.target.tlsName
      ) {
        pool.drain(from);
        pool.fill(entry.target);
      }
    }
  });
}
