import type { Edit } from '../resp/encode.js';
import type { NodeRef } from '../topology/types.js';

/** What a rewriter produced: byte edits on the frame, and the nodes it could not map. */
export interface RewriteOutcome {
  edits: Edit[];
  missing: NodeRef[];
}

export function newOutcome(): RewriteOutcome {
  return { edits: [], missing: [] };
}
