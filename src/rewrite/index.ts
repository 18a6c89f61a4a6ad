import { type RespNode, decode } from '../resp/decode.js';
import { applyEdits } from '../resp/encode.js';
import { type AddressLookup, type NodeRef, type RewriteOutcome, newOutcome } from './address.js';
import { rewriteNodesReply, rewriteReplicasReply } from './nodes.js';
import { rewriteShards } from './shards.js';
import { rewriteSlots } from './slots.js';

/** The replies whose addresses the tunnel rewrites, by the command they answer. */
export type TopologyReply = 'slots' | 'nodes' | 'shards' | 'replicas';

export function rewriteElement(
  kind: TopologyReply,
  buf: Buffer,
  node: RespNode,
  lookup: AddressLookup,
  out: RewriteOutcome,
): void {
  switch (kind) {
    case 'slots':
      return rewriteSlots(buf, node, lookup, out);
    case 'nodes':
      return rewriteNodesReply(buf, node, lookup, out);
    case 'shards':
      return rewriteShards(buf, node, lookup, out);
    case 'replicas':
      return rewriteReplicasReply(buf, node, lookup, out);
  }
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
  rewriteElement(kind, frame, decode(frame), lookup, out);
  return { bytes: applyEdits(frame, out.edits), missing: out.missing };
}

export { rewriteRedirect, parseRedirect, mayBeRedirect } from './redirect.js';
export type { AddressLookup, LocalAddress, NodeRef } from './address.js';
