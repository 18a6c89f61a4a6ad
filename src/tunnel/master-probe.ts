import { describeError, type Logger } from '../log.js';
import type { Ask } from '../topology/discovery.js';
import { applyLag, parseReplicaLines } from '../topology/replica-lag.js';
import { parseSlotMoves } from '../topology/slot-moves.js';
import type { ClusterNode, NodeTarget } from '../topology/types.js';

/** What each master is asked at a refresh, beyond the topology itself. */
export interface ProbeWants {
  /** INFO replication: how far behind its replicas are (smart mode reads from replicas). */
  lag: boolean;
  /** CLUSTER NODES: the slots it is migrating or importing (the status page marks them). */
  slotMoves: boolean;
}

type Open = (target: NodeTarget) => Promise<{ ask: Ask; close(): void }>;

/**
 * Asks every master, at once, what `wants` names, on one short conversation each, and writes the
 * answers onto `nodes` (see applyLag; `migrating`/`importing`). A master that does not answer
 * leaves its figures unset: its replicas are not read from until it does, and no move is shown.
 */
export async function probeMasters(
  nodes: ClusterNode[],
  wants: ProbeWants,
  open: Open,
  targetOf: (node: ClusterNode) => NodeTarget,
  log: Logger,
): Promise<void> {
  const asks = (m: ClusterNode): boolean =>
    wants.slotMoves || (wants.lag && nodes.some((r) => r.role === 'replica' && r.masterId === m.id));
  const masters = nodes.filter((m) => m.role === 'master' && asks(m));
  await Promise.all(
    masters.map(async (m) => {
      try {
        const conversation = await open(targetOf(m));
        try {
          if (wants.lag)
            applyLag(nodes, m.id, parseReplicaLines(await conversation.ask(['INFO', 'replication'])));
          if (wants.slotMoves) {
            const { migrating, importing } = parseSlotMoves(await conversation.ask(['CLUSTER', 'NODES']));
            m.migrating = migrating;
            m.importing = importing;
          }
        } finally {
          conversation.close();
        }
      } catch (e) {
        log.debug(`${targetOf(m).label} not probed (replica lag, slot moves): ${describeError(e)}`);
      }
    }),
  );
}
