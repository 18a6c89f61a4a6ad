import { Cursor } from '../resp/cursor.js';
import { decode } from '../resp/decode.js';
import { applyEdits } from '../resp/encode.js';
import { type AddressLookup, type NodeRef, type RewriteOutcome, newOutcome } from './address.js';
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
  lookup: AddressLookup,
  out: RewriteOutcome,
): void {
  switch (kind) {
    case 'slots':
      return rewriteSlots(buf, start, lookup, out);
    case 'nodes':
      return rewriteNodesReply(buf, decode(buf, start), lookup, out);
    case 'shards':
      return rewriteShards(buf, decode(buf, start), lookup, out);
    case 'replicas':
      return rewriteReplicasReply(buf, decode(buf, start), lookup, out);
  }
}

/**
 * Start offsets of the elements of the array frame at `buf[start]` (EXEC's reply), or null when
 * it is not an array of exactly `expected` elements.
 */
export function arrayElementStarts(buf: Buffer, start: number, expected: number): number[] | null {
  if (buf[start] !== 0x2a) return null;
  const c = new Cursor(buf, start);
  const n = c.header();
  if (n !== expected) return null;
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    // An attribute may prefix an element; the element itself starts after it.
    while (c.peek() === 0x7c) c.skip();
    starts.push(c.pos);
    c.skip();
  }
  return starts;
}

/**
 * Rewrites one complete reply frame answering `kind`. `bytes` is the frame itself (same buffer)
 * when nothing changed. Nodes the lookup did not know are left as they were and listed in `missing`.
 */
export function rewriteTopologyFrame(
  kind: TopologyReply,
  frame: Buffer,
  lookup: AddressLookup,
): { bytes: Buffer; missing: NodeRef[] } {
  const out = newOutcome();
  rewriteElement(kind, frame, 0, lookup, out);
  return { bytes: applyEdits(frame, out.edits), missing: out.missing };
}

export { rewriteRedirect, parseRedirect, mayBeRedirect } from './redirect.js';
export type { AddressLookup, LocalAddress, NodeRef } from './address.js';
