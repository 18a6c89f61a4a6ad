import { Cursor } from '../resp/cursor.js';
import { decode } from '../resp/decode.js';
import { T_ARRAY, T_ATTRIBUTE } from '../resp/types.js';
import type { Addresses } from '../topology/types.js';
import type { RewriteOutcome } from './outcome.js';
import { rewriteNodesReply, rewriteReplicasReply } from './nodes.js';
import { rewriteShards } from './shards.js';
import { rewriteSlots } from './slots.js';

/** The replies whose addresses the tunnel rewrites, by the command they answer. */
export type TopologyReply = 'slots' | 'nodes' | 'shards' | 'replicas';

/** Rewrites the reply element starting at `buf[start]`, adding byte edits to `out`. */
export function rewriteElement(
  kind: TopologyReply,
  buf: Buffer,
  start: number,
  addresses: Addresses,
  out: RewriteOutcome,
): void {
  switch (kind) {
    case 'slots':
      return rewriteSlots(buf, start, addresses.lookup, out);
    case 'nodes':
      return rewriteNodesReply(buf, decode(buf, start), addresses.lookup, out);
    case 'shards':
      return rewriteShards(buf, decode(buf, start), addresses, out);
    case 'replicas':
      return rewriteReplicasReply(buf, decode(buf, start), addresses.lookup, out);
  }
}

/**
 * Start offsets of the elements of the array frame at `buf[start]` (EXEC's reply), or null when
 * it is not an array of exactly `expected` elements.
 */
export function arrayElementStarts(buf: Buffer, start: number, expected: number): number[] | null {
  if (buf[start] !== T_ARRAY) return null;
  const c = new Cursor(buf, start);
  const n = c.header();
  if (n !== expected) return null;
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    // An attribute may prefix an element; the element itself starts after it.
    while (c.peek() === T_ATTRIBUTE) c.skip();
    starts.push(c.pos);
    c.skip();
  }
  return starts;
}
